//! End-to-end tests: the built `mnpsync` binary against the simulator (in-process, port 0), one
//! temporary directory per scenario, a clean environment. Each scenario asserts the exact calls
//! the simulator received, the journal's outcomes, the exit status and the key output lines.
//! Waits poll a condition with a deadline; nothing sleeps a fixed time to synchronise.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;

use mnpsync::action::Action;
use mnpsync::manifest::Key;
use mnpsync::plan::Observed;
use mnpsync::record::{Event, JournalLine, Lock, Outcome, State};
use mnpsync::sim::SimConfig;
use mnpsync::tcmpp::model::{ApplyAction, ApprovalStatus, CreateMnpApprovalRequest};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt as _;

use crate::util::{
    self, Env, PLATFORM, create, create_failed, describe, eventually, manifest_doc, manifest_docs,
};

const ONE_MINI_PROGRAM: &str = include_str!("../fixtures/e2e/one-mini-program.yaml");
const SHOP_SWAP: &str = include_str!("../fixtures/e2e/shop-swap.yaml");
const APPROVED: &str = include_str!("../fixtures/e2e/approved.yaml");

const EXIST: &str = "FailedOperation.ExistMNPApprovalRecord";

fn key(version: i64) -> String {
    format!("{PLATFORM}/{version}")
}

/// The journal as `(event, key, action, outcome)`, in file order.
fn events(journal: &[JournalLine]) -> Vec<(Event, String, Action, Option<Outcome>)> {
    journal
        .iter()
        .map(|l| (l.event, l.key.to_string(), l.action, l.outcome))
        .collect()
}

fn intent(version: i64, action: Action) -> (Event, String, Action, Option<Outcome>) {
    (Event::Intent, key(version), action, None)
}

fn outcome(
    version: i64,
    action: Action,
    outcome: Outcome,
) -> (Event, String, Action, Option<Outcome>) {
    (Event::Outcome, key(version), action, Some(outcome))
}

/// The outcome lines of the journal.
fn outcomes(journal: &[JournalLine]) -> Vec<&JournalLine> {
    journal
        .iter()
        .filter(|l| l.event == Event::Outcome)
        .collect()
}

/// `(version, status)` of every approval the simulator holds, oldest first.
fn approvals(env: &Env) -> Vec<(i64, Option<ApprovalStatus>)> {
    env.sim()
        .approvals()
        .iter()
        .map(|a| (a.record.mnp_version_id.unwrap_or(-1), a.record.status()))
        .collect()
}

/// The text `report::result_line` prints for a converged action with a RequestId.
fn result_line(outcome: &str, version: i64, name: &str, action: &str, request_id: &str) -> String {
    format!(
        "{outcome:<17} {} {name}  ({action})  RequestId {request_id}",
        key(version)
    )
}

