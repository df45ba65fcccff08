//! The first hour of a release team: exit codes they can branch on, errors that name what is
//! wrong, plan rows that read as what they are, an honest commit, a `status` that says where it
//! looked, help and README that agree, and watch logs a machine can read.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncBufReadExt as _;

use crate::util::{
    self, DEADLINE, Env, PLATFORM, eventually, labelled_manifest_doc, manifest_doc, mnpsync,
    repo_file,
};

/// Shop versions 2595 (its last request cancelled) and 2596 (pending review) of one mini
/// program; 2597 and 2598 never submitted.
const SHOP: &str = r#"
platforms:
  - id: T04257DS9431720WTAG
    mini_programs:
      - id: mnp-shop
        name: Shop
        versions:
          - {id: 2595, version: "3.0.0"}
          - {id: 2596, version: "3.1.0"}
          - {id: 2597, version: "3.2.0"}
      - id: mnp-news
        name: News
        versions:
          - {id: 1, version: "1.0.0"}
          - {id: 2, version: "1.1.0"}
          - {id: 3, version: "1.2.0"}
          - {id: 4, version: "1.3.0"}
    approvals:
      - {version: 2595, status: cancelled}
      - {version: 2596, status: processing}
      - {version: 1, status: processing}
      - {version: 2, status: approved}
      - {version: 3, status: rejected, note: "blurry screenshots"}
"#;

/// `mnpsync ARGS` with nothing from the environment, run to completion.
async fn bare(args: &[&str]) -> util::Run {
    util::run(mnpsync(args)).await
}

// 1 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_64_and_help_and_version_exit_0() {
    for args in [
        &["plan", "--detailed-exitcodes"][..],
        &["apply", "--plan", "plan.json", "--prune"],
        &["apply", "--plan", "plan.json", "--selector", "team=a"],
        &["plan", "--format", "yaml"],
        &["plan", "--rate-limit", "0"],
        &["frobnicate"],
        &[],
    ] {
        let run = bare(args).await;
        run.expect(64, &format!("mnpsync {args:?}"));
        // clap's own message (without a command: the help, on stderr).
        assert!(
            run.stderr.starts_with("error: ") || run.stderr.contains("Usage: mnpsync"),
            "{run:?}"
        );
        assert!(run.stdout.is_empty(), "{run:?}");
    }
    for args in [
        &["--help"][..],
        &["--version"],
        &["plan", "--help"],
        &["help"],
    ] {
        bare(args).await.expect(0, &format!("mnpsync {args:?}"));
    }
}

// 2 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_fails_naming_every_platform_it_could_not_list_and_plan_falls_back() {
    let env = Env::with_fixture(SHOP).await;
    env.manifest(
        "apps.yaml",
        &[
            manifest_doc("shop-2597", PLATFORM, 2597, "submitted"),
            manifest_doc("lost-1", "TUNKNOWNPLATFORMA01", 1, "submitted"),
            manifest_doc("lost-2", "TUNKNOWNPLATFORMB02", 2, "submitted"),
        ]
        .join("---\n"),
    );
    let apply = env.run(&["apply"]).await;
    apply.assert_code(1);
    assert!(apply.stdout.is_empty(), "{apply:?}");
    let error = apply.stderr.lines().last().unwrap_or_default();
    assert!(
        error.starts_with("error: refresh failed for 2 platforms: TUNKNOWNPLATFORMA01: ")
            && error.contains("; TUNKNOWNPLATFORMB02: ")
            && error
                .ends_with("; nothing was sent (--no-refresh applies from the state file instead)"),
        "{apply:?}"
    );
    assert!(
        env.seen()
            .iter()
            .all(|c| c.starts_with("DescribeMNPApprovalList")),
        "no call but listings: {:?}",
        env.seen()
    );

    let plan = env.run(&["plan"]).await;
    plan.assert_code(0);
    assert!(
        plan.stdout
            .starts_with("mnpsync plan — commit none (not a git repository); observed state from the state file (not refreshed)"),
        "{plan:?}"
    );
    assert!(
        plan.stderr
            .contains("refresh failed for 2 platforms: TUNKNOWNPLATFORMA01: ")
            && plan.stderr.contains("TUNKNOWNPLATFORMB02: ")
            && plan.stderr.contains("planning from the state file instead"),
        "{plan:?}"
    );
}

