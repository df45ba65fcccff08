//! Over raw TCP and HTTP: what bounds a request and the simulator's memory — the body's size
//! bound before the signature, the header and body timeouts that close idle, stalled and
//! trickling connections, and the call log's bound.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::support::*;
use crate::sim::error::codes;
use crate::sim::server::MAX_BODY_BYTES;
use crate::sim::{SimConfig, SimHandle};
use crate::tcmpp::model::{API_VERSION, CREATE_MNP_APPROVAL};
use crate::tcmpp::sign;

/// The longest any test here waits for the server to act.
const BOUND: Duration = Duration::from_secs(5);

/// A simulator whose header and body timeouts are short.
fn short_timeouts() -> SimConfig {
    SimConfig {
        header_timeout: Duration::from_millis(200),
        body_timeout: Duration::from_millis(200),
        ..SimConfig::default()
    }
}

/// The head of a `CreateMNPApproval` request over `body`, signed with `secret_key`; `framing`
/// is the `Content-Length` or `Transfer-Encoding` line.
fn signed_head(h: &SimHandle, secret_key: &str, body: &[u8], framing: &str) -> String {
    let host = h.addr.to_string();
    let timestamp = now();
    let authorization = sign::authorization(
        &h.sim.config().secret_id,
        secret_key,
        &sign::Request {
            service: sign::SERVICE,
            host: &host,
            content_type: sign::CONTENT_TYPE,
            payload: body,
            timestamp,
        },
    );
    format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: {}\r\nX-TC-Action: {CREATE_MNP_APPROVAL}\r\n\
         X-TC-Version: {API_VERSION}\r\nX-TC-Timestamp: {timestamp}\r\n\
         Authorization: {authorization}\r\n{framing}\r\n",
        sign::CONTENT_TYPE
    )
}

/// Reads until the server closes the connection (EOF or an error), at most [`BOUND`]; returns
/// what was read and when the connection ended. Panics if it is still open after [`BOUND`].
async fn read_until_closed(stream: &mut (impl AsyncReadExt + Unpin)) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(BOUND, read_all)
        .await
        .expect("the server kept the connection open");
    (received, started.elapsed())
}

