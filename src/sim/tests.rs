//! End-to-end tests of the simulator over HTTP, with a tiny test-only signing client built on
//! reqwest and `tcmpp::sign` (independent of the real client), plus table and property tests of
//! the request handling without HTTP.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::tcmpp::model::{
    API_VERSION, CREATE_MNP_APPROVAL, DESCRIBE_MNP_APPROVAL_LIST, PROCESS_MNP_APPROVAL,
};
use crate::tcmpp::sign;

const P: &str = "TPLATFORM1";

const FIXTURE: &str = "platforms:
  - id: TPLATFORM1
    mini_programs:
      - id: mnp-shop
        name: Shop
        versions: [{id: 101, version: '1.0.0'}, {id: 102, version: '1.1.0'}, {id: 103, platform_phase: false}]
  - id: TEXPIRED
    package_expired: true
  - id: TNOTEAM
    team_associated: false
";

fn fixture_config() -> SimConfig {
    SimConfig {
        fixture: Some(Fixture::from_yaml(FIXTURE).unwrap()),
        seed: Some(1),
        ..SimConfig::default()
    }
}

fn parse_http_date(text: &str) -> Result<time::PrimitiveDateTime, time::error::Parse> {
    time::PrimitiveDateTime::parse(
        text,
        time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ),
    )
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

enum Auth {
    Signed,
    Missing,
    Raw(String),
}

