//! The simulator's answers to the version-release actions have exactly the fields of the
//! official SDK's response models, for TCMPP and TCSAS: the fixtures in `tests/fixtures/sdk/`
//! are built with the SDK's model classes (`examples/sdk_response_fixtures.py`).

use serde_json::{Value, json};

use super::support::*;
use crate::tcmpp::Api as Service;
use crate::tcmpp::model::{
    DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_RELEASED_VERSION_HISTORY, RELEASE_MNP_VERSION,
    ROLLBACK_MNP_VERSION,
};

/// The `Data` of an SDK fixture.
fn sdk_data(service: Service, action: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/sdk/{service}/{action}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut fixture: Value = serde_json::from_str(&text).unwrap();
    fixture["Data"].take()
}

/// Asserts that `sim` has the fields of `sdk` (same names at every level) with values of the
/// same JSON type; a null value in `sim` matches any type (every field may be null), and each
/// element of a list is compared with the SDK's sample element.
#[track_caller]
fn assert_same_shape(at: &str, sim: &Value, sdk: &Value) {
    match (sim, sdk) {
        (Value::Null, _) => {}
        (Value::Object(sim), Value::Object(sdk)) => {
            let mut got: Vec<&String> = sim.keys().collect();
            let mut want: Vec<&String> = sdk.keys().collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "fields of {at}");
            for (key, value) in sim {
                assert_same_shape(&format!("{at}.{key}"), value, &sdk[key]);
            }
        }
        (Value::Array(sim), Value::Array(sdk)) => {
            let sample = sdk.first().unwrap_or_else(|| panic!("{at}: no SDK sample"));
            for (i, item) in sim.iter().enumerate() {
                assert_same_shape(&format!("{at}.{i}"), item, sample);
            }
        }
        (Value::String(_), Value::String(_)) | (Value::Bool(_), Value::Bool(_)) => {}
        (Value::Number(n), Value::Number(sample)) if sample.is_i64() => {
            assert!(n.is_i64(), "{at}: {n} is not an integer");
        }
        (Value::Number(_), Value::Number(_)) => {}
        _ => panic!("{at}: {sim} does not have the type of the SDK's {sdk}"),
    }
}

#[tokio::test]
async fn release_answers_have_exactly_the_sdk_models_fields() {
    for service in Service::ALL {
        let (_h, api) = start(releases_config()).await;
        let call = |action: &'static str, params: Value| {
            let request = api.req_as(service, action, params);
            async { api.send(request).await.unwrap().data() }
        };
        let release = call(
            RELEASE_MNP_VERSION,
            json!({"MNPVersionId": 102, "PlatformId": P}),
        )
        .await;
        let rollback = call(
            ROLLBACK_MNP_VERSION,
            json!({"MNPId": "mnp-shop", "MNPVersionId": 101, "PlatformId": P, "MNPVersion": "1.0.0"}),
        )
        .await;
        let mnp = json!({"MNPId": "mnp-shop", "PlatformId": P});
        let stages = call(DESCRIBE_MNP_ALL_STAGE_VERSIONS, mnp.clone()).await;
        let history = call(DESCRIBE_MNP_RELEASED_VERSION_HISTORY, mnp).await;
        assert_eq!(stages.as_array().map(Vec::len), Some(4));
        assert_eq!(history["DataList"].as_array().map(Vec::len), Some(3));
        for (action, data) in [
            (DESCRIBE_MNP_ALL_STAGE_VERSIONS, &stages),
            (DESCRIBE_MNP_RELEASED_VERSION_HISTORY, &history),
            (RELEASE_MNP_VERSION, &release),
            (ROLLBACK_MNP_VERSION, &rollback),
        ] {
            assert_same_shape(
                &format!("{service} {action} Data"),
                data,
                &sdk_data(service, action),
            );
        }
    }
}

#[test]
fn the_shape_check_notices_a_missing_extra_or_mistyped_field() {
    let sdk = json!([{"A": "s", "B": 1}]);
    assert_same_shape("ok", &json!([{"A": "x", "B": null}]), &sdk);
    for wrong in [
        json!([{"A": "x"}]),
        json!([{"A": "x", "B": 1, "C": 2}]),
        json!([{"A": "x", "B": "1"}]),
        json!([{"A": "x", "B": 1.5}]),
        json!({"A": "x", "B": 1}),
    ] {
        let outcome = std::panic::catch_unwind(|| assert_same_shape("wrong", &wrong, &sdk));
        assert!(outcome.is_err(), "{wrong} passed");
    }
}