// 1 and 2 ------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_apply_submits_and_a_second_apply_changes_nothing() {
    let env = Env::new().await;
    env.manifest(
        "app.yaml",
        &manifest_doc("app-2597", PLATFORM, 2597, "submitted"),
    );

    let first = env.run(&["apply"]).await;
    first.assert_code(0);
    let calls = env.calls();
    assert_eq!(
        env.seen(),
        vec![describe(PLATFORM), create("submit", PLATFORM, 2597)]
    );
    let submit = &calls[1];
    assert_eq!(
        (submit.region.as_str(), &submit.params),
        (
            "ap-guangzhou",
            &json!({"MNPVersionId": 2597, "ApplyAction": "submit", "PlatformId": PLATFORM})
        )
    );
    assert_eq!(calls[0].params["Offset"], 0);
    let request_id = submit.request_id.clone();
    assert!(
        first
            .stdout_lines()
            .contains(&result_line("submitted", 2597, "app-2597", "submit", &request_id).as_str()),
        "{first:?}"
    );
    assert_eq!(first.stdout_lines().last(), Some(&"Apply: 1 submitted."));
    assert!(
        first
            .stderr
            .contains("Plan: 1 to submit, 0 to cancel, 0 unchanged."),
        "{first:?}"
    );

    let journal = env.journal();
    assert_eq!(
        events(&journal),
        vec![
            intent(2597, Action::Submit),
            outcome(2597, Action::Submit, Outcome::Submitted)
        ]
    );
    let done = &journal[1];
    assert_eq!(done.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!((done.attempts, done.error_code.as_deref()), (1, None));
    assert_eq!(done.run_id, journal[0].run_id);
    assert_eq!(
        done.commit, None,
        "the temporary directory is no git repository"
    );

    let state = env.state();
    let entry = &state.entries[&Key::new(PLATFORM, 2597)];
    assert_eq!(entry.observed, Observed::Processing);
    assert!(entry.submitted_by_mnpsync);
    assert_eq!(entry.last_outcome, Some(Outcome::Submitted));
    assert_eq!(entry.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(
        approvals(&env),
        vec![(2597, Some(ApprovalStatus::Processing))]
    );

    // 2: the second apply only refreshes.
    env.clear_calls();
    let second = env.run(&["apply"]).await;
    second.assert_code(0);
    assert_eq!(env.seen(), vec![describe(PLATFORM)]);
    assert_eq!(second.stdout, "Apply: no changes.\n", "{second:?}");
    // No action; the listing shows the approval the submit created, so the claim settles.
    let journal = env.journal();
    assert_eq!(journal.len(), 3, "{journal:?}");
    assert_eq!(
        (journal[2].event, journal[2].key.mnp_version_id),
        (Event::Claim, 2597)
    );
    let state = env.state();
    let owned = state.entries[&Key::new(PLATFORM, 2597)]
        .owned_approval
        .clone();
    assert!(owned.is_some());
    assert_eq!(journal[2].approval_no, owned);
    assert_eq!(
        approvals(&env),
        vec![(2597, Some(ApprovalStatus::Processing))]
    );
}

// 3 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_behind_our_back_converges_as_already_in_place_without_refresh() {
    let env = Env::new().await;
    env.client()
        .create_mnp_approval(
            &CreateMnpApprovalRequest {
                mnp_version_id: 5,
                apply_action: ApplyAction::Submit,
                platform_id: PLATFORM.to_string(),
            },
            None,
        )
        .await
        .expect("the direct submit succeeds");
    env.clear_calls();
    env.manifest("app.yaml", &manifest_doc("app-5", PLATFORM, 5, "submitted"));

    let run = env.run(&["apply", "--no-refresh"]).await;
    run.assert_code(0);
    assert_eq!(
        env.seen(),
        vec![
            create_failed("submit", PLATFORM, 5, EXIST),
            describe(PLATFORM)
        ],
        "no listing before the call with --no-refresh; one after it, to confirm the answer"
    );
    let request_id = env.calls()[0].request_id.clone();
    let journal = env.journal();
    assert_eq!(
        events(&journal),
        vec![
            intent(5, Action::Submit),
            outcome(5, Action::Submit, Outcome::AlreadyInPlace)
        ]
    );
    assert_eq!(journal[1].error_code.as_deref(), Some(EXIST));
    assert_eq!(journal[1].request_id.as_deref(), Some(request_id.as_str()));
    assert!(
        run.stdout_lines()
            .contains(&result_line("already_in_place", 5, "app-5", "submit", &request_id).as_str()),
        "{run:?}"
    );
    assert_eq!(
        run.stdout_lines().last(),
        Some(&"Apply: 1 already_in_place.")
    );
    assert_eq!(
        approvals(&env),
        vec![(5, Some(ApprovalStatus::Processing))],
        "still only the approval submitted behind mnpsync's back"
    );
}

// 3b -----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exist_record_held_by_another_version_is_blocked_with_refresh() {
    let env = Env::with_fixture(ONE_MINI_PROGRAM).await;
    env.manifest(
        "app.yaml",
        &manifest_doc("app-11", PLATFORM, 11, "submitted"),
    );

    let run = env.run(&["apply"]).await;
    run.assert_code(1);
    assert_eq!(
        env.seen(),
        vec![
            describe(PLATFORM),
            create_failed("submit", PLATFORM, 11, EXIST),
            describe(PLATFORM),
        ]
    );
    let journal = env.journal();
    assert_eq!(
        events(&journal),
        vec![
            intent(11, Action::Submit),
            outcome(11, Action::Submit, Outcome::Blocked)
        ]
    );
    let message = journal[1].message.clone().unwrap_or_default();
    // The holder is named (it is not declared by any manifest here).
    assert_eq!(
        message,
        format!(
            "blocked: {} holds the pending approval request on platform {PLATFORM}; declare `approval: cancelled` for it to cancel it first",
            key(10)
        )
    );
    assert_eq!(journal[1].error_code.as_deref(), Some(EXIST));
    assert!(run.stdout.contains(&message), "{run:?}");
    assert!(
        run.stdout_lines().iter().any(|l| l
            .starts_with(&format!("blocked           {} app-11  (submit)", key(11)))
            && l.ends_with(&format!("[{EXIST}]"))),
        "{run:?}"
    );
    assert_eq!(run.stdout_lines().last(), Some(&"Apply: 1 blocked."));

    // `--no-refresh` plans from the records, but the answer is still confirmed with a listing
    // after the call (DESIGN.md §1): the code alone would say `already_in_place`, falsely.
    env.clear_calls();
    let run = env.run(&["apply", "--no-refresh"]).await;
    run.assert_code(1);
    assert_eq!(
        env.seen(),
        vec![
            create_failed("submit", PLATFORM, 11, EXIST),
            describe(PLATFORM)
        ]
    );
    let journal = env.journal();
    assert_eq!(
        events(&journal[2..]),
        vec![
            intent(11, Action::Submit),
            outcome(11, Action::Submit, Outcome::Blocked)
        ]
    );
    assert_eq!(
        approvals(&env),
        vec![(10, Some(ApprovalStatus::Processing))],
        "11 was never submitted"
    );
}