/// One request to build, sign and send; every field can be spoiled on purpose.
struct Req {
    action: Option<String>,
    body: Vec<u8>,
    content_type: String,
    timestamp: i64,
    timestamp_header: Option<Option<String>>,
    version: Option<String>,
    region: Option<String>,
    secret_id: String,
    secret_key: String,
    sign_host: Option<String>,
    scope_date: Option<String>,
    service: Option<String>,
    auth: Auth,
    extra: Vec<(&'static str, String)>,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    date: Option<String>,
    content_type: Option<String>,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn code(&self) -> Option<String> {
        self.json()["Response"]["Error"]["Code"]
            .as_str()
            .map(str::to_string)
    }

    fn data(&self) -> Value {
        let v = self.json();
        assert!(v["Response"].get("Error").is_none(), "{}", self.text);
        v["Response"]["Data"].clone()
    }

    fn request_id(&self) -> String {
        self.json()["Response"]["RequestId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn message(&self) -> String {
        self.json()["Response"]["Error"]["Message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

struct Api {
    url: String,
    host: String,
    http: reqwest::Client,
    sim: Sim,
}

impl Api {
    fn new(handle: &SimHandle) -> Api {
        Api {
            url: handle.url.clone(),
            host: handle.addr.to_string(),
            http: reqwest::Client::new(),
            sim: handle.sim.clone(),
        }
    }

    fn req(&self, action: &str, params: Value) -> Req {
        let config = self.sim.config();
        Req {
            action: Some(action.to_string()),
            body: serde_json::to_vec(&params).unwrap(),
            content_type: sign::CONTENT_TYPE.to_string(),
            timestamp: now(),
            timestamp_header: None,
            version: Some(API_VERSION.to_string()),
            region: Some("ap-guangzhou".to_string()),
            secret_id: config.secret_id.clone(),
            secret_key: config.secret_key.clone(),
            sign_host: None,
            scope_date: None,
            service: None,
            auth: Auth::Signed,
            extra: Vec::new(),
        }
    }

    fn authorization(&self, r: &Req) -> Option<String> {
        match &r.auth {
            Auth::Missing => None,
            Auth::Raw(value) => Some(value.clone()),
            Auth::Signed => {
                let request = sign::Request {
                    host: r.sign_host.as_deref().unwrap_or(&self.host),
                    content_type: &r.content_type,
                    payload: &r.body,
                    timestamp: r.timestamp,
                };
                let signed = sign::authorization(&r.secret_id, &r.secret_key, &request);
                let signed = match &r.scope_date {
                    Some(date) => signed.replace(&sign::scope_date(r.timestamp), date),
                    None => signed,
                };
                Some(match &r.service {
                    Some(service) => signed.replace("/tcmpp/", &format!("/{service}/")),
                    None => signed,
                })
            }
        }
    }

    async fn send(&self, r: Req) -> Result<Reply, reqwest::Error> {
        let mut builder = self
            .http
            .post(format!("{}/", self.url))
            .header("Content-Type", &r.content_type);
        if let Some(action) = &r.action {
            builder = builder.header("X-TC-Action", action);
        }
        if let Some(version) = &r.version {
            builder = builder.header("X-TC-Version", version);
        }
        if let Some(region) = &r.region {
            builder = builder.header("X-TC-Region", region);
        }
        match &r.timestamp_header {
            None => builder = builder.header("X-TC-Timestamp", r.timestamp.to_string()),
            Some(Some(value)) => builder = builder.header("X-TC-Timestamp", value),
            Some(None) => {}
        }
        if let Some(auth) = self.authorization(&r) {
            builder = builder.header("Authorization", auth);
        }
        for (name, value) in &r.extra {
            builder = builder.header(*name, value);
        }
        let response = builder.body(r.body).send().await?;
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let date = header("date");
        let content_type = header("content-type");
        let text = response.text().await?;
        Ok(Reply {
            status,
            date,
            content_type,
            text,
        })
    }

    async fn call(&self, action: &str, params: Value) -> Reply {
        self.send(self.req(action, params)).await.unwrap()
    }

    async fn create(&self, version: i64, apply: &str, platform: &str) -> Reply {
        self.call(
            CREATE_MNP_APPROVAL,
            json!({"MNPVersionId": version, "ApplyAction": apply, "PlatformId": platform}),
        )
        .await
    }

    async fn submit(&self, version: i64) -> Reply {
        self.create(version, "submit", P).await
    }

    async fn cancel(&self, version: i64) -> Reply {
        self.create(version, "cancel", P).await
    }

    async fn list(&self, params: Value) -> Reply {
        self.call(DESCRIBE_MNP_APPROVAL_LIST, params).await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }
}

async fn start(config: SimConfig) -> (SimHandle, Api) {
    let handle = spawn(config).await.unwrap();
    let api = Api::new(&handle);
    (handle, api)
}

fn is_request_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        })
}

/// Asserts the exact error shape and code, and returns the message.
#[track_caller]
fn assert_error(reply: &Reply, code: &str) -> String {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let v = reply.json();
    let response = v["Response"].as_object().expect("Response object");
    let keys: Vec<&str> = response.keys().map(String::as_str).collect();
    assert_eq!(keys, ["Error", "RequestId"], "{}", reply.text);
    let error = response["Error"].as_object().unwrap();
    let keys: Vec<&str> = error.keys().map(String::as_str).collect();
    assert_eq!(keys, ["Code", "Message"], "{}", reply.text);
    assert_eq!(error["Code"], code, "{}", reply.text);
    assert!(!reply.message().is_empty());
    assert!(is_request_id(&reply.request_id()));
    reply.message()
}

#[track_caller]
fn assert_result_true(reply: &Reply) {
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"Response": {"Data": {"Result": true}, "RequestId": reply.request_id()}}),
        "{}",
        reply.text
    );
}

fn codes_of(calls: &[Call]) -> Vec<Option<&str>> {
    calls.iter().map(|c| c.code.as_deref()).collect()
}

#[tokio::test]
async fn success_and_error_bodies_have_the_documented_shapes() {
    let (_h, api) = start(SimConfig::default()).await;
    let ok = api.submit(7).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.content_type.as_deref(), Some("application/json"));
    let v = ok.json();
    assert_eq!(v.as_object().unwrap().len(), 1);
    let keys: Vec<&String> = v["Response"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Data", "RequestId"]);
    assert_result_true(&ok);
    assert!(is_request_id(&ok.request_id()), "{}", ok.request_id());

    let err = api.submit(7).await;
    assert_eq!(err.content_type.as_deref(), Some("application/json"));
    let message = assert_error(&err, codes::EXIST_MNP_APPROVAL_RECORD);
    assert_eq!(
        message,
        "There is an ongoing approval request for this mini program"
    );
    assert_ne!(ok.request_id(), err.request_id());
    // Decodes into the shared wire types.
    let typed: crate::tcmpp::model::Envelope<crate::tcmpp::model::CreateMnpApprovalData> =
        serde_json::from_str(&err.text).unwrap();
    assert_eq!(
        typed.response.error.unwrap().code,
        codes::EXIST_MNP_APPROVAL_RECORD
    );
}

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

