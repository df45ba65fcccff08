//! Resolution of the documents declared by `spec.version`: each gets the `mnpVersionId` its
//! version string stands for, from a lookup the caller provides (the API, at plan time).
//!
//! No I/O here: the lookup does it. Its failures and the identities that resolution makes
//! collide become located [`ManifestError`]s; one failing resource never stops the others.

use std::collections::BTreeMap;

use super::yaml::snippet;
use super::{Desired, Key, Location, ManifestError, Resource, sort_errors};

/// See [`Desired::resolve`].
pub(super) fn resolve(
    desired: &Desired,
    mut lookup: impl FnMut(&Resource) -> Result<i64, String>,
) -> (Desired, Vec<ManifestError>) {
    let mut errors = Vec::new();
    // Resolved resources by the key they resolved to, in `by_version` order.
    let mut resolved: BTreeMap<Key, Vec<Resource>> = BTreeMap::new();
    for r in &desired.by_version {
        match lookup(r) {
            Ok(id) if id > 0 => {
                let mut r = r.clone();
                r.key.mnp_version_id = id;
                resolved.entry(r.key.clone()).or_default().push(r);
            }
            Ok(id) => errors.push(error_at(
                r,
                format!(
                    "{}: resolved to `{id}`, which is not a valid mnpVersionId",
                    describe(r)
                ),
            )),
            Err(message) => errors.push(error_at(
                r,
                format!("{}: {}", describe(r), crate::text::clean(&message)),
            )),
        }
    }

    let mut resources = desired.resources.clone();
    for (key, mut group) in resolved {
        let declared = resources.remove(&key);
        if declared.is_none() && group.len() == 1 {
            if let Some(r) = group.pop() {
                resources.insert(key, r);
            }
            continue;
        }
        // Every party collides: a declared one first (it is the older identity), then the
        // resolved ones in order.
        let parties: Vec<Resource> = declared.into_iter().chain(group).collect();
        for (i, party) in parties.iter().enumerate() {
            // `parties` has at least two entries, so there is always another.
            let other = &parties[if i == 0 { 1 } else { 0 }];
            let more = parties.len() - 2;
            let more = if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            };
            errors.push(error_at(
                party,
                format!(
                    "{} and {}{more} declare the same version {}; `{}` is at {}",
                    party_name(party),
                    party_name(other),
                    key.mnp_version_id,
                    crate::text::clean(&other.name),
                    location(other),
                ),
            ));
        }
    }

    sort_errors(&mut errors);
    let out = Desired {
        resources,
        by_version: Vec::new(),
        digest: desired.digest.clone(),
        files: desired.files,
    };
    (out, errors)
}

/// `version "1.4.2" of mpx7a2k9`: the resource as its version string names it.
fn describe(r: &Resource) -> String {
    let version = snippet(r.version.as_deref().unwrap_or_default());
    match &r.mnp_id {
        Some(mnp_id) => format!("version {version} of {}", crate::text::clean(mnp_id)),
        None => format!("version {version}"),
    }
}

/// `` `shop-142` (version "1.4.2") `` for a resolved resource, `` `shop-2597` `` for one
/// declared by `mnpVersionId`.
fn party_name(r: &Resource) -> String {
    let name = crate::text::clean(&r.name);
    match &r.version {
        Some(version) => format!("`{name}` (version {})", snippet(version)),
        None => format!("`{name}`"),
    }
}

/// Where errors about `r` point: its `version` value, else the document.
fn location(r: &Resource) -> &Location {
    r.version_at.as_ref().unwrap_or(&r.source)
}

fn error_at(r: &Resource, message: String) -> ManifestError {
    ManifestError {
        location: location(r).clone(),
        message,
    }
}
