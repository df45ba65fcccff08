//! Rules across documents (of one text for [`parse_str`](super::parse_str), of every file for
//! [`load`](super::load)): names and identities declared twice, a platform declared in two
//! regions, and a mini program released by two documents.
//!
//! These run on what validation learned even from documents with other errors, so a load
//! reports everything at once.

use std::collections::HashMap;
use std::path::Path;

use super::validate::{Checked, VersionKey};
use super::yaml::{Pos, snippet};
use super::{Key, Location, ManifestError, shown};

/// `(platformId, mnpId)` → each document releasing it, in order: its path, the position of its
/// `online` and its name.
type Releases<'a> = HashMap<(&'a str, &'a str), Vec<(&'a Path, Pos, Option<&'a str>)>>;

/// How many other documents an error about `release: online` names at most.
const MAX_NAMED: usize = 3;

/// Reports names and identities (`(platformId, mnpVersionId)` or `(platformId, mnpId,
/// version)`) declared twice, at the second declaration, naming the first; a platform whose
/// documents give different explicit regions, at each region that differs from the platform's
/// first one; and every document of a mini program that `release: online` is declared for by
/// more than one, at its `online`, naming the others.
///
/// Documents without `spec.region` (which use the default region) are not compared: the default
/// is not known here. Nor are a document that gives `mnpVersionId` and one that gives `version`:
/// whether they name the same version is known only once the version is resolved
/// ([`Desired::resolve`](super::Desired::resolve)).
pub(crate) fn check_across<'a>(
    docs: impl Iterator<Item = (&'a Path, &'a Checked)>,
    errors: &mut Vec<ManifestError>,
) {
    let mut names: HashMap<&str, Location> = HashMap::new();
    let mut keys: HashMap<&Key, (Location, Option<&str>)> = HashMap::new();
    let mut versions: HashMap<&VersionKey, (Location, Option<&str>)> = HashMap::new();
    let mut releases: Releases<'_> = HashMap::new();
    // Platform → its first explicit region and where that was written.
    let mut regions: HashMap<&str, (&str, &Path, usize)> = HashMap::new();
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
        if let Some((key, pos)) = &doc.by_version {
            match versions.get(key) {
                Some((first, first_name)) => {
                    let (platform, mnp_id, version) = key;
                    let by = first_name.map(|n| format!(" by `{n}`")).unwrap_or_default();
                    errors.push(ManifestError::new(
                        path,
                        *pos,
                        format!(
                            "duplicate resource: version {} of mini program `{mnp_id}` on \
                             platform `{platform}` (same platformId, mnpId and version), first \
                             declared{by} at {first}",
                            snippet(version)
                        ),
                    ));
                }
                None => {
                    versions.insert(key, (Location::at(path, *pos), name));
                }
            }
        }
        if let Some((platform, mnp_id, pos)) = &doc.release {
            releases
                .entry((platform, mnp_id))
                .or_default()
                .push((path, *pos, name));
        }
        if let Some((platform, region, pos)) = &doc.region {
            match regions.get(platform.as_str()) {
                Some((first, first_path, first_line)) if first != region => {
                    errors.push(ManifestError::new(
                        path,
                        *pos,
                        format!(
                            "platform `{platform}` is declared in region `{first}` at {}:{} \
                             and in `{region}` at {}:{}; one platform has one region",
                            shown(first_path),
                            first_line,
                            shown(path),
                            pos.line
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    regions.insert(platform, (region, path, pos.line));
                }
            }
        }
    }
    check_releases(releases, errors);
}

/// One error per document of a mini program released by more than one document.
fn check_releases(releases: Releases<'_>, errors: &mut Vec<ManifestError>) {
    for ((platform, mnp_id), docs) in releases {
        if docs.len() < 2 {
            continue;
        }
        for (i, (path, pos, _)) in docs.iter().enumerate() {
            // Bounded: a file of thousands of releasing documents must not cost their square.
            let mut named = docs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .take(MAX_NAMED)
                .map(|(_, (other_path, other_pos, other_name))| {
                    let by = other_name.map(|n| format!("`{n}` ")).unwrap_or_default();
                    format!("{by}at {}:{}", shown(other_path), other_pos.line)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let more = docs.len() - 1 - (docs.len() - 1).min(MAX_NAMED);
            if more > 0 {
                named.push_str(&format!(" and {more} more"));
            }
            errors.push(ManifestError::new(
                path,
                *pos,
                format!(
                    "`release: online` for mini program `{mnp_id}` on platform `{platform}` is \
                     also declared by {named}; one version of a mini program is online at a \
                     time, so at most one document may release it"
                ),
            ));
        }
    }
}
