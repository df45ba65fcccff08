//! Which files a load reads: the walk over the given paths, reading the files, and the digest.
//!
//! A path given to [`load`](super::load) (a root) is taken as given: a file is read whatever its
//! name, a hidden directory is walked. Below a root, entries whose name starts with `.` are
//! skipped and only `*.yaml`/`*.yml` files are kept. A directory reached twice (through links, or
//! under two roots) is walked once, which also ends link cycles.
//!
//! Links: each root is resolved (canonicalized) at every load, so swapping a root that is itself
//! a link (git-sync style) takes effect at the next load. Below a root, a link to a manifest or to
//! a directory is what it points to as long as its target resolves inside the resolved root; a
//! link whose target resolves outside it is refused, located at the link, without reading
//! anything through it, unless [`LoadOptions::follow_symlinks`] allows it. A dangling link, and a
//! link to anything but a manifest or a directory, matters only if its name is a manifest's.
//!
//! Skipped, with a warning naming the path (see [`Loaded::warnings`]): FIFOs, sockets and devices
//! (never opened), and files named like a manifest but in another case (`*.YAML`, `*.Yml`).
//!
//! Reading: a file larger than [`LoadOptions::max_file_bytes`] is an error (its size is taken from
//! its metadata before reading, and the read is bounded in case it grows meanwhile); so is a path
//! containing a character that [`crate::text::is_unsafe`] refuses (it would reach reports).
//!
//! Files are read in sorted path order, whatever order the file system lists them in, so the
//! digest, and with it saved plans, depend only on the files.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

#[cfg(doc)]
use super::Loaded;
use super::yaml::Pos;
use super::{LoadOptions, ManifestError, shown};

/// What [`read`] found: the files with their bytes, the digest over them, and the warnings.
pub(crate) struct Found {
    pub(crate) files: Vec<(PathBuf, Vec<u8>)>,
    pub(crate) digest: String,
    pub(crate) warnings: Vec<String>,
}

/// Reads every manifest file under `paths`, in sorted path order, each once, and returns the
/// files with their bytes, the digest over them and the warnings about skipped entries.
///
/// The digest is the hex SHA-256 over, for each file read, its path relative to the root it was
/// found under (`/`-separated; a root that is a file contributes its file name), `"\0"`, its
/// length in bytes (decimal), `"\0"` and its bytes.
///
/// Missing paths, unreadable or oversized files and directories, and links out of their root
/// are added to `errors`, located at `1:1` of the path.
pub(crate) fn read(
    paths: &[PathBuf],
    options: &LoadOptions,
    errors: &mut Vec<ManifestError>,
) -> Found {
    let mut warnings = Vec::new();
    let files = find(paths, options, errors, &mut warnings);
    let mut hasher = Sha256::new();
    let mut contents = Vec::with_capacity(files.len());
    for path in files {
        if let Some(c) = path
            .to_string_lossy()
            .chars()
            .find(|c| crate::text::is_unsafe(*c))
        {
            errors.push(ManifestError::new(
                &path,
                Pos::START,
                format!(
                    "file not read: its path contains the character `{}`, which cannot be \
                     shown safely in reports; rename it",
                    c.escape_default()
                ),
            ));
            continue;
        }
        let bytes = match read_bounded(&path, options.max_file_bytes) {
            Ok(bytes) => bytes,
            Err(message) => {
                errors.push(ManifestError::new(&path, Pos::START, message));
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
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    Found {
        files: contents,
        digest: hex::encode(hasher.finalize()),
        warnings,
    }
}

/// The bytes of the regular file at `path`, at most `max` of them.
///
/// The size is checked from the open file's metadata before anything is read, and the read is
/// bounded to `max + 1` bytes so that a file growing meanwhile cannot make it unbounded.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let too_big = |size: String| {
        format!(
            "file is {size} bytes, more than the limit of {max} bytes for one manifest \
             (raise it with --max-manifest-bytes)"
        )
    };
    let file = fs::File::open(path).map_err(|e| io_message(&e))?;
    let meta = file.metadata().map_err(|e| io_message(&e))?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > max {
        return Err(too_big(meta.len().to_string()));
    }
    // The length is at most `max`, which the caller chose to hold in memory.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_message(&e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(format!("more than {max}")));
    }
    Ok(bytes)
}

