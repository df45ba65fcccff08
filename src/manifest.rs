//! The `mnpsync/v1` manifest format: schema, loading and validation with precise locations.
//!
//! This module owns everything about the YAML files users write: which files are read, what a
//! document must contain, and how every mistake is reported (`path:line:column: message`, all
//! errors of a load at once). It is the only module that uses `serde_yaml`; everything else sees
//! the validated [`Desired`] set.
//!
//! It must not do I/O beyond reading the manifest files (no writes, no network) and knows nothing
//! about the TCMPP API.
//!
//! # Locations
//!
//! Every error points at the node that is wrong:
//!
//! - invalid values and wrong types point at the **value** (`approval: approved` → the column of
//!   `approved`);
//! - unknown and duplicate fields point at the **key**;
//! - missing fields point at the key of the mapping that lacks them (`spec:`), or at the document
//!   start for top-level fields;
//! - a mapping or sequence where a scalar is expected is reported at its key, because `serde_yaml`
//!   reveals the positions of scalars only (see below);
//! - a document's own location ([`Resource::source`]) is its first key.
//!
//! `serde_yaml` has no span API. Its errors, however, carry the position of the node being
//! deserialized when the error was raised. The tree builder below exploits that: for every scalar
//! it stores the value in a side slot and returns a marker error; the enclosing map/sequence
//! visitor catches that error, reads the position out of it and carries on. This is sound because
//! `serde_yaml` consumes a scalar's event before visiting it, so the event stream stays in step.
//! The version is pinned by `Cargo.lock` (and `serde_yaml` is no longer developed); the tests
//! assert exact positions, so a behavioural change would be caught.
//!
//! # Hostile input
//!
//! Any text gives `Ok` or errors, never a panic or a hang:
//!
//! - alias expansion is charged to a per-file budget (a "billion laughs" file fails in
//!   milliseconds), on top of serde_yaml's own repetition limit;
//! - nesting is limited to 32 levels, and files whose `[`/`{` could make libyaml's flow-collection
//!   handling quadratic are refused before parsing;
//! - after a document that cannot be read (syntax error, unknown anchor), the rest of its file is
//!   not read: serde_yaml cannot resume there safely;
//! - YAML tags (`!foo`) are reported as errors; a leading byte-order mark is ignored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::{
    self, DeserializeSeed, Deserializer as _, EnumAccess, MapAccess, SeqAccess, VariantAccess,
};
use sha2::{Digest, Sha256};

/// The only supported `apiVersion`.
pub const API_VERSION: &str = "mnpsync/v1";

/// The only supported `kind`.
pub const KIND: &str = "MNPApproval";

const TOP_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
const METADATA_FIELDS: &[&str] = &["name", "labels"];
const SPEC_FIELDS: &[&str] = &["platformId", "mnpVersionId", "approval", "region"];

/// Identity of a resource: `(platformId, mnpVersionId)`.
///
/// Displays and (de)serializes as `PLATFORM/VERSION`, so it can be a JSON map key in state files.
/// Ordered by `(platform_id, mnp_version_id)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub platform_id: String,
    pub mnp_version_id: i64,
}

impl Key {
    /// Builds a key; no validation (manifests are validated by [`load`]/[`parse_str`]).
    pub fn new(platform_id: impl Into<String>, mnp_version_id: i64) -> Self {
        Key {
            platform_id: platform_id.into(),
            mnp_version_id,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.platform_id, self.mnp_version_id)
    }
}

impl FromStr for Key {
    type Err = String;

    /// Parses `PLATFORM/VERSION`, splitting at the last `/` (so a platform id may contain `/`).
    ///
    /// # Errors
    ///
    /// No `/`, an empty platform id, or a version that is not an `i64`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (platform, version) = s
            .rsplit_once('/')
            .ok_or_else(|| format!("invalid resource key `{s}`: expected PLATFORM/VERSION"))?;
        if platform.is_empty() {
            return Err(format!("invalid resource key `{s}`: empty platform id"));
        }
        let version = version
            .parse::<i64>()
            .map_err(|e| format!("invalid resource key `{s}`: version: {e}"))?;
        Ok(Key::new(platform, version))
    }
}

impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// The approval state a manifest declares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Submitted,
    Cancelled,
}

impl Approval {
    /// The manifest spelling: `submitted` or `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Submitted => "submitted",
            Approval::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Approval {
    type Err = String;

    /// Parses the manifest spelling (case-sensitive).
    ///
    /// # Errors
    ///
    /// Anything but `submitted` or `cancelled`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "submitted" => Ok(Approval::Submitted),
            "cancelled" => Ok(Approval::Cancelled),
            _ => Err(format!(
                "invalid approval `{s}`: expected `submitted` or `cancelled`"
            )),
        }
    }
}

/// A position in a manifest file. Displays as `path:line:column`.
///
/// `line` and `column` are 1-based; columns count characters, not bytes. Errors about a whole
/// file (missing, unreadable) use `1:1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    fn at(path: &Path, pos: Pos) -> Self {
        Location {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// One validated manifest document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `metadata.name`: non-empty, unique across all manifests of a load.
    pub name: String,
    /// `metadata.labels`; empty when absent.
    pub labels: BTreeMap<String, String>,
    /// `(spec.platformId, spec.mnpVersionId)`, unique across all manifests of a load.
    pub key: Key,
    pub approval: Approval,
    pub region: Option<String>,
    /// Location of the document: its first key (e.g. `apiVersion:`).
    pub source: Location,
}

/// Everything the manifests declare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    pub resources: BTreeMap<Key, Resource>,
    /// Hex SHA-256 over every loaded file: for each file in sorted order, its path (as walked,
    /// `/`-separated) + `"\0"` + byte length (decimal) + `"\0"` + bytes. Changes when any manifest
    /// changes.
    pub digest: String,
    /// Number of manifest files read.
    pub files: usize,
}

impl Desired {
    /// Keeps only resources whose labels match the selector; `digest` and `files` are unchanged
    /// (they describe the files, not the selection).
    pub fn select(&self, selector: &Selector) -> Desired {
        Desired {
            resources: self
                .resources
                .iter()
                .filter(|(_, r)| selector.matches(&r.labels))
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect(),
            digest: self.digest.clone(),
            files: self.files,
        }
    }
}

/// One validation error. Displays as `path:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ManifestError {
    pub location: Location,
    pub message: String,
}

impl ManifestError {
    fn new(path: &Path, pos: Pos, message: impl Into<String>) -> Self {
        ManifestError {
            location: Location::at(path, pos),
            message: message.into(),
        }
    }
}

/// All errors of a load, sorted by `(path, line, column)`. Displays one error per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", display_lines(.0))]
pub struct ManifestErrors(pub Vec<ManifestError>);

fn display_lines(errors: &[ManifestError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn sort_errors(errors: &mut [ManifestError]) {
    errors.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
}

/// A label selector, `--selector team=payments,tier=gold`: every pair must match a label.
///
/// The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector(pub Vec<(String, String)>);

impl Selector {
    /// True if every `key=value` pair of the selector is a label of `labels`.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|actual| actual == v))
    }

    /// True if the selector has no pairs (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for Selector {
    type Err = String;

    /// Parses `k=v[,k=v...]`. Whitespace around terms is ignored; a value may be empty and may
    /// contain `=` (the split is at the first `=`). The empty string is the empty selector.
    ///
    /// # Errors
    ///
    /// An empty term (`a=1,,b=2`), a term without `=`, or an empty key.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(Selector::default());
        }
        let mut pairs = Vec::new();
        for term in s.split(',') {
            let term = term.trim();
            if term.is_empty() {
                return Err(format!("invalid selector `{s}`: empty term"));
            }
            let (k, v) = term.split_once('=').ok_or_else(|| {
                format!("invalid selector `{s}`: `{term}` is not of the form key=value")
            })?;
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() {
                return Err(format!("invalid selector `{s}`: empty key in `{term}`"));
            }
            pairs.push((k.to_string(), v.to_string()));
        }
        Ok(Selector(pairs))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// Loads and validates every manifest under `paths`, reporting all errors at once.
///
/// Each path may be a file (always read, whatever its extension) or a directory (walked
/// recursively for `*.yaml`/`*.yml`, skipping entries whose name starts with `.`). Files are
/// processed in sorted path order; a file reached twice through the same walked path is read
/// once. No paths, or directories without manifests, give an empty [`Desired`].
///
/// # Errors
///
/// Every problem of every file, sorted by location: missing paths, unreadable or non-UTF-8
/// files, YAML errors, schema violations, and names or identities declared twice.
pub fn load(paths: &[PathBuf]) -> Result<Desired, ManifestErrors> {
    let mut errors = Vec::new();
    let mut files = Vec::new();
    let mut visited_dirs = HashSet::new();
    for path in paths {
        collect(path, true, &mut files, &mut visited_dirs, &mut errors);
    }
    files.sort();
    files.dedup();

    let mut hasher = Sha256::new();
    let mut contents: Vec<(&PathBuf, Vec<u8>)> = Vec::new();
    for path in &files {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(ManifestError::new(path, Pos::START, io_message(&e)));
                continue;
            }
        };
        hasher.update(digest_path(path, paths).as_bytes());
        hasher.update(b"\0");
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update(b"\0");
        hasher.update(&bytes);
        contents.push((path, bytes));
    }
    let mut documents: Vec<(PathBuf, Vec<Checked>)> = Vec::new();
    for (path, checked, file_errors) in parse_all(&contents) {
        errors.extend(file_errors);
        documents.push((path.clone(), checked));
    }

    let all = documents
        .iter()
        .flat_map(|(path, docs)| docs.iter().map(move |doc| (path.as_path(), doc)));
    check_duplicates(all, &mut errors);

    if !errors.is_empty() {
        sort_errors(&mut errors);
        return Err(ManifestErrors(errors));
    }
    let resources = documents
        .into_iter()
        .flat_map(|(_, docs)| docs)
        .filter_map(|doc| doc.resource)
        .map(|r| (r.key.clone(), r))
        .collect();
    Ok(Desired {
        resources,
        digest: hex::encode(hasher.finalize()),
        files: files.len(),
    })
}

