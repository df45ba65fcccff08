//! The long-running `watch`: when to reconcile (at start, on manifest changes, every interval,
//! retries after failures), file watching, timing, the state-directory lock, health and metrics.
//!
//! It makes no planning decisions and no calls of its own: every reconcile is the library's one
//! pipeline, [`crate::reconcile::reconcile`], with `Refresh::Live` (or `All` at start and every
//! `--full-resync`) and `OnRefreshFailure::Fail`. The decisions it does own are pure values —
//! `Schedule` (which trigger runs next, coalescing, backoff), `is_relevant` (which file events
//! matter), the health verdicts — and [`run`] only carries them out.
//!
//! - `schedule`: triggers, how a reconcile ended, the schedule.
//! - `files`: which paths are watched and which events matter.
//! - `health`: `/livez`, `/readyz`, `/healthz`, `/metrics`.
//! - `metrics`: the Prometheus registry.
//!
//! # Behaviour (DESIGN.md §7)
//!
//! - Reconciles never overlap: they run one at a time in the loop. File events that arrive during
//!   one are coalesced into a single follow-up; a timer that came due runs once.
//! - A broken manifest set is logged (every error, `path:line:column: message`), makes the
//!   health check fail and is never acted on; interval reconciles keep using the last valid set.
//! - An API outage or auth failure fails the reconcile; the next attempt follows an exponential
//!   backoff capped at the interval. Blocked or rejected actions wait for the next interval.
//! - Interval reconciles skip listing platforms whose versions are all in a final review state
//!   (approved, rejected) according to the records; the first reconcile, one every
//!   `--full-resync`, and the platforms a manifest change touches are always listed.
//! - Attention items are logged once per change.
//! - On shutdown no new call starts; calls in flight get [`SHUTDOWN_GRACE`] to finish.

mod files;
mod health;
mod metrics;
mod notices;
mod options;
mod schedule;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_full::DebounceEventResult;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::apply::ActionResult;
use crate::manifest::{self, Desired, ManifestErrors};
use crate::plan::{Observed, Plan};
use crate::reconcile::roots_of;
use crate::reconcile::{
    Executor, OnRefreshFailure, PlanError, Planned, Progress, ReconcileError, Refresh, Request,
    reconcile,
};
use crate::record::{Lock, Outcome, Records};
use crate::report;
use crate::tcmpp::Client;

pub use health::PROBES;
pub use metrics::Metrics;
pub use options::{
    DEFAULT_DEBOUNCE, DEFAULT_FULL_RESYNC, DEFAULT_INTERVAL, INTERVAL_JITTER, MIN_INTERVAL,
    NOTIFY_GRACE, RETRY_BASE, SHUTDOWN_GRACE, WatchError, WatchOptions,
};

pub(crate) use files::{Entry, is_relevant};
pub(crate) use health::HealthState;
pub(crate) use schedule::{Reconciled, Schedule, Trigger, needs_retry, unchanged};

use files::FileWatcher;
use health::{Status, serve_health};

/// The last valid manifest set and the commit it was read at.
struct Valid {
    desired: Desired,
    commit: Option<String>,
}

