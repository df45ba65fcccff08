//! Delivery against local receivers: every sink's body and signature as received, retries of
//! in-band errors and 5xx, refusals, a full queue, a sink that never answers, the event filter,
//! rate limits, and error texts without tokens. Tests wait on reports and on `drain`, never on
//! sleeps.

use std::sync::Arc;
use std::time::Duration;

use governor::Quota;
use tokio::sync::mpsc;

use super::receiver::{Receiver, Reply, Silent};
use super::sign::{hmac_base64, hmac_hex};
use super::{batch, now};
use crate::notify::format::prepare;
use crate::notify::sink::{Sink, SinkKind, parse_sinks};
use crate::notify::{Count, Notifier, NotifierConfig, Outcome, Report, Secret, documented_quota};
use crate::tcmpp::RetryPolicy;

/// Fast retries, no rate limits, a fixed clock, and every report into the channel.
fn config(reports: mpsc::UnboundedSender<Report>) -> NotifierConfig {
    NotifierConfig {
        queue: 8,
        timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(4),
        },
        max_elapsed: Duration::from_secs(30),
        webhook_secret: Some(Secret::new("whsec")),
        clock: Arc::new(now),
        quota: Arc::new(|_| None),
        on_report: Some(Arc::new(move |report: &Report| {
            let _ = reports.send(report.clone());
        })),
        ..NotifierConfig::default()
    }
}

fn start(urls: &[String], tweak: impl FnOnce(&mut NotifierConfig)) -> (Notifier, Reports) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut config = config(tx);
    tweak(&mut config);
    let sinks = parse_sinks(urls.iter().map(String::as_str)).unwrap();
    (Notifier::spawn(sinks, config).unwrap(), Reports(rx))
}

struct Reports(mpsc::UnboundedReceiver<Report>);

impl Reports {
    /// The next report; fails the test after 30 s.
    async fn next(&mut self) -> Report {
        tokio::time::timeout(Duration::from_secs(30), self.0.recv())
            .await
            .expect("a report within 30 s")
            .expect("the notifier is alive")
    }

    /// The next `n` reports, sorted by sink.
    async fn take(&mut self, n: usize) -> Vec<Report> {
        let mut all = Vec::new();
        for _ in 0..n {
            all.push(self.next().await);
        }
        all.sort_by(|a, b| a.sink.cmp(&b.sink));
        all
    }
}

