//! Observing mini programs: one `DescribeMNPAllStageVersions` per mini program a manifest
//! names (`spec.mnpId`), and `DescribeMNPReleasedVersionHistory` only for those where a
//! rollback is in question (a version declared `release: online` older than the online one).
//! Each mini program is listed through its platform's API ([`Client::for_platform`]).

use std::collections::BTreeMap;

use futures::StreamExt;

use crate::observe::{MnpKey, Program};
use crate::tcmpp::{CallError, Client};

/// Mini programs listed at once.
const CONCURRENCY: usize = 8;

/// Lists every version of each mini program in `wanted` (with the region to send).
///
/// # Errors
/// Every mini program whose listing failed after retries, as `(PLATFORM/MNPID, error)`, sorted;
/// all listings run to their end first.
pub(crate) async fn list_programs(
    client: &Client,
    wanted: &BTreeMap<MnpKey, Option<String>>,
) -> Result<BTreeMap<MnpKey, Program>, Vec<(String, CallError)>> {
    let results = run_all(wanted, |key, region| async move {
        client
            .for_platform(&key.platform_id)
            .describe_mnp_all_stage_versions(&key.platform_id, &key.mnp_id, region.as_deref())
            .await
            .map(|reply| Program::from_listing(&reply.data))
    })
    .await;
    collect(results)
}

/// Reads the released history of each mini program in `wanted` into `programs`.
///
/// # Errors
/// As [`list_programs`].
pub(crate) async fn read_histories(
    client: &Client,
    wanted: &BTreeMap<MnpKey, Option<String>>,
    programs: &mut BTreeMap<MnpKey, Program>,
) -> Result<(), Vec<(String, CallError)>> {
    let results = run_all(wanted, |key, region| async move {
        client
            .for_platform(&key.platform_id)
            .describe_mnp_released_version_history(&key.platform_id, &key.mnp_id, region.as_deref())
            .await
            .map(|reply| reply.data.data_list)
    })
    .await;
    for (key, history) in collect(results)? {
        if let Some(program) = programs.remove(&key) {
            programs.insert(key, program.with_history(&history));
        }
    }
    Ok(())
}

async fn run_all<'a, T, F, Fut>(
    wanted: &'a BTreeMap<MnpKey, Option<String>>,
    call: F,
) -> Vec<(MnpKey, Result<T, CallError>)>
where
    F: Fn(MnpKey, Option<String>) -> Fut + 'a,
    Fut: std::future::Future<Output = Result<T, CallError>> + 'a,
{
    // Owned keys keep the future `Send` for spawned reconciles.
    futures::stream::iter(wanted.clone())
        .map(|(key, region)| {
            let fut = call(key.clone(), region);
            async move { (key, fut.await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

fn collect<T>(
    results: Vec<(MnpKey, Result<T, CallError>)>,
) -> Result<BTreeMap<MnpKey, T>, Vec<(String, CallError)>> {
    let mut ok = BTreeMap::new();
    let mut failures = Vec::new();
    for (key, result) in results {
        match result {
            Ok(value) => {
                ok.insert(key, value);
            }
            Err(e) => failures.push((key.to_string(), e)),
        }
    }
    if failures.is_empty() {
        Ok(ok)
    } else {
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        Err(failures)
    }
}
