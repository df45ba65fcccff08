//! One reconcile, shared by `plan`, `apply`, `watch` and `demo`: refresh observed state from the
//! API (or fall back to the records), plan, and hand the plan to the executor.
//!
//! Owns the sequencing and the fallbacks; the decisions live in [`crate::plan`], the calls in
//! [`crate::apply`] and [`crate::tcmpp`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::StreamExt;

use crate::manifest::{Desired, Key, Selector};
use crate::plan::{Observed, Plan, PlanOptions, PruneCandidate, observe_records, plan};
use crate::record::State;
use crate::tcmpp::{CallError, Client};

/// Platforms refreshed at once.
const REFRESH_CONCURRENCY: usize = 8;

/// What a plan is asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    /// List the platform's approvals first (DESIGN.md §3); otherwise use the records.
    pub refresh: bool,
    pub prune: bool,
    pub selector: Selector,
    pub options: PlanOptions,
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The refresh was refused for the credentials: planning from stale records and then
    /// sending calls that must fail the same way would help nobody.
    #[error("refreshing platform {platform} failed: {error}; credentials from {credentials}")]
    Auth {
        platform: String,
        error: crate::tcmpp::ApiError,
        credentials: crate::tcmpp::credentials::Source,
    },
}

/// A plan and what a user should know about how it was made.
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Plan,
    pub warnings: Vec<String>,
}

/// Lists every approval of the platforms of `keys` and returns the observed state of each key
/// (`none` when the platform has no record of it).
///
/// # Errors
/// The first platform whose listing failed after retries.
pub async fn refresh(
    client: &Client,
    keys: &BTreeMap<Key, Option<String>>,
) -> Result<BTreeMap<Key, Observed>, (String, CallError)> {
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
                .list_approvals(&platform, None, region.as_deref())
                .await;
            (platform, records)
        })
        .buffer_unordered(REFRESH_CONCURRENCY);
    let mut seen = BTreeMap::new();
    while let Some((platform, records)) = listings.next().await {
        let records = records.map_err(|e| (platform.clone(), e))?;
        seen.extend(observe_records(&platform, &records));
    }
    Ok(keys
        .keys()
        .map(|k| (k.clone(), seen.get(k).copied().unwrap_or(Observed::None)))
        .collect())
}

/// The versions `--prune` may cancel: submitted by mnpsync per the records, matching the
/// selector, and declared by no manifest of the whole set.
pub fn prune_candidates(all: &Desired, state: &State, selector: &Selector) -> Vec<PruneCandidate> {
    state
        .entries
        .iter()
        .filter(|(key, entry)| {
            entry.submitted_by_mnpsync
                && !all.resources.contains_key(*key)
                && selector.matches(&entry.labels)
        })
        .map(|(key, entry)| PruneCandidate {
            key: key.clone(),
            name: entry.name.clone(),
            region: entry.region.clone(),
        })
        .collect()
}

/// Refreshes (when asked and possible), then plans.
///
/// A failed refresh falls back to the records with a warning, except an auth failure.
///
/// # Errors
/// [`PlanError::Auth`] when the API refused the credentials.
///
/// `all` is the whole manifest set (prune must not cancel what any manifest declares, selected
/// or not); `client` is `None` when no refresh is possible (no credentials needed for
/// `--no-refresh`).
pub async fn make_plan(
    client: Option<&Client>,
    all: &Desired,
    state: &State,
    request: &PlanRequest,
    commit: Option<String>,
) -> Result<Planned, PlanError> {
    let desired = all.select(&request.selector);
    let prune = if request.prune {
        prune_candidates(all, state, &request.selector)
    } else {
        Vec::new()
    };
    let mut keys: BTreeMap<Key, Option<String>> = desired
        .resources
        .values()
        .map(|r| (r.key.clone(), r.region.clone()))
        .collect();
    keys.extend(prune.iter().map(|c| (c.key.clone(), c.region.clone())));
    let mut warnings = Vec::new();
    let mut refreshed = false;
    let mut observed = state.observed();
    if let (true, Some(client)) = (request.refresh, client) {
        if !keys.is_empty() {
            match refresh(client, &keys).await {
                Ok(fresh) => {
                    observed = fresh;
                    refreshed = true;
                }
                Err((platform, e)) if e.class == crate::tcmpp::Class::Auth => {
                    return Err(PlanError::Auth {
                        platform,
                        error: e.error,
                        credentials: client.credentials().source.clone(),
                    });
                }
                Err((platform, e)) => warnings.push(format!(
                    "refresh failed for platform {platform} ({}); planning from the state file instead",
                    e.error
                )),
            }
        } else {
            refreshed = true;
        }
    }
    let plan = plan(
        &desired,
        &observed,
        &prune,
        &request.options,
        refreshed,
        commit,
    );
    Ok(Planned { plan, warnings })
}

/// The git HEAD of the repository that contains `path`, or `None` outside git.
///
/// Runs `git -C <dir> rev-parse HEAD`, so the process's working directory does not matter.
pub fn git_commit(path: &Path) -> Option<String> {
    let dir: PathBuf = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}

/// Label sets of the declared resources, for the records.
pub fn labels_of(desired: &Desired) -> BTreeMap<Key, BTreeMap<String, String>> {
    desired
        .resources
        .iter()
        .map(|(k, r)| (k.clone(), r.labels.clone()))
        .collect()
}
