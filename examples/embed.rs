//! Using mnpsync as a library: load manifests, plan, apply, print the outcomes — the same steps
//! `mnpsync plan` and `mnpsync apply` take, against a simulator started in this process.
//!
//! Run: `cargo run --example embed` (offline, no set-up; writes its manifests to a temporary
//! directory). Against the real API, build the client from `credentials::load(None)` and
//! `Endpoint::parse("https://tcmpp.tencentcloudapi.com")` instead of the simulator's.

use mnpsync::apply::{ApplyOptions, RunInfo, apply};
use mnpsync::manifest;
use mnpsync::reconcile::{PlanRequest, git_commit, labels_of, make_plan};
use mnpsync::record::Lock;
use mnpsync::record::Records;
use mnpsync::report;
use mnpsync::sim::{SimConfig, spawn};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};
use tokio_util::sync::CancellationToken;

const MANIFESTS: &str = "\
apiVersion: mnpsync/v1
kind: MNPApproval
metadata:
  name: shop-2597
  labels: {team: retail}
spec:
  platformId: T04257DS9431720WTAG
  mnpVersionId: 2597
  approval: submitted
---
apiVersion: mnpsync/v1
kind: MNPApproval
metadata:
  name: pay-3001
  labels: {team: payments}
spec:
  platformId: T04257DS9431720WTAG
  mnpVersionId: 3001
  approval: submitted
";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // 1. A simulator on a free loopback port, and a client signed with its throwaway keys.
    let config = SimConfig::default();
    let credentials = Credentials::new(&config.secret_id, &config.secret_key, "embed example");
    let sim = spawn(config).await?;
    let client = Client::new(credentials, ClientConfig::new(Endpoint::parse(&sim.url)?))?;

    // 2. Manifests and a state directory (journal.jsonl, state.json, lock) in a temporary dir.
    let dir = tempfile::tempdir()?;
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests)?;
    std::fs::write(manifests.join("versions.yaml"), MANIFESTS)?;
    let state_dir = dir.path().join("state");

    // 3. Load and validate: every error at once, each as `path:line:column: message`.
    let desired = manifest::load(std::slice::from_ref(&manifests))?;
    println!(
        "loaded {} version(s) from {} file(s)",
        desired.resources.len(),
        desired.files
    );

    // 4. Hold the state directory's lock as `apply` does, then open the records.
    let _lock = Lock::acquire(&state_dir)?;
    let records = Records::open(&state_dir)?;

    // 5. Plan: refresh the observed state from the API, then desired × observed → actions.
    //    `PlanRequest` also takes `prune`, a label `selector` and `resubmit_rejected`.
    let state = records.snapshot();
    let request = PlanRequest {
        refresh: true,
        ..PlanRequest::default()
    };
    let commit = git_commit(&manifests); // None here: the temporary directory is not a git repo
    let planned = make_plan(Some(&client), &desired, &state, &request, commit.clone()).await?;
    for warning in &planned.warnings {
        eprintln!("warning: {warning}");
    }
    print!("{}", report::plan_text(&planned.plan, 20, true));

    // 6. Apply: remember names and labels (for a later `--prune`), then make the calls. The
    //    callback sees each outcome as it lands; every one is also in the journal.
    records.observe(&planned.plan, &labels_of(&desired));
    let report = apply(
        &client,
        &planned.plan,
        &records,
        &RunInfo::new(commit),
        ApplyOptions::default(),
        &CancellationToken::new(), // cancel it (e.g. on SIGTERM) to start no new call
        &|result| println!("{}", report::result_line(result)),
    )
    .await?;
    println!("{}", report::apply_summary_line(&report));
    anyhow::ensure!(report.converged(), "some actions did not converge");

    // 7. Plan again: the platform now matches the manifests.
    let state = records.snapshot();
    let again = make_plan(Some(&client), &desired, &state, &request, None).await?;
    print!("{}", report::plan_text(&again.plan, 20, false));
    anyhow::ensure!(
        !again.plan.has_changes(),
        "a second plan should find nothing to do"
    );

    sim.shutdown().await;
    Ok(())
}
