//! The `mnpsync/v1` manifest format: schema, loading and validation with precise locations.
//!
//! This module owns everything about the YAML files users write: which files are read, what a
//! document must contain, and how every mistake is reported (`path:line:column: message`, all
//! errors of a load at once). Everything else sees the validated [`Desired`] set; only the
//! `yaml` submodule uses `serde_yaml` on manifests.
//!
//! It must not do I/O beyond reading the manifest files (no writes, no network) and knows nothing
//! about the TCMPP API beyond the names of the APIs a version may pin (`spec.api`,
//! [`Api`]); resolving a `spec.version` to its id takes the lookup from the caller
//! ([`Desired::resolve`]).
//!
//! # Layout
//!
//! - this file: the public types, [`load`]/[`load_with`]/[`load_with_warnings`] and
//!   [`LoadOptions`], [`parse_str`], [`render_resource_yaml`], and the limits below;
//! - `discover`: which files a load reads (links, skipped entries and their warnings, the size
//!   limit), in which order, and the digest over them;
//! - `yaml`: the YAML layer, text → documents of nodes that know their positions, within
//!   budgets (the only place that touches `serde_yaml`), and the quoting of text in messages;
//! - `validate`: documents → [`Resource`]s, every rule of a single document, "did you mean"
//!   (`validate::version`: the rules of `mnpVersionId` and `version`);
//! - `across`: the rules across documents and files: names and identities declared twice, one
//!   region per platform, one release per mini program;
//! - `resolve`: [`Desired::resolve`], which gives documents declared by `spec.version` their
//!   identity.
//!
//! # Schema
//!
//! ```yaml
//! apiVersion: mnpsync/v1
//! kind: MNPApproval
//! metadata:
//!   name: shop-142              # required, unique across the load
//!   labels: {team: payments}    # optional
//! spec:
//!   platformId: T04257DS9431720WTAG
//!   mnpId: mpx7a2k9             # the mini program; required with `version` or `release`
//!   version: "1.4.2"            # the version string as uploaded ...
//!   # mnpVersionId: 2597        # ... or the version's id: exactly one of the two
//!   approval: submitted         # submitted | cancelled
//!   release: online             # optional: put the version online once it is approved
//!   region: ap-guangzhou        # optional; null is the run's default
//!   api: tcsas                  # optional: tcmpp | tcsas; null is the client's default
//! ```
//!
//! Rules between fields: exactly one of `mnpVersionId` and `version`; `version` and
//! `release` need `mnpId`; `release: online` needs `approval: submitted`. `version` is a
//! string: a YAML number (`1.4`, `1.10`) is an error that says to quote it as written, since
//! `1.10` unquoted is the number 1.1. `release` is `online` or absent (null is absent).
//!
//! A document that gives `version` has no [`Key`] until the version string is resolved to its
//! `mnpVersionId` (through the API, at plan time): a load puts it in [`Desired::by_version`],
//! with the placeholder id 0, and [`Desired::resolve`] moves it to [`Desired::resources`].
//! Across documents: two documents may not give the same `(platformId, mnpId, version)`, and at
//! most one document per `(platformId, mnpId)` may declare `release: online`. Whether a
//! `version` document and an `mnpVersionId` document name the same version is known only once
//! resolved, so `resolve` reports that.
//!
//! # Locations
//!
//! Every error points at the node that is wrong:
//!
//! - invalid values and wrong types point at the **value** (`approval: approved` → the column of
//!   `approved`);
//! - unknown and duplicate fields point at the **key**, and so do rules between fields: the
//!   field that needs another (`version:` without `mnpId`, `release:` with
//!   `approval: cancelled`), or the later of `mnpVersionId` and `version` when both are given;
//! - missing fields point at the key of the mapping that lacks them (`spec:`), or at the document
//!   start for top-level fields;
//! - a mapping or sequence where a scalar is expected is reported at its key, because `serde_yaml`
//!   reveals the positions of scalars only (the `yaml` submodule explains how they are found);
//! - a document's own location ([`Resource::source`]) is its first key;
//! - problems with a whole file or link (missing, unreadable, too large, a link out of its root)
//!   are at `1:1` of its path.
//!
//! # Limits
//!
//! Manifests come from pull requests, and `plan` runs on them in CI: they are untrusted.
//!
//! | what                     | limit                                                    |
//! |--------------------------|----------------------------------------------------------|
//! | `metadata.name`          | 253 characters ([`MAX_NAME_CHARS`])                      |
//! | `spec.platformId`        | 64 characters ([`MAX_PLATFORM_ID_CHARS`])                |
//! | `spec.mnpId`             | 64 characters ([`MAX_MNP_ID_CHARS`])                     |
//! | `spec.version`           | 64 characters ([`MAX_VERSION_CHARS`])                    |
//! | `spec.region`            | 64 characters ([`MAX_REGION_CHARS`])                     |
//! | a label key              | 63 characters ([`MAX_LABEL_KEY_CHARS`])                  |
//! | a label value            | 253 characters ([`MAX_LABEL_VALUE_CHARS`])               |
//! | one manifest file        | 4 MiB ([`MAX_FILE_BYTES`], [`LoadOptions::max_file_bytes`]) |
//! | nesting                  | 32 levels                                                |
//! | alias expansion          | 64 × the file's size + 4 MiB of nodes per file           |
//!
//! Lengths count characters, not bytes; a longer value is an error that gives its length and the
//! limit and does not quote it. None of these strings (nor a manifest's path) may contain a
//! character for which [`crate::text::is_unsafe`] is true (C0 and C1 controls including newline,
//! carriage return, tab and escape; DEL; bidirectional overrides and isolates): such a value is an
//! error naming the character as an escape (`\u{1b}`). Other texts that messages quote (unknown
//! keys, wrong values) are clipped to 60 characters and escaped the same way, and messages about
//! unreadable YAML quote none of the file.
//!
//! A platform is managed in one region: documents of one `platformId` that give different
//! explicit `spec.region`s are an error naming both. Documents without `spec.region` take the
//! run's default region, which the loader does not know, so they are not compared.
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
//!
//! And any tree gives `Ok` or errors without reading outside it: a link under a root whose
//! target resolves outside the (resolved) root is refused unless
//! [`LoadOptions::follow_symlinks`] is set; FIFOs, sockets and devices are never opened
//! (skipped, with a warning); files are never read beyond [`LoadOptions::max_file_bytes`].

