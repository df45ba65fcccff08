//! A faithful local simulator of the TCMPP approval endpoint (API version `2024-08-01`) and of
//! TCSAS's (`2025-01-06`), used by the tests, the demo and users' CI.
//!
//! One simulator serves both APIs at once ([`SimConfig::apis`] `None`), or only one. A request's
//! API is the service of its credential scope (`tcmpp`, `tcsas`): a service not served is
//! `AuthFailure.SignatureFailure`, an `X-TC-Version` other than that API's is `NoSuchVersion`.
//! Each API is answered in its own shapes (TCSAS's `CreateMNPApproval` submit returns
//! `{Result, ApprovalNo}`, TCMPP's `{Result}`; TCSAS's stage versions carry `AgeRatings`) and
//! has its own per-action rate windows; the approvals and release histories are one state,
//! keyed by platform (a platform belongs to one API in practice).
//!
//! It answers `POST /` exactly like the real service: TC3-HMAC-SHA256 verification (reusing
//! [`crate::tcmpp::sign`]), the common error codes, `CreateMNPApproval`,
//! `DescribeMNPApprovalList` and `ProcessMNPApproval` with the platform's approval rules,
//! `DescribeMNPAllStageVersions`, `DescribeMNPReleasedVersionHistory`, `ReleaseMNPVersion` and
//! `RollbackMNPVersion` with its release rules, a per-action rate limit, optional latency and
//! faults, and optionally approvals that approve themselves ([`SimConfig::auto_approve`]). It also serves `GET /_sim/calls`
//! (the API calls received, in arrival order: the last [`SimConfig::call_log_limit`], older
//! ones are dropped), `DELETE /_sim/calls` (clears that log) and `GET /_sim/approvals` (the
//! current approvals). Every response has a `Date` header from the simulator clock.
//!
//! Connections cannot be held forever: one that has not sent a request's complete headers
//! within [`SimConfig::header_timeout`] of being opened or of its last reply is closed (idle
//! keep-alive connections included), and a body not received within
//! [`SimConfig::body_timeout`] is answered `InvalidParameter` (the connection is then closed).
//! The signature is verified only after the headers-only checks passed and the body was read
//! within its 10 MiB bound; a larger body is answered `InvalidParameter` without being read.
//!
//! This module owns the public API ([`SimConfig`], [`Sim`], [`Call`], [`spawn`],
//! [`SimHandle`]); it must not contain request handling or rules itself.
//!
//! # Layout
//!
//! - `error`: the error codes (`codes`) and `ApiError`.
//! - `fixture`: the YAML fixture format ([`Fixture`]), loading and validation.
//! - `params`: actions and their parameter schemas; body → typed request of `tcmpp::model`.
//! - `state/`: approval records, release histories and rules, pure; one file per action
//!   family — `create` (submit, cancel), `list` (`DescribeMNPApprovalList`), `process`
//!   (`ProcessMNPApproval`, auto-approve), `versions` (`DescribeMNPAllStageVersions`,
//!   `DescribeMNPReleasedVersionHistory`), `release` (`ReleaseMNPVersion`,
//!   `RollbackMNPVersion`) — and `records`, the shared types ([`SimApproval`]).
//! - `server/`: the HTTP face — `mod` (the per-request pipeline and shared state), `verify`
//!   (the numbered order of checks, signature compared in constant time), `body` (reading the
//!   body within its size bound and timeout), `rate` (the sliding rate window), `faults`
//!   (faults and latency), `calls` (request ids, the bounded call log), `routes` (axum routes,
//!   the `api` handler, the `Date` header), `listener` (the listener that can drop connections
//!   and closes idle or slow ones).
//! - `tests/` (test builds only): end-to-end and pipeline tests, one file per concern, with the
//!   shared helpers in `tests/support`.
//!
//! Only this file's items, [`Fixture`] and [`SimApproval`] (what [`Sim::approvals`] returns) are
//! public; everything else is private to the crate.
//!
//! # Pointing an official SDK at the simulator
//!
//! The SDKs derive the credential-scope service from the endpoint's first label, so use a host
//! name starting with `tcmpp.` (or `tcsas.`) that resolves to the simulator, e.g.
//! `tcmpp.localhost:PORT`, and the `http` scheme. Any `SignedHeaders` set that includes `content-type` and `host` is
//! verified (the SDKs sign exactly those two; the API documentation's example adds
//! `x-tc-action`), with names and values lowercased and trimmed as TC3 requires.

mod error;
mod fixture;
mod params;
mod server;
mod state;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::tcmpp::Api;

pub use fixture::Fixture;
pub use state::SimApproval;

use server::{Shared, lock};

