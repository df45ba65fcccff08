//! [`ClientConfig`]: everything a client needs besides credentials — the default API, the
//! endpoints (one for every API, or one per API), the region, the timeout bounds, the rate limit
//! and the retry policy.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::tcmpp::api::Api;
use crate::tcmpp::client::BuildError;
use crate::tcmpp::endpoint::Endpoint;
use crate::tcmpp::retry::RetryPolicy;

/// The shortest per-request timeout a client accepts (`--timeout`).
pub const MIN_TIMEOUT: Duration = Duration::from_millis(100);
/// The longest per-request timeout a client accepts (`--timeout`).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Everything a client needs besides credentials.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The endpoint of every API that has none in [`ClientConfig::endpoints`].
    pub endpoint: Endpoint,
    /// Endpoints of single APIs, overriding [`ClientConfig::endpoint`] for them.
    pub endpoints: BTreeMap<Api, Endpoint>,
    /// The API of a client built from this config (the default of resources that do not pin
    /// one); [`crate::tcmpp::Client::for_api`] reaches the others.
    pub api: Api,
    /// Default region (`X-TC-Region`), used when a call names none.
    pub region: String,
    /// Per-request timeout, [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`].
    pub timeout: Duration,
    /// Requests per second, per action, evenly spaced.
    pub rate_limit: u32,
    pub retry: RetryPolicy,
    /// `X-TC-Language`, when set.
    pub language: Option<String>,
}

impl ClientConfig {
    /// Defaults of DESIGN.md §5 for the given endpoint, used by every API; the API is
    /// [`Api::Tcmpp`].
    pub fn new(endpoint: Endpoint) -> Self {
        ClientConfig {
            endpoint,
            endpoints: BTreeMap::new(),
            api: Api::default(),
            region: "ap-guangzhou".to_string(),
            timeout: Duration::from_secs(10),
            rate_limit: 20,
            retry: RetryPolicy::default(),
            language: None,
        }
    }

    /// Defaults of DESIGN.md §5 with each API at its public endpoint
    /// ([`Api::default_endpoint`]).
    pub fn public() -> Self {
        let public = |api: Api| {
            Endpoint::parse(api.default_endpoint()).expect("the public endpoints are valid")
        };
        let mut config = ClientConfig::new(public(Api::Tcmpp));
        config.endpoints = Api::ALL.into_iter().map(|api| (api, public(api))).collect();
        config
    }

    /// Points `api` at `endpoint` (`--endpoint tcsas=URL`), or with `None` every API
    /// (`--endpoint URL`: the fallback, forgetting the per-API endpoints set before).
    pub fn set_endpoint(&mut self, api: Option<Api>, endpoint: Endpoint) {
        match api {
            Some(api) => {
                self.endpoints.insert(api, endpoint);
            }
            None => {
                self.endpoints.clear();
                self.endpoint = endpoint;
            }
        }
    }

    /// The endpoint calls of `api` go to.
    pub fn endpoint_for(&self, api: Api) -> &Endpoint {
        self.endpoints.get(&api).unwrap_or(&self.endpoint)
    }
}

/// `Err` unless `timeout` is within [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`].
pub(crate) fn check_timeout(timeout: Duration) -> Result<(), BuildError> {
    if (MIN_TIMEOUT..=MAX_TIMEOUT).contains(&timeout) {
        return Ok(());
    }
    Err(BuildError(format!(
        "--timeout must be between {} and {} (got {})",
        humantime::format_duration(MIN_TIMEOUT),
        humantime::format_duration(MAX_TIMEOUT),
        humantime::format_duration(timeout)
    )))
}
