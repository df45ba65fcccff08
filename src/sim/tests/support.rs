//! What every simulator test file shares: the test fixture, a tiny signing client built on
//! reqwest and `tcmpp::sign` (independent of the real client) whose every request field can be
//! spoiled on purpose, and assertions on the documented reply shapes.
//!
//! Helpers only; no tests here.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::sim::{Call, Fixture, Sim, SimConfig, SimHandle, spawn};
use crate::tcmpp::model::{
    API_VERSION, CREATE_MNP_APPROVAL, DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_APPROVAL_LIST,
    DESCRIBE_MNP_RELEASED_VERSION_HISTORY, RELEASE_MNP_VERSION, ROLLBACK_MNP_VERSION,
};
use crate::tcmpp::sign;

pub(super) const P: &str = "TPLATFORM1";

pub(super) const FIXTURE: &str = "platforms:
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

/// A platform with release history: `mnp-shop` has 101 online (its release history), 102
/// approved, 103 pending review (listed as code 0), 104 still in development, and at most 3
/// releases and rollbacks; `mnp-news` has never been released. `TEXPIRED` has an online version
/// but an expired package.
pub(super) const RELEASES: &str = "platforms:
  - id: TPLATFORM1
    mini_programs:
      - id: mnp-shop
        name: Shop
        icon: https://example.invalid/shop.png
        type: MNP
        released: [101]
        release_limit: 3
        versions:
          - {id: 101, version: '1.0.0', intro: First release}
          - {id: 102, version: '1.1.0'}
          - {id: 103, version: '1.2.0'}
          - {id: 104, platform_phase: false}
      - id: mnp-news
        name: News
        versions: [{id: 201, version: '2.0.0'}, {id: 202, version: '2.1.0'}]
    approvals:
      - {version: 101, status: approved}
      - {version: 102, status: approved}
      - {version: 103, status: processing, code: 0}
      - {version: 202, status: rejected, note: blurry}
  - id: TEXPIRED
    package_expired: true
    mini_programs:
      - {id: mnp-old, released: [1], versions: [{id: 1}, {id: 2}]}
    approvals:
      - {version: 2, status: approved}
";

/// A seeded simulator with the [`RELEASES`] fixture.
pub(super) fn releases_config() -> SimConfig {
    SimConfig {
        fixture: Some(Fixture::from_yaml(RELEASES).unwrap()),
        seed: Some(1),
        ..SimConfig::default()
    }
}

pub(super) fn fixture_config() -> SimConfig {
    SimConfig {
        fixture: Some(Fixture::from_yaml(FIXTURE).unwrap()),
        seed: Some(1),
        ..SimConfig::default()
    }
}

pub(super) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(super) enum Auth {
    Signed,
    Missing,
    Raw(String),
}

/// One request to build, sign and send; every field can be spoiled on purpose.
pub(super) struct Req {
    pub(super) action: Option<String>,
    pub(super) body: Vec<u8>,
    pub(super) content_type: String,
    pub(super) timestamp: i64,
    pub(super) timestamp_header: Option<Option<String>>,
    pub(super) version: Option<String>,
    pub(super) region: Option<String>,
    pub(super) secret_id: String,
    pub(super) secret_key: String,
    pub(super) sign_host: Option<String>,
    pub(super) scope_date: Option<String>,
    pub(super) service: Option<String>,
    /// The service the request is signed for (`tcmpp` unless a test says otherwise).
    pub(super) sign_service: String,
    pub(super) auth: Auth,
    pub(super) extra: Vec<(&'static str, String)>,
}

#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) date: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) text: String,
}

impl Reply {
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub(super) fn code(&self) -> Option<String> {
        self.json()["Response"]["Error"]["Code"]
            .as_str()
            .map(str::to_string)
    }

    pub(super) fn data(&self) -> Value {
        let v = self.json();
        assert!(v["Response"].get("Error").is_none(), "{}", self.text);
        v["Response"]["Data"].clone()
    }

