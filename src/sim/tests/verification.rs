//! Over HTTP: the order of checks before the rules — signature, timestamp and clock skew, secret
//! id, signed header sets, token, content type, action, version and parameters.

use serde_json::{Value, json};

use super::support::*;
use crate::sim::SimConfig;
use crate::sim::error::codes;
use crate::tcmpp::model::CREATE_MNP_APPROVAL;
use crate::tcmpp::sign;

#[tokio::test]
async fn authentication_failures() {
    let (h, api) = start(SimConfig::default()).await;

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.secret_key = "wrong".into();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.secret_id = "AKIDunknown".into();
    assert_error(&api.send(r).await.unwrap(), codes::SECRET_ID_NOT_FOUND);

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.auth = Auth::Missing;
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.auth = Auth::Raw("Bearer abc".into());
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.scope_date = Some("2001-01-01".into());
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.service = Some("cvm".into());
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    // The signature covers the body exactly as sent.
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    let signed = api.authorization(&r).unwrap();
    r.body = b"{ }".to_vec();
    r.auth = Auth::Raw(signed);
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    // A SignedHeaders list the signature was not computed over is refused.
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.auth = Auth::Raw(
        api.authorization(&r)
            .unwrap()
            .replace("content-type;host", "content-type;host;x-tc-action"),
    );
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    // Authentication comes before parameters: none of the above reached them.
    assert!(h.sim.approvals().is_empty());
    assert_eq!(
        codes_of(&h.sim.calls()),
        [
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SECRET_ID_NOT_FOUND),
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SIGNATURE_FAILURE),
        ]
    );
}

#[tokio::test]
async fn timestamps_are_checked_and_date_is_always_sent() {
    let (_h, api) = start(SimConfig::default()).await;

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.timestamp = now() - 301 - 5;
    let reply = api.send(r).await.unwrap();
    let message = assert_error(&reply, codes::SIGNATURE_EXPIRE);
    assert!(
        message.starts_with("Signature expired. Timestamp:"),
        "{message}"
    );
    assert!(message.contains("; Server date:"), "{message}");
    let date = reply.date.expect("Date header");
    let parsed = httpdate::parse_http_date(&date).unwrap_or_else(|e| panic!("{date}: {e}"));
    assert!((unix_secs(parsed) - now()).abs() < 60, "{date}");

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.timestamp = now() + 400;
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_EXPIRE);

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.timestamp_header = Some(None);
    assert!(
        assert_error(&api.send(r).await.unwrap(), codes::MISSING_PARAMETER).contains("`Timestamp`")
    );

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.timestamp_header = Some(Some("yesterday".into()));
    assert_error(&api.send(r).await.unwrap(), codes::INVALID_PARAMETER);

    // Every response has a Date, success or not, API or not.
    assert!(api.submit(1).await.date.is_some());
    assert!(api.get("/_sim/calls").await.headers().contains_key("date"));
    assert!(api.get("/nowhere").await.headers().contains_key("date"));
}

#[tokio::test]
async fn skewed_server_clock_is_what_signatures_are_checked_against() {
    let skew = 3600;
    let (_h, api) = start(SimConfig {
        clock_skew_secs: skew,
        ..SimConfig::default()
    })
    .await;
    let stale = api.submit(1).await;
    assert_error(&stale, codes::SIGNATURE_EXPIRE);
    // A client that corrects its clock from the Date header succeeds.
    let date = stale.date.unwrap();
    let server = unix_secs(httpdate::parse_http_date(&date).unwrap());
    assert!((server - now() - skew).abs() < 60, "{date}");
    let mut r = api.req(
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": P}),
    );
    r.timestamp = server;
    assert_result_true(&api.send(r).await.unwrap());
}

#[tokio::test]
async fn other_signed_header_sets_are_verified_like_the_service() {
    let (h, api) = start(SimConfig::default()).await;
    let with_headers = |version: i64, names: &[&str]| {
        let mut r = api.req(
            CREATE_MNP_APPROVAL,
            json!({"MNPVersionId": version, "ApplyAction": "submit", "PlatformId": P}),
        );
        let values: Vec<(&str, &str)> = names
            .iter()
            .map(|name| match *name {
                "content-type" => ("content-type", "application/json"),
                "host" => ("host", api.host.as_str()),
                "x-tc-action" => ("x-tc-action", CREATE_MNP_APPROVAL),
                other => (other, ""),
            })
            .collect();
        let signature =
            sign::signature_over(&r.secret_key, &values, &r.body, r.timestamp, sign::SERVICE);
        r.auth = Auth::Raw(format!(
            "TC3-HMAC-SHA256 Credential={}/{}/tcmpp/tc3_request, SignedHeaders={}, Signature={signature}",
            r.secret_id,
            sign::scope_date(r.timestamp),
            names.join(";")
        ));
        r
    };
    // The API documentation's example signs x-tc-action too (its value lowercased).
    let r = with_headers(1, &["content-type", "host", "x-tc-action"]);
    assert_result_true(&api.send(r).await.unwrap());
    // content-type and host must be signed.
    let r = with_headers(2, &["content-type", "x-tc-action"]);
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
    // A signed header that was not sent.
    let r = with_headers(3, &["content-type", "host", "x-tc-requestclient"]);
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
    assert_eq!(
        codes_of(&h.sim.calls()),
        [
            None,
            Some(codes::SIGNATURE_FAILURE),
            Some(codes::SIGNATURE_FAILURE)
        ]
    );
}

