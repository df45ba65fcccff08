//! The simulator's HTTP face: everything between a request arriving and its reply leaving.
//!
//! This file ties the parts together: what a [`Sim`] shares between its clones ([`Shared`]), the
//! simulator clock, and the pipeline every `POST /` goes through in two phases —
//! [`Sim::begin`] (the headers-only checks of `verify`, before the body is read) and
//! [`Sim::finish`] (the checks over the body, the fault roll (`faults`), the rules (`state`,
//! after auto-approve caught up), the reply, the call log (`calls`) and the latency
//! (`faults`)); `Sim::decide` (test builds) runs both for a body already at hand. The parts, one concern per file:
//!
//! - `verify`: the numbered order of checks of `POST /`, up to typed parameters.
//! - `body`: reading the body within the size bound and the body timeout ([`RequestBody`]).
//! - `rate`: the per-action sliding-window rate limit ([`rate::RateWindow`]).
//! - `faults`: which fault strikes (if any) and how long a reply waits.
//! - `calls`: request ids and the call log (a ring of the last `SimConfig::call_log_limit`).
//! - `routes`: the axum routes, the `api` handler, the `/_sim/*` routes and the `Date` header.
//! - `listener`: the TCP listener whose connections an injected fault can drop and whose idle
//!   or slow connections time out (`SimConfig::header_timeout`).
//!
//! Owns the order of checks and what is recorded. It must not implement approval rules (`state`)
//! or parameter schemas (`params`), and must never panic on request data: every request to `/`
//! gets a well-formed reply (or an injected fault). Step 12 of the order of checks lives here:
//! the fault roll, then the approval rules; a post-commit fault replaces the reply. Every call
//! that reaches step 1 is recorded (before the latency) with its outcome code.

mod body;
mod calls;
mod faults;
mod listener;
mod rate;
mod routes;
mod verify;

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::http::HeaderMap;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

use super::error::{ApiError, codes};
use super::params::{Action, ApiRequest};
use super::state::{Now, State};
use super::{Call, Sim, SimConfig};
use crate::tcmpp::Api;
use crate::tcmpp::model::{BooleanInfo, CreateMnpApprovalData, Envelope, ProcessMnpApprovalData};
#[cfg(test)]
pub(crate) use body::MAX_BODY_BYTES;
pub(crate) use body::RequestBody;
use faults::Fault;
use rate::RateWindow;
use verify::Checked;

/// Everything a [`Sim`] shares between its clones.
pub(super) struct Shared {
    pub(super) config: SimConfig,
    pub(super) state: Mutex<State>,
    /// The last `config.call_log_limit` calls, oldest first.
    pub(super) calls: Mutex<VecDeque<Call>>,
    limits: Mutex<HashMap<(Api, Action), RateWindow>>,
    rngs: Mutex<Rngs>,
    /// Test hook: when set, the rate limiter sees this instant instead of the time.
    #[cfg(test)]
    frozen_instant: Mutex<Option<tokio::time::Instant>>,
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
    pub(super) fn new(config: SimConfig, now: Now) -> Shared {
        Shared {
            state: Mutex::new(State::new(config.fixture.clone(), now)),
            calls: Mutex::new(VecDeque::new()),
            limits: Mutex::new(HashMap::new()),
            rngs: Mutex::new(Rngs::new(config.seed)),
            #[cfg(test)]
            frozen_instant: Mutex::new(None),
            config,
        }
    }
}

/// What to send back for a request, decided before the latency is applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// HTTP 200 with this JSON body.
    Json(String),
    /// HTTP 503 with a non-JSON body.
    Unavailable,
    /// No response; the connection is closed.
    Drop,
}

/// A reply and how long to wait before sending it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub(crate) reply: Reply,
    pub(crate) delay: Duration,
}

enum Answer {
    Data(Value),
    Error(ApiError),
    Fault(Fault),
}

/// A request after the headers-only checks (steps 1–7): its request id and their verdict.
#[derive(Debug)]
pub(crate) struct Begun {
    request_id: String,
    checked: Result<Checked, ApiError>,
}

impl Begun {
    /// Whether the body should be read: the headers-only checks passed.
    pub(crate) fn wants_body(&self) -> bool {
        self.checked.is_ok()
    }
}