/// Runs the watch until `shutdown` is cancelled, then returns `Ok` (exit 0).
///
/// Holds the state-directory lock for its whole life. With `health_addr`, serves `/healthz`
/// and `/metrics` and announces the bound address in one log event, `health on http://ADDR`
/// with the field `addr` (for scripts). Build `client` with
/// `Client::observed(…, Some(metrics.observer()))` to get request metrics.
///
/// The returned future is `Send`: it may be spawned on a multi-threaded runtime.
///
/// # Errors
/// Only at start: bad options, the lock held by another process or unusable records, the health
/// address not bindable, the file watcher not available; and a final records flush that fails.
pub async fn run(
    client: Client,
    state_dir: &Path,
    options: WatchOptions,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> Result<(), WatchError> {
    options.check()?;
    let lock = Lock::acquire(state_dir)?;
    let records = Records::open_with(state_dir, options.records)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let files = FileWatcher::new(options.debounce, events_tx)?;
    let status = Arc::new(Status {
        health: Mutex::new(HealthState::default()),
        interval: options.interval,
        metrics: metrics.clone(),
    });
    // The health server outlives the loop by a little: it stops after the records are flushed.
    let health_stop = CancellationToken::new();
    let health_task = match options.health_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| WatchError::Health { addr, source })?;
            let bound = listener
                .local_addr()
                .map_err(|source| WatchError::Health { addr, source })?;
            // One event, with the address as a field for scripts (`addr`).
            tracing::info!(addr = %bound, "health on http://{bound}");
            Some(tokio::spawn(serve_health(
                listener,
                status.clone(),
                health_stop.clone(),
            )))
        }
        None => None,
    };
    tracing::info!(
        paths = %options.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        interval = %humantime::format_duration(options.interval),
        debounce = %humantime::format_duration(options.debounce),
        "watching"
    );
    let mut watch = Watch {
        client,
        records: &records,
        options: &options,
        metrics,
        status,
        shutdown,
        files: Some(files),
        last_valid: None,
        last_errors: None,
        applied_digest: None,
        finished_once: false,
        attention: BTreeMap::new(),
        last_full: None,
        reconciled: None,
        window_opens: None,
    };
    watch.run_loop(&mut events).await;
    drop(watch);
    if let Some(announcer) = &options.announcer {
        // Messages in flight get a short grace; what settles is recorded as announced.
        match announcer.drain(&records, NOTIFY_GRACE).await {
            Ok(0) => {}
            Ok(left) => tracing::warn!(
                "{left} notification(s) not delivered at shutdown: reviewers' decisions are announced again after a restart, other events are dropped"
            ),
            Err(e) => tracing::warn!("recording announced notifications failed: {e}"),
        }
    }
    let flushed = records.flush();
    health_stop.cancel();
    if let Some(mut task) = health_task
        && tokio::time::timeout(Duration::from_secs(2), &mut task)
            .await
            .is_err()
    {
        task.abort();
    }
    flushed.await?;
    drop(lock);
    tracing::info!("stopped; records flushed, lock released");
    Ok(())
}

/// The loop's state: collaborators and what it remembers between reconciles.
struct Watch<'a> {
    client: Client,
    records: &'a Records,
    options: &'a WatchOptions,
    metrics: Metrics,
    status: Arc<Status>,
    shutdown: CancellationToken,
    /// The file watcher; `None` only while a registration runs off the async runtime.
    files: Option<FileWatcher>,
    last_valid: Option<Valid>,
    /// The errors last logged, so an unchanged broken set is not logged again every interval.
    last_errors: Option<ManifestErrors>,
    /// The manifests' digest at the last finished reconcile.
    applied_digest: Option<String>,
    /// Whether any reconcile finished (until then, every refresh lists every platform).
    finished_once: bool,
    /// The attention items last logged, so each is logged once per change.
    attention: BTreeMap<manifest::Key, String>,
    /// When every platform was last listed.
    last_full: Option<Instant>,
    /// The manifest set of the last finished reconcile (to find the platforms a change touches).
    reconciled: Option<Desired>,
    /// When the next release window opens, if the last reconcile deferred a release: the
    /// loop reconciles then instead of waiting for the interval.
    window_opens: Option<Instant>,
}

