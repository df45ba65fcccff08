//! `mnpsync demo`: the whole flow against an in-process simulator, offline, in seconds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use tokio_util::sync::CancellationToken;

use mnpsync::apply::{ActionResult, ApplyOptions};
use mnpsync::manifest;
use mnpsync::reconcile::{Executor, Planned, Progress, Request, make_plan, reconcile};
use mnpsync::record::{Records, read_journal};
use mnpsync::report;
use mnpsync::sim::{Fixture, SimConfig, spawn};
use mnpsync::tcmpp::model::{ApprovalItem, ApprovalStatus, ProcessMnpApprovalRequest};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};

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

/// The simulator's starting state: 2590 of the shop is pending review, so the demo cancels it
/// before it submits 2597 of the same mini program.
const DEMO_FIXTURE: &str = include_str!("../../examples/demo-fixture.yaml");

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

/// Prints the plan, then each result, as the demo's steps 2 and 3.
struct Show {
    rate_limit: u32,
}

impl Progress for Show {
    fn planned(&self, planned: &Planned) {
        print!(
            "{}",
            report::plan_text(&planned.plan, self.rate_limit, false)
        );
        step(3, "apply");
    }

    fn result(&self, r: &ActionResult) {
        println!("{}", report::result_line(r));
    }
}

pub async fn exec(global: &Global, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let scratch = tempfile::tempdir().context("creating a temporary directory")?;
    let manifests = match args.path {
        Some(path) => path,
        None if Path::new("manifests").is_dir() => PathBuf::from("manifests"),
        None => {
            let dir = scratch.path().join("manifests");
            for (name, text) in BUILTIN_MANIFESTS {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap_or(&dir))?;
                std::fs::write(&path, text)?;
            }
            dir
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

    step(1, &format!("validate {}", manifests.display()));
    let desired = match manifest::load(std::slice::from_ref(&manifests)) {
        Ok(d) => d,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "{} manifest(s) valid in {} file(s)",
        desired.resources.len(),
        desired.files
    );

    step(2, "plan (refreshed from the simulator)");
    let records = Records::open(&state_dir)?;
    let request = Request {
        commit: mnpsync::git::commit(&manifests).await,
        ..Request::default()
    };
    let show = Show {
        rate_limit: args.rate_limit,
    };
    let shutdown = CancellationToken::new();
    let exec = Executor {
        client: &client,
        records: &records,
        options: &ApplyOptions::default(),
        shutdown: &shutdown,
        progress: &show,
    };
    let report = reconcile(&exec, &desired, &request).await?.report;
    println!("{}", report::apply_summary_line(&report));

    step(
        4,
        "a reviewer approves shop-2597 (ProcessMNPApproval on the simulator)",
    );
    let platform = "T04257DS9431720WTAG";
    let records_list = client
        .list_approvals(
            platform,
            Some(vec![ApprovalStatus::Processing.code()]),
            None,
        )
        .await?;
    let record = records_list
        .iter()
        .find(|r| r.mnp_version_id == Some(2597))
        .context("the simulator lists no processing approval for 2597")?;
    let approval_no = record.approval_no.clone().unwrap_or_default();
    let reply = client
        .process_mnp_approval(
            &ProcessMnpApprovalRequest {
                approval_no: approval_no.clone(),
                platform_id: platform.to_string(),
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

    step(5, "plan again: nothing left to do");
    let again = make_plan(
        Some(&client),
        &desired,
        &records.snapshot(),
        &request,
        &shutdown,
    )
    .await?;
    print!("{}", report::plan_text(&again.plan, args.rate_limit, true));

    step(6, "the journal (.mnpsync/journal.jsonl in a real run)");
    let (lines, _) = read_journal(&state_dir)?;
    for line in &lines {
        println!("{}", serde_json::to_string(line)?);
    }
    let calls = sim.sim.calls();
    println!(
        "\nThe simulator received {} call(s). Next: point --endpoint at it with `mnpsync sim`, or at the real API with TENCENTCLOUD_SECRET_ID/KEY set.",
        calls.len()
    );
    sim.shutdown().await;
    Ok(if report.converged() && !again.plan.has_changes() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
