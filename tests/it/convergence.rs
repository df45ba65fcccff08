//! Convergence a release team can trust: saved plans that only count when they converged,
//! ownership per approval, and apply showing what needs a person. Reviewers and console users act
//! through the simulator (`ProcessMNPApproval`, `CreateMNPApproval`) between runs.

use mnpsync::tcmpp::model::ApplyAction;
use serde_json::Value;

use crate::util::{Env, PLATFORM, console, create, describe, manifest_doc};

const ONE_MINI_PROGRAM: &str = include_str!("../fixtures/e2e/one-mini-program.yaml");

fn cancels(plan: &Value) -> Vec<i64> {
    plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "cancel")
        .map(|r| r["mnp_version_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_saved_plan_is_not_remembered_and_a_new_plan_applies_once_cleared() {
    // Version 10 of the mini program is pending (someone else's); 11 is declared submitted.
    let env = Env::with_fixture(ONE_MINI_PROGRAM).await;
    env.manifest(
        "app.yaml",
        &manifest_doc("app-11", PLATFORM, 11, "submitted"),
    );
    let out = env.path().join("plan.json");
    let out = out.to_str().unwrap();
    env.run(&["plan", "--out", out]).await.assert_code(0);
    env.run(&["apply", "--plan", out]).await.assert_code(1);
    assert_eq!(
        env.journal().last().unwrap().outcome,
        Some(mnpsync::record::Outcome::Blocked)
    );

    // The blocker clears in the console; a fresh plan of the same content applies.
    console(&env.client(), PLATFORM, ApplyAction::Cancel, 10).await;
    env.run(&["plan", "--out", out]).await.assert_code(0);
    env.clear_calls();
    let run = env.run(&["apply", "--plan", out]).await;
    run.assert_code(0);
    assert!(!run.stderr.contains("already applied"), "{run:?}");
    assert_eq!(
        env.seen(),
        vec![describe(PLATFORM), create("submit", PLATFORM, 11)]
    );
    // Now it converged: the same file again does nothing.
    env.clear_calls();
    let again = env.run(&["apply", "--plan", out]).await;
    again.assert_code(0);
    assert!(again.stderr.contains("already applied"), "{again:?}");
    assert!(env.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_never_cancels_the_approval_a_person_made_after_a_rejection() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-5", PLATFORM, 5, "submitted"));
    env.manifest("b.yaml", &manifest_doc("app-6", PLATFORM, 6, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    // The reviewer rejects mnpsync's approval of 5; a person resubmits 5 in the console.
    env.sim().process_version(PLATFORM, 5, false).unwrap();
    console(&env.client(), PLATFORM, ApplyAction::Submit, 5).await;
    // 5 and 6 leave the manifests; prune may cancel only 6, mnpsync's own pending approval.
    env.remove_manifest("a.yaml");
    env.manifest("c.yaml", &manifest_doc("app-7", PLATFORM, 7, "submitted"));
    env.remove_manifest("b.yaml");
    let plan = env
        .run(&["plan", "--prune", "--format", "json"])
        .await
        .expect(0, "plan --prune")
        .json();
    assert_eq!(cancels(&plan), vec![6], "{plan}");
    let run = env.run(&["apply", "--prune"]).await;
    run.assert_code(0);
    let writes: Vec<String> = env
        .seen()
        .into_iter()
        .filter(|c| c.starts_with("CreateMNPApproval cancel"))
        .collect();
    assert_eq!(writes, vec![create("cancel", PLATFORM, 6)]);
    // The person's approval of 5 is still pending.
    let five: Vec<_> = env
        .sim()
        .approvals()
        .into_iter()
        .filter(|a| a.record.mnp_version_id == Some(5))
        .map(|a| a.record.approval_status)
        .collect();
    assert_eq!(
        five,
        vec![Some(2), Some(1)],
        "rejected, then the person's pending one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_shows_a_rejection_with_the_reviewers_words_and_still_exits_0() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-3", PLATFORM, 3, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    env.sim().process_version(PLATFORM, 3, false).unwrap();
    let run = env.run(&["apply"]).await;
    run.assert_code(0);
    let lines = run.stdout_lines();
    assert!(
        lines.iter().any(|l| l
            .starts_with(&format!("  ! attention {PLATFORM}/3 app-3  (rejected by "))
            && l.ends_with("; upload a new version, or pass --resubmit-rejected)")),
        "{run:?}"
    );
    assert_eq!(lines.last(), Some(&"Apply: no changes. 1 need attention."));
    let json = env.run(&["apply", "--format", "json"]).await;
    json.assert_code(0);
    let report = json.json();
    assert_eq!(report["attention"][0]["key"], format!("{PLATFORM}/3"));
    assert!(
        report["attention"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("rejected by "),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_version_without_a_manifest_is_simply_done() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-8", PLATFORM, 8, "submitted"));
    env.manifest("b.yaml", &manifest_doc("app-9", PLATFORM, 9, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    env.sim().process_version(PLATFORM, 8, true).unwrap();
    env.run(&["apply"]).await.assert_code(0);
    env.remove_manifest("a.yaml");
    let plan = env.run(&["plan", "--prune"]).await;
    plan.assert_code(0);
    assert!(
        !plan.stdout.contains("app-8"),
        "no longer a prune candidate: {plan:?}"
    );
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_by_path_reaches_only_what_was_declared_under_that_path() {
    // Two teams share a state directory, each applying its own directory.
    let env = Env::new().await;
    env.manifest(
        "team-a/a.yaml",
        &format!(
            "{}---\n{}",
            manifest_doc("a-1", PLATFORM, 1, "submitted"),
            manifest_doc("a-2", PLATFORM, 2, "submitted")
        ),
    );
    env.manifest(
        "team-b/b.yaml",
        &manifest_doc("b-3", PLATFORM, 3, "submitted"),
    );
    env.run(&["apply", "manifests/team-a"]).await.assert_code(0);
    env.run(&["apply", "manifests/team-b"]).await.assert_code(0);

    // Team A retires a-2; its prune must not reach team B's b-3.
    env.manifest(
        "team-a/a.yaml",
        &manifest_doc("a-1", PLATFORM, 1, "submitted"),
    );
    let plan = env
        .run(&["plan", "manifests/team-a", "--prune", "--format", "json"])
        .await
        .expect(0, "plan --prune for team A")
        .json();
    assert_eq!(cancels(&plan), vec![2], "{plan}");
    env.clear_calls();
    env.run(&["apply", "manifests/team-a", "--prune"])
        .await
        .assert_code(0);
    let cancelled: Vec<String> = env
        .seen()
        .into_iter()
        .filter(|c| c.starts_with("CreateMNPApproval cancel"))
        .collect();
    assert_eq!(cancelled, vec![create("cancel", PLATFORM, 2)]);
    let state = env.state();
    let root_of = |v: i64| {
        state.entries[&mnpsync::manifest::Key::new(PLATFORM, v)]
            .root
            .clone()
            .unwrap_or_default()
    };
    assert!(root_of(1).ends_with("manifests/team-a"), "{}", root_of(1));
    assert!(root_of(3).ends_with("manifests/team-b"), "{}", root_of(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_saved_without_a_refresh_is_still_checked_against_live_state() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-12", PLATFORM, 12, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    // The team declares 12 cancelled and saves a plan from the records (endpoint "down").
    env.manifest("a.yaml", &manifest_doc("app-12", PLATFORM, 12, "cancelled"));
    let out = env.path().join("plan.json");
    let out = out.to_str().unwrap();
    env.run(&["plan", "--no-refresh", "--out", out])
        .await
        .assert_code(0);
    // The reviewer approves before the plan is applied.
    env.sim().process_version(PLATFORM, 12, true).unwrap();
    env.clear_calls();
    let run = env.run(&["apply", "--plan", out]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "the plan is stale: the approval state changed since it was made (the plan was saved without a refresh, from the records)"
        ) && run.stderr.contains("was processing and is now approved"),
        "{run:?}"
    );
    assert_eq!(env.seen(), vec![describe(PLATFORM)], "listed, nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_status_code_never_leads_to_a_call_and_pending_counts_as_in_flight() {
    // 21 is listed with an undocumented code (it is processing on the platform); 22 is listed
    // as 0 (Pending). Both are declared cancelled.
    let fixture = format!(
        "platforms:\n  - id: {PLATFORM}\n    mini_programs:\n      - {{id: a, versions: [{{id: 21}}]}}\n      - {{id: b, versions: [{{id: 22}}]}}\n    approvals:\n      - {{version: 21, status: processing, code: 9}}\n      - {{version: 22, status: processing, code: 0}}\n"
    );
    let env = Env::with_fixture(&fixture).await;
    env.manifest("a.yaml", &manifest_doc("app-21", PLATFORM, 21, "cancelled"));
    env.manifest("b.yaml", &manifest_doc("app-22", PLATFORM, 22, "cancelled"));
    let run = env.run(&["apply"]).await;
    run.assert_code(0);
    // Pending is in flight: 22 is cancelled. The unknown code: no call, attention naming it.
    assert_eq!(
        env.seen(),
        vec![describe(PLATFORM), create("cancel", PLATFORM, 22)]
    );
    assert!(
        run.stdout.contains(&format!(
            "! attention {PLATFORM}/21 app-21  (the platform reports approval status 9, which mnpsync does not know; nothing is done)"
        )),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!(
            "{PLATFORM}/21 is listed with approval status 9, which mnpsync does not know; it is left alone"
        )),
        "a warning is logged: {run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_platform_in_two_regions_is_refused_naming_both_documents() {
    let env = Env::new().await;
    env.manifest(
        "a.yaml",
        &format!(
            "{}  region: ap-guangzhou\n",
            manifest_doc("app-31", PLATFORM, 31, "submitted")
        ),
    );
    env.manifest(
        "b.yaml",
        &format!(
            "{}  region: ap-singapore\n",
            manifest_doc("app-32", PLATFORM, 32, "submitted")
        ),
    );
    let run = env.run(&["plan"]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("one platform has one region")
            && run.stderr.contains("a.yaml")
            && run.stderr.contains("b.yaml"),
        "{run:?}"
    );
    assert!(env.calls().is_empty(), "no call from an invalid set");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_reviewers_decision() {
    let env = Env::new().await;
    env.manifest("a.yaml", &manifest_doc("app-40", PLATFORM, 40, "submitted"));
    env.run(&["apply"]).await.assert_code(0);
    env.sim().process_version(PLATFORM, 40, false).unwrap();
    env.run(&["apply"]).await.assert_code(0);
    let status = env.run(&["status"]).await;
    status.assert_code(0);
    let row = status
        .stdout_lines()
        .into_iter()
        .find(|l| l.contains("app-40"))
        .unwrap()
        .to_string();
    assert!(
        row.contains("rejected by sim-approver at ") && row.contains("(approval MNPA"),
        "{row}"
    );
}