impl Watch<'_> {
    async fn run_loop(&mut self, events: &mut mpsc::UnboundedReceiver<DebounceEventResult>) {
        let shutdown = self.shutdown.clone();
        let mut schedule = Schedule::new(Instant::now(), self.options.interval);
        let mut files_changed = false;
        let mut events_open = true;
        loop {
            self.status.update(|h| h.alive_at = Some(Instant::now()));
            // Whatever arrived during the last reconcile becomes one follow-up.
            while let Ok(batch) = events.try_recv() {
                files_changed |= self.relevant(batch);
            }
            if shutdown.is_cancelled() {
                break;
            }
            if let Some(trigger) = schedule.due(Instant::now(), files_changed) {
                files_changed = false;
                let result = self.reconcile_guarded(trigger).await;
                schedule.finished(
                    trigger,
                    &result,
                    Instant::now(),
                    rand::random(),
                    rand::random(),
                );
                if let Some(at) = self.window_opens.take() {
                    schedule.next_interval = schedule.next_interval.min(at);
                }
                self.report(trigger, &result, &schedule);
                if result == Reconciled::Interrupted {
                    break;
                }
                continue;
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                batch = events.recv(), if events_open => match batch {
                    Some(batch) => files_changed |= self.relevant(batch),
                    None => events_open = false,
                },
                () = tokio::time::sleep_until(schedule.next_deadline()) => {}
            }
        }
    }

    fn relevant(&self, batch: DebounceEventResult) -> bool {
        match batch {
            Ok(events) => {
                let roots = self
                    .files
                    .as_ref()
                    .map(FileWatcher::roots)
                    .unwrap_or_default();
                let mut any = false;
                for event in &events {
                    if is_relevant(
                        &event.kind,
                        &event.paths,
                        event.need_rescan(),
                        &roots,
                        Entry::probe,
                    ) {
                        tracing::debug!(kind = ?event.kind, paths = ?event.paths, "manifest change");
                        any = true;
                    }
                }
                any
            }
            Err(errors) => {
                for e in errors {
                    tracing::warn!("file watcher: {e}");
                }
                // Events may have been lost: reload to be sure.
                true
            }
        }
    }

    /// Logs, health and metrics of a finished reconcile.
    fn report(&self, trigger: Trigger, result: &Reconciled, schedule: &Schedule) {
        self.metrics.reconciled(result);
        self.metrics.failures(schedule.failures);
        let now = Instant::now();
        match result {
            Reconciled::Converged { .. } | Reconciled::Unconverged { .. } => {
                self.status.update(|h| {
                    h.last_finished = Some(now);
                    h.last_error = None;
                });
            }
            Reconciled::Failed { reason } => {
                let wait = schedule
                    .retry_at
                    .map(|at| at.saturating_duration_since(now))
                    .unwrap_or_default();
                tracing::warn!(
                    "reconcile ({trigger}) failed: {reason}; retrying in {}",
                    humantime::format_duration(Duration::from_millis(wait.as_millis() as u64))
                );
                self.status.update(|h| h.last_error = Some(reason.clone()));
            }
            Reconciled::Refused { reason } => {
                tracing::error!("reconcile ({trigger}) refused: {reason}");
                self.status.update(|h| h.last_error = Some(reason.clone()));
            }
            Reconciled::Skipped { reason } => {
                tracing::debug!("reconcile ({trigger}) skipped: {reason}");
            }
            Reconciled::Interrupted => {
                tracing::info!("reconcile ({trigger}) interrupted by shutdown");
            }
        }
    }

    /// [`Watch::reconcile`], abandoned [`SHUTDOWN_GRACE`] after a shutdown request.
    async fn reconcile_guarded(&mut self, trigger: Trigger) -> Reconciled {
        let shutdown = self.shutdown.clone();
        let grace = async move {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            result = self.reconcile(trigger) => result,
            () = grace => {
                tracing::warn!(
                    "calls in flight did not finish within {}s of the shutdown request; the next run settles them",
                    SHUTDOWN_GRACE.as_secs()
                );
                Reconciled::Interrupted
            }
        }
    }

    /// One reconcile: (pull,) reload, refresh, plan, apply.
    async fn reconcile(&mut self, trigger: Trigger) -> Reconciled {
        let shutdown = self.shutdown.clone();
        if self.options.git_pull && trigger.pulls() {
            tokio::select! {
                () = self.git_pull() => {}
                () = shutdown.cancelled() => return Reconciled::Interrupted,
            }
        }
        self.sync_files().await;
        let Some((desired, commit)) = self.load(trigger).await else {
            return Reconciled::Skipped {
                reason: "manifests invalid; nothing is done on a broken set".into(),
            };
        };
        if unchanged(trigger, &desired.digest, self.applied_digest.as_deref()) {
            return Reconciled::Skipped {
                reason: "manifests unchanged since the last reconcile".into(),
            };
        }
        tracing::info!(%trigger, "reconciling");
        // The first reconcile and one every --full-resync list every platform; between them, a
        // manifest change lists the platforms it touches.
        let full = !self.finished_once
            || self
                .last_full
                .is_none_or(|at| at.elapsed() >= self.options.full_resync);
        let touched = match &self.reconciled {
            Some(before) => touched_platforms(before, &desired),
            None => BTreeSet::new(),
        };
        let request = Request {
            refresh: if full { Refresh::All } else { Refresh::Live },
            on_refresh_failure: OnRefreshFailure::Fail,
            prune: self.options.prune,
            prune_limit: self.options.prune_limit,
            selector: self.options.selector.clone(),
            options: self.options.plan,
            commit,
            touched,
            roots: roots_of(&self.options.paths).await,
            release_windows: self.options.release_windows.clone(),
            clock: self.options.clock,
        };
        let hooks = Hooks {
            metrics: &self.metrics,
            status: &self.status,
            records: self.records,
        };
        // Platforms a manifest pins to an API are listed and called through it.
        let client = self.client.with_platform_apis(desired.platform_apis());
        let exec = Executor {
            client: &client,
            records: self.records,
            options: &self.options.apply,
            shutdown: &self.shutdown,
            progress: &hooks,
        };
        // The records before this reconcile, for detecting its events.
        let before = self
            .options
            .announcer
            .as_ref()
            .map(|_| self.records.snapshot());
        let applied = match reconcile(&exec, &desired, &request).await {
            Ok(applied) => applied,
            Err(ReconcileError::Plan(PlanError::Interrupted)) => return Reconciled::Interrupted,
            Err(ReconcileError::Plan(PlanError::Refused(reason))) => {
                return Reconciled::Refused { reason };
            }
            Err(e @ ReconcileError::Records(_)) => {
                self.applied_digest = None;
                return Reconciled::Failed {
                    reason: e.to_string(),
                };
            }
            Err(e) => {
                return Reconciled::Failed {
                    reason: e.to_string(),
                };
            }
        };
        self.observe_versions(&applied.plan);
        self.report_attention(&applied.report.attention);
        for e in &applied.unresolved {
            tracing::warn!(
                "{e}; nothing is sent for this document, the rest is reconciled, and the version is looked up again next interval"
            );
        }
        self.window_opens = self.next_window(&applied.report);
        if let Some(before) = &before {
            self.notify(before, &applied);
        }
        let report = applied.report;
        tracing::info!(%trigger, run_id = %report.run_id, "{}", report::apply_summary_line(&report));
        if shutdown.is_cancelled() {
            return Reconciled::Interrupted;
        }
        let actions = report.results.len();
        if needs_retry(&report) {
            self.applied_digest = None;
            let reason = report
                .stopped
                .clone()
                .or_else(|| {
                    report
                        .results
                        .iter()
                        .find(|r| r.outcome == Outcome::Failed)
                        .map(|r| {
                            format!(
                                "{} {}: {}",
                                r.action,
                                r.key,
                                r.message.as_deref().unwrap_or("failed")
                            )
                        })
                })
                .unwrap_or_else(|| "actions failed".into());
            return Reconciled::Failed { reason };
        }
        self.applied_digest = Some(desired.digest.clone());
        self.finished_once = true;
        if full {
            self.last_full = Some(Instant::now());
        }
        self.reconciled = Some(desired);
        let unconverged = report
            .results
            .iter()
            .filter(|r| !r.outcome.converged())
            .count();
        if unconverged > 0 {
            Reconciled::Unconverged {
                actions,
                unconverged,
            }
        } else {
            Reconciled::Converged { actions }
        }
    }

    /// Logs each attention item once per change (a new item, or a new message for it) and
    /// exports the count.
    fn report_attention(&mut self, items: &[crate::apply::AttentionItem]) {
        let now: BTreeMap<manifest::Key, String> = items
            .iter()
            .map(|i| (i.key.clone(), i.message.clone()))
            .collect();
        for item in items {
            if self.attention.get(&item.key) != Some(&item.message) {
                tracing::warn!(
                    "attention: {} {}: {}",
                    crate::text::clip(&item.key.to_string(), crate::text::MAX_CELL),
                    crate::text::clip(&item.name, crate::text::MAX_CELL),
                    crate::text::clip(&item.message, crate::text::MAX_CELL * 4)
                );
            }
        }
        self.metrics.attention(now.len());
        self.attention = now;
    }

    /// Registers the watched paths again (a swapped symlink, a recreated directory). Recursive
    /// registration walks directory trees, so it runs off the async runtime.
    async fn sync_files(&mut self) {
        let Some(mut files) = self.files.take() else {
            return;
        };
        let paths = self.options.paths.clone();
        match tokio::task::spawn_blocking(move || {
            files.sync(&paths);
            files
        })
        .await
        {
            Ok(files) => self.files = Some(files),
            Err(e) => tracing::error!(
                "registering the manifest paths failed ({e}); file changes are no longer seen, interval reconciles go on"
            ),
        }
    }

    /// Reloads the manifests. Returns the set to reconcile: the fresh one when valid; the last
    /// valid one when the fresh one is broken and the trigger is not a file change; else `None`.
    async fn load(&mut self, trigger: Trigger) -> Option<(Desired, Option<String>)> {
        let paths = self.options.paths.clone();
        let options = self.options.load.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            manifest::load_with_warnings(&paths, &options).map(|loaded| {
                for warning in &loaded.warnings {
                    tracing::warn!("{warning}");
                }
                loaded.desired
            })
        })
        .await;
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                tracing::error!("loading the manifests failed: {e}");
                return None;
            }
        };
        let commit = match loaded {
            Ok(_) => crate::git::commit_of(&self.options.paths).await,
            Err(_) => None,
        };
        match loaded {
            Ok(desired) => {
                if self.last_errors.take().is_some() {
                    tracing::info!("manifests valid again; resuming");
                }
                self.metrics.manifests(0);
                self.status.update(|h| h.manifest_errors = 0);
                self.last_valid = Some(Valid {
                    desired: desired.clone(),
                    commit: commit.clone(),
                });
                Some((desired, commit))
            }
            Err(errors) => {
                let n = errors.0.len();
                if self.last_errors.as_ref() != Some(&errors) {
                    for e in &errors.0 {
                        tracing::error!("{e}");
                    }
                }
                self.metrics.manifests(n);
                self.status.update(|h| h.manifest_errors = n);
                self.last_errors = Some(errors);
                match (&self.last_valid, trigger) {
                    (None, _) => {
                        tracing::warn!(
                            "manifests invalid ({n} error(s)) and no valid set yet: no call is made until they are fixed"
                        );
                        None
                    }
                    (Some(_), Trigger::FilesChanged) => {
                        tracing::warn!(
                            "manifests invalid ({n} error(s)): keeping the last valid set; no call is made on the broken one"
                        );
                        None
                    }
                    (Some(valid), _) => {
                        tracing::warn!(
                            "manifests still invalid ({n} error(s)): reconciling the last valid set"
                        );
                        Some((valid.desired.clone(), valid.commit.clone()))
                    }
                }
            }
        }
    }

    /// Versions by observed status and the oldest processing approval, from the records.
    fn observe_versions(&self, plan: &Plan) {
        let now = time::OffsetDateTime::now_utc();
        let (counts, oldest) = self.records.read(|state| {
            let mut counts: BTreeMap<Observed, i64> = BTreeMap::new();
            let mut oldest = 0.0f64;
            for r in &plan.resources {
                let entry = state.entries.get(&r.key);
                let observed = entry.map_or(r.observed, |e| e.observed);
                *counts.entry(observed).or_insert(0) += 1;
                if observed == Observed::Processing {
                    let since = entry.and_then(|e| {
                        time::OffsetDateTime::parse(
                            &e.updated_at,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    });
                    if let Some(since) = since {
                        oldest = oldest.max((now - since).as_seconds_f64().max(0.0));
                    }
                }
            }
            (counts, oldest)
        });
        self.metrics.versions(&counts, oldest);
    }

    /// `git pull --ff-only` in each repository holding a manifest path; failures are logged.
    async fn git_pull(&self) {
        let mut tops: Vec<PathBuf> = Vec::new();
        for path in &self.options.paths {
            match crate::git::top_level(path).await {
                Ok(top) => {
                    if !tops.contains(&top) {
                        tops.push(top);
                    }
                }
                Err(e) => {
                    self.metrics.git_pull(false);
                    tracing::warn!(
                        "--git-pull: {} is not in a git repository ({e}); retrying next interval",
                        crate::git::dir_of(path).display()
                    );
                }
            }
        }
        for top in tops {
            match crate::git::pull_ff_only(&top).await {
                Ok(()) => {
                    self.metrics.git_pull(true);
                    tracing::debug!(repository = %top.display(), "git pull --ff-only done");
                }
                Err(e) => {
                    self.metrics.git_pull(false);
                    tracing::warn!(
                        "git pull --ff-only in {} failed: {e}; retrying next interval",
                        top.display()
                    );
                }
            }
        }
    }
}

