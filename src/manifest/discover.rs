//! Which files a load reads: the walk over the given paths, reading the files, and the digest.
//!
//! A path given to [`load`](super::load) (a root) is taken as given: a file is read whatever its
//! name, a hidden directory is walked. Below a root, entries whose name starts with `.` are
//! skipped and only `*.yaml`/`*.yml` files are kept. Links are followed: a link to a manifest or
//! to a directory is what it points to, and a dangling link matters only if its name is a
//! manifest's. A directory reached twice (through links, or under two roots) is walked once,
//! which also ends link cycles.
//!
//! Files are read in sorted path order, whatever order the file system lists them in, so the
//! digest, and with it saved plans, depend only on the files.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::ManifestError;
use super::yaml::Pos;

/// Reads every manifest file under `paths`, in sorted path order, each once, and returns the
/// files with their bytes and the digest over them.
///
/// The digest is the hex SHA-256 over, for each file read, its path relative to the root it was
/// found under (`/`-separated; a root that is a file contributes its file name), `"\0"`, its
/// length in bytes (decimal), `"\0"` and its bytes.
///
/// Missing paths and unreadable files and directories are added to `errors`, located at `1:1`
/// of the path.
pub(crate) fn read(
    paths: &[PathBuf],
    errors: &mut Vec<ManifestError>,
) -> (Vec<(PathBuf, Vec<u8>)>, String) {
    let files = find(paths, errors);
    let mut hasher = Sha256::new();
    let mut contents = Vec::with_capacity(files.len());
    for path in files {
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(ManifestError::new(&path, Pos::START, io_message(&e)));
                continue;
            }
        };
        hasher.update(digest_path(&path, paths).as_bytes());
        hasher.update(b"\0");
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update(b"\0");
        hasher.update(&bytes);
        contents.push((path, bytes));
    }
    (contents, hex::encode(hasher.finalize()))
}

/// True for the file names a directory walk keeps: `*.yaml` and `*.yml`.
pub(crate) fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// The manifest files under `paths`, sorted, each once.
fn find(paths: &[PathBuf], errors: &mut Vec<ManifestError>) -> Vec<PathBuf> {
    let mut finder = Finder {
        files: Vec::new(),
        visited_dirs: HashSet::new(),
        errors,
    };
    for root in paths {
        // `metadata` follows links: a root that is a link is what it points to.
        match fs::metadata(root) {
            Ok(meta) if meta.is_file() => finder.files.push(root.clone()),
            Ok(meta) if meta.is_dir() => finder.walk(root),
            Ok(_) => finder.error(root, "not a file or directory"),
            Err(e) => finder.error(root, io_message(&e)),
        }
    }
    let mut files = finder.files;
    // The explicit sort fixes the order (and so the digest); the walk's order is the file
    // system's.
    files.sort();
    files.dedup();
    files
}

struct Finder<'e> {
    files: Vec<PathBuf>,
    /// Canonical paths of the directories walked so far, across all roots.
    visited_dirs: HashSet<PathBuf>,
    errors: &'e mut Vec<ManifestError>,
}

impl Finder<'_> {
    fn error(&mut self, path: &Path, message: impl Into<String>) {
        self.errors
            .push(ManifestError::new(path, Pos::START, message));
    }

    /// Adds the manifest files below the directory `dir` to `files`.
    fn walk(&mut self, dir: &Path) {
        // Sorted by name so that, of two links to one directory, the same one is walked every
        // time (each gives the files other paths).
        let mut entries = WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter();
        // The directory being walked at each depth, down to the current one.
        let mut dirs: Vec<PathBuf> = Vec::new();
        while let Some(entry) = entries.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    self.walk_error(&err, dir, &dirs);
                    continue;
                }
            };
            let path = entry.path();
            let kind = entry.file_type();
            if entry.depth() > 0 && is_hidden(path) {
                if kind.is_dir() {
                    entries.skip_current_dir();
                }
                continue;
            }
            if kind.is_dir() {
                // Guards against link cycles; a directory reached twice is walked once.
                let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                if !self.visited_dirs.insert(canonical) {
                    entries.skip_current_dir();
                    continue;
                }
                dirs.truncate(entry.depth());
                dirs.push(path.to_path_buf());
            } else if kind.is_file() && is_manifest_name(path) {
                self.files.push(entry.into_path());
            }
            // Anything else below a root (sockets, devices) is not a manifest.
        }
    }

    /// Handles an error of the walk of `dir`; `dirs` is the walk's stack of directories.
    fn walk_error(&mut self, err: &walkdir::Error, dir: &Path, dirs: &[PathBuf]) {
        let message = || match err.io_error() {
            Some(e) => io_message(e),
            None => format!("cannot read: {err}"),
        };
        match err.path() {
            // Hidden entries are skipped, and so is what following a hidden link runs into.
            Some(path) if err.depth() > 0 && is_hidden(path) => {}
            // A link to a directory that encloses it, which walkdir does not follow. Those
            // inside the walk are visited already; one above the root is walked for what it
            // holds besides the root, like any other linked directory.
            Some(path) if err.loop_ancestor().is_some() => self.walk(path),
            // The directory just reached cannot be listed.
            Some(path) if dirs.get(err.depth()).is_some_and(|d| d == path) => {
                self.error(path, message());
            }
            // A link that cannot be followed (dangling, a cycle of links) is as irrelevant as
            // any other entry unless it names a manifest.
            Some(path) => {
                if is_manifest_name(path) {
                    self.error(path, message());
                }
            }
            // An entry of the directory being listed cannot be read.
            None => {
                let listed = err.depth().checked_sub(1).and_then(|d| dirs.get(d));
                self.error(listed.map_or(dir, PathBuf::as_path), message());
            }
        }
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'))
}

fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

/// The name a file contributes to the digest: its path relative to the root it was found under
/// (a root that is a file gives its file name), `/`-separated on every platform, so
/// `plan manifests` and `apply ./manifests` (or another checkout) agree.
fn digest_path(path: &Path, roots: &[PathBuf]) -> String {
    let relative = roots
        .iter()
        .find_map(|root| match path.strip_prefix(root) {
            Ok(rest) if rest.as_os_str().is_empty() => path.file_name().map(Path::new),
            Ok(rest) => Some(rest),
            Err(_) => None,
        })
        .unwrap_or(path);
    let s = relative.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}
