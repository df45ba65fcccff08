//! Nothing lost, nothing leaked: kill -9 at many points of an apply, the records' write-ahead
//! log, "not sent" that is true, confirmed "already" answers, and state directories that
//! cannot be used.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;

use mnpsync::manifest::Key;
use mnpsync::record::{Event, Outcome, recover};
use mnpsync::sim::SimConfig;

use crate::util::{
    Env, PLATFORM, create_failed, describe, eventually, manifest_doc, manifest_docs,
};

const VERSIONS: i64 = 40;

fn names() -> Vec<String> {
    (1..=VERSIONS).map(|v| format!("app-{v}")).collect()
}

fn all_manifests(env: &Env, versions: impl Iterator<Item = i64>) {
    let names = names();
    let docs: Vec<(&str, &str, i64, &str)> = versions
        .map(|v| (names[v as usize - 1].as_str(), PLATFORM, v, "submitted"))
        .collect();
    env.manifest("apps.yaml", &manifest_docs(&docs));
}

/// The approval number the simulator holds for each version (each must have exactly one).
fn sim_approvals(env: &Env) -> BTreeMap<i64, String> {
    let mut numbers = BTreeMap::new();
    for a in env.sim().approvals() {
        let v = a.record.mnp_version_id.expect("a version");
        let no = a.record.approval_no.clone().expect("a number");
        assert!(
            numbers.insert(v, no).is_none(),
            "two approvals for version {v}: submitted twice"
        );
    }
    numbers
}

