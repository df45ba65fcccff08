//! The reconcile pipeline, one for every command:
//!
//! ```text
//! load → select → refresh → plan → guard → execute → record
//! ```
//!
//! `plan` stops after the guard-free plan ([`make_plan`]); `apply` and `watch` run it whole
//! ([`reconcile`]); `apply --plan` checks and executes a saved plan ([`apply_saved`]). Loading
//! is [`crate::manifest::load`]: callers load (the CLI prints a broken set's errors, watch keeps
//! its last valid set) and hand the valid set in.
//!
//! Owns the sequencing, the fallbacks and the prune guard. The decisions live in
//! [`crate::plan`], the calls in [`crate::apply`] and [`crate::tcmpp`], the records in
//! [`crate::record`].
//!
//! - `refresh`: which platforms are listed, and listings → observed state.
//! - `conflicts`: a submit that another version's pending request of the same mini program
//!   would block, flagged in the plan.
//! - `saved`: applying a saved plan (`apply --plan`).

mod conflicts;
mod programs;
mod refresh;
mod saved;
mod windows;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use crate::apply::{ActionResult, ApplyOptions, ApplyReport, RunInfo, apply};
use crate::manifest::{Desired, Key, ManifestError, Selector};
use crate::observe::{MnpKey, Observation, Observed, Online, Program, owns_latest};
use crate::plan::{
    DEFAULT_PRUNE_LIMIT, Plan, PlanOptions, PruneCandidate, plan_with, prune_refusal,
};
use crate::record::{RecordError, Records, State};
use crate::tcmpp::{ApiError, Class, Client};
use crate::window::ReleaseWindows;

pub(crate) use refresh::keys_to_refresh;
pub use refresh::refresh;
pub use saved::{SavedApplied, apply_saved};

/// Which platforms are listed before planning.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// None: plan from the records (`--no-refresh`).
    Off,
    /// Every platform of the selected and prune-candidate versions.
    All,
    /// Only platforms with a version not in a final review state per the records (watch's
    /// interval reconciles, DESIGN.md §10).
    Live,
}

/// What a failed listing does.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRefreshFailure {
    /// Plan from the records, with a warning naming every platform not listed (`plan`).
    FallBack,
    /// Stop: [`PlanError::Refresh`] (`apply`, which must not act on stale records; `watch`,
    /// which retries with backoff).
    Fail,
}

/// What a reconcile is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    pub refresh: Refresh,
    pub on_refresh_failure: OnRefreshFailure,
    /// Cancel versions mnpsync submitted that no manifest declares any more.
    pub prune: bool,
    /// The prune guard's limit; `None` never refuses (`--force`, or a plan that only shows).
    pub prune_limit: Option<usize>,
    pub selector: Selector,
    pub options: PlanOptions,
    /// The manifests' commit, for the plan and the journal.
    pub commit: Option<String>,
    /// Platforms listed under [`Refresh::Live`] whatever the records say (those a manifest
    /// change touched).
    pub touched: BTreeSet<String>,
    /// The manifest roots of this run ([`roots_of`]): prune only reaches versions last declared
    /// under one of them. Empty: every version (as for a library caller that does not say).
    pub roots: Vec<Root>,
    /// When releases and rollbacks may run (`--release-window`; empty: always). Outside them
    /// they stay in the plan, deferred.
    pub release_windows: ReleaseWindows,
    /// The clock the windows are read with.
    pub clock: fn() -> jiff::Timestamp,
}

/// A manifest path given to a run, and how the records name it: relative to the git work
/// tree's top when it is in one (so another checkout, or git-sync's next worktree, agrees),
/// else its canonical path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub given: PathBuf,
    pub id: String,
}

/// The [`Root`]s of `paths`.
pub async fn roots_of(paths: &[PathBuf]) -> Vec<Root> {
    let mut roots = Vec::new();
    for given in paths {
        let canonical = std::fs::canonicalize(given).unwrap_or_else(|_| given.clone());
        let id = match crate::git::top_level(given).await {
            Ok(top) => {
                let top = std::fs::canonicalize(&top).unwrap_or(top);
                match canonical.strip_prefix(&top) {
                    Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
                    Ok(rel) => rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                    Err(_) => canonical.display().to_string(),
                }
            }
            Err(_) => canonical.display().to_string(),
        };
        roots.push(Root {
            given: given.clone(),
            id,
        });
    }
    roots
}

