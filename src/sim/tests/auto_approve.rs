//! `SimConfig::auto_approve`: processing and pending approvals approve themselves once old
//! enough by tokio's clock, evaluated lazily on each use of the state — tested with paused
//! time, through the request pipeline without HTTP (`Sim::decide`).

use std::time::Duration;

use serde_json::{Value, json};

use super::support::*;
use crate::sim::server::Reply;
use crate::sim::{Fixture, Sim, SimConfig};
use crate::tcmpp::model::{CREATE_MNP_APPROVAL, DESCRIBE_MNP_APPROVAL_LIST, RELEASE_MNP_VERSION};

/// Sends one signed TCMPP request through the pipeline and returns its `Response`.
fn call(sim: &Sim, action: &str, params: Value) -> Value {
    let body = serde_json::to_vec(&params).unwrap();
    let headers = signed_headers(sim, action, &body);
    let Reply::Json(text) = sim.decide(&headers, Some("sim.test"), Some(&body)).reply else {
        panic!("no faults configured");
    };
    serde_json::from_str::<Value>(&text).unwrap()["Response"].take()
}

fn submit(sim: &Sim, version: i64) {
    let response = call(
        sim,
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": version, "ApplyAction": "submit", "PlatformId": P}),
    );
    assert_eq!(response["Data"], json!({"Result": true}), "{response}");
}

/// `(MNPVersionId, listed ApprovalStatus code, ApprovalUser)` of every approval, oldest first.
fn decided(sim: &Sim) -> Vec<(i64, i64, Option<String>)> {
    sim.approvals()
        .into_iter()
        .map(|a| {
            (
                a.record.mnp_version_id.unwrap(),
                a.record.approval_status.unwrap(),
                a.record.approval_user,
            )
        })
        .collect()
}

const PENDING: i64 = 0;
const PROCESSING: i64 = 1;
const REJECTED: i64 = 2;
const APPROVED: i64 = 3;
const CANCELLED: i64 = 4;

fn config(after: Option<Duration>) -> SimConfig {
    SimConfig {
        fixture: Some(
            Fixture::from_yaml(
                "platforms:
  - id: TPLATFORM1
    mini_programs:
      - {id: mnp-shop, versions: [{id: 101}]}
    approvals:
      - {version: 101, status: processing, code: 0}
",
            )
            .unwrap(),
        ),
        auto_approve: after,
        rate_limit: 0,
        ..SimConfig::default()
    }
}

#[tokio::test(start_paused = true)]
async fn approvals_approve_themselves_once_old_enough() {
    let sim = Sim::new(config(Some(Duration::from_secs(2))));
    submit(&sim, 7);
    tokio::time::advance(Duration::from_millis(1999)).await;
    submit(&sim, 8);
    let processing: Option<String> = None;
    assert_eq!(
        decided(&sim),
        [
            (101, PENDING, processing.clone()),
            (7, PROCESSING, processing.clone()),
            (8, PROCESSING, processing.clone()),
        ]
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    let auto = Some("auto-approve".to_string());
    assert_eq!(
        decided(&sim),
        [
            // The fixture's pending (code 0) approval counts as in review too.
            (101, APPROVED, auto.clone()),
            (7, APPROVED, auto.clone()),
            (8, PROCESSING, processing),
        ]
    );
    // The listing shows them approved, with an approval time and an empty note.
    let list = call(
        &sim,
        DESCRIBE_MNP_APPROVAL_LIST,
        json!({"Offset": 0, "Limit": 10, "PlatformId": P}),
    );
    let rows: Vec<(Value, Value, Value, Value, bool)> = list["Data"]["DataList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["MNPVersionId"].clone(),
                r["ApprovalStatus"].clone(),
                r["ApprovalUser"].clone(),
                r["ApprovalNote"].clone(),
                r["ApprovalTime"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (json!(8), json!(1), Value::Null, Value::Null, false),
            (json!(7), json!(3), json!("auto-approve"), json!(""), true),
            (json!(101), json!(3), json!("auto-approve"), json!(""), true),
        ]
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(decided(&sim)[2], (8, APPROVED, auto));
}

#[tokio::test(start_paused = true)]
async fn each_request_catches_up_before_its_rules_apply() {
    let sim = Sim::new(config(Some(Duration::from_secs(2))));
    submit(&sim, 7);
    tokio::time::advance(Duration::from_secs(2)).await;
    // Nothing looked at the state in between: the release itself sees the approval.
    let response = call(
        &sim,
        RELEASE_MNP_VERSION,
        json!({"MNPVersionId": 7, "PlatformId": P}),
    );
    assert_eq!(response["Data"], json!({"Result": true}), "{response}");
}

#[tokio::test(start_paused = true)]
async fn only_approvals_in_review_are_approved() {
    let sim = Sim::new(config(Some(Duration::from_secs(2))));
    submit(&sim, 7);
    let response = call(
        &sim,
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": 7, "ApplyAction": "cancel", "PlatformId": P}),
    );
    assert_eq!(response["Data"], json!({"Result": true}), "{response}");
    submit(&sim, 8);
    sim.process_version(P, 8, false).unwrap();
    tokio::time::advance(Duration::from_secs(60)).await;
    let statuses: Vec<i64> = decided(&sim).into_iter().map(|d| d.1).collect();
    assert_eq!(statuses, [APPROVED, CANCELLED, REJECTED]);
}

#[tokio::test(start_paused = true)]
async fn zero_approves_at_the_next_use_and_no_flag_never_approves() {
    let sim = Sim::new(config(Some(Duration::ZERO)));
    submit(&sim, 7);
    assert_eq!(decided(&sim)[1].1, APPROVED);

    let sim = Sim::new(config(None));
    submit(&sim, 7);
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert!(
        decided(&sim)
            .iter()
            .all(|(_, status, _)| [PENDING, PROCESSING].contains(status))
    );
}