/// The platforms of the versions a manifest change added, removed or changed.
fn touched_platforms(before: &Desired, after: &Desired) -> BTreeSet<String> {
    let mut touched = BTreeSet::new();
    for (key, r) in &after.resources {
        let same = before.resources.get(key).is_some_and(|b| {
            b.approval == r.approval
                && b.region == r.region
                && b.labels == r.labels
                && b.release == r.release
                && b.mnp_id == r.mnp_id
        });
        if !same {
            touched.insert(key.platform_id.clone());
        }
    }
    for key in before.resources.keys() {
        if !after.resources.contains_key(key) {
            touched.insert(key.platform_id.clone());
        }
    }
    // Documents declared by version string: any difference touches their platform.
    let by_version = |d: &Desired| {
        d.by_version
            .iter()
            .map(|r| {
                (
                    r.key.platform_id.clone(),
                    r.mnp_id.clone(),
                    r.version.clone(),
                    r.approval,
                    r.release,
                    r.region.clone(),
                )
            })
            .collect::<BTreeSet<_>>()
    };
    for changed in by_version(before).symmetric_difference(&by_version(after)) {
        touched.insert(changed.0.clone());
    }
    touched
}

/// Seconds from an RFC 3339 instant to now, when it parses.
fn seconds_since(rfc3339: &str) -> Option<f64> {
    let then: jiff::Timestamp = rfc3339.parse().ok()?;
    Some(jiff::Timestamp::now().duration_since(then).as_secs_f64())
}

