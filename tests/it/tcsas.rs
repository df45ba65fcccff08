//! TCSAS (service `tcsas`, version `2025-01-06`) through the library pipeline against the
//! simulator: a repository of TCSAS versions reconciled through TCSAS, with the `ApprovalNo` the
//! submit returns reaching the journal and the records; a repository mixing TCMPP and TCSAS
//! versions reconciled in one run, each call signed for its own service; and a TCSAS-only
//! simulator refusing a TCMPP signature.

use std::path::Path;

use mnpsync::action::Action;
use mnpsync::apply::ApplyOptions;
use mnpsync::manifest::{self, Desired, Key};
use mnpsync::reconcile::{Applied, Executor, Request, reconcile};
use mnpsync::record::{Lock, Records};
use mnpsync::sim::{Call, SimConfig, spawn};
use mnpsync::tcmpp::model::{ApplyAction, CreateMnpApprovalRequest};
use mnpsync::tcmpp::{Api, Class, Client, ClientConfig, Endpoint};
use tokio_util::sync::CancellationToken;

use crate::util::sim::sim_credentials;

/// One manifest document; `api` is the `spec.api` line's value, if any.
fn manifest(name: &str, platform: &str, version: i64, api: Option<&str>) -> String {
    let mut text = format!(
        "---\napiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\nspec:\n  \
         platformId: {platform}\n  mnpVersionId: {version}\n  approval: submitted\n"
    );
    if let Some(api) = api {
        text.push_str(&format!("  api: {api}\n"));
    }
    text
}

/// A client for the simulator at `url` whose default API is `api`.
fn client(url: &str, config: &SimConfig, api: Api) -> Client {
    let mut client_config = ClientConfig::new(Endpoint::parse(url).unwrap());
    client_config.api = api;
    Client::new(sim_credentials(config), client_config).unwrap()
}

/// Loads `text` as the repository's only manifest file, under `dir`.
fn load(dir: &Path, text: &str) -> Desired {
    let manifests = dir.join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    std::fs::write(manifests.join("versions.yaml"), text).unwrap();
    manifest::load(&[manifests]).unwrap()
}

/// One reconcile of `desired` with `client`, records under `dir/state`.
async fn run(client: &Client, dir: &Path, desired: &Desired) -> (Applied, Records) {
    let state_dir = dir.join("state");
    let _lock = Lock::acquire(&state_dir).unwrap();
    let records = Records::open(&state_dir).unwrap();
    let shutdown = CancellationToken::new();
    let exec = Executor {
        client,
        records: &records,
        options: &ApplyOptions::default(),
        shutdown: &shutdown,
        progress: &(),
    };
    let applied = reconcile(&exec, desired, &Request::default())
        .await
        .unwrap();
    (applied, records)
}

