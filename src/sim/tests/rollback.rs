//! Over HTTP: `RollbackMNPVersion` — putting a released version back online, and every refusal
//! with its exact code and message.

use serde_json::{Value, json};

use super::support::*;
use crate::sim::error::codes;
use crate::tcmpp::model::ROLLBACK_MNP_VERSION;

#[tokio::test]
async fn a_rollback_puts_a_released_version_back_online() {
    let lo = now();
    let (_h, api) = start(releases_config()).await;
    assert_result_true(&api.release(102).await);
    assert_result_true(&api.rollback("mnp-shop", 101, "1.0.0").await);
    assert_eq!(
        phases(&api.stage_versions("mnp-shop").await.data()),
        [
            (104, "Develop".to_string()),
            (103, "Platform".to_string()),
            (102, "Platform".to_string()),
            (101, "Online".to_string()),
        ]
    );
    let mut history = api.history("mnp-shop").await.data();
    redact_times(&mut history, lo, now());
    let entry = |id: i64, version: &str, note: &str| json!({"MNPId": "mnp-shop", "MNPVersion": version, "MNPVersionId": id, "MNPVersionNote": note, "UpdateTime": "<time>"});
    assert_eq!(
        history,
        json!({"TotalCount": 3, "DataList": [
            entry(101, "1.0.0", "First release"),
            entry(102, "1.1.0", "Version 1.1.0"),
            entry(101, "1.0.0", "First release"),
        ]})
    );
    // And forward again: 102 was released before, so it can be rolled back to as well.
    assert_result_true(&api.rollback("mnp-shop", 102, "1.1.0").await);
    assert_eq!(
        history_ids(&api.history("mnp-shop").await.data()),
        [102, 101, 102, 101]
    );
}

#[tokio::test]
async fn rollback_refusals_carry_the_documented_codes_and_change_nothing() {
    let (_h, api) = start(releases_config()).await;
    let cases: &[(Value, &str, &str)] = &[
        (
            json!({"MNPId": "mnp-nope", "MNPVersionId": 101, "PlatformId": P, "MNPVersion": "1.0.0"}),
            codes::INVALID_MINI_APP_ID,
            "The MNPId `mnp-nope` is invalid: platform `TPLATFORM1` has no such mini program.",
        ),
        (
            json!({"MNPId": "mnp-shop", "MNPVersionId": 201, "PlatformId": P, "MNPVersion": "2.0.0"}),
            codes::INVALID_PARAMETER_VALUE,
            "The MNPVersionId 201 is not a version of mini program `mnp-shop`.",
        ),
        (
            json!({"MNPId": "mnp-shop", "MNPVersionId": 102, "PlatformId": P, "MNPVersion": "1.0.0"}),
            codes::INVALID_PARAMETER_VALUE,
            "The MNPVersion `1.0.0` does not match version 102, which is `1.1.0`.",
        ),
        (
            json!({"MNPId": "mnp-news", "MNPVersionId": 201, "PlatformId": P, "MNPVersion": "2.0.0"}),
            codes::MNP_ONLINE_VERSION_NOT_EXIST,
            "The mini program `mnp-news` has no online version to roll back.",
        ),
        (
            json!({"MNPId": "mnp-shop", "MNPVersionId": 101, "PlatformId": P, "MNPVersion": "1.0.0"}),
            codes::FAILED_OPERATION,
            "The mini program version 101 is online now; roll back to an earlier released version.",
        ),
        (
            json!({"MNPId": "mnp-shop", "MNPVersionId": 102, "PlatformId": P, "MNPVersion": "1.1.0"}),
            codes::FAILED_OPERATION,
            "The mini program version 102 was never released; only a version from the release history can be rolled back to.",
        ),
        (
            json!({"MNPId": "mnp-old", "MNPVersionId": 2, "PlatformId": "TEXPIRED", "MNPVersion": "1.0.2"}),
            codes::PACKAGE_ALREADY_EXPIRED,
            "The package of this platform has expired.",
        ),
        (
            json!({"MNPId": "mnp-shop", "MNPVersionId": 101, "PlatformId": "TNOPE", "MNPVersion": "1.0.0"}),
            codes::INVALID_PLATFORM_ID,
            "The PlatformId `TNOPE` is invalid.",
        ),
    ];
    for (params, code, message) in cases {
        let reply = api.call(ROLLBACK_MNP_VERSION, params.clone()).await;
        assert_eq!(assert_error(&reply, code), *message, "{params}");
    }
    assert_eq!(history_ids(&api.history("mnp-shop").await.data()), [101]);
}

#[tokio::test]
async fn every_rollback_parameter_is_required() {
    let (_h, api) = start(releases_config()).await;
    let full =
        json!({"MNPId": "mnp-shop", "MNPVersionId": 101, "PlatformId": P, "MNPVersion": "1.0.0"});
    for name in ["MNPId", "MNPVersionId", "PlatformId", "MNPVersion"] {
        let mut params = full.clone();
        params.as_object_mut().unwrap().remove(name);
        let reply = api.call(ROLLBACK_MNP_VERSION, params).await;
        assert_eq!(
            assert_error(&reply, codes::MISSING_PARAMETER),
            format!("The request is missing a required parameter `{name}`.")
        );
    }
}