/// The watch's hooks into a reconcile: logs and metrics.
struct Hooks<'a> {
    metrics: &'a Metrics,
    status: &'a Status,
    records: &'a Records,
}

impl Progress for Hooks<'_> {
    fn planned(&self, planned: &Planned) {
        if planned.plan.has_changes() {
            tracing::info!("{}", report::plan_summary_line(&planned.plan));
        }
    }

    fn result(&self, r: &ActionResult) {
        self.status.update(|h| h.alive_at = Some(Instant::now()));
        self.metrics.action(r);
        if r.outcome == Outcome::Released {
            let approved = self.records.read(|s| {
                s.entries
                    .get(&r.key)
                    .and_then(|e| e.approved_seen_at.clone())
            });
            if let Some(seconds) = approved.as_deref().and_then(seconds_since) {
                self.metrics.released_after(seconds);
            }
        }
        if r.outcome.converged() {
            tracing::info!("{}", report::result_line(r));
        } else {
            tracing::warn!("{}", report::result_line(r));
        }
    }
}

#[cfg(test)]
mod test_support {
    use crate::action::Action;
    use crate::apply::ActionResult;
    use crate::manifest::Key;
    use crate::record::Outcome;

    /// A submit's result with `outcome` and `code`.
    pub(super) fn result(outcome: Outcome, code: Option<&str>) -> ActionResult {
        ActionResult {
            key: Key::new("P", 1),
            name: "n".into(),
            action: Action::Submit,
            outcome,
            error_code: code.map(str::to_string),
            message: None,
            request_id: None,
            attempts: 1,
            duration_ms: 0,
            approval_no: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let config = crate::tcmpp::ClientConfig::new(
            crate::tcmpp::Endpoint::parse("http://127.0.0.1:1").unwrap(),
        );
        let client = Client::new(crate::tcmpp::Credentials::new("a", "b", "test"), config).unwrap();
        let future = run(
            client,
            Path::new("unused"),
            WatchOptions::new(vec![]),
            Metrics::new(),
            CancellationToken::new(),
        );
        assert_send(&future);
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn options_are_checked() {
        let mut options = WatchOptions::new(vec![PathBuf::from("manifests")]);
        assert!(options.check().is_ok());
        options.interval = Duration::from_millis(500);
        assert!(options.check().is_err());
        options.interval = SECOND;
        options.debounce = Duration::ZERO;
        assert!(options.check().is_err());
    }
}