/// `(action, service, version, platform)` of every call.
fn signed(calls: &[Call]) -> Vec<(String, String, String, String)> {
    calls
        .iter()
        .map(|c| {
            (
                c.action.clone(),
                c.service.clone(),
                c.version.clone(),
                c.params["PlatformId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_tcsas_repository_is_reconciled_through_tcsas() {
    let config = SimConfig {
        apis: Some(Api::Tcsas),
        ..SimConfig::default()
    };
    let sim = spawn(config.clone()).await.unwrap();
    let client = client(&sim.url, &config, Api::Tcsas);
    let dir = tempfile::tempdir().unwrap();
    let desired = load(dir.path(), &manifest("shop-7", "TSAS1", 7, None));
    let (applied, records) = run(&client, dir.path(), &desired).await;

    assert!(applied.report.converged(), "{:?}", applied.report);
    // The plan names no API for a version that pins none.
    let planned = serde_json::to_value(&applied.plan.resources[0]).unwrap();
    assert!(planned.get("api").is_none(), "{planned}");
    // Every request was signed for tcsas and named TCSAS's version, and was accepted.
    let calls = sim.sim.calls();
    assert_eq!(
        signed(&calls),
        [
            ("DescribeMNPApprovalList", "tcsas", "2025-01-06", "TSAS1"),
            ("CreateMNPApproval", "tcsas", "2025-01-06", "TSAS1"),
        ]
        .map(|(a, s, v, p)| (a.to_string(), s.to_string(), v.to_string(), p.to_string()))
    );
    assert!(calls.iter().all(|c| c.code.is_none()), "{calls:?}");
    // The submit's ApprovalNo is the approval the simulator holds…
    let approvals = sim.sim.approvals();
    let approval_no = approvals[0].record.approval_no.clone().unwrap();
    let result = &applied.report.results[0];
    assert_eq!(result.action, Action::Submit);
    assert_eq!(result.approval_no.as_deref(), Some(approval_no.as_str()));
    // …it is on the journal's outcome line…
    let journal = std::fs::read_to_string(dir.path().join("state/journal.jsonl")).unwrap();
    let outcome: serde_json::Value = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["event"] == "outcome")
        .expect("an outcome line");
    assert_eq!(outcome["outcome"], "submitted");
    assert_eq!(outcome["approval_no"], approval_no.as_str());
    // …and makes the approval mnpsync's at once.
    let state = records.snapshot();
    let entry = &state.entries[&Key::new("TSAS1", 7)];
    assert!(entry.submitted_by_mnpsync);
    assert_eq!(entry.owned_approval.as_deref(), Some(approval_no.as_str()));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_mixed_repository_signs_each_call_for_its_own_service() {
    let config = SimConfig::default();
    let sim = spawn(config.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = [
        manifest("mpp-1", "TMPP1", 1, None),
        manifest("sas-2", "TSAS1", 2, Some("tcsas")),
    ]
    .concat();
    let desired = load(dir.path(), &text);
    // The client's default API is TCMPP; the platforms pinned to TCSAS are routed there.
    let client = client(&sim.url, &config, Api::Tcmpp).with_platform_apis(desired.platform_apis());
    let (applied, _records) = run(&client, dir.path(), &desired).await;

    assert!(applied.report.converged(), "{:?}", applied.report);
    let pinned: Vec<Option<Api>> = applied.plan.resources.iter().map(|r| r.api).collect();
    assert_eq!(pinned, [None, Some(Api::Tcsas)]);
    let planned = serde_json::to_value(&applied.plan.resources[1]).unwrap();
    assert_eq!(planned["api"], "tcsas");

    let mut calls = signed(&sim.sim.calls());
    calls.sort();
    let expected = [
        ("CreateMNPApproval", "tcmpp", "2024-08-01", "TMPP1"),
        ("CreateMNPApproval", "tcsas", "2025-01-06", "TSAS1"),
        ("DescribeMNPApprovalList", "tcmpp", "2024-08-01", "TMPP1"),
        ("DescribeMNPApprovalList", "tcsas", "2025-01-06", "TSAS1"),
    ]
    .map(|(a, s, v, p)| (a.to_string(), s.to_string(), v.to_string(), p.to_string()));
    assert_eq!(calls, expected);
    assert!(sim.sim.calls().iter().all(|c| c.code.is_none()));
    // Only the TCSAS submit names its approval.
    let numbers: Vec<(String, bool)> = applied
        .report
        .results
        .iter()
        .map(|r| (r.key.platform_id.clone(), r.approval_no.is_some()))
        .collect();
    let mut numbers = numbers;
    numbers.sort();
    assert_eq!(
        numbers,
        [("TMPP1".to_string(), false), ("TSAS1".to_string(), true)]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_tcsas_simulator_refuses_a_tcmpp_signature() {
    let config = SimConfig {
        apis: Some(Api::Tcsas),
        ..SimConfig::default()
    };
    let sim = spawn(config.clone()).await.unwrap();
    let client = client(&sim.url, &config, Api::Tcmpp);
    let request = CreateMnpApprovalRequest {
        mnp_version_id: 1,
        apply_action: ApplyAction::Submit,
        platform_id: "TSAS1".to_string(),
    };
    let error = client
        .create_mnp_approval(&request, None)
        .await
        .unwrap_err();
    assert_eq!(error.error.code(), "AuthFailure.SignatureFailure");
    assert_eq!(error.class, Class::Auth);
    assert!(sim.sim.approvals().is_empty());
    let calls = sim.sim.calls();
    assert_eq!(
        (calls[0].service.as_str(), calls[0].version.as_str()),
        ("tcmpp", "2024-08-01")
    );
    // The same client for TCSAS is accepted.
    let reply = client
        .for_api(Api::Tcsas)
        .create_mnp_approval(&request, None)
        .await
        .unwrap();
    assert!(reply.data.approval_no.is_some());
    sim.shutdown().await;
}

/// `(service, version, action)` of every call the simulator received.
fn signed_as(calls: &[Call]) -> Vec<(String, String, String)> {
    calls
        .iter()
        .map(|c| (c.service.clone(), c.version.clone(), c.action.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_reconciles_through_a_tcsas_only_simulator() {
    let env = crate::util::Env::with_config(SimConfig {
        apis: Some(Api::Tcsas),
        ..SimConfig::default()
    })
    .await;
    env.manifest("a.yaml", &manifest("super-1", "TSAS1", 1, None));
    // Signed for TCMPP (the default API), the simulator refuses: the run stops, exit 1.
    let run = env.run(&["apply"]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("AuthFailure.SignatureFailure"),
        "{run:?}"
    );
    env.clear_calls();

    let run = env.run(&["apply", "--api", "tcsas"]).await;
    run.assert_code(0);
    let tcsas = ("tcsas".to_string(), "2025-01-06".to_string());
    let calls = env.calls();
    assert_eq!(
        signed_as(&calls),
        vec![
            (
                tcsas.0.clone(),
                tcsas.1.clone(),
                "DescribeMNPApprovalList".into()
            ),
            (tcsas.0.clone(), tcsas.1.clone(), "CreateMNPApproval".into()),
        ]
    );
    let outcome = env.journal().into_iter().last().unwrap();
    let no = outcome
        .approval_no
        .clone()
        .expect("TCSAS names the approval");
    let state = env.state();
    let entry = &state.entries[&Key::new("TSAS1", 1)];
    assert_eq!(entry.owned_approval.as_deref(), Some(no.as_str()));
    let plan = env
        .run(&["plan", "--api", "tcsas", "--detailed-exitcode"])
        .await;
    plan.assert_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_reconciles_a_mixed_repository_in_one_run() {
    let env = crate::util::Env::new().await;
    env.manifest("mp.yaml", &manifest("mini-2", "TMPP2", 2, None));
    env.manifest("sa.yaml", &manifest("super-3", "TSAS3", 3, Some("tcsas")));
    env.run(&["apply"]).await.assert_code(0);
    let mut calls = signed_as(&env.calls());
    calls.sort();
    let call = |service: &str, version: &str, action: &str| {
        (service.to_string(), version.to_string(), action.to_string())
    };
    assert_eq!(
        calls,
        vec![
            call("tcmpp", "2024-08-01", "CreateMNPApproval"),
            call("tcmpp", "2024-08-01", "DescribeMNPApprovalList"),
            call("tcsas", "2025-01-06", "CreateMNPApproval"),
            call("tcsas", "2025-01-06", "DescribeMNPApprovalList"),
        ]
    );
    for c in env.calls() {
        let platform = c.params["PlatformId"].as_str().unwrap_or_default();
        assert_eq!(
            c.service,
            if platform == "TSAS3" {
                "tcsas"
            } else {
                "tcmpp"
            },
            "{c:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_per_service_routes_that_service_only() {
    let env = crate::util::Env::new().await;
    env.manifest("sa.yaml", &manifest("super-4", "TSAS4", 4, Some("tcsas")));
    let url = env.sim.url.clone();
    // Every API at a port where nothing listens, TCSAS at the simulator: the run succeeds.
    let tcsas = format!("tcsas={url}");
    let run = env
        .run(&[
            "apply",
            "--endpoint",
            "http://127.0.0.1:1",
            "--endpoint",
            &tcsas,
        ])
        .await;
    run.assert_code(0);
    assert!(env.calls().iter().all(|c| c.service == "tcsas"));
    // An unknown service name is refused before any call.
    let run = env
        .run(&["plan", "--endpoint", &format!("tcbase={url}")])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("unknown API \"tcbase\": expected tcmpp or tcsas"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pruned_tcsas_version_is_listed_and_cancelled_through_tcsas() {
    let env = crate::util::Env::new().await;
    env.manifest("mp.yaml", &manifest("mini-5", "TMPP5", 5, None));
    env.manifest("sa.yaml", &manifest("super-6", "TSAS6", 6, Some("tcsas")));
    env.run(&["apply"]).await.assert_code(0);
    env.remove_manifest("sa.yaml");
    env.clear_calls();
    env.run(&["apply", "--prune"]).await.assert_code(0);
    let tsas: Vec<(String, String)> = env
        .calls()
        .iter()
        .filter(|c| c.params["PlatformId"] == "TSAS6")
        .map(|c| (c.service.clone(), c.action.clone()))
        .collect();
    assert_eq!(
        tsas,
        vec![
            ("tcsas".to_string(), "DescribeMNPApprovalList".to_string()),
            ("tcsas".to_string(), "CreateMNPApproval".to_string()),
        ]
    );
    let cancel = env
        .calls()
        .into_iter()
        .find(|c| c.params["PlatformId"] == "TSAS6" && c.action == "CreateMNPApproval")
        .unwrap();
    assert_eq!(cancel.params["ApplyAction"], "cancel");
}
