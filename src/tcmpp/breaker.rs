//! The circuit breaker of one [`Client`](super::Client): it counts attempts in a row that found
//! no server at the endpoint (connection refused, DNS failure, TLS handshake failure) and, after
//! [`THRESHOLD`] of them, stops the client sending (`Breaker::admit` answers with the reason).
//!
//! Only "no server" counts: timeouts, connections dropped mid-request, HTTP 5xx and service
//! errors do not (the server is there, and retries may help). Any attempt that got an HTTP
//! answer closes the breaker and resets the count. While open, one attempt is let through every
//! [`COOL_DOWN`] as a probe, so a long-lived client (watch) finds the endpoint again once it is
//! back; every other attempt is refused at once.
//!
//! Nothing here performs I/O: the client reports what each attempt came to and asks before
//! sending; an attempt waiting for the rate limiter also waits on `Breaker::opened`, so it is
//! refused the moment the breaker opens. Times are passed in, so the rules are tested without
//! waiting.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// "No server" attempts in a row after which the client stops sending.
pub const THRESHOLD: u32 = 5;
/// How long an open breaker refuses every attempt before letting one through as a probe.
pub const COOL_DOWN: Duration = Duration::from_secs(5);

/// Shared by every call (and every clone) of one client.
#[derive(Debug, Default)]
pub(crate) struct Breaker {
    state: Mutex<State>,
    /// Woken whenever the breaker opens (or re-opens after a failed probe).
    opening: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// "No server" attempts since the last HTTP answer.
    failures: u32,
    /// When the breaker opened, or when its last probe was let through.
    opened: Option<Instant>,
    /// The last "no server" error, for the reason given to refused calls.
    last: String,
}

impl Breaker {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Err(reason)` when the breaker is open and no probe is due at `now`; changes nothing, so
    /// it may be asked before waiting for the rate limiter.
    pub(crate) fn check(&self, now: Instant) -> Result<(), String> {
        let state = self.state();
        match state.opened {
            Some(opened) if now.saturating_duration_since(opened) < COOL_DOWN => {
                Err(state.reason())
            }
            _ => Ok(()),
        }
    }

    /// Resolves with the reason once [`Breaker::check`] refuses (at once if it already does);
    /// raced against the rate limiter's wait.
    pub(crate) async fn opened(&self) -> String {
        loop {
            let opening = self.opening.notified();
            tokio::pin!(opening);
            // Registered before looking, so an opening in between is not missed.
            opening.as_mut().enable();
            if let Err(reason) = self.check(Instant::now()) {
                return reason;
            }
            opening.await;
        }
    }

    /// Asked right before sending: `Ok` when closed, or when open and a probe is due (the
    /// caller's attempt is the probe and the next one waits another [`COOL_DOWN`]);
    /// `Err(reason)` otherwise.
    pub(crate) fn admit(&self, now: Instant) -> Result<(), String> {
        let mut state = self.state();
        match state.opened {
            None => Ok(()),
            Some(opened) if now.saturating_duration_since(opened) >= COOL_DOWN => {
                state.opened = Some(now);
                Ok(())
            }
            Some(_) => Err(state.reason()),
        }
    }

    /// An attempt found no server at the endpoint (`error` describes it; it names no secret).
    pub(crate) fn no_server(&self, now: Instant, error: &str) {
        let mut state = self.state();
        state.failures = state.failures.saturating_add(1);
        state.last = error.to_string();
        if state.failures >= THRESHOLD {
            if state.opened.is_none() {
                tracing::warn!(
                    failures = state.failures,
                    error,
                    "endpoint unreachable; not sending until a probe gets through"
                );
            }
            state.opened = Some(now);
            drop(state);
            self.opening.notify_waiters();
        }
    }

    /// An attempt got an HTTP answer: the endpoint is there.
    pub(crate) fn answered(&self) {
        let mut state = self.state();
        state.failures = 0;
        state.opened = None;
    }
}

impl State {
    fn reason(&self) -> String {
        format!(
            "endpoint unreachable: the last {} attempts could not connect ({}); the client tries \
             again once every {}s",
            self.failures,
            self.last,
            COOL_DOWN.as_secs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn opens_after_threshold_failures_in_a_row() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD - 1 {
            breaker.no_server(t0, "refused");
            assert_eq!(breaker.check(t0), Ok(()));
            assert_eq!(breaker.admit(t0), Ok(()));
        }
        breaker.no_server(t0, "tcp connect error: Connection refused");
        let reason = breaker.check(t0).unwrap_err();
        assert!(reason.starts_with("endpoint unreachable: "), "{reason}");
        assert!(reason.contains("the last 5 attempts"), "{reason}");
        assert!(reason.contains("Connection refused"), "{reason}");
        assert_eq!(breaker.admit(t0 + COOL_DOWN - MS), Err(reason));
    }

    #[test]
    fn an_http_answer_resets_the_count() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD - 1 {
            breaker.no_server(t0, "refused");
        }
        breaker.answered();
        for _ in 0..THRESHOLD - 1 {
            breaker.no_server(t0, "refused");
        }
        assert_eq!(breaker.admit(t0), Ok(()), "never 5 in a row");
        breaker.no_server(t0, "refused");
        assert!(breaker.admit(t0).is_err());
        // A late answer (an attempt already in flight) closes it too.
        breaker.answered();
        assert_eq!(breaker.admit(t0), Ok(()));
    }

    #[test]
    fn one_probe_per_cool_down_then_closed_by_an_answer() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD {
            breaker.no_server(t0, "refused");
        }
        let due = t0 + COOL_DOWN;
        // Checking does not use up the probe; admitting does.
        assert_eq!(breaker.check(due), Ok(()));
        assert_eq!(breaker.check(due), Ok(()));
        assert_eq!(breaker.admit(due), Ok(()), "the probe");
        assert!(breaker.admit(due).is_err(), "only one probe");
        assert!(breaker.check(due + MS).is_err());
        // The probe found no server: another cool-down from its failure.
        breaker.no_server(due + MS, "refused");
        assert!(breaker.admit(due + COOL_DOWN).is_err());
        assert_eq!(
            breaker.admit(due + MS + COOL_DOWN),
            Ok(()),
            "the next probe"
        );
        breaker.answered();
        assert_eq!(breaker.admit(due + MS + COOL_DOWN), Ok(()));
        assert_eq!(breaker.admit(due + MS + COOL_DOWN), Ok(()));
    }

    #[tokio::test]
    async fn waiters_learn_at_once_that_it_opened() {
        let breaker = std::sync::Arc::new(Breaker::default());
        let waiter = tokio::spawn({
            let breaker = breaker.clone();
            async move { breaker.opened().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        for _ in 0..THRESHOLD {
            breaker.no_server(Instant::now(), "refused");
        }
        let reason = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert!(reason.starts_with("endpoint unreachable"), "{reason}");
        // Already open: resolves at once.
        assert!(breaker.opened().await.starts_with("endpoint unreachable"));
    }

    #[test]
    fn a_probe_that_ends_otherwise_leaves_it_open_until_the_next_probe() {
        let breaker = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..THRESHOLD {
            breaker.no_server(t0, "refused");
        }
        let due = t0 + COOL_DOWN;
        assert_eq!(breaker.admit(due), Ok(()));
        // The probe timed out (neither counted nor an answer): no further probe until due again.
        assert!(breaker.admit(due + COOL_DOWN - MS).is_err());
        assert_eq!(breaker.admit(due + COOL_DOWN), Ok(()));
    }
}