/// A header's value; `None` when it is absent or not visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Sim {
    /// The simulator clock: system time plus [`SimConfig::clock_skew_secs`], unix seconds.
    pub(crate) fn now_unix(&self) -> i64 {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        now.saturating_add(self.inner.config.clock_skew_secs)
    }

    /// The current time on both clocks the state uses: the simulator clock and tokio's.
    pub(crate) fn now(&self) -> Now {
        Now {
            unix: self.now_unix(),
            instant: tokio::time::Instant::now(),
        }
    }

    /// The state, locked, once auto-approve ([`SimConfig::auto_approve`]) has caught up with
    /// `now`: approvals approve themselves lazily, whenever the state is used.
    pub(super) fn state(&self, now: Now) -> MutexGuard<'_, State> {
        let mut state = lock(&self.inner.state);
        if let Some(after) = self.inner.config.auto_approve {
            state.auto_approve(after, now);
        }
        state
    }

    /// Test hook: the `MNPVersionId`s of a mini program's release history, newest first, read
    /// without a request (so without faults or rate limits).
    #[cfg(test)]
    pub(crate) fn released_ids(&self, platform_id: &str, mnp_id: &str) -> Vec<i64> {
        let req = crate::tcmpp::model::MnpRequest {
            mnp_id: mnp_id.to_string(),
            platform_id: platform_id.to_string(),
        };
        self.state(self.now())
            .release_history(&req)
            .map(|h| {
                h.data_list
                    .iter()
                    .filter_map(|r| r.mnp_version_id)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Applies the rules to a verified request of `api`, answering in its shapes.
    fn run(&self, api: Api, request: ApiRequest) -> Result<Value, ApiError> {
        let now = self.now();
        let mut state = self.state(now);
        let data = match request {
            ApiRequest::Create(req) => {
                let approval_no = state.create(&req, now)?;
                serde_json::to_value(CreateMnpApprovalData {
                    result: true,
                    // Only TCSAS names the approval a submit created.
                    approval_no: approval_no.filter(|_| api == Api::Tcsas),
                })
            }
            ApiRequest::Describe(req) => serde_json::to_value(state.describe(&req)?),
            ApiRequest::Process(req) => {
                state.process(&req, now)?;
                serde_json::to_value(ProcessMnpApprovalData { result: true })
            }
            ApiRequest::StageVersions(req) => serde_json::to_value(state.stage_versions(&req)?)
                .map(|mut data| {
                    if api == Api::Tcsas {
                        add_age_ratings(&mut data);
                    }
                    data
                }),
            ApiRequest::ReleaseHistory(req) => serde_json::to_value(state.release_history(&req)?),
            ApiRequest::Release(req) => {
                state.release(&req, now)?;
                serde_json::to_value(BooleanInfo { result: true })
            }
            ApiRequest::Rollback(req) => {
                state.rollback(&req, now)?;
                serde_json::to_value(BooleanInfo { result: true })
            }
        };
        data.map_err(|e| ApiError::new(codes::INTERNAL_ERROR, format!("internal error: {e}")))
    }

    /// Steps 8–11 (`verify`) after the headers-only ones passed, then step 12: the fault roll,
    /// the rules, a post-commit fault.
    fn answer(
        &self,
        checked: Result<Checked, ApiError>,
        headers: &HeaderMap,
        body: &RequestBody,
    ) -> Answer {
        let (api, request) = match checked.and_then(|checked| {
            self.check_body(&checked, headers, body)
                .map(|request| (checked.api(), request))
        }) {
            Ok(found) => found,
            Err(e) => return Answer::Error(e),
        };
        let fault = self.roll_fault();
        if let Some((fault, false)) = fault {
            return Answer::Fault(fault);
        }
        let result = self.run(api, request);
        if let Some((fault, true)) = fault {
            return Answer::Fault(fault);
        }
        match result {
            Ok(data) => Answer::Data(data),
            Err(e) => Answer::Error(e),
        }
    }

    /// First phase of an API request: draws its request id and runs the checks that need only
    /// the headers (steps 1–7). `host` is the `Host` header (or the URI authority). Read the
    /// body only when [`Begun::wants_body`], then [`Sim::finish`].
    pub(crate) fn begin(&self, headers: &HeaderMap, host: Option<&str>) -> Begun {
        let request_id = self.request_id();
        let checked = self.check_headers(headers, host);
        Begun {
            request_id,
            checked,
        }
    }

    /// Second phase of an API request: the checks over the body (`RequestBody::Skipped` when the
    /// headers-only checks failed), the rules, the call record and the reply.
    pub(crate) fn finish(&self, begun: Begun, headers: &HeaderMap, body: &RequestBody) -> Decision {
        let Begun {
            request_id,
            checked,
        } = begun;
        let (code, reply) = match self.answer(checked, headers, body) {
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
        self.record(headers, body.bytes(), code, request_id);
        Decision {
            reply,
            delay: self.latency(),
        }
    }

    /// Handles one API request whose body is at hand (`None`: it could not be read): both
    /// phases, verifying, acting, recording the call and deciding the reply. The pipeline
    /// without HTTP, for tests.
    #[cfg(test)]
    pub(crate) fn decide(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
        body: Option<&[u8]>,
    ) -> Decision {
        let begun = self.begin(headers, host);
        self.finish(begun, headers, &RequestBody::from(body))
    }
}

/// TCSAS's stage versions also carry `AgeRatings` (its SDK's `DescribeMPAllStageVersionsResp`);
/// the simulator has none to report, so it is null.
fn add_age_ratings(data: &mut Value) {
    for item in data.as_array_mut().into_iter().flatten() {
        if let Some(item) = item.as_object_mut() {
            item.insert("AgeRatings".to_string(), Value::Null);
        }
    }
}

fn json<T: serde::Serialize>(envelope: Envelope<T>) -> String {
    serde_json::to_string(&envelope).unwrap_or_else(|_| {
        r#"{"Response":{"Error":{"Code":"InternalError","Message":"serialisation failed"},"RequestId":""}}"#
            .to_string()
    })
}
