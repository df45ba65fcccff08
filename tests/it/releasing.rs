//! The release flow end to end, against the simulator: version strings resolve (or fail for
//! that document alone, located), an approved version is released on the next run, an older
//! version is rolled back only with `--allow-rollback`, release windows defer and then
//! release, and a release whose record was lost converges.

use mnpsync::action::Action;
use mnpsync::record::{Event, Outcome};

use crate::util::{Env, Run, run};

const PLATFORM: &str = "TPLATFORM1";

/// mnp-shop: 100 (0.9.0) approved, never released; 101 (1.0.0) released, then 102 (1.1.0)
/// online; 103 (1.2.0) uploaded, no approval; 104 (1.3.0) approved. mnp-news: 201 (2.0.0),
/// nothing online.
const FIXTURE: &str = r#"
platforms:
  - id: TPLATFORM1
    mini_programs:
      - id: mnp-shop
        released: [101, 102]
        versions:
          - {id: 100, version: "0.9.0"}
          - {id: 101, version: "1.0.0"}
          - {id: 102, version: "1.1.0"}
          - {id: 103, version: "1.2.0"}
          - {id: 104, version: "1.3.0"}
      - id: mnp-news
        versions:
          - {id: 201, version: "2.0.0"}
    approvals:
      - {version: 101, status: approved}
      - {version: 102, status: approved}
      - {version: 104, status: approved}
      - {version: 100, status: approved}
"#;

/// A document that declares a version by its string, released once approved.
fn release_doc(name: &str, mnp: &str, version: &str) -> String {
    format!(
        "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\nspec:\n  platformId: {PLATFORM}\n  mnpId: {mnp}\n  version: \"{version}\"\n  approval: submitted\n  release: online\n"
    )
}

/// The calls of the release flow the simulator received, as `ACTION VERSION` (reads and
/// writes alike), skipping the approval listing.
fn flow(env: &Env) -> Vec<String> {
    env.calls()
        .iter()
        .filter(|c| c.action != "DescribeMNPApprovalList")
        .map(|c| {
            let p = &c.params;
            let what = match c.action.as_str() {
                "CreateMNPApproval" => format!(
                    "CreateMNPApproval {} {}",
                    p["ApplyAction"].as_str().unwrap_or("?"),
                    p["MNPVersionId"]
                ),
                "DescribeMNPAllStageVersions" | "DescribeMNPReleasedVersionHistory" => {
                    format!("{} {}", c.action, p["MNPId"].as_str().unwrap_or("?"))
                }
                other => format!("{other} {}", p["MNPVersionId"]),
            };
            match &c.code {
                Some(code) => format!("{what} -> {code}"),
                None => what,
            }
        })
        .collect()
}

async fn run_at(env: &Env, now: &str, args: &[&str]) -> Run {
    let mut command = env.command(args);
    command.env("MNPSYNC_NOW", now);
    run(command).await
}

#[tokio::test]
async fn a_version_string_resolves_and_an_unknown_one_fails_alone_and_located() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest(
        "shop.yaml",
        &format!(
            "{}---\n{}",
            release_doc("news-2", "mnp-news", "2.0.0"),
            release_doc("news-9", "mnp-shop", "9.9.9")
        ),
    );
    let plan = env.run(&["plan", "--format", "json"]).await;
    plan.assert_code(1);
    assert!(
        plan.stderr.contains(
            "manifests/shop.yaml:19:12: version \"9.9.9\" of mnp-shop: the platform lists no such version (not uploaded yet, or a typo); mnpsync tries again on the next run"
        ),
        "{}",
        plan.all_output()
    );
    let json = plan.json();
    assert_eq!(json["resources"][0]["key"], format!("{PLATFORM}/201"));
    assert_eq!(json["resources"][0]["version"], "2.0.0");
    assert_eq!(json["resources"][0]["action"], "submit");
    assert_eq!(
        json["unresolved"][0]["location"],
        "manifests/shop.yaml:19:12"
    );

    env.clear_calls();
    let apply = env.run(&["apply"]).await;
    apply.expect(1, "an unresolved document fails the run");
    // The resolvable document was applied; nothing was sent for the other.
    assert_eq!(
        flow(&env),
        [
            "DescribeMNPAllStageVersions mnp-news",
            "DescribeMNPAllStageVersions mnp-shop",
            "CreateMNPApproval submit 201",
        ]
    );
    assert!(
        apply.stderr.contains("nothing was sent for them"),
        "{}",
        apply.all_output()
    );
}

