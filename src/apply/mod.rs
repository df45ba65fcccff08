//! The executor: runs a plan's actions (cancels, then submits) concurrently under the client's
//! rate limit, turns every call into exactly one [`Outcome`], and records intent and outcome.
//!
//! Each action goes to its resource's API (`spec.api`), else to the API the client routes its
//! platform to ([`Client::for_platform`]), else to the client's; an approval number the API
//! returns (TCSAS's submit) reaches the [`ActionResult`] and the journal's outcome line.
//!
//! It decides nothing about what to do (that is the plan) and nothing about wire retries (that is
//! the client); it maps classified results to outcomes and keeps the records.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::action::Action;
use crate::manifest::Key;
use crate::observe::{Observation, Observed, confirm, observe_records};
use crate::plan::{Plan, PlannedResource};
use crate::record::{Event, JournalLine, Outcome, RecordError, Records, now_rfc3339};
use crate::tcmpp::error::Class;
use crate::tcmpp::model::{
    CreateMnpApprovalRequest, PHASE_ONLINE, ReleaseMnpVersionRequest, RollbackMnpVersionRequest,
};
use crate::tcmpp::{ApiError, CallError, Client};

/// The result of one action, as printed and as written to the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub key: Key,
    pub name: String,
    pub action: Action,
    pub outcome: Outcome,
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub attempts: u32,
    #[serde(skip)]
    pub duration_ms: u64,
    /// The approval a submit created, when the API names it (TCSAS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_no: Option<String>,
}

/// Everything one apply did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub format_version: u32,
    pub run_id: String,
    pub commit: Option<String>,
    pub results: Vec<ActionResult>,
    pub summary: BTreeMap<Outcome, usize>,
    /// Why the run stopped early (auth failure, shutdown), if it did.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stopped: Option<String>,
    /// What needs a person (the plan's attention items: a rejection with the reviewer's note,
    /// an approved version declared cancelled, an unknown status). They do not change the exit
    /// status.
    #[serde(default)]
    pub attention: Vec<AttentionItem>,
    /// Releases and rollbacks planned but not executed: outside every release window
    /// (`deferred`), or a rollback without `--allow-rollback` (`needs_allow_rollback`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<Held>,
}

/// A release or rollback the executor did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub key: Key,
    pub name: String,
    pub action: Action,
    pub why: HoldReason,
    pub message: String,
    /// When the next release window opens (RFC 3339), for a deferral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// Why a release or rollback was held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HoldReason {
    /// Outside every release window: it runs when one opens (not an error).
    Deferred,
    /// A rollback needs `--allow-rollback`: the declared state needs a decision (exit 1).
    NeedsAllowRollback,
}

/// One version that needs a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionItem {
    pub key: Key,
    pub name: String,
    pub message: String,
}

/// The attention items of a plan.
pub fn attention_of(plan: &Plan) -> Vec<AttentionItem> {
    plan.resources
        .iter()
        .filter_map(|r| {
            r.attention.as_ref().map(|message| AttentionItem {
                key: r.key.clone(),
                name: r.name.clone(),
                message: message.clone(),
            })
        })
        .collect()
}

impl ApplyReport {
    /// Whether every action converged (exit status 0).
    pub fn converged(&self) -> bool {
        self.stopped.is_none()
            && self.results.iter().all(|r| r.outcome.converged())
            && self
                .held
                .iter()
                .all(|h| h.why != HoldReason::NeedsAllowRollback)
    }
}

/// Switches of the executor.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Calls in flight at most.
    pub concurrency: usize,
    /// Execute planned rollbacks (`--allow-rollback`); without it they are held.
    pub allow_rollback: bool,
    /// When releases and rollbacks may run, checked right before they would execute.
    pub release_gate: ReleaseGate,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 16,
            allow_rollback: false,
            release_gate: ReleaseGate::default(),
        }
    }
}

/// Decides whether a release or rollback may run now: `None` when it may, else when it may
/// (RFC 3339) and a sentence for people. The default always allows.
#[derive(Clone, Default)]
pub struct ReleaseGate(Option<Arc<DeferralCheck>>);

/// The check behind a [`ReleaseGate`]: `None` when releases may run now; else (until, message).
type DeferralCheck = dyn Fn() -> Option<(String, String)> + Send + Sync;

impl ReleaseGate {
    /// A gate that asks `check` each time.
    pub fn new(check: impl Fn() -> Option<(String, String)> + Send + Sync + 'static) -> Self {
        ReleaseGate(Some(Arc::new(check)))
    }

