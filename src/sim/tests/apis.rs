//! Both APIs at once: requests told apart by the credential scope's service, each checked
//! against its own `X-TC-Version` and answered in its own shapes; a simulator restricted to one
//! API refuses the other's signatures.

use serde_json::json;

use super::support::*;
use crate::sim::SimConfig;
use crate::sim::error::codes;
use crate::tcmpp::Api as Service;
use crate::tcmpp::model::CREATE_MNP_APPROVAL;

/// A submit of `version` signed for `service` and naming `version_header`.
fn submit_as(api: &Api, version: i64, service: Service, version_header: &str) -> Req {
    let mut r = api.req(
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": version, "ApplyAction": "submit", "PlatformId": P}),
    );
    r.sign_service = service.service().to_string();
    r.version = Some(version_header.to_string());
    r
}

#[tokio::test]
async fn both_apis_are_served_each_in_its_own_shapes() {
    let (h, api) = start(SimConfig::default()).await;
    let tcsas = api
        .send(submit_as(&api, 101, Service::Tcsas, "2025-01-06"))
        .await
        .unwrap();
    let data = tcsas.data();
    assert_eq!(data["Result"], true);
    let approval_no = data["ApprovalNo"]
        .as_str()
        .expect("TCSAS names the approval");
    assert_eq!(
        h.sim.approvals()[0].record.approval_no.as_deref(),
        Some(approval_no)
    );
    // TCMPP's submit answers `{Result}` only.
    let tcmpp = api
        .send(submit_as(&api, 1, Service::Tcmpp, "2024-08-01"))
        .await
        .unwrap();
    let keys: Vec<String> = tcmpp.data().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["Result"]);
    // A TCSAS cancel answers `{Result}` too: it created no approval.
    let mut cancel = submit_as(&api, 101, Service::Tcsas, "2025-01-06");
    cancel.body =
        serde_json::to_vec(&json!({"MNPVersionId": 101, "ApplyAction": "cancel", "PlatformId": P}))
            .unwrap();
    let cancelled = api.send(cancel).await.unwrap();
    assert_eq!(cancelled.data(), json!({"Result": true}));
    let calls = h.sim.calls();
    let seen: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| (c.service.as_str(), c.version.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("tcsas", "2025-01-06"),
            ("tcmpp", "2024-08-01"),
            ("tcsas", "2025-01-06")
        ]
    );
}

#[tokio::test]
async fn a_version_of_the_other_api_does_not_exist() {
    let (_h, api) = start(SimConfig::default()).await;
    let reply = api
        .send(submit_as(&api, 101, Service::Tcsas, "2024-08-01"))
        .await
        .unwrap();
    let message = assert_error(&reply, codes::NO_SUCH_VERSION);
    assert!(message.contains("service `tcsas`"), "{message}");
    let reply = api
        .send(submit_as(&api, 101, Service::Tcmpp, "2025-01-06"))
        .await
        .unwrap();
    let message = assert_error(&reply, codes::NO_SUCH_VERSION);
    assert!(message.contains("service `tcmpp`"), "{message}");
    // An unknown service is no API at all.
    let mut other = submit_as(&api, 101, Service::Tcmpp, "2024-08-01");
    other.sign_service = "cvm".to_string();
    assert_error(&api.send(other).await.unwrap(), codes::SIGNATURE_FAILURE);
}

#[tokio::test]
async fn a_simulator_for_one_api_refuses_the_others_signatures() {
    let (h, api) = start(SimConfig {
        apis: Some(Service::Tcsas),
        ..SimConfig::default()
    })
    .await;
    let reply = api
        .send(submit_as(&api, 101, Service::Tcmpp, "2024-08-01"))
        .await
        .unwrap();
    let message = assert_error(&reply, codes::SIGNATURE_FAILURE);
    assert!(message.contains("(`tcsas`)"), "{message}");
    assert!(h.sim.approvals().is_empty());
    let reply = api
        .send(submit_as(&api, 101, Service::Tcsas, "2025-01-06"))
        .await
        .unwrap();
    assert!(reply.data()["ApprovalNo"].is_string(), "{}", reply.text);
}

#[tokio::test]
async fn each_api_has_its_own_rate_window() {
    let (_h, api) = start(SimConfig {
        rate_limit: 1,
        ..SimConfig::default()
    })
    .await;
    assert!(
        api.send(submit_as(&api, 101, Service::Tcsas, "2025-01-06"))
            .await
            .unwrap()
            .data()["Result"]
            .as_bool()
            .unwrap()
    );
    // The same action of the other API in the same second is admitted…
    assert_result_true(
        &api.send(submit_as(&api, 1, Service::Tcmpp, "2024-08-01"))
            .await
            .unwrap(),
    );
    // …a second one of the same API is not.
    let again = api
        .send(submit_as(&api, 102, Service::Tcsas, "2025-01-06"))
        .await
        .unwrap();
    assert_error(&again, codes::REQUEST_LIMIT_EXCEEDED);
}
