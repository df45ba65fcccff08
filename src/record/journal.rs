//! `journal.jsonl`: the append-only audit log of intents and outcomes, one JSON object a line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{JOURNAL_FILE, JournalLine, RecordError, io};

/// The append-only journal. Each line is written with one `write` call, so a crash leaves at
/// most a torn last line, which [`read_journal`] tolerates. Lines are numbered (`seq`) in the
/// order they are written.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    next_seq: u64,
    len: u64,
}

fn open_append(path: &Path) -> Result<File, RecordError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(io(path))
}

impl Journal {
    /// Opens (creating) the journal of a state directory for appending; the next line written
    /// gets `next_seq`.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn open(dir: &Path, next_seq: u64) -> Result<Journal, RecordError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(JOURNAL_FILE);
        let mut file = open_append(&path)?;
        // A crash may have left a torn line without its newline; start on a fresh line so the
        // next record stays parseable.
        let mut len = file.metadata().map_err(io(&path))?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            let mut reader = &file;
            reader.seek(SeekFrom::Start(len - 1)).map_err(io(&path))?;
            reader.read_exact(&mut last).map_err(io(&path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io(&path))?;
                len += 1;
            }
        }
        Ok(Journal {
            dir: dir.to_path_buf(),
            inner: Mutex::new(Inner {
                file,
                next_seq: next_seq.max(1),
                len,
            }),
        })
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Numbers `line` and appends it; returns its `seq`.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn append(&self, line: &mut JournalLine) -> Result<u64, RecordError> {
        let path = self.dir.join(JOURNAL_FILE);
        let mut inner = self.inner();
        line.seq = inner.next_seq;
        let mut bytes = serde_json::to_vec(&*line).map_err(|e| RecordError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        bytes.push(b'\n');
        inner.file.write_all(&bytes).map_err(io(&path))?;
        inner.next_seq += 1;
        inner.len += bytes.len() as u64;
        Ok(line.seq)
    }

    /// A handle on the current file, to sync it off the async runtime.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn handle(&self) -> Result<File, RecordError> {
        self.inner()
            .file
            .try_clone()
            .map_err(io(&self.dir.join(JOURNAL_FILE)))
    }

    /// Starts a new `journal.jsonl` when the current one holds at least `max_bytes`: the
    /// current becomes `journal.1.jsonl`, older ones move up, and at most `keep` are kept.
    /// Returns whether it rotated. Callers hold the state lock, so no line is appended between
    /// the checkpoint and the rotation.
    ///
    /// # Errors
    /// I/O errors, with the path.
    pub fn rotate_if_larger(&self, max_bytes: u64, keep: usize) -> Result<bool, RecordError> {
        let mut inner = self.inner();
        if inner.len < max_bytes {
            return Ok(false);
        }
        inner
            .file
            .sync_data()
            .map_err(io(&self.dir.join(JOURNAL_FILE)))?;
        let keep = keep.max(1);
        let _ = std::fs::remove_file(rotated_path(&self.dir, keep));
        for n in (1..keep).rev() {
            let from = rotated_path(&self.dir, n);
            if from.exists() {
                let to = rotated_path(&self.dir, n + 1);
                std::fs::rename(&from, &to).map_err(io(&from))?;
            }
        }
        let current = self.dir.join(JOURNAL_FILE);
        std::fs::rename(&current, rotated_path(&self.dir, 1)).map_err(io(&current))?;
        inner.file = open_append(&current)?;
        inner.len = 0;
        Ok(true)
    }
}

/// `journal.N.jsonl`, the N-th newest rotated journal.
pub(crate) fn rotated_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("journal.{n}.jsonl"))
}

/// Reads every complete line of the current journal; a torn or garbled line is skipped and
/// counted.
///
/// # Errors
/// I/O errors other than a missing file (which reads as empty).
pub fn read_journal(dir: &Path) -> Result<(Vec<JournalLine>, usize), RecordError> {
    read_file(&dir.join(JOURNAL_FILE))
}

/// [`read_journal`] over the rotated journals too, oldest first.
///
/// # Errors
/// As [`read_journal`].
pub fn read_journal_all(dir: &Path) -> Result<(Vec<JournalLine>, usize), RecordError> {
    let mut rotated: Vec<(usize, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let n = name
                .to_str()
                .and_then(|n| n.strip_prefix("journal."))
                .and_then(|n| n.strip_suffix(".jsonl"))
                .and_then(|n| n.parse::<usize>().ok());
            if let Some(n) = n {
                rotated.push((n, entry.path()));
            }
        }
    }
    rotated.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let mut lines = Vec::new();
    let mut skipped = 0;
    for path in rotated
        .into_iter()
        .map(|(_, p)| p)
        .chain([dir.join(JOURNAL_FILE)])
    {
        let (more, torn) = read_file(&path)?;
        lines.extend(more);
        skipped += torn;
    }
    Ok((lines, skipped))
}

fn read_file(path: &Path) -> Result<(Vec<JournalLine>, usize), RecordError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(path)(e)),
    };
    let mut lines = Vec::new();
    let mut skipped = 0;
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(io(path))?;
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
    use crate::action::Action;
    use crate::manifest::Key;
    use crate::record::{Event, Outcome};

    fn line(event: Event, outcome: Option<Outcome>) -> JournalLine {
        JournalLine {
            ts: "2026-01-01T00:00:00Z".into(),
            run_id: "r".into(),
            event,
            key: Key::new("P", 1),
            name: "n".into(),
            action: Action::Submit,
            outcome,
            error_code: None,
            message: None,
            request_id: Some("req".into()),
            attempts: 1,
            duration_ms: 3,
            commit: None,
            seq: 0,
            region: None,
            claim_baseline: None,
            approval_no: None,
        }
    }

    #[test]
    fn journal_round_trips_and_tolerates_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), 1).unwrap();
        j.append(&mut line(Event::Intent, None)).unwrap();
        j.append(&mut line(Event::Outcome, Some(Outcome::Submitted)))
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
        assert_eq!((lines[0].seq, lines[1].seq), (1, 2));
        // Reopening after the tear starts a fresh line, so the next record parses.
        let j = Journal::open(dir.path(), 3).unwrap();
        assert_eq!(j.append(&mut line(Event::Intent, None)).unwrap(), 3);
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
                "seq",
                "ts"
            ]
        );
        assert_eq!(v["outcome"], "already_in_place");
        assert_eq!(v["key"], "P/1");
        assert_eq!(v["event"], "outcome");
    }

    #[test]
    fn rotation_keeps_a_bounded_history_and_readers_see_it_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), 1).unwrap();
        for _ in 0..5 {
            j.append(&mut line(Event::Intent, None)).unwrap();
            assert!(j.rotate_if_larger(1, 2).unwrap());
        }
        assert!(
            !j.rotate_if_larger(1, 2).unwrap(),
            "empty: nothing to rotate"
        );
        j.append(&mut line(Event::Intent, None)).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec!["journal.1.jsonl", "journal.2.jsonl", "journal.jsonl"]
        );
        let (all, _) = read_journal_all(dir.path()).unwrap();
        let seqs: Vec<u64> = all.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, vec![4, 5, 6]);
        assert_eq!(read_journal(dir.path()).unwrap().0.len(), 1);
    }
}