#[tokio::test]
async fn delete_clears_the_call_log_and_approvals_are_served() {
    let (h, api) = start(SimConfig::default()).await;
    api.submit(5).await;
    let deleted = api
        .http
        .delete(format!("{}/_sim/calls", api.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert!(h.sim.calls().is_empty());
    let approvals: Vec<SimApproval> = api.get("/_sim/approvals").await.json().await.unwrap();
    assert_eq!(approvals, h.sim.approvals());
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0].platform_id, P);
    assert_eq!(approvals[0].record.mnp_version_id, Some(5));
}

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
    let parsed = parse_http_date(&date).unwrap_or_else(|e| panic!("{date}: {e}"));
    assert!(
        (parsed.assume_utc().unix_timestamp() - now()).abs() < 60,
        "{date}"
    );

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
    let server = parse_http_date(&date)
        .unwrap()
        .assume_utc()
        .unix_timestamp();
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
        let signature = sign::signature_over(&r.secret_key, &values, &r.body, r.timestamp);
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

#[tokio::test]
async fn fixture_platform_errors() {
    let (h, api) = start(fixture_config()).await;
    assert_error(
        &api.submit(103).await,
        codes::MNP_VERSION_NOT_PLATFORM_PHASE,
    );
    assert_error(
        &api.create(1, "submit", "TEXPIRED").await,
        codes::PACKAGE_ALREADY_EXPIRED,
    );
    assert_error(
        &api.create(1, "submit", "TNOTEAM").await,
        codes::MNP_TEAM_NOT_ASSOCIATED,
    );
    assert_error(
        &api.create(1, "submit", "TOTHER").await,
        codes::INVALID_PLATFORM_ID,
    );
    assert_error(
        &api.list(json!({"Offset": 0, "Limit": 10, "PlatformId": "TOTHER"}))
            .await,
        codes::INVALID_PLATFORM_ID,
    );
    // Reads of an expired platform still work.
    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": "TEXPIRED"}))
        .await
        .data();
    assert_eq!(data, json!({"TotalCount": 0, "DataList": []}));
    assert!(h.sim.approvals().is_empty());
}

#[tokio::test]
async fn describe_pages_newest_first_and_filters() {
    let (h, api) = start(SimConfig::default()).await;
    for v in 1..=12 {
        assert_result_true(&api.submit(v).await);
    }
    assert_result_true(&api.cancel(3).await);
    h.sim.process_version(P, 5, true).unwrap();

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 12);
    let ids: Vec<i64> = data["DataList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["MNPVersionId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);

    let data = api
        .list(json!({"Offset": 10, "Limit": 10, "PlatformId": P}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 12);
    assert_eq!(data["DataList"].as_array().unwrap().len(), 2);

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P, "ApprovalStatusList": [3, 4]}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 2);
    let rows: Vec<(i64, i64)> = data["DataList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["MNPVersionId"].as_i64().unwrap(),
                r["ApprovalStatus"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(5, 3), (3, 4)]);

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P, "Keyword": "mnp-11"}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 1);

    // Every documented field is present in a record.
    let record = &data["DataList"][0];
    let fields: Vec<&str> = record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "ApprovalNo",
        "ApplicationId",
        "ApprovalStatus",
        "MNPId",
        "MNPVersion",
        "MNPVersionId",
        "ApplyUser",
        "ApplyTime",
        "MNPName",
        "MNPIcon",
        "ApplicationName",
        "ApplicationLogo",
        "TeamId",
        "TeamName",
        "MNPQrCodeUrl",
        "MNPType",
        "ApprovalUser",
        "ApprovalTime",
        "ApprovalNote",
    ];
    expected.sort_unstable();
    assert_eq!(fields, expected);
}

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

