//! Durable records in the state directory: the append-only `journal.jsonl`, the atomically
//! rewritten `state.json`, the advisory `lock` held by `apply` and `watch`, and [`Records`], the
//! one owner of the in-memory state while a run writes it.
//!
//! Never holds or writes secrets: only keys, names, outcomes, codes, messages and RequestIds.
//!
//! - `journal`: appending and reading `journal.jsonl`.
//! - `state`: `state.json` and its entries.
//! - `lock`: the state-directory lock.
//! - `records`: [`Records`] — what a run observed and did, kept in the state and the journal.

mod journal;
mod lock;
mod records;
mod state;

pub(crate) use journal::Journal;
pub use journal::read_journal;
pub use lock::Lock;
pub use records::Records;
pub use state::{State, StateEntry};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::Key;
use crate::tcmpp::model::ApplyAction;

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
        }
    }

    pub const ALL: [Outcome; 6] = [
        Outcome::Submitted,
        Outcome::AlreadyInPlace,
        Outcome::Cancelled,
        Outcome::AlreadyCancelled,
        Outcome::Blocked,
        Outcome::Failed,
    ];
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `intent` (before a call) or `outcome` (after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Intent,
    Outcome,
}

/// One line of `journal.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    /// RFC 3339, UTC.
    pub ts: String,
    pub run_id: String,
    pub event: Event,
    pub key: Key,
    pub name: String,
    pub action: ApplyAction,
    pub outcome: Option<Outcome>,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub duration_ms: u64,
    pub commit: Option<String>,
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
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A UTC RFC 3339 timestamp of now.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
