//! Using mnpsync as a library: load manifests, plan, apply, print the outcomes — the same steps
//! `mnpsync plan` and `mnpsync apply` take, against a simulator started in this process.
//!
//! Run: `cargo run --example embed` (offline, no set-up; writes its manifests to a temporary
//! directory). Against the real API, build the client from `credentials::load(None)` and
//! `Endpoint::parse("https://tcmpp.tencentcloudapi.com")` instead of the simulator's.

use mnpsync::apply::{ActionResult, ApplyOptions};
use mnpsync::manifest;
use mnpsync::reconcile::{Executor, Planned, Progress, Request, make_plan, reconcile};
use mnpsync::record::{Lock, Records};
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

/// What the caller sees while a reconcile runs: the plan before any call, then each outcome as
/// it lands (every one is also in the journal).
struct Print;

impl Progress for Print {
    fn planned(&self, planned: &Planned) {
        for warning in &planned.warnings {
            eprintln!("warning: {warning}");
        }
        print!("{}", report::plan_text(&planned.plan, 20, true));
    }

    fn result(&self, result: &ActionResult) {
        println!("{}", report::result_line(result));
    }
}

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

    // 5. One reconcile, as `mnpsync apply` runs it: refresh the observed state from the API,
    //    plan (desired × observed → actions), guard, make the calls, record every outcome.
    //    `Request` also takes `prune`, a label `selector` and `options.resubmit_rejected`;
    //    `commit` (the manifests' git HEAD, from `mnpsync::git::commit`) goes into the journal.
    let shutdown = CancellationToken::new(); // cancel it (e.g. on SIGTERM) to start no new call
    let exec = Executor {
        client: &client,
        records: &records,
        options: &ApplyOptions::default(),
        shutdown: &shutdown,
        progress: &Print,
    };
    let request = Request::default();
    let report = reconcile(&exec, &desired, &request).await?.report;
    println!("{}", report::apply_summary_line(&report));
    anyhow::ensure!(report.converged(), "some actions did not converge");

    // 6. Plan again (as `mnpsync plan` does: no calls): the platform now matches the manifests.
    let state = records.snapshot();
    let again = make_plan(Some(&client), &desired, &state, &request, &shutdown).await?;
    print!("{}", report::plan_text(&again.plan, 20, false));
    anyhow::ensure!(
        !again.plan.has_changes(),
        "a second plan should find nothing to do"
    );

    sim.shutdown().await;
    Ok(())
}
