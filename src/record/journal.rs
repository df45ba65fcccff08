//! `journal.jsonl`: the append-only audit log of intents and outcomes, one JSON object a line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{JOURNAL_FILE, JournalLine, RecordError, io};

/// The append-only journal. Each line is written with one `write` call, so a crash leaves at
/// most a torn last line, which [`read_journal`] tolerates.
#[derive(Debug)]
pub(crate) struct Journal {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Key;
    use crate::record::{Event, Outcome};
    use crate::tcmpp::model::ApplyAction;

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
}
