//! `mnpsync demo`: the whole flow against an in-process simulator, offline, in seconds.
//!
//! Validate, plan, apply (a cancel before the submit it makes room for), a reviewer's
//! approval, the release that the next run makes, a rollback declared in the manifests (held
//! without `--allow-rollback`, then run with it), a last plan with nothing left to do, and the
//! journal. The demo works on a temporary copy of the manifests and a temporary state
//! directory: its rollback edits the copy, never the user's files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use tokio_util::sync::CancellationToken;

use mnpsync::action::Action;
use mnpsync::apply::{ActionResult, ApplyOptions, ApplyReport, HoldReason};
use mnpsync::manifest::{self, Desired, Release};
use mnpsync::notify::{Announcer, NotifierConfig, Sink};
use mnpsync::plan::{Plan, PlanOptions};
use mnpsync::reconcile::{Applied, Executor, Planned, Progress, Request, make_plan, reconcile};
use mnpsync::record::{JournalLine, Outcome, Records, read_journal};
use mnpsync::report;
use mnpsync::sim::{Fixture, SimConfig, spawn};
use mnpsync::tcmpp::model::{ApprovalItem, ApprovalStatus, ProcessMnpApprovalRequest};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};
use mnpsync::text::{MAX_CELL, clip, pad};

use super::Global;

/// The example manifests, for a demo run outside the repository.
const BUILTIN_MANIFESTS: &[(&str, &str)] = &[
    (
        "shop/versions.yaml",
        include_str!("../../manifests/shop/versions.yaml"),
    ),
    (
        "payments.yaml",
        include_str!("../../manifests/payments.yaml"),
    ),
    ("travel.yaml", include_str!("../../manifests/travel.yaml")),
];

/// The simulator's starting state: the shop's 1.3.0 (2571) is online and 1.4.1 (2590) pending
/// review, so the demo cancels 2590 before it submits 1.4.2 (2597), releases 1.4.2 once
/// approved, and can roll back to 1.3.0.
const DEMO_FIXTURE: &str = include_str!("../../examples/demo-fixture.yaml");

/// The platform and mini program of the demo's release.
const PLATFORM: &str = "T04257DS9431720WTAG";
const MNP: &str = "mnp-shop";
/// The version the manifests release, by its version string, and its MNPVersionId in the
/// fixture.
const RELEASE: &str = "1.4.2";
const RELEASE_ID: i64 = 2597;
/// The version the demo rolls back to: released before, per the fixture.
const ROLLBACK: &str = "1.3.0";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Manifests to use (default: manifests/ when present, else the built-in examples).
    pub path: Option<PathBuf>,
    /// Requests per second per API action, for the demo's client and its simulator alike.
    #[arg(long, env = "MNPSYNC_RATE_LIMIT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rate_limit: u32,
}

fn step(n: u32, title: &str) {
    println!("\n━━ {n}. {title}");
}

/// Prints the plan (and, when asked, which version each version string stands for), an
/// optional heading, then each result.
struct Show<'a> {
    rate_limit: u32,
    /// Say which MNPVersionId the version string of each planned action resolved to, for the
    /// documents named here (those that give `spec.version`).
    resolved: Option<&'a BTreeSet<String>>,
    /// A step heading between the plan and the results (step 3's).
    then: Option<(u32, &'a str)>,
}

impl Progress for Show<'_> {
    fn planned(&self, planned: &Planned) {
        print!(
            "{}",
            report::plan_text(&planned.plan, self.rate_limit, false)
        );
        if let Some(names) = self.resolved {
            print!("{}", resolved_lines(&planned.plan, names));
        }
        if let Some((n, title)) = self.then {
            step(n, title);
        }
    }

    fn result(&self, r: &ActionResult) {
        println!("{}", report::result_line(r));
    }
}

