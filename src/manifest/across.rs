//! Rules across documents (of one text for [`parse_str`](super::parse_str), of every file for
//! [`load`](super::load)): names and identities declared twice, and a platform declared in two
//! regions.
//!
//! These run on what validation learned even from documents with other errors, so a load
//! reports everything at once.

use std::collections::HashMap;
use std::path::Path;

use super::validate::Checked;
use super::{Key, Location, ManifestError, shown};

/// Reports names and identities declared twice, at the second declaration, naming the first;
/// and a platform whose documents give different explicit regions, at each region that differs
/// from the platform's first one.
///
/// Documents without `spec.region` (which use the default region) are not compared: the default
/// is not known here.
pub(crate) fn check_duplicates<'a>(
    docs: impl Iterator<Item = (&'a Path, &'a Checked)>,
    errors: &mut Vec<ManifestError>,
) {
    let mut names: HashMap<&str, Location> = HashMap::new();
    let mut keys: HashMap<&Key, (Location, Option<&str>)> = HashMap::new();
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
}