mod across;
pub(crate) mod discover;
mod load;
pub mod regions;
mod resolve;
mod validate;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de;

use crate::tcmpp::Api;

#[cfg(test)]
use load::yaml_string;
pub use load::{
    LoadOptions, Loaded, load, load_with, load_with_warnings, parse_str, render_resource_yaml,
};
#[cfg(test)]
use validate::parse_bytes;
use yaml::Pos;

/// The only supported `apiVersion`.
pub const API_VERSION: &str = "mnpsync/v1";

/// The only supported `kind`.
pub const KIND: &str = "MNPApproval";

/// The longest `metadata.name`, in characters.
pub const MAX_NAME_CHARS: usize = 253;
/// The longest `spec.platformId`, in characters.
pub const MAX_PLATFORM_ID_CHARS: usize = 64;
/// The longest `spec.mnpId`, in characters.
pub const MAX_MNP_ID_CHARS: usize = 64;
/// The longest `spec.version`, in characters.
pub const MAX_VERSION_CHARS: usize = 64;
/// The longest `spec.region`, in characters.
pub const MAX_REGION_CHARS: usize = 64;
/// The longest label key of `metadata.labels`, in characters.
pub const MAX_LABEL_KEY_CHARS: usize = 63;
/// The longest label value of `metadata.labels`, in characters.
pub const MAX_LABEL_VALUE_CHARS: usize = 253;
/// The default of [`LoadOptions::max_file_bytes`]: 4 MiB.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

// The fields each mapping of a document may have; `validate` checks them.
const TOP_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "spec"];
const METADATA_FIELDS: &[&str] = &["name", "labels"];
// New fields go last: "did you mean" prefers the earlier of two equally close names.
const SPEC_FIELDS: &[&str] = &[
    "platformId",
    "mnpVersionId",
    "approval",
    "region",
    "api",
    "mnpId",
    "version",
    "release",
];

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

/// What a manifest asks for once its version is approved (`spec.release`).
///
/// Absent means "never release": the version's approval is managed, its release is not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Release {
    /// Put the version online (release it) once it is approved.
    Online,
}