/// How a simulator behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The only secret id the simulator knows; others get `AuthFailure.SecretIdNotFound`.
    pub secret_id: String,
    /// The secret key signatures are verified with.
    pub secret_key: String,
    /// Platforms, mini programs, versions and initial approvals; `None` accepts every platform.
    pub fixture: Option<Fixture>,
    /// Delay before each API reply, uniform in `[min, max]` milliseconds.
    pub latency_ms: Option<(u64, u64)>,
    /// Probability in `[0, 1]` that a verified request gets an injected fault (an
    /// `InternalError` reply, an HTTP 503 with a non-JSON body, or a dropped connection, equally
    /// likely). Faults strike before the request changes any state.
    pub fault_rate: f64,
    /// When true, each fault is, with probability ½, injected *after* the request changed the
    /// state (the server acted, the reply is lost), as can happen with the real service.
    pub fault_after_commit: bool,
    /// Most requests of one action admitted in any sliding one-second window; 0 means no limit.
    pub rate_limit: u32,
    /// Seconds added to the system time to make the simulator clock (tests of clock skew).
    pub clock_skew_secs: i64,
    /// Seed for faults, latencies and request ids; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// How long a connection may take to send a request's complete headers, counted from when
    /// it was opened or last answered; then it is closed. This also closes idle keep-alive
    /// connections, and ones that trickle their headers in. `Duration::ZERO` means no limit.
    /// Applies to connections accepted by [`Sim::serve`] (and so [`spawn`]).
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive once its headers passed the headers-only
    /// checks; a slower body is answered `InvalidParameter` and the connection is closed.
    /// `Duration::ZERO` means no limit.
    pub body_timeout: Duration,
    /// How many calls the call log (`GET /_sim/calls`, [`Sim::calls`]) keeps: the last ones in
    /// arrival order, the oldest dropped first; 0 keeps none.
    pub call_log_limit: usize,
    /// The only API served, or `None` for both (TCMPP and TCSAS at once, told apart by the
    /// credential scope's service). A request signed for a service not served gets
    /// `AuthFailure.SignatureFailure`.
    pub apis: Option<Api>,
    /// When set, a processing (or pending) approval approves itself once it is this old
    /// (`ApprovalUser` `auto-approve`, an empty note), as a reviewer would. Evaluated lazily
    /// whenever the state is used (each API request, [`Sim::approvals`]), against tokio's clock,
    /// so tests can pause and advance time.
    pub auto_approve: Option<Duration>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            secret_id: "AKIDsimulator0000000000000000000000".to_string(),
            secret_key: "simulatorSecretKey000000000000000".to_string(),
            fixture: None,
            latency_ms: None,
            fault_rate: 0.0,
            fault_after_commit: false,
            rate_limit: 20,
            clock_skew_secs: 0,
            seed: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            call_log_limit: 10_000,
            apis: None,
            auto_approve: None,
        }
    }
}

/// One API call as the simulator received it (`GET /_sim/calls`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Call {
    /// `X-TC-Action` as sent (empty when absent).
    pub action: String,
    /// `X-TC-Region` as sent (empty when absent).
    pub region: String,
    /// The service of the `Authorization` header's credential scope (`tcmpp`, `tcsas`) as sent;
    /// empty when the header is absent or not TC3-shaped.
    #[serde(default)]
    pub service: String,
    /// `X-TC-Version` as sent (empty when absent).
    #[serde(default)]
    pub version: String,
    /// The body parsed as JSON; `null` when it is not JSON, or was not read (a check before the
    /// body failed, or the body was too large, too slow or unreadable).
    pub params: serde_json::Value,
    /// `None` for a success; the error code otherwise, or for injected faults `InternalError`,
    /// `HTTP503` or `ConnectionDropped`.
    pub code: Option<String>,
    /// The `RequestId` of the reply (also for faults that never reach the client).
    pub request_id: String,
}

/// A simulator: its configuration and state. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("secret_id", &self.inner.config.secret_id)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// A simulator with `config`, holding the fixture's initial approvals.
    pub fn new(config: SimConfig) -> Sim {
        let now = state::Now {
            unix: time::OffsetDateTime::now_utc()
                .unix_timestamp()
                .saturating_add(config.clock_skew_secs),
            instant: tokio::time::Instant::now(),
        };
        Sim {
            inner: Arc::new(Shared::new(config, now)),
        }
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The API calls received so far, in arrival order: at most the last
    /// [`SimConfig::call_log_limit`] (same as `GET /_sim/calls`).
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.inner.calls).iter().cloned().collect()
    }

    /// Forgets the calls received so far (same as `DELETE /_sim/calls`).
    pub fn clear_calls(&self) {
        lock(&self.inner.calls).clear();
    }

    /// Every approval of every platform, oldest first (same as `GET /_sim/approvals`), once
    /// [`SimConfig::auto_approve`] has caught up.
    pub fn approvals(&self) -> Vec<SimApproval> {
        self.state(self.now()).approvals()
    }

    /// Approve or reject (as the approver) the processing approval of a version; used by the
    /// demo and tests. Returns the ApprovalNo.
    pub fn process_version(
        &self,
        platform_id: &str,
        mnp_version_id: i64,
        approve: bool,
    ) -> Result<String, String> {
        let now = self.now();
        self.state(now)
            .process_version(platform_id, mnp_version_id, approve, now)
    }
}

/// Starts a simulator on 127.0.0.1:0 in the background (tokio task); returns its base URL
/// ("http://127.0.0.1:PORT") and a handle that shuts it down on drop or via
/// [`SimHandle::shutdown`].
pub async fn spawn(config: SimConfig) -> std::io::Result<SimHandle> {
    let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let sim = Sim::new(config);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(sim.clone().serve(listener, async move {
        // A send or a dropped sender both mean "shut down".
        let _ = rx.await;
    }));
    Ok(SimHandle {
        url: format!("http://{addr}"),
        addr,
        sim,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// A running simulator started by [`spawn`]. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct SimHandle {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// The simulator, to inspect calls and approvals or to process versions.
    pub sim: Sim,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl SimHandle {
    /// Stops accepting connections and waits (at most 5 s, then aborts) for requests in flight
    /// to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!("simulator server failed: {e}"),
                Ok(Err(join)) => tracing::warn!("simulator task failed: {join}"),
                Err(_) => task.abort(),
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