/// The root each declared version was found under (the first given path that contains its
/// manifest).
fn roots_by_key(all: &Desired, roots: &[Root]) -> BTreeMap<Key, String> {
    all.resources
        .iter()
        .filter_map(|(key, r)| {
            roots
                .iter()
                .find(|root| r.source.path.starts_with(&root.given))
                .map(|root| (key.clone(), root.id.clone()))
        })
        .collect()
}

impl Default for Request {
    fn default() -> Self {
        Request {
            refresh: Refresh::All,
            on_refresh_failure: OnRefreshFailure::FallBack,
            prune: false,
            prune_limit: Some(DEFAULT_PRUNE_LIMIT),
            selector: Selector::default(),
            options: PlanOptions::default(),
            commit: None,
            touched: BTreeSet::new(),
            roots: Vec::new(),
            release_windows: ReleaseWindows::default(),
            clock: jiff::Timestamp::now,
        }
    }
}

/// Why no plan could be made.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The refresh was refused for the credentials: planning from stale records and then
    /// sending calls that must fail the same way would help nobody.
    #[error("refreshing platform {platform} failed: {error}; credentials from {credentials}")]
    Auth {
        platform: String,
        error: Box<ApiError>,
        credentials: Box<crate::tcmpp::credentials::Source>,
    },
    /// Listings failed and the request said not to fall back: every platform that could not
    /// be listed, with its error.
    #[error("refresh failed for {}", describe_failures(.failures))]
    Refresh {
        failures: Vec<(String, Box<ApiError>)>,
    },
    /// The prune guard refused the plan; nothing was sent.
    #[error("{0}")]
    Refused(String),
    /// Shutdown was requested before the plan was made; nothing was sent.
    #[error("shutdown requested while refreshing; nothing was sent")]
    Interrupted,
}

/// Why a reconcile did not run to its end.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The records could not be written.
    #[error("cannot write the records: {0}")]
    Records(#[from] RecordError),
    /// A saved plan no longer holds (manifests or approval states moved).
    #[error("{0}")]
    Stale(String),
    /// A saved plan was made from manifests under other paths than the ones given (a usage
    /// error, not a stale plan).
    #[error("{0}")]
    OtherPaths(String),
    /// Listing the platforms to check a saved plan failed (every platform that could not be
    /// listed).
    #[error("refreshing {} to check the plan", describe_failures(.failures))]
    CheckRefresh {
        failures: Vec<(String, Box<ApiError>)>,
    },
}

