//! Durable records in the state directory: the append-only `journal.jsonl`, the atomically
//! rewritten `state.json`, and the advisory `lock` held by `apply` and `watch`.
//!
//! Never holds or writes secrets: only keys, names, outcomes, codes, messages and RequestIds.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::manifest::Key;
use crate::plan::Observed;
use crate::tcmpp::model::ApplyAction;

pub const JOURNAL_FILE: &str = "journal.jsonl";
pub const STATE_FILE: &str = "state.json";
pub const LOCK_FILE: &str = "lock";

/// How an action ended. Exactly one per action.
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The advisory lock on a state directory, released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock at once or fails naming the holder's pid.
    ///
    /// # Errors
    /// [`RecordError::Locked`] when another process holds it; I/O errors.
    pub fn acquire(dir: &Path) -> Result<Lock, RecordError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "unknown".to_string());
                return Err(RecordError::Locked {
                    dir: dir.display().to_string(),
                    pid,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
        }
        file.set_len(0).map_err(io(&path))?;
        writeln!(file, "{}", std::process::id()).map_err(io(&path))?;
        file.flush().map_err(io(&path))?;
        Ok(Lock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The append-only journal. Each line is written with one `write` call, so a crash leaves at
/// most a torn last line, which [`read_journal`] tolerates.
#[derive(Debug)]
pub struct Journal {
    file: Mutex<File>,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating) the journal of a state directory for appending.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn open(dir: &Path) -> Result<Journal, RecordError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(JOURNAL_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io(&path))?;
        // A crash may have left a torn line without its newline; start on a fresh line so the
        // next record stays parseable.
        let len = file.metadata().map_err(io(&path))?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            let mut reader = &file;
            reader.seek(SeekFrom::Start(len - 1)).map_err(io(&path))?;
            reader.read_exact(&mut last).map_err(io(&path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io(&path))?;
            }
        }
        Ok(Journal {
            file: Mutex::new(file),
            path,
        })
    }

    /// Appends one line.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn append(&self, line: &JournalLine) -> Result<(), RecordError> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| RecordError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&bytes).map_err(io(&self.path))
    }

    /// Flushes the journal to stable storage.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn sync(&self) -> Result<(), RecordError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.sync_data().map_err(io(&self.path))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads every complete line of a journal; a torn or garbled line is skipped and counted.
///
/// # Errors
/// I/O errors other than a missing file (which reads as empty).
pub fn read_journal(dir: &Path) -> Result<(Vec<JournalLine>, usize), RecordError> {
    let path = dir.join(JOURNAL_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(&path)(e)),
    };
    let mut lines = Vec::new();
    let mut skipped = 0;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(io(&path))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(&line) {
            Ok(parsed) => lines.push(parsed),
            Err(_) => skipped += 1,
        }
    }
    Ok((lines, skipped))
}

/// What the records know of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEntry {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub region: Option<String>,
    /// The last known platform state.
    pub observed: Observed,
    pub last_action: Option<ApplyAction>,
    pub last_outcome: Option<Outcome>,
    /// Whether mnpsync's own submit put an approval in place and no cancel followed: the only
    /// versions that `--prune` may cancel.
    #[serde(default)]
    pub submitted_by_mnpsync: bool,
    pub updated_at: String,
    pub commit: Option<String>,
    pub request_id: Option<String>,
    pub error_code: Option<String>,
    pub message: Option<String>,
}

impl StateEntry {
    /// A version the records learn of now, with nothing done to it yet.
    pub fn new(name: &str, region: Option<String>, observed: Observed) -> StateEntry {
        StateEntry {
            name: name.to_string(),
            labels: BTreeMap::new(),
            region,
            observed,
            last_action: None,
            last_outcome: None,
            submitted_by_mnpsync: false,
            updated_at: now_rfc3339(),
            commit: None,
            request_id: None,
            error_code: None,
            message: None,
        }
    }
}

/// `state.json`: the last known state per version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub format_version: u32,
    pub entries: BTreeMap<Key, StateEntry>,
    /// Ids of saved plans already applied (newest last), so a plan file is applied only once.
    #[serde(default)]
    pub applied_plans: Vec<String>,
}

