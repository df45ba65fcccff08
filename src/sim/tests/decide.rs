//! Without HTTP: `Sim::decide` is total over arbitrary headers and bodies (table and property
//! tests), and signed requests through it reach the rules.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::support::*;
use crate::sim::error::codes;
use crate::sim::server::{Decision, Reply};
use crate::sim::{Sim, SimConfig};
use crate::tcmpp::model::{
    API_VERSION, CREATE_MNP_APPROVAL, DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_APPROVAL_LIST,
    DESCRIBE_MNP_RELEASED_VERSION_HISTORY, PROCESS_MNP_APPROVAL, RELEASE_MNP_VERSION,
    ROLLBACK_MNP_VERSION,
};

// ---- Without HTTP: `decide` is total over arbitrary headers and bodies. ----

const KNOWN_CODES: &[&str] = &[
    codes::INVALID_ACTION,
    codes::SIGNATURE_FAILURE,
    codes::SIGNATURE_EXPIRE,
    codes::SECRET_ID_NOT_FOUND,
    codes::NO_SUCH_VERSION,
    codes::MISSING_PARAMETER,
    codes::INVALID_PARAMETER,
    codes::INVALID_PARAMETER_VALUE,
    codes::UNKNOWN_PARAMETER,
    codes::REQUEST_LIMIT_EXCEEDED,
    codes::INVALID_APPLY_ACTION,
    codes::INVALID_PLATFORM_ID,
    codes::MNP_APPROVAL_STATUS_ERROR,
    codes::MNP_VERSION_NOT_PLATFORM_PHASE,
    codes::EXIST_MNP_APPROVAL_RECORD,
    codes::PACKAGE_ALREADY_EXPIRED,
    codes::MNP_TEAM_NOT_ASSOCIATED,
    codes::APPROVAL_NOT_EXIST,
    codes::INVALID_MNP_ID,
    codes::INVALID_MINI_APP_ID,
    codes::INVALID_MNP_VERSION_ID,
    codes::ONLY_RELEASE_APPROVED,
    codes::MNP_VERSION_RELEASED,
    codes::RELEASE_NEEDS_GREATER_VERSION,
    codes::MNP_RELEASE_NUMBER_EXCEED_LIMIT,
    codes::MNP_ONLINE_VERSION_NOT_EXIST,
    codes::FAILED_OPERATION,
];

fn assert_proper(decision: &Decision) -> Value {
    let Reply::Json(text) = &decision.reply else {
        panic!("no faults configured, got {:?}", decision.reply);
    };
    let v: Value = serde_json::from_str(text).unwrap();
    let response = v["Response"].as_object().unwrap();
    assert!(is_request_id(response["RequestId"].as_str().unwrap()));
    match response.get("Error") {
        Some(error) => {
            let code = error["Code"].as_str().unwrap();
            assert!(KNOWN_CODES.contains(&code), "{code}");
            assert!(!error["Message"].as_str().unwrap().is_empty());
            assert!(response.get("Data").is_none());
        }
        None => assert!(response.get("Data").is_some()),
    }
    v
}

#[test]
fn signed_requests_through_decide_reach_the_rules() {
    let sim = Sim::new(SimConfig::default());
    let body = br#"{"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": "P"}"#;
    let headers = signed_headers(&sim, CREATE_MNP_APPROVAL, body);
    let v = assert_proper(&sim.decide(&headers, Some("sim.test"), Some(body)));
    assert_eq!(v["Response"]["Data"], json!({"Result": true}));
    let v = assert_proper(&sim.decide(&headers, Some("sim.test"), Some(body)));
    assert_eq!(
        v["Response"]["Error"]["Code"],
        codes::EXIST_MNP_APPROVAL_RECORD
    );
    let v = assert_proper(&sim.decide(&headers, Some("other.test"), Some(body)));
    assert_eq!(v["Response"]["Error"]["Code"], codes::SIGNATURE_FAILURE);
    let v = assert_proper(&sim.decide(&headers, Some("sim.test"), None));
    assert_eq!(v["Response"]["Error"]["Code"], codes::SIGNATURE_FAILURE);
}