fn dropped(reason: &str) -> Outcome {
    Outcome::Dropped {
        reason: reason.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sink_receives_its_golden_body_signed() {
    let generic = Receiver::always(Reply::new(204, "")).await;
    let wecom = Receiver::always(Reply::ok(r#"{"errcode":0,"errmsg":"ok"}"#)).await;
    let dingtalk = Receiver::always(Reply::ok(r#"{"errcode":0,"errmsg":"ok"}"#)).await;
    let feishu = Receiver::always(Reply::ok(r#"{"code":0,"data":{},"msg":"success"}"#)).await;
    let slack = Receiver::always(Reply::ok("ok")).await;
    let urls = [
        generic.url("/hooks/mnpsync"),
        wecom.url("/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"),
        format!(
            "dingtalk+{}",
            dingtalk
                .url("/robot/send?access_token=0123456789abcdef&secret=SECtest0123456789abcdef")
        ),
        format!(
            "feishu+{}",
            feishu.url("/open-apis/bot/v2/hook/0f1e2d3c-4b5a?secret=feishuSecret0123")
        ),
        format!(
            "slack+{}",
            slack.url("/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
        ),
    ];
    let urls = [
        urls[0].clone(),
        format!("wecom+{}", urls[1]),
        urls[2].clone(),
        urls[3].clone(),
        urls[4].clone(),
    ];
    let (notifier, mut reports) = start(&urls, |_| {});
    assert_eq!(notifier.enqueue(batch()), 5);
    assert_eq!(notifier.drain(Duration::from_secs(30)).await, 0);
    let reports = reports.take(5).await;
    for report in &reports {
        assert_eq!(report.outcome, Outcome::Delivered, "{report:?}");
        assert_eq!(report.attempts, 1);
        assert_eq!(report.run_id, "20251128T101500Z-7f3a");
        assert_eq!(
            report.keys,
            ["T04257DS9431720WTAG/2597", "T04257DS9431720WTAG/2598"]
        );
    }

    // Each body is the one the golden tests pin, as sent to that sink.
    let expected = |url: &str| {
        let sink = Sink::parse(url, 1).unwrap();
        prepare(&sink, &batch(), Some(&Secret::new("whsec")), now()).body
    };
    for (receiver, url) in [&generic, &wecom, &dingtalk, &feishu, &slack]
        .into_iter()
        .zip(&urls)
    {
        let received = receiver.received();
        assert_eq!(received.len(), 1, "{url}");
        let request = &received[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.header("content-type").as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(request.body, expected(url), "{url}");
        assert!(!request.target.contains("secret"), "{}", request.target);
    }

    // The generic signature is the HMAC of the exact bytes received.
    let request = &generic.received()[0];
    assert_eq!(
        request.header("x-mnpsync-signature-256").unwrap(),
        format!("sha256={}", hmac_hex(b"whsec", &request.body))
    );
    assert_eq!(request.json()["schema"], "mnpsync.notification/v1");
    // No other sink gets the generic header.
    assert!(
        wecom.received()[0]
            .header("x-mnpsync-signature-256")
            .is_none()
    );

    // DingTalk: timestamp (ms) and sign as query parameters, the sign recomputed here.
    let request = &dingtalk.received()[0];
    let secret = "SECtest0123456789abcdef";
    assert_eq!(
        request.query(),
        [
            ("access_token".to_string(), "0123456789abcdef".to_string()),
            ("timestamp".to_string(), "1764324900000".to_string()),
            (
                "sign".to_string(),
                hmac_base64(
                    secret.as_bytes(),
                    format!("1764324900000\n{secret}").as_bytes()
                )
            ),
        ]
    );
    assert_eq!(request.json()["msgtype"], "markdown");

    // Feishu: timestamp (s) and sign in the body, the sign recomputed here.
    let body = feishu.received()[0].json();
    assert_eq!(body["timestamp"], "1764324900");
    assert_eq!(
        body["sign"],
        hmac_base64(b"1764324900\nfeishuSecret0123", b"")
    );
    assert_eq!(
        feishu.received()[0].target,
        "/open-apis/bot/v2/hook/0f1e2d3c-4b5a"
    );

    let counts = notifier.counts();
    assert_eq!(counts.len(), 10);
    assert!(
        counts
            .iter()
            .all(|c| c.value == u64::from(c.result == "delivered"))
    );
}

#[tokio::test]
async fn in_band_errors_are_retried_then_dropped() {
    let cases = [
        (
            "wecom+",
            r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
            "errcode 93000: invalid webhook url",
        ),
        (
            "dingtalk+",
            r#"{"errcode":130101,"errmsg":"send too fast"}"#,
            "errcode 130101: send too fast",
        ),
        (
            "feishu+",
            r#"{"code":19021,"msg":"sign match fail"}"#,
            "code 19021: sign match fail",
        ),
        (
            "slack+",
            "invalid_token",
            "answered HTTP 200 without \"ok\": \"invalid_token\"",
        ),
    ];
    for (prefix, answer, reason) in cases {
        let receiver = Receiver::always(Reply::ok(answer)).await;
        let (notifier, mut reports) = start(&[format!("{prefix}{}", receiver.url("/x"))], |_| {});
        notifier.enqueue(batch());
        let report = reports.next().await;
        assert_eq!(
            report.outcome,
            dropped(&format!("{reason} (after 3 attempts)")),
            "{prefix}"
        );
        assert_eq!(report.attempts, 3);
        assert_eq!(receiver.received().len(), 3, "{prefix}");
        assert_eq!(
            notifier.counts(),
            [
                Count {
                    sink: notifier.sinks()[0].clone(),
                    result: "delivered",
                    value: 0
                },
                Count {
                    sink: notifier.sinks()[0].clone(),
                    result: "dropped",
                    value: 1
                },
            ]
        );
    }
}

#[tokio::test]
async fn server_errors_and_429_are_retried_until_delivered() {
    let receiver = Receiver::start(
        vec![Reply::new(503, "busy"), Reply::new(429, "")],
        Reply::ok(""),
    )
    .await;
    let (notifier, mut reports) = start(&[receiver.url("/x")], |_| {});
    notifier.enqueue(batch());
    let report = reports.next().await;
    assert_eq!(report.outcome, Outcome::Delivered);
    assert_eq!(report.attempts, 3);
    assert_eq!(receiver.received().len(), 3);

    // Two attempts allowed: the second 5xx ends it.
    let receiver = Receiver::always(Reply::new(502, "bad gateway")).await;
    let (notifier, mut reports) = start(&[receiver.url("/x")], |c| c.retry.attempts = 2);
    notifier.enqueue(batch());
    assert_eq!(
        reports.next().await.outcome,
        dropped("HTTP 502: bad gateway (after 2 attempts)")
    );
}

#[tokio::test]
async fn retries_stop_within_the_time_budget() {
    let receiver = Receiver::always(Reply::new(503, "")).await;
    let (notifier, mut reports) = start(&[receiver.url("/x")], |c| {
        c.retry = RetryPolicy {
            attempts: 10,
            base: Duration::from_secs(60),
            cap: Duration::from_secs(60),
        };
        c.max_elapsed = Duration::ZERO;
    });
    notifier.enqueue(batch());
    let report = reports.next().await;
    assert_eq!(
        report.outcome,
        dropped("HTTP 503; no retry within 0s (after 1 attempt)")
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_a_redirect_is_not_followed() {
    let receiver = Receiver::always(Reply::new(404, "no_service")).await;
    let (notifier, mut reports) = start(&[format!("slack+{}", receiver.url("/x"))], |_| {});
    notifier.enqueue(batch());
    assert_eq!(
        reports.next().await.outcome,
        dropped("HTTP 404: no_service (after 1 attempt)")
    );
    assert_eq!(receiver.received().len(), 1);

    let elsewhere = Receiver::always(Reply::ok("")).await;
    let mut redirect = Reply::new(302, "");
    redirect.location = Some(elsewhere.url("/stolen"));
    let receiver = Receiver::always(redirect).await;
    let (notifier, mut reports) = start(&[receiver.url("/x")], |_| {});
    notifier.enqueue(batch());
    assert_eq!(
        reports.next().await.outcome,
        dropped(
            "answered HTTP 302, a redirect (redirects are not followed: check the URL) (after 1 attempt)"
        )
    );
    assert_eq!(receiver.received().len(), 1);
    assert!(elsewhere.received().is_empty());
}

/// The runtime has one thread and the test does not yield between the enqueues, so the sink's
/// task has taken nothing from its queue yet.
#[tokio::test]
async fn a_full_queue_drops_without_blocking_and_counts() {
    let silent = Silent::start().await;
    let (notifier, mut reports) = start(&[silent.url("/x")], |c| c.queue = 1);
    assert_eq!(notifier.enqueue(batch()), 1);
    assert_eq!(notifier.enqueue(batch()), 0);
    assert_eq!(notifier.enqueue(batch()), 0);
    for _ in 0..2 {
        let report = reports.next().await;
        assert_eq!(report.outcome, dropped("the queue is full (capacity 1)"));
        assert_eq!(report.attempts, 0);
        assert_eq!(report.keys.len(), 2);
    }
    assert_eq!(notifier.pending(), 1);
    let sink = notifier.sinks()[0].clone();
    assert_eq!(
        notifier.counts(),
        [
            Count {
                sink: sink.clone(),
                result: "delivered",
                value: 0
            },
            Count {
                sink,
                result: "dropped",
                value: 2
            },
        ]
    );
}

/// Paused time: `drain` gives up at its deadline although the request's own timeout is an hour
/// away.
#[tokio::test(start_paused = true)]
async fn drain_returns_at_its_deadline_when_a_sink_never_answers() {
    let silent = Silent::start().await;
    let (notifier, _reports) = start(&[silent.url("/x")], |c| {
        c.timeout = Duration::from_secs(3600)
    });
    notifier.enqueue(batch());
    let started = tokio::time::Instant::now();
    assert_eq!(notifier.drain(Duration::from_secs(10)).await, 1);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(3600),
        "{waited:?}"
    );
    assert_eq!(notifier.pending(), 1);
}

#[tokio::test]
async fn a_sink_that_never_answers_is_dropped_after_its_timeouts() {
    let silent = Silent::start().await;
    let (notifier, mut reports) = start(&[silent.url("/x")], |c| {
        c.timeout = Duration::from_millis(200);
        c.retry.attempts = 2;
    });
    notifier.enqueue(batch());
    assert_eq!(
        reports.next().await.outcome,
        dropped("no answer within 200ms (the per-request timeout) (after 2 attempts)")
    );
    assert_eq!(notifier.drain(Duration::from_secs(5)).await, 0);
}

#[tokio::test]
async fn no_error_text_holds_a_token() {
    // Nothing listens on the port: the connection is refused.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = format!(
        "dingtalk+http://127.0.0.1:{port}/robot/send?access_token=TOKENaccess0123&secret=SECsigning0123"
    );
    // A service that quotes the request target in its error.
    let mut echo = Reply::new(400, "bad request for");
    echo.echo_target = true;
    let echoing = Receiver::always(echo).await;
    let quoted = echoing.url("/hooks/TOKENpath0123456789?key=TOKENkey0123");
    let (notifier, mut reports) = start(&[refused, quoted], |c| c.retry.attempts = 2);
    notifier.enqueue(batch());
    let reports = reports.take(2).await;
    let texts = format!("{reports:?} {notifier:?} {:?}", notifier.counts());
    for token in [
        "TOKENaccess0123",
        "SECsigning0123",
        "TOKENpath0123456789",
        "TOKENkey0123",
    ] {
        assert!(!texts.contains(token), "{token} in {texts}");
    }
    let Outcome::Dropped { reason } = &reports[0].outcome else {
        panic!("{reports:?}")
    };
    assert!(
        reason.contains("onnect") && reason.ends_with("(after 2 attempts)"),
        "{reason}"
    );
    assert_eq!(
        reports[1].outcome,
        dropped("HTTP 400: bad request for: /hooks/***?key=*** (after 1 attempt)")
    );
}

#[tokio::test]
async fn the_event_filter_decides_what_is_sent() {
    let receiver = Receiver::always(Reply::ok("")).await;
    let (notifier, mut reports) = start(&[receiver.url("/x")], |c| {
        c.events = "blocked,failed".parse().unwrap();
    });
    let mut approved_only = batch();
    approved_only.events.truncate(1);
    assert_eq!(notifier.enqueue(approved_only), 0);
    assert_eq!(notifier.pending(), 0);
    assert_eq!(notifier.enqueue(batch()), 1);
    let report = reports.next().await;
    assert_eq!(report.keys, ["T04257DS9431720WTAG/2598"]);
    let body = receiver.received()[0].json();
    assert_eq!(body["events"].as_array().unwrap().len(), 1);
    assert_eq!(body["events"][0]["kind"], "blocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_spaces_a_sinks_messages() {
    let receiver = Receiver::always(Reply::ok(r#"{"errcode":0}"#)).await;
    let (notifier, mut reports) = start(&[format!("wecom+{}", receiver.url("/x"))], |c| {
        c.quota = Arc::new(|kind| {
            (kind == SinkKind::WeCom)
                .then(|| Quota::with_period(Duration::from_millis(300)).unwrap())
        });
    });
    notifier.enqueue(batch());
    notifier.enqueue(batch());
    reports.take(2).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_millis(250), "{gap:?}");
}

#[test]
fn documented_rate_limits() {
    let period =
        |kind| documented_quota(kind).map(|q| (q.replenish_interval(), q.burst_size().get()));
    assert_eq!(
        period(SinkKind::WeCom),
        Some((Duration::from_millis(3100), 1))
    );
    assert_eq!(
        period(SinkKind::DingTalk),
        Some((Duration::from_millis(3100), 1))
    );
    assert_eq!(
        period(SinkKind::Feishu),
        Some((Duration::from_millis(620), 1))
    );
    assert_eq!(period(SinkKind::Slack), Some((Duration::from_secs(1), 1)));
    assert_eq!(period(SinkKind::Generic), None);
}
