//! Over HTTP: the submit/cancel rules of `CreateMNPApproval`, and the exact call log they leave.

use serde_json::{Value, json};

use super::support::*;
use crate::sim::Call;
use crate::sim::error::codes;
use crate::tcmpp::model::CREATE_MNP_APPROVAL;

#[tokio::test]
async fn submit_cancel_lifecycle_and_exact_call_log() {
    let (h, api) = start(fixture_config()).await;
    let r1 = api.submit(101).await;
    assert_result_true(&r1);
    let r2 = api.submit(101).await;
    assert_error(&r2, codes::EXIST_MNP_APPROVAL_RECORD);
    // Another version of the same mini program (fixture).
    let r3 = api.submit(102).await;
    assert_error(&r3, codes::EXIST_MNP_APPROVAL_RECORD);
    let r4 = api.cancel(101).await;
    assert_result_true(&r4);
    let r5 = api.cancel(101).await;
    assert_error(&r5, codes::MNP_APPROVAL_STATUS_ERROR);
    let r6 = api.create(101, "publish", P).await;
    assert_error(&r6, codes::INVALID_APPLY_ACTION);

    let call = |version: i64, apply: &str, code: Option<&str>, reply: &Reply| Call {
        action: CREATE_MNP_APPROVAL.to_string(),
        region: "ap-guangzhou".to_string(),
        service: "tcmpp".to_string(),
        version: "2024-08-01".to_string(),
        params: json!({"MNPVersionId": version, "ApplyAction": apply, "PlatformId": P}),
        code: code.map(str::to_string),
        request_id: reply.request_id(),
    };
    let expected = vec![
        call(101, "submit", None, &r1),
        call(101, "submit", Some(codes::EXIST_MNP_APPROVAL_RECORD), &r2),
        call(102, "submit", Some(codes::EXIST_MNP_APPROVAL_RECORD), &r3),
        call(101, "cancel", None, &r4),
        call(101, "cancel", Some(codes::MNP_APPROVAL_STATUS_ERROR), &r5),
        call(101, "publish", Some(codes::INVALID_APPLY_ACTION), &r6),
    ];
    assert_eq!(h.sim.calls(), expected);
    let over_http: Vec<Call> = api.get("/_sim/calls").await.json().await.unwrap();
    assert_eq!(over_http, expected);
    let raw: Value = api.get("/_sim/calls").await.json().await.unwrap();
    assert_eq!(
        raw[1],
        json!({
            "action": "CreateMNPApproval",
            "region": "ap-guangzhou",
            "service": "tcmpp",
            "version": "2024-08-01",
            "params": {"MNPVersionId": 101, "ApplyAction": "submit", "PlatformId": P},
            "code": "FailedOperation.ExistMNPApprovalRecord",
            "request_id": r2.request_id(),
        })
    );
    assert_eq!(raw[0]["code"], Value::Null);

    let approvals = h.sim.approvals();
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        approvals[0].record.status(),
        Some(crate::tcmpp::model::ApprovalStatus::Cancelled)
    );

    // Resubmitting after the cancel works; the other version now conflicts with it.
    assert_result_true(&api.submit(102).await);
    assert_error(&api.submit(101).await, codes::EXIST_MNP_APPROVAL_RECORD);
}
