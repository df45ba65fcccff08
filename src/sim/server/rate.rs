//! The per-action rate limit: a sliding one-second window of admitted arrivals
//! ([`RateWindow`]) per (API, action), and step 10 of the order of checks ([`Sim::admit`]).
//!
//! Owns the window arithmetic and the `RequestLimitExceeded` reply. It must not decide where in
//! the order of checks the limit applies (`verify` does) and must not count refused arrivals.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::lock;
use crate::sim::Sim;
use crate::sim::error::{ApiError, codes};
use crate::sim::params::Action;
use crate::tcmpp::Api;

/// The sliding window of the rate limit.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Arrival times of the admitted requests of one action in the last second (the sliding
/// window of the rate limit).
#[derive(Debug, Default, Clone)]
pub(super) struct RateWindow {
    arrivals: VecDeque<Instant>,
}

impl RateWindow {
    /// Admits an arrival at `now` when fewer than `limit` admitted arrivals lie within the
    /// window before it (`now - t < 1 s`), and remembers it; refused arrivals are not counted.
    /// `now` must not go backwards between calls.
    fn admit(&mut self, now: Instant, limit: u32) -> bool {
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

impl Sim {
    /// Test hook: freezes the instant the rate limiter sees, so a burst counts as simultaneous.
    #[cfg(test)]
    pub(crate) fn freeze_rate_clock(&self) {
        *lock(&self.inner.frozen_instant) = Some(Instant::now());
    }

    fn now_instant(&self) -> Instant {
        #[cfg(test)]
        if let Some(frozen) = *lock(&self.inner.frozen_instant) {
            return frozen;
        }
        Instant::now()
    }

    /// Step 10: admits a request of `action` of `api` (each API's actions have their own
    /// windows), or `RequestLimitExceeded`; a limit of 0 admits all.
    pub(super) fn admit(&self, api: Api, action: Action) -> Result<(), ApiError> {
        let limit = self.inner.config.rate_limit;
        if limit == 0 {
            return Ok(());
        }
        let mut limits = lock(&self.inner.limits);
        let now = self.now_instant();
        if limits.entry((api, action)).or_default().admit(now, limit) {
            Ok(())
        } else {
            Err(ApiError::new(
                codes::REQUEST_LIMIT_EXCEEDED,
                "Your current request times exceeds the limit, please try again later.",
            ))
        }
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
}
