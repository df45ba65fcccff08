//! `mnpsync notify test`: the sample event reaches every sink (signed), each sink's result is
//! printed under its redacted name, the exit code says whether all delivered, a missing or
//! refused sink is a usage error, no token is ever printed, and the README's table matches
//! `--help`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::net::TcpListener;

use crate::util::{self, mnpsync, repo_file};

/// What a receiver got: headers and body of each request.
pub(crate) type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A loopback HTTP server on port 0 answering every request with HTTP 200 and `answer`.
pub(crate) async fn receiver(answer: &'static str) -> (SocketAddr, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let kept = kept.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
            kept.lock().unwrap().push((parts.headers, body));
            answer
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, received)
}

fn notify_test(env: &[(&str, &str)], args: &[&str]) -> tokio::process::Command {
    let mut all = vec!["notify", "test"];
    all.extend_from_slice(args);
    let mut command = mnpsync(&all);
    for (name, value) in env {
        command.env(name, value);
    }
    command.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_reaches_every_sink_and_each_result_is_printed() {
    let (generic, generic_got) = receiver("").await;
    let (wecom, wecom_got) = receiver(r#"{"errcode":0,"errmsg":"ok"}"#).await;
    let sinks = format!(
        "http://{generic}/hooks/TOKENpath0123456789\n  wecom+http://{wecom}/cgi-bin/webhook/send?key=TOKENkey0123"
    );
    let run = util::run(notify_test(
        &[
            ("MNPSYNC_NOTIFY", &sinks),
            ("MNPSYNC_NOTIFY_SECRET", "whsec-notify"),
        ],
        &[],
    ))
    .await;
    run.assert_code(0);
    assert_eq!(
        run.stdout_lines(),
        [
            format!("http://{generic}/hooks/***: delivered"),
            format!("wecom+http://{wecom}/cgi-bin/webhook/send?key=***: delivered"),
            "2 of 2 sink(s) delivered the test notification.".to_string(),
        ]
    );
    assert!(!run.all_output().contains("TOKEN"), "{run:?}");

    let generic_got = generic_got.lock().unwrap();
    assert_eq!(generic_got.len(), 1);
    let (headers, body) = &generic_got[0];
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec-notify").unwrap();
    mac.update(body);
    assert_eq!(
        headers["x-mnpsync-signature-256"].to_str().unwrap(),
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["schema"], "mnpsync.notification/v1");
    assert_eq!(body["events"][0]["kind"], "approved");
    assert_eq!(body["events"][0]["name"], "mnpsync-notify-test");
    assert!(body["run_id"].as_str().unwrap().starts_with("notify-test-"));

    let wecom_got = wecom_got.lock().unwrap();
    assert_eq!(wecom_got.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&wecom_got[0].1).unwrap();
    assert_eq!(body["msgtype"], "markdown");
    let content = body["markdown"]["content"].as_str().unwrap();
    assert!(
        content.starts_with("**mnpsync: 1 event**\n")
            && content.contains("**mnpsync-notify-test**"),
        "{content}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sink_is_named_with_its_reason_and_exits_1() {
    let (good, _) = receiver("ok").await;
    let (bad, bad_got) = receiver(r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#).await;
    let run = util::run(notify_test(
        &[],
        &[
            "--notify",
            &format!("slack+http://{good}/services/T00000000/B00000000/TOKENslack0123456789"),
            "--notify",
            &format!(
                "dingtalk+http://{bad}/robot/send?access_token=TOKENding0123&secret=SECding0123"
            ),
        ],
    ))
    .await;
    run.assert_code(1);
    assert_eq!(
        run.stdout_lines(),
        [
            format!("slack+http://{good}/services/***/***/***: delivered"),
            format!(
                "dingtalk+http://{bad}/robot/send?access_token=***&secret=***: failed: errcode 93000: invalid webhook url (after 1 attempt)"
            ),
            "1 of 2 sink(s) delivered the test notification.".to_string(),
        ]
    );
    // One attempt: a test shows the first answer.
    assert_eq!(bad_got.lock().unwrap().len(), 1);
    let output = run.all_output();
    for token in ["TOKEN", "SECding0123"] {
        assert!(!output.contains(token), "{token}: {run:?}");
    }
}

#[tokio::test]
async fn no_sink_or_a_refused_one_is_a_usage_error_that_shows_no_token() {
    let run = util::run(notify_test(&[], &[])).await;
    run.assert_code(64);
    assert_eq!(
        run.stderr.trim(),
        "error: no notification sink: pass --notify URL or set MNPSYNC_NOTIFY"
    );

    let run = util::run(notify_test(
        &[(
            "MNPSYNC_NOTIFY",
            "wecom+http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=TOKENkey0123",
        )],
        &[],
    ))
    .await;
    run.assert_code(64);
    assert_eq!(
        run.stderr.trim(),
        "error: notification sink wecom+http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=*** uses plain http to a non-loopback host; its token would cross the network unencrypted (use https, or http only to 127.0.0.1/localhost)"
    );

    let run = util::run(notify_test(
        &[],
        &["--notify", "teams+https://example/TOKEN0123456789"],
    ))
    .await;
    run.assert_code(64);
    assert!(
        run.stderr.contains("unknown prefix \"teams\"") && !run.stderr.contains("TOKEN"),
        "{run:?}"
    );

    // Help never shows the environment's URLs.
    let run = util::run(notify_test(
        &[("MNPSYNC_NOTIFY", "https://example/TOKEN0123456789")],
        &["--help"],
    ))
    .await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("[env: MNPSYNC_NOTIFY]") && !run.stdout.contains("TOKEN"),
        "{run:?}"
    );
}

/// The flags of `notify test --help`'s "Options" and of the README's `notify test` table agree.
#[test]
fn the_readme_table_matches_help() {
    let output = mnpsync(&["notify", "test", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let mut in_options = false;
    let mut from_help = BTreeSet::new();
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            in_options = line == "Options:";
        } else if in_options {
            from_help.extend(flags(
                line.split("  ").find(|s| !s.is_empty()).unwrap_or(""),
            ));
        }
    }
    for own in ["-h", "--help", "-V", "--version"] {
        from_help.remove(own);
    }
    let readme = repo_file("README.md");
    let table = readme
        .split("#### `mnpsync notify test`")
        .nth(1)
        .expect("README has a `mnpsync notify test` table");
    let from_readme: BTreeSet<String> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .flat_map(|row| flags(row.split('|').nth(1).unwrap_or("")))
        .collect();
    assert_eq!(from_help, from_readme);
    assert!(
        readme.contains("| `mnpsync notify test` |"),
        "the README's command list names notify test"
    );
}

/// `--notify`, `-h` … of a text such as `--notify <URL>` or `` `--notify URL` ``.
fn flags(text: &str) -> Vec<String> {
    text.split([',', ' ', '`'])
        .map(|w| {
            w.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|w| w.starts_with('-') && w.len() > 1)
        .collect()
}
