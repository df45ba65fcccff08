//! The API client: typed calls, signing, the request headers, per-(API, action) rate limiting
//! (governor) and per-request timeouts (checked: [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`]). Retries are
//! carried out by [`with_retries`] (in [`super::retry`]), endpoints are checked in
//! [`super::endpoint`], replies are read in [`super::response`] and the circuit breaker's rules
//! live in [`super::breaker`].
//!
//! On the wire it never follows a redirect: signed headers (`Authorization`, `X-TC-Token`, both
//! marked sensitive) go to the configured endpoint only, and a 3xx answer is
//! [`ApiError::Redirect`], not retried. A header value HTTP cannot carry (a region with a newline)
//! is [`ApiError::Unsendable`] before anything is sent, not retried. After
//! [`super::breaker::THRESHOLD`] attempts in a row found no server at the endpoint, every call
//! fails at once with [`ApiError::NotSent`] ("endpoint unreachable: …") until a probe gets an
//! answer.
//!
//! One client speaks every [`Api`]: a [`Client`] value has one API ([`Client::api`]), whose
//! `X-TC-Version` it sends and whose service it signs for, at that API's endpoint
//! ([`ClientConfig::endpoint_for`]); [`Client::for_api`] gives the same client for another API
//! (shared credentials, clock offset and limiters; each API has its own rate limiters and
//! circuit breaker), and [`Client::with_platform_apis`] routes calls naming a platform to that
//! platform's API ([`Client::for_platform`]).
//!
//! It owns the wire and nothing else: it never decides outcomes or touches records.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::Action;
use crate::tcmpp::api::Api;
use crate::tcmpp::breaker::Breaker;
use crate::tcmpp::credentials::Credentials;
use crate::tcmpp::error::{ApiError, Class};
use crate::tcmpp::model::{
    ApprovalRecord, BooleanInfo, CREATE_MNP_APPROVAL, CreateMnpApprovalData,
    CreateMnpApprovalRequest, DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_APPROVAL_LIST,
    DESCRIBE_MNP_RELEASED_VERSION_HISTORY, DescribeMnpApprovalListData,
    DescribeMnpApprovalListRequest, MnpRequest, PROCESS_MNP_APPROVAL, ProcessMnpApprovalData,
    ProcessMnpApprovalRequest, RELEASE_MNP_VERSION, ROLLBACK_MNP_VERSION, ReleaseMnpVersionRequest,
    ReleasedVersionHistory, RollbackMnpVersionRequest, StageVersion,
};
use crate::tcmpp::response::{is_no_server, transport_error};
use crate::tcmpp::sign;

// Defined in the modules named above; re-exported so `tcmpp::client::…` paths keep working.
use crate::tcmpp::config::check_timeout;
pub use crate::tcmpp::config::{ClientConfig, MAX_TIMEOUT, MIN_TIMEOUT};
pub use crate::tcmpp::endpoint::{DEFAULT_ENDPOINT, Endpoint, EndpointError};
pub use crate::tcmpp::response::{httpdate_to_unix, parse_body};
pub use crate::tcmpp::retry::{
    Attempt, CallError, Decision, Reply, RetryPolicy, decide, with_retries,
};

/// Page size used to list approvals (the API's maximum).
pub const PAGE_SIZE: i64 = 100;
/// A bound on pages fetched for one platform, so a misbehaving server cannot loop us forever.
const MAX_PAGES: i64 = 10_000;
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

/// The API client. Cheap to clone; clones (and the clients [`Client::for_api`] and
/// [`Client::with_platform_apis`] give) share rate limiters, the clock offset and the circuit
/// breakers.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The API this value's calls go to.
    api: Api,
    /// Platforms whose calls go to another API than `api` ([`Client::for_platform`]).
    platforms: Arc<BTreeMap<String, Api>>,
}

struct Inner {
    /// How each API is reached.
    routes: BTreeMap<Api, Route>,
    credentials: Credentials,
    config: ClientConfig,
    /// Per (API, action): the services limit each of their actions separately.
    limiters: Mutex<HashMap<(Api, String), Arc<DefaultDirectRateLimiter>>>,
    /// Seconds to add to the local clock, learned from a `SignatureExpire` response's `Date`.
    clock_offset: AtomicI64,
    observer: Option<Observer>,
}

