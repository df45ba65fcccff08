//! The simulator's HTTP face: routes, per-request verification (action, signature, timestamp,
//! version, content type), the per-action rate limit, fault injection, latency, the call log,
//! the `Date` header, and the listener that can drop a connection on purpose.
//!
//! Owns the order of checks and what is recorded. It must not implement approval rules (`state`)
//! or parameter schemas (`params`), and must never panic on request data: every request to `/`
//! gets a well-formed reply (or an injected fault).
//!
//! Order of checks for `POST /` (anything else → plain 404, not recorded):
//! 1. `X-TC-Action` absent → `MissingParameter`; unknown → `InvalidAction`.
//! 2. `Authorization` absent or not TC3-shaped → `AuthFailure.SignatureFailure`.
//! 3. `X-TC-Timestamp` absent → `MissingParameter`; not an integer → `InvalidParameter`.
//! 4. more than 300 s from the simulator clock → `AuthFailure.SignatureExpire`.
//! 5. secret id not the configured one → `AuthFailure.SecretIdNotFound`.
//! 6. scope date ≠ the timestamp's UTC date, service ≠ `tcmpp`, `SignedHeaders` without
//!    `content-type` and `host` or naming a header not sent, or signature mismatch →
//!    `AuthFailure.SignatureFailure`. The signature covers the signed headers as received
//!    (lowercased and trimmed, as TC3 requires) and the body bytes (or the string
//!    `UNSIGNED-PAYLOAD` when `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is sent, as the SDKs do).
//!    `X-TC-Token` is accepted with any value.
//! 7. rate limit of the action → `RequestLimitExceeded`.
//! 8. `X-TC-Version` absent → `MissingParameter`; not `2024-08-01` → `NoSuchVersion`.
//! 9. `Content-Type` not starting with `application/json` (case-insensitive) or body over 10 MiB →
//!    `InvalidParameter`; then the parameters (see `params`).
//! 10. fault roll; then the approval rules (see `state`); post-commit faults replace the reply.
//!
//! Every call that reaches step 1 is recorded (before the latency) with its outcome code.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HOST};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::serve::{IncomingStream, Listener};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::error::{ApiError, codes};
use super::params::{self, Action, ApiRequest};
use super::state::State;
use super::{Call, Sim, SimConfig};
use crate::tcmpp::model::{API_VERSION, CreateMnpApprovalData, Envelope, ProcessMnpApprovalData};
use crate::tcmpp::sign;

/// Largest accepted request body, like the real service's POST limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Largest accepted distance between `X-TC-Timestamp` and the simulator clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// The sliding window of the rate limit.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Body of an injected HTTP 503: deliberately not JSON, like a gateway's error page.
const UNAVAILABLE_BODY: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";

/// Everything a [`Sim`] shares between its clones.
pub(super) struct Shared {
    pub(super) config: SimConfig,
    pub(super) state: Mutex<State>,
    pub(super) calls: Mutex<Vec<Call>>,
    limits: Mutex<HashMap<Action, RateWindow>>,
    rngs: Mutex<Rngs>,
    /// Test hook: when set, the rate limiter sees this instant instead of the time.
    #[cfg(test)]
    pub(super) frozen_instant: Mutex<Option<Instant>>,
}

/// Separate streams so that latency and request ids never shift the fault sequence.
struct Rngs {
    faults: StdRng,
    latency: StdRng,
    ids: StdRng,
}

impl Rngs {
    fn new(seed: Option<u64>) -> Rngs {
        let make = |salt: u64| match seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ salt),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Rngs {
            faults: make(0),
            latency: make(0x6c61_7465_6e63_7921),
            ids: make(0x7265_7175_6573_7421),
        }
    }
}

/// Locks a mutex, ignoring poisoning: the guarded data stays consistent because no code path
/// panics while holding a lock.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(super) fn new(config: SimConfig, now: i64) -> Shared {
        Shared {
            state: Mutex::new(State::new(config.fixture.clone(), now)),
            calls: Mutex::new(Vec::new()),
            limits: Mutex::new(HashMap::new()),
            rngs: Mutex::new(Rngs::new(config.seed)),
            #[cfg(test)]
            frozen_instant: Mutex::new(None),
            config,
        }
    }
}