/// `shop-release declares version "1.4.2" of mnp-shop: MNPVersionId 2597 …` for each planned
/// action whose manifest (one of `names`) gives its version by the version string.
fn resolved_lines(plan: &Plan, names: &BTreeSet<String>) -> String {
    plan.resources
        .iter()
        .filter(|r| r.action.is_some() && names.contains(&r.name))
        .filter_map(|r| {
            let (version, mnp) = (r.version.as_deref()?, r.mnp_id.as_deref()?);
            Some(format!(
                "{} declares version \"{}\" of {}: resolved to MNPVersionId {} (DescribeMNPAllStageVersions)\n",
                clip(&r.name, MAX_CELL),
                clip(version, 64),
                clip(mnp, 64),
                r.mnp_version_id
            ))
        })
        .collect()
}

/// What the demo's reconciles share.
struct Demo<'a> {
    client: &'a Client,
    records: &'a Records,
    shutdown: &'a CancellationToken,
}

impl Demo<'_> {
    /// Plans and applies `desired` as `mnpsync apply` would, printing the plan, the results,
    /// what was held back and the summary. `Ok(None)` when a version string did not resolve
    /// (its error is printed).
    async fn apply(
        &self,
        desired: &Desired,
        request: &Request,
        show: &Show<'_>,
    ) -> anyhow::Result<Option<Applied>> {
        let options = ApplyOptions {
            allow_rollback: request.options.allow_rollback,
            ..ApplyOptions::default()
        };
        let exec = Executor {
            client: self.client,
            records: self.records,
            options: &options,
            shutdown: self.shutdown,
            progress: show,
        };
        let applied = reconcile(&exec, desired, request).await?;
        print!("{}", report::attention_lines(&applied.report));
        print!("{}", report::held_lines(&applied.report));
        println!("{}", report::apply_summary_line(&applied.report));
        if !applied.unresolved.is_empty() {
            for error in &applied.unresolved {
                eprintln!("{error}");
            }
            return Ok(None);
        }
        Ok(Some(applied))
    }

    /// Which version of each mini program is online, as `mnpsync status` shows it.
    fn print_online(&self) {
        let status = report::status_text(&self.records.snapshot(), "", None);
        if let Some((_, online)) = status.split_once("\nOnline:\n") {
            print!("Online now (as `mnpsync status` shows it):\n{online}");
        }
    }
}

/// Announces a reconcile's events to a generic webhook served in-process on a loopback port
/// (as `--notify http://…` would), and prints the first event as the receiver got it.
async fn show_notification(
    records: &Records,
    before: &mnpsync::record::State,
    applied: &Applied,
) -> anyhow::Result<()> {
    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
        let kept = kept.clone();
        async move {
            kept.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(body.to_vec());
            ""
        }
    });
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let sink = Sink::parse(&format!("http://{addr}/hooks/release-team"), 1)?;
    let announcer = Announcer::spawn(vec![sink], NotifierConfig::default())?;
    let input = mnpsync::notify::detect::Input {
        before,
        plan: &applied.plan,
        observation: &applied.observation,
        results: &applied.report.results,
        attention: &applied.report.attention,
        review_sla: None,
        now: jiff::Timestamp::now(),
    };
    let events = announcer.announce(
        records,
        input,
        &applied.report.run_id,
        applied.report.commit.clone(),
    )?;
    announcer.drain(records, Duration::from_secs(5)).await?;
    server.abort();
    let bodies = received.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let first = bodies
        .first()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|v| v["events"].get(0).cloned());
    match first {
        Some(event) => println!(
            "Notified ({events} event(s), one message; `--notify URL` sends it to a webhook, WeCom, Feishu, DingTalk or Slack). The first event, as an in-process receiver got it:\n{}",
            serde_json::to_string_pretty(&event)?
        ),
        None => println!("No notification was delivered to the in-process receiver."),
    }
    Ok(())
}

/// The manifests the demo reads: `path`, else `manifests/` when present; `None` for the
/// built-in examples.
fn source_of(path: Option<PathBuf>) -> Option<PathBuf> {
    path.or_else(|| {
        Path::new("manifests")
            .is_dir()
            .then(|| PathBuf::from("manifests"))
    })
}