// 3 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selector_that_matches_nothing_says_so_for_plan_apply_and_watch() {
    let env = Env::new().await;
    env.manifest(
        "apps.yaml",
        &[
            labelled_manifest_doc("pay-1", &[("team", "payments")], PLATFORM, 1, "submitted"),
            labelled_manifest_doc("shop-2", &[("team", "retail")], PLATFORM, 2, "submitted"),
        ]
        .join("---\n"),
    );
    let expected = "error: --selector team=paymnets matches no manifest (labels in use: team=payments, team=retail)\n";
    for command in ["plan", "apply", "watch"] {
        let run = env.run(&[command, "--selector", "team=paymnets"]).await;
        run.expect(1, command);
        assert_eq!(run.stderr, expected, "{command}: {run:?}");
        assert!(run.stdout.is_empty(), "{command}: {run:?}");
    }
    assert_eq!(env.seen(), Vec::<String>::new(), "no call at all");
    let run = env.run(&["plan", "--selector", "taem=payments"]).await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("(labels in use: team=payments, team=retail)"),
        "an unknown key lists every label: {run:?}"
    );
    env.run(&["plan", "--selector", "team=payments"])
        .await
        .assert_code(0);
}

// 4 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_of_a_saved_plan_prints_json_and_names_other_paths() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    std::fs::create_dir_all(env.path().join("other")).unwrap();
    std::fs::write(
        env.path().join("other/b.yaml"),
        manifest_doc("app-2", PLATFORM, 2, "submitted"),
    )
    .unwrap();
    env.run(&["plan", "--out", "plan.json"])
        .await
        .assert_code(0);

    let other = env.run(&["apply", "other", "--plan", "plan.json"]).await;
    other.assert_code(64);
    assert!(
        other.stderr.contains(
            "error: the plan was made from other manifest paths: manifests/a.yaml is not under other;"
        ),
        "{other:?}"
    );

    let first = env
        .run(&["apply", "--plan", "plan.json", "--format", "json"])
        .await;
    first.assert_code(0);
    let report = first.json();
    assert_eq!(report["already_applied"], false, "{first:?}");
    assert_eq!(report["results"].as_array().map(Vec::len), Some(1));

    let again = env
        .run(&["apply", "--plan", "plan.json", "--format", "json"])
        .await;
    again.assert_code(0);
    let again = again.json();
    assert_eq!(again["already_applied"], true);
    assert_eq!(again["plan_file"], "plan.json");
    assert_eq!(again["results"], Value::Array(vec![]));

    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "cancelled"));
    env.run(&["plan", "--out", "plan2.json"])
        .await
        .assert_code(0);
    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    let stale = env.run(&["apply", "--plan", "plan2.json"]).await;
    stale.assert_code(1);
    assert!(
        stale
            .stderr
            .contains("the plan is stale: the manifests changed since it was made; plan again"),
        "{stale:?}"
    );
}

// 5 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_attention_exits_3_before_changes() {
    let env = Env::with_fixture(SHOP).await;
    env.manifest(
        "news.yaml",
        &[
            manifest_doc("news-3", PLATFORM, 3, "submitted"),
            manifest_doc("news-4", PLATFORM, 4, "submitted"),
        ]
        .join("---\n"),
    );
    env.run(&["plan"]).await.assert_code(0);
    env.run(&["plan", "--detailed-exitcode"])
        .await
        .assert_code(2);
    env.run(&["plan", "--fail-on-attention"])
        .await
        .assert_code(3);
    env.manifest(
        "news.yaml",
        &manifest_doc("news-4", PLATFORM, 4, "submitted"),
    );
    env.run(&["plan", "--fail-on-attention"])
        .await
        .assert_code(2);
}

