//! [`Records`]: the records one run writes — the journal and the state, in one state directory.
//!
//! The only place that changes the in-memory [`State`] while a run is going on. Every change
//! that matters for outcomes and ownership is [`Records::commit`]ted: written to the journal and
//! folded into the state under one lock, so a checkpoint never reflects a line it did not
//! write. Observations of a refresh ([`Records::observe`]) are not journaled: the next refresh
//! sees them again; a claim they confirm is. Nobody else locks the state; readers take a
//! [`Records::snapshot`] or [`Records::read`] it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::fold::fold;
use super::journal::read_journal_all;
use super::state::write_atomic;
use super::{
    Event, FORMAT_VERSION, Journal, JournalLine, RecordError, STATE_FILE, State, StateEntry, io,
    now_rfc3339,
};
use crate::action::Action;
use crate::manifest::Key;
use crate::observe::{MnpKey, Observation, Observed, Program, claimed};
use crate::plan::Plan;

/// Saved plan ids remembered in the state file.
const APPLIED_PLANS_KEPT: usize = 100;

/// How the journal is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordsConfig {
    /// Rotated journals kept (`journal.1.jsonl` … `journal.N.jsonl`), at least 1.
    pub journal_keep: usize,
    /// A checkpoint rotates a journal that has reached this many bytes.
    pub rotate_bytes: u64,
}