#[tokio::test]
async fn an_approved_version_is_released_on_the_next_run() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest("shop.yaml", &release_doc("shop-1-2", "mnp-shop", "1.2.0"));
    // First run: submit; the release waits for the reviewer.
    env.run(&["apply"]).await.assert_code(0);
    assert_eq!(
        flow(&env),
        [
            "DescribeMNPAllStageVersions mnp-shop",
            "CreateMNPApproval submit 103"
        ]
    );
    let plan = env.run(&["plan", "--all"]).await;
    plan.assert_code(0);
    assert!(
        plan.stdout
            .contains("waiting for approval; released once approved"),
        "{}",
        plan.stdout
    );
    // The reviewer approves; the next run releases.
    env.sim().process_version(PLATFORM, 103, true).unwrap();
    env.clear_calls();
    let apply = env.run(&["apply"]).await;
    apply.assert_code(0);
    assert_eq!(
        flow(&env),
        [
            "DescribeMNPAllStageVersions mnp-shop",
            "ReleaseMNPVersion 103"
        ]
    );
    assert!(apply.stdout.contains("released "), "{}", apply.stdout);
    let outcome = env
        .journal()
        .into_iter()
        .rfind(|l| l.event == Event::Outcome)
        .unwrap();
    assert_eq!(
        (outcome.action, outcome.outcome),
        (Action::Release, Some(Outcome::Released))
    );
    // The records know which version is online; a third run has nothing to do.
    let status = env.run(&["status"]).await;
    assert!(
        status
            .stdout
            .contains(&format!("{PLATFORM}/mnp-shop  103 (1.2.0)")),
        "{}",
        status.stdout
    );
    env.clear_calls();
    let again = env.run(&["plan", "--detailed-exitcode"]).await;
    again.assert_code(0);
}

#[tokio::test]
async fn an_older_released_version_is_rolled_back_only_with_allow_rollback() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest("shop.yaml", &release_doc("shop-1-0", "mnp-shop", "1.0.0"));
    let plan = env.run(&["plan"]).await;
    plan.assert_code(0);
    assert!(plan.stdout.contains("< rollback"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("1 need --allow-rollback"),
        "{}",
        plan.stdout
    );
    // Without the flag: shown, not run, exit 1 (the declared state needs a decision).
    env.clear_calls();
    let held = env.run(&["apply"]).await;
    held.expect(
        1,
        "a rollback without --allow-rollback is a decision to make",
    );
    assert!(
        held.stdout
            .contains("rollback(s) not run: they need --allow-rollback"),
        "{}",
        held.stdout
    );
    assert!(
        flow(&env)
            .iter()
            .all(|c| !c.starts_with("RollbackMNPVersion")),
        "{:?}",
        flow(&env)
    );
    // With it: the rollback runs, with the parameters the API requires.
    env.clear_calls();
    env.run(&["apply", "--allow-rollback"]).await.assert_code(0);
    let rollback: Vec<_> = env
        .calls()
        .into_iter()
        .filter(|c| c.action == "RollbackMNPVersion")
        .collect();
    assert_eq!(rollback.len(), 1);
    assert_eq!(
        rollback[0].params,
        serde_json::json!({"MNPId": "mnp-shop", "MNPVersionId": 101, "PlatformId": PLATFORM, "MNPVersion": "1.0.0"})
    );
    let outcome = env
        .journal()
        .into_iter()
        .rfind(|l| l.event == Event::Outcome)
        .unwrap();
    assert_eq!(outcome.outcome, Some(Outcome::RolledBack));
}

#[tokio::test]
async fn an_older_version_never_released_needs_a_person_and_makes_no_call() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest("shop.yaml", &release_doc("shop-0-9", "mnp-shop", "0.9.0"));
    let plan = env.run(&["plan", "--fail-on-attention"]).await;
    plan.assert_code(3);
    assert!(
        plan.stdout.contains("older than the online version 102 and never released: the platform only releases newer versions; declare a newer version"),
        "{}",
        plan.stdout
    );
    env.clear_calls();
    env.run(&["apply", "--allow-rollback"]).await.assert_code(0);
    assert_eq!(
        flow(&env),
        [
            "DescribeMNPAllStageVersions mnp-shop",
            "DescribeMNPReleasedVersionHistory mnp-shop"
        ]
    );
}

#[tokio::test]
async fn outside_every_window_a_release_is_deferred_and_runs_once_one_opens() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest("shop.yaml", &release_doc("shop-1-3", "mnp-shop", "1.3.0"));
    let window = "Mon-Thu 10:00-16:00 Asia/Shanghai";
    // Sunday 2026-11-29 12:00 UTC: closed; the next window opens Monday 10:00 +08:00.
    let closed = "2026-11-29T12:00:00Z";
    let plan = run_at(
        &env,
        closed,
        &["plan", "--detailed-exitcode", "--release-window", window],
    )
    .await;
    plan.expect(2, "a deferred release counts as a change");
    assert!(
        plan.stdout
            .contains("deferred: outside the release window; next opens 2026-11-30 10:00 +08:00"),
        "{}",
        plan.stdout
    );
    env.clear_calls();
    let apply = run_at(&env, closed, &["apply", "--release-window", window]).await;
    apply.expect(0, "a deferral is not an error");
    assert!(apply.stdout.contains("deferred"), "{}", apply.stdout);
    assert!(
        !flow(&env)
            .iter()
            .any(|c| c.starts_with("ReleaseMNPVersion"))
    );
    // Monday 03:00 UTC is 11:00 in Shanghai: open.
    env.clear_calls();
    run_at(
        &env,
        "2026-11-30T03:00:00Z",
        &["apply", "--release-window", window],
    )
    .await
    .assert_code(0);
    assert_eq!(
        flow(&env),
        [
            "DescribeMNPAllStageVersions mnp-shop",
            "ReleaseMNPVersion 104"
        ]
    );
}

