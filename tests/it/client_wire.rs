//! The client's guards on the wire, against bare loopback sockets (port 0): redirects are never
//! followed, a header value HTTP cannot carry is never sent, and an endpoint with no server trips
//! the circuit breaker after five attempts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mnpsync::tcmpp::model::{ApplyAction, CreateMnpApprovalRequest};
use mnpsync::tcmpp::{ApiError, Class, Client, ClientConfig, Credentials, Endpoint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::util::PLATFORM;

const SECRET_KEY: &str = "secretkeyvalue";
const TOKEN: &str = "session-token-value";

fn submit(version: i64) -> CreateMnpApprovalRequest {
    CreateMnpApprovalRequest {
        mnp_version_id: version,
        apply_action: ApplyAction::Submit,
        platform_id: PLATFORM.to_string(),
    }
}

/// A client of `addr` (default configuration: 5 attempts, 250 ms base backoff), signing with a
/// session token.
fn client_of(addr: SocketAddr) -> Client {
    let mut credentials = Credentials::new("AKIDwire", SECRET_KEY, "test");
    credentials.token = Some(mnpsync::tcmpp::credentials::Secret::new(TOKEN));
    let config = ClientConfig::new(Endpoint::parse(&format!("http://{addr}")).unwrap());
    Client::new(credentials, config).unwrap()
}

/// A loopback HTTP/1.1 server that reads each request whole, counts it, answers `response` and
/// closes the connection.
async fn raw_server(response: String) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let count = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = count.clone();
            let response = response.clone();
            tokio::spawn(async move {
                if read_request(&mut socket).await {
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                }
            });
        }
    });
    (addr, requests)
}

/// Reads one request (head and `Content-Length` body); false when the peer went away first.
async fn read_request(socket: &mut tokio::net::TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return true;
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn success() -> String {
    let body = r#"{"Response":{"Data":{"Result":true},"RequestId":"r-elsewhere"}}"#;
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_redirect_is_an_error_and_never_followed() {
    // The second server would accept the call (and see its signed headers) if it were followed.
    let (elsewhere, elsewhere_requests) = raw_server(success()).await;
    for status in [
        "302 Found",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = format!("http://{elsewhere}/steal");
        let (endpoint, requests) = raw_server(format!(
            "HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ))
        .await;
        let client = client_of(endpoint);
        let err = client
            .create_mnp_approval(&submit(1), None)
            .await
            .unwrap_err();
        let code = &status[..3];
        assert_eq!(
            err.error,
            ApiError::Redirect {
                status: code.parse().unwrap()
            }
        );
        assert_eq!((err.class, err.attempts), (Class::Failed, 1), "{status}");
        assert_eq!(err.error.code(), format!("HTTP{code}"));
        let shown = format!("{err} {err:?}");
        assert!(
            shown.contains(&format!(
                "the endpoint answered HTTP {code}, a redirect; the API never redirects"
            )),
            "{shown}"
        );
        for secret in [location.as_str(), "/steal", SECRET_KEY, TOKEN, "TC3-HMAC"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert_eq!(requests.load(Ordering::SeqCst), 1, "{status}: one attempt");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        elsewhere_requests.load(Ordering::SeqCst),
        0,
        "the redirect target got no request"
    );
}

#[tokio::test]
async fn an_unsendable_region_is_refused_before_any_attempt() {
    let (endpoint, requests) = raw_server(success()).await;
    let client = client_of(endpoint);
    let started = Instant::now();
    let err = client
        .create_mnp_approval(&submit(1), Some("ap-guangzhou\n"))
        .await
        .unwrap_err();
    assert_eq!((err.class, err.attempts), (Class::Failed, 0));
    assert_eq!(err.error.code(), "UnsendableHeader");
    assert!(
        err.to_string()
            .starts_with(r#"cannot send the X-TC-Region header: "ap-guangzhou\n""#),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_millis(200), "no backoff");
    assert_eq!(requests.load(Ordering::SeqCst), 0);
    // The client is fine for sendable calls.
    let reply = client.create_mnp_approval(&submit(1), None).await.unwrap();
    assert_eq!(reply.attempts, 1);
}

/// A loopback address where nothing listens: connections are refused.
fn refusing_endpoint() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_refused_endpoint_trips_the_breaker_after_five_attempts() {
    let client = client_of(refusing_endpoint());
    let started = Instant::now();
    let virtual_start = tokio::time::Instant::now();
    let mut errors = Vec::new();
    for version in 1..=30 {
        errors.push(
            client
                .create_mnp_approval(&submit(version), None)
                .await
                .unwrap_err(),
        );
    }
    let (elapsed, virtual_elapsed) = (started.elapsed(), virtual_start.elapsed());
    let attempts: u32 = errors.iter().map(|e| e.attempts).sum();
    assert_eq!(attempts, 5, "{errors:#?}");
    // The first call made the five attempts (its retries) and reports its connection error.
    let first = &errors[0];
    assert_eq!(
        (first.error.code().as_str(), first.class, first.attempts),
        ("ConnectionError", Class::Transient, 5)
    );
    for (i, err) in errors.iter().enumerate().skip(1) {
        assert_eq!((err.class, err.attempts), (Class::Failed, 0), "call {i}");
        match &err.error {
            ApiError::NotSent(reason) => assert!(
                reason.starts_with("endpoint unreachable: the last 5 attempts could not connect"),
                "call {i}: {reason}"
            ),
            other => panic!("call {i}: {other:?}"),
        }
        assert!(!err.to_string().contains(SECRET_KEY));
    }
    eprintln!("30 calls: {elapsed:?} real, {virtual_elapsed:?} virtual");
    // Backoffs are virtual; only the rate limiter's spacing of the five attempts is real.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn the_breaker_counts_across_clones_and_concurrent_calls() {
    let client = client_of(refusing_endpoint());
    let calls = (1..=40).map(|version| {
        let client = client.clone();
        async move { client.create_mnp_approval(&submit(version), None).await }
    });
    let started = Instant::now();
    let results = futures::future::join_all(calls).await;
    eprintln!("40 concurrent calls: {:?}", started.elapsed());
    let attempts: u32 = results
        .iter()
        .map(|r| r.as_ref().unwrap_err().attempts)
        .sum();
    // Attempts already waiting to be sent when the fifth failure arrived may still go out, but
    // never each call's five.
    assert!((5..40).contains(&attempts), "{attempts} attempts");
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().unwrap_err().error.code() == "NotSent")
    );
}

#[tokio::test]
async fn timeouts_do_not_trip_the_breaker() {
    // A server that accepts and never answers: the host is there, only slow.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = ClientConfig::new(Endpoint::parse(&format!("http://{addr}")).unwrap());
    config.timeout = Duration::from_millis(100);
    config.retry = mnpsync::tcmpp::RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
    };
    let client = Client::new(Credentials::new("AKIDwire", SECRET_KEY, "test"), config).unwrap();
    for version in 1..=2 {
        let err = client
            .create_mnp_approval(&submit(version), None)
            .await
            .unwrap_err();
        assert_eq!(
            (err.error.code().as_str(), err.class, err.attempts),
            ("Timeout", Class::Transient, 4),
            "8 timeouts in a row are not \"endpoint unreachable\""
        );
    }
}