#[tokio::test]
async fn rate_limit_admits_exactly_the_limit_per_action() {
    let (h, api) = start(SimConfig::default()).await;
    h.sim.freeze_rate_clock();
    let replies = futures::future::join_all((1..=25).map(|v| api.submit(v))).await;
    let ok = replies.iter().filter(|r| r.code().is_none()).count();
    let limited: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.code().as_deref() == Some(codes::REQUEST_LIMIT_EXCEEDED))
        .collect();
    assert_eq!((ok, limited.len()), (20, 5));
    for r in &limited {
        assert!(
            assert_error(r, codes::REQUEST_LIMIT_EXCEEDED)
                .starts_with("Your current request times exceeds the limit")
        );
    }
    assert_eq!(h.sim.approvals().len(), 20);
    let calls = h.sim.calls();
    assert_eq!(calls.len(), 25);
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.code.as_deref() == Some(codes::REQUEST_LIMIT_EXCEEDED))
            .count(),
        5
    );
    // The limit is per action: another action is still admitted.
    assert!(
        api.list(json!({"Offset": 0, "Limit": 1, "PlatformId": P}))
            .await
            .code()
            .is_none()
    );
    // Rate limiting comes after authentication: a bad signature is not "limited".
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.secret_key = "wrong".into();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
}

#[tokio::test]
async fn no_limit_when_rate_limit_is_zero() {
    let (h, api) = start(SimConfig {
        rate_limit: 0,
        ..SimConfig::default()
    })
    .await;
    h.sim.freeze_rate_clock();
    let replies = futures::future::join_all((1..=30).map(|v| api.submit(v))).await;
    assert!(replies.iter().all(|r| r.code().is_none()));
}

#[derive(Debug, PartialEq, Eq, Clone, Copy, PartialOrd, Ord)]
enum Outcome {
    Ok,
    Error,
    InternalError,
    Http503,
    Dropped,
}

async fn outcome(api: &Api, version: i64) -> Outcome {
    match api
        .send(api.req(
            CREATE_MNP_APPROVAL,
            json!({"MNPVersionId": version, "ApplyAction": "submit", "PlatformId": P}),
        ))
        .await
    {
        Err(e) => {
            assert!(!e.is_timeout() && !e.is_decode(), "{e:?}");
            Outcome::Dropped
        }
        Ok(r) if r.status == 503 => {
            assert!(
                serde_json::from_str::<Value>(&r.text).is_err(),
                "{}",
                r.text
            );
            assert!(r.date.is_some());
            Outcome::Http503
        }
        Ok(r) => match r.code().as_deref() {
            None => Outcome::Ok,
            Some(codes::INTERNAL_ERROR) => {
                assert_error(&r, codes::INTERNAL_ERROR);
                Outcome::InternalError
            }
            Some(_) => Outcome::Error,
        },
    }
}

fn fault_code(o: Outcome) -> Option<&'static str> {
    match o {
        Outcome::InternalError => Some(codes::INTERNAL_ERROR),
        Outcome::Http503 => Some(codes::FAULT_HTTP_503),
        Outcome::Dropped => Some(codes::FAULT_CONNECTION_DROPPED),
        Outcome::Ok | Outcome::Error => None,
    }
}

#[tokio::test]
async fn faults_of_every_kind_never_change_state() {
    let config = SimConfig {
        fault_rate: 1.0,
        seed: Some(42),
        rate_limit: 0,
        ..SimConfig::default()
    };
    let (h, api) = start(config.clone()).await;
    let mut outcomes = Vec::new();
    for v in 1..=24 {
        outcomes.push(outcome(&api, v).await);
    }
    let kinds: std::collections::BTreeSet<Outcome> = outcomes.iter().copied().collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [Outcome::InternalError, Outcome::Http503, Outcome::Dropped]
    );
    assert!(h.sim.approvals().is_empty(), "faults must not mutate state");
    let calls = h.sim.calls();
    assert_eq!(
        codes_of(&calls),
        outcomes.iter().map(|o| fault_code(*o)).collect::<Vec<_>>()
    );
    assert_eq!(
        calls
            .iter()
            .map(|c| c.params["MNPVersionId"].as_i64())
            .collect::<Vec<_>>(),
        (1..=24).map(Some).collect::<Vec<_>>()
    );

    // Same seed, same sequence.
    let (h2, api2) = start(config).await;
    let mut again = Vec::new();
    for v in 1..=24 {
        again.push(outcome(&api2, v).await);
    }
    assert_eq!(again, outcomes);
    assert_eq!(
        h2.sim
            .calls()
            .iter()
            .map(|c| &c.request_id)
            .collect::<Vec<_>>(),
        calls.iter().map(|c| &c.request_id).collect::<Vec<_>>()
    );

    // Verification failures are answered before any fault roll.
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.secret_key = "wrong".into();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
}