/// Kills an apply with SIGKILL once the simulator has received `calls` submits; returns the
/// environment with the half-done state directory.
async fn killed_after(calls: usize) -> Env {
    let env = Env::with_config(SimConfig {
        // Fast, but slow enough that several calls are in flight at the kill.
        rate_limit: 0,
        latency_ms: Some((5, 40)),
        ..SimConfig::default()
    })
    .await;
    all_manifests(&env, 1..=VERSIONS);
    let log = |name: &str| Stdio::from(std::fs::File::create(env.path().join(name)).unwrap());
    let mut command = env.command(&["apply", "--rate-limit", "400", "--concurrency", "8"]);
    command.stdout(log("first.out")).stderr(log("first.err"));
    let mut child = command.spawn().expect("mnpsync starts");
    let submits = || {
        env.calls()
            .iter()
            .filter(|c| c.action == "CreateMNPApproval")
            .count()
    };
    eventually(
        &format!("the simulator has received {calls} submits"),
        || std::fs::read_to_string(env.path().join("first.err")).unwrap_or_default(),
        || std::future::ready(submits() >= calls),
    )
    .await;
    child.kill().await.expect("SIGKILL");
    assert_eq!(child.wait().await.unwrap().code(), None, "killed");
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_ten_points_loses_no_outcome_and_no_ownership() {
    for calls in [1, 4, 8, 12, 16, 20, 24, 28, 32, 36] {
        let env = killed_after(calls).await;
        let context = format!("killed after {calls} submits");

        // Every outcome in the journal is in the state once the directory is reopened.
        let (journal, _) = mnpsync::record::read_journal(&env.state_dir).unwrap();
        let (state, recovery) = recover(&env.state_dir).unwrap();
        let mut last: BTreeMap<Key, Outcome> = BTreeMap::new();
        for line in journal.iter().filter(|l| l.event == Event::Outcome) {
            last.insert(line.key.clone(), line.outcome.unwrap());
        }
        for (key, outcome) in &last {
            assert_eq!(
                state.entries[key].last_outcome,
                Some(*outcome),
                "{context}: {key} (replayed {} lines)",
                recovery.replayed
            );
        }
        // Every submit the simulator accepted has an intent on disk (written before the call).
        let intents: BTreeSet<i64> = journal
            .iter()
            .filter(|l| l.event == Event::Intent)
            .map(|l| l.key.mnp_version_id)
            .collect();
        let accepted: BTreeSet<i64> = sim_approvals(&env).keys().copied().collect();
        assert!(accepted.is_subset(&intents), "{context}");

        // A rerun converges without a duplicate approval; one more run settles every claim.
        env.run(&["apply", "--rate-limit", "400"])
            .await
            .assert_code(0);
        env.run(&["apply", "--rate-limit", "400"])
            .await
            .expect(0, &context);
        let numbers = sim_approvals(&env);
        assert_eq!(numbers.len(), VERSIONS as usize, "{context}");
        let state = env.state();
        for (v, no) in &numbers {
            let entry = &state.entries[&Key::new(PLATFORM, *v)];
            assert!(entry.submitted_by_mnpsync, "{context}: version {v}");
            assert_eq!(
                entry.owned_approval.as_deref(),
                Some(no.as_str()),
                "{context}: version {v} is mnpsync's approval"
            );
        }

        // Pruning a reduced set cancels exactly the versions mnpsync submitted and no manifest
        // declares any more.
        all_manifests(&env, 1..=VERSIONS - 5);
        let plan = env
            .run(&["plan", "--prune", "--format", "json"])
            .await
            .expect(0, &context)
            .json();
        let cancels: BTreeSet<i64> = plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "cancel")
            .map(|r| r["mnp_version_id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            cancels,
            (VERSIONS - 4..=VERSIONS).collect::<BTreeSet<_>>(),
            "{context}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_from_the_first_format_is_upgraded_with_a_backup() {
    let env = Env::new().await;
    all_manifests(&env, 1..=2);
    std::fs::create_dir_all(&env.state_dir).unwrap();
    // Version 1's submit made it into the old checkpoint; version 2's outcome only into the
    // journal (the old format rewrote the state every 50 outcomes).
    std::fs::write(
        env.state_dir.join("state.json"),
        r#"{"format_version": 1, "entries": {"T04257DS9431720WTAG/1": {
            "name": "app-1", "region": null, "observed": "processing", "last_action": "submit",
            "last_outcome": "submitted", "submitted_by_mnpsync": true,
            "updated_at": "2026-01-01T00:00:01Z", "commit": null, "request_id": "r1",
            "error_code": null, "message": null}}}"#,
    )
    .unwrap();
    let line = |v: i64, event: &str, outcome: &str, ts: &str| {
        format!(
            r#"{{"ts":"{ts}","run_id":"old","event":"{event}","key":"{PLATFORM}/{v}","name":"app-{v}","action":"submit","outcome":{outcome},"error_code":null,"message":null,"request_id":null,"attempts":1,"duration_ms":1,"commit":null}}"#
        )
    };
    let journal = [
        line(1, "intent", "null", "2026-01-01T00:00:00Z"),
        line(1, "outcome", "\"submitted\"", "2026-01-01T00:00:01Z"),
        line(2, "intent", "null", "2026-01-01T00:00:02Z"),
        line(2, "outcome", "\"submitted\"", "2026-01-01T00:00:03Z"),
    ]
    .join("\n");
    std::fs::write(env.state_dir.join("journal.jsonl"), journal + "\n").unwrap();
    let old_state = std::fs::read(env.state_dir.join("state.json")).unwrap();

    // `status` reads the upgraded view without writing.
    let status = env.run(&["status", "--format", "json"]).await;
    status.assert_code(0);
    assert!(status.stdout.contains("app-2"), "{status:?}");

    env.run(&["apply", "--no-refresh"]).await.assert_code(0);
    assert_eq!(
        std::fs::read(env.state_dir.join("state.json.v1.bak")).unwrap(),
        old_state,
        "the old file is kept"
    );
    let state = env.state();
    assert_eq!(state.format_version, 2);
    let two = &state.entries[&Key::new(PLATFORM, 2)];
    assert_eq!(two.last_outcome, Some(Outcome::Submitted));
    assert!(two.submitted_by_mnpsync, "the journal's outcome is kept");
    // Both versions were known processing: no call at all.
    assert!(env.calls().is_empty(), "{:?}", env.seen());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_state_directories_fail_before_any_call() {
    let env = Env::new().await;
    all_manifests(&env, 1..=1);
    let file = env.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let run = env
        .run(&["apply", "--state-dir", file.to_str().unwrap()])
        .await;
    run.assert_code(1);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: state directory {} is a file, not a directory; pass --state-dir a directory",
            file.display()
        )
    );
    // A directory that cannot be created or written (procfs refuses even root).
    let run = env
        .run(&["apply", "--state-dir", "/proc/mnpsync-state"])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("state directory /proc/mnpsync-state cannot be written"),
        "{run:?}"
    );
    // A state file of a newer mnpsync is refused by name.
    std::fs::create_dir_all(&env.state_dir).unwrap();
    std::fs::write(
        env.state_dir.join("state.json"),
        r#"{"format_version": 99, "entries": {}}"#,
    )
    .unwrap();
    let run = env.run(&["apply"]).await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("written by a newer mnpsync (format_version 99; this one reads up to 2)"),
        "{run:?}"
    );
    assert!(env.calls().is_empty(), "no call: {:?}", env.seen());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_that_meets_an_approval_is_blocked_not_already_cancelled() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-7", PLATFORM, 7, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    env.sim()
        .process_version(PLATFORM, 7, true)
        .expect("the reviewer approves");
    env.manifest("a.yaml", &manifest_doc("app-7", PLATFORM, 7, "cancelled"));
    env.clear_calls();
    // Planned from the records (processing): a cancel, which meets the approval.
    let run = env.run(&["apply", "--no-refresh"]).await;
    run.assert_code(1);
    assert_eq!(
        env.seen(),
        vec![
            create_failed(
                "cancel",
                PLATFORM,
                7,
                "InvalidParameterValue.MNPApprovalStatusError"
            ),
            describe(PLATFORM)
        ]
    );
    let journal = env.journal();
    let last = journal.last().unwrap();
    assert_eq!(last.outcome, Some(Outcome::Blocked));
    assert_eq!(
        last.message.as_deref(),
        Some("blocked: approved before the cancel arrived; it cannot be cancelled")
    );
    assert_ne!(
        env.state().entries[&Key::new(PLATFORM, 7)].last_outcome,
        Some(Outcome::AlreadyCancelled)
    );
    // A rejected version: nothing pending, and the message says why.
    env.manifest("b.yaml", &manifest_doc("app-8", PLATFORM, 8, "submitted"));
    env.run(&["apply", "manifests/b.yaml"]).await.assert_code(0);
    env.sim().process_version(PLATFORM, 8, false).unwrap();
    env.manifest("b.yaml", &manifest_doc("app-8", PLATFORM, 8, "cancelled"));
    env.clear_calls();
    let run = env
        .run(&["apply", "--no-refresh", "manifests/b.yaml"])
        .await;
    run.assert_code(0);
    assert_eq!(
        env.seen()[0],
        create_failed(
            "cancel",
            PLATFORM,
            8,
            "InvalidParameterValue.MNPApprovalStatusError"
        )
    );
    let last = env.journal().last().cloned().unwrap();
    assert_eq!(last.outcome, Some(Outcome::AlreadyCancelled));
    assert!(
        last.message.unwrap().contains("the reviewer rejected it"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_sent_is_only_said_of_requests_that_never_left() {
    // Every request fails with InternalError (before the simulator acts), so each call retries
    // with backoff; a low rate limit keeps most calls waiting. SIGTERM withdraws the rest.
    let env = Env::with_config(SimConfig {
        fault_rate: 1.0,
        rate_limit: 0,
        seed: Some(7),
        ..SimConfig::default()
    })
    .await;
    all_manifests(&env, 1..=12);
    let log = |name: &str| Stdio::from(std::fs::File::create(env.path().join(name)).unwrap());
    let mut command = env.command(&[
        "apply",
        "--no-refresh",
        "--rate-limit",
        "4",
        "--concurrency",
        "12",
    ]);
    command.stdout(log("out")).stderr(log("err"));
    let child = command.spawn().expect("mnpsync starts");
    let pid = child.id().expect("a pid");
    eventually(
        "three requests reached the simulator",
        || std::fs::read_to_string(env.path().join("err")).unwrap_or_default(),
        || std::future::ready(env.calls().len() >= 3),
    )
    .await;
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(1));

    let mut received: BTreeMap<i64, u32> = BTreeMap::new();
    for call in env.calls() {
        if let Some(v) = call.params["MNPVersionId"].as_i64() {
            *received.entry(v).or_default() += 1;
        }
    }
    let journal = env.journal();
    let outcomes: Vec<_> = journal
        .iter()
        .filter(|l| l.event == Event::Outcome)
        .collect();
    assert_eq!(
        outcomes.len(),
        12,
        "every action has its outcome: {journal:?}"
    );
    let sent = outcomes.iter().filter(|l| l.attempts > 0).count();
    assert!(
        sent > 0 && sent < 12,
        "both kinds were seen: {sent} sent, {} never left",
        12 - sent
    );
    for line in outcomes {
        let v = line.key.mnp_version_id;
        let sent = received.get(&v).copied().unwrap_or(0);
        assert_eq!(
            line.attempts, sent,
            "version {v}: attempts = requests received"
        );
        let message = line.message.clone().unwrap_or_default();
        if sent == 0 {
            assert!(message.starts_with("not sent: "), "version {v}: {message}");
        } else {
            assert!(
                message.starts_with("effect unknown: ") || message.starts_with("gave up after"),
                "version {v} was sent {sent} time(s): {message}"
            );
            assert!(!message.starts_with("not sent"), "{message}");
        }
    }
}

/// Starts `apply ARGS` against a simulator that answers after `latency_ms`, with stdout and
/// stderr in files; returns the child once the simulator has received a call of `action`.
async fn apply_until_call(env: &Env, args: &[&str], action: &str) -> tokio::process::Child {
    let log = |name: &str| Stdio::from(std::fs::File::create(env.path().join(name)).unwrap());
    let mut all = vec!["apply"];
    all.extend_from_slice(args);
    let mut command = env.command(&all);
    command.stdout(log("out")).stderr(log("err"));
    let child = command.spawn().expect("mnpsync starts");
    eventually(
        &format!("the simulator received {action}"),
        || std::fs::read_to_string(env.path().join("err")).unwrap_or_default(),
        || std::future::ready(env.calls().iter().any(|c| c.action == action)),
    )
    .await;
    child
}

fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().expect("a pid").to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_refresh_exits_1_saying_nothing_was_sent() {
    let env = Env::with_config(SimConfig {
        latency_ms: Some((3000, 3000)),
        ..SimConfig::default()
    })
    .await;
    all_manifests(&env, 1..=2);
    let child = apply_until_call(&env, &[], "DescribeMNPApprovalList").await;
    signal(&child, "TERM");
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = std::fs::read_to_string(env.path().join("err")).unwrap();
    assert!(
        err.contains("error: shutdown requested while refreshing; nothing was sent"),
        "{err}"
    );
    assert!(env.calls().iter().all(|c| c.action != "CreateMNPApproval"));
    assert!(env.journal().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_interrupt_exits_at_once_and_the_next_run_settles_what_was_in_flight() {
    let env = Env::with_config(SimConfig {
        latency_ms: Some((2000, 2000)),
        ..SimConfig::default()
    })
    .await;
    all_manifests(&env, 1..=1);
    // With a refresh first, the submit's intent carries its claim baseline (no approval yet).
    let child = apply_until_call(&env, &[], "CreateMNPApproval").await;
    signal(&child, "INT");
    eventually(
        "the first interrupt is acknowledged",
        || std::fs::read_to_string(env.path().join("err")).unwrap_or_default(),
        || {
            let err = std::fs::read_to_string(env.path().join("err")).unwrap_or_default();
            std::future::ready(err.contains("shutdown requested"))
        },
    )
    .await;
    signal(&child, "INT");
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(130));
    let err = std::fs::read_to_string(env.path().join("err")).unwrap();
    assert!(
        err.contains("error: second interrupt: exiting now"),
        "{err}"
    );
    // The call in flight has its intent on disk, and no outcome.
    let journal = env.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0].event, Event::Intent);
    // The simulator acted; the next run sees it and the approval is mnpsync's.
    env.run(&["apply"]).await.assert_code(0);
    let state = env.state();
    let entry = &state.entries[&Key::new(PLATFORM, 1)];
    assert_eq!(
        entry.owned_approval.as_deref(),
        Some(sim_approvals(&env)[&1].as_str())
    );
    assert!(entry.submitted_by_mnpsync);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_endpoint_elsewhere_is_refused_for_what_it_is() {
    let env = Env::new().await;
    all_manifests(&env, 1..=1);
    let run = env
        .run(&["plan", "--endpoint", "http://tcmpp.example.com"])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .starts_with("error: --endpoint / MNPSYNC_ENDPOINT: "),
        "{run:?}"
    );
    assert!(!run.stderr.contains("needs credentials"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_out_of_the_tree_and_oversized_files_are_refused_unless_allowed() {
    let env = Env::new().await;
    all_manifests(&env, 1..=1);
    // A manifest that is a link to a file outside the manifests directory.
    let outside = env.path().join("outside.yaml");
    std::fs::write(&outside, manifest_doc("app-2", PLATFORM, 2, "submitted")).unwrap();
    std::os::unix::fs::symlink(&outside, env.manifests_dir().join("linked.yaml")).unwrap();
    let run = env.run(&["validate"]).await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("symbolic link leads outside the manifest root"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("app-2"),
        "nothing quoted from the target: {run:?}"
    );
    env.run(&["validate", "--follow-symlinks"])
        .await
        .assert_code(0);
    std::fs::remove_file(env.manifests_dir().join("linked.yaml")).unwrap();
    // A file over the size limit.
    let run = env
        .run(&["plan", "--no-refresh", "--max-manifest-bytes", "64"])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "more than the limit of 64 bytes for one manifest (raise it with --max-manifest-bytes)"
        ),
        "{run:?}"
    );
    env.run(&["plan", "--no-refresh"]).await.assert_code(0);
    assert!(env.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_timeouts_are_refused_before_any_call() {
    let env = Env::new().await;
    all_manifests(&env, 1..=1);
    for timeout in ["0s", "1ns", "6m"] {
        let run = env.run(&["plan", "--timeout", timeout]).await;
        run.assert_code(1);
        assert!(
            run.stderr
                .contains("--timeout must be between 100ms and 5m"),
            "{timeout}: {run:?}"
        );
    }
    assert!(env.calls().is_empty());
}
