//! Durable records in the state directory: the append-only `journal.jsonl`, the atomically
//! rewritten `state.json`, the advisory `lock` held by `apply` and `watch`, and [`Records`], the
//! one owner of the in-memory state while a run writes it.
//!
//! Never holds or writes secrets: only keys, names, outcomes, codes, messages and RequestIds.
//!
//! The journal is the source of truth, as a write-ahead log is: every change that matters for
//! ownership and outcomes is a journal line first, and the state is those lines folded
//! (`fold`). `state.json` is a checkpoint that records how far into the journal it reflects
//! (`journal_seq`); opening a state directory replays the lines past that point, so a crash
//! (kill -9) loses nothing that was journaled. After a checkpoint a large journal is rotated
//! (`journal.1.jsonl` …, a bounded number kept).
//!
//! - `journal`: appending (numbered lines), reading and rotating `journal.jsonl`.
//! - `fold`: how one journal line changes the state — used live and in replay alike.
//! - `state`: `state.json` and its entries; format upgrades and refusals.
//! - `lock`: the state-directory lock.
//! - `records`: [`Records`] — what a run observed and did, kept in the state and the journal.

mod fold;
mod journal;
mod lock;
mod records;
mod state;

pub(crate) use journal::Journal;
pub use journal::{read_journal, read_journal_all};
pub use lock::Lock;
pub use records::{Records, RecordsConfig, Recovery, recover};
pub use state::{FORMAT_VERSION, State, StateEntry};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::manifest::Key;

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const STATE_FILE: &str = "state.json";
pub const LOCK_FILE: &str = "lock";

/// How an action ended. Exactly one per action.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Submitted,
    AlreadyInPlace,
    Cancelled,
    AlreadyCancelled,
    Blocked,
    Failed,
    Released,
    /// `FailedOperation.MNPVersionReleased`, confirmed: the version is online already.
    AlreadyReleased,
    RolledBack,
}

impl Outcome {
    /// Whether the desired state now holds.
    pub fn converged(self) -> bool {
        !matches!(self, Outcome::Blocked | Outcome::Failed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Submitted => "submitted",
            Outcome::AlreadyInPlace => "already_in_place",
            Outcome::Cancelled => "cancelled",
            Outcome::AlreadyCancelled => "already_cancelled",
            Outcome::Blocked => "blocked",
            Outcome::Failed => "failed",
            Outcome::Released => "released",
            Outcome::AlreadyReleased => "already_released",
            Outcome::RolledBack => "rolled_back",
        }
    }

    pub const ALL: [Outcome; 9] = [
        Outcome::Submitted,
        Outcome::AlreadyInPlace,
        Outcome::Cancelled,
        Outcome::AlreadyCancelled,
        Outcome::Blocked,
        Outcome::Failed,
        Outcome::Released,
        Outcome::AlreadyReleased,
        Outcome::RolledBack,
    ];
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `intent` (before a call), `outcome` (after it), or `claim` (an approval number confirmed as
/// the one a submit of mnpsync's created, DESIGN.md §4).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Intent,
    Outcome,
    Claim,
    /// A transition (its id in `message`, e.g. `approved:A12`) was announced: its notification
    /// was delivered or finally dropped, or it was the silent baseline. Never announced again.
    Announced,
}

/// One line of `journal.jsonl`: the write-ahead log that `state.json` checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    /// Position in the journal, from 1; 0 on lines written before the journal was numbered.
    #[serde(default)]
    pub seq: u64,
    /// RFC 3339, UTC.
    pub ts: String,
    pub run_id: String,
    pub event: Event,
    pub key: Key,
    pub name: String,
    pub action: Action,
    pub outcome: Option<Outcome>,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub duration_ms: u64,
    pub commit: Option<String>,
    /// The version's `spec.region`, so a replayed entry keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// On a submit's intent: the approval numbers known for the version before it was sent
    /// (the claim rule's baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_baseline: Option<Vec<String>>,
    /// On a claim (or an answer that names it): the approval number that is mnpsync's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_no: Option<String>,
}

/// Errors of the state directory.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("state directory {dir} is locked by pid {pid}")]
    Locked { dir: String, pid: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid state file: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "{path}: written by a newer mnpsync (format_version {found}; this one reads up to {supported}); upgrade mnpsync or use another state directory"
    )]
    Newer {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
    #[error("state directory {path} is a file, not a directory; pass --state-dir a directory")]
    NotADirectory { path: PathBuf },
    #[error("state directory {path} cannot be written ({source}); nothing was sent")]
    NotWritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Proves `dir` usable before anything is sent: a directory (created if missing) in which a
/// file can be created, written and removed.
pub(crate) fn check_dir(dir: &Path) -> Result<(), RecordError> {
    if dir.exists() && !dir.is_dir() {
        return Err(RecordError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let not_writable = |source| RecordError::NotWritable {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    let mut probe = tempfile::NamedTempFile::new_in(dir).map_err(not_writable)?;
    std::io::Write::write_all(&mut probe, b"probe").map_err(not_writable)?;
    probe.as_file().sync_all().map_err(not_writable)?;
    probe.close().map_err(not_writable)
}

/// A UTC RFC 3339 timestamp of now.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
