//! The git flow end to end: manifests committed in a temporary git repository, the real binary
//! (`plan`, `apply`, `status`) against the simulator started in this process on port 0.
//!
//! Every command runs from a working directory OUTSIDE the repository and is given the manifests'
//! path, so the commit it records can only have been found from that path. The environment is the
//! simulator's (endpoint, credentials), a temporary `HOME` and state directory; inherited
//! `TENCENTCLOUD_*`, `MNPSYNC_*` and `GIT_*` variables are removed. Children run through
//! `tokio::process` on a multi-thread runtime so the in-process simulator keeps serving.
//! Nothing sleeps a fixed time.

use std::path::PathBuf;
use std::time::Duration;

use mnpsync::record::{Event, read_journal};
use mnpsync::sim::{Fixture, Sim, SimConfig, SimHandle, spawn};
use mnpsync::tcmpp::model::{ApplyAction, ApprovalStatus, CreateMnpApprovalRequest};
use serde_json::Value;

use crate::util::{
    self, Run, against_sim, apply_action, client_for, labelled_manifest_doc, mnpsync, repo_file,
    signing_as, version,
};

const PLATFORM: &str = "TGITFLOW00000000001";

/// One write call as the simulator received it: (action, ApplyAction, MNPVersionId).
type Write = (String, String, i64);

fn submit(version: i64) -> Write {
    ("CreateMNPApproval".into(), "submit".into(), version)
}

fn cancel(version: i64) -> Write {
    ("CreateMNPApproval".into(), "cancel".into(), version)
}

/// One manifest document of [`PLATFORM`], labelled with its team.
fn doc(name: &str, version: i64, approval: &str, team: &str) -> String {
    labelled_manifest_doc(name, &[("team", team)], PLATFORM, version, approval)
}

fn fixture(name: &str) -> String {
    repo_file(format!("tests/fixtures/gitflow/{name}"))
}

