//! The client against the simulator over loopback (port 0): every answer the issue lists, the
//! exact calls the simulator received, rate limiting and retries of injected faults.

use std::time::Duration;

use mnpsync::sim::{Fixture, SimConfig, SimHandle, spawn};
use mnpsync::tcmpp::credentials::Secret;
use mnpsync::tcmpp::model::{ApplyAction, CreateMnpApprovalRequest};
use mnpsync::tcmpp::{CallError, Class, Client, ClientConfig, Credentials, Endpoint, RetryPolicy};

use crate::util::{PLATFORM, sim_credentials};

/// A client of `sim` whose retries back off in milliseconds.
fn fast_client(sim: &SimHandle, credentials: Credentials) -> Client {
    let mut config = ClientConfig::new(Endpoint::parse(&sim.url).unwrap());
    config.retry = RetryPolicy {
        attempts: 5,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(40),
    };
    Client::new(credentials, config).unwrap()
}

async fn start(config: SimConfig) -> (SimHandle, Client) {
    let credentials = sim_credentials(&config);
    let sim = spawn(config).await.unwrap();
    let client = fast_client(&sim, credentials);
    (sim, client)
}

fn req(version: i64, action: ApplyAction) -> CreateMnpApprovalRequest {
    CreateMnpApprovalRequest {
        mnp_version_id: version,
        apply_action: action,
        platform_id: PLATFORM.to_string(),
    }
}

fn code(result: &Result<impl std::fmt::Debug, CallError>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.error.code(),
    }
}

#[tokio::test]
async fn submit_cancel_and_their_converging_codes() {
    let (sim, client) = start(SimConfig::default()).await;
    let first = client
        .create_mnp_approval(&req(2597, ApplyAction::Submit), None)
        .await
        .unwrap();
    assert!(first.data.result);
    assert_eq!(first.attempts, 1);
    assert!(!first.request_id.is_empty());

    let again = client
        .create_mnp_approval(&req(2597, ApplyAction::Submit), None)
        .await
        .unwrap_err();
    assert_eq!(again.error.code(), "FailedOperation.ExistMNPApprovalRecord");
    assert_eq!(again.class, Class::AlreadyInPlace);
    assert!(again.error.request_id().is_some());

    let cancel = client
        .create_mnp_approval(&req(2597, ApplyAction::Cancel), None)
        .await
        .unwrap();
    assert!(cancel.data.result);
    let cancel_again = client
        .create_mnp_approval(&req(2597, ApplyAction::Cancel), None)
        .await
        .unwrap_err();
    assert_eq!(
        cancel_again.error.code(),
        "InvalidParameterValue.MNPApprovalStatusError"
    );
    assert_eq!(cancel_again.class, Class::AlreadyCancelled);

    let calls = sim.sim.calls();
    let seen: Vec<(String, String, serde_json::Value, Option<String>)> = calls
        .iter()
        .map(|c| {
            (
                c.action.clone(),
                c.region.clone(),
                c.params["ApplyAction"].clone(),
                c.code.clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "CreateMNPApproval".into(),
                "ap-guangzhou".into(),
                "submit".into(),
                None
            ),
            (
                "CreateMNPApproval".into(),
                "ap-guangzhou".into(),
                "submit".into(),
                Some("FailedOperation.ExistMNPApprovalRecord".into())
            ),
            (
                "CreateMNPApproval".into(),
                "ap-guangzhou".into(),
                "cancel".into(),
                None
            ),
            (
                "CreateMNPApproval".into(),
                "ap-guangzhou".into(),
                "cancel".into(),
                Some("InvalidParameterValue.MNPApprovalStatusError".into())
            ),
        ]
    );
    assert_eq!(calls[0].params["MNPVersionId"], 2597);
    assert_eq!(calls[0].params["PlatformId"], PLATFORM);
    assert_eq!(calls[0].request_id, first.request_id);
}

#[tokio::test]
async fn auth_failures_are_not_retried() {
    let config = SimConfig::default();
    let sim = spawn(config.clone()).await.unwrap();

    let wrong_key = fast_client(
        &sim,
        Credentials::new(config.secret_id.clone(), "not-the-key", "test"),
    );
    let err = wrong_key
        .create_mnp_approval(&req(1, ApplyAction::Submit), None)
        .await
        .unwrap_err();
    assert_eq!(err.error.code(), "AuthFailure.SignatureFailure");
    assert_eq!((err.class, err.attempts), (Class::Auth, 1));

    let unknown_id = fast_client(
        &sim,
        Credentials::new(
            "AKIDunknown000000000000000000000",
            config.secret_key.clone(),
            "test",
        ),
    );
    let err = unknown_id
        .create_mnp_approval(&req(1, ApplyAction::Submit), None)
        .await
        .unwrap_err();
    assert_eq!(err.error.code(), "AuthFailure.SecretIdNotFound");
    assert_eq!(err.class, Class::Auth);
    assert!(!format!("{err:?} {err}").contains("not-the-key"));
    assert_eq!(sim.sim.calls().len(), 2, "one call each, no retries");
}