// 4 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipping_a_manifest_to_cancelled_cancels() {
    let env = Env::new().await;
    env.manifest(
        "app.yaml",
        &manifest_doc("app-42", PLATFORM, 42, "submitted"),
    );
    env.run(&["apply"]).await.assert_code(0);
    env.clear_calls();

    env.manifest(
        "app.yaml",
        &manifest_doc("app-42", PLATFORM, 42, "cancelled"),
    );
    let run = env.run(&["apply"]).await;
    run.assert_code(0);
    assert_eq!(
        env.seen(),
        vec![describe(PLATFORM), create("cancel", PLATFORM, 42)]
    );
    let request_id = env.calls()[1].request_id.clone();
    let journal = env.journal();
    assert_eq!(
        events(&journal[2..]),
        vec![
            (
                Event::Claim,
                Key::new(PLATFORM, 42).to_string(),
                Action::Submit,
                None
            ),
            intent(42, Action::Cancel),
            outcome(42, Action::Cancel, Outcome::Cancelled)
        ]
    );
    assert!(
        run.stdout_lines()
            .contains(&result_line("cancelled", 42, "app-42", "cancel", &request_id).as_str()),
        "{run:?}"
    );
    assert_eq!(approvals(&env), vec![(42, Some(ApprovalStatus::Cancelled))]);
    let state = env.state();
    let entry = &state.entries[&Key::new(PLATFORM, 42)];
    assert_eq!(entry.observed, Observed::Cancelled);
    assert_eq!(entry.last_action, Some(Action::Cancel));
    assert!(!entry.submitted_by_mnpsync);
}

// 5 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_runs_before_submit_of_the_same_mini_program() {
    let env = Env::with_fixture(SHOP_SWAP).await;
    env.manifest(
        "shop.yaml",
        &manifest_docs(&[
            // The submit is listed first: order must come from the plan, not the file.
            ("shop-2597", PLATFORM, 2597, "submitted"),
            ("shop-2590", PLATFORM, 2590, "cancelled"),
        ]),
    );

    let run = env.run(&["apply"]).await;
    run.assert_code(0);
    assert_eq!(
        env.seen(),
        vec![
            describe(PLATFORM),
            create("cancel", PLATFORM, 2590),
            create("submit", PLATFORM, 2597),
        ],
        "a submit before the cancel would get ExistMNPApprovalRecord"
    );
    assert_eq!(
        events(&env.journal()),
        vec![
            intent(2590, Action::Cancel),
            outcome(2590, Action::Cancel, Outcome::Cancelled),
            intent(2597, Action::Submit),
            outcome(2597, Action::Submit, Outcome::Submitted),
        ]
    );
    assert_eq!(
        approvals(&env),
        vec![
            (2590, Some(ApprovalStatus::Cancelled)),
            (2597, Some(ApprovalStatus::Processing))
        ]
    );
    assert_eq!(
        run.stdout_lines().last(),
        Some(&"Apply: 1 submitted, 1 cancelled.")
    );
}

// 6 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_version_marked_cancelled_needs_attention_and_gets_no_call() {
    let env = Env::with_fixture(APPROVED).await;
    env.manifest("app.yaml", &manifest_doc("app-7", PLATFORM, 7, "cancelled"));

    let plan = env.run(&["plan"]).await;
    plan.assert_code(0);
    let attention: Vec<&str> = plan
        .stdout_lines()
        .into_iter()
        .filter(|l| l.starts_with("  ! attention"))
        .collect();
    assert_eq!(attention.len(), 1, "{plan:?}");
    assert!(
        attention[0].contains(&key(7))
            && attention[0].contains("app-7")
            && attention[0].contains("already approved, cannot be cancelled"),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("1 need attention"), "{plan:?}");
    assert_eq!(env.seen(), vec![describe(PLATFORM)]);

    env.clear_calls();
    let apply = env.run(&["apply"]).await;
    apply.assert_code(0);
    assert_eq!(env.seen(), vec![describe(PLATFORM)], "no CreateMNPApproval");
    assert!(env.journal().is_empty());
    assert_eq!(approvals(&env), vec![(7, Some(ApprovalStatus::Approved))]);
}

// 7 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_manifest_cancels_nothing() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    env.manifest("b.yaml", &manifest_doc("app-2", PLATFORM, 2, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    assert_eq!(
        approvals(&env),
        vec![
            (1, Some(ApprovalStatus::Processing)),
            (2, Some(ApprovalStatus::Processing))
        ]
    );
    let journal_len = env.journal().len();

    env.remove_manifest("b.yaml");
    env.clear_calls();
    let run = env.run(&["apply"]).await;
    run.assert_code(0);
    assert_eq!(env.seen(), vec![describe(PLATFORM)]);
    assert_eq!(run.stdout, "Apply: no changes.\n", "{run:?}");
    // No action; the listing settled app-1's claim (app-2 is no longer managed).
    let journal = env.journal();
    assert_eq!(journal.len(), journal_len + 1, "{journal:?}");
    assert_eq!(journal[journal_len].event, Event::Claim);
    let journal_len = journal.len();

    // An empty directory means "nothing managed": not even a listing.
    env.remove_manifest("a.yaml");
    env.clear_calls();
    let run = env.run(&["apply"]).await;
    run.assert_code(0);
    assert_eq!(env.seen(), Vec::<String>::new());

    assert_eq!(env.journal().len(), journal_len);
    assert_eq!(
        approvals(&env),
        vec![
            (1, Some(ApprovalStatus::Processing)),
            (2, Some(ApprovalStatus::Processing))
        ]
    );
}