impl Default for State {
    fn default() -> Self {
        State {
            format_version: 1,
            entries: BTreeMap::new(),
            applied_plans: Vec::new(),
        }
    }
}

impl State {
    /// Reads `state.json`; a missing file is an empty state.
    ///
    /// # Errors
    /// I/O errors; a file that is not a state file.
    pub fn load(dir: &Path) -> Result<State, RecordError> {
        let path = dir.join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| RecordError::Corrupt {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Writes `state.json` atomically: a temporary file in the same directory, fsync, rename.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn save(&self, dir: &Path) -> Result<(), RecordError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(STATE_FILE);
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| RecordError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        tmp.write_all(&bytes).map_err(io(&path))?;
        tmp.write_all(b"\n").map_err(io(&path))?;
        tmp.as_file().sync_all().map_err(io(&path))?;
        tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
        if let Ok(d) = File::open(dir) {
            // Makes the rename durable; not every platform allows fsync on a directory.
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// The observed state that the records know, for planning without refresh.
    pub fn observed(&self) -> BTreeMap<Key, Observed> {
        self.entries
            .iter()
            .map(|(k, e)| (k.clone(), e.observed))
            .collect()
    }
}

/// A UTC RFC 3339 timestamp of now.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(event: Event, outcome: Option<Outcome>) -> JournalLine {
        JournalLine {
            ts: "2026-01-01T00:00:00Z".into(),
            run_id: "r".into(),
            event,
            key: Key::new("P", 1),
            name: "n".into(),
            action: ApplyAction::Submit,
            outcome,
            error_code: None,
            message: None,
            request_id: Some("req".into()),
            attempts: 1,
            duration_ms: 3,
            commit: None,
        }
    }

    #[test]
    fn journal_round_trips_and_tolerates_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path()).unwrap();
        j.append(&line(Event::Intent, None)).unwrap();
        j.append(&line(Event::Outcome, Some(Outcome::Submitted)))
            .unwrap();
        drop(j);
        let path = dir.path().join(JOURNAL_FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"ts\":\"2026").unwrap();
        drop(f);
        let (lines, skipped) = read_journal(dir.path()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(skipped, 1);
        assert_eq!(lines[1].outcome, Some(Outcome::Submitted));
        // Reopening after the tear starts a fresh line, so the next record parses.
        let j = Journal::open(dir.path()).unwrap();
        j.append(&line(Event::Intent, None)).unwrap();
        let (lines, skipped) = read_journal(dir.path()).unwrap();
        assert_eq!((lines.len(), skipped), (3, 1));
    }

    #[test]
    fn journal_line_has_the_documented_fields() {
        let v = serde_json::to_value(line(Event::Outcome, Some(Outcome::AlreadyInPlace))).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                "action",
                "attempts",
                "commit",
                "duration_ms",
                "error_code",
                "event",
                "key",
                "message",
                "name",
                "outcome",
                "request_id",
                "run_id",
                "ts"
            ]
        );
        assert_eq!(v["outcome"], "already_in_place");
        assert_eq!(v["key"], "P/1");
        assert_eq!(v["event"], "outcome");
    }

    #[test]
    fn state_saves_atomically_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), State::default());
        let mut s = State::default();
        s.entries.insert(
            Key::new("P", 2),
            StateEntry {
                name: "n".into(),
                labels: Default::default(),
                region: None,
                observed: Observed::Processing,
                last_action: Some(ApplyAction::Submit),
                last_outcome: Some(Outcome::Submitted),
                submitted_by_mnpsync: true,
                updated_at: now_rfc3339(),
                commit: None,
                request_id: Some("r".into()),
                error_code: None,
                message: None,
            },
        );
        s.save(dir.path()).unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), s);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            vec!["state.json".to_string()],
            "no temp file left behind"
        );
        std::fs::write(dir.path().join(STATE_FILE), "{not json").unwrap();
        let err = State::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a valid state file"), "{err}");
    }

    #[test]
    fn second_lock_fails_naming_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let held = Lock::acquire(dir.path()).unwrap();
        let err = Lock::acquire(dir.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "state directory {} is locked by pid {}",
                dir.path().display(),
                std::process::id()
            )
        );
        drop(held);
        Lock::acquire(dir.path()).unwrap();
    }
}