    pub(super) fn request_id(&self) -> String {
        self.json()["Response"]["RequestId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(super) fn message(&self) -> String {
        self.json()["Response"]["Error"]["Message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub(super) struct Api {
    pub(super) url: String,
    pub(super) host: String,
    pub(super) http: reqwest::Client,
    pub(super) sim: Sim,
}

impl Api {
    pub(super) fn new(handle: &SimHandle) -> Api {
        Api {
            url: handle.url.clone(),
            host: handle.addr.to_string(),
            http: reqwest::Client::new(),
            sim: handle.sim.clone(),
        }
    }

    pub(super) fn req(&self, action: &str, params: Value) -> Req {
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
            sign_service: sign::SERVICE.to_string(),
            auth: Auth::Signed,
            extra: Vec::new(),
        }
    }

    pub(super) fn authorization(&self, r: &Req) -> Option<String> {
        match &r.auth {
            Auth::Missing => None,
            Auth::Raw(value) => Some(value.clone()),
            Auth::Signed => {
                let request = sign::Request {
                    service: &r.sign_service,
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
                    Some(service) => {
                        signed.replace(&format!("/{}/", r.sign_service), &format!("/{service}/"))
                    }
                    None => signed,
                })
            }
        }
    }

    pub(super) async fn send(&self, r: Req) -> Result<Reply, reqwest::Error> {
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

    pub(super) async fn call(&self, action: &str, params: Value) -> Reply {
        self.send(self.req(action, params)).await.unwrap()
    }

    pub(super) async fn create(&self, version: i64, apply: &str, platform: &str) -> Reply {
        self.call(
            CREATE_MNP_APPROVAL,
            json!({"MNPVersionId": version, "ApplyAction": apply, "PlatformId": platform}),
        )
        .await
    }

    pub(super) async fn submit(&self, version: i64) -> Reply {
        self.create(version, "submit", P).await
    }

    pub(super) async fn cancel(&self, version: i64) -> Reply {
        self.create(version, "cancel", P).await
    }

    pub(super) async fn list(&self, params: Value) -> Reply {
        self.call(DESCRIBE_MNP_APPROVAL_LIST, params).await
    }

    /// A request of `action` signed for `api` and naming its version.
    pub(super) fn req_as(&self, api: crate::tcmpp::Api, action: &str, params: Value) -> Req {
        let mut r = self.req(action, params);
        r.sign_service = api.service().to_string();
        r.version = Some(api.version().to_string());
        r
    }

    /// `DescribeMNPAllStageVersions` of `mnp` on [`P`].
    pub(super) async fn stage_versions(&self, mnp: &str) -> Reply {
        self.call(
            DESCRIBE_MNP_ALL_STAGE_VERSIONS,
            json!({"MNPId": mnp, "PlatformId": P}),
        )
        .await
    }

    /// `DescribeMNPReleasedVersionHistory` of `mnp` on [`P`].
    pub(super) async fn history(&self, mnp: &str) -> Reply {
        self.call(
            DESCRIBE_MNP_RELEASED_VERSION_HISTORY,
            json!({"MNPId": mnp, "PlatformId": P}),
        )
        .await
    }

    /// `ReleaseMNPVersion` of `version` on `platform`.
    pub(super) async fn release_on(&self, platform: &str, version: i64) -> Reply {
        self.call(
            RELEASE_MNP_VERSION,
            json!({"MNPVersionId": version, "PlatformId": platform}),
        )
        .await
    }

    /// `ReleaseMNPVersion` of `version` on [`P`].
    pub(super) async fn release(&self, version: i64) -> Reply {
        self.release_on(P, version).await
    }

    /// `RollbackMNPVersion` of `mnp` to `version` (`MNPVersion` `string`) on [`P`].
    pub(super) async fn rollback(&self, mnp: &str, version: i64, string: &str) -> Reply {
        self.call(
            ROLLBACK_MNP_VERSION,
            json!({"MNPId": mnp, "MNPVersionId": version, "PlatformId": P, "MNPVersion": string}),
        )
        .await
    }

    pub(super) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }
}

pub(super) async fn start(config: SimConfig) -> (SimHandle, Api) {
    let handle = spawn(config).await.unwrap();
    let api = Api::new(&handle);
    (handle, api)
}

pub(super) fn is_request_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        })
}

/// Asserts the exact error shape and code, and returns the message.
#[track_caller]
pub(super) fn assert_error(reply: &Reply, code: &str) -> String {
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
pub(super) fn assert_result_true(reply: &Reply) {
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"Response": {"Data": {"Result": true}, "RequestId": reply.request_id()}}),
        "{}",
        reply.text
    );
}

pub(super) fn codes_of(calls: &[Call]) -> Vec<Option<&str>> {
    calls.iter().map(|c| c.code.as_deref()).collect()
}

/// Unix seconds of an instant at or after the epoch (a parsed `Date` header).
pub(super) fn unix_secs(t: std::time::SystemTime) -> i64 {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    i64::try_from(secs).unwrap()
}

/// `(MNPVersionId, Phase)` of each item of a `DescribeMNPAllStageVersions` answer, in order.
pub(super) fn phases(data: &Value) -> Vec<(i64, String)> {
    data.as_array()
        .expect("a list of stage versions")
        .iter()
        .map(|v| {
            (
                v["MNPVersionId"].as_i64().unwrap(),
                v["Phase"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `MNPVersionId`s of a `DescribeMNPReleasedVersionHistory` answer, in order; checks
/// `TotalCount` against them.
#[track_caller]
pub(super) fn history_ids(data: &Value) -> Vec<i64> {
    let ids: Vec<i64> = data["DataList"]
        .as_array()
        .expect("DataList")
        .iter()
        .map(|v| v["MNPVersionId"].as_i64().unwrap())
        .collect();
    assert_eq!(data["TotalCount"], json!(ids.len()), "{data}");
    ids
}

/// Unix seconds of a `YYYY-MM-DD HH:MM:SS` Beijing time, as records show times.
pub(super) fn beijing_unix(text: &str) -> i64 {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, format)
        .unwrap_or_else(|e| panic!("`{text}` is not a record time: {e}"))
        .assume_offset(time::macros::offset!(+8))
        .unix_timestamp()
}

/// Replaces every time field (`CreateTime`, `UpdateTime`, `ApplyTime`, `ApprovalTime`) that is
/// a string by `"<time>"`, after checking it lies in `[lo, hi]` (unix seconds), so that a body
/// can be compared exactly.
#[track_caller]
pub(super) fn redact_times(value: &mut Value, lo: i64, hi: i64) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                let is_time = ["CreateTime", "UpdateTime", "ApplyTime", "ApprovalTime"]
                    .contains(&key.as_str());
                match field {
                    Value::String(text) if is_time => {
                        let t = beijing_unix(text);
                        assert!((lo..=hi).contains(&t), "{key} {text} not in [{lo}, {hi}]");
                        *field = json!("<time>");
                    }
                    other => redact_times(other, lo, hi),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_times(v, lo, hi)),
        _ => {}
    }
}

/// Signed headers of a TCMPP request of `action` with `body`, for host `sim.test`, as `sim`
/// expects them (for `Sim::decide`).
pub(super) fn signed_headers(sim: &Sim, action: &str, body: &[u8]) -> HeaderMap {
    let config = sim.config();
    let timestamp = now();
    let auth = sign::authorization(
        &config.secret_id,
        &config.secret_key,
        &sign::Request {
            service: sign::SERVICE,
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
