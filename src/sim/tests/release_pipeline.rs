//! The four version-release actions through the common machinery: signature and version checks
//! for both APIs, one state for both, a rate window per (API, action), injected faults before
//! and after the state change, and the call log.

use serde_json::{Value, json};

use super::support::*;
use crate::sim::error::codes;
use crate::sim::{Call, SimConfig};
use crate::tcmpp::Api as Service;
use crate::tcmpp::model::{
    DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_RELEASED_VERSION_HISTORY, RELEASE_MNP_VERSION,
    ROLLBACK_MNP_VERSION,
};

/// Each new action with parameters whose outcome is fixed on the [`RELEASES`] fixture (a
/// success, or a refusal that changes nothing), and that outcome.
fn repeatable() -> [(&'static str, Value, Option<&'static str>); 4] {
    [
        (
            DESCRIBE_MNP_ALL_STAGE_VERSIONS,
            json!({"MNPId": "mnp-shop", "PlatformId": P}),
            None,
        ),
        (
            DESCRIBE_MNP_RELEASED_VERSION_HISTORY,
            json!({"MNPId": "mnp-shop", "PlatformId": P}),
            None,
        ),
        (
            RELEASE_MNP_VERSION,
            json!({"MNPVersionId": 103, "PlatformId": P}),
            Some(codes::ONLY_RELEASE_APPROVED),
        ),
        (
            ROLLBACK_MNP_VERSION,
            json!({"MNPId": "mnp-shop", "MNPVersionId": 101, "PlatformId": P, "MNPVersion": "1.0.0"}),
            Some(codes::FAILED_OPERATION),
        ),
    ]
}

#[tokio::test]
async fn each_new_action_has_its_own_rate_window_per_api() {
    let (h, api) = start(SimConfig {
        rate_limit: 2,
        ..releases_config()
    })
    .await;
    h.sim.freeze_rate_clock();
    let mut expected = Vec::new();
    for (action, params, outcome) in repeatable() {
        for _ in 0..2 {
            let reply = api.call(action, params.clone()).await;
            assert_eq!(reply.code().as_deref(), outcome, "{action}: {}", reply.text);
            expected.push(outcome);
        }
        let reply = api.call(action, params.clone()).await;
        assert_error(&reply, codes::REQUEST_LIMIT_EXCEEDED);
        expected.push(Some(codes::REQUEST_LIMIT_EXCEEDED));
        // The same action of the other API has a window of its own.
        let reply = api
            .send(api.req_as(Service::Tcsas, action, params))
            .await
            .unwrap();
        assert_eq!(reply.code().as_deref(), outcome, "TCSAS {action}");
        expected.push(outcome);
    }
    assert_eq!(codes_of(&h.sim.calls()), expected);
}

#[tokio::test]
async fn new_actions_are_verified_like_the_others() {
    let (h, api) = start(releases_config()).await;
    for (action, params, _) in repeatable() {
        for service in Service::ALL {
            let mut r = api.req_as(service, action, params.clone());
            r.secret_key = "wrong".into();
            let reply = api.send(r).await.unwrap();
            assert_error(&reply, codes::SIGNATURE_FAILURE);
            let mut r = api.req_as(service, action, params.clone());
            r.version = Some("2020-01-01".into());
            let reply = api.send(r).await.unwrap();
            assert_eq!(
                assert_error(&reply, codes::NO_SUCH_VERSION),
                format!(
                    "The requested version `2020-01-01` of service `{service}` does not exist."
                )
            );
        }
    }
    // Mini game twins are not served.
    let reply = api
        .call(
            "ReleaseMNGVersion",
            json!({"MNGVersionId": 1, "PlatformId": P}),
        )
        .await;
    assert_error(&reply, codes::INVALID_ACTION);
    assert_eq!(h.sim.released_ids(P, "mnp-shop"), [101]);
}

#[tokio::test]
async fn both_apis_release_and_roll_back_one_state() {
    let (h, api) = start(releases_config()).await;
    let reply = api
        .send(api.req_as(
            Service::Tcsas,
            RELEASE_MNP_VERSION,
            json!({"MNPVersionId": 102, "PlatformId": P}),
        ))
        .await
        .unwrap();
    assert_result_true(&reply);
    assert_eq!(
        phases(&api.stage_versions("mnp-shop").await.data())[2],
        (102, "Online".to_string())
    );
    // TCSAS refusals have the common error shape.
    let reply = api
        .send(api.req_as(
            Service::Tcsas,
            RELEASE_MNP_VERSION,
            json!({"MNPVersionId": 102, "PlatformId": P}),
        ))
        .await
        .unwrap();
    assert_error(&reply, codes::MNP_VERSION_RELEASED);
    assert_result_true(&api.rollback("mnp-shop", 101, "1.0.0").await);
    assert_eq!(h.sim.released_ids(P, "mnp-shop"), [101, 102, 101]);
}

#[tokio::test]
async fn faults_before_the_change_leave_releases_alone_and_after_it_lose_only_the_reply() {
    let config = SimConfig {
        fault_rate: 1.0,
        seed: Some(3),
        rate_limit: 0,
        ..releases_config()
    };
    let (h, api) = start(config.clone()).await;
    for _ in 0..8 {
        let _ = api
            .send(api.req(
                RELEASE_MNP_VERSION,
                json!({"MNPVersionId": 102, "PlatformId": P}),
            ))
            .await;
    }
    assert_eq!(h.sim.released_ids(P, "mnp-shop"), [101]);
    let fault_codes = [
        codes::INTERNAL_ERROR,
        codes::FAULT_HTTP_503,
        codes::FAULT_CONNECTION_DROPPED,
    ];
    assert!(h.sim.calls().iter().all(|c| {
        fault_codes.contains(&c.code.as_deref().unwrap_or_default())
            && c.params["MNPVersionId"] == 102
    }));

    let (h, api) = start(SimConfig {
        fault_after_commit: true,
        ..config
    })
    .await;
    for _ in 0..16 {
        let _ = api
            .send(api.req(
                RELEASE_MNP_VERSION,
                json!({"MNPVersionId": 102, "PlatformId": P}),
            ))
            .await;
    }
    // Some fault struck after the release: it happened once (later ones were refused), and
    // every reply was lost.
    assert_eq!(h.sim.released_ids(P, "mnp-shop"), [102, 101]);
    assert_eq!(h.sim.calls().len(), 16);
    assert!(h.sim.calls().iter().all(|c| c.code.is_some()));
}

#[tokio::test]
async fn the_call_log_records_new_actions_with_their_outcome() {
    let (h, api) = start(releases_config()).await;
    let released = api.release(102).await;
    let refused = api.rollback("mnp-shop", 102, "1.1.0").await;
    let call = |action: &str, params: Value, code: Option<&str>, reply: &Reply| Call {
        action: action.to_string(),
        region: "ap-guangzhou".to_string(),
        service: "tcmpp".to_string(),
        version: "2024-08-01".to_string(),
        params,
        code: code.map(str::to_string),
        request_id: reply.request_id(),
    };
    assert_eq!(
        h.sim.calls(),
        [
            call(
                RELEASE_MNP_VERSION,
                json!({"MNPVersionId": 102, "PlatformId": P}),
                None,
                &released
            ),
            call(
                ROLLBACK_MNP_VERSION,
                json!({"MNPId": "mnp-shop", "MNPVersionId": 102, "PlatformId": P, "MNPVersion": "1.1.0"}),
                Some(codes::FAILED_OPERATION),
                &refused
            ),
        ]
    );
}
