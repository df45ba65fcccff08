//! The TCMPP API client: typed calls, signing, per-action rate limiting (governor) and
//! per-request timeouts. Retries are carried out by [`with_retries`] (in [`super::retry`]),
//! endpoints are checked in [`super::endpoint`] and replies are read in [`super::response`].
//!
//! It owns the wire and nothing else: it never decides outcomes or touches records.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::tcmpp::credentials::Credentials;
use crate::tcmpp::error::{ApiError, Class};
use crate::tcmpp::model::{
    API_VERSION, ApplyAction, ApprovalRecord, CREATE_MNP_APPROVAL, CreateMnpApprovalData,
    CreateMnpApprovalRequest, DESCRIBE_MNP_APPROVAL_LIST, DescribeMnpApprovalListData,
    DescribeMnpApprovalListRequest, PROCESS_MNP_APPROVAL, ProcessMnpApprovalData,
    ProcessMnpApprovalRequest,
};
use crate::tcmpp::response::transport_error;
use crate::tcmpp::sign;

// Defined in the modules named above; re-exported so `tcmpp::client::…` paths keep working.
pub use crate::tcmpp::endpoint::{DEFAULT_ENDPOINT, Endpoint, EndpointError};
pub use crate::tcmpp::response::{httpdate_to_unix, parse_body};
pub use crate::tcmpp::retry::{
    Attempt, CallError, Decision, Reply, RetryPolicy, decide, with_retries,
};

/// Page size used to list approvals (the API's maximum).
pub const PAGE_SIZE: i64 = 100;
/// A bound on pages fetched for one platform, so a misbehaving server cannot loop us forever.
const MAX_PAGES: i64 = 10_000;

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

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