#[tokio::test]
async fn session_token_is_accepted() {
    let config = SimConfig::default();
    let mut credentials = sim_credentials(&config);
    credentials.token = Some(Secret::new("temporary-token"));
    let sim = spawn(config).await.unwrap();
    let client = fast_client(&sim, credentials);
    let reply = client
        .create_mnp_approval(&req(5, ApplyAction::Submit), None)
        .await
        .unwrap();
    assert!(reply.data.result);
}

#[tokio::test]
async fn stale_timestamp_is_corrected_once_from_the_date_header() {
    // The simulator's clock runs an hour ahead: the first request is stale by its measure.
    let (sim, client) = start(SimConfig {
        clock_skew_secs: 3600,
        ..SimConfig::default()
    })
    .await;
    let reply = client
        .create_mnp_approval(&req(7, ApplyAction::Submit), None)
        .await
        .unwrap();
    assert_eq!(reply.attempts, 2);
    assert!(
        (client.clock_offset() - 3600).abs() <= 2,
        "offset {}",
        client.clock_offset()
    );
    let codes: Vec<Option<String>> = sim.sim.calls().into_iter().map(|c| c.code).collect();
    assert_eq!(
        codes,
        vec![Some("AuthFailure.SignatureExpire".to_string()), None]
    );
    // Later calls use the learned offset straight away.
    let next = client
        .create_mnp_approval(&req(8, ApplyAction::Submit), None)
        .await
        .unwrap();
    assert_eq!(next.attempts, 1);
}

#[tokio::test]
async fn fixture_driven_blocked_and_rejected_codes() {
    let fixture = Fixture::from_yaml(
        r#"
platforms:
  - id: T04257DS9431720WTAG
    mini_programs:
      - id: mnp-shop
        versions:
          - {id: 10, platform_phase: false}
          - {id: 11}
  - id: TEXPIRED
    package_expired: true
  - id: TLONELY
    team_associated: false
"#,
    )
    .unwrap();
    let (sim, client) = start(SimConfig {
        fixture: Some(fixture),
        ..SimConfig::default()
    })
    .await;
    let on = |platform: &str, version: i64| CreateMnpApprovalRequest {
        mnp_version_id: version,
        apply_action: ApplyAction::Submit,
        platform_id: platform.to_string(),
    };
    let rows = [
        (
            on(PLATFORM, 10),
            "InvalidParameterValue.MNPVersionIsNotPlatformPhase",
            Class::Blocked,
        ),
        (
            on("TEXPIRED", 1),
            "FailedOperation.PackageAlreadyExpired",
            Class::Blocked,
        ),
        (
            on("TLONELY", 1),
            "FailedOperation.MNPTeamNotAssociatedApplicationTeam",
            Class::Blocked,
        ),
        (
            on("TNOSUCH", 1),
            "InvalidParameterValue.InvalidPlatformId",
            Class::RejectedInput,
        ),
    ];
    for (request, expected, class) in rows {
        let err = client
            .create_mnp_approval(&request, None)
            .await
            .unwrap_err();
        assert_eq!(
            (err.error.code().as_str(), err.class, err.attempts),
            (expected, class, 1)
        );
    }
    // 11 belongs to the same mini program as 10: a pending 11 blocks nothing else here, but a
    // second submit of 11 is refused per mini program.
    client
        .create_mnp_approval(&on(PLATFORM, 11), None)
        .await
        .unwrap();
    assert_eq!(
        code(&client.create_mnp_approval(&on(PLATFORM, 11), None).await),
        "FailedOperation.ExistMNPApprovalRecord"
    );
    assert_eq!(sim.sim.calls().len(), 6);
}

#[tokio::test]
async fn burst_of_25_is_spaced_under_the_limit() {
    let (sim, client) = start(SimConfig::default()).await;
    let calls = (1..=25).map(|v| {
        let client = client.clone();
        async move {
            client
                .create_mnp_approval(&req(v, ApplyAction::Submit), None)
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|reply| reply.attempts == 1)),
        "{results:?}"
    );
    let calls = sim.sim.calls();
    assert_eq!(calls.len(), 25);
    assert!(calls.iter().all(|c| c.code.is_none()), "{calls:?}");
}