#[tokio::test]
async fn post_commit_faults_change_state_but_lose_the_reply() {
    let (h, api) = start(SimConfig {
        fault_rate: 1.0,
        fault_after_commit: true,
        seed: Some(3),
        rate_limit: 0,
        ..SimConfig::default()
    })
    .await;
    let mut outcomes = Vec::new();
    for v in 1..=20 {
        outcomes.push(outcome(&api, v).await);
    }
    assert!(
        outcomes.iter().all(|o| fault_code(*o).is_some()),
        "{outcomes:?}"
    );
    let committed = h.sim.approvals().len();
    assert!(
        committed > 0 && committed < 20,
        "{committed} of 20 committed"
    );
}

#[tokio::test]
async fn partial_fault_rate_lets_some_requests_through() {
    let (h, api) = start(SimConfig {
        fault_rate: 0.5,
        seed: Some(9),
        rate_limit: 0,
        ..SimConfig::default()
    })
    .await;
    let mut ok = 0;
    for v in 1..=20 {
        if outcome(&api, v).await == Outcome::Ok {
            ok += 1;
        }
    }
    assert!(ok > 0 && ok < 20, "{ok}");
    assert_eq!(h.sim.approvals().len(), ok);
}

#[tokio::test]
async fn dropped_connection_without_kill_switch_aborts_the_body() {
    // Served by plain `axum::serve`, the router cannot close the connection itself.
    let sim = Sim::new(SimConfig {
        fault_rate: 1.0,
        seed: Some(0),
        rate_limit: 0,
        ..SimConfig::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, sim.router()).into_future());
    let api = Api {
        url: format!("http://{addr}"),
        host: addr.to_string(),
        http: reqwest::Client::new(),
        sim: sim.clone(),
    };
    let mut dropped = 0;
    for v in 1..=12 {
        if outcome(&api, v).await == Outcome::Dropped {
            dropped += 1;
        }
    }
    assert!(dropped > 0);
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| c.code.as_deref() == Some(codes::FAULT_CONNECTION_DROPPED))
            .count(),
        dropped
    );
    server.abort();
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_reply_in_virtual_time() {
    let (h, _) = start(SimConfig {
        latency_ms: Some((250, 250)),
        ..SimConfig::default()
    })
    .await;
    let mut api = Api::new(&h);
    // No pooled connections: no idle timers that could move the paused clock.
    api.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let reply = api.submit(1).await;
    let elapsed = start.elapsed();
    assert_result_true(&reply);
    assert!(
        elapsed >= std::time::Duration::from_millis(250),
        "{elapsed:?}"
    );
    // Recorded before the delay, with the same request id as the reply.
    assert_eq!(h.sim.calls()[0].request_id, reply.request_id());
}

#[test]
fn latency_is_sampled_within_bounds_and_seeded() {
    let sample = |seed| {
        let sim = Sim::new(SimConfig {
            latency_ms: Some((300, 100)),
            seed: Some(seed),
            ..SimConfig::default()
        });
        (0..50)
            .map(|_| sim.decide(&HeaderMap::new(), None, Some(b"{}")).delay)
            .collect::<Vec<_>>()
    };
    let a = sample(5);
    assert!(a.iter().all(|d| (100..=300).contains(&d.as_millis())));
    assert!(a.iter().any(|d| *d != a[0]), "uniform, not constant");
    assert_eq!(a, sample(5));
    let none = Sim::new(SimConfig::default());
    assert!(none.decide(&HeaderMap::new(), None, None).delay.is_zero());
}