    /// `None` when releases may run now; else (until, message).
    pub fn deferral(&self) -> Option<(String, String)> {
        self.0.as_ref().and_then(|check| check())
    }
}

impl std::fmt::Debug for ReleaseGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ReleaseGate(windows)"
        } else {
            "ReleaseGate(always)"
        })
    }
}

/// Who is running: identifies journal lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    pub run_id: String,
    pub commit: Option<String>,
}

impl RunInfo {
    /// A new run id (time-ordered, unique enough per state directory) and the given commit.
    pub fn new(commit: Option<String>) -> RunInfo {
        let now = time::OffsetDateTime::now_utc();
        let run_id = format!("{}-{:08x}", now.unix_timestamp(), rand::random::<u32>());
        RunInfo { run_id, commit }
    }
}

/// One platform's listing after a call, or why listing it failed.
type Listing = Result<BTreeMap<Key, Observation>, String>;

/// One platform's latest listing and when it was taken; locked while a listing is in flight.
type Cell = Arc<tokio::sync::Mutex<Option<(Instant, Listing)>>>;

/// Lists a platform to confirm "already" answers (observe.rs), sharing each listing among the
/// actions it can answer: one taken after their call ended. A listing from before a call may
/// miss the approval that call itself made (its first reply lost, the retry answered
/// `ExistMNPApprovalRecord`), which would turn `already_in_place` into a false `blocked`.
#[derive(Default)]
struct Listings {
    cells: Mutex<HashMap<String, Cell>>,
}

impl Listings {
    async fn after(
        &self,
        client: &Client,
        key: &Key,
        region: Option<&str>,
        since: Instant,
    ) -> Listing {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells.entry(key.platform_id.clone()).or_default().clone()
        };
        let mut listing = cell.lock().await;
        if let Some((taken, seen)) = listing.as_ref()
            && *taken >= since
        {
            return seen.clone();
        }
        let taken = Instant::now();
        let seen: Listing = client
            .list_approvals(&key.platform_id, None, region)
            .await
            .map(|records| observe_records(&key.platform_id, &records))
            .map_err(|e| e.error.to_string());
        *listing = Some((taken, seen.clone()));
        seen
    }
}

/// Maps one call's result to its outcome and message.
///
/// `error` is `None` for a success; `source` locates the manifest for rejected input.
pub(crate) fn outcome_of(
    action: Action,
    error: Option<&CallError>,
    source: &str,
) -> (Outcome, Option<String>) {
    let Some(error) = error else {
        return match action {
            Action::Submit => (Outcome::Submitted, None),
            Action::Cancel => (Outcome::Cancelled, None),
            Action::Release => (Outcome::Released, None),
            Action::Rollback => (Outcome::RolledBack, None),
        };
    };
    let code = error.error.code();
    let server = error.error.message();
    match error.class {
        Class::AlreadyInPlace => (
            Outcome::AlreadyInPlace,
            Some("an approval request is already in place".to_string()),
        ),
        Class::AlreadyCancelled => (
            Outcome::AlreadyCancelled,
            Some("nothing pending to cancel".to_string()),
        ),
        Class::AlreadyReleased => (
            Outcome::AlreadyReleased,
            Some("this version is online already".to_string()),
        ),
        Class::Blocked => (Outcome::Blocked, Some(blocked_message(&code, &server))),
        Class::RejectedInput => (
            Outcome::Failed,
            Some(format!(
                "the API rejected the request: {server}; check the manifest at {source}"
            )),
        ),
        Class::Auth => (
            Outcome::Failed,
            Some(format!("authentication failed: {server}")),
        ),
        Class::Transient => (
            Outcome::Failed,
            Some(format!(
                "gave up after {} attempts: {}",
                error.attempts, error.error
            )),
        ),
        Class::Clock | Class::Failed => match &error.error {
            // Withdrawn before a retry, after an attempt that went out: the server may have
            // acted on it. Only a request that never left is "not sent".
            ApiError::NotSent(reason) if error.attempts > 0 => (
                Outcome::Failed,
                Some(format!(
                    "effect unknown: the request was sent {} time(s) without an answer, then {reason}; the next run confirms what the platform holds",
                    error.attempts
                )),
            ),
            _ => (Outcome::Failed, Some(error.error.message())),
        },
    }
}

