//! What a watch does after each reconcile for people and for the release windows: announce
//! the reconcile's events (and record what earlier messages settled), and find when the next
//! deferred release may run.

use std::time::Duration;

use tokio::time::Instant;

use super::Watch;

impl Watch<'_> {
    /// Announces the reconcile's events and records what earlier messages settled; a
    /// notification problem is logged, never a reconcile failure.
    pub(super) fn notify(
        &self,
        before: &crate::record::State,
        applied: &crate::reconcile::Applied,
    ) {
        let Some(announcer) = &self.options.announcer else {
            return;
        };
        let input = crate::notify::detect::Input {
            before,
            plan: &applied.plan,
            observation: &applied.observation,
            results: &applied.report.results,
            attention: &applied.report.attention,
            review_sla: self.options.review_sla,
            now: (self.options.clock)(),
        };
        let recorded = announcer
            .announce(
                self.records,
                input,
                &applied.report.run_id,
                applied.report.commit.clone(),
            )
            .and_then(|_| announcer.settle(self.records));
        if let Err(e) = recorded {
            tracing::warn!("recording announced notifications failed: {e}");
        }
    }

    /// When the earliest deferred release may run, as a deadline of the loop's clock (a second
    /// after the window opens, so the window is open when it is checked).
    pub(super) fn next_window(&self, report: &crate::apply::ApplyReport) -> Option<Instant> {
        let now = (self.options.clock)();
        report
            .held
            .iter()
            .filter_map(|h| h.until.as_deref()?.parse::<jiff::Timestamp>().ok())
            .min()
            .map(|until| {
                let wait = until.duration_since(now);
                let wait = if wait.is_negative() {
                    Duration::ZERO
                } else {
                    wait.unsigned_abs()
                };
                Instant::now() + wait + Duration::from_secs(1)
            })
    }
}