// 6 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_another_versions_pending_request_would_block_is_flagged() {
    let env = Env::with_fixture(SHOP).await;
    env.manifest(
        "shop.yaml",
        &manifest_doc("shop-2595", PLATFORM, 2595, "submitted"),
    );
    let note = "mnp-shop has 2596 processing: this submit will be blocked unless 2596 is declared cancelled";
    let plan = env.run(&["plan", "--out", "plan.json"]).await;
    plan.assert_code(0);
    let row = plan
        .stdout_lines()
        .into_iter()
        .find(|l| l.starts_with("  + submit"))
        .unwrap_or_else(|| panic!("{plan:?}"));
    assert!(row.ends_with(&format!("({note})")), "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 1 to submit, 0 to cancel, 0 unchanged, 1 need attention."),
        "{plan:?}"
    );
    let json = env.run(&["plan", "--format", "json"]).await;
    assert_eq!(json.json()["resources"][0]["attention"], note);

    // The saved plan with the note is applied as it is (not "tampered"): the submit is blocked.
    let apply = env.run(&["apply", "--plan", "plan.json"]).await;
    apply.assert_code(1);
    assert!(apply.stdout.contains("blocked"), "{apply:?}");
    assert!(!apply.stderr.contains("tampered"), "{apply:?}");

    env.manifest(
        "shop.yaml",
        &[
            manifest_doc("shop-2595", PLATFORM, 2595, "submitted"),
            manifest_doc("shop-2596", PLATFORM, 2596, "cancelled"),
        ]
        .join("---\n"),
    );
    let plan = env.run(&["plan"]).await;
    plan.assert_code(0);
    assert!(!plan.stdout.contains("will be blocked"), "{plan:?}");
    assert!(
        plan.stdout
            .contains("Plan: 1 to submit, 1 to cancel, 0 unchanged."),
        "{plan:?}"
    );
}

// 7 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_rows_and_counts_read_as_what_they_are() {
    let env = Env::with_fixture(SHOP).await;
    env.manifest(
        "news.yaml",
        &[
            manifest_doc("news-1", PLATFORM, 1, "submitted"),
            manifest_doc("news-2", PLATFORM, 2, "submitted"),
            manifest_doc("news-3", PLATFORM, 3, "submitted"),
            manifest_doc("news-4", PLATFORM, 4, "cancelled"),
        ]
        .join("---\n"),
    );
    let plan = env.run(&["plan", "--all"]).await;
    plan.assert_code(0);
    let row = |version: &str| {
        plan.stdout_lines()
            .into_iter()
            .find(|l| l.contains(&format!("{PLATFORM}/{version} ")))
            .unwrap_or_else(|| panic!("no row {version}: {plan:?}"))
            .to_string()
    };
    assert!(row("1").contains("  processing (in place)  "), "{plan:?}");
    assert!(!row("1").contains('→'), "{plan:?}");
    assert!(row("3").contains("  rejected (no call)  "), "{plan:?}");
    assert!(
        plan.stdout
            .contains("No changes. 3 version(s) match their manifests; 1 need attention."),
        "{plan:?}"
    );
    let markdown = env.run(&["plan", "--format", "markdown"]).await;
    let rejected = markdown
        .stdout_lines()
        .into_iter()
        .find(|l| l.contains("/3`"))
        .unwrap_or_else(|| panic!("{markdown:?}"))
        .to_string();
    assert_eq!(rejected.matches("rejected by").count(), 1, "{rejected}");

    // A version in the records that no manifest declares any more is "no longer managed".
    env.run(&["apply"]).await.assert_code(0);
    env.manifest(
        "news.yaml",
        &[
            manifest_doc("news-2", PLATFORM, 2, "submitted"),
            manifest_doc("news-3", PLATFORM, 3, "submitted"),
            manifest_doc("news-4", PLATFORM, 4, "cancelled"),
        ]
        .join("---\n"),
    );
    let plan = env.run(&["plan", "--all"]).await;
    plan.assert_code(0);
    assert!(
        plan.stdout.lines().any(|l| l.starts_with("    unmanaged")
            && l.contains(&format!("{PLATFORM}/1 "))
            && l.contains("news-1")
            && l.contains("(no longer managed:")),
        "{plan:?}"
    );
    let short = env.run(&["plan"]).await;
    assert!(
        short.stdout.contains(
            "1 version(s) in the records are no longer managed (no manifest declares them; --all lists them)."
        ),
        "{short:?}"
    );
    let json = env.run(&["plan", "--format", "json"]).await.json();
    assert_eq!(
        json["unmanaged"],
        serde_json::json!([{"key": format!("{PLATFORM}/1"), "name": "news-1", "observed": "processing"}])
    );
}

// 8 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncommitted_manifests_are_recorded_as_a_dirty_commit() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    env.git(&["init", "-q"]);
    env.git(&["add", "manifests"]);
    env.git(&["commit", "-q", "-m", "manifests"]);
    let head = env.git(&["rev-parse", "HEAD"]);

    let clean = env.run(&["plan", "--format", "json"]).await;
    assert_eq!(clean.json()["commit"], head.as_str());

    env.manifest("b.yaml", &manifest_doc("app-2", PLATFORM, 2, "submitted"));
    let dirty = env.run(&["plan"]).await;
    dirty.assert_code(0);
    assert!(
        dirty.stdout.starts_with(&format!(
            "mnpsync plan — commit {}…-dirty (uncommitted changes);",
            &head[..17]
        )),
        "{dirty:?}"
    );
    env.run(&["apply"]).await.assert_code(0);
    let journal = env.journal();
    assert!(!journal.is_empty());
    for line in &journal {
        assert_eq!(line.commit, Some(format!("{head}-dirty")), "{line:?}");
    }
}