// 8 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_manifest_anywhere_means_no_call_at_all() {
    let env = Env::new().await;
    env.manifest(
        "good.yaml",
        &manifest_doc("good-1", PLATFORM, 1, "submitted"),
    );
    // A valid first document, then one with an unknown field on line 19, column 3.
    let bad = format!(
        "{}---\n# a typo below\napiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: bad-2\nspec:\n  platformId: {PLATFORM}\n  mnpVersionId: 2\n  approval: submitted\n  regoin: ap-guangzhou\n",
        manifest_doc("fine-3", PLATFORM, 3, "submitted")
    );
    env.manifest("team/bad.yaml", &bad);
    assert_eq!(bad.lines().nth(18), Some("  regoin: ap-guangzhou"));

    for command in ["validate", "plan", "apply"] {
        let run = env.run(&[command]).await;
        run.assert_code(1);
        let located: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("manifests/"))
            .collect();
        assert_eq!(
            located.len(),
            1,
            "{command}: exactly one located error\n{run:?}"
        );
        assert!(
            located[0].starts_with("manifests/team/bad.yaml:19:3: ")
                && located[0].contains("regoin"),
            "{command}: {run:?}"
        );
        assert!(
            run.stderr.contains("nothing was sent to the API"),
            "{command}: {run:?}"
        );
        assert_eq!(run.stdout, "", "{command}: {run:?}");
    }
    assert_eq!(env.calls().len(), 0, "{:?}", env.seen());
    assert!(!env.state_dir.exists(), "nothing recorded for a broken set");
}

// 9 ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_fail_before_any_call() {
    let env = Env::new().await;
    env.manifest("app.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));

    let run = util::run(env.bare_command(&["apply"])).await;
    run.assert_code(1);
    assert!(run.stderr.contains("TENCENTCLOUD_SECRET_ID"), "{run:?}");
    assert_eq!(env.calls().len(), 0);
    assert!(env.journal().is_empty());

    // `plan --no-refresh` needs no credentials.
    let run = util::run(env.bare_command(&["plan", "--no-refresh"])).await;
    run.assert_code(0);
    assert!(run.stdout.contains("+ submit"), "{run:?}");
    assert_eq!(env.calls().len(), 0);
}

// 10 -----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_is_reported_never_printed_and_stops_the_run() {
    const WRONG_KEY: &str = "wrongKeyThatMustNeverBePrinted0042";
    let env = Env::new().await;
    let docs: Vec<(String, i64)> = (1..=5).map(|v| (format!("app-{v}"), v)).collect();
    let docs: Vec<(&str, &str, i64, &str)> = docs
        .iter()
        .map(|(name, v)| (name.as_str(), PLATFORM, *v, "submitted"))
        .collect();
    env.manifest("apps.yaml", &manifest_docs(&docs));

    const SIGNATURE: &str = "AuthFailure.SignatureFailure";
    // With refresh, the listing is refused and the run stops there: no plan from stale records,
    // no submit that must fail the same way.
    let mut command = env.command(&["apply", "--concurrency", "1"]);
    command.env("TENCENTCLOUD_SECRET_KEY", WRONG_KEY);
    let refused = util::run(command).await;
    refused.assert_code(1);
    assert_eq!(
        env.seen(),
        vec![format!("{} -> {SIGNATURE}", describe(PLATFORM))]
    );
    assert!(refused.stderr.contains(SIGNATURE), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("credentials from environment variables TENCENTCLOUD_SECRET_ID"),
        "names the credential source\n{refused:?}"
    );
    assert!(env.journal().is_empty());
    env.sim().clear_calls();

    // Without refresh, the first submit fails and the run stops: one call of the five.
    let mut command = env.command(&["apply", "--concurrency", "1", "--no-refresh"]);
    command.env("TENCENTCLOUD_SECRET_KEY", WRONG_KEY);
    let run = util::run(command).await;
    run.assert_code(1);
    assert_eq!(
        env.seen(),
        vec![create_failed("submit", PLATFORM, 1, SIGNATURE)]
    );
    assert!(run.stdout.contains(SIGNATURE), "{run:?}");
    assert!(
        run.stdout.contains("TENCENTCLOUD_SECRET_ID"),
        "names the credential source\n{run:?}"
    );
    assert!(
        run.stdout_lines()
            .last()
            .is_some_and(|l| l.starts_with("Apply: 5 failed. Stopped early:")),
        "{run:?}"
    );
    let mut everything = refused.all_output();

    let journal = env.journal();
    let intents: Vec<String> = journal
        .iter()
        .filter(|l| l.event == Event::Intent)
        .map(|l| l.key.to_string())
        .collect();
    assert_eq!(intents, vec![key(1)], "only one action was attempted");
    let done = outcomes(&journal);
    assert_eq!(done.len(), 5);
    assert!(done.iter().all(|l| l.outcome == Some(Outcome::Failed)));
    assert_eq!(done[0].error_code.as_deref(), Some(SIGNATURE));
    assert!(
        done[1..]
            .iter()
            .all(|l| l.attempts == 0 && l.request_id.is_none()),
        "{done:?}"
    );

    everything.push_str(&run.all_output());
    for file in ["journal.jsonl", "state.json"] {
        everything.push_str(&std::fs::read_to_string(env.state_dir.join(file)).unwrap());
    }
    assert!(!everything.contains(WRONG_KEY), "the key leaked");
    assert!(
        !everything.contains(&env.sim().config().secret_key),
        "the simulator's key leaked"
    );
    assert!(env.sim().approvals().is_empty());
}

