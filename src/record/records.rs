//! [`Records`]: the records one run writes — the journal and the state, in one state directory.
//!
//! The only place that changes the in-memory [`State`] while a run is going on: what a refresh
//! observed, what each action did (and so which approvals are mnpsync's own), which saved plans
//! were applied. Nobody else locks the state; readers take a [`Records::snapshot`] or
//! [`Records::read`] it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::{Journal, JournalLine, Outcome, RecordError, State, StateEntry, now_rfc3339};
use crate::apply::ActionResult;
use crate::manifest::Key;
use crate::plan::{Observed, Plan, observed_after};

/// Saved plan ids remembered in the state file.
const APPLIED_PLANS_KEPT: usize = 100;

/// The journal and the state of one state directory, shared by the actions of a run.
#[derive(Debug)]
pub struct Records {
    dir: PathBuf,
    journal: Journal,
    state: Mutex<State>,
}

impl Records {
    /// Opens the journal and reads the state of `dir`.
    ///
    /// # Errors
    /// I/O errors; a corrupt state file.
    pub fn open(dir: &Path) -> Result<Records, RecordError> {
        Ok(Records {
            dir: dir.to_path_buf(),
            journal: Journal::open(dir)?,
            state: Mutex::new(State::load(dir)?),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> State {
        self.state().clone()
    }

    /// Reads the current state without copying it.
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state())
    }

    /// Writes the state file and syncs the journal.
    ///
    /// # Errors
    /// I/O errors.
    pub fn flush(&self) -> Result<(), RecordError> {
        let snapshot = self.snapshot();
        snapshot.save(&self.dir)?;
        self.journal.sync()
    }

    /// Appends one journal line.
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) fn append(&self, line: &JournalLine) -> Result<(), RecordError> {
        self.journal.append(line)
    }

    /// Whether the saved plan `id` was applied from this state directory.
    pub(crate) fn plan_applied(&self, id: &str) -> bool {
        self.state().applied_plans.iter().any(|p| p == id)
    }

    /// Remembers that the saved plan `id` was applied (the last [`APPLIED_PLANS_KEPT`]).
    pub(crate) fn mark_plan_applied(&self, id: String) {
        let mut state = self.state();
        state.applied_plans.push(id);
        let excess = state.applied_plans.len().saturating_sub(APPLIED_PLANS_KEPT);
        state.applied_plans.drain(..excess);
    }

    /// Records what a refresh or plan saw, keeping names and labels current.
    pub(crate) fn observe(&self, plan: &Plan, labels: &BTreeMap<Key, BTreeMap<String, String>>) {
        let mut state = self.state();
        let now = now_rfc3339();
        for r in &plan.resources {
            let entry = state
                .entries
                .entry(r.key.clone())
                .or_insert_with(|| StateEntry {
                    commit: plan.commit.clone(),
                    ..StateEntry::new(&r.name, r.region.clone(), r.observed)
                });
            if !r.pruned {
                entry.name = r.name.clone();
                entry.region = r.region.clone();
                entry.labels = labels.get(&r.key).cloned().unwrap_or_default();
            }
            if r.observed != Observed::Unknown && plan.refreshed {
                if entry.observed != r.observed {
                    entry.updated_at = now.clone();
                }
                entry.observed = r.observed;
                if matches!(r.observed, Observed::None | Observed::Cancelled) {
                    entry.submitted_by_mnpsync = false;
                }
            }
        }
    }

    /// Records one action's outcome in the state (the journal line is the caller's).
    pub(crate) fn record_outcome(
        &self,
        result: &ActionResult,
        commit: &Option<String>,
        region: &Option<String>,
    ) {
        let mut state = self.state();
        let entry = state
            .entries
            .entry(result.key.clone())
            .or_insert_with(|| StateEntry::new(&result.name, region.clone(), Observed::Unknown));
        entry.last_action = Some(result.action);
        entry.last_outcome = Some(result.outcome);
        entry.updated_at = now_rfc3339();
        entry.commit = commit.clone();
        entry.request_id = result.request_id.clone();
        entry.error_code = result.error_code.clone();
        entry.message = result.message.clone();
        if result.outcome.converged() {
            entry.observed = observed_after(result.action);
            // `already_in_place` may be someone else's approval: keep what the records knew, so
            // that `--prune` only ever cancels what mnpsync itself submitted.
            entry.submitted_by_mnpsync = match result.outcome {
                Outcome::Submitted => true,
                Outcome::AlreadyInPlace => entry.submitted_by_mnpsync,
                _ => false,
            };
        }
    }
}