// 9 -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_names_its_directory_shows_messages_and_marks_what_is_no_longer_declared() {
    let env = Env::with_fixture(SHOP).await;
    let none = env.run(&["status"]).await;
    none.assert_code(1);
    assert_eq!(
        none.stderr,
        format!(
            "error: no state directory at {} (run apply first, or pass --state-dir)\n",
            env.state_dir.display()
        )
    );

    env.manifest(
        "shop.yaml",
        &[
            manifest_doc("shop-2597", PLATFORM, 2597, "submitted"),
            manifest_doc("news-4", PLATFORM, 4, "submitted"),
        ]
        .join("---\n"),
    );
    env.run(&["apply"]).await.assert_code(1);
    let status = env.run(&["status"]).await;
    status.assert_code(0);
    let lines = status.stdout_lines();
    assert_eq!(
        lines[0],
        format!(
            "State directory {}: 2 version(s) recorded (pass the manifest PATHs to mark versions no longer declared).",
            env.state_dir.display()
        )
    );
    assert!(lines[1].starts_with("VERSION") && lines[1].ends_with("MESSAGE"));
    let blocked = lines
        .iter()
        .find(|l| l.starts_with(&format!("{PLATFORM}/2597 ")))
        .unwrap_or_else(|| panic!("{status:?}"));
    assert!(
        blocked.contains(" blocked ") && blocked.contains("2596"),
        "the reason for blocked: {status:?}"
    );

    env.manifest(
        "shop.yaml",
        &manifest_doc("news-4", PLATFORM, 4, "submitted"),
    );
    let status = env.run(&["status", "manifests"]).await;
    status.assert_code(0);
    assert!(
        status.stdout_lines()[0]
            .ends_with("2 version(s) recorded, 1 no longer declared by the manifests given."),
        "{status:?}"
    );
    let gone = status
        .stdout_lines()
        .into_iter()
        .find(|l| l.starts_with(&format!("{PLATFORM}/2597 ")))
        .unwrap()
        .to_string();
    assert!(gone.contains("  no longer declared  "), "{status:?}");
}

// 10 ------------------------------------------------------------------------------------------

/// The options of a help text by section (`Options`, `Client options`, `Global options`).
fn help_sections(help: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut sections: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            current = line.trim_end_matches(':').to_string();
            continue;
        }
        let trimmed = line.trim_start();
        if !trimmed.starts_with('-') {
            continue;
        }
        let (spec, description) = trimmed.split_once("  ").unwrap_or((trimmed, ""));
        assert!(
            !description.trim().is_empty(),
            "{current}: {spec} has no description"
        );
        for name in flag_names(spec) {
            sections.entry(current.clone()).or_default().insert(name);
        }
    }
    sections
}