// 11 -----------------------------------------------------------------------------------------------

/// Starts `apply` over 120 versions (simulator latency 50 ms, 20 requests/s), kills it with
/// SIGKILL once the journal holds 10 outcomes, runs `apply` again (with `second` flags) to
/// completion and checks that every version converged exactly once. Returns what the second
/// run did per version, the calls it made, and the versions whose submit the simulator accepted
/// before the kill.
async fn kill_9_and_apply_again(second: &[&str]) -> Recovery {
    const VERSIONS: i64 = 120;
    let all: BTreeSet<i64> = (1..=VERSIONS).collect();
    let env = Env::with_config(SimConfig {
        latency_ms: Some((50, 50)),
        ..SimConfig::default()
    })
    .await;
    let names: Vec<String> = all.iter().map(|v| format!("app-{v}")).collect();
    let docs: Vec<(&str, &str, i64, &str)> = names
        .iter()
        .zip(1..)
        .map(|(name, v)| (name.as_str(), PLATFORM, v, "submitted"))
        .collect();
    env.manifest("apps.yaml", &manifest_docs(&docs));

    let log = |name: &str| Stdio::from(std::fs::File::create(env.path().join(name)).unwrap());
    let mut command = env.command(&["apply", "--rate-limit", "20"]);
    command.stdout(log("first.out")).stderr(log("first.err"));
    let mut child = command.spawn().expect("mnpsync starts");
    let state_dir = env.state_dir.clone();
    let outcome_lines = || {
        mnpsync::record::read_journal(&state_dir)
            .map(|(lines, _)| outcomes(&lines).len())
            .unwrap_or(0)
    };
    eventually(
        "the journal has 10 outcome lines",
        || std::fs::read_to_string(env.path().join("first.err")).unwrap_or_default(),
        || std::future::ready(outcome_lines() >= 10),
    )
    .await;
    child.kill().await.expect("SIGKILL");
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), None, "killed by a signal");

    // The simulator acts before its latency, so a call in flight at the kill may have been
    // accepted without the journal knowing.
    let accepted_before: BTreeSet<i64> = env
        .calls()
        .iter()
        .filter(|c| c.action == "CreateMNPApproval" && c.code.is_none())
        .filter_map(|c| c.params["MNPVersionId"].as_i64())
        .collect();
    assert!(
        accepted_before.len() >= 10 && accepted_before.len() < VERSIONS as usize,
        "killed mid-run: {accepted_before:?}"
    );
    let known_before: BTreeSet<i64> = env
        .state()
        .entries
        .iter()
        .filter(|(_, e)| e.observed == Observed::Processing)
        .map(|(k, _)| k.mnp_version_id)
        .collect();
    let (first_run, _) = env.journal_and_skipped();
    let first_run_id = first_run[0].run_id.clone();
    for line in outcomes(&first_run) {
        assert_eq!(line.outcome, Some(Outcome::Submitted), "{line:?}");
        assert!(
            accepted_before.contains(&line.key.mnp_version_id),
            "{line:?}"
        );
    }

    let mut args = vec!["apply", "--rate-limit", "20"];
    args.extend_from_slice(second);
    let before = env.calls().len();
    let run = env.run(&args).await;
    run.assert_code(0);
    // The simulator's one-second window may still count the killed run's last calls, so a
    // few calls may be throttled and retried by the client; they change nothing.
    let calls: Vec<String> = env.seen()[before..]
        .iter()
        .filter(|c| !c.ends_with(" -> RequestLimitExceeded"))
        .cloned()
        .collect();

    let (journal, skipped) = env.journal_and_skipped();
    assert!(skipped <= 1, "at most the torn last line: {skipped}");
    assert!(
        journal
            .iter()
            .all(|l| l.event != Event::Outcome || l.outcome.is_some()),
        "{journal:?}"
    );
    // The second run: one intent and one outcome per version it acted on.
    let second_run: Vec<&JournalLine> = journal
        .iter()
        .filter(|l| l.run_id != first_run_id)
        .collect();
    let mut by_version: BTreeMap<i64, Outcome> = BTreeMap::new();
    let mut intents: BTreeSet<i64> = BTreeSet::new();
    for line in &second_run {
        let v = line.key.mnp_version_id;
        match line.event {
            Event::Intent => assert!(intents.insert(v), "two intents for {v}"),
            Event::Outcome => {
                let previous = by_version.insert(v, line.outcome.unwrap());
                assert!(previous.is_none(), "two outcomes for {v}");
            }
            // Claims settle ownership; they are not actions.
            _ => {}
        }
    }
    assert_eq!(intents, by_version.keys().copied().collect());
    // Nothing the records knew as processing is touched again.
    assert!(
        by_version.keys().all(|v| !known_before.contains(v)),
        "{by_version:?}"
    );

    // Exactly one processing approval per version: nothing was submitted twice.
    let mut held: BTreeMap<i64, usize> = BTreeMap::new();
    for (v, status) in approvals(&env) {
        assert_eq!(status, Some(ApprovalStatus::Processing), "version {v}");
        *held.entry(v).or_default() += 1;
    }
    assert_eq!(held.keys().copied().collect::<BTreeSet<_>>(), all);
    assert!(held.values().all(|n| *n == 1), "{held:?}");
    let accepted = env
        .calls()
        .iter()
        .filter(|c| c.action == "CreateMNPApproval" && c.code.is_none())
        .count();
    assert_eq!(accepted, VERSIONS as usize);

    // The records agree: every version processing, and a new plan has nothing to do.
    let state = env.state();
    assert_eq!(
        state
            .entries
            .keys()
            .map(|k| k.mnp_version_id)
            .collect::<BTreeSet<_>>(),
        all
    );
    assert!(
        state
            .entries
            .values()
            .all(|e| e.observed == Observed::Processing)
    );
    env.run(&["plan", "--detailed-exitcode"])
        .await
        .assert_code(0);
    Recovery {
        env,
        second_run: by_version,
        calls,
        accepted_before,
    }
}

