//! When to reconcile: the triggers, how a reconcile ended, and the [`Schedule`] that decides
//! which trigger runs next (coalescing, interval jitter, backoff after failures). Pure values:
//! the loop passes the time and the random draws in.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::apply::{ActionResult, ApplyReport};
use crate::record::Outcome;
use crate::tcmpp::{ApiError, Class, RetryPolicy, classify};

use super::{INTERVAL_JITTER, RETRY_BASE};

/// Why a reconcile runs. Ordered by precedence: when several are due, the greatest runs, and it
/// covers the others (every reconcile reloads the manifests and refreshes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Trigger {
    /// Manifest files changed (debounced).
    FilesChanged,
    /// The backoff after a failed reconcile ran out.
    Retry,
    /// The drift-correction period ran out.
    Interval,
    /// The process started.
    Start,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::FilesChanged => "files changed",
            Trigger::Retry => "retry",
            Trigger::Interval => "interval",
            Trigger::Start => "start",
        }
    }

    /// Whether `--git-pull` pulls before this reconcile.
    pub fn pulls(self) -> bool {
        matches!(self, Trigger::Start | Trigger::Interval)
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one reconcile ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reconciled {
    /// Planned and applied; every action converged (or none was needed).
    Converged { actions: usize },
    /// Planned and applied; some actions are blocked or were rejected: a person must act, so
    /// only the next interval tries again.
    Unconverged { actions: usize, unconverged: usize },
    /// Could not finish (refresh failed, auth failure, transient failures, records I/O): retried
    /// with backoff.
    Failed { reason: String },
    /// The prune guard refused the plan; nothing was applied.
    Refused { reason: String },
    /// Nothing to do: the manifest set is invalid with no valid set to fall back on, or a file
    /// event left the manifests as they were last reconciled.
    Skipped { reason: String },
    /// Shutdown stopped it.
    Interrupted,
}

impl Reconciled {
    /// The `result` label of `mnpsync_reconciles_total`, for reconciles that count.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            Reconciled::Converged { .. } => Some("success"),
            Reconciled::Unconverged { .. } => Some("unconverged"),
            Reconciled::Failed { .. } => Some("error"),
            Reconciled::Refused { .. } => Some("refused"),
            Reconciled::Skipped { .. } | Reconciled::Interrupted => None,
        }
    }

    /// Whether the reconcile ran to its end (what health measures).
    pub fn finished(&self) -> bool {
        matches!(
            self,
            Reconciled::Converged { .. } | Reconciled::Unconverged { .. }
        )
    }
}

/// When the next reconcile runs. Pure: the loop passes the time and random draws in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Schedule {
    pub interval: Duration,
    /// The first reconcile has not run yet.
    pub start_pending: bool,
    pub next_interval: Instant,
    pub retry_at: Option<Instant>,
    /// Failed reconciles in a row.
    pub failures: u32,
}

impl Schedule {
    /// A schedule whose first trigger is [`Trigger::Start`].
    pub fn new(now: Instant, interval: Duration) -> Schedule {
        Schedule {
            interval,
            start_pending: true,
            next_interval: now + interval,
            retry_at: None,
            failures: 0,
        }
    }

    /// The trigger to run at `now`, if any: the one of highest precedence among those due.
    /// `files_changed` says whether relevant file events arrived since the last reconcile began.
    pub fn due(&self, now: Instant, files_changed: bool) -> Option<Trigger> {
        if self.start_pending {
            Some(Trigger::Start)
        } else if now >= self.next_interval {
            Some(Trigger::Interval)
        } else if self.retry_at.is_some_and(|at| now >= at) {
            Some(Trigger::Retry)
        } else if files_changed {
            Some(Trigger::FilesChanged)
        } else {
            None
        }
    }

    /// When a timer trigger is due next.
    pub fn next_deadline(&self) -> Instant {
        match self.retry_at {
            Some(at) => at.min(self.next_interval),
            None => self.next_interval,
        }
    }

    /// Records that the reconcile for `trigger` ended with `result` at `now`. `jitter` and
    /// `backoff` are uniform draws in `[0, 1)` (for the next interval and the retry delay).
    ///
    /// Invariant: the trigger that ran is no longer due at `now` afterwards, so the loop cannot
    /// spin.
    pub fn finished(
        &mut self,
        trigger: Trigger,
        result: &Reconciled,
        now: Instant,
        jitter: f64,
        backoff: f64,
    ) {
        if trigger == Trigger::Start {
            self.start_pending = false;
        }
        if trigger.pulls() {
            self.next_interval = now + jittered(self.interval, jitter);
        }
        if trigger == Trigger::Retry {
            self.retry_at = None;
        }
        match result {
            Reconciled::Failed { .. } => {
                self.failures = self.failures.saturating_add(1);
                self.retry_at = Some(now + retry_delay(self.failures, self.interval, backoff));
            }
            Reconciled::Converged { .. }
            | Reconciled::Unconverged { .. }
            | Reconciled::Refused { .. } => {
                self.failures = 0;
                self.retry_at = None;
            }
            Reconciled::Skipped { .. } | Reconciled::Interrupted => {}
        }
    }
}