impl Default for RecordsConfig {
    fn default() -> Self {
        RecordsConfig {
            journal_keep: 5,
            rotate_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The journal and the state of one state directory, shared by the actions of a run.
#[derive(Debug)]
pub struct Records {
    dir: PathBuf,
    config: RecordsConfig,
    journal: Journal,
    state: Mutex<State>,
}

impl Records {
    /// [`Records::open_with`] the default journal settings.
    ///
    /// # Errors
    /// As [`Records::open_with`].
    pub fn open(dir: &Path) -> Result<Records, RecordError> {
        Records::open_with(dir, RecordsConfig::default())
    }

    /// Opens a state directory: proves it writable, reads the checkpoint, replays the journal
    /// past it, upgrades an older format in place (keeping `state.json.v1.bak`), and opens the
    /// journal for appending.
    ///
    /// # Errors
    /// [`RecordError::NotADirectory`], [`RecordError::NotWritable`], a corrupt or newer state
    /// file, I/O errors.
    pub fn open_with(dir: &Path, config: RecordsConfig) -> Result<Records, RecordError> {
        super::check_dir(dir)?;
        let (state, recovery) = recover(dir)?;
        if recovery.upgraded {
            let path = dir.join(STATE_FILE);
            if path.exists() {
                let backup = dir.join("state.json.v1.bak");
                std::fs::copy(&path, &backup).map_err(io(&backup))?;
            }
        }
        if recovery.upgraded || recovery.replayed > 0 {
            if recovery.replayed > 0 {
                tracing::info!(
                    replayed = recovery.replayed,
                    "replayed journal lines the last checkpoint did not reflect"
                );
            }
            state.save(dir)?;
        }
        Ok(Records {
            dir: dir.to_path_buf(),
            config: RecordsConfig {
                journal_keep: config.journal_keep.max(1),
                ..config
            },
            journal: Journal::open(dir, state.journal_seq + 1)?,
            state: Mutex::new(state),
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

    /// Writes a checkpoint (`state.json`, with the journal position it reflects), syncs the
    /// journal, and rotates a large journal. The file writes and fsyncs run off the async
    /// runtime.
    ///
    /// # Errors
    /// I/O errors.
    pub async fn flush(&self) -> Result<(), RecordError> {
        let (bytes, journal) = {
            let state = self.state();
            let bytes = state.encode(&self.dir)?;
            // Under the state lock no line is appended, so the rotated journal holds exactly
            // the lines up to the checkpoint (replay reads rotated journals too).
            self.journal
                .rotate_if_larger(self.config.rotate_bytes, self.config.journal_keep)?;
            (bytes, self.journal.handle()?)
        };
        let dir = self.dir.clone();
        let journal_path = dir.join(super::JOURNAL_FILE);
        let written = tokio::task::spawn_blocking(move || {
            journal.sync_data().map_err(io(&journal_path))?;
            write_atomic(&dir, &bytes)
        })
        .await;
        match written {
            Ok(result) => result,
            Err(e) => Err(RecordError::Io {
                path: self.dir.clone(),
                source: std::io::Error::other(e.to_string()),
            }),
        }
    }

    /// Journals `line` and folds it into the state, under one lock.
    ///
    /// # Errors
    /// I/O errors: the line is then neither written nor folded.
    pub(crate) fn commit(&self, mut line: JournalLine) -> Result<(), RecordError> {
        let mut state = self.state();
        let seq = self.journal.append(&mut line)?;
        fold(&mut state, &line);
        state.journal_seq = seq;
        Ok(())
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

    /// Records what a refresh or plan saw, keeping names and labels current, and settles the
    /// claims a refreshed listing confirms (each as a journaled `claim` line).
    ///
    /// # Errors
    /// I/O errors writing a claim.
    pub(crate) fn observe(
        &self,
        plan: &Plan,
        observation: &BTreeMap<Key, Observation>,
        programs: &BTreeMap<MnpKey, Program>,
        labels: &BTreeMap<Key, BTreeMap<String, String>>,
        roots: &BTreeMap<Key, String>,
        run_id: &str,
    ) -> Result<(), RecordError> {
        let mut claims = Vec::new();
        {
            let mut state = self.state();
            if plan.refreshed {
                state.note_programs(programs);
            }
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
                    if let Some(root) = roots.get(&r.key) {
                        entry.root = Some(root.clone());
                    }
                    entry.api = r.api;
                }
                if r.observed == Observed::Unknown || !plan.refreshed {
                    continue;
                }
                if entry.observed != r.observed {
                    entry.updated_at = now.clone();
                }
                entry.observed = r.observed;
                if r.observed != Observed::Approved {
                    entry.approved_seen_at = None;
                } else if entry.approved_seen_at.is_none() {
                    entry.approved_seen_at = Some(now.clone());
                }
                entry.approvals = r.approvals.clone();
                if let Some(seen) = observation.get(&r.key) {
                    entry.review = seen.review.clone();
                    entry.unknown_code = seen.unknown_code;
                }
                let seen = Observation {
                    status: r.observed,
                    approvals: r.approvals.clone(),
                    mnp_id: None,
                    ..Observation::default()
                };
                if let Some(no) = entry
                    .pending_claim
                    .as_deref()
                    .and_then(|baseline| claimed(baseline, &seen))
                {
                    claims.push((r.key.clone(), entry.name.clone(), entry.region.clone(), no));
                    continue;
                }
                settle_ownership(entry);
            }
        }
        for (key, name, region, no) in claims {
            self.commit(claim_line(
                run_id,
                plan.commit.clone(),
                key,
                name,
                region,
                no,
            ))?;
        }
        Ok(())
    }

    /// Records `transitions` (`(key, name, action, id)`) as announced, one journal line each.
    ///
    /// # Errors
    /// I/O errors writing the journal.
    pub(crate) fn announced(
        &self,
        transitions: &[crate::notify::detect::Transition],
        run_id: &str,
        commit: Option<String>,
    ) -> Result<(), RecordError> {
        for t in transitions {
            let region = self.read(|s| s.entries.get(&t.key).and_then(|e| e.region.clone()));
            self.commit(JournalLine {
                seq: 0,
                ts: now_rfc3339(),
                run_id: run_id.to_string(),
                event: Event::Announced,
                key: t.key.clone(),
                name: t.name.clone(),
                action: t.action,
                outcome: None,
                error_code: None,
                message: Some(t.id.clone()),
                request_id: None,
                attempts: 0,
                duration_ms: 0,
                commit: commit.clone(),
                region,
                claim_baseline: None,
                approval_no: None,
            })?;
        }
        Ok(())
    }

    /// Settles an open claim from a listing taken after a call (the `ExistMNPApprovalRecord`
    /// or `MNPApprovalStatusError` confirmation), if it shows the approval.
    ///
    /// # Errors
    /// I/O errors writing the claim.
    pub(crate) fn settle_claim(
        &self,
        key: &Key,
        seen: &Observation,
        run_id: &str,
        commit: Option<String>,
    ) -> Result<(), RecordError> {
        let claim = self.read(|state| {
            let entry = state.entries.get(key)?;
            let no = claimed(entry.pending_claim.as_deref()?, seen)?;
            Some((entry.name.clone(), entry.region.clone(), no))
        });
        match claim {
            Some((name, region, no)) => {
                self.commit(claim_line(run_id, commit, key.clone(), name, region, no))
            }
            None => Ok(()),
        }
    }
}

/// What [`recover`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Journal lines past the checkpoint, folded in.
    pub replayed: usize,
    /// The state file was of an older format.
    pub upgraded: bool,
}

/// The state of a state directory as its journal says: the checkpoint (`state.json`) with the
/// journal lines past it folded in. Reads only; [`Records::open`] writes the result back.
///
/// # Errors
/// A corrupt or newer state file, I/O errors.
pub fn recover(dir: &Path) -> Result<(State, Recovery), RecordError> {
    let mut state = State::load(dir)?;
    let (lines, _torn) = read_journal_all(dir)?;
    let upgraded = state.format_version < FORMAT_VERSION;
    let checkpoint = state.journal_seq;
    let mut last = checkpoint;
    let mut replayed = 0usize;
    for line in &lines {
        let replay = if line.seq > 0 {
            line.seq > checkpoint
        } else {
            // Written before the journal was numbered: replay what the old checkpoint missed
            // (an outcome newer than its entry).
            upgraded && line.event == Event::Outcome && newer_than_entry(&state, line)
        };
        if replay {
            fold(&mut state, line);
            replayed += 1;
        }
        last = last.max(line.seq);
    }
    state.journal_seq = last;
    state.format_version = FORMAT_VERSION;
    Ok((state, Recovery { replayed, upgraded }))
}

/// An approval that is not mnpsync's, or no approval at all, ends mnpsync's ownership.
fn settle_ownership(entry: &mut StateEntry) {
    if matches!(entry.observed, Observed::None | Observed::Cancelled) {
        entry.submitted_by_mnpsync = false;
    }
    if let (Some(owned), Some(latest)) = (&entry.owned_approval, entry.approvals.first())
        && owned != latest
    {
        // A newer approval for the version that mnpsync did not create is someone else's.
        entry.submitted_by_mnpsync = false;
    }
}

fn claim_line(
    run_id: &str,
    commit: Option<String>,
    key: Key,
    name: String,
    region: Option<String>,
    no: String,
) -> JournalLine {
    JournalLine {
        seq: 0,
        ts: now_rfc3339(),
        run_id: run_id.to_string(),
        event: Event::Claim,
        key,
        name,
        action: Action::Submit,
        outcome: None,
        error_code: None,
        message: Some(format!("approval {no} is the one mnpsync's submit created")),
        request_id: None,
        attempts: 0,
        duration_ms: 0,
        commit,
        region,
        claim_baseline: None,
        approval_no: Some(no),
    }
}

/// Whether an unnumbered (pre-upgrade) outcome line is newer than what the old checkpoint
/// recorded for its version.
fn newer_than_entry(state: &State, line: &JournalLine) -> bool {
    state
        .entries
        .get(&line.key)
        .is_none_or(|entry| line.ts > entry.updated_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checkpoint's writes and fsyncs run on a blocking thread, not on the runtime's.
    #[tokio::test(flavor = "current_thread")]
    async fn checkpoints_are_written_off_the_async_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let records = Records::open(dir.path()).unwrap();
        records.flush().await.unwrap();
        let runtime = std::thread::current().id();
        let writers: Vec<std::thread::ThreadId> = super::super::state::tests::WRITERS
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, d)| d == dir.path())
            .map(|(t, _)| *t)
            .collect();
        assert_eq!(writers.len(), 1, "one checkpoint written");
        assert_ne!(writers[0], runtime, "written on the runtime's own thread");
    }
}
