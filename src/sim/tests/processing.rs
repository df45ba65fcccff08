//! Over HTTP: `ProcessMNPApproval` and the approver's hook `Sim::process_version`.

use serde_json::json;

use super::support::*;
use crate::sim::SimConfig;
use crate::sim::error::codes;
use crate::tcmpp::model::PROCESS_MNP_APPROVAL;

#[tokio::test]
async fn process_approves_and_rejects() {
    let (h, api) = start(SimConfig::default()).await;
    assert_result_true(&api.submit(1).await);
    assert_result_true(&api.submit(2).await);
    let numbers: Vec<String> = h
        .sim
        .approvals()
        .iter()
        .map(|a| a.record.approval_no.clone().unwrap())
        .collect();
    let process = |no: &str, result: i64| {
        api.call(
            PROCESS_MNP_APPROVAL,
            json!({
                "ApprovalNo": no,
                "PlatformId": P,
                "ApprovalItems": [{"AppId": format!("app-{P}"), "ApprovalResult": result, "ApprovalNote": "checked"}],
            }),
        )
    };
    assert_result_true(&process(&numbers[0], 3).await);
    assert_result_true(&process(&numbers[1], 2).await);
    assert_error(
        &process(&numbers[0], 2).await,
        codes::MNP_APPROVAL_STATUS_ERROR,
    );
    assert_error(
        &process("MNPA999999999999", 3).await,
        codes::APPROVAL_NOT_EXIST,
    );
    assert_error(
        &process(&numbers[0], 7).await,
        codes::INVALID_PARAMETER_VALUE,
    );

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P}))
        .await
        .data();
    assert_eq!(data["DataList"][0]["ApprovalStatus"], 2);
    assert_eq!(data["DataList"][1]["ApprovalStatus"], 3);
    assert_eq!(data["DataList"][1]["ApprovalNote"], "checked");
    assert_eq!(data["DataList"][1]["ApprovalUser"], "sim-approver");

    // The demo's helper reaches the same state machine.
    assert_result_true(&api.submit(1).await);
    let no = h.sim.process_version(P, 1, false).unwrap();
    assert_eq!(no, "MNPA000000000003");
    assert!(h.sim.process_version(P, 1, false).is_err());
}
