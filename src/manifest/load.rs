//! Loading: reading the files a set of paths names, validating every document, checking
//! across documents, and building the [`Desired`] set; parsing one text (`parse_str`) and
//! rendering a resource back as a document.

use std::path::{Path, PathBuf};

use super::across::check_across;
use super::validate::{Checked, parse_bytes, parse_text};
use super::{
    API_VERSION, Desired, KIND, Location, MAX_FILE_BYTES, ManifestError, ManifestErrors, Resource,
    discover, regions, sort_errors, yaml,
};

/// How [`load_with`] reads the file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Follow links (to files or directories) whose target resolves outside the root they are
    /// found under. Off by default: such a link is an error and nothing is read through it.
    pub follow_symlinks: bool,
    /// The largest manifest file read, in bytes ([`MAX_FILE_BYTES`] by default; the command
    /// line's `--max-manifest-bytes`). A larger file is an error.
    pub max_file_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            follow_symlinks: false,
            max_file_bytes: MAX_FILE_BYTES,
        }
    }
}

/// What [`load_with_warnings`] returns: the validated set and what the loader skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub desired: Desired,
    /// One line per entry skipped under a root (FIFOs, sockets, devices, `*.YAML`/`*.YML`),
    /// `path: reason`, in walk order; printable as it is (the path's control characters are
    /// escaped).
    pub warnings: Vec<String>,
}

/// Loads and validates every manifest under `paths` with the default [`LoadOptions`].
///
/// # Errors
///
/// As [`load_with`].
pub fn load(paths: &[PathBuf]) -> Result<Desired, ManifestErrors> {
    load_with(paths, &LoadOptions::default())
}

/// Loads and validates every manifest under `paths`, reporting all errors at once.
///
/// Each path may be a file (always read, whatever its extension) or a directory (walked
/// recursively for `*.yaml`/`*.yml`, skipping entries whose name starts with `.`, following
/// links that stay inside it — see `options`). Files are processed in sorted path order; a file
/// reached twice through the same walked path is read once. No paths, or directories without
/// manifests, give an empty [`Desired`]. Skipped entries are logged as warnings
/// ([`load_with_warnings`] returns them).
///
/// # Errors
///
/// Every problem of every file, sorted by location: missing paths, unreadable, oversized or
/// non-UTF-8 files, links out of their root, YAML errors, schema violations, names or identities
/// declared twice, and a platform declared in two regions.
pub fn load_with(paths: &[PathBuf], options: &LoadOptions) -> Result<Desired, ManifestErrors> {
    load_with_warnings(paths, options).map(|loaded| loaded.desired)
}

/// [`load_with`], also returning the warnings: skipped entries (which it logs too) and regions
/// that are well formed but not among [`regions::KNOWN_REGIONS`] (which the caller logs).
///
/// # Errors
///
/// As [`load_with`].
pub fn load_with_warnings(
    paths: &[PathBuf],
    options: &LoadOptions,
) -> Result<Loaded, ManifestErrors> {
    let mut errors = Vec::new();
    let found = discover::read(paths, options, &mut errors);
    let files = found.files;
    let mut documents: Vec<(&Path, Vec<Checked>)> = Vec::new();
    for (path, checked, file_errors) in parse_all(&files) {
        errors.extend(file_errors);
        documents.push((path, checked));
    }

    let all = documents
        .iter()
        .flat_map(|(path, docs)| docs.iter().map(move |doc| (*path, doc)));
    check_across(all, &mut errors);

    if !errors.is_empty() {
        sort_errors(&mut errors);
        return Err(ManifestErrors(errors));
    }
    let (mut by_version, by_id): (Vec<Resource>, Vec<Resource>) = documents
        .into_iter()
        .flat_map(|(_, docs)| docs)
        .filter_map(|doc| doc.resource)
        .partition(|r| r.version.is_some());
    by_version.sort_by(|a, b| {
        (&a.key.platform_id, &a.mnp_id, &a.version).cmp(&(
            &b.key.platform_id,
            &b.mnp_id,
            &b.version,
        ))
    });
    let mut warnings = found.warnings;
    let mut unknown: Vec<(&Location, &str)> = by_id
        .iter()
        .chain(&by_version)
        .filter_map(|r| Some((&r.source, r.region.as_deref()?)))
        .filter(|(_, region)| regions::check(region) == regions::RegionCheck::Unknown)
        .collect();
    unknown.sort();
    for (at, region) in unknown {
        warnings.push(format!(
            "{}:{}: region {} is not one of the Tencent Cloud regions mnpsync knows ({}); check it",
            at.path.display(),
            at.line,
            yaml::snippet(region),
            regions::KNOWN_REGIONS.join(", ")
        ));
    }
    Ok(Loaded {
        desired: Desired {
            resources: by_id.into_iter().map(|r| (r.key.clone(), r)).collect(),
            by_version,
            digest: found.digest,
            files: files.len(),
        },
        warnings,
    })
}

/// Parses files on every available core (parsing dominates the time of a large `plan`), keeping
/// the files' order.
fn parse_all(files: &[(PathBuf, Vec<u8>)]) -> Vec<(&Path, Vec<Checked>, Vec<ManifestError>)> {
    fn parse((path, bytes): &(PathBuf, Vec<u8>)) -> (&Path, Vec<Checked>, Vec<ManifestError>) {
        let (checked, errors) = parse_bytes(path, bytes);
        (path, checked, errors)
    }
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(files.len().div_ceil(8).max(1));
    if threads <= 1 {
        return files.iter().map(parse).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|files| scope.spawn(move || files.iter().map(parse).collect::<Vec<_>>()))
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
/// Checks everything [`load`] checks except across files: duplicate names and identities (and
/// releases of one mini program) are reported when both are in this text. Documents declared
/// by `spec.version` are returned among the others, with the placeholder id 0.
///
/// # Errors
///
/// Every error in the text, sorted by location.
pub fn parse_str(path: &Path, text: &str) -> Result<Vec<Resource>, Vec<ManifestError>> {
    let (checked, mut errors) = parse_text(path, text);
    check_across(checked.iter().map(|doc| (path, doc)), &mut errors);
    if errors.is_empty() {
        Ok(checked.into_iter().filter_map(|doc| doc.resource).collect())
    } else {
        sort_errors(&mut errors);
        Err(errors)
    }
}

/// Renders a resource as a manifest document that [`parse_str`] reads back unchanged (except
/// `source` and `version_at`).
///
/// A resource with a `version` is rendered with `spec.version` and without `spec.mnpVersionId`
/// (as it was declared), so a resolved one reads back unresolved (`mnp_version_id == 0`).
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
    if let Some(mnp_id) = &r.mnp_id {
        out.push_str(&format!("  mnpId: {}\n", yaml_string(mnp_id)));
    }
    match &r.version {
        Some(version) => out.push_str(&format!("  version: {}\n", yaml_string(version))),
        None => out.push_str(&format!("  mnpVersionId: {}\n", r.key.mnp_version_id)),
    }
    out.push_str(&format!("  approval: {}\n", r.approval));
    if let Some(release) = r.release {
        out.push_str(&format!("  release: {release}\n"));
    }
    if let Some(region) = &r.region {
        out.push_str(&format!("  region: {}\n", yaml_string(region)));
    }
    if let Some(api) = r.api {
        out.push_str(&format!("  api: {api}\n"));
    }
    out
}

/// A YAML scalar that reads back as exactly `s` (a string).
pub(super) fn yaml_string(s: &str) -> String {
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