/// `platform A: error` for one failed listing, `2 platforms: A: error; B: error` for several
/// (`mini program A/M` for a mini program's listing).
pub fn describe_failures(failures: &[(String, Box<ApiError>)]) -> String {
    let programs = failures.iter().all(|(name, _)| name.contains('/'));
    match failures {
        [(name, error)] if programs => format!("mini program {name}: {error}"),
        [(platform, error)] => format!("platform {platform}: {error}"),
        _ => format!(
            "{} {}: {}",
            failures.len(),
            if programs {
                "mini programs"
            } else {
                "platforms"
            },
            failures
                .iter()
                .map(|(platform, error)| format!("{platform}: {error}"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// A plan, what a user should know about how it was made, and what it was made from (for a
/// saved plan).
#[derive(Debug, Clone)]
pub struct Planned {
    pub plan: Plan,
    pub warnings: Vec<String>,
    /// The observation of every planned version the plan was made from.
    pub observation: BTreeMap<Key, Observation>,
    /// The prune candidates it was made with (the records' ownership).
    pub prune: Vec<PruneCandidate>,
    /// What the plan knew of the mini programs the manifests name.
    pub programs: BTreeMap<MnpKey, Program>,
    /// Documents whose `version` did not resolve (not uploaded yet, ambiguous, or colliding
    /// with another document), located: nothing is planned for them; the rest is.
    pub unresolved: Vec<ManifestError>,
}

/// Hooks a caller gets while a reconcile runs: rendering, progress, metrics.
pub trait Progress: Sync {
    /// The plan about to be executed (after the guard), with the warnings of its making.
    fn planned(&self, _planned: &Planned) {}
    /// One action's result, as soon as it is recorded.
    fn result(&self, _result: &ActionResult) {}
}

/// No hooks.
impl Progress for () {}

/// What executes a plan: the client, the records, the executor's switches, the shutdown signal
/// and the caller's hooks.
#[derive(Clone, Copy)]
pub struct Executor<'a> {
    pub client: &'a Client,
    pub records: &'a Records,
    pub options: &'a ApplyOptions,
    pub shutdown: &'a CancellationToken,
    pub progress: &'a dyn Progress,
}

/// A reconcile that ran to its end: the plan it executed and every action's result.
#[derive(Debug, Clone)]
pub struct Applied {
    pub plan: Plan,
    pub warnings: Vec<String>,
    pub report: ApplyReport,
    /// Documents whose `version` did not resolve: nothing was sent for them (exit 1).
    pub unresolved: Vec<ManifestError>,
    /// What the plan's refresh saw of each planned version (for notifications).
    pub observation: BTreeMap<Key, Observation>,
}

/// The versions `--prune` may cancel: submitted by mnpsync per the records (its own approval,
/// not approved), matching the selector, last declared under one of the run's roots, and
/// declared by no manifest of the whole set.
pub(crate) fn prune_candidates(
    all: &Desired,
    state: &State,
    selector: &Selector,
    roots: &[Root],
) -> Vec<PruneCandidate> {
    state
        .entries
        .iter()
        .filter(|(key, entry)| {
            entry.submitted_by_mnpsync
                // An approved version with no manifest is simply done.
                && entry.observed != Observed::Approved
                && !all.resources.contains_key(*key)
                && in_scope(entry, selector, roots)
        })
        .map(|(key, entry)| PruneCandidate {
            key: key.clone(),
            name: entry.name.clone(),
            region: entry.region.clone(),
            owned_approval: entry.owned_approval.clone(),
            claim_baseline: entry.pending_claim.clone(),
            api: entry.api,
        })
        .collect()
}

/// Whether a recorded version is in this run's scope: it matches the selector and was last
/// declared under one of the run's paths (another team's directory is not "removed"). Unknown
/// roots (records of an older mnpsync) are in scope, as before roots were recorded.
fn in_scope(entry: &crate::record::StateEntry, selector: &Selector, roots: &[Root]) -> bool {
    selector.matches(&entry.labels)
        && (roots.is_empty()
            || entry
                .root
                .as_ref()
                .is_none_or(|id| roots.iter().any(|r| &r.id == id)))
}

/// A version the records hold that no manifest declares and that the plan leaves alone (no
/// `--prune`, or not mnpsync's to cancel): no longer managed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unmanaged {
    pub key: Key,
    pub name: String,
    pub observed: Observed,
}

/// The versions of the records, in this run's scope (selector, roots: as for prune), that no
/// manifest of `all` declares and that `plan` does not act on.
pub fn unmanaged(
    all: &Desired,
    state: &State,
    selector: &Selector,
    roots: &[Root],
    plan: &Plan,
) -> Vec<Unmanaged> {
    state
        .entries
        .iter()
        .filter(|(key, entry)| {
            !all.resources.contains_key(*key)
                && !plan.resources.iter().any(|r| &r.key == *key)
                && in_scope(entry, selector, roots)
        })
        .map(|(key, entry)| Unmanaged {
            key: key.clone(),
            name: entry.name.clone(),
            observed: entry.observed,
        })
        .collect()
}

/// Why `selector` selects nothing, when it does: no manifest of `all` matches it and (for a
/// prune) no recorded version either. The message names the labels in use (those of the keys
/// the selector names, else all), so a typo is plain to see: `--selector team=paymnets matches
/// no manifest (labels in use: team=payments, team=retail)`. `None` for the empty selector.
pub fn selector_matches_nothing(
    all: &Desired,
    records: Option<&State>,
    selector: &Selector,
) -> Option<String> {
    let documents = || all.resources.values().chain(&all.by_version);
    if selector.is_empty() || documents().any(|r| selector.matches(&r.labels)) {
        return None;
    }
    if records.is_some_and(|state| state.entries.values().any(|e| selector.matches(&e.labels))) {
        return None;
    }
    let labels: BTreeSet<(&String, &String)> = documents().flat_map(|r| r.labels.iter()).collect();
    let named: Vec<&(&String, &String)> = labels
        .iter()
        .filter(|(k, _)| selector.0.iter().any(|(key, _)| key == *k))
        .collect();
    let shown: Vec<&(&String, &String)> = if named.is_empty() {
        labels.iter().collect()
    } else {
        named
    };
    const SHOWN: usize = 20;
    let mut list: Vec<String> = shown
        .iter()
        .take(SHOWN)
        .map(|(k, v)| crate::text::clip(&format!("{k}={v}"), 80))
        .collect();
    if shown.len() > SHOWN {
        list.push(format!("… {} more", shown.len() - SHOWN));
    }
    let in_use = if list.is_empty() {
        "no manifest has labels".to_string()
    } else {
        format!("labels in use: {}", list.join(", "))
    };
    Some(format!(
        "--selector {} matches no manifest ({in_use})",
        crate::text::clip(&selector.to_string(), 200)
    ))
}

/// Selects, refreshes (as asked and possible), plans and guards.
///
/// `all` is the whole manifest set (prune must not cancel what any manifest declares, selected
/// or not); `client` is `None` when no refresh is possible (no credentials needed for
/// `--no-refresh`). The "no manifest left" prune guard runs before any listing.
///
/// # Errors
/// [`PlanError::Auth`] when the API refused the credentials; [`PlanError::Refresh`] when a
/// listing failed under [`OnRefreshFailure::Fail`]; [`PlanError::Refused`] from the prune guard;
/// [`PlanError::Interrupted`] on shutdown.
pub async fn make_plan(
    client: Option<&Client>,
    all: &Desired,
    state: &State,
    request: &Request,
    shutdown: &CancellationToken,
) -> Result<Planned, PlanError> {
    let selected = all.select(&request.selector);
    let prune = if request.prune {
        prune_candidates(all, state, &request.selector, &request.roots)
    } else {
        Vec::new()
    };
    if request.prune_limit.is_some()
        && selected.resources.is_empty()
        && selected.by_version.is_empty()
        && !prune.is_empty()
    {
        return Err(PlanError::Refused(format!(
            "refusing to prune {} version(s): the manifests declare no version at all; check that no manifest was deleted by mistake, then pass --force",
            prune.len()
        )));
    }
    // A version no manifest declares any more is listed (and cancelled) through the API the
    // records say it was declared for.
    let extended = client.map(|c| {
        c.with_more_platform_apis(
            prune
                .iter()
                .filter_map(|p| p.api.map(|api| (p.key.platform_id.clone(), api))),
        )
    });
    let client = extended.as_ref();
    let mut warnings = Vec::new();
    // Mini programs first: their listings give version-string documents their identity.
    let mut programs = state.programs();
    let refreshing = request.refresh != Refresh::Off && client.is_some();
    let mut programs_listed = false;
    if let Some(client) = client.filter(|_| refreshing) {
        let wanted = programs_to_list(&selected, &programs, request);
        if !wanted.is_empty() {
            let fresh = tokio::select! {
                fresh = programs::list_programs(client, &wanted) => fresh,
                () = shutdown.cancelled() => return Err(PlanError::Interrupted),
            };
            match fresh {
                Ok(fresh) => {
                    programs.extend(fresh);
                    programs_listed = true;
                }
                Err(failures) => listing_failed(failures, client, request, &mut warnings)?,
            }
        }
    }
    let (desired, unresolved) = selected.resolve(|r| {
        let mnp = r.mnp_id.as_deref().unwrap_or_default();
        match programs.get(&MnpKey::new(&r.key.platform_id, mnp)) {
            Some(program) => program.resolve(r.version.as_deref().unwrap_or_default()),
            None => Err(
                "the mini program has not been listed (no refresh, and the records have not seen it); plan with a refresh"
                    .to_string(),
            ),
        }
    });
    let mut keys: BTreeMap<Key, Option<String>> = desired
        .resources
        .values()
        .map(|r| (r.key.clone(), r.region.clone()))
        .collect();
    keys.extend(prune.iter().map(|c| (c.key.clone(), c.region.clone())));
    let mut observed = state.observed();
    let to_refresh = match (request.refresh, client) {
        (Refresh::Off, _) | (_, None) => None,
        (Refresh::All, Some(client)) => Some((client, keys)),
        (Refresh::Live, Some(client)) => {
            let mut live = keys_to_refresh(&keys, &observed);
            live.extend(
                keys.iter()
                    .filter(|(k, _)| request.touched.contains(&k.platform_id))
                    .map(|(k, r)| (k.clone(), r.clone())),
            );
            Some((client, live))
        }
    };
    let mut refreshed = to_refresh.is_some();
    // Every version the listings showed, declared or not (the conflict rule's neighbours).
    let mut listed = BTreeMap::new();
    if let Some((client, keys)) = to_refresh
        && !keys.is_empty()
    {
        let fresh = tokio::select! {
            fresh = refresh::refresh_seen(client, &keys) => fresh,
            () = shutdown.cancelled() => return Err(PlanError::Interrupted),
        };
        match fresh {
            Ok((fresh, seen)) => {
                observed.extend(fresh);
                listed = seen;
            }
            Err(failures) => {
                listing_failed(failures, client, request, &mut warnings)?;
                refreshed = false;
            }
        }
    }
    // The released history, only where a rollback is in question.
    if let Some(client) = client.filter(|_| programs_listed) {
        let wanted = histories_to_read(&desired, &observed, &programs);
        if !wanted.is_empty() {
            let read = tokio::select! {
                read = programs::read_histories(client, &wanted, &mut programs) => read,
                () = shutdown.cancelled() => return Err(PlanError::Interrupted),
            };
            if let Err(failures) = read {
                listing_failed(failures, client, request, &mut warnings)?;
            }
        }
    }
    // Ownership is per approval: a newer approval that mnpsync did not create (a person's
    // resubmit) is someone else's, and is never pruned.
    let mut prune = prune;
    prune.retain(|c| {
        observed.get(&c.key).is_none_or(|seen| {
            owns_latest(
                c.owned_approval.as_deref(),
                c.claim_baseline.as_deref(),
                seen,
            )
        })
    });
    let mut plan = plan_with(
        &desired,
        &observed,
        &programs,
        &prune,
        &request.options,
        refreshed,
        request.commit.clone(),
    );
    listed.extend(observed.iter().map(|(k, o)| (k.clone(), o.clone())));
    conflicts::annotate(&mut plan, &listed);
    windows::mark(&mut plan, &request.release_windows, (request.clock)());
    // What the plan knew of the mini programs it names (the records and a saved plan keep it).
    let named: BTreeSet<MnpKey> = named_programs(&desired).into_keys().collect();
    programs.retain(|k, _| named.contains(k));
    let observation = plan
        .resources
        .iter()
        .filter_map(|r| observed.get(&r.key).map(|o| (r.key.clone(), o.clone())))
        .collect();
    guard(plan, request).map(|plan| Planned {
        plan,
        warnings,
        observation,
        prune,
        programs,
        unresolved,
    })
}

/// Handles failed listings: an auth failure stops planning; otherwise the request decides
/// between failing and falling back to the records (with a warning naming every failure).
fn listing_failed(
    mut failures: Vec<(String, crate::tcmpp::CallError)>,
    client: &Client,
    request: &Request,
    warnings: &mut Vec<String>,
) -> Result<(), PlanError> {
    if let Some(at) = failures.iter().position(|(_, e)| e.class == Class::Auth) {
        let (platform, e) = failures.swap_remove(at);
        return Err(PlanError::Auth {
            platform,
            error: Box::new(e.error),
            credentials: Box::new(client.credentials().source.clone()),
        });
    }
    let failures: Vec<(String, Box<ApiError>)> = failures
        .into_iter()
        .map(|(platform, e)| (platform, Box::new(e.error)))
        .collect();
    match request.on_refresh_failure {
        OnRefreshFailure::Fail => Err(PlanError::Refresh { failures }),
        OnRefreshFailure::FallBack => {
            warnings.push(format!(
                "refresh failed for {}; planning from the state file instead",
                describe_failures(&failures)
            ));
            Ok(())
        }
    }
}

/// Every mini program the documents name (`spec.mnpId`), with a region to list it in.
fn named_programs(desired: &Desired) -> BTreeMap<MnpKey, Option<String>> {
    let mut named: BTreeMap<MnpKey, Option<String>> = BTreeMap::new();
    for r in desired.resources.values().chain(&desired.by_version) {
        if let Some(mnp) = &r.mnp_id {
            let region = named
                .entry(MnpKey::new(&r.key.platform_id, mnp))
                .or_insert(None);
            if region.is_none() {
                region.clone_from(&r.region);
            }
        }
    }
    named
}

/// The mini programs a refresh lists: all named ones under [`Refresh::All`]; under
/// [`Refresh::Live`] those with a version string the records cannot resolve, a version
/// declared `release: online` that the records do not show online, or a platform a manifest
/// change touched.
fn programs_to_list(
    selected: &Desired,
    known: &BTreeMap<MnpKey, Program>,
    request: &Request,
) -> BTreeMap<MnpKey, Option<String>> {
    let named = named_programs(selected);
    if request.refresh != Refresh::Live {
        return named;
    }
    let live: BTreeSet<MnpKey> = selected
        .resources
        .values()
        .chain(&selected.by_version)
        .filter_map(|r| {
            let key = MnpKey::new(&r.key.platform_id, r.mnp_id.as_deref()?);
            let program = known.get(&key);
            let unresolved = r.version.as_deref().is_some_and(|v| {
                r.key.mnp_version_id == 0 && program.is_none_or(|p| p.resolve(v).is_err())
            });
            let releasing = r.release.is_some()
                && !program.is_some_and(|p| {
                    let id = match (r.key.mnp_version_id, r.version.as_deref()) {
                        (0, Some(v)) => p.resolve(v).ok(),
                        (id, _) => Some(id),
                    };
                    id.is_some_and(|id| p.online() == Ok(Online::Version(id)))
                });
            let touched = request.touched.contains(&r.key.platform_id);
            (unresolved || releasing || touched).then_some(key)
        })
        .collect();
    named
        .into_iter()
        .filter(|(k, _)| live.contains(k))
        .collect()
}

/// The mini programs whose released history a plan needs: a version declared
/// `release: online`, approved, older than the online one, and no history known.
fn histories_to_read(
    desired: &Desired,
    observed: &BTreeMap<Key, Observation>,
    programs: &BTreeMap<MnpKey, Program>,
) -> BTreeMap<MnpKey, Option<String>> {
    desired
        .resources
        .values()
        .filter(|r| r.release.is_some())
        .filter(|r| {
            observed
                .get(&r.key)
                .is_some_and(|o| o.status == Observed::Approved)
        })
        .filter_map(|r| {
            let key = MnpKey::new(&r.key.platform_id, r.mnp_id.as_deref()?);
            let program = programs.get(&key)?;
            program
                .needs_history(r.key.mnp_version_id)
                .then(|| (key, r.region.clone()))
        })
        .collect()
}

/// The prune guard (DESIGN.md §10), when the request has a limit.
fn guard(plan: Plan, request: &Request) -> Result<Plan, PlanError> {
    match request
        .prune_limit
        .and_then(|limit| prune_refusal(&plan, limit))
    {
        Some(why) => Err(PlanError::Refused(why)),
        None => Ok(plan),
    }
}

/// The whole pipeline: plans from the records and a refresh, guards, executes, records.
///
/// # Errors
/// [`ReconcileError::Plan`] when no plan could be made (nothing was sent);
/// [`ReconcileError::Records`] when the records could not be written.
pub async fn reconcile(
    exec: &Executor<'_>,
    all: &Desired,
    request: &Request,
) -> Result<Applied, ReconcileError> {
    let state = exec.records.snapshot();
    let planned = make_plan(Some(exec.client), all, &state, request, exec.shutdown).await?;
    execute(exec, planned, all, &request.roots).await
}

/// Records what the plan saw, then executes its actions and records every outcome.
async fn execute(
    exec: &Executor<'_>,
    planned: Planned,
    all: &Desired,
    roots: &[Root],
) -> Result<Applied, ReconcileError> {
    let run = RunInfo::new(planned.plan.commit.clone());
    exec.records.observe(
        &planned.plan,
        &planned.observation,
        &planned.programs,
        &labels_of(all),
        &roots_by_key(all, roots),
        &run.run_id,
    )?;
    // Names, labels and regions are durable before the first call (prune reads them later);
    // a plan with no call leaves that to the executor's closing checkpoint.
    if planned.plan.has_changes() {
        exec.records.flush().await?;
    }
    exec.progress.planned(&planned);
    let Planned {
        plan,
        warnings,
        unresolved,
        observation,
        ..
    } = planned;
    let on_result = |r: &ActionResult| exec.progress.result(r);
    let report = apply(
        exec.client,
        &plan,
        exec.records,
        &run,
        exec.options,
        exec.shutdown,
        &on_result,
    )
    .await?;
    Ok(Applied {
        plan,
        warnings,
        report,
        unresolved,
        observation,
    })
}

/// Label sets of the declared resources, for the records.
fn labels_of(desired: &Desired) -> BTreeMap<Key, BTreeMap<String, String>> {
    desired
        .resources
        .iter()
        .map(|(k, r)| (k.clone(), r.labels.clone()))
        .collect()
}