/// What [`kill_9_and_apply_again`] saw.
struct Recovery {
    env: Env,
    /// The second run's outcome per version it acted on.
    second_run: BTreeMap<i64, Outcome>,
    /// The calls of the second run, as [`util::seen`] lines, without throttled ones.
    calls: Vec<String>,
    /// Versions whose submit the simulator accepted before the kill.
    accepted_before: BTreeSet<i64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_a_large_apply_then_apply_again_converges_without_duplicates() {
    let r = kill_9_and_apply_again(&[]).await;
    // The refresh sees every version accepted before the kill (also those whose intent got no
    // outcome: DESIGN.md §4, settled by planning again) and submits exactly the others.
    let all: BTreeSet<i64> = (1..=120).collect();
    let rest = &all - &r.accepted_before;
    assert_eq!(r.second_run.keys().copied().collect::<BTreeSet<_>>(), rest);
    assert!(
        r.second_run.values().all(|o| *o == Outcome::Submitted),
        "{:?}",
        r.second_run
    );
    let mut submits: Vec<String> = r
        .calls
        .iter()
        .filter(|c| c.starts_with("CreateMNPApproval"))
        .cloned()
        .collect();
    submits.sort();
    let mut expected: Vec<String> = rest
        .iter()
        .map(|v| create("submit", PLATFORM, *v))
        .collect();
    expected.sort();
    assert_eq!(
        submits, expected,
        "one accepted submit per remaining version"
    );
    assert!(
        r.calls
            .iter()
            .filter(|c| !c.starts_with("CreateMNPApproval"))
            .all(|c| c == &describe(PLATFORM)),
        "besides the submits only the refresh listing: {:?}",
        r.calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_then_apply_without_refresh_converges_through_exist_record() {
    let Recovery {
        env,
        second_run,
        calls,
        accepted_before,
    } = kill_9_and_apply_again(&["--no-refresh"]).await;
    // Without a refresh, every version the records do not know is submitted again; those the
    // simulator already accepted converge through ExistMNPApprovalRecord.
    for (v, outcome) in &second_run {
        let expected = if accepted_before.contains(v) {
            Outcome::AlreadyInPlace
        } else {
            Outcome::Submitted
        };
        assert_eq!(*outcome, expected, "version {v}");
    }
    // Every version now has a final outcome line, and it is a converged one.
    let mut last: BTreeMap<i64, Outcome> = BTreeMap::new();
    for line in outcomes(&env.journal()) {
        last.insert(line.key.mnp_version_id, line.outcome.unwrap());
    }
    assert_eq!(
        last.keys().copied().collect::<BTreeSet<_>>(),
        (1..=120).collect()
    );
    assert!(
        last.values()
            .all(|o| matches!(o, Outcome::Submitted | Outcome::AlreadyInPlace)),
        "{last:?}"
    );
    // Exactly one submit per version the second run acted on; no listing before the calls,
    // and listings after them only to confirm `ExistMNPApprovalRecord` answers (shared among
    // the answers of a wave; a listing of 120 approvals takes two pages).
    let confirmations = calls.iter().filter(|c| **c == describe(PLATFORM)).count();
    let exists = second_run
        .iter()
        .filter(|(_, o)| **o == Outcome::AlreadyInPlace)
        .count();
    assert!(
        (exists == 0) == (confirmations == 0) && confirmations <= 2 * exists,
        "{confirmations} listings for {exists} ExistMNPApprovalRecord answers"
    );
    let calls: Vec<String> = calls
        .into_iter()
        .filter(|c| *c != describe(PLATFORM))
        .collect();
    let mut expected: Vec<String> = second_run
        .iter()
        .map(|(v, o)| match o {
            Outcome::AlreadyInPlace => create_failed("submit", PLATFORM, *v, EXIST),
            _ => create("submit", PLATFORM, *v),
        })
        .collect();
    expected.sort();
    let mut calls = calls;
    calls.sort();
    assert_eq!(calls, expected);
}

// 12 -----------------------------------------------------------------------------------------------

/// Asserts that `actual` (an object) has exactly `expected`'s fields and values, plus at most
/// the fields in `extra` (undocumented additions the contract tolerates).
#[track_caller]
fn assert_object(actual: &Value, expected: Value, extra: &[&str]) {
    let actual = actual.as_object().expect("an object");
    let expected = expected.as_object().unwrap();
    for (field, value) in expected {
        assert_eq!(
            actual.get(field),
            Some(value),
            "field {field} of {actual:?}"
        );
    }
    let unexpected: Vec<&String> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k) && !extra.contains(&k.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "undocumented fields {unexpected:?} in {actual:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_formats_of_plan_and_apply_match_the_contract() {
    let env = Env::new().await;
    env.manifest(
        "apps.yaml",
        &format!(
            "{}  region: ap-singapore\n---\n{}",
            manifest_doc("app-1", PLATFORM, 1, "submitted"),
            manifest_doc("app-2", PLATFORM, 2, "cancelled")
        ),
    );
    env.git(&["init", "-q"]);
    env.git(&["add", "manifests"]);
    env.git(&["commit", "-q", "-m", "manifests"]);
    let head = env.git(&["rev-parse", "HEAD"]);

    let plan = env.run(&["plan", "--format", "json"]).await;
    plan.assert_code(0);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("plan JSON parses");
    assert_object(
        &plan,
        json!({
            "format_version": 1,
            "commit": head,
            "refreshed": true,
            "resources": plan["resources"],
            "summary": {"submit": 1, "cancel": 0, "release": 0, "rollback": 0, "none": 1, "attention": 0},
        }),
        &[],
    );
    let resources = plan["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 2);
    let tolerated = ["pruned"];
    assert_object(
        &resources[0],
        json!({
            "key": key(1), "name": "app-1", "source": "manifests/apps.yaml:1",
            "platform_id": PLATFORM, "mnp_version_id": 1, "region": "ap-singapore",
            "desired": "submitted", "observed": "none", "action": "submit",
            "reason": resources[0]["reason"], "attention": null,
        }),
        &tolerated,
    );
    assert!(
        resources[0]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert_object(
        &resources[1],
        json!({
            "key": key(2), "name": "app-2", "source": "manifests/apps.yaml:11",
            "platform_id": PLATFORM, "mnp_version_id": 2, "region": null,
            "desired": "cancelled", "observed": "none", "action": "none",
            "reason": resources[1]["reason"], "attention": null,
        }),
        &tolerated,
    );

    env.clear_calls();
    let apply = env.run(&["apply", "--format", "json"]).await;
    apply.assert_code(0);
    let report: Value = serde_json::from_str(&apply.stdout).expect("apply JSON parses");
    let calls = env.calls();
    assert_eq!(
        env.seen(),
        vec![describe(PLATFORM), create("submit", PLATFORM, 1)]
    );
    assert_eq!(
        calls[1].region, "ap-singapore",
        "the manifest's region wins"
    );
    let journal = env.journal();
    assert_object(
        &report,
        json!({
            "format_version": 1,
            "run_id": journal[0].run_id,
            "commit": head,
            "results": [{
                "key": key(1), "name": "app-1", "action": "submit", "outcome": "submitted",
                "error_code": null, "message": null, "request_id": calls[1].request_id,
                "attempts": 1,
            }],
            "summary": {"submitted": 1},
            "attention": [],
        }),
        &[],
    );
    assert!(
        journal
            .iter()
            .all(|l| l.commit.as_deref() == Some(head.as_str())),
        "{journal:?}"
    );
}

// 13 -----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_each_version_with_its_last_outcome() {
    let env = Env::new().await;
    env.manifest("app.yaml", &manifest_doc("app-9", PLATFORM, 9, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    let request_id = env.calls()[1].request_id.clone();

    let status = env.run(&["status"]).await;
    status.assert_code(0);
    let lines = status.stdout_lines();
    assert_eq!(lines.len(), 3, "{status:?}");
    assert!(lines[0].starts_with("State directory "), "{status:?}");
    assert!(lines[1].starts_with("VERSION"), "{status:?}");
    let columns: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        (columns[0], columns[1], columns[2], columns[3], columns[4]),
        (
            key(9).as_str(),
            "app-9",
            "processing",
            "submit",
            "submitted"
        ),
        "{status:?}"
    );
    // The request id, then the last message (none for a submit that went through).
    assert_eq!(
        columns[columns.len() - 2..],
        [request_id.as_str(), "-"],
        "{status:?}"
    );

    let json = env.run(&["status", "--format", "json"]).await;
    json.assert_code(0);
    let state: State = serde_json::from_str(&json.stdout).expect("status JSON parses");
    assert_eq!(state, env.state());
    let entry = &state.entries[&Key::new(PLATFORM, 9)];
    assert_eq!(entry.last_outcome, Some(Outcome::Submitted));
    assert_eq!(entry.request_id.as_deref(), Some(request_id.as_str()));
}

// 14 -----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_fails_at_once_while_the_state_directory_is_locked() {
    let env = Env::new().await;
    env.manifest("app.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    let lock = Lock::acquire(&env.state_dir).unwrap();

    let run = env.run(&["apply"]).await;
    run.assert_code(1);
    let expected = format!(
        "state directory {} is locked by pid {}",
        env.state_dir.display(),
        std::process::id()
    );
    assert!(run.stderr.contains(&expected), "{run:?}");
    assert_eq!(env.calls().len(), 0);
    assert!(env.journal().is_empty());

    drop(lock);
    env.run(&["apply"]).await.assert_code(0);
    assert_eq!(
        env.seen(),
        vec![describe(PLATFORM), create("submit", PLATFORM, 1)]
    );
}

// 15 -----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_command_announces_its_address_first_and_serves_signed_requests() {
    let env = Env::new().await;
    let mut child = env
        .command(&["sim", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mnpsync sim starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(util::DEADLINE, lines.next_line())
        .await
        .expect("a first line in time")
        .unwrap()
        .expect("a first line");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    assert_ne!(port, 0);

    // The child uses the simulator's built-in credentials, which `SimConfig::default()` holds.
    let client = util::client_for(url, &SimConfig::default());
    let reply = client
        .create_mnp_approval(
            &CreateMnpApprovalRequest {
                mnp_version_id: 77,
                apply_action: ApplyAction::Submit,
                platform_id: PLATFORM.to_string(),
            },
            None,
        )
        .await
        .expect("a signed submit succeeds");
    assert!(reply.data.result);
    let listed = client.list_approvals(PLATFORM, None, None).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.mnp_version_id).collect::<Vec<_>>(),
        vec![Some(77)]
    );

    child.kill().await.unwrap();
    assert_eq!(
        env.calls().len(),
        0,
        "the in-process simulator was not used"
    );
}

// 16: `mnpsync demo`, the newcomer's tour, is tested in demo.rs.

// DESIGN.md §8: with 20% injected faults (some after the server acted), every action still ends
// in exactly one recorded outcome and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_no_outcome() {
    let env = Env::with_config(SimConfig {
        fault_rate: 0.2,
        fault_after_commit: true,
        seed: Some(7),
        rate_limit: 200,
        ..SimConfig::default()
    })
    .await;
    let docs: Vec<(String, i64)> = (1..=60).map(|v| (format!("app-{v}"), v)).collect();
    let docs: Vec<(&str, &str, i64, &str)> = docs
        .iter()
        .map(|(name, v)| (name.as_str(), PLATFORM, *v, "submitted"))
        .collect();
    env.manifest("apps.yaml", &manifest_docs(&docs));

    let run = env.run(&["apply", "--rate-limit", "150"]).await;
    let journal = env.journal();
    let done = outcomes(&journal);
    // One outcome per action, one intent per outcome, none lost.
    let keys: BTreeSet<String> = done.iter().map(|l| l.key.to_string()).collect();
    assert_eq!((done.len(), keys.len()), (60, 60), "{run:?}");
    let intents = journal.iter().filter(|l| l.event == Event::Intent).count();
    assert_eq!(intents, 60);
    // Retries absorb the faults; a submit whose reply was lost after the server acted converges
    // through ExistMNPApprovalRecord → already_in_place (never `blocked`, never a second
    // approval). Five faults in a row for one action (p ≈ 0.0003) may still end it `failed`
    // after five attempts: recorded, not lost.
    let unexpected: Vec<_> = done
        .iter()
        .filter(|l| match l.outcome {
            Some(Outcome::Submitted | Outcome::AlreadyInPlace) => false,
            Some(Outcome::Failed) => !l
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("gave up after 5 attempts")),
            _ => true,
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    let failed = done
        .iter()
        .filter(|l| l.outcome == Some(Outcome::Failed))
        .count();
    run.assert_code(if failed == 0 { 0 } else { 1 });
    let faults = env
        .calls()
        .iter()
        .filter(|c| {
            matches!(
                c.code.as_deref(),
                Some("InternalError" | "HTTP503" | "ConnectionDropped")
            )
        })
        .count();
    assert!(faults >= 5, "the seed should inject faults, got {faults}");
    let approvals = env.sim().approvals();
    let versions: BTreeSet<i64> = approvals
        .iter()
        .filter_map(|a| a.record.mnp_version_id)
        .collect();
    assert_eq!(
        versions.len(),
        approvals.len(),
        "at most one approval per version"
    );
    assert!(
        approvals.len() >= 60 - failed,
        "{} approvals",
        approvals.len()
    );
}