impl Release {
    /// The manifest spelling: `online`.
    pub fn as_str(self) -> &'static str {
        match self {
            Release::Online => "online",
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Release {
    type Err = String;

    /// Parses the manifest spelling (case-sensitive).
    ///
    /// # Errors
    ///
    /// Anything but `online`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "online" => Ok(Release::Online),
            _ => Err(format!("invalid release `{s}`: expected `online`")),
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
        write!(f, "{}:{}:{}", shown(&self.path), self.line, self.column)
    }
}

/// A path as messages show it: lossy UTF-8 with unsafe characters escaped
/// ([`crate::text::clean`]), so a file named with a newline or an escape sequence cannot forge
/// report lines.
pub(crate) fn shown(path: &Path) -> String {
    crate::text::clean(&path.to_string_lossy()).into_owned()
}

/// One validated manifest document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `metadata.name`: non-empty, unique across all manifests of a load.
    pub name: String,
    /// `metadata.labels`; empty when absent.
    pub labels: BTreeMap<String, String>,
    /// `(spec.platformId, spec.mnpVersionId)`, unique across all manifests of a load.
    ///
    /// A document that gives `spec.version` instead has `mnp_version_id == 0` here until
    /// [`Desired::resolve`] sets the id the version string stands for; 0 is never an identity.
    pub key: Key,
    /// `spec.mnpId`: the mini program the version belongs to; set whenever `version` or
    /// `release` is.
    pub mnp_id: Option<String>,
    /// `spec.version`: the version string as uploaded, when the document names its version
    /// that way rather than by `spec.mnpVersionId`. Kept after resolution.
    pub version: Option<String>,
    /// Location of the `spec.version` value, for errors in resolving it.
    pub version_at: Option<Location>,
    pub approval: Approval,
    /// `spec.release`: what to do once the version is approved; `None` to leave it be.
    pub release: Option<Release>,
    pub region: Option<String>,
    /// `spec.api`: the API the version is approved through; `None` for the client's default.
    pub api: Option<Api>,
    /// Location of the document: its first key (e.g. `apiVersion:`).
    pub source: Location,
}

/// Everything the manifests declare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// The documents whose identity is known: those that give `spec.mnpVersionId`, and after
    /// [`Desired::resolve`] those that give `spec.version`.
    pub resources: BTreeMap<Key, Resource>,
    /// The documents that give `spec.version` and are not resolved yet, sorted by
    /// `(platform_id, mnp_id, version)` (unique in a load); each has `key.mnp_version_id == 0`.
    pub by_version: Vec<Resource>,
    /// Hex SHA-256 over every loaded file: for each file in sorted path order, its path relative
    /// to the root it was found under (`/`-separated; a root that is a file gives its file name),
    /// then `"\0"`, its byte length (decimal), `"\0"` and its bytes. Changes when any manifest
    /// changes, not when the same files are loaded through another spelling of the root or from
    /// another checkout.
    pub digest: String,
    /// Number of manifest files read.
    pub files: usize,
}

impl Desired {
    /// Keeps only resources (resolved or not) whose labels match the selector; `digest` and
    /// `files` are unchanged (they describe the files, not the selection).
    pub fn select(&self, selector: &Selector) -> Desired {
        Desired {
            resources: self
                .resources
                .iter()
                .filter(|(_, r)| selector.matches(&r.labels))
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect(),
            by_version: self
                .by_version
                .iter()
                .filter(|r| selector.matches(&r.labels))
                .cloned()
                .collect(),
            digest: self.digest.clone(),
            files: self.files,
        }
    }

    /// The platforms of the resources (resolved or not) that pin an API (`spec.api`), and that
    /// API: what [`crate::tcmpp::Client::with_platform_apis`] routes by (a platform belongs to
    /// one API; should two resources of one platform pin different APIs, the last one's wins,
    /// in key order and then in `by_version` order).
    pub fn platform_apis(&self) -> BTreeMap<String, Api> {
        self.resources
            .values()
            .chain(&self.by_version)
            .filter_map(|r| r.api.map(|api| (r.key.platform_id.clone(), api)))
            .collect()
    }

    /// Gives the documents declared by `spec.version` their identity, with `lookup` finding
    /// the `mnpVersionId` of each (it is called once per [`Desired::by_version`] resource, in
    /// order).
    ///
    /// The result holds every resource of `self.resources` and every resolved one (its key set
    /// to the id found, its `version` kept), and no `by_version`; `digest` and `files` are
    /// unchanged. One resource that fails never stops the others: it is left out and reported.
    ///
    /// # Errors
    ///
    /// Returned beside the result, sorted by location:
    ///
    /// - each `Err(message)` of `lookup` (and an id that is not positive), at the `version`
    ///   value: `version "1.4.2" of mpx7a2k9: <message>`;
    /// - a resolved id that another document declares or resolves to as well, on every document
    ///   involved (at its `version` value, or at its start for one that gives `mnpVersionId`),
    ///   naming the other: none of them is kept.
    pub fn resolve(
        &self,
        lookup: impl FnMut(&Resource) -> Result<i64, String>,
    ) -> (Desired, Vec<ManifestError>) {
        resolve::resolve(self, lookup)
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