fn blocked_message(code: &str, server: &str) -> String {
    let cause = match code {
        "InvalidParameterValue.MNPVersionIsNotPlatformPhase" => {
            "this version is not in the platform phase; promote it on the platform first"
        }
        "FailedOperation.PackageAlreadyExpired" => {
            "the platform's package has expired; renew it on the platform"
        }
        "FailedOperation.MNPTeamNotAssociatedApplicationTeam" => {
            "the mini program's team is not associated with the application's team; associate them on the platform"
        }
        "FailedOperation.MNPTeamAssociatedApplicationTeamNotCreateApplication" => {
            "the associated application team has not created an application; create it on the platform"
        }
        "FailedOperation.OnlyReleasePlatformApprovedMNPVersion" => {
            "only an approved version can be released; this version's approval is not approved on the platform (run plan to see its state)"
        }
        "FailedOperation.ReleaseMNPVersionNeedGreaterThanOnlineVersion" => {
            "the platform only releases a version newer than the online one; declare a newer version, or roll back to a released one with --allow-rollback"
        }
        "FailedOperation.MNPReleaseNumberExceedLimit" => {
            "the mini program reached the platform's limit on releases; ask the platform's administrator to raise it"
        }
        "FailedOperation.MNPOnlineVersionNotExist" => {
            "the mini program has no online version to roll back from; release a version instead"
        }
        _ => "a person must act on the platform",
    };
    format!("blocked: {cause} ({server})")
}

