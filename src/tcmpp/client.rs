//! The TCMPP API client: typed calls, signing, per-action rate limiting (governor), per-request
//! timeouts, and retries driven by the error-class table.
//!
//! It owns the wire and nothing else: it never decides outcomes or touches records. Retry
//! decisions are the pure function [`decide`]; the loop in [`Client::call`] only carries them out.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::tcmpp::credentials::Credentials;
use crate::tcmpp::error::{ApiError, Class, classify};
use crate::tcmpp::model::{
    API_VERSION, ApplyAction, ApprovalRecord, CREATE_MNP_APPROVAL, CreateMnpApprovalData,
    CreateMnpApprovalRequest, DESCRIBE_MNP_APPROVAL_LIST, DescribeMnpApprovalListData,
    DescribeMnpApprovalListRequest, Envelope, PROCESS_MNP_APPROVAL, ProcessMnpApprovalData,
    ProcessMnpApprovalRequest,
};
use crate::tcmpp::sign;

/// The public endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://tcmpp.tencentcloudapi.com";
/// Page size used to list approvals (the API's maximum).
pub const PAGE_SIZE: i64 = 100;
/// A bound on pages fetched for one platform, so a misbehaving server cannot loop us forever.
const MAX_PAGES: i64 = 10_000;

/// Exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first included.
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the wait before retry number `retry` (1-based): `min(cap, base·2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// A full-jitter wait before retry number `retry`: uniform in `[0, ceiling(retry)]`.
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(retry).as_millis() as u64;
        Duration::from_millis(rng.random_range(0..=ceiling))
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after the policy's backoff.
    Backoff,
    /// Try again at once with the clock offset learned from the response.
    FixClock,
    /// Stop and report the error.
    GiveUp,
}

/// The retry decision: pure, from the error's class, the attempts made so far and whether the
/// clock was already corrected once in this call.
pub fn decide(
    class: Class,
    attempts_made: u32,
    clock_fixed: bool,
    policy: &RetryPolicy,
) -> Decision {
    match class {
        Class::Transient if attempts_made < policy.attempts => Decision::Backoff,
        Class::Clock if !clock_fixed => Decision::FixClock,
        _ => Decision::GiveUp,
    }
}

/// What one attempt came to.
pub enum Attempt<T> {
    /// Sent: the result and the server's `Date` (unix seconds), if any.
    Sent(Result<(T, String), ApiError>, Option<i64>),
    /// Not sent: the gate withdrew the call.
    Withdrawn(String),
}

/// Carries out the retry decisions: calls `attempt` until it succeeds or [`decide`] gives up,
/// sleeping the policy's backoff between transient failures and calling `fix_clock` with the
/// server's time before the one clock retry.
///
/// # Errors
/// The last attempt's error, its class and the attempts made.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    action: &str,
    apply_action: Option<ApplyAction>,
    mut attempt: F,
    mut fix_clock: impl FnMut(i64),
) -> Result<Reply<T>, CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut attempts = 0;
    let mut clock_fixed = false;
    loop {
        let (result, server_date) = match attempt().await {
            Attempt::Sent(result, server_date) => (result, server_date),
            Attempt::Withdrawn(reason) => {
                return Err(CallError {
                    error: ApiError::NotSent(reason),
                    class: Class::Failed,
                    attempts,
                });
            }
        };
        attempts += 1;
        let error = match result {
            Ok((data, request_id)) => {
                return Ok(Reply {
                    data,
                    request_id,
                    attempts,
                });
            }
            Err(error) => error,
        };
        let class = classify(&error, apply_action);
        let give_up = |error| {
            Err(CallError {
                error,
                class,
                attempts,
            })
        };
        match decide(class, attempts, clock_fixed, policy) {
            Decision::Backoff => {
                let wait = policy.backoff(attempts, &mut rand::rng());
                tracing::debug!(action, code = %error.code(), attempts, ?wait, "retrying");
                tokio::time::sleep(wait).await;
            }
            Decision::FixClock => match server_date {
                Some(server) => {
                    clock_fixed = true;
                    fix_clock(server);
                }
                None => return give_up(error),
            },
            Decision::GiveUp => return give_up(error),
        }
    }
}

/// Why an endpoint is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("endpoint {0:?} is not a valid URL: {1}")]
    Invalid(String, String),
    #[error(
        "endpoint {0} uses plain http to a non-loopback host; credentials and signatures would cross the network unencrypted (use https, or http only to 127.0.0.1/localhost)"
    )]
    PlainHttp(String),
    #[error("endpoint {0} must use https (or http to a loopback host)")]
    Scheme(String),
    #[error(
        "endpoint {0} must be a bare origin like https://tcmpp.tencentcloudapi.com (no path, query or credentials)"
    )]
    NotOrigin(String),
}

/// A checked endpoint: its URL and the `Host` header value that is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: reqwest::Url,
    pub host: String,
    pub loopback: bool,
}

impl Endpoint {
    /// Parses and checks an endpoint URL.
    ///
    /// # Errors
    /// Not a URL; a scheme other than https (or http to loopback); a path, query or user info.
    pub fn parse(text: &str) -> Result<Endpoint, EndpointError> {
        let url = reqwest::Url::parse(text.trim())
            .map_err(|e| EndpointError::Invalid(text.to_string(), e.to_string()))?;
        let host_str = url
            .host_str()
            .ok_or_else(|| EndpointError::Invalid(text.to_string(), "no host".into()))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(EndpointError::PlainHttp(text.to_string())),
            _ => return Err(EndpointError::Scheme(text.to_string())),
        }
        if (url.path() != "/" && !url.path().is_empty())
            || url.query().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(EndpointError::NotOrigin(text.to_string()));
        }
        let host = match url.port() {
            Some(port) => format!("{host_str}:{port}"),
            None => host_str.to_string(),
        };
        Ok(Endpoint {
            url,
            host,
            loopback,
        })
    }
}

/// Everything a client needs besides credentials.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    /// Default region (`X-TC-Region`), used when a call names none.
    pub region: String,
    pub timeout: Duration,
    /// Requests per second, per action, evenly spaced.
    pub rate_limit: u32,
    pub retry: RetryPolicy,
    /// `X-TC-Language`, when set.
    pub language: Option<String>,
}

impl ClientConfig {
    /// Defaults of DESIGN.md §5 for the given endpoint.
    pub fn new(endpoint: Endpoint) -> Self {
        ClientConfig {
            endpoint,
            region: "ap-guangzhou".to_string(),
            timeout: Duration::from_secs(10),
            rate_limit: 20,
            retry: RetryPolicy::default(),
            language: None,
        }
    }
}

/// A successful call's data with its RequestId and the attempts it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    pub data: T,
    pub request_id: String,
    pub attempts: u32,
}

/// A failed call: the last error, its class, and the attempts made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct CallError {
    pub error: ApiError,
    pub class: Class,
    pub attempts: u32,
}

/// One HTTP exchange, reported to the observer (metrics); never carries secrets.
#[derive(Debug, Clone)]
pub struct RequestEvent<'a> {
    pub action: &'a str,
    /// The error code, `None` on success.
    pub code: Option<&'a str>,
    pub latency: Duration,
}

/// Asked right before each attempt is sent: `Some(reason)` withdraws the call.
pub type Gate<'a> = dyn Fn() -> Option<String> + Send + Sync + 'a;

/// Receives every [`RequestEvent`].
pub type Observer = Arc<dyn Fn(&RequestEvent<'_>) + Send + Sync>;

/// The TCMPP client. Cheap to clone; clones share rate limiters and the clock offset.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    credentials: Credentials,
    config: ClientConfig,
    limiters: Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
    /// Seconds to add to the local clock, learned from a `SignatureExpire` response's `Date`.
    clock_offset: AtomicI64,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.config.endpoint.url.as_str())
            .field("credentials", &self.inner.credentials)
            .finish()
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(String);

impl Client {
    /// A client for `config` signing with `credentials`.
    ///
    /// # Errors
    /// The TLS backend could not be initialised.
    pub fn new(credentials: Credentials, config: ClientConfig) -> Result<Client, BuildError> {
        Client::observed(credentials, config, None)
    }

    /// [`Client::new`], reporting every HTTP exchange to `observer` (metrics).
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn observed(
        credentials: Credentials,
        config: ClientConfig,
        observer: Option<Observer>,
    ) -> Result<Client, BuildError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("mnpsync/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64);
        if config.endpoint.loopback {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| BuildError(e.to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                credentials,
                config,
                limiters: Mutex::new(HashMap::new()),
                clock_offset: AtomicI64::new(0),
                observer,
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The clock correction currently applied, in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.inner.clock_offset.load(Ordering::Relaxed)
    }

    /// `CreateMNPApproval`: submit or cancel the approval request of one version.
    ///
    /// # Errors
    /// The last attempt's error, classified for `request.apply_action`.
    pub async fn create_mnp_approval(
        &self,
        request: &CreateMnpApprovalRequest,
        region: Option<&str>,
    ) -> Result<Reply<CreateMnpApprovalData>, CallError> {
        self.call(
            CREATE_MNP_APPROVAL,
            Some(request.apply_action),
            request,
            region,
            None,
        )
        .await
    }

    /// [`Client::create_mnp_approval`], withdrawn before any attempt for which `gate` returns a
    /// reason (checked after the rate limiter's wait, right before sending).
    ///
    /// # Errors
    /// As [`Client::create_mnp_approval`]; [`ApiError::NotSent`] when withdrawn.
    pub async fn create_mnp_approval_gated(
        &self,
        request: &CreateMnpApprovalRequest,
        region: Option<&str>,
        gate: &Gate<'_>,
    ) -> Result<Reply<CreateMnpApprovalData>, CallError> {
        self.call(
            CREATE_MNP_APPROVAL,
            Some(request.apply_action),
            request,
            region,
            Some(gate),
        )
        .await
    }

    /// One page of `DescribeMNPApprovalList`.
    ///
    /// # Errors
    /// The last attempt's error.
    pub async fn describe_mnp_approval_list(
        &self,
        request: &DescribeMnpApprovalListRequest,
        region: Option<&str>,
    ) -> Result<Reply<DescribeMnpApprovalListData>, CallError> {
        self.call(DESCRIBE_MNP_APPROVAL_LIST, None, request, region, None)
            .await
    }

    /// Every approval record of a platform (all pages), optionally only those with the given
    /// status codes.
    ///
    /// # Errors
    /// The first page that failed after retries.
    pub async fn list_approvals(
        &self,
        platform_id: &str,
        statuses: Option<Vec<i64>>,
        region: Option<&str>,
    ) -> Result<Vec<ApprovalRecord>, CallError> {
        let mut records = Vec::new();
        let mut offset = 0;
        for _ in 0..MAX_PAGES {
            let request = DescribeMnpApprovalListRequest {
                offset,
                limit: PAGE_SIZE,
                platform_id: platform_id.to_string(),
                approval_status_list: statuses.clone(),
                keyword: None,
                application_id: None,
                team_id: None,
            };
            let page = self.describe_mnp_approval_list(&request, region).await?;
            let got = page.data.data_list.len() as i64;
            records.extend(page.data.data_list);
            offset += got;
            if got == 0 || offset >= page.data.total_count {
                break;
            }
        }
        Ok(records)
    }

    /// `ProcessMNPApproval` (the approver's side; used by the demo and tests).
    ///
    /// # Errors
    /// The last attempt's error.
    pub async fn process_mnp_approval(
        &self,
        request: &ProcessMnpApprovalRequest,
        region: Option<&str>,
    ) -> Result<Reply<ProcessMnpApprovalData>, CallError> {
        self.call(PROCESS_MNP_APPROVAL, None, request, region, None)
            .await
    }

    fn limiter(&self, action: &str) -> Arc<DefaultDirectRateLimiter> {
        let mut limiters = self
            .inner
            .limiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        limiters
            .entry(action.to_string())
            .or_insert_with(|| Arc::new(RateLimiter::direct(quota(self.inner.config.rate_limit))))
            .clone()
    }

    /// Makes one API call with rate limiting, timeouts and retries.
    ///
    /// # Errors
    /// The last attempt's error with its class and the attempts made.
    pub async fn call<Req: Serialize, T: DeserializeOwned>(
        &self,
        action: &str,
        apply_action: Option<ApplyAction>,
        request: &Req,
        region: Option<&str>,
        gate: Option<&Gate<'_>>,
    ) -> Result<Reply<T>, CallError> {
        let payload = serde_json::to_vec(request).map_err(|e| CallError {
            error: ApiError::Decode {
                message: format!("cannot encode request: {e}"),
                request_id: None,
            },
            class: Class::Failed,
            attempts: 0,
        })?;
        let limiter = self.limiter(action);
        let payload = &payload;
        let attempt = || async {
            limiter.until_ready().await;
            if let Some(reason) = gate.and_then(|gate| gate()) {
                return Attempt::Withdrawn(reason);
            }
            let (result, server_date) = self.send_once::<T>(action, payload, region).await;
            Attempt::Sent(result, server_date)
        };
        let fix_clock = |server: i64| {
            let offset = server - unix_now();
            self.inner.clock_offset.store(offset, Ordering::Relaxed);
            tracing::warn!(
                offset_secs = offset,
                "local clock differs from the server's; correcting and retrying once"
            );
        };
        with_retries(
            &self.inner.config.retry,
            action,
            apply_action,
            attempt,
            fix_clock,
        )
        .await
    }

    /// One signed HTTP exchange. Returns the result and the server's `Date` (unix seconds).
    async fn send_once<T: DeserializeOwned>(
        &self,
        action: &str,
        payload: &[u8],
        region: Option<&str>,
    ) -> (Result<(T, String), ApiError>, Option<i64>) {
        let inner = &self.inner;
        let config = &inner.config;
        let timestamp = unix_now() + inner.clock_offset.load(Ordering::Relaxed);
        let authorization = sign::authorization(
            &inner.credentials.secret_id,
            inner.credentials.secret_key.expose(),
            &sign::Request {
                host: &config.endpoint.host,
                content_type: sign::CONTENT_TYPE,
                payload,
                timestamp,
            },
        );
        let mut builder = inner
            .http
            .post(config.endpoint.url.clone())
            .header(reqwest::header::HOST, &config.endpoint.host)
            .header(reqwest::header::CONTENT_TYPE, sign::CONTENT_TYPE)
            .header("X-TC-Action", action)
            .header("X-TC-Version", API_VERSION)
            .header("X-TC-Region", region.unwrap_or(&config.region))
            .header("X-TC-Timestamp", timestamp.to_string())
            .header(reqwest::header::AUTHORIZATION, authorization)
            .body(payload.to_vec());
        if let Some(token) = &inner.credentials.token {
            builder = builder.header("X-TC-Token", token.expose());
        }
        if let Some(language) = &config.language {
            builder = builder.header("X-TC-Language", language);
        }
        let started = Instant::now();
        let (result, date) = match builder.send().await {
            Err(e) => (Err(transport_error(&e, config.timeout)), None),
            Ok(response) => {
                let status = response.status().as_u16();
                let date = response
                    .headers()
                    .get(reqwest::header::DATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(httpdate_to_unix);
                match response.bytes().await {
                    Err(e) => (Err(transport_error(&e, config.timeout)), date),
                    Ok(body) => (parse_body::<T>(status, &body), date),
                }
            }
        };
        if let Some(observer) = &inner.observer {
            let code = result.as_ref().err().map(ApiError::code);
            observer(&RequestEvent {
                action,
                code: code.as_deref(),
                latency: started.elapsed(),
            });
        }
        (result, date)
    }
}

fn quota(rate_limit: u32) -> Quota {
    // Evenly spaced, no bursts. 3% headroom keeps arrivals under the server's "N in any one
    // second" window when the network delays one request and not the next.
    let per_second = rate_limit.max(1) as f64;
    let period = Duration::from_secs_f64(1.03 / per_second);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN)
}

fn transport_error(error: &reqwest::Error, timeout: Duration) -> ApiError {
    if error.is_timeout() {
        ApiError::Timeout(timeout)
    } else {
        // reqwest's Display names the URL but never headers, so no secret can leak here.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ApiError::Connection(message)
    }
}

/// Interprets a response body: TCMPP's success and error shapes, or a protocol failure.
pub fn parse_body<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<(T, String), ApiError> {
    let envelope: Result<Envelope<serde_json::Value>, _> = serde_json::from_slice(body);
    let response = match envelope {
        Ok(envelope) => envelope.response,
        Err(e) if (200..300).contains(&status) => {
            return Err(ApiError::Decode {
                message: format!("{e} (body starts {:?})", snippet(body)),
                request_id: None,
            });
        }
        Err(_) => {
            return Err(ApiError::Http {
                status,
                request_id: None,
            });
        }
    };
    let request_id = response.request_id;
    if let Some(error) = response.error {
        return Err(ApiError::Service {
            code: error.code,
            message: error.message,
            request_id,
        });
    }
    if !(200..300).contains(&status) {
        return Err(ApiError::Http {
            status,
            request_id: Some(request_id),
        });
    }
    let Some(data) = response.data else {
        return Err(ApiError::Decode {
            message: "response has neither Data nor Error".to_string(),
            request_id: Some(request_id),
        });
    };
    match serde_json::from_value(data) {
        Ok(data) => Ok((data, request_id)),
        Err(e) => Err(ApiError::Decode {
            message: format!("unexpected Data: {e}"),
            request_id: Some(request_id),
        }),
    }
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) to unix seconds.
pub fn httpdate_to_unix(value: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value.trim(), &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_ceiling_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ceilings: Vec<u64> = (1..=7).map(|r| p.ceiling(r).as_millis() as u64).collect();
        assert_eq!(ceilings, vec![250, 500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(p.ceiling(40), Duration::from_secs(8));
    }

    #[test]
    fn backoff_is_full_jitter_within_the_ceiling() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let waits: Vec<Duration> = (0..200).map(|_| p.backoff(3, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(1000)));
        // Full jitter spreads over the whole range, not just near the ceiling.
        assert!(waits.iter().any(|w| *w < Duration::from_millis(250)));
        assert!(waits.iter().any(|w| *w > Duration::from_millis(750)));
    }

    #[test]
    fn retry_decisions() {
        let p = RetryPolicy::default();
        assert_eq!(decide(Class::Transient, 1, false, &p), Decision::Backoff);
        assert_eq!(decide(Class::Transient, 4, false, &p), Decision::Backoff);
        assert_eq!(decide(Class::Transient, 5, false, &p), Decision::GiveUp);
        assert_eq!(decide(Class::Clock, 1, false, &p), Decision::FixClock);
        assert_eq!(decide(Class::Clock, 2, true, &p), Decision::GiveUp);
        for class in [
            Class::AlreadyInPlace,
            Class::AlreadyCancelled,
            Class::Blocked,
            Class::RejectedInput,
            Class::Auth,
            Class::Failed,
        ] {
            assert_eq!(decide(class, 1, false, &p), Decision::GiveUp, "{class:?}");
        }
    }

    fn service_error(code: &str) -> ApiError {
        ApiError::Service {
            code: code.into(),
            message: "m".into(),
            request_id: "r".into(),
        }
    }

    /// Runs `with_retries` over scripted attempt results under paused time; returns the result,
    /// how many attempts were made and how much (virtual) time passed.
    async fn scripted(
        script: Vec<Result<(bool, String), ApiError>>,
        apply_action: Option<ApplyAction>,
    ) -> (Result<Reply<bool>, CallError>, usize, Duration, Vec<i64>) {
        let policy = RetryPolicy::default();
        let script = std::sync::Mutex::new(script.into_iter());
        let made = std::sync::atomic::AtomicUsize::new(0);
        let clocks = std::sync::Mutex::new(Vec::new());
        let started = tokio::time::Instant::now();
        let result = with_retries(
            &policy,
            "CreateMNPApproval",
            apply_action,
            || {
                made.fetch_add(1, Ordering::SeqCst);
                let next = script.lock().unwrap().next().expect("script too short");
                async move { Attempt::Sent(next, Some(1_000)) }
            },
            |server| clocks.lock().unwrap().push(server),
        )
        .await;
        let elapsed = started.elapsed();
        (
            result,
            made.into_inner(),
            elapsed,
            clocks.into_inner().unwrap(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_back_off_within_the_policy_then_succeed() {
        let busy = || Err(service_error("RequestLimitExceeded"));
        let script = vec![busy(), busy(), busy(), Ok((true, "r9".to_string()))];
        let (result, made, elapsed, clocks) = scripted(script, Some(ApplyAction::Submit)).await;
        let reply = result.unwrap();
        assert_eq!(
            (reply.attempts, made, reply.request_id.as_str()),
            (4, 4, "r9")
        );
        // Full jitter: three waits, each at most 250, 500 and 1000 ms.
        assert!(elapsed <= Duration::from_millis(1750), "{elapsed:?}");
        assert!(clocks.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_give_up_after_five_attempts() {
        let script = (0..5)
            .map(|_| {
                Err(ApiError::Http {
                    status: 503,
                    request_id: None,
                })
            })
            .collect();
        let (result, made, elapsed, _) = scripted(script, Some(ApplyAction::Submit)).await;
        let error = result.unwrap_err();
        assert_eq!(
            (error.attempts, made, error.class),
            (5, 5, Class::Transient)
        );
        assert_eq!(error.error.code(), "HTTP503");
        assert!(
            elapsed <= Duration::from_millis(250 + 500 + 1000 + 2000),
            "{elapsed:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn converging_and_final_errors_are_not_retried() {
        for (code, action, class) in [
            (
                "FailedOperation.ExistMNPApprovalRecord",
                ApplyAction::Submit,
                Class::AlreadyInPlace,
            ),
            (
                "InvalidParameterValue.MNPApprovalStatusError",
                ApplyAction::Cancel,
                Class::AlreadyCancelled,
            ),
            (
                "AuthFailure.SignatureFailure",
                ApplyAction::Submit,
                Class::Auth,
            ),
            (
                "FailedOperation.PackageAlreadyExpired",
                ApplyAction::Submit,
                Class::Blocked,
            ),
            ("FailedOperation", ApplyAction::Submit, Class::Failed),
        ] {
            let (result, made, elapsed, _) =
                scripted(vec![Err(service_error(code))], Some(action)).await;
            let error = result.unwrap_err();
            assert_eq!((error.class, error.attempts, made), (class, 1, 1), "{code}");
            assert_eq!(elapsed, Duration::ZERO, "{code}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn signature_expire_fixes_the_clock_once() {
        let expired = || Err(service_error("AuthFailure.SignatureExpire"));
        let (result, made, elapsed, clocks) = scripted(
            vec![expired(), Ok((true, "r".into()))],
            Some(ApplyAction::Submit),
        )
        .await;
        assert_eq!(result.unwrap().attempts, 2);
        assert_eq!((made, clocks), (2, vec![1_000]));
        assert_eq!(elapsed, Duration::ZERO, "the clock retry is immediate");
        let (result, made, _, clocks) =
            scripted(vec![expired(), expired()], Some(ApplyAction::Submit)).await;
        assert_eq!(result.unwrap_err().class, Class::Clock);
        assert_eq!((made, clocks.len()), (2, 1), "retried once only");
    }

    #[test]
    fn endpoints_are_checked() {
        let e = Endpoint::parse("https://tcmpp.tencentcloudapi.com").unwrap();
        assert_eq!(e.host, "tcmpp.tencentcloudapi.com");
        assert!(!e.loopback);
        let e = Endpoint::parse("http://127.0.0.1:9000/").unwrap();
        assert_eq!(e.host, "127.0.0.1:9000");
        assert!(e.loopback);
        assert!(Endpoint::parse("http://localhost:1").unwrap().loopback);
        assert_eq!(
            Endpoint::parse("http://[::1]:8080").unwrap().host,
            "[::1]:8080"
        );
        assert_eq!(
            Endpoint::parse("https://h.example:8443").unwrap().host,
            "h.example:8443"
        );
        assert!(matches!(
            Endpoint::parse("http://tcmpp.tencentcloudapi.com"),
            Err(EndpointError::PlainHttp(_))
        ));
        assert!(matches!(
            Endpoint::parse("ftp://127.0.0.1"),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("https://h/path"),
            Err(EndpointError::NotOrigin(_))
        ));
        assert!(matches!(
            Endpoint::parse("not a url"),
            Err(EndpointError::Invalid(..))
        ));
    }

    #[test]
    fn bodies_are_parsed_or_reported() {
        let ok = parse_body::<CreateMnpApprovalData>(
            200,
            br#"{"Response":{"Data":{"Result":true},"RequestId":"r1"}}"#,
        );
        assert_eq!(
            ok,
            Ok((CreateMnpApprovalData { result: true }, "r1".to_string()))
        );
        let err = parse_body::<CreateMnpApprovalData>(
            200,
            br#"{"Response":{"Error":{"Code":"FailedOperation.ExistMNPApprovalRecord","Message":"m"},"RequestId":"r2"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "FailedOperation.ExistMNPApprovalRecord");
        assert_eq!(err.request_id(), Some("r2"));
        let garbage = parse_body::<CreateMnpApprovalData>(200, b"<html>oops</html>").unwrap_err();
        assert_eq!(garbage.code(), "UnparseableResponse");
        assert!(garbage.to_string().contains("<html>oops"), "{garbage}");
        let empty = parse_body::<CreateMnpApprovalData>(200, br#"{"Response":{"RequestId":"r3"}}"#)
            .unwrap_err();
        assert_eq!(empty.code(), "UnparseableResponse");
        assert_eq!(empty.request_id(), Some("r3"));
        let wrong = parse_body::<CreateMnpApprovalData>(
            200,
            br#"{"Response":{"Data":{"Result":"yes"},"RequestId":"r4"}}"#,
        )
        .unwrap_err();
        assert_eq!(wrong.code(), "UnparseableResponse");
        let unavailable =
            parse_body::<CreateMnpApprovalData>(503, b"Service Unavailable").unwrap_err();
        assert_eq!(
            unavailable,
            ApiError::Http {
                status: 503,
                request_id: None
            }
        );
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            httpdate_to_unix("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(httpdate_to_unix("garbage"), None);
    }
}