/// Copies the files the documents of `desired` were read from (found under `source`) to
/// `dir`, at the same relative paths.
fn copy_manifests(desired: &Desired, source: &Path, dir: &Path) -> anyhow::Result<()> {
    let files: BTreeSet<&Path> = desired
        .resources
        .values()
        .chain(&desired.by_version)
        .map(|r| r.source.path.as_path())
        .collect();
    for file in files {
        let relative = match file.strip_prefix(source) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => PathBuf::from(file.file_name().context("a manifest path without a name")?),
        };
        let to = dir.join(relative);
        std::fs::create_dir_all(to.parent().unwrap_or(dir))
            .with_context(|| format!("creating the directory of {}", to.display()))?;
        std::fs::copy(file, &to)
            .with_context(|| format!("copying {} to {}", file.display(), to.display()))?;
    }
    Ok(())
}

/// A one-line change the demo makes to its copy of the manifests.
struct Edit {
    /// The file, relative to the copy's root.
    file: PathBuf,
    line: usize,
    before: String,
    after: String,
}

/// Declares [`ROLLBACK`] online instead of [`RELEASE`] in the demo's copy (`root`): rewrites
/// the `version` value of the document that releases [`RELEASE`] of [`MNP`]. `None` when no
/// document does (manifests of the user's own).
fn declare_rollback(desired: &Desired, root: &Path) -> anyhow::Result<Option<Edit>> {
    let Some(at) = desired
        .by_version
        .iter()
        .find(|r| {
            r.key.platform_id == PLATFORM
                && r.mnp_id.as_deref() == Some(MNP)
                && r.version.as_deref() == Some(RELEASE)
                && r.release == Some(Release::Online)
        })
        .and_then(|r| r.version_at.clone())
    else {
        return Ok(None);
    };
    let mut text = std::fs::read_to_string(&at.path)
        .with_context(|| format!("reading {}", at.path.display()))?;
    // The located line, as a byte range of the file (line endings kept as they are).
    let mut start = 0;
    let mut range = None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n + 1 == at.line {
            range = Some(start..start + line.trim_end_matches(['\r', '\n']).len());
            break;
        }
        start += line.len();
    }
    let Some(range) = range else {
        return Ok(None);
    };
    let before = text[range.clone()].to_string();
    // The value starts at the located column (1-based, in characters).
    let value = before
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(before.len(), |(i, _)| i);
    let Some(offset) = before[value..].find(RELEASE) else {
        return Ok(None);
    };
    let at_value = range.start + value + offset;
    text.replace_range(at_value..at_value + RELEASE.len(), ROLLBACK);
    let after = text[range.start..range.end - RELEASE.len() + ROLLBACK.len()].to_string();
    std::fs::write(&at.path, &text).with_context(|| format!("writing {}", at.path.display()))?;
    Ok(Some(Edit {
        file: at.path.strip_prefix(root).unwrap_or(&at.path).to_path_buf(),
        line: at.line,
        before,
        after,
    }))
}

/// The journal, one line per entry: `seq event key name action outcome`.
fn journal_table(lines: &[JournalLine]) -> String {
    let rows: Vec<[String; 6]> = lines
        .iter()
        .map(|l| {
            let event = serde_json::to_value(l.event)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            [
                l.seq.to_string(),
                event,
                clip(&l.key.to_string(), MAX_CELL),
                clip(&l.name, MAX_CELL),
                l.action.to_string(),
                l.outcome.map(|o| o.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..6).map(width).collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    if i == 0 {
                        // The sequence number, right-aligned (digits only).
                        format!("{cell:>w$}", w = *w)
                    } else {
                        pad(cell, *w)
                    }
                })
                .collect();
            format!("  {}\n", cells.join("  ").trim_end())
        })
        .collect()
}

/// Whether `report` holds exactly one result, of `action`, ending in `outcome`.
fn did(report: &ApplyReport, action: Action, outcome: Outcome) -> bool {
    matches!(report.results.as_slice(), [r] if r.action == action && r.outcome == outcome)
}