/// One API's endpoint, the HTTP client that reaches it and its circuit breaker.
struct Route {
    endpoint: Endpoint,
    http: reqwest::Client,
    /// Counts attempts in a row that found no server; stops sending after too many.
    breaker: Breaker,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.api)
            .field("endpoint", &self.route().endpoint.url.as_str())
            .field("credentials", &self.inner.credentials)
            .finish()
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub(crate) String);

/// The names of the headers sent besides `Host`, `Content-Type` and `Authorization`.
const X_TC_ACTION: &str = "X-TC-Action";
const X_TC_VERSION: &str = "X-TC-Version";
const X_TC_REGION: &str = "X-TC-Region";
const X_TC_TIMESTAMP: &str = "X-TC-Timestamp";
const X_TC_TOKEN: &str = "X-TC-Token";
const X_TC_LANGUAGE: &str = "X-TC-Language";

impl Client {
    /// A client for `config` signing with `credentials`.
    ///
    /// # Errors
    /// `config.timeout` is outside [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`]; the TLS backend could not
    /// be initialised.
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
        check_timeout(config.timeout)?;
        // One HTTP client per kind of endpoint (loopback: no proxy), shared by the APIs.
        let mut http: BTreeMap<bool, reqwest::Client> = BTreeMap::new();
        let mut routes = BTreeMap::new();
        for api in Api::ALL {
            let endpoint = config.endpoint_for(api).clone();
            let client = match http.get(&endpoint.loopback) {
                Some(client) => client.clone(),
                None => {
                    let client = http_client(&config, endpoint.loopback)?;
                    http.insert(endpoint.loopback, client.clone());
                    client
                }
            };
            routes.insert(
                api,
                Route {
                    endpoint,
                    http: client,
                    breaker: Breaker::default(),
                },
            );
        }
        Ok(Client {
            api: config.api,
            platforms: Arc::new(BTreeMap::new()),
            inner: Arc::new(Inner {
                routes,
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

    /// The API this client's calls go to.
    pub fn api(&self) -> Api {
        self.api
    }

    /// This client for `api`: same credentials, clock offset, limiters and breakers.
    pub fn for_api(&self, api: Api) -> Client {
        Client {
            api,
            ..self.clone()
        }
    }

    /// This client, remembering which API each of `platforms` belongs to: see
    /// [`Client::for_platform`].
    pub fn with_platform_apis(&self, platforms: BTreeMap<String, Api>) -> Client {
        Client {
            platforms: Arc::new(platforms),
            ..self.clone()
        }
    }

    /// This client, also remembering `more` (platforms already known keep their API).
    pub fn with_more_platform_apis(&self, more: impl IntoIterator<Item = (String, Api)>) -> Client {
        let mut platforms = (*self.platforms).clone();
        for (platform, api) in more {
            platforms.entry(platform).or_insert(api);
        }
        self.with_platform_apis(platforms)
    }

    /// The client for a call naming `platform_id`: its API if known
    /// ([`Client::with_platform_apis`]), else this client's.
    pub fn for_platform(&self, platform_id: &str) -> Client {
        match self.platforms.get(platform_id) {
            Some(api) if *api != self.api => self.for_api(*api),
            _ => self.clone(),
        }
    }

    fn route(&self) -> &Route {
        self.inner
            .routes
            .get(&self.api)
            .expect("a route for every API")
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
            Some(request.apply_action.into()),
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
            Some(request.apply_action.into()),
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

    /// `DescribeMNPAllStageVersions`: every version of one mini program (a bare list, not
    /// paged).
    ///
    /// # Errors
    /// The last attempt's error.
    pub async fn describe_mnp_all_stage_versions(
        &self,
        platform_id: &str,
        mnp_id: &str,
        region: Option<&str>,
    ) -> Result<Reply<Vec<StageVersion>>, CallError> {
        let request = MnpRequest {
            mnp_id: mnp_id.to_string(),
            platform_id: platform_id.to_string(),
        };
        self.call(
            DESCRIBE_MNP_ALL_STAGE_VERSIONS,
            None,
            &request,
            region,
            None,
        )
        .await
    }

    /// `DescribeMNPReleasedVersionHistory`: the versions that have been online.
    ///
    /// # Errors
    /// The last attempt's error.
    pub async fn describe_mnp_released_version_history(
        &self,
        platform_id: &str,
        mnp_id: &str,
        region: Option<&str>,
    ) -> Result<Reply<ReleasedVersionHistory>, CallError> {
        let request = MnpRequest {
            mnp_id: mnp_id.to_string(),
            platform_id: platform_id.to_string(),
        };
        self.call(
            DESCRIBE_MNP_RELEASED_VERSION_HISTORY,
            None,
            &request,
            region,
            None,
        )
        .await
    }

    /// `ReleaseMNPVersion`, withdrawn before any attempt for which `gate` returns a reason.
    ///
    /// # Errors
    /// The last attempt's error, classified for a release; [`ApiError::NotSent`] when withdrawn.
    pub async fn release_mnp_version_gated(
        &self,
        request: &ReleaseMnpVersionRequest,
        region: Option<&str>,
        gate: &Gate<'_>,
    ) -> Result<Reply<BooleanInfo>, CallError> {
        self.call(
            RELEASE_MNP_VERSION,
            Some(Action::Release),
            request,
            region,
            Some(gate),
        )
        .await
    }

    /// `RollbackMNPVersion`, withdrawn before any attempt for which `gate` returns a reason.
    ///
    /// # Errors
    /// The last attempt's error, classified for a rollback; [`ApiError::NotSent`] when withdrawn.
    pub async fn rollback_mnp_version_gated(
        &self,
        request: &RollbackMnpVersionRequest,
        region: Option<&str>,
        gate: &Gate<'_>,
    ) -> Result<Reply<BooleanInfo>, CallError> {
        self.call(
            ROLLBACK_MNP_VERSION,
            Some(Action::Rollback),
            request,
            region,
            Some(gate),
        )
        .await
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
            .entry((self.api, action.to_string()))
            .or_insert_with(|| Arc::new(RateLimiter::direct(quota(self.inner.config.rate_limit))))
            .clone()
    }

    /// Makes one API call with rate limiting, timeouts and retries.
    ///
    /// # Errors
    /// The last attempt's error with its class and the attempts made;
    /// [`ApiError::Unsendable`] (no attempt) when a header value cannot be sent;
    /// [`ApiError::NotSent`] ("endpoint unreachable: …", the attempts made so far) when the
    /// circuit breaker is open.
    pub async fn call<Req: Serialize, T: DeserializeOwned>(
        &self,
        action: &str,
        op: Option<Action>,
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
        let headers = self
            .fixed_headers(action, region)
            .map_err(|error| CallError {
                error,
                class: Class::Failed,
                attempts: 0,
            })?;
        let limiter = self.limiter(action);
        let (payload, headers) = (&payload, &headers);
        let breaker = &self.route().breaker;
        let attempt = || async {
            // An open breaker refuses at once, without waiting for the rate limiter (also when it
            // opens during the wait)…
            if let Err(reason) = breaker.check(tokio::time::Instant::now()) {
                return Attempt::Withdrawn(reason);
            }
            tokio::select! {
                () = limiter.until_ready() => {}
                reason = breaker.opened() => return Attempt::Withdrawn(reason),
            }
            if let Some(reason) = gate.and_then(|gate| gate()) {
                return Attempt::Withdrawn(reason);
            }
            // …and again right before sending, in case it opened during the wait.
            if let Err(reason) = breaker.admit(tokio::time::Instant::now()) {
                return Attempt::Withdrawn(reason);
            }
            let (result, server_date) = self.send_once::<T>(action, payload, headers).await;
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
        with_retries(&self.inner.config.retry, action, op, attempt, fix_clock).await
    }

    /// The headers every attempt of one call sends (all but the timestamp and the signature).
    ///
    /// # Errors
    /// [`ApiError::Unsendable`] naming the first header whose value HTTP cannot carry.
    fn fixed_headers(&self, action: &str, region: Option<&str>) -> Result<HeaderMap, ApiError> {
        let inner = &self.inner;
        let config = &inner.config;
        let mut headers = HeaderMap::new();
        let mut add = |name: HeaderName, label: &str, value: &str, sensitive: bool| {
            headers.insert(name, header_value(label, value, sensitive)?);
            Ok::<(), ApiError>(())
        };
        add(
            reqwest::header::HOST,
            "Host",
            &self.route().endpoint.host,
            false,
        )?;
        add(
            reqwest::header::CONTENT_TYPE,
            "Content-Type",
            sign::CONTENT_TYPE,
            false,
        )?;
        add(x_tc(X_TC_ACTION), X_TC_ACTION, action, false)?;
        add(x_tc(X_TC_VERSION), X_TC_VERSION, self.api.version(), false)?;
        let region = region.unwrap_or(&config.region);
        add(x_tc(X_TC_REGION), X_TC_REGION, region, false)?;
        if let Some(token) = &inner.credentials.token {
            add(x_tc(X_TC_TOKEN), X_TC_TOKEN, token.expose(), true)?;
        }
        if let Some(language) = &config.language {
            add(x_tc(X_TC_LANGUAGE), X_TC_LANGUAGE, language, false)?;
        }
        // The signature is made per attempt; the secret id is the only part of it that could be
        // unsendable, so it is checked once here.
        header_value("Authorization", &inner.credentials.secret_id, true)?;
        Ok(headers)
    }

    /// One signed HTTP exchange. Returns the result and the server's `Date` (unix seconds), and
    /// tells the circuit breaker what the attempt found.
    async fn send_once<T: DeserializeOwned>(
        &self,
        action: &str,
        payload: &[u8],
        headers: &HeaderMap,
    ) -> (Result<(T, String), ApiError>, Option<i64>) {
        let inner = &self.inner;
        let config = &inner.config;
        let route = self.route();
        let timestamp = unix_now() + inner.clock_offset.load(Ordering::Relaxed);
        let authorization = sign::authorization(
            &inner.credentials.secret_id,
            inner.credentials.secret_key.expose(),
            &sign::Request {
                service: self.api.service(),
                host: &route.endpoint.host,
                content_type: sign::CONTENT_TYPE,
                payload,
                timestamp,
            },
        );
        let authorization = match header_value("Authorization", &authorization, true) {
            Ok(value) => value,
            Err(error) => return (Err(error), None),
        };
        let mut headers = headers.clone();
        headers.insert(x_tc(X_TC_TIMESTAMP), HeaderValue::from(timestamp));
        headers.insert(reqwest::header::AUTHORIZATION, authorization);
        let builder = route
            .http
            .post(route.endpoint.url.clone())
            .headers(headers)
            .body(payload.to_vec());
        let started = Instant::now();
        let (result, date) = match builder.send().await {
            Err(e) => {
                let error = transport_error(&e, config.timeout);
                if is_no_server(&e) {
                    route
                        .breaker
                        .no_server(tokio::time::Instant::now(), &error.message());
                }
                (Err(error), None)
            }
            Ok(response) if response.status().is_redirection() => {
                route.breaker.answered();
                // Neither the body nor the `Location` is read: the target is none of our business.
                let status = response.status().as_u16();
                (Err(ApiError::Redirect { status }), None)
            }
            Ok(response) => {
                route.breaker.answered();
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

/// An HTTP client for `config`'s timeouts; without proxies for a `loopback` endpoint.
///
/// # Errors
/// The TLS backend could not be initialised.
fn http_client(config: &ClientConfig, loopback: bool) -> Result<reqwest::Client, BuildError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("mnpsync/", env!("CARGO_PKG_VERSION")))
        // The API never redirects; following one would carry the signed headers elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .pool_max_idle_per_host(64)
        // Idle connections are dropped before a server's usual keep-alive limit (the
        // simulator closes them after 10 s), so a request never races a closing connection.
        .pool_idle_timeout(Duration::from_secs(8));
    if loopback {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| BuildError(format!("cannot build the HTTP client: {e}")))
}

/// An `X-TC-*` header name (all are valid lower-cased).
fn x_tc(name: &'static str) -> HeaderName {
    HeaderName::from_bytes(name.as_bytes()).expect("a valid header name")
}

/// A header value, marked sensitive (never shown by `Debug`, kept out of HTTP/2 header
/// compression tables) when `sensitive`.
///
/// # Errors
/// [`ApiError::Unsendable`] naming `label`, showing the value only when not `sensitive`.
fn header_value(label: &str, value: &str, sensitive: bool) -> Result<HeaderValue, ApiError> {
    match HeaderValue::from_str(value) {
        Ok(mut value) => {
            value.set_sensitive(sensitive);
            Ok(value)
        }
        Err(_) => Err(ApiError::Unsendable {
            header: label.to_string(),
            reason: if sensitive {
                "its value (secret, not shown) contains characters an HTTP header cannot carry"
                    .to_string()
            } else {
                format!("{value:?} contains characters an HTTP header cannot carry")
            },
        }),
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

#[cfg(test)]
mod tests;
