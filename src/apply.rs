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

use crate::manifest::Key;
use crate::observe::{Observation, Observed, confirm, observe_records};
use crate::plan::{Plan, PlannedResource};
use crate::record::{Event, JournalLine, Outcome, RecordError, Records, now_rfc3339};
use crate::tcmpp::error::Class;
use crate::tcmpp::model::{ApplyAction, CreateMnpApprovalRequest};
use crate::tcmpp::{ApiError, CallError, Client};

/// The result of one action, as printed and as written to the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub key: Key,
    pub name: String,
    pub action: ApplyAction,
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
        self.stopped.is_none() && self.results.iter().all(|r| r.outcome.converged())
    }
}

/// Switches of the executor.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// Calls in flight at most.
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { concurrency: 16 }
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
    action: ApplyAction,
    error: Option<&CallError>,
    source: &str,
) -> (Outcome, Option<String>) {
    let Some(error) = error else {
        return match action {
            ApplyAction::Submit => (Outcome::Submitted, None),
            ApplyAction::Cancel => (Outcome::Cancelled, None),
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
    options: ApplyOptions,
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
    for phase in [ApplyAction::Cancel, ApplyAction::Submit] {
        let actions: Vec<&PlannedResource> =
            plan.actions().filter(|r| r.action == Some(phase)).collect();
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
    let stopped = if shutdown.is_cancelled() && results.len() < plan.actions().count() {
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
    })
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
        claim_baseline: (action == ApplyAction::Submit && r.observed != Observed::Unknown)
            .then(|| r.approvals.clone()),
        ..line(Event::Intent, None)
    };
    records.commit(intent)?;
    let started = Instant::now();
    let request = CreateMnpApprovalRequest {
        mnp_version_id: r.mnp_version_id,
        apply_action: action,
        platform_id: r.platform_id.clone(),
    };
    let gate = || {
        if shutdown.is_cancelled() {
            return Some("shutdown requested; planned again next run".to_string());
        }
        stop_reason()
    };
    let client = &client_for(client, r);
    let call = client
        .create_mnp_approval_gated(&request, r.region.as_deref(), &gate)
        .await
        .map(|reply| (reply.request_id, reply.attempts, reply.data.approval_no));
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
        if matches!(e.class, Class::AlreadyInPlace | Class::AlreadyCancelled) {
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
                    let (confirmed, why) = confirm(action, &r.key, &after, &declared);
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

/// The client for `r`'s calls: its pinned API, else its platform's, else the client's.
fn client_for(client: &Client, r: &PlannedResource) -> Client {
    match r.api {
        Some(api) => client.for_api(api),
        None => client.for_platform(&r.platform_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    fn failure(code: &str, action: ApplyAction) -> CallError {
        let error = crate::tcmpp::ApiError::Service {
            code: code.into(),
            message: "server says".into(),
            request_id: "req".into(),
        };
        CallError {
            class: crate::tcmpp::classify(&error, Some(action)),
            error,
            attempts: 1,
        }
    }

    #[test]
    fn every_class_maps_to_one_outcome() {
        use ApplyAction::{Cancel, Submit};
        let at = "manifests/shop.yaml:7";
        assert_eq!(outcome_of(Submit, None, at), (Outcome::Submitted, None));
        assert_eq!(outcome_of(Cancel, None, at), (Outcome::Cancelled, None));
        let rows = [
            (
                "FailedOperation.ExistMNPApprovalRecord",
                Submit,
                Outcome::AlreadyInPlace,
                "already in place",
            ),
            (
                "InvalidParameterValue.MNPApprovalStatusError",
                Cancel,
                Outcome::AlreadyCancelled,
                "nothing pending",
            ),
            (
                "FailedOperation.PackageAlreadyExpired",
                Submit,
                Outcome::Blocked,
                "package has expired",
            ),
            (
                "InvalidParameterValue.MNPVersionIsNotPlatformPhase",
                Submit,
                Outcome::Blocked,
                "not in the platform phase",
            ),
            (
                "InvalidParameterValue.InvalidPlatformId",
                Submit,
                Outcome::Failed,
                "check the manifest at manifests/shop.yaml:7",
            ),
            (
                "AuthFailure.SignatureFailure",
                Submit,
                Outcome::Failed,
                "authentication failed: server says",
            ),
            (
                "InternalError",
                Submit,
                Outcome::Failed,
                "gave up after 1 attempts",
            ),
            ("FailedOperation", Cancel, Outcome::Failed, "server says"),
        ];
        for (code, action, outcome, words) in rows {
            let (got, message) = outcome_of(action, Some(&failure(code, action)), at);
            assert_eq!(got, outcome, "{code}");
            let message = message.unwrap_or_default();
            assert!(message.contains(words), "{code}: {message}");
        }
    }

    /// `watch` and library users spawn applies on a multi-threaded runtime.
    #[test]
    fn apply_future_is_send() {
        let config = crate::tcmpp::ClientConfig::new(
            crate::tcmpp::Endpoint::parse("http://127.0.0.1:1").unwrap(),
        );
        let client = Client::new(crate::tcmpp::Credentials::new("a", "b", "test"), config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let records = Records::open(dir.path()).unwrap();
        let plan = crate::plan::plan(
            &crate::manifest::Desired::default(),
            &BTreeMap::new(),
            &[],
            &crate::plan::PlanOptions::default(),
            false,
            None,
        );
        let run = RunInfo::new(None);
        let shutdown = CancellationToken::new();
        let on_result = |_: &ActionResult| {};
        let future = apply(
            &client,
            &plan,
            &records,
            &run,
            ApplyOptions::default(),
            &shutdown,
            &on_result,
        );
        assert_send(&future);
        let keys = BTreeMap::new();
        let refresh = crate::reconcile::refresh(&client, &keys);
        assert_send(&refresh);
    }
}
