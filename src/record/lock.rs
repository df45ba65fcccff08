//! The advisory lock on a state directory: one `apply` or `watch` at a time.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use super::{LOCK_FILE, RecordError, io};

/// The advisory lock on a state directory, released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock at once or fails naming the holder's pid.
    ///
    /// # Errors
    /// [`RecordError::Locked`] when another process holds it; I/O errors.
    pub fn acquire(dir: &Path) -> Result<Lock, RecordError> {
        super::check_dir(dir)?;
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
        Ok(Lock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