/// Approves the processing approval request of [`RELEASE_ID`] as a reviewer would
/// (`ProcessMNPApproval` on the simulator) and says so.
async fn approve(client: &Client) -> anyhow::Result<()> {
    let records_list = client
        .list_approvals(
            PLATFORM,
            Some(vec![ApprovalStatus::Processing.code()]),
            None,
        )
        .await?;
    let record = records_list
        .iter()
        .find(|r| r.mnp_version_id == Some(RELEASE_ID))
        .with_context(|| format!("the simulator lists no processing approval for {RELEASE_ID}"))?;
    let approval_no = record.approval_no.clone().unwrap_or_default();
    let reply = client
        .process_mnp_approval(
            &ProcessMnpApprovalRequest {
                approval_no: approval_no.clone(),
                platform_id: PLATFORM.to_string(),
                approval_items: vec![ApprovalItem {
                    app_id: record.mnp_id.clone().unwrap_or_default(),
                    approval_result: 3,
                    approval_note: "looks good".to_string(),
                }],
            },
            None,
        )
        .await?;
    println!("approved {approval_no} (RequestId {})", reply.request_id);
    Ok(())
}

pub async fn exec(global: &Global, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir().context("creating a temporary directory")?;
    let copy = scratch.path().join("manifests");
    let source = source_of(args.path);
    let shown = match &source {
        Some(path) => path.display().to_string(),
        None => {
            for (name, text) in BUILTIN_MANIFESTS {
                let path = copy.join(name);
                std::fs::create_dir_all(path.parent().unwrap_or(&copy))?;
                std::fs::write(&path, text)?;
            }
            "the built-in example manifests".to_string()
        }
    };
    let state_dir = scratch.path().join("state");

    let fixture = Fixture::from_yaml(DEMO_FIXTURE).map_err(anyhow::Error::msg)?;
    let sim_config = SimConfig {
        fixture: Some(fixture),
        rate_limit: args.rate_limit,
        ..SimConfig::default()
    };
    let credentials = Credentials::new(
        sim_config.secret_id.clone(),
        sim_config.secret_key.clone(),
        "the demo's throwaway simulator credentials",
    );
    let sim = spawn(sim_config).await.context("starting the simulator")?;
    println!(
        "mnpsync demo: simulator on {} (throwaway credentials), state in a temporary directory",
        sim.url
    );
    let mut config = ClientConfig::new(Endpoint::parse(&sim.url)?);
    config.region = global.region.clone();
    config.rate_limit = args.rate_limit;
    let client = Client::new(credentials, config)?;

    step(1, &format!("validate {shown}"));
    let validated = match manifest::load(&[source.clone().unwrap_or_else(|| copy.clone())]) {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "{} manifest(s) valid in {} file(s); the demo works on a temporary copy",
        validated.resources.len() + validated.by_version.len(),
        validated.files
    );
    if let Some(source) = &source {
        copy_manifests(&validated, source, &copy)?;
    }
    let desired = match manifest::load(std::slice::from_ref(&copy)) {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };

    step(2, "plan (refreshed from the simulator)");
    let records = Records::open(&state_dir)?;
    let commit = match &source {
        Some(path) => mnpsync::git::commit_of(std::slice::from_ref(path)).await,
        None => None,
    };
    let request = Request {
        commit: commit.clone(),
        ..Request::default()
    };
    let shutdown = CancellationToken::new();
    let demo = Demo {
        client: &client,
        records: &records,
        shutdown: &shutdown,
    };
    let by_version: BTreeSet<String> = desired.by_version.iter().map(|r| r.name.clone()).collect();
    let show = |resolved: bool, then| Show {
        rate_limit: args.rate_limit,
        resolved: resolved.then_some(&by_version),
        then,
    };
    let Some(first) = demo
        .apply(&desired, &request, &show(true, Some((3, "apply"))))
        .await?
        .map(|a| a.report)
    else {
        return Ok(ExitCode::FAILURE);
    };

    step(
        4,
        &format!(
            "a reviewer approves {RELEASE} ({RELEASE_ID}) of {MNP} (ProcessMNPApproval on the simulator)"
        ),
    );
    approve(&client).await?;

    step(
        5,
        &format!("apply again: {RELEASE} is approved, so this run releases it"),
    );
    let before = records.snapshot();
    let Some(applied) = demo.apply(&desired, &request, &show(false, None)).await? else {
        return Ok(ExitCode::FAILURE);
    };
    demo.print_online();
    show_notification(&records, &before, &applied).await?;
    let release = applied.report;

    // The rollback edits the copy: the commit, if any, no longer describes the manifests.
    let edited_commit = commit.map(|c| {
        if c.ends_with(mnpsync::git::DIRTY) {
            c
        } else {
            format!("{c}{}", mnpsync::git::DIRTY)
        }
    });
    let mut rollback_ok = true;
    let mut final_desired = desired.clone();
    let mut final_request = request.clone();
    step(
        6,
        &format!("roll back: the manifest declares {ROLLBACK}, released before, online again"),
    );
    match declare_rollback(&desired, &copy)? {
        None => println!(
            "No manifest releases \"{RELEASE}\" of {MNP} on {PLATFORM}: nothing to roll back in these manifests."
        ),
        Some(edit) => {
            println!(
                "Edited the demo's copy of {}, line {}:\n  - {}\n  + {}",
                edit.file.display(),
                edit.line,
                edit.before.trim(),
                edit.after.trim()
            );
            let edited = match manifest::load(std::slice::from_ref(&copy)) {
                Ok(d) => d,
                Err(errors) => {
                    eprintln!("{errors}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let held_request = Request {
                commit: edited_commit.clone(),
                ..request.clone()
            };
            println!("\n`mnpsync apply` (without --allow-rollback):");
            let Some(held) = demo
                .apply(&edited, &held_request, &show(true, None))
                .await?
                .map(|a| a.report)
            else {
                return Ok(ExitCode::FAILURE);
            };
            println!(
                "(`mnpsync apply` exits 1 here: a rollback is a decision a person makes with --allow-rollback.)"
            );

            step(7, "apply --allow-rollback: the rollback runs");
            let allowed = Request {
                options: PlanOptions {
                    allow_rollback: true,
                    ..PlanOptions::default()
                },
                ..held_request
            };
            let Some(rolled) = demo
                .apply(&edited, &allowed, &show(false, None))
                .await?
                .map(|a| a.report)
            else {
                return Ok(ExitCode::FAILURE);
            };
            demo.print_online();
            rollback_ok = held.results.is_empty()
                && matches!(held.held.as_slice(), [h] if h.why == HoldReason::NeedsAllowRollback)
                && did(&rolled, Action::Rollback, Outcome::RolledBack);
            final_desired = edited;
            final_request = allowed;
        }
    }

    step(8, "plan again: nothing left to do");
    let again = make_plan(
        Some(&client),
        &final_desired,
        &records.snapshot(),
        &final_request,
        &shutdown,
    )
    .await?;
    print!("{}", report::plan_text(&again.plan, args.rate_limit, false));

    let (lines, _) = read_journal(&state_dir)?;
    step(
        9,
        &format!(
            "the journal (.mnpsync/journal.jsonl in a real run): {} line(s), one JSON object each",
            lines.len()
        ),
    );
    print!("{}", journal_table(&lines));
    if let Some(last) = lines.last() {
        println!("The last line in full:\n{}", serde_json::to_string(last)?);
    }
    let calls = sim.sim.calls();
    println!(
        "\nThe simulator received {} call(s). Next: point --endpoint at it with `mnpsync sim`, or at the real API with TENCENTCLOUD_SECRET_ID/KEY set.",
        calls.len()
    );
    sim.shutdown().await;
    Ok(
        if first.converged()
            && did(&release, Action::Release, Outcome::Released)
            && rollback_ok
            && !again.plan.has_changes()
        {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}