/// Parses files on every available core (parsing dominates the time of a large `plan`), keeping
/// the files' order.
fn parse_all<'p>(
    contents: &[(&'p PathBuf, Vec<u8>)],
) -> Vec<(&'p PathBuf, Vec<Checked>, Vec<ManifestError>)> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(contents.len().div_ceil(8).max(1));
    if threads <= 1 {
        return contents
            .iter()
            .map(|(path, bytes)| {
                let (checked, errors) = parse_bytes(path, bytes);
                (*path, checked, errors)
            })
            .collect();
    }
    let chunk = contents.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = contents
            .chunks(chunk)
            .map(|files| {
                scope.spawn(move || {
                    files
                        .iter()
                        .map(|(path, bytes)| {
                            let (checked, errors) = parse_bytes(path, bytes);
                            (*path, checked, errors)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(parsed) => parsed,
                // Parsing does not panic on any input (fuzzed); should it, fail loudly.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Parses one file's text: every document in it, in order.
///
/// Checks everything [`load`] checks except across files: duplicate names and identities are
/// reported when both are in this text.
///
/// # Errors
///
/// Every error in the text, sorted by location.
pub fn parse_str(path: &Path, text: &str) -> Result<Vec<Resource>, Vec<ManifestError>> {
    let (checked, mut errors) = parse_text(path, text);
    check_duplicates(checked.iter().map(|doc| (path, doc)), &mut errors);
    if errors.is_empty() {
        Ok(checked.into_iter().filter_map(|doc| doc.resource).collect())
    } else {
        sort_errors(&mut errors);
        Err(errors)
    }
}

/// Renders a resource as a manifest document that [`parse_str`] reads back unchanged (except
/// `source`).
///
/// The document starts with `---` and ends with a newline, so rendered documents can simply be
/// concatenated into one file. Strings are written plain when that is unambiguous and
/// double-quoted (with escapes) otherwise.
pub fn render_resource_yaml(r: &Resource) -> String {
    let mut out = String::new();
    out.push_str("---\n");
    out.push_str(&format!(
        "apiVersion: {API_VERSION}\nkind: {KIND}\nmetadata:\n"
    ));
    out.push_str(&format!("  name: {}\n", yaml_string(&r.name)));
    if !r.labels.is_empty() {
        out.push_str("  labels:\n");
        for (k, v) in &r.labels {
            out.push_str(&format!("    {}: {}\n", yaml_string(k), yaml_string(v)));
        }
    }
    out.push_str("spec:\n");
    out.push_str(&format!(
        "  platformId: {}\n",
        yaml_string(&r.key.platform_id)
    ));
    out.push_str(&format!("  mnpVersionId: {}\n", r.key.mnp_version_id));
    out.push_str(&format!("  approval: {}\n", r.approval));
    if let Some(region) = &r.region {
        out.push_str(&format!("  region: {}\n", yaml_string(region)));
    }
    out
}

/// A YAML scalar that reads back as exactly `s` (a string).
fn yaml_string(s: &str) -> String {
    // Plain only for identifier-like text that no YAML 1.1/1.2 resolver reads as null/bool.
    const RESERVED: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "inf", "infinity", "nan",
    ];
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // U+0085, U+2028 and U+2029 are line breaks to YAML and U+FEFF is a BOM: escape
            // them along with everything libyaml does not accept as printable.
            '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}'
                if !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}') =>
            {
                out.push(c)
            }
            c if (c as u32) >= 0x10000 => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Adds the manifest files under `path` to `files`.
///
/// Roots (`explicit`) are taken as given: a file is read whatever its name, a hidden directory
/// is walked. Below a root, hidden entries are skipped and only `*.yaml`/`*.yml` are kept.
fn collect(
    path: &Path,
    explicit: bool,
    files: &mut Vec<PathBuf>,
    visited_dirs: &mut HashSet<PathBuf>,
    errors: &mut Vec<ManifestError>,
) {
    // `metadata` follows symlinks: a link to a manifest or a directory is what it points to.
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            // A dangling link that is not a manifest is as irrelevant as any other non-manifest.
            if explicit || is_manifest_name(path) {
                errors.push(ManifestError::new(path, Pos::START, io_message(&e)));
            }
            return;
        }
    };
    if meta.is_file() {
        if explicit || is_manifest_name(path) {
            files.push(path.to_path_buf());
        }
        return;
    }
    if !meta.is_dir() {
        if explicit {
            errors.push(ManifestError::new(
                path,
                Pos::START,
                "not a file or directory",
            ));
        }
        return;
    }
    // Guards against symlink cycles; a directory reached twice is walked once.
    let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if !visited_dirs.insert(canonical) {
        return;
    }
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(ManifestError::new(path, Pos::START, io_message(&e)));
            return;
        }
    };
    for entry in entries {
        match entry {
            Ok(entry) => {
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                collect(&entry.path(), false, files, visited_dirs, errors);
            }
            Err(e) => errors.push(ManifestError::new(path, Pos::START, io_message(&e))),
        }
    }
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

/// The path as it enters the digest: `/`-separated on every platform.
/// The name a file contributes to the digest: its path relative to the root it was found under,
/// so `plan manifests` and `apply ./manifests` (or another checkout) agree.
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

/// Validates a file's bytes; non-UTF-8 is an error located at the first invalid byte.
fn parse_bytes(path: &Path, bytes: &[u8]) -> (Vec<Checked>, Vec<ManifestError>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_text(path, text),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            // The prefix is valid UTF-8 by definition; lossy conversion cannot change it.
            let prefix = String::from_utf8_lossy(valid);
            let line = prefix.matches('\n').count() + 1;
            let last_line = prefix.rsplit('\n').next().unwrap_or("");
            let pos = Pos {
                line,
                column: last_line.chars().count() + 1,
            };
            let message = format!(
                "file is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            );
            (Vec::new(), vec![ManifestError::new(path, pos, message)])
        }
    }
}

/// What validation learned from one document, even when it has errors: the name and identity
/// still take part in duplicate detection so that all errors are reported at once.
#[derive(Debug, Default)]
struct Checked {
    /// Set only when the document has no errors.
    resource: Option<Resource>,
    name: Option<(String, Pos)>,
    key: Option<(Key, Pos)>,
}

/// Reports names and identities declared twice, at the second declaration, naming the first.
fn check_duplicates<'a>(
    docs: impl Iterator<Item = (&'a Path, &'a Checked)>,
    errors: &mut Vec<ManifestError>,
) {
    let mut names: HashMap<&str, Location> = HashMap::new();
    let mut keys: HashMap<&Key, (Location, Option<&str>)> = HashMap::new();
    for (path, doc) in docs {
        let name = doc.name.as_ref().map(|(n, _)| n.as_str());
        if let Some((n, pos)) = &doc.name {
            match names.get(n.as_str()) {
                Some(first) => errors.push(ManifestError::new(
                    path,
                    *pos,
                    format!("duplicate metadata.name `{n}`, first defined at {first}"),
                )),
                None => {
                    names.insert(n, Location::at(path, *pos));
                }
            }
        }
        if let Some((key, pos)) = &doc.key {
            match keys.get(key) {
                Some((first, first_name)) => {
                    let by = first_name.map(|n| format!(" by `{n}`")).unwrap_or_default();
                    errors.push(ManifestError::new(
                        path,
                        *pos,
                        format!(
                            "duplicate resource `{key}` (same platformId and mnpVersionId), \
                             first declared{by} at {first}"
                        ),
                    ));
                }
                None => {
                    keys.insert(key, (Location::at(path, *pos), name));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// YAML → positioned tree
// ---------------------------------------------------------------------------------------------

/// A 1-based position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

impl Pos {
    const START: Pos = Pos { line: 1, column: 1 };
}

impl From<serde_yaml::Location> for Pos {
    fn from(l: serde_yaml::Location) -> Self {
        Pos {
            line: l.line(),
            column: l.column(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    /// Integers above `i128::MAX` (serde_yaml reads up to `u128`).
    BigInt(u128),
    Float(f64),
    Str(String),
}

/// A YAML node; scalars know their position (see the module docs for why collections do not).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Scalar(Scalar, Pos),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// The "document" of a stream without documents (empty or comments only).
    Void,
}

impl Node {
    /// The position of the node's first scalar, if it has one.
    fn first_pos(&self) -> Option<Pos> {
        match self {
            Node::Scalar(_, pos) => Some(*pos),
            Node::Seq(items) => items.iter().find_map(Node::first_pos),
            Node::Map(entries) => entries
                .iter()
                .find_map(|(k, v)| k.first_pos().or_else(|| v.first_pos())),
            Node::Void => None,
        }
    }

    /// Where to report a problem with this value: itself if it is a scalar, else `key_pos`.
    fn pos_or(&self, key_pos: Pos) -> Pos {
        match self {
            Node::Scalar(_, pos) => *pos,
            _ => key_pos,
        }
    }

    /// "found …" phrase for messages.
    fn describe(&self) -> String {
        match self {
            Node::Scalar(Scalar::Null, _) => "null".to_string(),
            Node::Scalar(Scalar::Bool(b), _) => format!("boolean `{b}`"),
            Node::Scalar(Scalar::Int(i), _) => format!("integer `{i}`"),
            Node::Scalar(Scalar::BigInt(i), _) => format!("integer `{i}`"),
            Node::Scalar(Scalar::Float(f), _) => format!("float `{f:?}`"),
            Node::Scalar(Scalar::Str(s), _) => format!("string {}", snippet(s)),
            Node::Seq(_) => "a sequence".to_string(),
            Node::Map(_) => "a mapping".to_string(),
            Node::Void => "nothing".to_string(),
        }
    }

    /// A key as text: strings as themselves, other scalars as written; `None` for collections.
    fn key_text(&self) -> Option<String> {
        match self {
            Node::Scalar(Scalar::Str(s), _) => Some(s.clone()),
            Node::Scalar(Scalar::Null, _) => Some("null".to_string()),
            Node::Scalar(Scalar::Bool(b), _) => Some(b.to_string()),
            Node::Scalar(Scalar::Int(i), _) => Some(i.to_string()),
            Node::Scalar(Scalar::BigInt(i), _) => Some(i.to_string()),
            Node::Scalar(Scalar::Float(f), _) => Some(format!("{f:?}")),
            _ => None,
        }
    }
}

/// A string quoted for a message, shortened so a huge value cannot flood the report.
fn snippet(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

/// Unquoted variant of [`snippet`] for names inside backticks.
fn short(s: &str) -> String {
    const MAX: usize = 60;
    let escaped: String = s.escape_debug().collect();
    if escaped.chars().count() <= MAX {
        escaped
    } else {
        let head: String = escaped.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Marks the error a scalar visitor raises to learn its position; never shown to users.
const PROBE: &str = "\u{0}mnpsync-position-probe\u{0}";

/// Nesting deeper than any manifest needs; bounds recursion and the per-scalar cost of
/// serde_yaml formatting the node path into each probe error.
const MAX_DEPTH: usize = 32;

/// Reads the position out of a probe error's text: `"<path>: <PROBE> at line L column C"`.
///
/// Keys (which users control) only occur before the marker, so the last marker is ours. The
/// suffix is absent exactly when the position is line 1 column 1.
fn probe_pos(display: &str) -> Option<Pos> {
    // The marker ends in a NUL; finding that byte from the end is a memrchr, far cheaper than a
    // substring search set up anew for every scalar of every manifest.
    let end = display.rfind('\u{0}')? + 1;
    let start = end.checked_sub(PROBE.len())?;
    if display.get(start..end)? != PROBE {
        return None;
    }
    let rest = &display[end..];
    if rest.is_empty() {
        return Some(Pos::START);
    }
    let (line, column) = rest.strip_prefix(" at line ")?.split_once(" column ")?;
    Some(Pos {
        line: line.parse().ok()?,
        column: column.parse().ok()?,
    })
}

/// Per-file work budget: bounds the memory and time aliases can multiply (billion laughs) and
/// the cost of probe errors. Charged per node; a normal manifest uses a small fraction.
struct Builder {
    budget: usize,
    limit: usize,
    /// Why the builder aborted a document (depth, budget), to replace serde_yaml's text.
    abort: Option<String>,
    /// Problems that do not stop the document (tags); reported with its other errors.
    problems: Vec<(Option<Pos>, String)>,
}

impl Builder {
    fn new(text_len: usize) -> Self {
        let limit = text_len.saturating_mul(64).saturating_add(4 << 20);
        Builder {
            budget: limit,
            limit,
            abort: None,
            problems: Vec::new(),
        }
    }

    fn charge<E: de::Error>(&mut self, cost: usize) -> Result<(), E> {
        match self.budget.checked_sub(cost) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => {
                self.budget = 0;
                Err(self.fail(format!(
                    "document expands beyond the limit of {} bytes for this file \
                     (possible \"billion laughs\" alias bomb)",
                    self.limit
                )))
            }
        }
    }

    fn fail<E: de::Error>(&mut self, message: String) -> E {
        self.abort = Some(message);
        E::custom("mnpsync: document aborted")
    }
}

struct NodeSeed<'b> {
    builder: &'b mut Builder,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        let mut slot = None;
        let result = deserializer.deserialize_any(NodeVisitor {
            builder: &mut *self.builder,
            depth: self.depth,
            slot: &mut slot,
        });
        match (result, slot) {
            (Ok(node), _) => Ok(node),
            (Err(err), Some(scalar)) => {
                let text = err.to_string();
                self.builder.charge(text.len())?;
                match probe_pos(&text) {
                    Some(pos) => Ok(Node::Scalar(scalar, pos)),
                    None => Err(err),
                }
            }
            (Err(err), None) => Err(err),
        }
    }
}

struct NodeVisitor<'b, 's> {
    builder: &'b mut Builder,
    depth: usize,
    slot: &'s mut Option<Scalar>,
}

impl NodeVisitor<'_, '_> {
    /// Stores the scalar and raises the probe error that carries its position.
    fn scalar<E: de::Error>(self, scalar: Scalar) -> Result<Node, E> {
        let bytes = match &scalar {
            Scalar::Str(s) => s.len(),
            _ => 0,
        };
        self.builder.charge(bytes + 16)?;
        *self.slot = Some(scalar);
        Err(E::custom(PROBE))
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        self.builder.charge(64)?;
        if self.depth >= MAX_DEPTH {
            return Err(self
                .builder
                .fail(format!("document nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }
}

impl<'de> de::Visitor<'de> for NodeVisitor<'_, '_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        self.scalar(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        self.scalar(Scalar::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        self.scalar(Scalar::Int(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        self.scalar(Scalar::Int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        match i128::try_from(v) {
            Ok(v) => self.scalar(Scalar::Int(v)),
            Err(_) => self.scalar(Scalar::BigInt(v)),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        self.scalar(Scalar::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        self.scalar(Scalar::Str(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        self.scalar(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Void)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Node, A::Error> {
        self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(NodeSeed {
            builder: &mut *self.builder,
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Node, A::Error> {
        self.enter()?;
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(NodeSeed {
            builder: &mut *self.builder,
            depth: self.depth + 1,
        })? {
            let value = map.next_value_seed(NodeSeed {
                builder: &mut *self.builder,
                depth: self.depth + 1,
            })?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
        // serde_yaml presents `!tag value` as an enum. Manifests have no use for tags, but the
        // tagged node is read in full (as if untagged) so the document stays in step and its
        // other errors are reported too.
        let (tag, content) = data.variant::<String>()?;
        let node = content.newtype_variant_seed(NodeSeed {
            builder: &mut *self.builder,
            depth: self.depth,
        })?;
        self.builder.problems.push((
            node.first_pos(),
            format!("YAML tags are not supported (found `!{}`)", short(&tag)),
        ));
        Ok(node)
    }
}

/// One document as read from the YAML stream.
enum Loaded {
    /// An empty document (`---` alone, comments only, or an explicit null): skipped.
    Empty,
    /// A document and the problems found while reading it.
    Node(Node, Vec<(Option<Pos>, String)>),
    /// A document that could not be read; it is the last one read from the file.
    Failed { message: String, pos: Option<Pos> },
}

/// The documents of a text, each deserialized on its own so one bad document does not hide
/// the others.
///
/// Stops at the first document that cannot be read. After a stream error (syntax error, unknown
/// anchor) libyaml cannot resume, serde_yaml would yield that error forever, and its next
/// "document" would start mid-collection, which makes serde_yaml panic. serde_yaml reports such
/// an error only if deserialization itself succeeded, so after any error the stream's health is
/// unknown and the rest of the file is not read.
fn load_documents(text: &str) -> Vec<Loaded> {
    let mut builder = Builder::new(text.len());
    let mut out = Vec::new();
    // Each document takes at least one byte, so the bound never cuts a real stream short.
    for document in serde_yaml::Deserializer::from_str(text).take(text.len() + 1) {
        builder.abort = None;
        builder.problems.clear();
        let result = NodeSeed {
            builder: &mut builder,
            depth: 0,
        }
        .deserialize(document);
        let err = match result {
            Ok(Node::Void | Node::Scalar(Scalar::Null, _)) => {
                out.push(Loaded::Empty);
                continue;
            }
            Ok(node) => {
                out.push(Loaded::Node(node, std::mem::take(&mut builder.problems)));
                continue;
            }
            Err(err) => err,
        };
        let pos = err.location().map(Pos::from);
        let failed = match builder.abort.take() {
            // Where the budget ran out is arbitrary (often inside an anchor); the document is
            // the useful place to point at.
            Some(message) if builder.budget == 0 => Loaded::Failed { message, pos: None },
            Some(message) => Loaded::Failed { message, pos },
            None if err.to_string() == "repetition limit exceeded" => Loaded::Failed {
                message: "too many alias expansions (repetition limit exceeded; possible \
                          \"billion laughs\" alias bomb)"
                    .to_string(),
                pos,
            },
            None => Loaded::Failed {
                message: yaml_message(&err),
                pos,
            },
        };
        out.push(failed);
        break;
    }
    out
}

/// serde_yaml's message without its own "at line L column C" (the location is reported apart).
fn yaml_message(err: &serde_yaml::Error) -> String {
    let mut text = err.to_string();
    if let Some(loc) = err.location() {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(i) = text.find(&suffix) {
            text.replace_range(i..i + suffix.len(), "");
        }
    }
    format!("invalid YAML: {text}")
}

/// Upper bound on libyaml's flow-nesting work per file (about a fifth of a second).
const FLOW_WORK_LIMIT: usize = 200_000_000;

/// Where a text would make libyaml spend too long on nested flow collections, if it would.
///
/// libyaml rescans its stack of pending simple keys, one per open flow collection, for every
/// token, so `[[[[…]]]]` costs time quadratic in its depth (80 KB of brackets: seconds). A
/// document's work is at most its length times its number of `[`/`{` (each may open a level);
/// this bound ignores quoting, so it can only overestimate. Documents are cut at `---`/`...`
/// lines, which libyaml never lets a flow collection span. Real manifests stay far below it.
fn flow_nesting_too_costly(text: &str) -> Option<Pos> {
    fn is_marker(line: &str) -> bool {
        (line.starts_with("---") || line.starts_with("..."))
            && line[3..].chars().next().is_none_or(char::is_whitespace)
    }
    let mut total = 0usize;
    let (mut len, mut opens, mut first_open) = (0usize, 0usize, None);
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if is_marker(line) {
            total = total.saturating_add(len.saturating_mul(opens));
            if total > FLOW_WORK_LIMIT {
                return first_open;
            }
            (len, opens, first_open) = (0, 0, None);
        }
        len += line.len();
        for (column, c) in line.chars().enumerate() {
            if matches!(c, '[' | '{') {
                opens += 1;
                first_open.get_or_insert(Pos {
                    line: index + 1,
                    column: column + 1,
                });
            }
        }
    }
    total = total.saturating_add(len.saturating_mul(opens));
    if total > FLOW_WORK_LIMIT {
        first_open
    } else {
        None
    }
}

/// The position of each document's root node, in document order.
///
/// Needed only for documents without a first key (a sequence, `{}`, or a document that failed
/// without a location), so it is computed lazily with a second pass that stops every document
/// at its root.
fn root_positions(text: &str, documents: usize) -> Vec<Option<Pos>> {
    struct Root;
    impl<'de> de::Visitor<'de> for Root {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any YAML node")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            Err(E::custom(PROBE))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
            Err(de::Error::custom(PROBE))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
            Err(de::Error::custom(PROBE))
        }
        fn visit_enum<A: EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
            Err(de::Error::custom(PROBE))
        }
    }

    let mut out = Vec::new();
    // Only as far as the main pass got: documents after an unreadable one may start
    // mid-collection, where serde_yaml panics.
    for document in serde_yaml::Deserializer::from_str(text).take(documents) {
        match document.deserialize_any(Root) {
            Err(err) if err.to_string().contains(PROBE) => {
                out.push(err.location().map(Pos::from));
            }
            // A stream error: the documents after it are not read by the main pass either.
            _ => break,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Parses and validates one file's text, without duplicate checks.
fn parse_text(path: &Path, text: &str) -> (Vec<Checked>, Vec<ManifestError>) {
    // libyaml as bundled with serde_yaml misparses a byte-order mark; it is invisible to
    // users, so dropping it also keeps columns on the first line as editors show them.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(pos) = flow_nesting_too_costly(text) {
        let message = "too many `[`/`{` in one document to parse safely (deeply nested flow \
                       collections make the YAML parser quadratic)";
        return (Vec::new(), vec![ManifestError::new(path, pos, message)]);
    }
    let mut checker = Checker {
        path,
        errors: Vec::new(),
    };
    let loaded = load_documents(text);
    let count = loaded.len();
    let mut roots: Option<Vec<Option<Pos>>> = None;
    let mut root_pos = |index: usize| -> Pos {
        roots
            .get_or_insert_with(|| root_positions(text, count))
            .get(index)
            .copied()
            .flatten()
            .unwrap_or(Pos::START)
    };
    let mut checked = Vec::new();
    for (index, loaded) in loaded.into_iter().enumerate() {
        match loaded {
            Loaded::Empty => {}
            Loaded::Failed { message, pos } => {
                let pos = pos.unwrap_or_else(|| root_pos(index));
                checker.error(pos, message);
            }
            Loaded::Node(node, problems) => {
                let start = match &node {
                    Node::Map(entries) if !entries.is_empty() => node.first_pos(),
                    _ => None,
                };
                let start = start.unwrap_or_else(|| root_pos(index));
                let mut doc = checker.document(&node, start);
                if !problems.is_empty() {
                    doc.resource = None;
                }
                for (pos, message) in problems {
                    checker.error(pos.unwrap_or(start), message);
                }
                checked.push(doc);
            }
        }
    }
    (checked, checker.errors)
}

/// Where a mapping sits, for messages.
#[derive(Clone, Copy)]
enum Scope {
    Top,
    Metadata,
    Spec,
}

impl Scope {
    fn phrase(self) -> &'static str {
        match self {
            Scope::Top => "at top level",
            Scope::Metadata => "in metadata",
            Scope::Spec => "in spec",
        }
    }

    /// The dotted path of a field in this scope.
    fn field(self, name: &str) -> String {
        match self {
            Scope::Top => name.to_string(),
            Scope::Metadata => format!("metadata.{name}"),
            Scope::Spec => format!("spec.{name}"),
        }
    }
}

/// A known field found in a mapping: its key's position and its value.
struct Field<'n> {
    key_pos: Pos,
    value: &'n Node,
}

struct Checker<'p> {
    path: &'p Path,
    errors: Vec<ManifestError>,
}

impl Checker<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors
            .push(ManifestError::new(self.path, pos, message.into()));
    }

    fn document(&mut self, root: &Node, start: Pos) -> Checked {
        let errors_before = self.errors.len();
        let mut checked = Checked::default();
        let Node::Map(entries) = root else {
            self.error(
                start,
                format!("document must be a mapping, found {}", root.describe()),
            );
            return checked;
        };
        let top = self.fields(entries, TOP_FIELDS, Scope::Top);

        match top.get("apiVersion") {
            Some(f) => self.exact(f, Scope::Top.field("apiVersion"), API_VERSION),
            None => self.missing(start, "apiVersion", Scope::Top),
        }
        match top.get("kind") {
            Some(f) => self.exact(f, Scope::Top.field("kind"), KIND),
            None => self.missing(start, "kind", Scope::Top),
        }

        let mut labels = Some(BTreeMap::new());
        match top.get("metadata") {
            None => self.missing(start, "metadata", Scope::Top),
            Some(f) => match self.mapping(f, "metadata") {
                None => labels = None,
                Some((entries, metadata_pos)) => {
                    let metadata = self.fields(entries, METADATA_FIELDS, Scope::Metadata);
                    match metadata.get("name") {
                        None => self.missing(metadata_pos, "name", Scope::Metadata),
                        Some(f) => {
                            checked.name = self
                                .identifier(f, Scope::Metadata.field("name"))
                                .map(|(s, pos)| (s.to_string(), pos));
                        }
                    }
                    if let Some(f) = metadata.get("labels") {
                        labels = self.labels(f);
                    }
                }
            },
        }

        let (mut platform, mut version, mut approval, mut region) = (None, None, None, None);
        match top.get("spec") {
            None => self.missing(start, "spec", Scope::Top),
            Some(f) => {
                if let Some((entries, spec_pos)) = self.mapping(f, "spec") {
                    let spec = self.fields(entries, SPEC_FIELDS, Scope::Spec);
                    match spec.get("platformId") {
                        None => self.missing(spec_pos, "platformId", Scope::Spec),
                        Some(f) => platform = self.identifier(f, Scope::Spec.field("platformId")),
                    }
                    match spec.get("mnpVersionId") {
                        None => self.missing(spec_pos, "mnpVersionId", Scope::Spec),
                        Some(f) => version = self.version(f),
                    }
                    match spec.get("approval") {
                        None => self.missing(spec_pos, "approval", Scope::Spec),
                        Some(f) => approval = self.approval(f),
                    }
                    if let Some(f) = spec.get("region") {
                        // An explicit null means "no region", like omitting the field.
                        if !matches!(f.value, Node::Scalar(Scalar::Null, _)) {
                            region = self
                                .identifier(f, Scope::Spec.field("region"))
                                .map(|(s, _)| s.to_string());
                        }
                    }
                }
            }
        }

        if let (Some((platform, pos)), Some(version)) = (platform, version) {
            checked.key = Some((Key::new(platform, version), pos));
        }
        // Every check that fails records an error, so "no new errors" means every part is set.
        if self.errors.len() == errors_before
            && let (Some((name, _)), Some((key, _)), Some(approval), Some(labels)) =
                (&checked.name, &checked.key, approval, labels)
        {
            checked.resource = Some(Resource {
                name: name.clone(),
                labels,
                key: key.clone(),
                approval,
                region,
                source: Location::at(self.path, start),
            });
        }
        checked
    }

    /// The known fields of a mapping, reporting unknown, duplicate and non-scalar keys.
    fn fields<'n>(
        &mut self,
        entries: &'n [(Node, Node)],
        known: &'static [&'static str],
        scope: Scope,
    ) -> HashMap<&'static str, Field<'n>> {
        let mut found: HashMap<&'static str, Field<'n>> = HashMap::new();
        for (key, value) in entries {
            let Node::Scalar(_, key_pos) = key else {
                let pos = key.first_pos().or_else(|| value.first_pos());
                let pos = pos.unwrap_or(Pos::START);
                self.error(
                    pos,
                    format!(
                        "unsupported key ({}) {}: keys must be strings",
                        key.describe(),
                        scope.phrase()
                    ),
                );
                continue;
            };
            let key_pos = *key_pos;
            let text = key.key_text().unwrap_or_default();
            let is_string = matches!(key, Node::Scalar(Scalar::Str(_), _));
            match known.iter().find(|k| is_string && **k == text) {
                Some(&name) => {
                    if let Some(first) = found.get(name) {
                        let first = Location::at(self.path, first.key_pos);
                        self.error(
                            key_pos,
                            format!(
                                "duplicate field `{name}` {}, first defined at {first}",
                                scope.phrase()
                            ),
                        );
                    } else {
                        found.insert(name, Field { key_pos, value });
                    }
                }
                None => {
                    let hint = match closest(&text, known) {
                        Some(suggestion) => format!(", did you mean `{suggestion}`?"),
                        None => format!(
                            " (expected one of {})",
                            known
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    self.error(
                        key_pos,
                        format!("unknown field `{}` {}{hint}", short(&text), scope.phrase()),
                    );
                }
            }
        }
        found
    }

    fn missing(&mut self, pos: Pos, name: &str, scope: Scope) {
        self.error(pos, format!("missing field `{name}` {}", scope.phrase()));
    }

    /// A field that must be a mapping; returns its entries and the position of its key.
    fn mapping<'n>(&mut self, f: &Field<'n>, name: &str) -> Option<(&'n [(Node, Node)], Pos)> {
        match f.value {
            Node::Map(entries) => Some((entries, f.key_pos)),
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{name}`: expected a mapping, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// A string field with exactly one allowed value (`apiVersion`, `kind`).
    fn exact(&mut self, f: &Field<'_>, field: String, expected: &str) {
        match f.value {
            Node::Scalar(Scalar::Str(s), _) if s == expected => {}
            Node::Scalar(Scalar::Str(s), pos) => self.error(
                *pos,
                format!(
                    "invalid value for `{field}`: expected `{expected}`, found `{}`",
                    short(s)
                ),
            ),
            other => self.error(
                other.pos_or(f.key_pos),
                format!(
                    "invalid type for `{field}`: expected `{expected}`, found {}",
                    other.describe()
                ),
            ),
        }
    }

    /// A non-empty string without surrounding whitespace (names, ids, regions).
    fn identifier<'n>(&mut self, f: &Field<'n>, field: String) -> Option<(&'n str, Pos)> {
        match f.value {
            Node::Scalar(Scalar::Str(s), pos) => {
                if s.trim().is_empty() {
                    self.error(
                        *pos,
                        format!("invalid value for `{field}`: must not be empty"),
                    );
                    None
                } else if s.trim() != s {
                    self.error(
                        *pos,
                        format!(
                            "invalid value for `{field}`: must not have leading or trailing \
                             whitespace, found {}",
                            snippet(s)
                        ),
                    );
                    None
                } else {
                    Some((s.as_str(), *pos))
                }
            }
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{field}`: expected a string, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// `spec.mnpVersionId`: an integer in `1..=i64::MAX`.
    fn version(&mut self, f: &Field<'_>) -> Option<i64> {
        const FIELD: &str = "spec.mnpVersionId";
        match f.value {
            Node::Scalar(Scalar::Int(v), pos) => {
                if *v <= 0 {
                    self.error(
                        *pos,
                        format!(
                            "invalid value for `{FIELD}`: expected a positive integer, found `{v}`"
                        ),
                    );
                    return None;
                }
                match i64::try_from(*v) {
                    Ok(v) => Some(v),
                    Err(_) => {
                        self.too_big(*pos, &v.to_string());
                        None
                    }
                }
            }
            Node::Scalar(Scalar::BigInt(v), pos) => {
                self.too_big(*pos, &v.to_string());
                None
            }
            Node::Scalar(Scalar::Str(s), pos) if s.trim().parse::<i128>().is_ok() => {
                self.error(
                    *pos,
                    format!(
                        "invalid type for `{FIELD}`: expected a positive integer, found string {} \
                         (remove the quotes)",
                        snippet(s)
                    ),
                );
                None
            }
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{FIELD}`: expected a positive integer, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    fn too_big(&mut self, pos: Pos, digits: &str) {
        self.error(
            pos,
            format!(
                "invalid value for `spec.mnpVersionId`: `{digits}` does not fit in a signed \
                 64-bit integer"
            ),
        );
    }

    fn approval(&mut self, f: &Field<'_>) -> Option<Approval> {
        const FIELD: &str = "spec.approval";
        const EXPECTED: &str = "expected `submitted` or `cancelled`";
        match f.value {
            Node::Scalar(Scalar::Str(s), pos) => match s.parse() {
                Ok(approval) => Some(approval),
                Err(_) => {
                    let hint = closest(s, &["submitted", "cancelled"])
                        .map(|c| format!(", did you mean `{c}`?"))
                        .unwrap_or_default();
                    self.error(
                        *pos,
                        format!(
                            "invalid value for `{FIELD}`: {EXPECTED}, found `{}`{hint}",
                            short(s)
                        ),
                    );
                    None
                }
            },
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `{FIELD}`: {EXPECTED}, found {}",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    /// `metadata.labels`: a string → string mapping; null means no labels.
    fn labels(&mut self, f: &Field<'_>) -> Option<BTreeMap<String, String>> {
        let entries = match f.value {
            Node::Scalar(Scalar::Null, _) => return Some(BTreeMap::new()),
            Node::Map(entries) => entries,
            other => {
                self.error(
                    other.pos_or(f.key_pos),
                    format!(
                        "invalid type for `metadata.labels`: expected a mapping, found {}",
                        other.describe()
                    ),
                );
                return None;
            }
        };
        let mut labels = BTreeMap::new();
        let mut first_pos: HashMap<&str, Pos> = HashMap::new();
        let mut ok = true;
        for (key, value) in entries {
            let (name, key_pos) = match key {
                Node::Scalar(Scalar::Str(s), pos) if s.is_empty() => {
                    self.error(
                        *pos,
                        "invalid label key in `metadata.labels`: must not be empty",
                    );
                    ok = false;
                    continue;
                }
                Node::Scalar(Scalar::Str(s), pos) => (s.as_str(), *pos),
                other => {
                    let pos = other.first_pos().unwrap_or(f.key_pos);
                    self.error(
                        pos,
                        format!(
                            "invalid type for label key in `metadata.labels`: expected a \
                             string, found {}",
                            other.describe()
                        ),
                    );
                    ok = false;
                    continue;
                }
            };
            if let Some(first) = first_pos.get(name) {
                let first = Location::at(self.path, *first);
                self.error(
                    key_pos,
                    format!(
                        "duplicate label `{}` in metadata.labels, first defined at {first}",
                        short(name)
                    ),
                );
                ok = false;
                continue;
            }
            first_pos.insert(name, key_pos);
            match value {
                Node::Scalar(Scalar::Str(v), _) => {
                    labels.insert(name.to_string(), v.clone());
                }
                other => {
                    self.error(
                        other.pos_or(key_pos),
                        format!(
                            "invalid type for `metadata.labels.{}`: expected a string, found {}",
                            short(name),
                            other.describe()
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(labels)
    }
}

/// The known name closest to `word`, if it is close enough to be a likely typo.
///
/// Compares case-insensitively with the optimal-string-alignment distance (a transposition
/// counts as one edit) and accepts up to a third of the longer word (at least one edit).
fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    // Beyond this, no known name can be within a third of the length.
    if word.len() > 64 {
        return None;
    }
    known
        .iter()
        .map(|k| {
            let candidate: Vec<char> = k.to_lowercase().chars().collect();
            (edit_distance(&word, &candidate), candidate.len(), *k)
        })
        .filter(|(d, len, _)| *d <= (word.len().max(*len) / 3).max(1))
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, k)| k)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};

    /// The manifest from the format description; tests edit single lines of it.
    const VALID: &str = "\
apiVersion: mnpsync/v1
kind: MNPApproval
metadata:
  name: shop-2597
  labels: {team: payments}
spec:
  platformId: T04257DS9431720WTAG
  mnpVersionId: 2597
  approval: submitted
  region: ap-guangzhou
";

    /// `VALID` with lines `from..=to` (1-based) replaced by `with` (empty `with` deletes them).
    fn edit(from: usize, to: usize, with: &str) -> String {
        let mut out = String::new();
        for (i, line) in VALID.lines().enumerate() {
            let n = i + 1;
            if n == from && !with.is_empty() {
                out.push_str(with);
                out.push('\n');
            }
            if !(from..=to).contains(&n) {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// An 8-line block-style manifest; `approval` is on line 8, column 13.
    fn manifest(name: &str, version: i64) -> String {
        format!(
            "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\nspec:\n  \
             platformId: T04257DS9431720WTAG\n  mnpVersionId: {version}\n  approval: submitted\n"
        )
    }

    fn errors(text: &str) -> Vec<String> {
        match parse_str(Path::new("m.yaml"), text) {
            Ok(resources) => panic!("expected errors, got {resources:?}"),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    fn load_errors(paths: &[PathBuf]) -> Vec<String> {
        match load(paths) {
            Ok(desired) => panic!("expected errors, got {desired:?}"),
            Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        }
    }

    fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create dir");
        }
        fs::write(&path, contents).expect("write file");
        path
    }

    #[test]
    fn valid_manifest_parses() {
        let resources = parse_str(Path::new("m.yaml"), VALID).expect("valid");
        let expected = Resource {
            name: "shop-2597".into(),
            labels: BTreeMap::from([("team".into(), "payments".into())]),
            key: Key::new("T04257DS9431720WTAG", 2597),
            approval: Approval::Submitted,
            region: Some("ap-guangzhou".into()),
            source: Location {
                path: "m.yaml".into(),
                line: 1,
                column: 1,
            },
        };
        assert_eq!(resources, vec![expected]);
    }

    #[test]
    fn optional_fields_and_limits_are_accepted() {
        let text = edit(5, 5, "").replace("  region: ap-guangzhou\n", "  region:\n");
        let text = text.replace("2597\n", "9223372036854775807\n");
        let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
        assert_eq!(resources[0].labels, BTreeMap::new());
        assert_eq!(resources[0].region, None);
        assert_eq!(resources[0].key.mnp_version_id, i64::MAX);
        let cancelled = edit(9, 9, "  approval: cancelled");
        let resources = parse_str(Path::new("m.yaml"), &cancelled).expect("valid");
        assert_eq!(resources[0].approval, Approval::Cancelled);
    }

    #[test]
    fn each_rule_reports_exact_message_and_location() {
        let spec_fields = "(expected one of `platformId`, `mnpVersionId`, `approval`, `region`)";
        let cases: Vec<(&str, String, Vec<String>)> = vec![
            (
                "yaml syntax error",
                edit(9, 9, "  approval: submitted: yes"),
                vec!["m.yaml:9:22: invalid YAML: mapping values are not allowed in this context".into()],
            ),
            (
                "unterminated flow mapping",
                edit(5, 5, "  labels: {team: payments"),
                vec!["m.yaml:6:5: invalid YAML: did not find expected ',' or '}', while parsing a flow mapping at line 5 column 11".into()],
            ),
            (
                "unknown field in spec",
                edit(9, 9, "  approvl: submitted"),
                vec![
                    "m.yaml:6:1: missing field `approval` in spec".into(),
                    "m.yaml:9:3: unknown field `approvl` in spec, did you mean `approval`?".into(),
                ],
            ),
            (
                "unknown field in metadata (transposition)",
                edit(4, 4, "  nmae: shop-2597"),
                vec![
                    "m.yaml:3:1: missing field `name` in metadata".into(),
                    "m.yaml:4:3: unknown field `nmae` in metadata, did you mean `name`?".into(),
                ],
            ),
            (
                "unknown top-level field",
                edit(2, 2, "kinds: MNPApproval"),
                vec![
                    "m.yaml:1:1: missing field `kind` at top level".into(),
                    "m.yaml:2:1: unknown field `kinds` at top level, did you mean `kind`?".into(),
                ],
            ),
            (
                "unknown field with no close match",
                edit(10, 10, "  region: ap-guangzhou\n  colour: blue"),
                vec![format!("m.yaml:11:3: unknown field `colour` in spec {spec_fields}")],
            ),
            (
                "non-string key",
                edit(10, 10, "  region: ap-guangzhou\n  1: x"),
                vec![format!("m.yaml:11:3: unknown field `1` in spec {spec_fields}")],
            ),
            (
                "duplicate field",
                edit(10, 10, "  approval: cancelled"),
                vec!["m.yaml:10:3: duplicate field `approval` in spec, first defined at m.yaml:9:3".into()],
            ),
            (
                "missing field in spec",
                edit(7, 7, ""),
                vec!["m.yaml:6:1: missing field `platformId` in spec".into()],
            ),
            (
                "missing top-level field",
                edit(6, 10, ""),
                vec!["m.yaml:1:1: missing field `spec` at top level".into()],
            ),
            (
                "metadata is a string",
                edit(3, 5, "metadata: shop-2597"),
                vec!["m.yaml:3:11: invalid type for `metadata`: expected a mapping, found string \"shop-2597\"".into()],
            ),
            (
                "spec is a sequence (reported at the key)",
                edit(6, 10, "spec:\n  - platformId"),
                vec!["m.yaml:6:1: invalid type for `spec`: expected a mapping, found a sequence".into()],
            ),
            (
                "platformId is a number",
                edit(7, 7, "  platformId: 12345"),
                vec!["m.yaml:7:15: invalid type for `spec.platformId`: expected a string, found integer `12345`".into()],
            ),
            (
                "platformId is a sequence (reported at the key)",
                edit(7, 7, "  platformId: [T04]"),
                vec!["m.yaml:7:3: invalid type for `spec.platformId`: expected a string, found a sequence".into()],
            ),
            (
                "mnpVersionId zero",
                edit(8, 8, "  mnpVersionId: 0"),
                vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive integer, found `0`".into()],
            ),
            (
                "mnpVersionId negative",
                edit(8, 8, "  mnpVersionId: -5"),
                vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive integer, found `-5`".into()],
            ),
            (
                "mnpVersionId fractional",
                edit(8, 8, "  mnpVersionId: 1.5"),
                vec!["m.yaml:8:17: invalid type for `spec.mnpVersionId`: expected a positive integer, found float `1.5`".into()],
            ),
            (
                "mnpVersionId quoted",
                edit(8, 8, "  mnpVersionId: \"2597\""),
                vec!["m.yaml:8:17: invalid type for `spec.mnpVersionId`: expected a positive integer, found string \"2597\" (remove the quotes)".into()],
            ),
            (
                "mnpVersionId beyond u64",
                edit(8, 8, "  mnpVersionId: 99999999999999999999"),
                vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: `99999999999999999999` does not fit in a signed 64-bit integer".into()],
            ),
            (
                "mnpVersionId just beyond i64",
                edit(8, 8, "  mnpVersionId: 9223372036854775808"),
                vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: `9223372036854775808` does not fit in a signed 64-bit integer".into()],
            ),
            (
                "mnpVersionId null",
                edit(8, 8, "  mnpVersionId: ~"),
                vec!["m.yaml:8:17: invalid type for `spec.mnpVersionId`: expected a positive integer, found null".into()],
            ),
            (
                "approval unknown",
                edit(9, 9, "  approval: approved"),
                vec!["m.yaml:9:13: invalid value for `spec.approval`: expected `submitted` or `cancelled`, found `approved`".into()],
            ),
            (
                "approval with wrong case",
                edit(9, 9, "  approval: Submitted"),
                vec!["m.yaml:9:13: invalid value for `spec.approval`: expected `submitted` or `cancelled`, found `Submitted`, did you mean `submitted`?".into()],
            ),
            (
                "approval is a boolean",
                edit(9, 9, "  approval: true"),
                vec!["m.yaml:9:13: invalid type for `spec.approval`: expected `submitted` or `cancelled`, found boolean `true`".into()],
            ),
            (
                "empty platformId",
                edit(7, 7, "  platformId: \"\""),
                vec!["m.yaml:7:15: invalid value for `spec.platformId`: must not be empty".into()],
            ),
            (
                "whitespace-only platformId",
                edit(7, 7, "  platformId: '   '"),
                vec!["m.yaml:7:15: invalid value for `spec.platformId`: must not be empty".into()],
            ),
            (
                "platformId with surrounding whitespace",
                edit(7, 7, "  platformId: \" T04 \""),
                vec!["m.yaml:7:15: invalid value for `spec.platformId`: must not have leading or trailing whitespace, found \" T04 \"".into()],
            ),
            (
                "empty name",
                edit(4, 4, "  name: ''"),
                vec!["m.yaml:4:9: invalid value for `metadata.name`: must not be empty".into()],
            ),
            (
                "empty region",
                edit(10, 10, "  region: ''"),
                vec!["m.yaml:10:11: invalid value for `spec.region`: must not be empty".into()],
            ),
            (
                "wrong kind",
                edit(2, 2, "kind: MNPApprovals"),
                vec!["m.yaml:2:7: invalid value for `kind`: expected `MNPApproval`, found `MNPApprovals`".into()],
            ),
            (
                "wrong apiVersion",
                edit(1, 1, "apiVersion: mnpsync/v2"),
                vec!["m.yaml:1:13: invalid value for `apiVersion`: expected `mnpsync/v1`, found `mnpsync/v2`".into()],
            ),
            (
                "apiVersion is a number",
                edit(1, 1, "apiVersion: 1"),
                vec!["m.yaml:1:13: invalid type for `apiVersion`: expected `mnpsync/v1`, found integer `1`".into()],
            ),
            (
                "labels is a sequence",
                edit(5, 5, "  labels: [payments]"),
                vec!["m.yaml:5:3: invalid type for `metadata.labels`: expected a mapping, found a sequence".into()],
            ),
            (
                "label value is a number",
                edit(5, 5, "  labels: {team: 1}"),
                vec!["m.yaml:5:18: invalid type for `metadata.labels.team`: expected a string, found integer `1`".into()],
            ),
            (
                "duplicate label",
                edit(5, 5, "  labels: {team: a, team: b}"),
                vec!["m.yaml:5:21: duplicate label `team` in metadata.labels, first defined at m.yaml:5:12".into()],
            ),
            (
                "YAML tag",
                edit(9, 9, "  approval: !yes submitted"),
                vec!["m.yaml:9:13: YAML tags are not supported (found `!yes`)".into()],
            ),
            (
                "document is a sequence",
                "- a\n- b\n".into(),
                vec!["m.yaml:1:1: document must be a mapping, found a sequence".into()],
            ),
            (
                "document is a scalar after comments",
                "# just a note\n\n--- 42\n".into(),
                vec!["m.yaml:3:5: document must be a mapping, found integer `42`".into()],
            ),
            (
                "empty mapping",
                "# nothing\n{}\n".into(),
                vec![
                    "m.yaml:2:1: missing field `apiVersion` at top level".into(),
                    "m.yaml:2:1: missing field `kind` at top level".into(),
                    "m.yaml:2:1: missing field `metadata` at top level".into(),
                    "m.yaml:2:1: missing field `spec` at top level".into(),
                ],
            ),
            (
                "several errors in one document, all reported",
                edit(8, 10, "  mnpVersionId: 0\n  approval: maybe\n  regoin: x"),
                vec![
                    "m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive integer, found `0`".into(),
                    "m.yaml:9:13: invalid value for `spec.approval`: expected `submitted` or `cancelled`, found `maybe`".into(),
                    "m.yaml:10:3: unknown field `regoin` in spec, did you mean `region`?".into(),
                ],
            ),
        ];
        for (name, text, expected) in cases {
            assert_eq!(errors(&text), expected, "case: {name}\n{text}");
        }
    }

    #[test]
    fn flow_style_documents_have_exact_positions() {
        let text = "{apiVersion: mnpsync/v1, kind: MNPApproval, metadata: {name: x},\n \
                    spec: {platformId: P, mnpVersionId: 1, approval: nope}}\n";
        assert_eq!(
            errors(text),
            vec![
                "m.yaml:2:51: invalid value for `spec.approval`: expected `submitted` or \
                 `cancelled`, found `nope`"
            ]
        );
        let valid = text.replace("nope", "submitted");
        let resources = parse_str(Path::new("m.yaml"), &valid).expect("valid");
        assert_eq!(
            (resources[0].source.line, resources[0].source.column),
            (1, 2)
        );
    }

    #[test]
    fn multi_document_positions_are_absolute() {
        let third = manifest("c", 3).replace("approval: submitted", "approval: maybe");
        let text = format!(
            "# header\n{}---\n{}--- # third\n{third}---\n",
            manifest("a", 1),
            manifest("b", 2)
        );
        assert_eq!(
            errors(&text),
            vec![
                "m.yaml:27:13: invalid value for `spec.approval`: expected `submitted` or \
                 `cancelled`, found `maybe`"
            ]
        );

        let valid = text.replace("maybe", "cancelled");
        let resources = parse_str(Path::new("m.yaml"), &valid).expect("valid");
        let starts: Vec<_> = resources
            .iter()
            .map(|r| (r.name.as_str(), r.source.line, r.source.column))
            .collect();
        assert_eq!(starts, vec![("a", 2, 1), ("b", 11, 1), ("c", 20, 1)]);

        // serde_yaml's own (syntax) error locations are absolute too, not per document.
        let broken = format!(
            "{}---\n{}---\nkind: [\n",
            manifest("a", 1),
            manifest("b", 2)
        );
        assert_eq!(
            errors(&broken),
            vec![
                "m.yaml:20:1: invalid YAML: did not find expected node content, while parsing a \
                 flow node"
            ]
        );
    }

    #[test]
    fn empty_documents_are_skipped() {
        for text in [
            "",
            "\n",
            "# only comments\n# here\n",
            "---\n",
            "---\n...\n",
            "--- ~\n",
        ] {
            assert_eq!(parse_str(Path::new("m.yaml"), text), Ok(vec![]), "{text:?}");
        }
        let text = format!("---\n{VALID}---\n# trailing\n---\n");
        let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
        assert_eq!(resources.len(), 1);
        assert_eq!(resources[0].source.line, 2);
    }

    #[test]
    fn byte_order_mark_and_crlf_are_accepted() {
        let text = format!("\u{feff}{}", VALID.replace('\n', "\r\n"));
        let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
        assert_eq!(
            (resources[0].source.line, resources[0].source.column),
            (1, 1)
        );
        let bad = text.replace("2597\r\n", "0\r\n");
        assert_eq!(
            errors(&bad),
            vec![
                "m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive \
                 integer, found `0`"
            ]
        );
    }

    #[test]
    fn duplicates_within_one_file_name_both_places() {
        let text = format!(
            "{}---\n{}---\n{}",
            manifest("a", 1),
            manifest("a", 2),
            manifest("c", 1)
        );
        assert_eq!(
            errors(&text),
            vec![
                "m.yaml:13:9: duplicate metadata.name `a`, first defined at m.yaml:4:9",
                "m.yaml:24:15: duplicate resource `T04257DS9431720WTAG/1` (same platformId and \
                 mnpVersionId), first declared by `a` at m.yaml:6:15",
            ]
        );
    }

    #[test]
    fn errors_from_several_files_are_reported_together_and_sorted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(
            dir.path(),
            "a.yaml",
            manifest("a", 1).replace("approval: submitted", "approval: nope"),
        );
        let b = write(
            dir.path(),
            "b.yaml",
            format!("{}---\nkind: [\n", manifest("b", 2)),
        );
        let c = write(
            dir.path(),
            "sub/c.yml",
            manifest("c", 3).replace("kind: MNPApproval", "kind: Other"),
        );
        write(dir.path(), "sub/d.yaml", manifest("d", 0));
        let d = dir.path().join("sub/d.yaml");
        let missing = dir.path().join("missing.yaml");
        let errors = load_errors(&[dir.path().to_path_buf(), missing.clone()]);
        assert_eq!(
            errors,
            vec![
                format!(
                    "{}:8:13: invalid value for `spec.approval`: expected `submitted` or \
                     `cancelled`, found `nope`",
                    a.display()
                ),
                format!(
                    "{}:11:1: invalid YAML: did not find expected node content, while parsing a \
                     flow node",
                    b.display()
                ),
                format!("{}:1:1: no such file or directory", missing.display()),
                format!(
                    "{}:2:7: invalid value for `kind`: expected `MNPApproval`, found `Other`",
                    c.display()
                ),
                format!(
                    "{}:7:17: invalid value for `spec.mnpVersionId`: expected a positive \
                     integer, found `0`",
                    d.display()
                ),
            ]
        );
    }

    #[test]
    fn duplicate_name_across_files_names_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(dir.path(), "a.yaml", manifest("shop", 1));
        let b = write(dir.path(), "b.yaml", manifest("shop", 2));
        assert_eq!(
            load_errors(&[dir.path().to_path_buf()]),
            vec![format!(
                "{}:4:9: duplicate metadata.name `shop`, first defined at {}:4:9",
                b.display(),
                a.display()
            )]
        );
    }

    #[test]
    fn duplicate_identity_across_files_names_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(dir.path(), "a.yaml", manifest("first", 7));
        let b = write(
            dir.path(),
            "b.yaml",
            format!("# second\n{}", manifest("second", 7)),
        );
        assert_eq!(
            load_errors(&[dir.path().to_path_buf()]),
            vec![format!(
                "{}:7:15: duplicate resource `T04257DS9431720WTAG/7` (same platformId and \
                 mnpVersionId), first declared by `first` at {}:6:15",
                b.display(),
                a.display()
            )]
        );
    }

    #[test]
    fn duplicates_are_found_even_in_documents_with_other_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(dir.path(), "a.yaml", manifest("shop", 1));
        let b = write(
            dir.path(),
            "b.yaml",
            manifest("shop", 2).replace("approval: submitted", "approval: no"),
        );
        assert_eq!(
            load_errors(&[dir.path().to_path_buf()]),
            vec![
                format!(
                    "{}:4:9: duplicate metadata.name `shop`, first defined at {}:4:9",
                    b.display(),
                    a.display()
                ),
                format!(
                    "{}:8:13: invalid value for `spec.approval`: expected `submitted` or \
                     `cancelled`, found `no`",
                    b.display()
                ),
            ]
        );
    }

    #[test]
    fn directories_without_manifests_are_valid() {
        let empty = tempfile::tempdir().expect("tempdir");
        let desired = load(&[empty.path().to_path_buf()]).expect("empty dir is valid");
        assert!(desired.resources.is_empty());
        assert_eq!(desired.files, 0);
        // SHA-256 of no input.
        assert_eq!(
            desired.digest,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(load(&[]).expect("no paths").files, 0);

        let other = tempfile::tempdir().expect("tempdir");
        write(other.path(), "README.md", "# not a manifest: [");
        write(other.path(), "notes.txt", "kind: nope");
        write(other.path(), "manifest.yaml.bak", "kind: nope");
        let desired = load(&[other.path().to_path_buf()]).expect("non-yaml ignored");
        assert_eq!((desired.resources.len(), desired.files), (0, 0));
    }

    #[test]
    fn hidden_entries_are_skipped_and_extensions_filter_walks_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "apps/shop.yaml", manifest("shop", 1));
        write(dir.path(), "apps/pay.yml", manifest("pay", 2));
        write(dir.path(), ".git/config.yaml", "not: [valid");
        write(dir.path(), "apps/.hidden/x.yaml", "not: [valid");
        write(dir.path(), "apps/.draft.yaml", "not: [valid");
        let desired = load(&[dir.path().to_path_buf()]).expect("hidden skipped");
        let names: Vec<_> = desired
            .resources
            .values()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, vec!["shop", "pay"]);
        assert_eq!(desired.files, 2);

        // An explicitly named file is read whatever its name; a hidden root is walked.
        let explicit = write(dir.path(), "manifest.txt", manifest("txt", 3));
        let hidden_root = dir.path().join(".git");
        assert_eq!(load(&[explicit]).expect("explicit").resources.len(), 1);
        assert_eq!(load_errors(std::slice::from_ref(&hidden_root)).len(), 1);
    }

    #[test]
    fn same_file_reached_twice_is_read_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write(dir.path(), "a.yaml", manifest("a", 1));
        let desired = load(&[dir.path().to_path_buf(), file]).expect("deduplicated");
        assert_eq!((desired.resources.len(), desired.files), (1, 1));
    }

    #[test]
    fn missing_path_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        assert_eq!(
            load_errors(std::slice::from_ref(&missing)),
            vec![format!(
                "{}:1:1: no such file or directory",
                missing.display()
            )]
        );
    }

    #[test]
    fn non_utf8_file_is_reported_at_the_bad_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "x.yaml",
            b"apiVersion: mnpsync/v1\nkind: \xffMNP\n",
        );
        assert_eq!(
            load_errors(std::slice::from_ref(&path)),
            vec![format!(
                "{}:2:7: file is not valid UTF-8 (invalid byte at offset 29)",
                path.display()
            )]
        );
    }

    fn billion_laughs() -> String {
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let (prev, next) = (pair[0], pair[1]);
            let refs = vec![format!("*{prev}"); 9].join(", ");
            text.push_str(&format!("{next}: &{next} [{refs}]\n"));
        }
        text
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let text = format!("# bomb\n{}", billion_laughs());
        let started = Instant::now();
        let reported = errors(&text);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let limit = text.len() * 64 + (4 << 20);
        assert_eq!(
            reported,
            vec![format!(
                "m.yaml:2:1: document expands beyond the limit of {limit} bytes for this file \
                 (possible \"billion laughs\" alias bomb)"
            )]
        );

        // serde_yaml's own repetition limit (100 alias expansions per event) is reported as
        // clearly; empty sequences cost little memory, so here it trips first.
        let mut wide = format!("{}---\na: &a []\n", manifest("x", 0));
        for (prev, next) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")] {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            wide.push_str(&format!("{next}: &{next} [{refs}]\n"));
        }
        assert_eq!(
            errors(&wide),
            vec![
                "m.yaml:7:17: invalid value for `spec.mnpVersionId`: expected a positive \
                 integer, found `0`",
                "m.yaml:10:1: too many alias expansions (repetition limit exceeded; possible \
                 \"billion laughs\" alias bomb)",
            ]
        );
    }

    #[test]
    fn reading_stops_at_an_unreadable_document() {
        // An unknown anchor ends the stream in the middle of a collection; what follows must
        // not be read (serde_yaml would panic on it) and the earlier documents still count.
        let text = format!("{}---\n!t [1, *x], b: !t c}}\n", manifest("x", 0));
        assert_eq!(
            errors(&text),
            vec![
                "m.yaml:7:17: invalid value for `spec.mnpVersionId`: expected a positive \
                 integer, found `0`",
                "m.yaml:10:8: invalid YAML: unknown anchor",
            ]
        );
        let tagged = format!("{}---\n!t {{a: *x}}\n---\n- ]\n", manifest("x", 1));
        assert_eq!(
            errors(&tagged),
            vec!["m.yaml:10:8: invalid YAML: unknown anchor"]
        );
    }

    #[test]
    fn tags_are_reported_without_hiding_other_errors() {
        let text = edit(8, 9, "  mnpVersionId: !num 0\n  approval: !yes submitted");
        assert_eq!(
            errors(&text),
            vec![
                "m.yaml:8:17: YAML tags are not supported (found `!num`)",
                "m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive \
                 integer, found `0`",
                "m.yaml:9:13: YAML tags are not supported (found `!yes`)",
            ]
        );
        let tagged_mapping = edit(6, 6, "spec: !custom");
        assert_eq!(
            errors(&tagged_mapping),
            vec!["m.yaml:7:3: YAML tags are not supported (found `!custom`)"]
        );
    }

    #[test]
    fn deep_nesting_fails_fast() {
        let text = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            errors(&text),
            vec!["m.yaml:1:35: document nests deeper than 32 levels"]
        );
        let block = format!("{}x\n", "- ".repeat(100));
        assert_eq!(
            errors(&block),
            vec!["m.yaml:1:65: document nests deeper than 32 levels"]
        );

        // Without the pre-check, libyaml alone would take minutes on this.
        let text = format!(
            "{VALID}---\n# deep\na: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let started = Instant::now();
        assert_eq!(
            errors(&text),
            vec![
                "m.yaml:13:4: too many `[`/`{` in one document to parse safely (deeply nested \
                 flow collections make the YAML parser quadratic)"
            ]
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn digest_is_stable_and_tracks_every_byte_and_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = write(dir.path(), "a.yaml", manifest("a", 1));
        write(dir.path(), "sub/b.yaml", manifest("b", 2));
        let paths = [dir.path().to_path_buf()];
        let first = load(&paths).expect("valid").digest;
        assert_eq!(load(&paths).expect("valid").digest, first);

        // The documented construction, recomputed independently.
        let mut hasher = Sha256::new();
        for (path, contents) in [
            ("a.yaml", manifest("a", 1)),
            ("sub/b.yaml", manifest("b", 2)),
        ] {
            hasher.update(path.as_bytes());
            hasher.update(format!("\0{}\0", contents.len()).as_bytes());
            hasher.update(contents.as_bytes());
        }
        assert_eq!(first, hex::encode(hasher.finalize()));

        // A comment changes no resource but does change the digest.
        fs::write(&a, format!("{}# note\n", manifest("a", 1))).expect("rewrite");
        let edited = load(&paths).expect("valid").digest;
        assert_ne!(edited, first);
        fs::write(&a, manifest("a", 1)).expect("restore");
        assert_eq!(load(&paths).expect("valid").digest, first);
        fs::rename(&a, dir.path().join("c.yaml")).expect("rename");
        assert_ne!(load(&paths).expect("valid").digest, first);
    }

    #[test]
    fn digest_does_not_depend_on_how_the_root_is_spelled() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "m/a.yaml", manifest("a", 1));
        let plain = load(&[dir.path().join("m")]).expect("valid").digest;
        let dotted = load(&[dir.path().join("./m/")]).expect("valid").digest;
        assert_eq!(plain, dotted);
        // Another checkout of the same files has the same digest.
        let other = tempfile::tempdir().expect("tempdir");
        write(other.path(), "m/a.yaml", manifest("a", 1));
        assert_eq!(
            load(&[other.path().join("m")]).expect("valid").digest,
            plain
        );
    }

    #[test]
    fn fixtures_load_as_documented() {
        let valid = load(&[PathBuf::from("tests/fixtures/manifests/valid")]).expect("valid");
        let summary: Vec<String> = valid
            .resources
            .values()
            .map(|r| format!("{} {} {} {}", r.key, r.name, r.approval, r.source))
            .collect();
        assert_eq!(
            summary,
            vec![
                "T04257DS9431720WTAG/2597 shop-2597 submitted \
                 tests/fixtures/manifests/valid/shop.yaml:3:1",
                "T04257DS9431720WTAG/2598 shop-2598 cancelled \
                 tests/fixtures/manifests/valid/team-b/multi.yml:2:1",
                "T09999XYZ/12 loyalty-12 submitted \
                 tests/fixtures/manifests/valid/team-b/multi.yml:13:2",
            ]
        );
        assert_eq!(valid.files, 2);

        let invalid = load_errors(&[PathBuf::from("tests/fixtures/manifests/invalid")]);
        let typos = "tests/fixtures/manifests/invalid/typos.yaml";
        let values = "tests/fixtures/manifests/invalid/values.yaml";
        assert_eq!(
            invalid,
            vec![
                format!("{typos}:1:1: missing field `kind` at top level"),
                format!("{typos}:2:1: unknown field `knd` at top level, did you mean `kind`?"),
                format!("{typos}:5:1: missing field `approval` in spec"),
                format!("{typos}:8:3: unknown field `approvl` in spec, did you mean `approval`?"),
                format!("{values}:7:15: invalid value for `spec.platformId`: must not be empty"),
                format!(
                    "{values}:8:17: invalid type for `spec.mnpVersionId`: expected a positive \
                     integer, found string \"2597\" (remove the quotes)"
                ),
                format!(
                    "{values}:9:13: invalid value for `spec.approval`: expected `submitted` or \
                     `cancelled`, found `approved`"
                ),
            ]
        );
    }

    #[test]
    fn manifest_errors_display_one_per_line() {
        let errors = ManifestErrors(vec![
            ManifestError::new(Path::new("a.yaml"), Pos { line: 2, column: 3 }, "first"),
            ManifestError::new(Path::new("b.yaml"), Pos::START, "second"),
        ]);
        assert_eq!(errors.to_string(), "a.yaml:2:3: first\nb.yaml:1:1: second");
    }

    #[test]
    fn selector_parses_and_matches() {
        type Pairs = Vec<(&'static str, &'static str)>;
        let parse_cases: Vec<(&str, Result<Pairs, &str>)> = vec![
            ("", Ok(vec![])),
            ("team=payments", Ok(vec![("team", "payments")])),
            (
                " team = payments , tier=gold",
                Ok(vec![("team", "payments"), ("tier", "gold")]),
            ),
            ("expr=a=b", Ok(vec![("expr", "a=b")])),
            ("flag=", Ok(vec![("flag", "")])),
            (
                "team",
                Err("invalid selector `team`: `team` is not of the form key=value"),
            ),
            (
                "=payments",
                Err("invalid selector `=payments`: empty key in `=payments`"),
            ),
            ("a=1,,b=2", Err("invalid selector `a=1,,b=2`: empty term")),
        ];
        for (input, expected) in parse_cases {
            let expected = expected.map(|pairs| {
                Selector(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                )
            });
            assert_eq!(
                input.parse::<Selector>(),
                expected.map_err(str::to_string),
                "{input:?}"
            );
        }

        let labels = BTreeMap::from([
            ("team".to_string(), "payments".to_string()),
            ("tier".to_string(), "gold".to_string()),
        ]);
        let match_cases = [
            ("", true),
            ("team=payments", true),
            ("team=payments,tier=gold", true),
            ("team=payments,tier=silver", false),
            ("team=growth", false),
            ("region=eu", false),
        ];
        for (selector, expected) in match_cases {
            let selector: Selector = selector.parse().expect("valid selector");
            assert_eq!(selector.matches(&labels), expected, "{selector}");
            assert_eq!(selector.is_empty(), selector.0.is_empty());
        }
    }

    #[test]
    fn desired_select_filters_by_labels() {
        let text = format!(
            "{}---\n{}",
            edit(5, 5, "  labels: {team: payments}"),
            manifest("other", 1)
        );
        let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
        let desired = Desired {
            resources: resources.into_iter().map(|r| (r.key.clone(), r)).collect(),
            digest: "d".into(),
            files: 1,
        };
        let selected = desired.select(&"team=payments".parse().expect("selector"));
        let names: Vec<_> = selected
            .resources
            .values()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, vec!["shop-2597"]);
        assert_eq!((selected.digest.as_str(), selected.files), ("d", 1));
        assert_eq!(desired.select(&Selector::default()), desired);
    }

    #[test]
    fn key_display_parse_and_serde_round_trip() {
        let key = Key::new("T04257DS9431720WTAG", 2597);
        assert_eq!(key.to_string(), "T04257DS9431720WTAG/2597");
        assert_eq!("T04257DS9431720WTAG/2597".parse::<Key>(), Ok(key.clone()));
        assert_eq!(
            "org/team/42".parse::<Key>(),
            Ok(Key::new("org/team", 42)),
            "split at the last slash"
        );
        for bad in ["nope", "/1", "P/", "P/x", "P/99999999999999999999"] {
            assert!(bad.parse::<Key>().is_err(), "{bad}");
        }

        assert_eq!(
            serde_json::to_string(&key).expect("serialize"),
            "\"T04257DS9431720WTAG/2597\""
        );
        let map = BTreeMap::from([(key.clone(), 1), (Key::new("A", 1), 2)]);
        let json = serde_json::to_string(&map).expect("map keys");
        assert_eq!(json, r#"{"A/1":2,"T04257DS9431720WTAG/2597":1}"#);
        let back: BTreeMap<Key, i32> = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, map);
        assert!(serde_json::from_str::<Key>("\"no-slash\"").is_err());

        assert!(Key::new("A", 9) < Key::new("B", 1));
        assert!(Key::new("A", 2) < Key::new("A", 10));
    }

    #[test]
    fn approval_spellings() {
        assert_eq!(Approval::Submitted.to_string(), "submitted");
        assert_eq!(Approval::Cancelled.to_string(), "cancelled");
        assert_eq!(
            serde_json::to_string(&Approval::Cancelled).expect("serialize"),
            "\"cancelled\""
        );
        assert_eq!("submitted".parse(), Ok(Approval::Submitted));
        assert!("Submitted".parse::<Approval>().is_err());
    }

    #[test]
    fn closest_suggests_only_likely_typos() {
        let cases = [
            ("approvl", Some("approval")),
            ("platformid", Some("platformId")),
            ("mnpVersion", Some("mnpVersionId")),
            ("regoin", Some("region")),
            ("colour", None),
            ("x", None),
        ];
        for (word, expected) in cases {
            assert_eq!(closest(word, SPEC_FIELDS), expected, "{word}");
        }
    }

    fn arb_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ._/-]{1,20}",
            any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
            Just("true".to_string()),
            Just("null".to_string()),
            Just("2597".to_string()),
            Just("a: b #c".to_string()),
            Just("line\nbreak\u{2028}\u{85}\u{feff}".to_string()),
        ]
    }

    fn arb_identifier() -> impl Strategy<Value = String> {
        arb_text().prop_filter("valid identifier", |s| {
            !s.trim().is_empty() && s.trim() == s
        })
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            let _ = parse_str(Path::new("fuzz.yaml"), &text);
        }

        #[test]
        fn yaml_like_text_never_panics(text in "[-:?,\\[\\]{}&*!|>'\"#%@` \n\tabkx0-9.~]{0,120}") {
            let _ = parse_str(Path::new("fuzz.yaml"), &text);
        }

        #[test]
        fn mutated_manifest_never_panics(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8)
        ) {
            let mut bytes = format!("{VALID}---\n{}", manifest("b", 1)).into_bytes();
            for (index, byte, op) in edits {
                let i = index.index(bytes.len() + 1);
                match op {
                    0 => bytes.insert(i, byte),
                    1 if i < bytes.len() => { bytes.remove(i); }
                    _ if i < bytes.len() => bytes[i] = byte,
                    _ => bytes.push(byte),
                }
            }
            let _ = parse_bytes(Path::new("fuzz.yaml"), &bytes);
        }

        #[test]
        fn rendered_resources_round_trip(
            name in arb_identifier(),
            platform in arb_identifier(),
            version in 1..=i64::MAX,
            cancelled in any::<bool>(),
            region in proptest::option::of(arb_identifier()),
            labels in proptest::collection::btree_map(
                arb_text(),
                prop_oneof![arb_text(), Just(String::new())],
                0..4,
            ),
        ) {
            let resource = Resource {
                name,
                labels,
                key: Key::new(platform, version),
                approval: if cancelled { Approval::Cancelled } else { Approval::Submitted },
                region,
                source: Location { path: "r.yaml".into(), line: 2, column: 1 },
            };
            let text = render_resource_yaml(&resource);
            let parsed = parse_str(Path::new("r.yaml"), &text);
            prop_assert_eq!(parsed, Ok(vec![resource.clone()]), "{}", text);
            // Rendered documents concatenate into a valid multi-document file.
            let mut second = resource.clone();
            second.name.push('2');
            second.key.mnp_version_id = version.wrapping_add(1).max(1);
            let both = format!("{text}{}", render_resource_yaml(&second));
            let parsed = parse_str(Path::new("r.yaml"), &both);
            prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, both);
        }
    }
}