/// `interval` ± [`INTERVAL_JITTER`], with `unit` uniform in `[0, 1)`.
pub(crate) fn jittered(interval: Duration, unit: f64) -> Duration {
    let unit = unit.clamp(0.0, 1.0);
    interval.mul_f64(1.0 + INTERVAL_JITTER * (2.0 * unit - 1.0))
}

/// The wait before retrying after `failures` failed reconciles in a row: the client's
/// exponential ceiling ([`RetryPolicy::ceiling`], base [`RETRY_BASE`], capped at `interval`)
/// with "equal jitter" (half fixed, half random), so an outage is never hammered.
pub(crate) fn retry_delay(failures: u32, interval: Duration, unit: f64) -> Duration {
    let policy = RetryPolicy {
        attempts: u32::MAX,
        base: RETRY_BASE.min(interval),
        cap: interval,
    };
    let ceiling = policy.ceiling(failures.max(1));
    ceiling.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// Whether a file-triggered reconcile can be skipped: the manifests are exactly those of the
/// last finished reconcile (an editor's temp file, a touch, a change reverted).
pub(crate) fn unchanged(trigger: Trigger, digest: &str, last_applied: Option<&str>) -> bool {
    trigger == Trigger::FilesChanged && last_applied == Some(digest)
}

/// Whether the failures in an apply are worth a retry with backoff: an early stop (auth), or a
/// failed action that is not rejected input (which needs a manifest change, not a retry).
/// Blocked actions need a person and wait for the next interval.
pub(crate) fn needs_retry(report: &ApplyReport) -> bool {
    report.stopped.is_some()
        || report
            .results
            .iter()
            .any(|r| r.outcome == Outcome::Failed && !rejected_input(r))
}

fn rejected_input(r: &ActionResult) -> bool {
    r.error_code.as_deref().is_some_and(|code| {
        let error = ApiError::Service {
            code: code.to_string(),
            message: String::new(),
            request_id: String::new(),
        };
        classify(&error, Some(r.action)) == Class::RejectedInput
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::watch::test_support::result;

    const SECOND: Duration = Duration::from_secs(1);

    fn failed() -> Reconciled {
        Reconciled::Failed {
            reason: "down".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn start_runs_first_then_the_interval_with_jitter() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 60 * SECOND);
        assert_eq!(s.due(t0, true), Some(Trigger::Start));
        s.finished(
            Trigger::Start,
            &Reconciled::Converged { actions: 1 },
            t0,
            0.5,
            0.5,
        );
        assert_eq!(s.due(t0, false), None);
        assert_eq!(s.next_deadline(), t0 + 60 * SECOND);
        // The timer the loop sleeps on fires at the deadline, not before.
        tokio::time::sleep_until(s.next_deadline()).await;
        assert_eq!(Instant::now(), t0 + 60 * SECOND);
        assert_eq!(s.due(Instant::now(), false), Some(Trigger::Interval));
        for unit in [0.0, 0.25, 0.999] {
            let d = jittered(60 * SECOND, unit);
            assert!(d >= 54 * SECOND && d <= 66 * SECOND, "{d:?}");
        }
    }

    #[test]
    fn file_changes_coalesce_into_one_reconcile_and_timers_take_precedence() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 60 * SECOND);
        s.finished(
            Trigger::Start,
            &Reconciled::Converged { actions: 0 },
            t0,
            0.5,
            0.5,
        );
        // Many events → one flag → one FilesChanged reconcile.
        assert_eq!(s.due(t0 + SECOND, true), Some(Trigger::FilesChanged));
        s.finished(
            Trigger::FilesChanged,
            &Reconciled::Converged { actions: 1 },
            t0 + SECOND,
            0.5,
            0.5,
        );
        assert_eq!(s.due(t0 + SECOND, false), None);
        // A file change while the interval is due: the interval runs and covers it.
        assert_eq!(s.due(t0 + 61 * SECOND, true), Some(Trigger::Interval));
        // A file-triggered reconcile does not move the interval (so --git-pull still happens).
        assert_eq!(s.next_interval, t0 + 60 * SECOND);
        assert!(Trigger::Start > Trigger::Interval && Trigger::Interval > Trigger::Retry);
        assert!(Trigger::Retry > Trigger::FilesChanged);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_interval_and_success_resets() {
        let t0 = Instant::now();
        let interval = 60 * SECOND;
        let mut s = Schedule::new(t0, interval);
        s.finished(Trigger::Start, &failed(), t0, 0.5, 1.0);
        assert_eq!(s.failures, 1);
        assert_eq!(s.retry_at, Some(t0 + SECOND));
        assert_eq!(s.due(t0 + SECOND, false), Some(Trigger::Retry));
        let mut now = t0 + SECOND;
        let mut waits = Vec::new();
        for _ in 0..8 {
            s.finished(Trigger::Retry, &failed(), now, 0.5, 1.0);
            let at = s.retry_at.unwrap();
            waits.push((at - now).as_secs());
            now = at;
        }
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(s.failures, 9);
        s.finished(
            Trigger::Retry,
            &Reconciled::Converged { actions: 0 },
            now,
            0.5,
            0.5,
        );
        assert_eq!((s.failures, s.retry_at), (0, None));
        // Equal jitter: never less than half the ceiling.
        assert_eq!(retry_delay(3, interval, 0.0), 2 * SECOND);
        assert_eq!(retry_delay(3, interval, 1.0), 4 * SECOND);
        // Short intervals cap the base too.
        assert_eq!(retry_delay(1, SECOND, 1.0), SECOND);
    }

    #[test]
    fn the_trigger_that_ran_is_never_due_again_at_once() {
        let t0 = Instant::now();
        let results = [
            Reconciled::Converged { actions: 0 },
            Reconciled::Unconverged {
                actions: 1,
                unconverged: 1,
            },
            failed(),
            Reconciled::Refused { reason: "r".into() },
            Reconciled::Skipped { reason: "s".into() },
            Reconciled::Interrupted,
        ];
        for result in &results {
            for trigger in [Trigger::Start, Trigger::Interval, Trigger::Retry] {
                let mut s = Schedule::new(t0, 10 * SECOND);
                s.start_pending = trigger == Trigger::Start;
                s.next_interval = if trigger == Trigger::Interval {
                    t0
                } else {
                    t0 + SECOND
                };
                s.retry_at = (trigger == Trigger::Retry).then_some(t0);
                assert_eq!(s.due(t0, false), Some(trigger));
                s.finished(trigger, result, t0, 0.5, 0.0);
                assert_eq!(s.due(t0, false), None, "{trigger:?} after {result:?}");
            }
        }
    }

    #[test]
    fn unchanged_manifests_skip_only_file_triggered_reconciles() {
        assert!(unchanged(Trigger::FilesChanged, "d1", Some("d1")));
        assert!(!unchanged(Trigger::FilesChanged, "d2", Some("d1")));
        assert!(!unchanged(Trigger::FilesChanged, "d1", None));
        assert!(!unchanged(Trigger::Interval, "d1", Some("d1")));
        assert!(!unchanged(Trigger::Retry, "d1", Some("d1")));
    }

    fn apply_report(results: Vec<ActionResult>, stopped: Option<&str>) -> ApplyReport {
        ApplyReport {
            format_version: 1,
            run_id: "r".into(),
            commit: None,
            results,
            summary: BTreeMap::new(),
            stopped: stopped.map(str::to_string),
            attention: Vec::new(),
            held: Vec::new(),
        }
    }

    #[test]
    fn retries_follow_the_error_classes() {
        let rows: &[(Outcome, Option<&str>, Option<&str>, bool)] = &[
            (Outcome::Submitted, None, None, false),
            (
                Outcome::Blocked,
                Some("FailedOperation.PackageAlreadyExpired"),
                None,
                false,
            ),
            (
                Outcome::Failed,
                Some("InvalidParameterValue.InvalidPlatformId"),
                None,
                false,
            ),
            (Outcome::Failed, Some("InternalError"), None, true),
            (Outcome::Failed, Some("HTTP503"), None, true),
            (Outcome::Failed, Some("FailedOperation"), None, true),
            (
                Outcome::Failed,
                Some("AuthFailure.SignatureFailure"),
                Some("auth"),
                true,
            ),
        ];
        for (outcome, code, stopped, expected) in rows {
            let report = apply_report(vec![result(*outcome, *code)], *stopped);
            assert_eq!(needs_retry(&report), *expected, "{outcome:?} {code:?}");
        }
    }
}