#[test]
fn non_ascii_header_values_count_as_absent() {
    let sim = Sim::new(SimConfig::default());
    let body = br#"{"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": "P"}"#;
    for name in [
        "x-tc-action",
        "authorization",
        "x-tc-timestamp",
        "x-tc-version",
        "content-type",
    ] {
        let mut headers = signed_headers(&sim, CREATE_MNP_APPROVAL, body);
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_bytes(b"\xff\xfe caf\xc3\xa9").unwrap(),
        );
        let v = assert_proper(&sim.decide(&headers, Some("sim.test"), Some(body)));
        assert!(v["Response"]["Error"]["Code"].is_string(), "{name}");
    }
    assert!(sim.approvals().is_empty());
}

fn arb_header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(CREATE_MNP_APPROVAL.to_string()),
        Just(API_VERSION.to_string()),
        Just("TC3-HMAC-SHA256 Credential=AKIDsimulator0000000000000000000000/2025-01-01/tcmpp/tc3_request, SignedHeaders=content-type;host, Signature=00".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[ -~]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn decide_answers_any_headers_and_body(
        headers in proptest::collection::btree_map(
            prop_oneof![
                Just("x-tc-action"), Just("x-tc-version"), Just("x-tc-timestamp"),
                Just("authorization"), Just("content-type"), Just("x-tc-region"),
                Just("x-tc-token"), Just("x-tc-content-sha256"),
            ],
            arb_header_value(),
            0..8,
        ),
        host in proptest::option::of("[ -~]{0,20}"),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        let sim = Sim::new(SimConfig::default());
        let mut map = HeaderMap::new();
        for (name, value) in &headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.insert(HeaderName::from_static(name), value);
            }
        }
        assert_proper(&sim.decide(&map, host.as_deref(), body.as_deref()));
        prop_assert_eq!(sim.calls().len(), 1);
    }

    #[test]
    fn decide_answers_any_signed_body(
        action in prop_oneof![
            Just(CREATE_MNP_APPROVAL), Just(DESCRIBE_MNP_APPROVAL_LIST), Just(PROCESS_MNP_APPROVAL),
            Just(DESCRIBE_MNP_ALL_STAGE_VERSIONS), Just(DESCRIBE_MNP_RELEASED_VERSION_HISTORY),
            Just(RELEASE_MNP_VERSION), Just(ROLLBACK_MNP_VERSION),
        ],
        params in proptest::collection::btree_map(
            prop_oneof![
                Just("MNPVersionId".to_string()), Just("ApplyAction".to_string()),
                Just("PlatformId".to_string()), Just("Offset".to_string()),
                Just("Limit".to_string()), Just("ApprovalNo".to_string()),
                Just("ApprovalItems".to_string()), Just("ApprovalStatusList".to_string()),
                Just("MNPId".to_string()), Just("MNPVersion".to_string()),
                "[A-Za-z]{1,8}",
            ],
            prop_oneof![
                Just(Value::Null),
                any::<i64>().prop_map(Value::from),
                prop_oneof![Just("submit"), Just("cancel"), Just("P"), Just(""), Just("mnp-1")].prop_map(Value::from),
                Just(json!([{"AppId": "a", "ApprovalResult": 3}])),
                Just(json!([1, 2, 3])),
                Just(json!({})),
            ],
            0..6,
        ),
    ) {
        let sim = Sim::new(SimConfig::default());
        let body = serde_json::to_vec(&params.into_iter().collect::<BTreeMap<_, _>>()).unwrap();
        let headers = signed_headers(&sim, action, &body);
        let v = assert_proper(&sim.decide(&headers, Some("sim.test"), Some(&body)));
        let code = v["Response"]["Error"]["Code"].as_str();
        prop_assert_ne!(code, Some(codes::SIGNATURE_FAILURE));
    }
}
