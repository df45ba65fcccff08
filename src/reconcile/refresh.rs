//! Observing: which platforms a reconcile lists, and turning their listings into the observed
//! state of each key. The pipeline's only reads of the API before it plans. Each platform is
//! listed through its API ([`Client::for_platform`]: a client made with
//! [`Client::with_platform_apis`] lists a TCSAS platform through TCSAS).

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;

use crate::manifest::Key;
use crate::observe::{Observation, Observed, observe_records};
use crate::tcmpp::{CallError, Client};

/// Platforms refreshed at once.
const REFRESH_CONCURRENCY: usize = 8;

/// Lists every approval of the platforms of `keys` and returns the observed state of each key
/// (`none` when the platform has no record of it).
///
/// # Errors
/// Every platform whose listing failed after retries, sorted by platform (never empty): all
/// listings run to their end, so the message can name each platform that could not be listed.
pub async fn refresh(
    client: &Client,
    keys: &BTreeMap<Key, Option<String>>,
) -> Result<BTreeMap<Key, Observation>, Vec<(String, CallError)>> {
    refresh_seen(client, keys).await.map(|(fresh, _)| fresh)
}

/// [`refresh`], and every version the listings showed (declared or not), for the rules that
/// look at a version's neighbours (another version's pending request of the same mini program).
pub(crate) async fn refresh_seen(
    client: &Client,
    keys: &BTreeMap<Key, Option<String>>,
) -> Result<Listed, Vec<(String, CallError)>> {
    // Owned values keep the future `Send` (borrowed ones inside the stream's closure are not
    // provably so), which lets callers spawn a reconcile.
    let mut platforms: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (key, region) in keys {
        let entry = platforms.entry(key.platform_id.clone()).or_insert(None);
        if entry.is_none() {
            entry.clone_from(region);
        }
    }
    let mut listings = futures::stream::iter(platforms)
        .map(|(platform, region)| async move {
            let records = client
                .for_platform(&platform)
                .list_approvals(&platform, None, region.as_deref())
                .await;
            (platform, records)
        })
        .buffer_unordered(REFRESH_CONCURRENCY);
    let mut seen = BTreeMap::new();
    let mut failures = Vec::new();
    while let Some((platform, records)) = listings.next().await {
        match records {
            Ok(records) => {
                let observed = observe_records(&platform, &records);
                for (key, o) in &observed {
                    if let Some(code) = o.unknown_code {
                        tracing::warn!(
                            "{} is listed with approval status {code}, which mnpsync does not know; it is left alone",
                            crate::text::clip(&key.to_string(), crate::text::MAX_CELL)
                        );
                    }
                }
                seen.extend(observed);
            }
            Err(e) => failures.push((platform, e)),
        }
    }
    if !failures.is_empty() {
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(failures);
    }
    let fresh = keys
        .keys()
        .map(|k| {
            let observation = seen
                .get(k)
                .cloned()
                .unwrap_or_else(|| Observed::None.into());
            (k.clone(), observation)
        })
        .collect();
    Ok((fresh, seen))
}

/// What [`refresh_seen`] gives: the observation of each asked key, and of every listed version.
pub(crate) type Listed = (BTreeMap<Key, Observation>, BTreeMap<Key, Observation>);

/// The keys whose platforms must be listed: every platform with at least one version not in a
/// final review state (approved, rejected) per `known`. A listed platform refreshes all its keys.
pub(crate) fn keys_to_refresh(
    keys: &BTreeMap<Key, Option<String>>,
    known: &BTreeMap<Key, Observation>,
) -> BTreeMap<Key, Option<String>> {
    let live: BTreeSet<&str> = keys
        .keys()
        .filter(|k| {
            !matches!(
                known.get(*k).map(|o| o.status),
                Some(Observed::Approved | Observed::Rejected)
            )
        })
        .map(|k| k.platform_id.as_str())
        .collect();
    keys.iter()
        .filter(|(k, _)| live.contains(k.platform_id.as_str()))
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_whose_versions_are_all_final_are_not_listed() {
        let keys: BTreeMap<Key, Option<String>> = [
            (Key::new("A", 1), None),
            (Key::new("A", 2), None),
            (Key::new("B", 1), Some("ap-singapore".to_string())),
            (Key::new("C", 1), None),
        ]
        .into_iter()
        .collect();
        let known: BTreeMap<Key, Observation> = [
            (Key::new("A", 1), Observed::Approved),
            (Key::new("A", 2), Observed::Processing),
            (Key::new("B", 1), Observed::Approved),
            (Key::new("C", 1), Observed::Rejected),
        ]
        .into_iter()
        .map(|(k, o)| (k, Observation::from(o)))
        .collect();
        let listed: Vec<String> = keys_to_refresh(&keys, &known)
            .keys()
            .map(ToString::to_string)
            .collect();
        // A has a processing version, so all of A is listed; B and C are final.
        assert_eq!(listed, vec!["A/1", "A/2"]);
        // Unknown versions are listed.
        assert_eq!(keys_to_refresh(&keys, &BTreeMap::new()).len(), 4);
    }
}