#[tokio::test]
async fn non_api_routes_are_plain_404() {
    let (h, api) = start(SimConfig::default()).await;
    for (method, path) in [
        (reqwest::Method::GET, "/"),
        (reqwest::Method::PUT, "/"),
        (reqwest::Method::POST, "/other"),
        (reqwest::Method::POST, "/_sim/calls"),
        (reqwest::Method::GET, "/_sim"),
    ] {
        let response = api
            .http
            .request(method.clone(), format!("{}{path}", api.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{method} {path}");
        assert_eq!(response.text().await.unwrap(), "Not Found");
    }
    assert!(h.sim.calls().is_empty());
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (h, api) = start(SimConfig::default()).await;
    assert_result_true(&api.submit(1).await);
    let url = h.url.clone();
    h.shutdown().await;
    assert!(reqwest::get(format!("{url}/_sim/calls")).await.is_err());

    let h = spawn(SimConfig::default()).await.unwrap();
    let url = h.url.clone();
    drop(h);
    // The server task notices the dropped handle; new connections are refused once it does.
    let mut refused = false;
    for _ in 0..200 {
        if reqwest::get(format!("{url}/_sim/calls")).await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(refused);
}

#[tokio::test]
async fn garbage_over_http_always_gets_a_proper_reply() {
    let (h, api) = start(SimConfig::default()).await;
    let bodies: [&[u8]; 8] = [
        b"",
        b"\xff\xfe\x00",
        b"null",
        b"\"str\"",
        b"{\"MNPVersionId\":",
        b"{\"MNPVersionId\": 1e999}",
        b"[[[[[[[[[[]]]]]]]]]]",
        b"{\"MNPVersionId\": 1, \"ApplyAction\": \"submit\", \"PlatformId\": \"\\u0000\"}",
    ];
    for body in bodies {
        let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
        r.body = body.to_vec();
        let reply = api.send(r).await.unwrap();
        assert_eq!(reply.status, 200);
        assert!(reply.code().is_some(), "{}", reply.text);
    }
    for (name, value) in [
        ("Authorization", "TC3-HMAC-SHA256 Credential=/"),
        (
            "Authorization",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=, Signature=",
        ),
        ("X-TC-Timestamp", "99999999999999999999999"),
        ("X-TC-Timestamp", "-9223372036854775808"),
        ("X-TC-Action", "createmnpapproval"),
    ] {
        let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
        if name == "Authorization" {
            r.auth = Auth::Raw(value.into());
        } else if name == "X-TC-Timestamp" {
            r.timestamp_header = Some(Some(value.into()));
        } else {
            r.action = None;
            r.extra.push(("X-TC-Action", value.into()));
        }
        let reply = api.send(r).await.unwrap();
        assert_eq!(reply.status, 200);
        assert!(reply.code().is_some(), "{}", reply.text);
    }
    assert_eq!(h.sim.calls().len(), 13);
}

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
];

/// Signed headers for `body` as the simulator at `host` expects them.
fn signed_headers(sim: &Sim, action: &str, body: &[u8]) -> HeaderMap {
    let config = sim.config();
    let timestamp = now();
    let auth = sign::authorization(
        &config.secret_id,
        &config.secret_key,
        &sign::Request {
            host: "sim.test",
            content_type: sign::CONTENT_TYPE,
            payload: body,
            timestamp,
        },
    );
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-tc-action", action.to_string()),
        ("x-tc-version", API_VERSION.to_string()),
        ("x-tc-timestamp", timestamp.to_string()),
        ("content-type", sign::CONTENT_TYPE.to_string()),
        ("authorization", auth),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    headers
}

fn assert_proper(decision: &server::Decision) -> Value {
    let server::Reply::Json(text) = &decision.reply else {
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
        ],
        params in proptest::collection::btree_map(
            prop_oneof![
                Just("MNPVersionId".to_string()), Just("ApplyAction".to_string()),
                Just("PlatformId".to_string()), Just("Offset".to_string()),
                Just("Limit".to_string()), Just("ApprovalNo".to_string()),
                Just("ApprovalItems".to_string()), Just("ApprovalStatusList".to_string()),
                "[A-Za-z]{1,8}",
            ],
            prop_oneof![
                Just(Value::Null),
                any::<i64>().prop_map(Value::from),
                prop_oneof![Just("submit"), Just("cancel"), Just("P"), Just("")].prop_map(Value::from),
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