/// `(action, key)` of a plan's resources that need a call, in plan order.
fn planned_actions(plan: &Value) -> Vec<(String, String)> {
    plan["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["action"] != "none")
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn key(version: i64) -> String {
    format!("{PLATFORM}/{version}")
}

/// A simulator, a git repository with a `manifests/` directory, a state directory, a home and a
/// working directory outside the repository, all in one temporary directory.
struct Flow {
    sim: SimHandle,
    root: tempfile::TempDir,
}

impl Flow {
    /// In a git repository.
    async fn new() -> Flow {
        Flow::with(SimConfig::default(), true).await
    }

    /// The simulator's rate limit is off: several short-lived processes in a row may list
    /// approvals more than 20 times in a second, and a retried list would only add noise.
    async fn with(config: SimConfig, git: bool) -> Flow {
        let config = SimConfig {
            rate_limit: 0,
            ..config
        };
        let sim = spawn(config).await.expect("simulator starts");
        let root = tempfile::tempdir().unwrap();
        let flow = Flow { sim, root };
        for dir in [flow.manifests(), flow.state(), flow.home(), flow.work()] {
            std::fs::create_dir_all(dir).unwrap();
        }
        if git {
            flow.git(&["init", "-q"]);
            flow.git(&["config", "user.email", "ci@example.com"]);
            flow.git(&["config", "user.name", "CI"]);
            flow.git(&["config", "commit.gpgsign", "false"]);
            // Keeps the directory in git when every manifest is removed (not a manifest: it is
            // neither *.yaml nor *.yml, and hidden).
            std::fs::write(flow.manifests().join(".gitkeep"), "").unwrap();
        }
        flow
    }

    fn repo(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    fn manifests(&self) -> PathBuf {
        self.repo().join("manifests")
    }

    /// The manifests' path as passed on the command line.
    fn m(&self) -> String {
        self.manifests().to_str().unwrap().to_string()
    }

    fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// The commands' working directory: not inside the repository.
    fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// A path in the working directory, as a string argument.
    fn work_file(&self, name: &str) -> String {
        self.work().join(name).to_str().unwrap().to_string()
    }

    fn sim(&self) -> &Sim {
        &self.sim.sim
    }

    /// `git ARGS` in the repository (see [`util::git`]); returns stdout, trimmed.
    fn git(&self, args: &[&str]) -> String {
        util::git(&self.repo(), &self.home(), self.root.path(), args)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.manifests().join(name), text).unwrap();
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.manifests().join(name)).unwrap();
    }

    /// Commits everything; returns the new HEAD.
    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.head()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// Runs `mnpsync ARGS` from the working directory outside the repository.
    async fn run(&self, args: &[&str]) -> Run {
        let mut command = mnpsync(args);
        command.current_dir(self.work());
        against_sim(&mut command, &self.sim.url, &self.state(), &self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            // Repository discovery stops at the temporary directory: a non-git directory in it
            // is outside git even when the temporary directory itself is inside some checkout.
            .env("GIT_CEILING_DIRECTORIES", self.root.path());
        signing_as(&mut command, self.sim().config());
        util::run(command).await
    }

    /// The write calls received since the last take (listing calls are left out), then forgets
    /// every call. Calls of one phase run concurrently, so within a run of equal `ApplyAction`s
    /// they are sorted by version; the order of the phases (cancels, then submits) is kept.
    fn take_writes(&self) -> Vec<Write> {
        let calls = self.sim().calls();
        self.sim().clear_calls();
        let mut writes: Vec<Write> = calls
            .iter()
            .filter(|c| c.action != "DescribeMNPApprovalList")
            .map(|c| {
                (
                    c.action.clone(),
                    apply_action(c).unwrap_or_default().to_string(),
                    version(c).unwrap_or_default(),
                )
            })
            .collect();
        writes
            .chunk_by_mut(|a, b| a.1 == b.1)
            .for_each(<[Write]>::sort);
        writes
    }

    /// Submits a version directly through the API, behind mnpsync's back (not in its records).
    async fn submit_behind_the_back(&self, version: i64) {
        let client = client_for(&self.sim.url, self.sim().config());
        let request = CreateMnpApprovalRequest {
            mnp_version_id: version,
            apply_action: ApplyAction::Submit,
            platform_id: PLATFORM.to_string(),
        };
        client
            .create_mnp_approval(&request, None)
            .await
            .expect("submit behind the back");
    }

    /// The simulator's current status of a version (its latest approval).
    fn status_of(&self, version: i64) -> Option<ApprovalStatus> {
        self.sim()
            .approvals()
            .iter()
            .rev()
            .find(|a| a.platform_id == PLATFORM && a.record.mnp_version_id == Some(version))
            .and_then(|a| a.record.status())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn detailed_exitcode_is_2_before_apply_0_after_and_1_on_invalid_manifests() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail"));
    flow.commit("two versions");

    let plan = flow.run(&["plan", &m, "--detailed-exitcode"]).await;
    plan.expect(2, "plan with changes");
    assert!(
        plan.stdout
            .contains("Plan: 2 to submit, 0 to cancel, 0 unchanged."),
        "{}",
        plan.stdout
    );
    flow.run(&["plan", &m])
        .await
        .expect(0, "plan without --detailed-exitcode");
    assert_eq!(flow.take_writes(), vec![], "plan never writes");

    flow.run(&["apply", &m]).await.expect(0, "apply");
    assert_eq!(flow.take_writes(), vec![submit(101), submit(102)]);

    let plan = flow.run(&["plan", &m, "--detailed-exitcode"]).await;
    plan.expect(0, "plan after apply");
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    flow.write("c.yaml", &fixture("invalid.yaml"));
    flow.commit("a broken manifest");
    let plan = flow.run(&["plan", &m, "--detailed-exitcode"]).await;
    plan.expect(1, "plan of an invalid manifest");
    let c = flow.manifests().join("c.yaml");
    let located: Vec<&str> = plan
        .stderr
        .lines()
        .filter(|l| l.starts_with(&format!("{}:", c.display())))
        .collect();
    assert_eq!(located.len(), 2, "both errors, located:\n{}", plan.stderr);
    flow.run(&["apply", &m])
        .await
        .expect(1, "apply of an invalid manifest");
    assert_eq!(
        flow.take_writes(),
        vec![],
        "no call with an invalid manifest"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_applied_exactly_and_only_once() {
    let flow = Flow::new().await;
    let m = flow.m();
    // 104 is pending (submitted by someone else) and declared cancelled: the plan cancels it
    // before it submits 101 and 102; 103 has no approval and is declared cancelled: no call.
    flow.submit_behind_the_back(104).await;
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail"));
    flow.write(
        "old.yaml",
        &format!(
            "{}---\n{}",
            doc("shop-103", 103, "cancelled", "retail"),
            doc("shop-104", 104, "cancelled", "retail")
        ),
    );
    let head = flow.commit("release 101 and 102, withdraw 104");
    flow.take_writes();

    let out = flow.work_file("plan.json");
    let plan = flow
        .run(&["plan", &m, "--out", &out, "--format", "json"])
        .await;
    plan.expect(0, "plan --out");
    let shown = plan.json();
    assert_eq!(shown["commit"], head.as_str());
    let saved: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    // The saved-plan format (DESIGN.md §5): the plan under `plan`, with what it was made from.
    assert_eq!(saved["format_version"], 2);
    assert!(saved["id"].is_string() && saved["observation"].is_object());
    let actions = planned_actions(&saved["plan"]);
    assert_eq!(
        actions,
        vec![
            ("cancel".to_string(), key(104)),
            ("submit".to_string(), key(101)),
            ("submit".to_string(), key(102)),
        ]
    );
    assert_eq!(
        planned_actions(&shown),
        actions,
        "the saved plan is the plan shown"
    );
    assert!(saved["manifests_digest"].is_string());

    let apply = flow.run(&["apply", &m, "--plan", &out]).await;
    apply.expect(0, "apply --plan");
    let writes = flow.take_writes();
    assert_eq!(writes, vec![cancel(104), submit(101), submit(102)]);
    let made: Vec<(String, String)> = writes
        .iter()
        .map(|(_, a, v)| (a.clone(), key(*v)))
        .collect();
    assert_eq!(made, actions, "exactly the planned calls");

    let again = flow.run(&["apply", &m, "--plan", &out]).await;
    again.expect(0, "the same plan again");
    assert_eq!(flow.take_writes(), vec![], "a saved plan is applied once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_is_stale_once_the_manifests_change() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.commit("101");
    let out = flow.work_file("plan.json");
    flow.run(&["plan", &m, "--out", &out])
        .await
        .expect(0, "plan --out");

    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail"));
    flow.commit("102 after the plan was made");
    let apply = flow.run(&["apply", &m, "--plan", &out]).await;
    apply.expect(1, "stale plan");
    assert!(apply.stderr.contains("stale"), "{}", apply.stderr);
    assert_eq!(flow.take_writes(), vec![], "a stale plan makes no call");

    // Planning again gives a plan that applies.
    flow.run(&["plan", &m, "--out", &out])
        .await
        .expect(0, "plan again");
    flow.run(&["apply", &m, "--plan", &out])
        .await
        .expect(0, "apply the new plan");
    assert_eq!(flow.take_writes(), vec![submit(101), submit(102)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_is_stale_once_someone_submits_behind_its_back() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.commit("101");
    let out = flow.work_file("plan.json");
    flow.run(&["plan", &m, "--out", &out])
        .await
        .expect(0, "plan --out");

    flow.submit_behind_the_back(101).await;
    flow.take_writes();
    let apply = flow.run(&["apply", &m, "--plan", &out]).await;
    apply.expect(1, "stale plan");
    assert!(apply.stderr.contains("stale"), "{}", apply.stderr);
    assert!(
        apply.stderr.contains(&key(101)),
        "names the version that moved: {}",
        apply.stderr
    );
    assert_eq!(flow.take_writes(), vec![], "a stale plan makes no call");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_is_stale_once_the_reviewer_acts() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.commit("101");
    flow.run(&["apply", &m]).await.expect(0, "apply");
    flow.write("a.yaml", &doc("shop-101", 101, "cancelled", "retail"));
    flow.commit("withdraw 101");
    let out = flow.work_file("plan.json");
    let plan = flow
        .run(&["plan", &m, "--out", &out, "--format", "json"])
        .await;
    plan.expect(0, "plan --out");
    assert_eq!(
        planned_actions(&plan.json()),
        vec![("cancel".to_string(), key(101))]
    );
    flow.take_writes();

    flow.sim()
        .process_version(PLATFORM, 101, true)
        .expect("approve 101");
    let apply = flow.run(&["apply", &m, "--plan", &out]).await;
    apply.expect(1, "stale plan");
    assert!(apply.stderr.contains("stale"), "{}", apply.stderr);
    assert_eq!(flow.take_writes(), vec![], "a stale plan makes no call");
    assert_eq!(flow.status_of(101), Some(ApprovalStatus::Approved));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selector_limits_plan_and_apply_to_matching_manifests() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write(
        "pay.yaml",
        &format!(
            "{}---\n{}",
            doc("pay-101", 101, "submitted", "payments"),
            doc("pay-102", 102, "submitted", "payments")
        ),
    );
    flow.write("shop.yaml", &doc("shop-201", 201, "submitted", "retail"));
    flow.commit("three versions, two teams");

    let plan = flow
        .run(&[
            "plan",
            &m,
            "--selector",
            "team=payments",
            "--format",
            "json",
        ])
        .await;
    plan.expect(0, "plan --selector");
    let plan = plan.json();
    let keys: Vec<&str> = plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        vec![key(101), key(102)],
        "only the matching manifests are planned"
    );
    assert_eq!(
        planned_actions(&plan),
        vec![
            ("submit".to_string(), key(101)),
            ("submit".to_string(), key(102))
        ]
    );
    assert_eq!(flow.take_writes(), vec![]);

    flow.run(&["apply", &m, "--selector", "team=payments"])
        .await
        .expect(0, "apply --selector");
    assert_eq!(
        flow.take_writes(),
        vec![submit(101), submit(102)],
        "only the matching versions"
    );

    let plan = flow.run(&["plan", &m, "--format", "json"]).await;
    plan.expect(0, "plan of everything");
    assert_eq!(
        planned_actions(&plan.json()),
        vec![("submit".to_string(), key(201))]
    );
    flow.run(&["apply", &m, "--selector", "team=retail"])
        .await
        .expect(0, "apply the other team");
    assert_eq!(flow.take_writes(), vec![submit(201)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_needs_the_flag_and_cancels_only_what_mnpsync_submitted() {
    let flow = Flow::new().await;
    let m = flow.m();
    for v in [101, 102, 103] {
        flow.write(
            &format!("{v}.yaml"),
            &doc(&format!("shop-{v}"), v, "submitted", "retail"),
        );
    }
    flow.commit("three versions");
    flow.run(&["apply", &m]).await.expect(0, "apply");
    assert_eq!(
        flow.take_writes(),
        vec![submit(101), submit(102), submit(103)]
    );
    // 104: pending, in no manifest and not in mnpsync's records.
    flow.submit_behind_the_back(104).await;
    flow.take_writes();

    flow.remove("103.yaml");
    flow.commit("stop managing 103");
    flow.run(&["apply", &m])
        .await
        .expect(0, "apply without --prune");
    assert_eq!(
        flow.take_writes(),
        vec![],
        "removing a manifest cancels nothing by itself"
    );

    let plan = flow.run(&["plan", &m, "--prune", "--format", "json"]).await;
    plan.expect(0, "plan --prune");
    let plan = plan.json();
    assert_eq!(
        planned_actions(&plan),
        vec![("cancel".to_string(), key(103))]
    );
    assert!(
        plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["key"] != key(104).as_str()),
        "a version mnpsync did not submit is not even considered: {plan:#}"
    );

    flow.run(&["apply", &m, "--prune"])
        .await
        .expect(0, "apply --prune");
    assert_eq!(flow.take_writes(), vec![cancel(103)]);
    assert_eq!(flow.status_of(103), Some(ApprovalStatus::Cancelled));
    assert_eq!(
        flow.status_of(104),
        Some(ApprovalStatus::Processing),
        "never pruned"
    );

    flow.run(&["apply", &m, "--prune"])
        .await
        .expect(0, "apply --prune again");
    assert_eq!(flow.take_writes(), vec![]);
    assert_eq!(flow.status_of(104), Some(ApprovalStatus::Processing));
}

#[tokio::test(flavor = "multi_thread")]
async fn pruning_every_manifest_is_refused_without_force() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail"));
    flow.commit("two versions");
    flow.run(&["apply", &m]).await.expect(0, "apply");
    flow.take_writes();

    flow.remove("a.yaml");
    flow.remove("b.yaml");
    flow.commit("remove every manifest");
    assert!(flow.manifests().is_dir());
    flow.run(&["apply", &m])
        .await
        .expect(0, "an empty directory without --prune");
    assert_eq!(
        flow.take_writes(),
        vec![],
        "an empty directory cancels nothing by itself"
    );

    let apply = flow.run(&["apply", &m, "--prune"]).await;
    apply.expect(1, "prune of everything");
    assert!(apply.stderr.contains("--force"), "{}", apply.stderr);
    assert_eq!(flow.take_writes(), vec![], "a refused prune makes no call");

    // The guard holds for a saved plan too.
    let out = flow.work_file("plan.json");
    flow.run(&["plan", &m, "--prune", "--out", &out])
        .await
        .expect(0, "plan --prune --out");
    let apply = flow.run(&["apply", &m, "--plan", &out]).await;
    apply.expect(1, "saved prune of everything");
    assert!(apply.stderr.contains("--force"), "{}", apply.stderr);
    assert_eq!(flow.take_writes(), vec![]);

    flow.run(&["apply", &m, "--prune", "--force"])
        .await
        .expect(0, "apply --prune --force");
    assert_eq!(flow.take_writes(), vec![cancel(101), cancel(102)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn pruning_more_than_the_limit_is_refused_without_force() {
    let flow = Flow::new().await;
    let m = flow.m();
    for v in [101, 102, 103] {
        flow.write(
            &format!("{v}.yaml"),
            &doc(&format!("shop-{v}"), v, "submitted", "retail"),
        );
    }
    flow.commit("three versions");
    flow.run(&["apply", &m]).await.expect(0, "apply");
    flow.take_writes();
    flow.remove("102.yaml");
    flow.remove("103.yaml");
    flow.commit("stop managing 102 and 103");

    let apply = flow
        .run(&["apply", &m, "--prune", "--prune-limit", "1"])
        .await;
    apply.expect(1, "prune beyond the limit");
    assert!(apply.stderr.contains("--prune-limit"), "{}", apply.stderr);
    assert!(apply.stderr.contains("--force"), "{}", apply.stderr);
    assert_eq!(flow.take_writes(), vec![], "a refused prune makes no call");

    flow.run(&["apply", &m, "--prune", "--prune-limit", "1", "--force"])
        .await
        .expect(0, "forced");
    assert_eq!(flow.take_writes(), vec![cancel(102), cancel(103)]);
    assert_eq!(flow.status_of(101), Some(ApprovalStatus::Processing));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journal_and_reports_carry_the_head_commit() {
    let flow = Flow::new().await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.commit("first");
    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail"));
    let head = flow.commit("second");
    assert_eq!(head.len(), 40);

    let plan = flow.run(&["plan", &m, "--format", "json"]).await;
    plan.expect(0, "plan");
    assert_eq!(plan.json()["commit"], head.as_str());
    let apply = flow.run(&["apply", &m, "--format", "json"]).await;
    apply.expect(0, "apply --format json");
    let report = apply.json();
    assert_eq!(report["commit"], head.as_str());
    assert_eq!(report["results"].as_array().unwrap().len(), 2);

    let (lines, _) = read_journal(&flow.state()).unwrap();
    assert_eq!(lines.len(), 4, "an intent and an outcome per call");
    assert_eq!(lines.iter().filter(|l| l.event == Event::Intent).count(), 2);
    for line in &lines {
        assert_eq!(line.commit.as_deref(), Some(head.as_str()), "{line:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_git_the_commit_is_null() {
    let flow = Flow::with(SimConfig::default(), false).await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));

    let plan = flow.run(&["plan", &m, "--format", "json"]).await;
    plan.expect(0, "plan");
    assert_eq!(plan.json()["commit"], Value::Null);
    let apply = flow.run(&["apply", &m, "--format", "json"]).await;
    apply.expect(0, "apply");
    assert_eq!(apply.json()["commit"], Value::Null);
    let (lines, _) = read_journal(&flow.state()).unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.commit.is_none()), "{lines:?}");
    let raw = std::fs::read_to_string(flow.state().join("journal.jsonl")).unwrap();
    assert!(raw.lines().all(|l| l.contains("\"commit\":null")), "{raw}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_markdown_plan_is_a_pull_request_comment() {
    let config = SimConfig {
        fixture: Some(Fixture::from_yaml(&fixture("sim-fixture.yaml")).unwrap()),
        ..SimConfig::default()
    };
    let flow = Flow::with(config, true).await;
    let m = flow.m();
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail")); // submit
    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail")); // approved: unchanged
    flow.write("c.yaml", &doc("shop-103", 103, "cancelled", "retail")); // no record: unchanged
    flow.write("d.yaml", &doc("shop-104", 104, "cancelled", "retail")); // approved: attention
    let head = flow.commit("a release");

    // Exactly the pull-request job's command.
    let out = flow.work_file("plan.json");
    let plan = flow
        .run(&[
            "plan",
            &m,
            "--format",
            "markdown",
            "--detailed-exitcode",
            "--out",
            &out,
        ])
        .await;
    plan.expect(2, "plan with changes");
    let md = &plan.stdout;
    let header = "| version | name | desired | observed | action | reason |";
    assert!(md.contains(header), "{md}");
    assert!(
        md.contains("Plan: 1 to submit, 0 to cancel, 3 unchanged, 1 need attention."),
        "{md}"
    );
    assert!(md.contains(&head[..12]), "names the commit: {md}");
    let (changes, unchanged) = md
        .split_once("<details>")
        .expect("unchanged versions are collapsed");
    assert!(unchanged.contains("</details>"), "{md}");
    assert!(
        changes.contains(&format!("`{}`", key(101))) && changes.contains("submit"),
        "{md}"
    );
    assert!(
        changes.contains(&format!("`{}`", key(104))) && changes.contains("already approved"),
        "{md}"
    );
    for v in [102, 103] {
        assert!(
            !changes.contains(&key(v)) && unchanged.contains(&format!("`{}`", key(v))),
            "{v}: {md}"
        );
    }
    assert!(
        unchanged.contains(header),
        "the collapsed table has its header: {md}"
    );
    assert!(
        !md.contains("Saved the plan"),
        "stdout is only the comment; notes go to stderr"
    );
    assert!(std::path::Path::new(&out).is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_text_plan_estimates_long_applies() {
    let flow = Flow::new().await;
    let m = flow.m();
    let many: Vec<String> = (1..=150)
        .map(|v| doc(&format!("bulk-{v}"), v, "submitted", "bulk"))
        .collect();
    flow.write("bulk.yaml", &many.join("---\n"));
    flow.commit("150 versions");

    let plan = flow
        .run(&["plan", &m, "--no-refresh", "--rate-limit", "20"])
        .await;
    plan.expect(0, "plan");
    assert!(
        plan.stdout.contains("Plan: 150 to submit"),
        "{}",
        plan.stdout
    );
    let estimate: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.contains("about"))
        .collect();
    assert_eq!(estimate.len(), 1, "{}", plan.stdout);
    assert!(estimate[0].contains("150 calls"), "{}", estimate[0]);
    assert!(flow.sim().calls().is_empty(), "--no-refresh makes no call");

    // A short plan has no estimate.
    flow.write("bulk.yaml", &many[..2].join("---\n"));
    let plan = flow
        .run(&["plan", &m, "--no-refresh", "--rate-limit", "20"])
        .await;
    plan.expect(0, "short plan");
    assert!(!plan.stdout.contains("about"), "{}", plan.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_last_outcome_when_commit_and_request_id() {
    let flow = Flow::new().await;
    let m = flow.m();
    let started = time::OffsetDateTime::now_utc() - Duration::from_secs(1);
    flow.write("a.yaml", &doc("shop-101", 101, "submitted", "retail"));
    flow.write("b.yaml", &doc("shop-102", 102, "submitted", "retail"));
    let first = flow.commit("two versions");
    flow.run(&["apply", &m]).await.expect(0, "apply");
    flow.write("b.yaml", &doc("shop-102", 102, "cancelled", "retail"));
    let second = flow.commit("withdraw 102");
    flow.run(&["apply", &m])
        .await
        .expect(0, "apply the withdrawal");
    let request_id = |apply: &str, version: i64| {
        flow.sim()
            .calls()
            .iter()
            .find(|c| c.params["ApplyAction"] == apply && c.params["MNPVersionId"] == version)
            .map(|c| c.request_id.clone())
            .unwrap()
    };

    let status = flow.run(&["status"]).await;
    status.expect(0, "status");
    let row = |version: i64| -> Vec<String> {
        let line = status
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{} ", key(version))))
            .unwrap_or_else(|| panic!("no row for {version}:\n{}", status.stdout));
        line.split_whitespace().map(str::to_string).collect()
    };
    // VERSION NAME OBSERVED LAST OUTCOME WHEN COMMIT REQUEST-ID MESSAGE
    let expected = [
        (
            101,
            "shop-101",
            "processing",
            "submit",
            "submitted",
            &first,
            request_id("submit", 101),
        ),
        (
            102,
            "shop-102",
            "cancelled",
            "cancel",
            "cancelled",
            &second,
            request_id("cancel", 102),
        ),
    ];
    for (version, name, observed, last, outcome, commit, request) in expected {
        let row = row(version);
        assert_eq!(row.len(), 9, "{row:?}");
        assert_eq!(
            [&row[1], &row[2], &row[3], &row[4], &row[6], &row[7]],
            [name, observed, last, outcome, &commit[..12], &request],
            "{}",
            status.stdout
        );
        let when =
            time::OffsetDateTime::parse(&row[5], &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("WHEN {:?}: {e}", row[5]));
        assert!(
            when >= started && when <= time::OffsetDateTime::now_utc(),
            "{when}"
        );
    }
}
