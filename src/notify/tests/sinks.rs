//! Sink URLs: prefixes, checks, the redacted display form, and that no credential reaches an
//! error, a `Debug` output or a scrubbed text.

use crate::notify::sink::{Sink, SinkError, SinkKind, looks_like_token, parse_sinks, redact};

/// Parses `url`, panicking with the (redacted) error.
fn sink(url: &str) -> Sink {
    Sink::parse(url, 1).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn each_prefix_names_a_service_and_the_display_form_hides_tokens() {
    let cases = [
        (
            "https://hooks.example.com:8443/mnpsync/0123456789abcdef0123?token=abc&v=1#frag",
            SinkKind::Generic,
            "https://hooks.example.com:8443/mnpsync/***?token=***&v=***",
        ),
        (
            "https://user:pass@relay.example/notify",
            SinkKind::Generic,
            "https://***@relay.example/notify",
        ),
        (
            "wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
            SinkKind::WeCom,
            "wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        ),
        (
            "feishu+https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0?secret=abc",
            SinkKind::Feishu,
            "feishu+https://open.feishu.cn/open-apis/bot/v2/hook/***?secret=***",
        ),
        (
            "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef&secret=SECabc",
            SinkKind::DingTalk,
            "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=***&secret=***",
        ),
        (
            "slack+https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            SinkKind::Slack,
            "slack+https://hooks.slack.com/services/***/***/***",
        ),
        (
            "WeCom+http://[::1]:9000/hook",
            SinkKind::WeCom,
            "wecom+http://[::1]:9000/hook",
        ),
        (
            "lark+https://open.larksuite.com/open-apis/bot/v2/hook/abc",
            SinkKind::Feishu,
            "feishu+https://open.larksuite.com/open-apis/bot/v2/hook/abc",
        ),
        (
            "http://localhost:1/a%2Fb",
            SinkKind::Generic,
            "http://localhost:1/***",
        ),
    ];
    for (url, kind, display) in cases {
        let parsed = sink(url);
        assert_eq!(parsed.kind(), kind, "{url}");
        assert_eq!(parsed.display(), display, "{url}");
        assert_eq!(parsed.to_string(), display);
        let debug = format!("{parsed:?}");
        assert!(
            debug.contains(display) && !debug.contains("0123456789abcdef"),
            "{debug}"
        );
    }
}

#[test]
fn signing_secrets_leave_the_url_and_other_parameters_stay() {
    let dingtalk = sink(
        "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=tok12345&secret=SEC%2Babc",
    );
    assert_eq!(
        dingtalk.target().as_str(),
        "https://oapi.dingtalk.com/robot/send?access_token=tok12345"
    );
    assert_eq!(dingtalk.secret().unwrap().expose(), "SEC+abc");
    let feishu = sink("feishu+https://open.feishu.cn/open-apis/bot/v2/hook/abc?secret=s1");
    assert_eq!(
        feishu.target().as_str(),
        "https://open.feishu.cn/open-apis/bot/v2/hook/abc"
    );
    // Only Feishu and DingTalk sign with secret=; elsewhere it is part of the URL.
    let generic = sink("https://relay.example/hook?secret=s1");
    assert_eq!(
        generic.target().as_str(),
        "https://relay.example/hook?secret=s1"
    );
    assert!(generic.secret().is_none());
    let wecom = sink("wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1#x");
    assert_eq!(
        wecom.target().as_str(),
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"
    );
}

#[test]
fn refused_urls_are_named_without_their_tokens() {
    let token = "0123456789abcdefTOKEN";
    let cases: Vec<(String, SinkError)> = vec![
        (
            format!("http://hooks.example/{token}"),
            SinkError::PlainHttp("http://hooks.example/***".to_string()),
        ),
        (
            format!("wecom+http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={token}"),
            SinkError::PlainHttp(
                "wecom+http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***".to_string(),
            ),
        ),
        (
            format!("ftp://127.0.0.1/{token}"),
            SinkError::Scheme("ftp://127.0.0.1/***".to_string()),
        ),
        (
            format!("teams+https://example/{token}"),
            SinkError::Prefix {
                position: 1,
                prefix: "teams".to_string(),
            },
        ),
        (
            format!("hooks.example/{token}"),
            SinkError::Invalid {
                position: 1,
                reason: "expected a URL such as https://host/path or wecom+https://…".to_string(),
            },
        ),
        (
            format!("https://[oops/{token}"),
            SinkError::Invalid {
                position: 1,
                reason: "invalid IPv6 address".to_string(),
            },
        ),
        (
            format!("dingtalk+https://oapi.dingtalk.com/robot/send?access_token={token}&secret="),
            SinkError::EmptySecret(
                "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=***&secret=***"
                    .to_string(),
            ),
        ),
    ];
    for (url, expected) in cases {
        let error = Sink::parse(&url, 1).unwrap_err();
        assert_eq!(error, expected, "{url}");
        assert!(!error.to_string().contains("TOKEN"), "{error}");
    }
    assert_eq!(
        SinkError::PlainHttp("http://hooks.example/***".to_string()).to_string(),
        "notification sink http://hooks.example/*** uses plain http to a non-loopback host; its token would cross the network unencrypted (use https, or http only to 127.0.0.1/localhost)"
    );
}

#[test]
fn a_list_splits_on_whitespace_and_refuses_a_sink_given_twice() {
    let sinks = parse_sinks([
        "https://a.example/x  wecom+https://b.example/y?key=k\n\tslack+https://c.example/z",
        "",
    ])
    .unwrap();
    let kinds: Vec<SinkKind> = sinks.iter().map(Sink::kind).collect();
    assert_eq!(kinds, [SinkKind::Generic, SinkKind::WeCom, SinkKind::Slack]);
    assert!(parse_sinks(["", "  "]).unwrap().is_empty());
    assert_eq!(
        parse_sinks(["https://a.example/x", "https://a.example/x"]).unwrap_err(),
        SinkError::Duplicate("https://a.example/x".to_string())
    );
    // The position counts URLs, not flags.
    assert!(matches!(
        parse_sinks(["https://a.example/x nope"]).unwrap_err(),
        SinkError::Invalid { position: 2, .. }
    ));
}

#[test]
fn scrub_removes_every_credential_from_a_text() {
    let dingtalk = sink(
        "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=tok%2Fen12345&secret=SECsecret",
    );
    assert_eq!(
        dingtalk.scrub("for url (https://oapi.dingtalk.com/robot/send?access_token=tok%2Fen12345): tok/en12345 SECsecret"),
        "for url (https://oapi.dingtalk.com/robot/send?access_token=***): *** ***"
    );
    let slack =
        sink("slack+https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc");
    assert_eq!(
        slack.scrub("/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc"),
        "/services/***/***/***"
    );
}

#[test]
fn token_looking_segments() {
    for token in [
        "T00000000",
        "0f1e2d3c-4b5a",
        "abcdefghijklmnopqrst",
        "a%2Fb",
    ] {
        assert!(looks_like_token(token), "{token}");
    }
    for route in [
        "open-apis",
        "services",
        "hook",
        "v2",
        "cgi-bin",
        "send",
        "mnpsync",
        "",
    ] {
        assert!(!looks_like_token(route), "{route}");
    }
    let url = url::Url::parse("https://h.example/").unwrap();
    assert_eq!(redact(&url), "https://h.example/");
}
