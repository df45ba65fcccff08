//! `state.json`: the last known state per version, rewritten atomically.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Outcome, RecordError, STATE_FILE, io, now_rfc3339};
use crate::action::Action;
use crate::manifest::Key;
use crate::observe::{MnpKey, Observation, Observed, Program, Review};

/// What the records know of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEntry {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub region: Option<String>,
    /// The last known platform state.
    pub observed: Observed,
    pub last_action: Option<Action>,
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
    /// Approval numbers known for this version, newest first (from the last listing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    /// The approval mnpsync created for this version, once known (the claim rule, or an answer
    /// that names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_approval: Option<String>,
    /// A submit was sent whose approval is not identified yet: the approval numbers known
    /// before it was sent. The first listing with a number outside them settles it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_claim: Option<Vec<String>>,
    /// The manifest root the version was last declared under (`reconcile::Root::id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The reviewer's decision as last listed (approved or rejected versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// The undocumented status code last listed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_code: Option<i64>,
    /// The API the version was last declared for (`spec.api`), so a prune goes through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<crate::tcmpp::Api>,
    /// When mnpsync first saw the version approved (RFC 3339), for the approval-to-release
    /// time; cleared when it is seen otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_seen_at: Option<String>,
    /// Transitions already announced (`approved:NO`, `attention:HASH`, …), newest last, at
    /// most [`ANNOUNCED_KEPT`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub announced: Vec<String>,
}

/// At most this many announced transitions are kept per version.
pub const ANNOUNCED_KEPT: usize = 32;

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
            approvals: Vec::new(),
            owned_approval: None,
            pending_claim: None,
            root: None,
            review: None,
            unknown_code: None,
            api: None,
            approved_seen_at: None,
            announced: Vec::new(),
        }
    }
}

/// The `state.json` format this mnpsync writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 2;

/// Writes `state.json` atomically: a temporary file in the same directory, fsync, rename.
///
/// # Errors
/// I/O errors, with the path.
pub(crate) fn write_atomic(dir: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    #[cfg(test)]
    tests::note_writer(dir);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(STATE_FILE);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(&path))?;
    tmp.as_file().sync_all().map_err(io(&path))?;
    tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
    if let Ok(d) = File::open(dir) {
        // Makes the rename durable; not every platform allows fsync on a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

/// `state.json`: the last known state per version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub format_version: u32,
    /// The last journal line (`seq`) this checkpoint reflects.
    #[serde(default)]
    pub journal_seq: u64,
    pub entries: BTreeMap<Key, StateEntry>,
    /// Ids of saved plans already applied (newest last), so a plan file is applied only once.
    #[serde(default)]
    pub applied_plans: Vec<String>,
    /// What the last listings showed of each mini program a manifest names, by
    /// `PLATFORM/MNPID`: versions, phases, version strings (the last resolution of a declared
    /// version string) and, once read, the released history.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub programs: BTreeMap<String, Program>,
}

impl Default for State {
    fn default() -> Self {
        State {
            format_version: FORMAT_VERSION,
            journal_seq: 0,
            entries: BTreeMap::new(),
            applied_plans: Vec::new(),
            programs: BTreeMap::new(),
        }
    }
}

impl State {
    /// Reads `state.json` as it is on disk (a missing file is an empty state). Older formats
    /// are read as they are (opening [`super::Records`] upgrades them); a newer one is refused.
    ///
    /// # Errors
    /// I/O errors; a file that is not a state file; [`RecordError::Newer`].
    pub fn load(dir: &Path) -> Result<State, RecordError> {
        let path = dir.join(STATE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => return Err(io(&path)(e)),
        };
        let corrupt = |message: String| RecordError::Corrupt {
            path: path.clone(),
            message,
        };
        #[derive(Deserialize)]
        struct Version {
            format_version: u64,
        }
        let version: Version =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if version.format_version > u64::from(FORMAT_VERSION) {
            return Err(RecordError::Newer {
                path,
                found: version.format_version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))
    }

    /// The bytes of `state.json`.
    ///
    /// # Errors
    /// Serialization errors (none in practice).
    pub(crate) fn encode(&self, dir: &Path) -> Result<Vec<u8>, RecordError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| RecordError::Corrupt {
            path: dir.join(STATE_FILE),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Writes `state.json` atomically: a temporary file in the same directory, fsync, rename.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn save(&self, dir: &Path) -> Result<(), RecordError> {
        write_atomic(dir, &self.encode(dir)?)
    }

    /// The mini programs the records know, for planning without refresh.
    pub fn programs(&self) -> BTreeMap<MnpKey, Program> {
        crate::observe::from_names(&self.programs)
    }

    /// Takes in what a refresh saw of mini programs. A listing replaces the versions; a
    /// released history is kept until a new one is read, and the online version counts as
    /// released.
    pub(crate) fn note_programs(&mut self, seen: &BTreeMap<MnpKey, Program>) {
        for (key, program) in seen {
            let entry = self.programs.entry(key.to_string()).or_default();
            let mut released = program.released.clone().or_else(|| entry.released.clone());
            if let (Some(released), Ok(crate::observe::Online::Version(id))) =
                (released.as_mut(), program.online())
            {
                released.insert(id);
            }
            *entry = Program {
                versions: program.versions.clone(),
                released,
            };
        }
    }

    /// The observed state that the records know, for planning without refresh.
    pub fn observed(&self) -> BTreeMap<Key, Observation> {
        self.entries
            .iter()
            .map(|(k, e)| {
                let observation = Observation {
                    status: e.observed,
                    approvals: e.approvals.clone(),
                    mnp_id: None,
                    unknown_code: e.unknown_code,
                    review: e.review.clone(),
                };
                (k.clone(), observation)
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Which thread wrote a state file into which directory, for the test that checkpoints
    /// stay off the async runtime.
    pub(crate) static WRITERS: std::sync::Mutex<Vec<(std::thread::ThreadId, std::path::PathBuf)>> =
        std::sync::Mutex::new(Vec::new());

    pub(crate) fn note_writer(dir: &Path) {
        WRITERS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((std::thread::current().id(), dir.to_path_buf()));
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
                last_action: Some(Action::Submit),
                last_outcome: Some(Outcome::Submitted),
                submitted_by_mnpsync: true,
                updated_at: now_rfc3339(),
                commit: None,
                request_id: Some("r".into()),
                error_code: None,
                message: None,
                approvals: vec!["a1".into()],
                owned_approval: Some("a1".into()),
                pending_claim: None,
                root: Some("manifests".into()),
                review: None,
                unknown_code: None,
                api: None,
                approved_seen_at: Some("2026-11-29T00:00:00Z".into()),
                announced: vec!["approved:A1".into()],
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
    fn a_newer_format_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            r#"{"format_version": 99, "entries": {}}"#,
        )
        .unwrap();
        let err = State::load(dir.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: written by a newer mnpsync (format_version 99; this one reads up to 2); upgrade mnpsync or use another state directory",
                dir.path().join(STATE_FILE).display()
            )
        );
    }
}
