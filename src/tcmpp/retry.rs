//! Retries: the backoff policy ([`RetryPolicy`]), the pure retry decision ([`decide`]) and the
//! loop that carries decisions out ([`with_retries`]), with what a call comes to ([`Reply`],
//! [`CallError`]).
//!
//! Nothing here sends requests: the client hands [`with_retries`] one attempt at a time.

use std::time::Duration;

use rand::Rng;

use crate::action::Action;
use crate::tcmpp::error::{ApiError, Class, classify};

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
    apply_action: Option<Action>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::sync::atomic::Ordering;

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
        apply_action: Option<Action>,
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
        let (result, made, elapsed, clocks) = scripted(script, Some(Action::Submit)).await;
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
        let (result, made, elapsed, _) = scripted(script, Some(Action::Submit)).await;
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
                Action::Submit,
                Class::AlreadyInPlace,
            ),
            (
                "InvalidParameterValue.MNPApprovalStatusError",
                Action::Cancel,
                Class::AlreadyCancelled,
            ),
            ("AuthFailure.SignatureFailure", Action::Submit, Class::Auth),
            (
                "FailedOperation.PackageAlreadyExpired",
                Action::Submit,
                Class::Blocked,
            ),
            ("FailedOperation", Action::Submit, Class::Failed),
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
            Some(Action::Submit),
        )
        .await;
        assert_eq!(result.unwrap().attempts, 2);
        assert_eq!((made, clocks), (2, vec![1_000]));
        assert_eq!(elapsed, Duration::ZERO, "the clock retry is immediate");
        let (result, made, _, clocks) =
            scripted(vec![expired(), expired()], Some(Action::Submit)).await;
        assert_eq!(result.unwrap_err().class, Class::Clock);
        assert_eq!((made, clocks.len()), (2, 1), "retried once only");
    }
}