/// Arrival times of the admitted requests of one action in the last second (the sliding
/// window of the rate limit).
#[derive(Debug, Default, Clone)]
pub struct RateWindow {
    arrivals: VecDeque<Instant>,
}

impl RateWindow {
    /// Admits an arrival at `now` when fewer than `limit` admitted arrivals lie within the
    /// window before it (`now - t < 1 s`), and remembers it; refused arrivals are not counted.
    /// `now` must not go backwards between calls.
    pub fn admit(&mut self, now: Instant, limit: u32) -> bool {
        while let Some(&oldest) = self.arrivals.front() {
            if now.saturating_duration_since(oldest) >= RATE_WINDOW {
                self.arrivals.pop_front();
            } else {
                break;
            }
        }
        if self.arrivals.len() < usize::try_from(limit).unwrap_or(usize::MAX) {
            self.arrivals.push_back(now);
            true
        } else {
            false
        }
    }
}

/// An injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An `InternalError` reply (HTTP 200).
    InternalError,
    /// HTTP 503 with a non-JSON body.
    Unavailable,
    /// The connection is closed without any response.
    Dropped,
}

impl Fault {
    /// The code recorded in the call log.
    pub fn code(self) -> &'static str {
        match self {
            Fault::InternalError => codes::INTERNAL_ERROR,
            Fault::Unavailable => codes::FAULT_HTTP_503,
            Fault::Dropped => codes::FAULT_CONNECTION_DROPPED,
        }
    }
}

/// What to send back for a request, decided before the latency is applied.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Reply {
    /// HTTP 200 with this JSON body.
    Json(String),
    /// HTTP 503 with a non-JSON body.
    Unavailable,
    /// No response; the connection is closed.
    Drop,
}

/// A reply and how long to wait before sending it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Decision {
    pub(super) reply: Reply,
    pub(super) delay: Duration,
}

enum Answer {
    Data(Value),
    Error(ApiError),
    Fault(Fault),
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for a unix time.
pub fn http_date(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&format)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".to_string())
}