/// True for the file names a directory walk keeps: `*.yaml` and `*.yml`.
pub(crate) fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// True for names a walk skips with a warning: `*.YAML`, `*.Yml` … (not lower case).
fn is_miscased_manifest_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        && !is_manifest_name(path)
}

/// The manifest files under `paths`, sorted, each once.
fn find(
    paths: &[PathBuf],
    options: &LoadOptions,
    errors: &mut Vec<ManifestError>,
    warnings: &mut Vec<String>,
) -> Vec<PathBuf> {
    let mut finder = Finder {
        files: Vec::new(),
        visited_dirs: HashSet::new(),
        errors,
        warnings,
        follow_symlinks: options.follow_symlinks,
        root: PathBuf::new(),
    };
    for root in paths {
        // `metadata` follows links: a root that is a link is what it points to.
        match fs::metadata(root) {
            Ok(meta) if meta.is_file() => finder.files.push(root.clone()),
            Ok(meta) if meta.is_dir() => {
                // Resolved at every load, never cached: a root link swapped between loads
                // (git-sync) is followed to its new target.
                match fs::canonicalize(root) {
                    Ok(resolved) => {
                        finder.root = resolved;
                        finder.walk(root);
                    }
                    Err(e) => finder.error(root, io_message(&e)),
                }
            }
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
    warnings: &'e mut Vec<String>,
    /// Whether links may lead outside the root.
    follow_symlinks: bool,
    /// The resolved (canonical) root being walked.
    root: PathBuf,
}

impl Finder<'_> {
    fn error(&mut self, path: &Path, message: impl Into<String>) {
        self.errors
            .push(ManifestError::new(path, Pos::START, message));
    }

    fn warn(&mut self, path: &Path, message: &str) {
        self.warnings.push(format!("{}: {message}", shown(path)));
    }

    /// Refuses the link at `path` if it leads outside the root (and that is not allowed):
    /// records the error and returns true. Nothing is read through the link.
    fn refuse_link(&mut self, path: &Path) -> bool {
        if self.follow_symlinks {
            return false;
        }
        // A link that cannot be resolved here (it changed since the walk saw it) is refused too.
        let inside = fs::canonicalize(path).is_ok_and(|target| target.starts_with(&self.root));
        if !inside {
            let message = format!(
                "symbolic link leads outside the manifest root `{}`; it is not followed \
                 (links must stay inside the root they are found under)",
                shown(&self.root)
            );
            self.error(path, message);
        }
        !inside
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
            // Only links that would be walked or read are checked; the walk follows links, so
            // `kind` is the target's.
            let relevant = kind.is_dir() || (kind.is_file() && is_manifest_name(path));
            if entry.depth() > 0 && entry.path_is_symlink() && relevant && self.refuse_link(path) {
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
            } else if kind.is_file() {
                if is_manifest_name(path) {
                    self.files.push(entry.into_path());
                } else if is_miscased_manifest_name(path) {
                    self.warn(
                        path,
                        "skipped: only names ending in lower-case `.yaml` or `.yml` are read \
                         (rename the file to read it)",
                    );
                }
            } else {
                // Never opened: reading a FIFO or a device could block or never end.
                let what = special_kind(&kind);
                self.warn(path, &format!("skipped: {what} is not a manifest file"));
            }
        }
    }

    /// Handles an error of the walk of `dir`; `dirs` is the walk's stack of directories.
    fn walk_error(&mut self, err: &walkdir::Error, dir: &Path, dirs: &[PathBuf]) {
        let message = || match err.io_error() {
            Some(e) => io_message(e),
            None => format!("cannot read: {}", crate::text::clean(&err.to_string())),
        };
        match err.path() {
            // Hidden entries are skipped, and so is what following a hidden link runs into.
            Some(path) if err.depth() > 0 && is_hidden(path) => {}
            // A link to a directory that encloses it, which walkdir does not follow. Those
            // inside the walk are visited already; one above the root is walked for what it
            // holds besides the root, like any other linked directory.
            Some(path) if err.loop_ancestor().is_some() => {
                if !self.refuse_link(path) {
                    self.walk(path);
                }
            }
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

/// "a FIFO", "a socket" … for a warning about a skipped entry.
fn special_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "a special file"
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