/// The status and JSON body of the first HTTP response in `bytes`.
fn parse_response(bytes: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(bytes);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {text:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("Content-Length");
    let body = serde_json::from_str(&rest[..length]).unwrap_or_else(|e| panic!("{e}: {rest}"));
    (status, body)
}

fn error_of(body: &Value) -> (&str, &str) {
    let error = &body["Response"]["Error"];
    (
        error["Code"].as_str().unwrap_or_default(),
        error["Message"].as_str().unwrap_or_default(),
    )
}

/// Sends a body one byte over the limit (declared, or chunked) while reading the reply.
async fn send_over_limit(h: &SimHandle, secret_key: &str, chunked: bool) -> (u16, Value) {
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let framing = if chunked {
        "Transfer-Encoding: chunked\r\n".to_string()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let head = signed_head(h, secret_key, &body, &framing);
    let stream = TcpStream::connect(h.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // The server may answer and close before the whole body is sent: write errors are expected.
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for chunk in body.chunks(256 * 1024) {
            if chunked {
                writer
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                writer.write_all(chunk).await?;
                writer.write_all(b"\r\n").await?;
            } else {
                writer.write_all(chunk).await?;
            }
        }
        if chunked {
            writer.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    });
    let (received, _) = read_until_closed(&mut reader).await;
    sender.abort();
    parse_response(&received)
}

#[tokio::test]
async fn an_over_limit_body_gets_the_size_error_before_the_signature_is_checked() {
    let h = crate::sim::spawn(SimConfig::default()).await.unwrap();
    let key = h.sim.config().secret_key.clone();
    let expected = format!("The request body exceeds {MAX_BODY_BYTES} bytes.");
    for (secret_key, chunked) in [
        (key.as_str(), false),
        (key.as_str(), true),
        ("wrong", false),
    ] {
        let (status, body) = send_over_limit(&h, secret_key, chunked).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            error_of(&body),
            (codes::INVALID_PARAMETER, expected.as_str()),
            "key {secret_key}, chunked {chunked}"
        );
    }
    let calls = h.sim.calls();
    assert_eq!(codes_of(&calls), [Some(codes::INVALID_PARAMETER); 3]);
    assert!(calls.iter().all(|c| c.action == CREATE_MNP_APPROVAL));
    assert!(calls.iter().all(|c| c.params == Value::Null));
    assert!(h.sim.approvals().is_empty());
}

#[tokio::test]
async fn a_bad_signature_over_a_small_body_is_still_a_signature_failure() {
    let (h, api) = start(SimConfig::default()).await;
    let params = json!({"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": P});
    let mut r = api.req(CREATE_MNP_APPROVAL, params.clone());
    r.secret_key = "wrong".into();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
    // A body other than the signed one.
    let mut r = api.req(CREATE_MNP_APPROVAL, params.clone());
    r.auth = Auth::Raw(api.authorization(&r).unwrap());
    r.body =
        br#"{"MNPVersionId": 2, "ApplyAction": "submit", "PlatformId": "TPLATFORM1"}"#.to_vec();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
    let calls = h.sim.calls();
    assert_eq!(codes_of(&calls), [Some(codes::SIGNATURE_FAILURE); 2]);
    // The body was read before the signature was checked, so it is in the log.
    assert_eq!(calls[0].params, params);
    assert!(h.sim.approvals().is_empty());
}

#[tokio::test]
async fn a_failed_header_check_is_answered_without_waiting_for_the_body() {
    let h = crate::sim::spawn(SimConfig {
        body_timeout: Duration::from_secs(60),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let key = h.sim.config().secret_key.clone();
    // A known action and a signed head, but the wrong version; the body never comes.
    let head =
        signed_head(&h, &key, b"{}", "Content-Length: 100\r\n").replace(API_VERSION, "2017-03-12");
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (received, elapsed) = read_until_closed(&mut stream).await;
    let (status, body) = parse_response(&received);
    assert_eq!((status, error_of(&body).0), (200, codes::NO_SUCH_VERSION));
    assert!(elapsed < BOUND, "{elapsed:?}");
    assert_eq!(h.sim.calls()[0].params, Value::Null);
}

#[tokio::test]
async fn idle_and_stalled_connections_are_closed_after_the_header_timeout() {
    let h = crate::sim::spawn(short_timeouts()).await.unwrap();
    // Sends nothing at all.
    let mut idle = TcpStream::connect(h.addr).await.unwrap();
    let (received, idle_for) = read_until_closed(&mut idle).await;
    assert!(received.is_empty());
    // Sends half a request line, then stalls.
    let mut stalled = TcpStream::connect(h.addr).await.unwrap();
    stalled.write_all(b"POST / HT").await.unwrap();
    let (received, stalled_for) = read_until_closed(&mut stalled).await;
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    eprintln!("idle connection lived {idle_for:?}, stalled one {stalled_for:?}");
    for lived in [idle_for, stalled_for] {
        assert!(lived >= Duration::from_millis(150), "{lived:?}");
    }
    assert!(h.sim.calls().is_empty());
}

#[tokio::test]
async fn headers_trickling_in_do_not_extend_the_header_timeout() {
    let h = crate::sim::spawn(short_timeouts()).await.unwrap();
    let key = h.sim.config().secret_key.clone();
    let head = signed_head(&h, &key, b"{}", "Content-Length: 2\r\n");
    let (mut reader, mut writer) = TcpStream::connect(h.addr).await.unwrap().into_split();
    // One byte every 20 ms: the whole head would take seconds.
    let dripper = tokio::spawn(async move {
        for byte in head.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let (received, lived) = read_until_closed(&mut reader).await;
    dripper.abort();
    eprintln!("trickling connection lived {lived:?}");
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert!(lived < Duration::from_secs(2), "{lived:?}");
    assert!(h.sim.calls().is_empty());
}

#[tokio::test]
async fn a_stalled_body_is_answered_and_the_connection_closed() {
    let h = crate::sim::spawn(short_timeouts()).await.unwrap();
    let key = h.sim.config().secret_key.clone();
    let body = br#"{"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": "P"}"#;
    let head = signed_head(
        &h,
        &key,
        body,
        &format!("Content-Length: {}\r\n", body.len()),
    );
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    let (received, lived) = read_until_closed(&mut stream).await;
    eprintln!("connection with a stalled body lived {lived:?}");
    let (status, reply) = parse_response(&received);
    assert_eq!(status, 200);
    assert_eq!(
        error_of(&reply),
        (
            codes::INVALID_PARAMETER,
            "The request body was not received within 200ms."
        )
    );
    assert!(lived >= Duration::from_millis(150), "{lived:?}");
    assert_eq!(codes_of(&h.sim.calls()), [Some(codes::INVALID_PARAMETER)]);
    assert!(h.sim.approvals().is_empty());
}

#[tokio::test]
async fn a_reply_slower_than_the_header_timeout_still_arrives_and_keep_alive_ends() {
    let h = crate::sim::spawn(SimConfig {
        latency_ms: Some((400, 400)),
        ..short_timeouts()
    })
    .await
    .unwrap();
    let key = h.sim.config().secret_key.clone();
    let body = br#"{"MNPVersionId": 1, "ApplyAction": "submit", "PlatformId": "P"}"#;
    let head = signed_head(
        &h,
        &key,
        body,
        &format!("Content-Length: {}\r\n", body.len()),
    );
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    // The reply comes after 400 ms; the connection then idles until the header timeout.
    let (received, lived) = read_until_closed(&mut stream).await;
    eprintln!("keep-alive connection with a 400 ms reply lived {lived:?}");
    let (status, reply) = parse_response(&received);
    assert_eq!(status, 200);
    assert_eq!(reply["Response"]["Data"], json!({"Result": true}));
    assert!(lived >= Duration::from_millis(550), "{lived:?}");
    assert_eq!(h.sim.approvals().len(), 1);
}

#[tokio::test]
async fn the_call_log_keeps_the_last_n_calls_in_arrival_order() {
    let (h, api) = start(SimConfig {
        call_log_limit: 3,
        ..SimConfig::default()
    })
    .await;
    let mut ids = Vec::new();
    for version in 1..=5 {
        ids.push(api.submit(version).await.request_id());
    }
    let calls = h.sim.calls();
    let versions: Vec<Option<i64>> = calls
        .iter()
        .map(|c| c.params["MNPVersionId"].as_i64())
        .collect();
    assert_eq!(versions, [Some(3), Some(4), Some(5)]);
    let logged: Vec<&String> = calls.iter().map(|c| &c.request_id).collect();
    assert_eq!(logged, ids[2..].iter().collect::<Vec<_>>());
    let served: Vec<crate::sim::Call> = api.get("/_sim/calls").await.json().await.unwrap();
    assert_eq!(served, calls);
    // Clearing and refilling keeps the bound.
    h.sim.clear_calls();
    api.submit(6).await;
    assert_eq!(h.sim.calls().len(), 1);
    assert_eq!(
        h.sim.approvals().len(),
        6,
        "the bound drops log entries only"
    );
}

#[tokio::test]
async fn a_call_log_limit_of_zero_keeps_no_calls() {
    let (h, api) = start(SimConfig {
        call_log_limit: 0,
        ..SimConfig::default()
    })
    .await;
    assert_result_true(&api.submit(1).await);
    assert!(h.sim.calls().is_empty());
    let served: Vec<crate::sim::Call> = api.get("/_sim/calls").await.json().await.unwrap();
    assert!(served.is_empty());
}

#[test]
fn the_defaults_bound_connections_and_the_log() {
    let config = SimConfig::default();
    assert_eq!(config.header_timeout, Duration::from_secs(10));
    assert_eq!(config.body_timeout, Duration::from_secs(30));
    assert_eq!(config.call_log_limit, 10_000);
}