/// `--out`, `-v` … of a text such as `-v, --verbose...` or `` `--out FILE` ``.
fn flag_names(text: &str) -> Vec<String> {
    text.split([',', ' ', '`', '/'])
        .map(|word| {
            word.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|name| name.starts_with('-') && name.chars().any(|c| c.is_ascii_alphanumeric()))
        .collect()
}

/// The README's flag tables: `#### TITLE` → the flags of the first cells of its table rows.
fn readme_tables() -> BTreeMap<String, BTreeSet<String>> {
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = None;
    for line in repo_file("README.md").lines() {
        if let Some(title) = line.strip_prefix("#### ") {
            current = Some(title.to_string());
            tables.entry(title.to_string()).or_default();
        } else if line.starts_with("## ") || line.starts_with("### ") {
            current = None;
        } else if let (Some(title), Some(row)) = (&current, line.strip_prefix('|')) {
            let cell = row.split('|').next().unwrap_or_default();
            tables.get_mut(title).unwrap().extend(flag_names(cell));
        }
    }
    tables
}

#[test]
fn help_lists_only_the_flags_each_command_uses_and_the_readme_agrees() {
    let readme = readme_tables();
    let table = |title: &str| {
        readme
            .iter()
            .find(|(t, _)| t.starts_with(title))
            .map(|(_, flags)| flags.clone())
            .unwrap_or_else(|| panic!("README has no `#### {title}…` table: {readme:#?}"))
    };
    let help_of = |args: &[&str]| {
        let output = mnpsync(args).output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let top = help_sections(&help_of(&["--help"]));
    let global = top["Global options"].clone();
    assert_eq!(global, table("Global options"), "README's global options");
    let client_table = table("Client options");
    let manifest_table = table("Manifest options");
    let own: BTreeSet<String> = ["-h", "--help", "-V", "--version"].map(String::from).into();
    for command in [
        "validate", "plan", "apply", "status", "sim", "demo", "watch",
    ] {
        let text = help_of(&[command, "--help"]);
        let sections = help_sections(&text);
        assert_eq!(
            sections.get("Global options"),
            Some(&global),
            "{command}: global options in their own section"
        );
        let flags: BTreeSet<String> = sections
            .get("Options")
            .cloned()
            .unwrap_or_default()
            .difference(&own)
            .cloned()
            .collect();
        assert_eq!(
            flags,
            table(&format!("`mnpsync {command}")),
            "{command}: README's table"
        );
        let manifest_options = sections.get("Manifest options");
        if ["validate", "plan", "apply", "watch", "status"].contains(&command) {
            assert_eq!(
                manifest_options,
                Some(&manifest_table),
                "{command}: manifest options"
            );
        } else {
            assert_eq!(manifest_options, None, "{command}: no manifest options");
        }
        let client = sections.get("Client options");
        if ["plan", "apply", "watch"].contains(&command) {
            assert_eq!(client, Some(&client_table), "{command}: client options");
        } else {
            assert_eq!(client, None, "{command}: no client options");
            for unused in [
                "--endpoint",
                "--concurrency",
                "--timeout",
                "--profile",
                "--journal-keep",
            ] {
                assert!(!text.contains(unused), "{command} lists {unused}");
            }
        }
    }
    let sim = help_of(&["sim", "--help"]);
    let rate = sim.lines().find(|l| l.contains("--rate-limit")).unwrap();
    assert!(
        rate.contains("simulator") && !rate.contains("[env:"),
        "{rate}"
    );
}

// 11 ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_with_json_logs_writes_only_json_lines_and_names_the_health_address_once() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    let mut command = env.command(&[
        "watch",
        "--log-format",
        "json",
        "--health-addr",
        "127.0.0.1:0",
        "--interval",
        "1s",
        "--debounce",
        "50ms",
    ]);
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("watch starts");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let reader = tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    let log = || lines.lock().unwrap().join("\n");
    eventually("the health address is logged", log, || {
        let found = lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("health on"));
        async move { found }
    })
    .await;
    eventually("the first reconcile submits", log, || {
        let done = !env.journal().is_empty();
        async move { done }
    })
    .await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("watch exits after SIGTERM")
        .unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    assert_eq!(status.code(), Some(0), "{}", log());
    let lines = lines.lock().unwrap().clone();
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let health: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("health on http://"))
        })
        .collect();
    assert_eq!(health.len(), 1, "announced once: {lines:#?}");
    let addr = health[0]["fields"]["addr"].as_str().expect("an addr field");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert_eq!(
        health[0]["fields"]["message"],
        format!("health on http://{addr}")
    );
}

/// Point 10: `spec.region` is checked against Tencent Cloud's region names: an obvious typo is
/// a located error with the region it means; a well-formed unknown name is a warning.
#[tokio::test]
async fn a_region_typo_is_an_error_and_an_unknown_region_a_warning() {
    let env = Env::new().await;
    let doc = |region: &str| {
        format!(
            "{}  region: {region}\n",
            crate::util::manifest_doc("app-1", "T1", 1, "submitted")
        )
    };
    env.manifest("a.yaml", &doc("guangzhou"));
    let typo = env.run(&["validate"]).await;
    typo.assert_code(1);
    assert!(
        typo.stderr.contains(
            "manifests/a.yaml:9:11: invalid value for `spec.region`: \"guangzhou\" is not a Tencent Cloud region name; did you mean `ap-guangzhou`?"
        ),
        "{}",
        typo.stderr
    );
    env.manifest("a.yaml", &doc("ap-newcity"));
    let unknown = env.run(&["validate"]).await;
    unknown.assert_code(0);
    assert!(
        unknown
            .stderr
            .contains("manifests/a.yaml:1: region \"ap-newcity\" is not one of the Tencent Cloud regions mnpsync knows"),
        "{}",
        unknown.stderr
    );
}
