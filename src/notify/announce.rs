//! The pipeline's side of notifications: after each reconcile, detect its events
//! ([`super::detect`]), record the silent baseline at once, hand one batch to the [`Notifier`],
//! and record each announced transition once its message is settled (delivered or finally
//! dropped by every sink) — through the journal, so a restart never announces it again.
//!
//! Never slows or fails a reconcile: enqueueing does not block; settled runs are recorded by
//! [`Announcer::settle`], which the caller runs after a reconcile and before it exits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::deliver::{Count, Notifier, NotifierConfig, Report};
use super::detect::{Input, Transition, detect};
use super::event::Batch;
use super::sink::Sink;
use crate::record::{RecordError, Records};

/// One reconcile's batch waiting for its sinks' final results.
struct Pending {
    commit: Option<String>,
    /// Sinks that have not reported yet.
    remaining: usize,
    transitions: Vec<Transition>,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sinks by their redacted names only.
        f.debug_struct("Announcer")
            .field("sinks", &self.notifier.sinks())
            .finish_non_exhaustive()
    }
}

/// Detects, sends and records one reconcile's notifications at a time.
pub struct Announcer {
    notifier: Notifier,
    pending: Mutex<HashMap<String, Pending>>,
    /// Run ids whose every sink reported, filled by the notifier's report callback.
    settled: Arc<Mutex<Vec<String>>>,
}

impl Announcer {
    /// Starts delivery to `sinks`. `config.on_report`, when set, is still called for every
    /// report.
    ///
    /// # Errors
    /// As [`Notifier::spawn`].
    pub fn spawn(
        sinks: Vec<Sink>,
        mut config: NotifierConfig,
    ) -> Result<Announcer, super::BuildError> {
        let settled: Arc<Mutex<Vec<String>>> = Arc::default();
        let reports = settled.clone();
        let chained = config.on_report.take();
        config.on_report = Some(Arc::new(move |report: &Report| {
            reports
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(report.run_id.clone());
            if let Some(next) = &chained {
                next(report);
            }
        }));
        Ok(Announcer {
            notifier: Notifier::spawn(sinks, config)?,
            pending: Mutex::default(),
            settled,
        })
    }

    /// Detects what the reconcile described by `input` (with this `run_id` and `commit`) has
    /// to say, records the baseline, and queues one message per sink. Returns how many events
    /// were queued.
    ///
    /// # Errors
    /// Writing the baseline's journal lines.
    pub fn announce(
        &self,
        records: &Records,
        input: Input<'_>,
        run_id: &str,
        commit: Option<String>,
    ) -> Result<usize, RecordError> {
        let detected = detect(&input);
        records.announced(&detected.baseline, run_id, commit.clone())?;
        if detected.events.is_empty() {
            return Ok(0);
        }
        let events = detected.events.len();
        let queued = self.notifier.enqueue(Batch {
            run_id: run_id.to_string(),
            commit: commit.clone(),
            events: detected.events,
        });
        if queued == 0 {
            // No sink takes these kinds (the event filter): nothing will ever be sent.
            records.announced(&detected.announce, run_id, commit)?;
            return Ok(0);
        }
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                run_id.to_string(),
                Pending {
                    commit,
                    remaining: queued,
                    transitions: detected.announce,
                },
            );
        Ok(events)
    }

    /// Records the transitions of every batch all of whose sinks reported.
    ///
    /// # Errors
    /// Writing the journal.
    pub fn settle(&self, records: &Records) -> Result<(), RecordError> {
        let reported: Vec<String> =
            std::mem::take(&mut *self.settled.lock().unwrap_or_else(|p| p.into_inner()));
        let mut done = Vec::new();
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for run in reported {
                if let Some(p) = pending.get_mut(&run) {
                    p.remaining = p.remaining.saturating_sub(1);
                    if p.remaining == 0
                        && let Some(p) = pending.remove(&run)
                    {
                        done.push((run, p));
                    }
                }
            }
        }
        for (run, p) in done {
            records.announced(&p.transitions, &run, p.commit)?;
        }
        Ok(())
    }

    /// Waits for queued messages, at most `deadline`, then records what settled; returns how
    /// many messages are still pending.
    ///
    /// # Errors
    /// Writing the journal.
    pub async fn drain(&self, records: &Records, deadline: Duration) -> Result<usize, RecordError> {
        let left = self.notifier.drain(deadline).await;
        self.settle(records)?;
        Ok(left)
    }

    /// `mnpsync_notifications_total{sink,result}`.
    pub fn counts(&self) -> Vec<Count> {
        self.notifier.counts()
    }
}