/// Executes `plan`'s actions and records every outcome.
///
/// Cancels run before submits. An auth failure stops the run: actions not yet started end
/// `failed` without a call. `shutdown` stops new calls; calls in flight finish, and actions not
/// started are left out of the report (the next run plans them again).
///
/// # Errors
/// Only record I/O errors; API failures become outcomes.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    records: &Records,
    run: &RunInfo,
    options: &ApplyOptions,
    shutdown: &CancellationToken,
    on_result: &(dyn Fn(&ActionResult) + Sync),
) -> Result<ApplyReport, RecordError> {
    let auth_stop: Mutex<Option<String>> = Mutex::new(None);
    let stopped = AtomicBool::new(false);
    let listings = Listings::default();
    // Where each declared version comes from, to name the holder of a pending request.
    let sources: BTreeMap<Key, String> = plan
        .resources
        .iter()
        .filter(|r| !r.pruned)
        .map(|r| (r.key.clone(), r.source.clone()))
        .collect();
    let mut results = Vec::new();
    let mut record_error: Option<RecordError> = None;
    let mut held = Vec::new();
    for phase in 0..=2u8 {
        let mut actions: Vec<&PlannedResource> = plan
            .actions()
            .filter(|r| r.action.map(Action::phase) == Some(phase))
            .collect();
        if phase == 2 && !shutdown.is_cancelled() {
            actions.retain(|r| match hold(r, options) {
                Some(h) => {
                    held.push(h);
                    false
                }
                None => true,
            });
        }
        // Indices rather than borrowed items keep the future `Send`.
        let mut stream = futures::stream::iter(0..actions.len())
            .map(|i| {
                let r = actions[i];
                execute_one(
                    client, r, records, run, shutdown, &auth_stop, &stopped, &listings, &sources,
                )
            })
            .buffer_unordered(options.concurrency.max(1));
        let mut since_flush = 0;
        while let Some(result) = stream.next().await {
            match result {
                Ok(Some(result)) => {
                    on_result(&result);
                    results.push(result);
                    since_flush += 1;
                    if since_flush >= 50 {
                        since_flush = 0;
                        if let Err(e) = records.flush().await {
                            record_error.get_or_insert(e);
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    record_error.get_or_insert(e);
                }
            }
        }
    }
    records.flush().await?;
    if let Some(e) = record_error {
        return Err(e);
    }
    let mut summary = BTreeMap::new();
    for r in &results {
        *summary.entry(r.outcome).or_insert(0) += 1;
    }
    let auth = auth_stop.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let stopped = if shutdown.is_cancelled() && results.len() + held.len() < plan.actions().count()
    {
        Some("shutdown requested; actions not started are planned again next run".to_string())
    } else {
        auth
    };
    Ok(ApplyReport {
        format_version: 1,
        run_id: run.run_id.clone(),
        commit: run.commit.clone(),
        results,
        summary,
        stopped,
        attention: attention_of(plan),
        held,
    })
}

/// Why `r` (a release or rollback) must not run now, if it must not: a rollback without
/// `--allow-rollback`, or no release window open.
fn hold(r: &PlannedResource, options: &ApplyOptions) -> Option<Held> {
    let action = r.action?;
    let held = |why, message: String, until| Held {
        key: r.key.clone(),
        name: r.name.clone(),
        action,
        why,
        message,
        until,
    };
    if action == Action::Rollback && !options.allow_rollback {
        return Some(held(
            HoldReason::NeedsAllowRollback,
            "a rollback needs a decision: run again with --allow-rollback, or declare a newer version"
                .to_string(),
            None,
        ));
    }
    let (until, message) = options.release_gate.deferral()?;
    Some(held(HoldReason::Deferred, message, Some(until)))
}

#[allow(clippy::too_many_arguments)] // The executor's context, borrowed from one stack frame.
async fn execute_one(
    client: &Client,
    r: &PlannedResource,
    records: &Records,
    run: &RunInfo,
    shutdown: &CancellationToken,
    auth_stop: &Mutex<Option<String>>,
    stopped: &AtomicBool,
    listings: &Listings,
    sources: &BTreeMap<Key, String>,
) -> Result<Option<ActionResult>, RecordError> {
    let Some(action) = r.action else {
        return Ok(None);
    };
    if shutdown.is_cancelled() {
        return Ok(None);
    }
    let line = |event, result: Option<&ActionResult>| JournalLine {
        seq: 0,
        ts: now_rfc3339(),
        run_id: run.run_id.clone(),
        event,
        key: r.key.clone(),
        name: r.name.clone(),
        action,
        outcome: result.map(|x| x.outcome),
        error_code: result.and_then(|x| x.error_code.clone()),
        message: result.and_then(|x| x.message.clone()),
        request_id: result.and_then(|x| x.request_id.clone()),
        attempts: result.map(|x| x.attempts).unwrap_or(0),
        duration_ms: result.map(|x| x.duration_ms).unwrap_or(0),
        commit: run.commit.clone(),
        region: r.region.clone(),
        claim_baseline: None,
        approval_no: result.and_then(|x| x.approval_no.clone()),
    };
    let stop_reason = || {
        stopped.load(Ordering::SeqCst).then(|| {
            auth_stop
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .unwrap_or_default()
        })
    };
    if let Some(reason) = stop_reason() {
        let result = ActionResult {
            key: r.key.clone(),
            name: r.name.clone(),
            action,
            outcome: Outcome::Failed,
            error_code: None,
            message: Some(format!("not attempted: {reason}")),
            request_id: None,
            attempts: 0,
            duration_ms: 0,
            approval_no: None,
        };
        records.commit(line(Event::Outcome, Some(&result)))?;
        return Ok(Some(result));
    }
    // A submit notes the approval numbers known before it is sent: the first later listing
    // with a new one shows the approval it created (the claim rule, observe.rs).
    // Without any observation of the version there is no baseline, and so no claim: an
    // approval found later may predate this submit.
    let intent = JournalLine {
        claim_baseline: (action == Action::Submit && r.observed != Observed::Unknown)
            .then(|| r.approvals.clone()),
        ..line(Event::Intent, None)
    };
    records.commit(intent)?;
    let started = Instant::now();
    let gate = || {
        if shutdown.is_cancelled() {
            return Some("shutdown requested; planned again next run".to_string());
        }
        stop_reason()
    };
    let client = &client_for(client, r);
    let call = send(client, r, action, &gate).await;
    let (request_id, attempts, error_code) = match &call {
        Ok((id, attempts, _)) => (Some(id.clone()), *attempts, None),
        Err(e) => (
            e.error.request_id().map(str::to_string),
            e.attempts,
            Some(e.error.code()),
        ),
    };
    let (mut outcome, mut message) = outcome_of(action, call.as_ref().err(), &r.source);
    if let Err(e) = &call {
        if e.class == Class::Auth {
            let reason = format!(
                "run stopped after an authentication failure ({}) with credentials from {}",
                e.error.code(),
                client.credentials().source
            );
            message = Some(format!(
                "{}; credentials from {}",
                message.unwrap_or_default(),
                client.credentials().source
            ));
            let mut stop = auth_stop.lock().unwrap_or_else(|p| p.into_inner());
            stop.get_or_insert(reason);
            stopped.store(true, Ordering::SeqCst);
        }
        if e.class == Class::AlreadyReleased {
            // Confirmed like the other "already" answers: the version must be online now.
            (outcome, message) = confirm_released(client, r).await;
        }
        if let (Some(apply_action), Class::AlreadyInPlace | Class::AlreadyCancelled) =
            (action.apply_action(), e.class)
        {
            // "Already" answers are confirmed with a listing taken after the call, with or
            // without --no-refresh (observe.rs).
            let since = Instant::now();
            match listings
                .after(client, &r.key, r.region.as_deref(), since)
                .await
            {
                Ok(after) => {
                    if let Some(seen) = after.get(&r.key) {
                        records.settle_claim(&r.key, seen, &run.run_id, run.commit.clone())?;
                    }
                    let declared = |k: &Key| sources.get(k).cloned();
                    let (confirmed, why) = confirm(apply_action, &r.key, &after, &declared);
                    outcome = confirmed;
                    message = Some(why);
                }
                Err(list_error) => {
                    outcome = Outcome::Failed;
                    message = Some(format!(
                        "the API answered {}, but listing the platform's approvals to confirm it failed: {list_error}; run again",
                        e.error.code()
                    ));
                }
            }
        }
    }
    let result = ActionResult {
        key: r.key.clone(),
        name: r.name.clone(),
        action,
        outcome,
        error_code,
        message,
        request_id,
        attempts,
        duration_ms: started.elapsed().as_millis() as u64,
        approval_no: call.ok().and_then(|(_, _, no)| no),
    };
    records.commit(line(Event::Outcome, Some(&result)))?;
    Ok(Some(result))
}

/// Sends `r`'s call: `CreateMNPApproval` for a submit or cancel, `ReleaseMNPVersion`,
/// `RollbackMNPVersion`. Answers (RequestId, attempts, the approval number a TCSAS submit names).
async fn send(
    client: &Client,
    r: &PlannedResource,
    action: Action,
    gate: &crate::tcmpp::client::Gate<'_>,
) -> Result<(String, u32, Option<String>), CallError> {
    let region = r.region.as_deref();
    let platform_id = r.platform_id.clone();
    let mnp_version_id = r.mnp_version_id;
    match action.apply_action() {
        Some(apply_action) => {
            let request = CreateMnpApprovalRequest {
                mnp_version_id,
                apply_action,
                platform_id,
            };
            let reply = client
                .create_mnp_approval_gated(&request, region, gate)
                .await?;
            Ok((reply.request_id, reply.attempts, reply.data.approval_no))
        }
        None if action == Action::Release => {
            let request = ReleaseMnpVersionRequest {
                mnp_version_id,
                platform_id,
            };
            let reply = client
                .release_mnp_version_gated(&request, region, gate)
                .await?;
            Ok((reply.request_id, reply.attempts, None))
        }
        None => {
            let (Some(mnp_id), Some(mnp_version)) = (r.mnp_id.clone(), r.version.clone()) else {
                return Err(CallError {
                    error: ApiError::NotSent(
                        "a rollback needs the mini program and the version string, which the plan does not hold; plan again".to_string(),
                    ),
                    class: Class::Failed,
                    attempts: 0,
                });
            };
            let request = RollbackMnpVersionRequest {
                mnp_id,
                mnp_version_id,
                platform_id,
                mnp_version,
            };
            let reply = client
                .rollback_mnp_version_gated(&request, region, gate)
                .await?;
            Ok((reply.request_id, reply.attempts, None))
        }
    }
}

/// The outcome of `MNPVersionReleased`, confirmed with a listing of the mini program's versions
/// taken after the call: `already_released` when this version is online, else `blocked`.
async fn confirm_released(client: &Client, r: &PlannedResource) -> (Outcome, Option<String>) {
    let Some(mnp_id) = r.mnp_id.as_deref() else {
        return (
            Outcome::Failed,
            Some("the API answered MNPVersionReleased, but the plan does not name the mini program to confirm it; plan again".to_string()),
        );
    };
    match client
        .describe_mnp_all_stage_versions(&r.platform_id, mnp_id, r.region.as_deref())
        .await
    {
        Err(e) => (
            Outcome::Failed,
            Some(format!(
                "the API answered MNPVersionReleased, but listing {} to confirm it failed: {}; run again",
                crate::text::clean(mnp_id),
                e.error
            )),
        ),
        Ok(reply) => {
            let online: Vec<i64> = reply
                .data
                .iter()
                .filter(|v| v.phase.as_deref() == Some(PHASE_ONLINE))
                .filter_map(|v| v.mnp_version_id)
                .collect();
            if online.contains(&r.mnp_version_id) {
                (
                    Outcome::AlreadyReleased,
                    Some("this version is online already".to_string()),
                )
            } else {
                let now = match online.as_slice() {
                    [] => "no version is online".to_string(),
                    ids => format!(
                        "{} online now",
                        ids.iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                (
                    Outcome::Blocked,
                    Some(format!(
                        "blocked: the platform says this version was released before, but {now}; plan again to see what it takes"
                    )),
                )
            }
        }
    }
}

/// The client for `r`'s calls: its pinned API, else its platform's, else the client's.
fn client_for(client: &Client, r: &PlannedResource) -> Client {
    match r.api {
        Some(api) => client.for_api(api),
        None => client.for_platform(&r.platform_id),
    }
}

#[cfg(test)]
mod tests;
