//! `state.json`: the last known state per version, rewritten atomically.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Outcome, RecordError, STATE_FILE, io, now_rfc3339};
use crate::manifest::Key;
use crate::plan::Observed;
use crate::tcmpp::model::ApplyAction;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