fn utc_datetime(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {:02}:{:02}:{:02}",
        sign::scope_date(unix),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Sim {
    /// The simulator clock: system time plus [`SimConfig::clock_skew_secs`], unix seconds.
    pub fn now_unix(&self) -> i64 {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        now.saturating_add(self.inner.config.clock_skew_secs)
    }

    fn now_instant(&self) -> Instant {
        #[cfg(test)]
        if let Some(frozen) = *lock(&self.inner.frozen_instant) {
            return frozen;
        }
        Instant::now()
    }

    fn request_id(&self) -> String {
        let bytes: [u8; 16] = lock(&self.inner.rngs).ids.random();
        let hex = hex::encode(bytes);
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    fn latency(&self) -> Duration {
        let Some((a, b)) = self.inner.config.latency_ms else {
            return Duration::ZERO;
        };
        let (min, max) = (a.min(b), a.max(b));
        let ms = if min == max {
            min
        } else {
            lock(&self.inner.rngs).latency.random_range(min..=max)
        };
        Duration::from_millis(ms)
    }

    /// The fault to inject, if any, and whether it strikes after the state change.
    fn roll_fault(&self) -> Option<(Fault, bool)> {
        let rate = self.inner.config.fault_rate;
        if rate.is_nan() || rate <= 0.0 {
            return None;
        }
        let mut rngs = lock(&self.inner.rngs);
        if rngs.faults.random::<f64>() >= rate {
            return None;
        }
        let fault = match rngs.faults.random_range(0..3u8) {
            0 => Fault::InternalError,
            1 => Fault::Unavailable,
            _ => Fault::Dropped,
        };
        let post_commit = self.inner.config.fault_after_commit && rngs.faults.random::<bool>();
        Some((fault, post_commit))
    }

    fn admit(&self, action: Action) -> Result<(), ApiError> {
        let limit = self.inner.config.rate_limit;
        if limit == 0 {
            return Ok(());
        }
        let mut limits = lock(&self.inner.limits);
        let now = self.now_instant();
        if limits.entry(action).or_default().admit(now, limit) {
            Ok(())
        } else {
            Err(ApiError::new(
                codes::REQUEST_LIMIT_EXCEEDED,
                "Your current request times exceeds the limit, please try again later.",
            ))
        }
    }

    fn verify_signature(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<(), ApiError> {
        let authorization = header(headers, AUTHORIZATION.as_str())
            .ok_or_else(|| ApiError::signature_failure("the Authorization header is missing"))?;
        let parsed = sign::parse_authorization(authorization).ok_or_else(|| {
            ApiError::signature_failure("the Authorization header is not a TC3-HMAC-SHA256 one")
        })?;
        let timestamp = header(headers, "x-tc-timestamp")
            .ok_or_else(|| ApiError::missing_parameter("Timestamp"))?;
        let timestamp: i64 = timestamp.parse().map_err(|_| {
            ApiError::new(
                codes::INVALID_PARAMETER,
                format!("The parameter `Timestamp` must be an integer, got `{timestamp}`."),
            )
        })?;
        let now = self.now_unix();
        if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
            return Err(ApiError::new(
                codes::SIGNATURE_EXPIRE,
                format!(
                    "Signature expired. Timestamp:{timestamp}; Server date:{} (UTC). The timestamp must be within {MAX_CLOCK_SKEW_SECS} seconds of the server time.",
                    utc_datetime(now)
                ),
            ));
        }
        if parsed.secret_id != self.inner.config.secret_id {
            return Err(ApiError::new(
                codes::SECRET_ID_NOT_FOUND,
                "The SecretId is not found, please ensure that your SecretId is correct.",
            ));
        }
        if parsed.date != sign::scope_date(timestamp) {
            return Err(ApiError::signature_failure(
                "the credential scope date is not the UTC date of X-TC-Timestamp",
            ));
        }
        if parsed.service != sign::SERVICE {
            return Err(ApiError::signature_failure(
                "the credential scope service is not `tcmpp`",
            ));
        }
        let payload: &[u8] = if header(headers, "x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD") {
            b"UNSIGNED-PAYLOAD"
        } else {
            body.unwrap_or_default()
        };
        // Any header set that includes content-type and host, as the service accepts: the SDKs
        // sign `content-type;host`, the API documentation's example adds `x-tc-action`.
        let names: Vec<&str> = parsed.signed_headers.split(';').collect();
        if !names.contains(&"content-type") || !names.contains(&"host") {
            return Err(ApiError::signature_failure(
                "SignedHeaders must include content-type and host",
            ));
        }
        let mut signed = Vec::with_capacity(names.len());
        for name in &names {
            let value = if *name == "host" {
                host
            } else {
                header(headers, name)
            };
            let value = value.ok_or_else(|| {
                ApiError::signature_failure(&format!("the signed header `{name}` is missing"))
            })?;
            signed.push((*name, value));
        }
        let expected =
            sign::signature_over(&self.inner.config.secret_key, &signed, payload, timestamp);
        if sign::signatures_equal(&parsed.signature, &expected) {
            Ok(())
        } else {
            Err(ApiError::signature_failure("the signature does not match"))
        }
    }

    fn run(&self, request: ApiRequest) -> Result<Value, ApiError> {
        let now = self.now_unix();
        let mut state = lock(&self.inner.state);
        let data = match request {
            ApiRequest::Create(req) => {
                state.create(&req, now)?;
                serde_json::to_value(CreateMnpApprovalData { result: true })
            }
            ApiRequest::Describe(req) => serde_json::to_value(state.describe(&req)?),
            ApiRequest::Process(req) => {
                state.process(&req, now)?;
                serde_json::to_value(ProcessMnpApprovalData { result: true })
            }
        };
        data.map_err(|e| ApiError::new(codes::INTERNAL_ERROR, format!("internal error: {e}")))
    }

    fn answer(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Answer, ApiError> {
        let name =
            header(headers, "x-tc-action").ok_or_else(|| ApiError::missing_parameter("Action"))?;
        let action = Action::from_name(name).ok_or_else(|| {
            ApiError::new(
                codes::INVALID_ACTION,
                format!("The action `{name}` does not exist for service `tcmpp`."),
            )
        })?;
        self.verify_signature(headers, host, body)?;
        self.admit(action)?;
        let version = header(headers, "x-tc-version")
            .ok_or_else(|| ApiError::missing_parameter("Version"))?;
        if version != API_VERSION {
            return Err(ApiError::new(
                codes::NO_SUCH_VERSION,
                format!("The requested version `{version}` of service `tcmpp` does not exist."),
            ));
        }
        let content_type = header(headers, CONTENT_TYPE.as_str()).unwrap_or_default();
        if !content_type
            .to_ascii_lowercase()
            .starts_with(sign::CONTENT_TYPE)
        {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!(
                    "The Content-Type `{content_type}` is not supported; use application/json."
                ),
            ));
        }
        let body = body.ok_or_else(|| {
            ApiError::new(
                codes::INVALID_PARAMETER,
                format!("The request body exceeds {MAX_BODY_BYTES} bytes or could not be read."),
            )
        })?;
        let request = params::parse(action, body)?;
        let fault = self.roll_fault();
        if let Some((fault, false)) = fault {
            return Ok(Answer::Fault(fault));
        }
        let result = self.run(request);
        if let Some((fault, true)) = fault {
            return Ok(Answer::Fault(fault));
        }
        Ok(match result {
            Ok(data) => Answer::Data(data),
            Err(e) => Answer::Error(e),
        })
    }

    /// Handles one API request: verifies, acts, records the call and decides the reply.
    /// `host` is the `Host` header (or the URI authority); `body` is `None` when it was too
    /// large or unreadable.
    pub(super) fn decide(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
        body: Option<&[u8]>,
    ) -> Decision {
        let request_id = self.request_id();
        let answer = self
            .answer(headers, host, body)
            .unwrap_or_else(Answer::Error);
        let (code, reply) = match answer {
            Answer::Data(data) => (None, Reply::Json(json(Envelope::data(data, &request_id)))),
            Answer::Error(e) => (
                Some(e.code),
                Reply::Json(json(Envelope::<Value>::error(
                    e.code,
                    e.message,
                    &request_id,
                ))),
            ),
            Answer::Fault(Fault::InternalError) => (
                Some(codes::INTERNAL_ERROR),
                Reply::Json(json(Envelope::<Value>::error(
                    codes::INTERNAL_ERROR,
                    "An internal error has occurred. Retry your request, but if the problem persists, contact us.",
                    &request_id,
                ))),
            ),
            Answer::Fault(f @ Fault::Unavailable) => (Some(f.code()), Reply::Unavailable),
            Answer::Fault(f @ Fault::Dropped) => (Some(f.code()), Reply::Drop),
        };
        let call = Call {
            action: header(headers, "x-tc-action")
                .unwrap_or_default()
                .to_string(),
            region: header(headers, "x-tc-region")
                .unwrap_or_default()
                .to_string(),
            params: body
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
            code: code.map(str::to_string),
            request_id,
        };
        lock(&self.inner.calls).push(call);
        Decision {
            reply,
            delay: self.latency(),
        }
    }

    /// The HTTP application: `POST /` (the API), `GET`/`DELETE /_sim/calls`,
    /// `GET /_sim/approvals`; everything else is a plain 404. Every response carries a `Date`
    /// header from the simulator clock.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", any(api))
            .route("/_sim/calls", get(get_calls).delete(clear_calls))
            .route("/_sim/approvals", get(get_approvals))
            .fallback(not_found)
            .method_not_allowed_fallback(not_found)
            .layer(axum::middleware::map_response_with_state(
                self.clone(),
                add_date,
            ))
            .with_state(self.clone())
    }

    /// Serves [`Sim::router`] on `listener` until `shutdown` completes, then finishes the
    /// requests in flight. Connections go through a wrapper that lets an injected fault close
    /// them without a response.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let app = self
            .router()
            .into_make_service_with_connect_info::<KillSwitch>();
        axum::serve(SimListener { inner: listener }, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

fn json<T: serde::Serialize>(envelope: Envelope<T>) -> String {
    serde_json::to_string(&envelope).unwrap_or_else(|_| {
        r#"{"Response":{"Error":{"Code":"InternalError","Message":"serialisation failed"},"RequestId":""}}"#
            .to_string()
    })
}

async fn api(AxumState(sim): AxumState<Sim>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST {
        return not_found().await;
    }
    let kill = parts
        .extensions
        .get::<ConnectInfo<KillSwitch>>()
        .map(|info| info.0.clone());
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok();
    let host = header(&parts.headers, HOST.as_str())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let decision = sim.decide(&parts.headers, host.as_deref(), body.as_deref());
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    match decision.reply {
        Reply::Json(body) => (
            StatusCode::OK,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response(),
        Reply::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, HeaderValue::from_static("text/html"))],
            UNAVAILABLE_BODY,
        )
            .into_response(),
        Reply::Drop => match kill {
            Some(kill) => {
                // The connection's writes fail from now on, so hyper closes it without sending
                // a byte of this response.
                kill.trigger();
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            // Served without `Sim::serve` (no kill switch): abort the body instead; the client
            // sees an incomplete message.
            None => {
                let stream = futures::stream::once(async {
                    Err::<Bytes, io::Error>(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "simulated dropped connection",
                    ))
                });
                (StatusCode::OK, Body::from_stream(stream)).into_response()
            }
        },
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        "Not Found",
    )
        .into_response()
}