#[tokio::test]
async fn injected_faults_are_retried_and_converge() {
    let (sim, client) = start(SimConfig {
        fault_rate: 0.4,
        seed: Some(42),
        ..SimConfig::default()
    })
    .await;
    for v in 1..=15 {
        let result = client
            .create_mnp_approval(&req(v, ApplyAction::Submit), None)
            .await;
        assert!(result.is_ok(), "version {v}: {result:?}");
    }
    let calls = sim.sim.calls();
    let faults: Vec<&str> = calls.iter().filter_map(|c| c.code.as_deref()).collect();
    assert!(!faults.is_empty(), "the seed should inject some faults");
    assert!(
        faults
            .iter()
            .all(|c| ["InternalError", "HTTP503", "ConnectionDropped"].contains(c)),
        "{faults:?}"
    );
    assert_eq!(calls.iter().filter(|c| c.code.is_none()).count(), 15);
    assert_eq!(sim.sim.approvals().len(), 15);
}

#[tokio::test]
async fn listing_fetches_every_page() {
    let config = SimConfig {
        rate_limit: 0,
        ..SimConfig::default()
    };
    let credentials = sim_credentials(&config);
    let sim = spawn(config).await.unwrap();
    let mut client_config = ClientConfig::new(Endpoint::parse(&sim.url).unwrap());
    client_config.rate_limit = 1000;
    let client = Client::new(credentials, client_config).unwrap();
    for v in 1..=230 {
        client
            .create_mnp_approval(&req(v, ApplyAction::Submit), None)
            .await
            .unwrap();
    }
    let records = client.list_approvals(PLATFORM, None, None).await.unwrap();
    assert_eq!(records.len(), 230);
    let mut versions: Vec<i64> = records.iter().filter_map(|r| r.mnp_version_id).collect();
    versions.sort();
    assert_eq!(versions, (1..=230).collect::<Vec<_>>());
    let processing = client
        .list_approvals(PLATFORM, Some(vec![3]), None)
        .await
        .unwrap();
    assert!(processing.is_empty());
}

#[tokio::test]
async fn unreachable_endpoint_is_a_connection_error_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = ClientConfig::new(Endpoint::parse(&format!("http://{addr}")).unwrap());
    config.retry = RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
    };
    let client = Client::new(Credentials::new("AKIDx", "secretkeyvalue", "test"), config).unwrap();
    let err = client
        .create_mnp_approval(&req(1, ApplyAction::Submit), None)
        .await
        .unwrap_err();
    assert_eq!(
        (err.error.code().as_str(), err.class, err.attempts),
        ("ConnectionError", Class::Transient, 3)
    );
    assert!(!err.to_string().contains("secretkeyvalue"));
}

#[tokio::test]
async fn injected_faults_never_trip_the_breaker() {
    // Dropped connections, 503s and InternalError replies come from a server that is there:
    // none of them counts towards "endpoint unreachable".
    let config = SimConfig {
        fault_rate: 0.2,
        seed: Some(20),
        rate_limit: 0,
        ..SimConfig::default()
    };
    let credentials = sim_credentials(&config);
    let sim = spawn(config).await.unwrap();
    let mut client_config = ClientConfig::new(Endpoint::parse(&sim.url).unwrap());
    client_config.rate_limit = 1000;
    client_config.retry = RetryPolicy {
        attempts: 5,
        base: Duration::from_millis(2),
        cap: Duration::from_millis(10),
    };
    let client = Client::new(credentials, client_config).unwrap();
    let mut unreachable = Vec::new();
    for v in 1..=100 {
        let result = client
            .create_mnp_approval(&req(v, ApplyAction::Submit), None)
            .await;
        if let Err(e) = &result
            && (e.error.code() == "NotSent" || e.to_string().contains("endpoint unreachable"))
        {
            unreachable.push((v, e.to_string()));
        }
    }
    assert!(unreachable.is_empty(), "{unreachable:?}");
    let calls = sim.sim.calls();
    let dropped = calls
        .iter()
        .filter(|c| c.code.as_deref() == Some("ConnectionDropped"))
        .count();
    assert!(
        dropped >= 5,
        "the seed should drop connections, got {dropped}"
    );
    assert!(
        calls.len() > 100,
        "faults were retried: {} calls",
        calls.len()
    );
}
