//! What replies mean: every service's success, in-band errors, HTTP failures.

use crate::notify::answer::{Answer, interpret};
use crate::notify::sink::SinkKind::{self, DingTalk, Feishu, Generic, Slack, WeCom};

#[test]
fn replies_are_delivered_retried_or_refused() {
    let retry = |s: &str| Answer::Retry(s.to_string());
    let refused = |s: &str| Answer::Refused(s.to_string());
    let cases: Vec<(SinkKind, u16, &str, Answer)> = vec![
        (Generic, 200, "", Answer::Delivered),
        (Generic, 204, "", Answer::Delivered),
        (Generic, 503, "busy", retry("HTTP 503: busy")),
        (Generic, 429, "", retry("HTTP 429")),
        (
            Generic,
            404,
            "no such hook",
            refused("HTTP 404: no such hook"),
        ),
        (
            Generic,
            302,
            "",
            refused("answered HTTP 302, a redirect (redirects are not followed: check the URL)"),
        ),
        (
            WeCom,
            200,
            r#"{"errcode":0,"errmsg":"ok"}"#,
            Answer::Delivered,
        ),
        (
            WeCom,
            200,
            r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
            retry("errcode 93000: invalid webhook url"),
        ),
        (
            WeCom,
            200,
            "<html>",
            retry("answered HTTP 200 with a body that is not the service's JSON: \"<html>\""),
        ),
        (
            DingTalk,
            200,
            r#"{"errcode":130101,"errmsg":"send too fast"}"#,
            retry("errcode 130101: send too fast"),
        ),
        (
            DingTalk,
            200,
            r#"{"errcode":0,"errmsg":"ok"}"#,
            Answer::Delivered,
        ),
        (
            Feishu,
            200,
            r#"{"code":0,"data":{},"msg":"success"}"#,
            Answer::Delivered,
        ),
        (
            Feishu,
            200,
            r#"{"code":19021,"msg":"sign match fail"}"#,
            retry("code 19021: sign match fail"),
        ),
        (
            Feishu,
            200,
            r#"{"StatusCode":0,"StatusMessage":"success"}"#,
            Answer::Delivered,
        ),
        (Slack, 200, "ok", Answer::Delivered),
        (
            Slack,
            200,
            "invalid_token",
            retry("answered HTTP 200 without \"ok\": \"invalid_token\""),
        ),
        (Slack, 404, "no_service", refused("HTTP 404: no_service")),
        (Slack, 500, "rollup_error", retry("HTTP 500: rollup_error")),
    ];
    for (kind, status, body, expected) in cases {
        assert_eq!(
            interpret(kind, status, body.as_bytes()),
            expected,
            "{kind:?} {status} {body}"
        );
    }
    // A service's message is one clean, bounded line.
    let long = format!(r#"{{"errcode":1,"errmsg":"a\nb{}"}}"#, "x".repeat(500));
    let Answer::Retry(reason) = interpret(WeCom, 200, long.as_bytes()) else {
        panic!()
    };
    assert!(reason.starts_with("errcode 1: a\\nbxxx") && reason.chars().count() < 140);
}