#[tokio::test]
async fn token_charset_host_port_and_unsigned_payload() {
    let (h, api) = start(SimConfig::default()).await;

    let mut r = api.req(
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": P}),
    );
    r.extra
        .push(("X-TC-Token", "temporary-session-token".into()));
    r.extra.push(("X-TC-Language", "en-US".into()));
    assert_result_true(&api.send(r).await.unwrap());

    let mut r = api.req(
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": 2, "ApplyAction": "submit", "PlatformId": P}),
    );
    r.content_type = "application/json; charset=utf-8".into();
    assert_result_true(&api.send(r).await.unwrap());

    // The Host header carries the port; signing without it fails.
    assert!(api.host.contains(':'));
    let mut r = api.req(
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": 3, "ApplyAction": "submit", "PlatformId": P}),
    );
    r.sign_host = Some("127.0.0.1".into());
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);

    // As the SDKs' unsigned-payload option does: the payload hash covers the marker string.
    let mut r = api.req(
        CREATE_MNP_APPROVAL,
        json!({"MNPVersionId": 4, "ApplyAction": "submit", "PlatformId": P}),
    );
    let body = std::mem::replace(&mut r.body, b"UNSIGNED-PAYLOAD".to_vec());
    r.auth = Auth::Raw(api.authorization(&r).unwrap());
    r.body = body;
    r.extra
        .push(("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD".into()));
    assert_result_true(&api.send(r).await.unwrap());

    // Another content type is signed fine but refused.
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.content_type = "text/plain".into();
    assert_error(&api.send(r).await.unwrap(), codes::INVALID_PARAMETER);

    let versions: Vec<i64> = h
        .sim
        .approvals()
        .iter()
        .map(|a| a.record.mnp_version_id.unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 4]);
}

#[tokio::test]
async fn action_version_and_parameter_errors() {
    let (h, api) = start(SimConfig::default()).await;
    let create = |v: Value| api.call(CREATE_MNP_APPROVAL, v);

    let reply = api.call("DeleteEverything", json!({})).await;
    assert_error(&reply, codes::INVALID_ACTION);
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.action = None;
    assert!(
        assert_error(&api.send(r).await.unwrap(), codes::MISSING_PARAMETER).contains("`Action`")
    );

    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.version = Some("2017-03-12".into());
    assert_error(&api.send(r).await.unwrap(), codes::NO_SUCH_VERSION);
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.version = None;
    assert!(
        assert_error(&api.send(r).await.unwrap(), codes::MISSING_PARAMETER).contains("`Version`")
    );

    let message = assert_error(
        &create(json!({"ApplyAction": "submit", "PlatformId": P})).await,
        codes::MISSING_PARAMETER,
    );
    assert_eq!(
        message,
        "The request is missing a required parameter `MNPVersionId`."
    );
    assert_error(
        &create(json!({"MNPVersionId": "1", "ApplyAction": "submit", "PlatformId": P})).await,
        codes::INVALID_PARAMETER,
    );
    assert_error(
        &create(
            json!({"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": P, "Force": true}),
        )
        .await,
        codes::UNKNOWN_PARAMETER,
    );
    assert_error(
        &create(json!({"MNPVersionId": 0, "ApplyAction": "submit", "PlatformId": P})).await,
        codes::INVALID_PARAMETER_VALUE,
    );
    assert_error(&create(json!([1, 2])).await, codes::INVALID_PARAMETER);
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.body = b"{not json".to_vec();
    assert_error(&api.send(r).await.unwrap(), codes::INVALID_PARAMETER);

    assert_error(
        &api.list(json!({"Limit": 10, "PlatformId": P})).await,
        codes::MISSING_PARAMETER,
    );
    assert_error(
        &api.list(json!({"Offset": 0, "Limit": 101, "PlatformId": P}))
            .await,
        codes::INVALID_PARAMETER_VALUE,
    );
    assert_error(
        &api.list(json!({"Offset": -1, "Limit": 10, "PlatformId": P}))
            .await,
        codes::INVALID_PARAMETER_VALUE,
    );

    assert!(h.sim.approvals().is_empty());
    let calls = h.sim.calls();
    assert_eq!(calls[0].action, "DeleteEverything");
    assert_eq!(calls[1].action, "");
    assert_eq!(calls[8].params, json!([1, 2]));
    assert_eq!(calls[9].params, Value::Null);
}