#[tokio::test]
async fn a_release_whose_record_was_lost_converges() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest("shop.yaml", &release_doc("shop-1-3", "mnp-shop", "1.3.0"));
    env.run(&["plan", "--out", "plan.json"])
        .await
        .assert_code(0);
    // A run crashed after its release reached the platform, before its outcome was written:
    // the platform shows 104 online.
    env.client()
        .release_mnp_version_gated(
            &mnpsync::tcmpp::model::ReleaseMnpVersionRequest {
                mnp_version_id: 104,
                platform_id: PLATFORM.into(),
            },
            None,
            &|| None,
        )
        .await
        .unwrap();
    // The saved plan still says "release": the platform answers MNPVersionReleased, and a
    // listing taken after the call confirms it.
    env.clear_calls();
    env.run(&["apply", "--plan", "plan.json"])
        .await
        .assert_code(0);
    assert_eq!(
        flow(&env),
        [
            "ReleaseMNPVersion 104 -> FailedOperation.MNPVersionReleased",
            "DescribeMNPAllStageVersions mnp-shop"
        ]
    );
    let outcome = env
        .journal()
        .into_iter()
        .rfind(|l| l.event == Event::Outcome)
        .unwrap();
    assert_eq!(outcome.outcome, Some(Outcome::AlreadyReleased));
    // A fresh plan sees it online: nothing to do.
    env.run(&["plan", "--detailed-exitcode"])
        .await
        .assert_code(0);
}

/// A submit of a version with no approval request yet is not in the listing, so only its
/// manifest's `mnpId` names its mini program: with it, the plan predicts the conflict with
/// another version's pending request.
#[tokio::test]
async fn the_manifests_mnp_id_lets_the_plan_predict_a_conflict() {
    let env = Env::with_fixture(
        r#"
platforms:
  - id: TPLATFORM1
    mini_programs:
      - id: mnp-shop
        versions:
          - {id: 103, version: "1.2.0"}
          - {id: 104, version: "1.3.0"}
    approvals:
      - {version: 104, status: processing}
"#,
    )
    .await;
    env.manifest(
        "shop.yaml",
        &format!(
            "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: shop-103\nspec:\n  platformId: {PLATFORM}\n  mnpId: mnp-shop\n  mnpVersionId: 103\n  approval: submitted\n"
        ),
    );
    let plan = env.run(&["plan", "--format", "json"]).await;
    plan.assert_code(0);
    let json = plan.json();
    assert_eq!(json["resources"][0]["action"], "submit");
    assert_eq!(
        json["resources"][0]["attention"],
        "mnp-shop has 104 processing: this submit will be blocked unless 104 is declared cancelled"
    );
}

/// A saved plan whose release was deferred is not "applied": applied again inside a window, it
/// releases. A selector sees documents declared by version string.
#[tokio::test]
async fn a_deferred_saved_plan_releases_when_applied_inside_a_window() {
    let env = Env::with_fixture(FIXTURE).await;
    env.manifest(
        "shop.yaml",
        &release_doc("shop-1-3", "mnp-shop", "1.3.0").replace(
            "metadata:\n  name: shop-1-3\n",
            "metadata:\n  name: shop-1-3\n  labels: {team: content}\n",
        ),
    );
    let window = "Mon-Thu 10:00-16:00 Asia/Shanghai";
    run_at(
        &env,
        "2026-11-29T12:00:00Z",
        &["plan", "--selector", "team=content", "--out", "plan.json"],
    )
    .await
    .assert_code(0);
    let closed = run_at(
        &env,
        "2026-11-29T12:00:00Z",
        &["apply", "--plan", "plan.json", "--release-window", window],
    )
    .await;
    closed.assert_code(0);
    assert!(closed.stdout.contains("deferred"), "{}", closed.stdout);
    env.clear_calls();
    run_at(
        &env,
        "2026-11-30T03:00:00Z",
        &["apply", "--plan", "plan.json", "--release-window", window],
    )
    .await
    .assert_code(0);
    assert!(
        flow(&env).contains(&"ReleaseMNPVersion 104".to_string()),
        "{:?}",
        flow(&env)
    );
}
