//! Injected trouble: which fault (if any) strikes a verified request, whether it strikes before
//! or after the state change, and how long a reply waits (latency).
//!
//! Owns the draws from the seeded fault and latency streams, so that the same seed gives the same
//! sequence. It must not decide what a fault looks like on the wire beyond its body and code
//! (`server` and `routes` do), and must not touch the approvals.

use std::time::Duration;

use rand::Rng;

use super::lock;
use crate::sim::Sim;
use crate::sim::error::codes;

/// Body of an injected HTTP 503: deliberately not JSON, like a gateway's error page.
pub(super) const UNAVAILABLE_BODY: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";

/// An injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// An `InternalError` reply (HTTP 200).
    InternalError,
    /// HTTP 503 with a non-JSON body.
    Unavailable,
    /// The connection is closed without any response.
    Dropped,
}

impl Fault {
    /// The code recorded in the call log.
    pub(super) fn code(self) -> &'static str {
        match self {
            Fault::InternalError => codes::INTERNAL_ERROR,
            Fault::Unavailable => codes::FAULT_HTTP_503,
            Fault::Dropped => codes::FAULT_CONNECTION_DROPPED,
        }
    }
}

impl Sim {
    /// How long to wait before sending a reply: uniform in the configured bounds, or zero.
    pub(super) fn latency(&self) -> Duration {
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
    pub(super) fn roll_fault(&self) -> Option<(Fault, bool)> {
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
}
