//! Local receivers on loopback, port 0: [`Receiver`] answers from a script and keeps every
//! request; [`Silent`] accepts connections and never answers.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query, exactly as sent.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub at: tokio::time::Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_string())
    }

    /// The decoded query parameters, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    /// Answer with the request's own target as the body (a service echoing the URL).
    pub echo_target: bool,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            location: None,
            echo_target: false,
        }
    }

    pub fn ok(body: &str) -> Reply {
        Reply::new(200, body)
    }
}

struct Script {
    replies: VecDeque<Reply>,
    then: Reply,
    received: Vec<Received>,
}

/// A scripted HTTP server; stops when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    _stop: oneshot::Sender<()>,
}

impl Receiver {
    /// Answers with `replies` in order, then with `then` for ever.
    pub async fn start(replies: Vec<Reply>, then: Reply) -> Receiver {
        let script = Arc::new(Mutex::new(Script {
            replies: replies.into(),
            then,
            received: Vec::new(),
        }));
        let shared = script.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let script = shared.clone();
            async move { answer(script, request).await }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Receiver {
            addr,
            script,
            _stop: stop,
        }
    }

    /// Always answers `reply`.
    pub async fn always(reply: Reply) -> Receiver {
        Receiver::start(Vec::new(), reply).await
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }
}

async fn answer(script: Arc<Mutex<Script>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default().to_vec();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let reply = {
        let mut script = script.lock().unwrap();
        script.received.push(Received {
            method: parts.method.to_string(),
            target: target.clone(),
            headers: parts.headers,
            body,
            at: tokio::time::Instant::now(),
        });
        let then = script.then.clone();
        script.replies.pop_front().unwrap_or(then)
    };
    let status = StatusCode::from_u16(reply.status).unwrap();
    let body = if reply.echo_target {
        format!("{}: {target}", reply.body)
    } else {
        reply.body
    };
    match reply.location {
        Some(location) => (status, [("location", location)], body).into_response(),
        None => (status, body).into_response(),
    }
}

/// Accepts connections and never answers (nor closes them) until dropped.
pub struct Silent {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    pub async fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Silent { addr, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}
