//! Over HTTP: the documented reply shapes, the inspection routes (`/_sim/calls`,
//! `/_sim/approvals`), plain 404s, shutdown, and a proper reply to any garbage.

use serde_json::json;

use super::support::*;
use crate::sim::error::codes;
use crate::sim::{SimApproval, SimConfig, spawn};
use crate::tcmpp::model::CREATE_MNP_APPROVAL;

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