async fn get_calls(AxumState(sim): AxumState<Sim>) -> Response {
    axum::Json(sim.calls()).into_response()
}

async fn clear_calls(AxumState(sim): AxumState<Sim>) -> StatusCode {
    lock(&sim.inner.calls).clear();
    StatusCode::NO_CONTENT
}

async fn get_approvals(AxumState(sim): AxumState<Sim>) -> Response {
    axum::Json(sim.approvals()).into_response()
}

async fn add_date(AxumState(sim): AxumState<Sim>, mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&http_date(sim.now_unix())) {
        response.headers_mut().insert(DATE, value);
    }
    response
}

/// Per-connection switch: once triggered, the connection's writes fail and hyper closes it.
#[derive(Debug, Clone, Default)]
pub struct KillSwitch(Arc<AtomicBool>);

impl KillSwitch {
    fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_triggered(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Connected<IncomingStream<'_, SimListener>> for KillSwitch {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.io().kill.clone()
    }
}

/// A TCP listener whose connections carry a [`KillSwitch`].
pub struct SimListener {
    inner: TcpListener,
}

impl Listener for SimListener {
    type Io = SimStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Small request/response pairs: avoid Nagle + delayed-ACK stalls.
                    let _ = stream.set_nodelay(true);
                    let io = SimStream {
                        inner: stream,
                        kill: KillSwitch::default(),
                    };
                    return (io, addr);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    tracing::error!("simulator accept error: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails every write once its [`KillSwitch`] is triggered.
pub struct SimStream {
    inner: TcpStream,
    kill: KillSwitch,
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by the simulator",
    )
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.kill.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn window_admits_up_to_the_limit_within_one_second() {
        let t0 = Instant::now();
        let mut w = RateWindow::default();
        for i in 0..3 {
            assert!(w.admit(at(t0, i), 3), "arrival {i}");
        }
        assert!(!w.admit(at(t0, 10), 3));
        assert!(!w.admit(at(t0, 999), 3));
        // At exactly 1000 ms after the first arrival, it leaves the window.
        assert!(w.admit(at(t0, 1000), 3));
        assert!(!w.admit(at(t0, 1000), 3));
        assert!(w.admit(at(t0, 1001), 3));
        assert!(w.admit(at(t0, 1002), 3));
        assert!(!w.admit(at(t0, 1002), 3));
        assert!(!w.admit(at(t0, 1999), 3));
        assert!(w.admit(at(t0, 2000), 3));
    }

    #[test]
    fn window_is_sliding_not_fixed() {
        let t0 = Instant::now();
        let mut w = RateWindow::default();
        assert!(w.admit(at(t0, 900), 2));
        assert!(w.admit(at(t0, 1100), 2));
        // A fixed window [1000, 2000) would admit this one; the sliding window does not.
        assert!(!w.admit(at(t0, 1200), 2));
        assert!(w.admit(at(t0, 1900), 2));
    }

    #[test]
    fn refused_arrivals_do_not_extend_the_window() {
        let t0 = Instant::now();
        let mut w = RateWindow::default();
        assert!(w.admit(t0, 1));
        for ms in (100..1000).step_by(100) {
            assert!(!w.admit(at(t0, ms), 1));
        }
        assert!(w.admit(at(t0, 1000), 1));
    }

    #[test]
    fn limit_zero_refuses_in_the_window_itself() {
        // `Sim` treats a limit of 0 as "no limit" before ever asking the window.
        let mut w = RateWindow::default();
        assert!(!w.admit(Instant::now(), 0));
    }

    #[test]
    fn http_dates_are_rfc_7231() {
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc_datetime(784111777), "1994-11-06 08:49:37");
    }
}
