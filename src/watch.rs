//! The long-running `watch`: when to reconcile (at start, on manifest changes, every interval,
//! retries after failures), file watching, timing, the state-directory lock, health and metrics.
//!
//! It makes no planning decisions and no calls of its own: every reconcile reuses
//! [`crate::reconcile::refresh`], [`crate::plan::plan`] and [`crate::apply::apply`]. The decisions
//! it does own are pure values — [`Schedule`] (which trigger runs next, coalescing, backoff),
//! [`is_relevant`] (which file events matter), [`health`] — and [`run`] only carries them out.
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
//!   (approved, rejected) according to the records; the first reconcile lists everything.
//! - On shutdown no new call starts; calls in flight get [`SHUTDOWN_GRACE`] to finish.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State as AxumState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use notify::event::{ModifyKind, RemoveKind};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::apply::{ActionResult, ApplyOptions, ApplyReport, RunInfo, apply};
use crate::manifest::{self, Desired, Key, ManifestErrors, Selector};
use crate::plan::{Observed, Plan, PlanOptions, plan, prune_refusal};
use crate::reconcile::{git_commit, labels_of, prune_candidates, refresh};
use crate::record::{Lock, Outcome, RecordError, Records};
use crate::report;
use crate::tcmpp::client::{Observer, RequestEvent};
use crate::tcmpp::{ApiError, Class, Client, RetryPolicy, classify};

/// Default `--interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// Default `--debounce`.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(250);
/// Shortest accepted interval.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Each interval is the configured one ± this share, so replicas and restarts spread out.
pub const INTERVAL_JITTER: f64 = 0.1;
/// First wait before retrying a failed reconcile; doubles per failure up to the interval.
pub const RETRY_BASE: Duration = Duration::from_secs(1);
/// How long calls in flight may take to finish after a shutdown request.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// A `git pull` that takes longer is abandoned (and retried next interval).
const GIT_PULL_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Options and errors
// ---------------------------------------------------------------------------------------------

/// What `watch` watches and how.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Manifest files or directories. Directories are watched recursively, files through their
    /// directory (so editors' atomic saves are seen).
    pub paths: Vec<PathBuf>,
    /// Drift correction period (± [`INTERVAL_JITTER`]); also the cap of the retry backoff.
    pub interval: Duration,
    /// Quiet time after a file event before reacting.
    pub debounce: Duration,
    /// `git pull --ff-only` in the manifests' repository before the first and each interval's
    /// reconcile; a failed pull is logged and retried next interval.
    pub git_pull: bool,
    /// Cancel versions mnpsync submitted that no manifest declares any more.
    pub prune: bool,
    /// Refuse a reconcile whose prune cancels more than this many versions, or every pending one;
    /// `None` (`--force`) never refuses.
    pub prune_limit: Option<usize>,
    pub selector: Selector,
    pub plan: PlanOptions,
    /// Where to serve `GET /healthz` and `GET /metrics`; port 0 picks a free port.
    pub health_addr: Option<SocketAddr>,
    pub apply: ApplyOptions,
}

impl WatchOptions {
    /// The defaults of DESIGN.md §5 for `paths`.
    pub fn new(paths: Vec<PathBuf>) -> WatchOptions {
        WatchOptions {
            paths,
            interval: DEFAULT_INTERVAL,
            debounce: DEFAULT_DEBOUNCE,
            git_pull: false,
            prune: false,
            prune_limit: Some(crate::plan::DEFAULT_PRUNE_LIMIT),
            selector: Selector::default(),
            plan: PlanOptions::default(),
            health_addr: None,
            apply: ApplyOptions::default(),
        }
    }

    /// Checks the timing options.
    ///
    /// # Errors
    /// [`WatchError::Options`] naming the flag.
    pub fn check(&self) -> Result<(), WatchError> {
        if self.paths.is_empty() {
            return Err(WatchError::Options("no manifest path to watch".into()));
        }
        if self.interval < MIN_INTERVAL {
            return Err(WatchError::Options(format!(
                "--interval must be at least {}",
                humantime::format_duration(MIN_INTERVAL)
            )));
        }
        if self.debounce.is_zero() || self.debounce > self.interval {
            return Err(WatchError::Options(
                "--debounce must be more than 0 and at most --interval".into(),
            ));
        }
        Ok(())
    }
}

/// Why `watch` could not start or stop cleanly. Everything after the start is handled inside
/// the loop (logged, retried, reported in health and metrics).
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    Options(String),
    /// The state directory is locked by another process, or its records cannot be used.
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error("cannot serve health on {addr}: {source}")]
    Health {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot watch the manifests: {0}")]
    Watcher(#[from] notify::Error),
}

// ---------------------------------------------------------------------------------------------
// The decision core: triggers and the schedule
// ---------------------------------------------------------------------------------------------

/// Why a reconcile runs. Ordered by precedence: when several are due, the greatest runs, and it
/// covers the others (every reconcile reloads the manifests and refreshes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trigger {
    /// Manifest files changed (debounced).
    FilesChanged,
    /// The backoff after a failed reconcile ran out.
    Retry,
    /// The drift-correction period ran out.
    Interval,
    /// The process started.
    Start,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::FilesChanged => "files changed",
            Trigger::Retry => "retry",
            Trigger::Interval => "interval",
            Trigger::Start => "start",
        }
    }

    /// Whether `--git-pull` pulls before this reconcile.
    pub fn pulls(self) -> bool {
        matches!(self, Trigger::Start | Trigger::Interval)
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one reconcile ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// Planned and applied; every action converged (or none was needed).
    Converged { actions: usize },
    /// Planned and applied; some actions are blocked or were rejected: a person must act, so
    /// only the next interval tries again.
    Unconverged { actions: usize, unconverged: usize },
    /// Could not finish (refresh failed, auth failure, transient failures, records I/O): retried
    /// with backoff.
    Failed { reason: String },
    /// The prune guard refused the plan; nothing was applied.
    Refused { reason: String },
    /// Nothing to do: the manifest set is invalid with no valid set to fall back on, or a file
    /// event left the manifests as they were last reconciled.
    Skipped { reason: String },
    /// Shutdown stopped it.
    Interrupted,
}

impl Reconciled {
    /// The `result` label of `mnpsync_reconciles_total`, for reconciles that count.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            Reconciled::Converged { .. } => Some("success"),
            Reconciled::Unconverged { .. } => Some("unconverged"),
            Reconciled::Failed { .. } => Some("error"),
            Reconciled::Refused { .. } => Some("refused"),
            Reconciled::Skipped { .. } | Reconciled::Interrupted => None,
        }
    }

    /// Whether the reconcile ran to its end (what health measures).
    pub fn finished(&self) -> bool {
        matches!(
            self,
            Reconciled::Converged { .. } | Reconciled::Unconverged { .. }
        )
    }
}

/// When the next reconcile runs. Pure: the loop passes the time and random draws in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub interval: Duration,
    /// The first reconcile has not run yet.
    pub start_pending: bool,
    pub next_interval: Instant,
    pub retry_at: Option<Instant>,
    /// Failed reconciles in a row.
    pub failures: u32,
}

impl Schedule {
    /// A schedule whose first trigger is [`Trigger::Start`].
    pub fn new(now: Instant, interval: Duration) -> Schedule {
        Schedule {
            interval,
            start_pending: true,
            next_interval: now + interval,
            retry_at: None,
            failures: 0,
        }
    }

    /// The trigger to run at `now`, if any: the one of highest precedence among those due.
    /// `files_changed` says whether relevant file events arrived since the last reconcile began.
    pub fn due(&self, now: Instant, files_changed: bool) -> Option<Trigger> {
        if self.start_pending {
            Some(Trigger::Start)
        } else if now >= self.next_interval {
            Some(Trigger::Interval)
        } else if self.retry_at.is_some_and(|at| now >= at) {
            Some(Trigger::Retry)
        } else if files_changed {
            Some(Trigger::FilesChanged)
        } else {
            None
        }
    }

    /// When a timer trigger is due next.
    pub fn next_deadline(&self) -> Instant {
        match self.retry_at {
            Some(at) => at.min(self.next_interval),
            None => self.next_interval,
        }
    }

    /// Records that the reconcile for `trigger` ended with `result` at `now`. `jitter` and
    /// `backoff` are uniform draws in `[0, 1)` (for the next interval and the retry delay).
    ///
    /// Invariant: the trigger that ran is no longer due at `now` afterwards, so the loop cannot
    /// spin.
    pub fn finished(
        &mut self,
        trigger: Trigger,
        result: &Reconciled,
        now: Instant,
        jitter: f64,
        backoff: f64,
    ) {
        if trigger == Trigger::Start {
            self.start_pending = false;
        }
        if trigger.pulls() {
            self.next_interval = now + jittered(self.interval, jitter);
        }
        if trigger == Trigger::Retry {
            self.retry_at = None;
        }
        match result {
            Reconciled::Failed { .. } => {
                self.failures = self.failures.saturating_add(1);
                self.retry_at = Some(now + retry_delay(self.failures, self.interval, backoff));
            }
            Reconciled::Converged { .. }
            | Reconciled::Unconverged { .. }
            | Reconciled::Refused { .. } => {
                self.failures = 0;
                self.retry_at = None;
            }
            Reconciled::Skipped { .. } | Reconciled::Interrupted => {}
        }
    }
}

/// `interval` ± [`INTERVAL_JITTER`], with `unit` uniform in `[0, 1)`.
pub fn jittered(interval: Duration, unit: f64) -> Duration {
    let unit = unit.clamp(0.0, 1.0);
    interval.mul_f64(1.0 + INTERVAL_JITTER * (2.0 * unit - 1.0))
}

/// The wait before retrying after `failures` failed reconciles in a row: the client's
/// exponential ceiling ([`RetryPolicy::ceiling`], base [`RETRY_BASE`], capped at `interval`)
/// with "equal jitter" (half fixed, half random), so an outage is never hammered.
pub fn retry_delay(failures: u32, interval: Duration, unit: f64) -> Duration {
    let policy = RetryPolicy {
        attempts: u32::MAX,
        base: RETRY_BASE.min(interval),
        cap: interval,
    };
    let ceiling = policy.ceiling(failures.max(1));
    ceiling.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// Whether a file-triggered reconcile can be skipped: the manifests are exactly those of the
/// last finished reconcile (an editor's temp file, a touch, a change reverted).
pub fn unchanged(trigger: Trigger, digest: &str, last_applied: Option<&str>) -> bool {
    trigger == Trigger::FilesChanged && last_applied == Some(digest)
}

/// Whether the failures in an apply are worth a retry with backoff: an early stop (auth), or a
/// failed action that is not rejected input (which needs a manifest change, not a retry).
/// Blocked actions need a person and wait for the next interval.
pub fn needs_retry(report: &ApplyReport) -> bool {
    report.stopped.is_some()
        || report
            .results
            .iter()
            .any(|r| r.outcome == Outcome::Failed && !rejected_input(r))
}

fn rejected_input(r: &ActionResult) -> bool {
    r.error_code.as_deref().is_some_and(|code| {
        let error = ApiError::Service {
            code: code.to_string(),
            message: String::new(),
            request_id: String::new(),
        };
        classify(&error, Some(r.action)) == Class::RejectedInput
    })
}

/// The keys whose platforms must be listed: every platform with at least one version not in a
/// final review state (approved, rejected) per `known`. A listed platform refreshes all its keys.
pub fn keys_to_refresh(
    keys: &BTreeMap<Key, Option<String>>,
    known: &BTreeMap<Key, Observed>,
) -> BTreeMap<Key, Option<String>> {
    let live: std::collections::BTreeSet<&str> = keys
        .keys()
        .filter(|k| !matches!(known.get(*k), Some(Observed::Approved | Observed::Rejected)))
        .map(|k| k.platform_id.as_str())
        .collect();
    keys.iter()
        .filter(|(k, _)| live.contains(k.platform_id.as_str()))
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// File events
// ---------------------------------------------------------------------------------------------

/// A watched manifest path, resolved (symlinks followed) to what is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// A directory, watched recursively.
    Dir(PathBuf),
    /// A single file, watched through its directory.
    File(PathBuf),
}

impl Root {
    /// The path handed to the watcher and how.
    fn target(&self) -> (&Path, RecursiveMode) {
        match self {
            Root::Dir(dir) => (dir, RecursiveMode::Recursive),
            Root::File(file) => (
                file.parent().unwrap_or(Path::new("/")),
                RecursiveMode::NonRecursive,
            ),
        }
    }
}

/// What is at a path now, for [`is_relevant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Missing,
    File,
    Dir,
}

impl Entry {
    /// Looks at the file system.
    pub fn probe(path: &Path) -> Entry {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Entry::Dir,
            Ok(_) => Entry::File,
            Err(_) => Entry::Missing,
        }
    }
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Whether a (debounced) file event can change the manifest set.
///
/// Relevant: anything about an explicitly given file; under a watched directory, events about
/// `*.yaml`/`*.yml` paths (an editor's atomic rename counts through its target), and renames or
/// removals of directories (which may carry manifests away). Ignored: reads, hidden paths
/// (`.git/`, `.foo.yaml.swp`, as the loader skips them), other files (`foo.yaml~`, `4913`).
/// A renamed or removed path that no longer exists counts as a directory when it has no
/// extension. `rescan` (the watcher lost events) is always relevant.
pub fn is_relevant(
    kind: &EventKind,
    paths: &[PathBuf],
    rescan: bool,
    roots: &[Root],
    probe: impl Fn(&Path) -> Entry,
) -> bool {
    if rescan {
        return true;
    }
    if matches!(kind, EventKind::Access(_)) {
        return false;
    }
    let structural = matches!(
        kind,
        EventKind::Modify(ModifyKind::Name(_)) | EventKind::Remove(_)
    );
    let about = |path: &Path, root: &Root| -> bool {
        let dir = match root {
            Root::File(file) => return path == file,
            Root::Dir(dir) => dir,
        };
        let Ok(relative) = path.strip_prefix(dir) else {
            return false;
        };
        let hidden = relative
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if hidden {
            return false;
        }
        if is_manifest_name(path) {
            return true;
        }
        if !structural {
            return false;
        }
        if relative.as_os_str().is_empty() {
            // The watched directory itself went away or moved.
            return true;
        }
        match kind {
            EventKind::Remove(RemoveKind::File) => false,
            EventKind::Remove(RemoveKind::Folder) => true,
            _ => match probe(path) {
                Entry::Dir => true,
                Entry::File => false,
                Entry::Missing => path.extension().is_none(),
            },
        }
    };
    paths
        .iter()
        .any(|path| roots.iter().any(|root| about(path, root)))
}

/// The debounced watcher and what it watches for each configured path.
struct FileWatcher {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    /// Per configured path: the root watched and the identity of the watched directory, to
    /// notice a symlink swapped (git-sync) or a directory deleted and recreated.
    watched: Vec<(PathBuf, Option<Watched>)>,
}

/// What is watched for a path, and the identity of the watched directory.
type Watched = (Root, Option<notify_debouncer_full::file_id::FileId>);

impl FileWatcher {
    fn new(
        debounce: Duration,
        events: mpsc::UnboundedSender<DebounceEventResult>,
    ) -> notify::Result<FileWatcher> {
        // The debouncer emits an event `debounce` after it happened, checked every tick: a fine
        // tick keeps the reaction close to `debounce`.
        let tick = (debounce / 10).max(Duration::from_millis(5)).min(debounce);
        let debouncer = new_debouncer(debounce, Some(tick), move |result| {
            let _ = events.send(result);
        })?;
        Ok(FileWatcher {
            debouncer,
            watched: Vec::new(),
        })
    }

    fn roots(&self) -> Vec<Root> {
        self.watched
            .iter()
            .filter_map(|(_, w)| w.as_ref().map(|(root, _)| root.clone()))
            .collect()
    }

    /// Watches each path where it resolves now; re-watches when that changed.
    fn sync(&mut self, paths: &[PathBuf]) {
        for path in paths {
            let wanted = resolve(path);
            let index = match self.watched.iter().position(|(p, _)| p == path) {
                Some(i) => i,
                None => {
                    self.watched.push((path.clone(), None));
                    self.watched.len() - 1
                }
            };
            if self.watched[index].1 == wanted {
                continue;
            }
            if let Some((old, _)) = self.watched[index].1.take() {
                // Fails when the watched directory is gone, which removed the watch already.
                let _ = self.debouncer.unwatch(old.target().0);
            }
            match wanted {
                Some((root, id)) => {
                    let (target, mode) = root.target();
                    match self.debouncer.watch(target, mode) {
                        Ok(()) => {
                            tracing::debug!(path = %path.display(), watched = %target.display(), "watching");
                            self.watched[index].1 = Some((root, id));
                        }
                        Err(e) => tracing::warn!(
                            "cannot watch {}: {e}; changes there are picked up every --interval",
                            path.display()
                        ),
                    }
                }
                None => tracing::warn!(
                    "cannot watch {}: it does not exist; watching again once it does",
                    path.display()
                ),
            }
        }
    }
}

fn resolve(path: &Path) -> Option<Watched> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let root = if canonical.is_dir() {
        Root::Dir(canonical)
    } else {
        Root::File(canonical)
    };
    let id = notify_debouncer_full::file_id::get_file_id(root.target().0).ok();
    Some((root, id))
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

/// What health is judged on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthState {
    /// Errors in the current manifest set (0: valid).
    pub manifest_errors: usize,
    /// When the last reconcile finished (see [`Reconciled::finished`]).
    pub last_finished: Option<Instant>,
    /// Why the last reconcile did not finish, if it did not.
    pub last_error: Option<String>,
}

/// The health verdict: `reason` is set when unhealthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub ok: bool,
    pub reason: Option<String>,
}

/// Healthy while the manifest set is valid and the last reconcile finished less than two
/// intervals ago.
pub fn health(state: &HealthState, now: Instant, interval: Duration) -> Health {
    let unhealthy = |reason: String| Health {
        ok: false,
        reason: Some(reason),
    };
    let last_error = state
        .last_error
        .as_deref()
        .map(|e| format!("; last error: {e}"))
        .unwrap_or_default();
    if state.manifest_errors > 0 {
        let n = state.manifest_errors;
        return unhealthy(format!(
            "manifests invalid: {n} error{}",
            if n == 1 { "" } else { "s" }
        ));
    }
    match state.last_finished {
        None => unhealthy(format!("no reconcile finished yet{last_error}")),
        Some(at) if now.saturating_duration_since(at) < interval * 2 => Health {
            ok: true,
            reason: None,
        },
        Some(at) => unhealthy(format!(
            "last reconcile finished {}s ago, more than two intervals{last_error}",
            now.saturating_duration_since(at).as_secs()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    action: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiActionLabel {
    action: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

struct MetricsInner {
    registry: Registry,
    reconciles: Family<ResultLabel, Counter>,
    actions: Family<ActionLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<ApiActionLabel, Histogram, fn() -> Histogram>,
    manifests_valid: Gauge,
    manifest_errors: Gauge,
    versions: Family<StatusLabel, Gauge>,
    oldest_processing: Gauge<f64, AtomicU64>,
    last_success: Gauge<f64, AtomicU64>,
    consecutive_failures: Gauge,
    git_pulls: Family<ResultLabel, Counter>,
}

/// The Prometheus metrics of a watch, served at `/metrics`. Cheap to clone; clones share.
///
/// Names: `mnpsync_reconciles_total{result}`, `mnpsync_actions_total{action,outcome}`,
/// `mnpsync_api_requests_total{action,code}` (`code="ok"` on success),
/// `mnpsync_api_request_duration_seconds{action}`, `mnpsync_manifests_valid`,
/// `mnpsync_manifest_errors`, `mnpsync_versions{status}`,
/// `mnpsync_oldest_processing_approval_age_seconds` (since mnpsync submitted it or first saw it
/// processing), `mnpsync_last_success_timestamp_seconds`, `mnpsync_consecutive_failures`,
/// `mnpsync_git_pulls_total{result}`.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<MetricsInner>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mnpsync");
        let reconciles = Family::<ResultLabel, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles by result (success, unconverged, error, refused)",
            reconciles.clone(),
        );
        let actions = Family::<ActionLabels, Counter>::default();
        registry.register(
            "actions",
            "Actions executed, by action and outcome",
            actions.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "api_requests",
            "HTTP exchanges with the TCMPP API, by action and error code (ok on success)",
            requests.clone(),
        );
        let latency = Family::<ApiActionLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register_with_unit(
            "api_request_duration",
            "Latency of HTTP exchanges with the TCMPP API",
            Unit::Seconds,
            latency.clone(),
        );
        let manifests_valid = Gauge::default();
        registry.register(
            "manifests_valid",
            "1 when the manifest set is valid, 0 when it has errors",
            manifests_valid.clone(),
        );
        let manifest_errors = Gauge::default();
        registry.register(
            "manifest_errors",
            "Validation errors in the manifest set",
            manifest_errors.clone(),
        );
        let versions = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "versions",
            "Managed versions by observed approval status",
            versions.clone(),
        );
        let oldest_processing = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "oldest_processing_approval_age",
            "Age of the oldest processing approval of a managed version (0 when none)",
            Unit::Seconds,
            oldest_processing.clone(),
        );
        let last_success = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "last_success_timestamp",
            "Unix time of the last reconcile that finished",
            Unit::Seconds,
            last_success.clone(),
        );
        let consecutive_failures = Gauge::default();
        registry.register(
            "consecutive_failures",
            "Failed reconciles in a row (retried with backoff)",
            consecutive_failures.clone(),
        );
        let git_pulls = Family::<ResultLabel, Counter>::default();
        registry.register(
            "git_pulls",
            "git pull --ff-only runs by result",
            git_pulls.clone(),
        );
        Metrics {
            inner: Arc::new(MetricsInner {
                registry,
                reconciles,
                actions,
                requests,
                latency,
                manifests_valid,
                manifest_errors,
                versions,
                oldest_processing,
                last_success,
                consecutive_failures,
                git_pulls,
            }),
        }
    }

    /// An observer for [`Client::observed`] that counts requests and their latency.
    pub fn observer(&self) -> Observer {
        let metrics = self.clone();
        Arc::new(move |event: &RequestEvent<'_>| metrics.request(event))
    }

    fn request(&self, event: &RequestEvent<'_>) {
        let m = &self.inner;
        m.requests
            .get_or_create(&RequestLabels {
                action: event.action.to_string(),
                code: event.code.unwrap_or("ok").to_string(),
            })
            .inc();
        m.latency
            .get_or_create(&ApiActionLabel {
                action: event.action.to_string(),
            })
            .observe(event.latency.as_secs_f64());
    }

    /// The Prometheus text exposition (OpenMetrics) of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }

    fn reconciled(&self, result: &Reconciled) {
        if let Some(label) = result.label() {
            self.inner
                .reconciles
                .get_or_create(&ResultLabel {
                    result: label.to_string(),
                })
                .inc();
        }
        if result.finished() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            self.inner.last_success.set(now);
        }
    }

    fn action(&self, r: &ActionResult) {
        self.inner
            .actions
            .get_or_create(&ActionLabels {
                action: r.action.as_str().to_string(),
                outcome: r.outcome.as_str().to_string(),
            })
            .inc();
    }

    fn manifests(&self, errors: usize) {
        self.inner.manifests_valid.set(i64::from(errors == 0));
        self.inner
            .manifest_errors
            .set(i64::try_from(errors).unwrap_or(i64::MAX));
    }

    fn versions(&self, counts: &BTreeMap<Observed, i64>, oldest_processing_secs: f64) {
        for status in [
            Observed::None,
            Observed::Processing,
            Observed::Approved,
            Observed::Rejected,
            Observed::Cancelled,
            Observed::Unknown,
        ] {
            self.inner
                .versions
                .get_or_create(&StatusLabel {
                    status: status.as_str().to_string(),
                })
                .set(counts.get(&status).copied().unwrap_or(0));
        }
        self.inner.oldest_processing.set(oldest_processing_secs);
    }

    fn failures(&self, failures: u32) {
        self.inner.consecutive_failures.set(i64::from(failures));
    }

    fn git_pull(&self, ok: bool) {
        self.inner
            .git_pulls
            .get_or_create(&ResultLabel {
                result: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }
}

// ---------------------------------------------------------------------------------------------
// The imperative shell
// ---------------------------------------------------------------------------------------------

/// What the health server reads.
struct Status {
    health: Mutex<HealthState>,
    interval: Duration,
    metrics: Metrics,
}

impl Status {
    fn update(&self, change: impl FnOnce(&mut HealthState)) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut health);
    }
}

/// The last valid manifest set and the commit it was read at.
struct Valid {
    desired: Desired,
    commit: Option<String>,
}

/// Runs the watch until `shutdown` is cancelled, then returns `Ok` (exit 0).
///
/// Holds the state-directory lock for its whole life. With `health_addr`, serves `/healthz`
/// and `/metrics` and announces the bound address as `health on http://ADDR`, both as a log line
/// and as a plain line on stderr (for scripts). Build `client` with
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
    let records = Records::open(state_dir)?;
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
            tracing::info!("health on http://{bound}");
            eprintln!("health on http://{bound}");
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
        files,
        last_valid: None,
        last_errors: None,
        applied_digest: None,
        finished_once: false,
    };
    watch.run_loop(&mut events).await;
    drop(watch);
    let flushed = records.flush();
    health_stop.cancel();
    if let Some(mut task) = health_task
        && tokio::time::timeout(Duration::from_secs(2), &mut task)
            .await
            .is_err()
    {
        task.abort();
    }
    flushed?;
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
    files: FileWatcher,
    last_valid: Option<Valid>,
    /// The errors last logged, so an unchanged broken set is not logged again every interval.
    last_errors: Option<ManifestErrors>,
    /// The manifests' digest at the last finished reconcile.
    applied_digest: Option<String>,
    /// Whether any reconcile finished (until then, every refresh lists every platform).
    finished_once: bool,
}

impl Watch<'_> {
    async fn run_loop(&mut self, events: &mut mpsc::UnboundedReceiver<DebounceEventResult>) {
        let shutdown = self.shutdown.clone();
        let mut schedule = Schedule::new(Instant::now(), self.options.interval);
        let mut files_changed = false;
        let mut events_open = true;
        loop {
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
                let roots = self.files.roots();
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
        self.files.sync(&self.options.paths);
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

        let selected = desired.select(&self.options.selector);
        let state = self.records.snapshot();
        let prune = if self.options.prune {
            prune_candidates(&desired, &state, &self.options.selector)
        } else {
            Vec::new()
        };
        let mut keys: BTreeMap<Key, Option<String>> = selected
            .resources
            .values()
            .map(|r| (r.key.clone(), r.region.clone()))
            .collect();
        keys.extend(prune.iter().map(|c| (c.key.clone(), c.region.clone())));
        let mut observed = state.observed();
        let to_refresh = if self.finished_once {
            keys_to_refresh(&keys, &observed)
        } else {
            keys
        };
        if !to_refresh.is_empty() {
            tokio::select! {
                fresh = refresh(&self.client, &to_refresh) => match fresh {
                    Ok(fresh) => observed.extend(fresh),
                    Err((platform, e)) => {
                        return Reconciled::Failed {
                            reason: format!("refresh failed for platform {platform}: {}", e.error),
                        };
                    }
                },
                () = shutdown.cancelled() => return Reconciled::Interrupted,
            }
        }
        let plan = plan(
            &selected,
            &observed,
            &prune,
            &self.options.plan,
            true,
            commit.clone(),
        );
        if let Some(limit) = self.options.prune_limit
            && let Some(reason) = prune_refusal(&plan, limit)
        {
            return Reconciled::Refused { reason };
        }
        self.records.observe(&plan, &labels_of(&desired));
        if plan.has_changes() {
            tracing::info!("{}", report::plan_summary_line(&plan));
        }
        let run = RunInfo::new(commit);
        let metrics = self.metrics.clone();
        let on_result = move |r: &ActionResult| {
            metrics.action(r);
            if r.outcome.converged() {
                tracing::info!("{}", report::result_line(r));
            } else {
                tracing::warn!("{}", report::result_line(r));
            }
        };
        let applied = apply(
            &self.client,
            &plan,
            self.records,
            &run,
            self.options.apply,
            &self.shutdown,
            &on_result,
        )
        .await;
        self.observe_versions(&plan);
        let report = match applied {
            Ok(report) => report,
            Err(e) => {
                self.applied_digest = None;
                return Reconciled::Failed {
                    reason: format!("cannot write the records: {e}"),
                };
            }
        };
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

    /// Reloads the manifests. Returns the set to reconcile: the fresh one when valid; the last
    /// valid one when the fresh one is broken and the trigger is not a file change; else `None`.
    async fn load(&mut self, trigger: Trigger) -> Option<(Desired, Option<String>)> {
        let paths = self.options.paths.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let loaded = manifest::load(&paths);
            let commit = loaded
                .is_ok()
                .then(|| paths.first().and_then(|p| git_commit(p)))
                .flatten();
            (loaded, commit)
        })
        .await;
        let (loaded, commit) = match loaded {
            Ok(pair) => pair,
            Err(e) => {
                tracing::error!("loading the manifests failed: {e}");
                return None;
            }
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
        let state = self.records.snapshot();
        let now = time::OffsetDateTime::now_utc();
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
        self.metrics.versions(&counts, oldest);
    }

    /// `git pull --ff-only` in each repository holding a manifest path; failures are logged.
    async fn git_pull(&self) {
        let mut tops: Vec<PathBuf> = Vec::new();
        for path in &self.options.paths {
            let dir = if path.is_dir() {
                path.clone()
            } else {
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            };
            match git(&dir, &["rev-parse", "--show-toplevel"]).await {
                Ok(top) => {
                    let top = PathBuf::from(top.trim());
                    if !tops.contains(&top) {
                        tops.push(top);
                    }
                }
                Err(e) => {
                    self.metrics.git_pull(false);
                    tracing::warn!(
                        "--git-pull: {} is not in a git repository ({e}); retrying next interval",
                        dir.display()
                    );
                }
            }
        }
        for top in tops {
            match git(&top, &["pull", "--ff-only", "--quiet"]).await {
                Ok(_) => {
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

/// Runs `git -C dir ARGS` without prompting; returns stdout, or stderr (credentials redacted)
/// as the error.
async fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = tokio::process::Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(GIT_PULL_TIMEOUT, command.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(format!("cannot run git: {e}")),
        Err(_) => return Err(format!("timed out after {}s", GIT_PULL_TIMEOUT.as_secs())),
    };
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim().lines().last().unwrap_or("").to_string();
        Err(redact_url_credentials(&format!(
            "{} ({})",
            if message.is_empty() {
                "failed"
            } else {
                &message
            },
            output.status
        )))
    }
}

/// Replaces the user-info of URLs (`https://user:token@host`) so remotes' tokens are not logged.
pub fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(user_end) => {
                out.push_str("***@");
                rest = &tail[user_end + 1..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

async fn serve_health(
    listener: tokio::net::TcpListener,
    status: Arc<Status>,
    stop: CancellationToken,
) {
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/metrics", axum::routing::get(metrics_text))
        .with_state(status);
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        tracing::warn!("health server stopped: {e}");
    }
}

async fn healthz(AxumState(status): AxumState<Arc<Status>>) -> Response {
    let verdict = {
        let state = status.health.lock().unwrap_or_else(|p| p.into_inner());
        health(&state, Instant::now(), status.interval)
    };
    let code = if verdict.ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = HealthBody {
        status: if verdict.ok { "ok" } else { "unhealthy" },
        reason: verdict.reason.as_deref(),
    };
    (code, axum::Json(body)).into_response()
}

/// `{"status":"ok"}` or `{"status":"unhealthy","reason":"…"}`, in that field order.
#[derive(serde::Serialize)]
struct HealthBody<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

async fn metrics_text(AxumState(status): AxumState<Arc<Status>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        status.metrics.encode(),
    )
        .into_response()
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
    use crate::tcmpp::model::ApplyAction;
    use notify::event::{AccessKind, CreateKind, DataChange, RenameMode};

    const SECOND: Duration = Duration::from_secs(1);

    fn failed() -> Reconciled {
        Reconciled::Failed {
            reason: "down".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn start_runs_first_then_the_interval_with_jitter() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 60 * SECOND);
        assert_eq!(s.due(t0, true), Some(Trigger::Start));
        s.finished(
            Trigger::Start,
            &Reconciled::Converged { actions: 1 },
            t0,
            0.5,
            0.5,
        );
        assert_eq!(s.due(t0, false), None);
        assert_eq!(s.next_deadline(), t0 + 60 * SECOND);
        // The timer the loop sleeps on fires at the deadline, not before.
        tokio::time::sleep_until(s.next_deadline()).await;
        assert_eq!(Instant::now(), t0 + 60 * SECOND);
        assert_eq!(s.due(Instant::now(), false), Some(Trigger::Interval));
        for unit in [0.0, 0.25, 0.999] {
            let d = jittered(60 * SECOND, unit);
            assert!(d >= 54 * SECOND && d <= 66 * SECOND, "{d:?}");
        }
    }

    #[test]
    fn file_changes_coalesce_into_one_reconcile_and_timers_take_precedence() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 60 * SECOND);
        s.finished(
            Trigger::Start,
            &Reconciled::Converged { actions: 0 },
            t0,
            0.5,
            0.5,
        );
        // Many events → one flag → one FilesChanged reconcile.
        assert_eq!(s.due(t0 + SECOND, true), Some(Trigger::FilesChanged));
        s.finished(
            Trigger::FilesChanged,
            &Reconciled::Converged { actions: 1 },
            t0 + SECOND,
            0.5,
            0.5,
        );
        assert_eq!(s.due(t0 + SECOND, false), None);
        // A file change while the interval is due: the interval runs and covers it.
        assert_eq!(s.due(t0 + 61 * SECOND, true), Some(Trigger::Interval));
        // A file-triggered reconcile does not move the interval (so --git-pull still happens).
        assert_eq!(s.next_interval, t0 + 60 * SECOND);
        assert!(Trigger::Start > Trigger::Interval && Trigger::Interval > Trigger::Retry);
        assert!(Trigger::Retry > Trigger::FilesChanged);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_interval_and_success_resets() {
        let t0 = Instant::now();
        let interval = 60 * SECOND;
        let mut s = Schedule::new(t0, interval);
        s.finished(Trigger::Start, &failed(), t0, 0.5, 1.0);
        assert_eq!(s.failures, 1);
        assert_eq!(s.retry_at, Some(t0 + SECOND));
        assert_eq!(s.due(t0 + SECOND, false), Some(Trigger::Retry));
        let mut now = t0 + SECOND;
        let mut waits = Vec::new();
        for _ in 0..8 {
            s.finished(Trigger::Retry, &failed(), now, 0.5, 1.0);
            let at = s.retry_at.unwrap();
            waits.push((at - now).as_secs());
            now = at;
        }
        assert_eq!(waits, vec![2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(s.failures, 9);
        s.finished(
            Trigger::Retry,
            &Reconciled::Converged { actions: 0 },
            now,
            0.5,
            0.5,
        );
        assert_eq!((s.failures, s.retry_at), (0, None));
        // Equal jitter: never less than half the ceiling.
        assert_eq!(retry_delay(3, interval, 0.0), 2 * SECOND);
        assert_eq!(retry_delay(3, interval, 1.0), 4 * SECOND);
        // Short intervals cap the base too.
        assert_eq!(retry_delay(1, SECOND, 1.0), SECOND);
    }

    #[test]
    fn the_trigger_that_ran_is_never_due_again_at_once() {
        let t0 = Instant::now();
        let results = [
            Reconciled::Converged { actions: 0 },
            Reconciled::Unconverged {
                actions: 1,
                unconverged: 1,
            },
            failed(),
            Reconciled::Refused { reason: "r".into() },
            Reconciled::Skipped { reason: "s".into() },
            Reconciled::Interrupted,
        ];
        for result in &results {
            for trigger in [Trigger::Start, Trigger::Interval, Trigger::Retry] {
                let mut s = Schedule::new(t0, 10 * SECOND);
                s.start_pending = trigger == Trigger::Start;
                s.next_interval = if trigger == Trigger::Interval {
                    t0
                } else {
                    t0 + SECOND
                };
                s.retry_at = (trigger == Trigger::Retry).then_some(t0);
                assert_eq!(s.due(t0, false), Some(trigger));
                s.finished(trigger, result, t0, 0.5, 0.0);
                assert_eq!(s.due(t0, false), None, "{trigger:?} after {result:?}");
            }
        }
    }

    #[test]
    fn unchanged_manifests_skip_only_file_triggered_reconciles() {
        assert!(unchanged(Trigger::FilesChanged, "d1", Some("d1")));
        assert!(!unchanged(Trigger::FilesChanged, "d2", Some("d1")));
        assert!(!unchanged(Trigger::FilesChanged, "d1", None));
        assert!(!unchanged(Trigger::Interval, "d1", Some("d1")));
        assert!(!unchanged(Trigger::Retry, "d1", Some("d1")));
    }

    fn roots() -> Vec<Root> {
        vec![
            Root::Dir(PathBuf::from("/m")),
            Root::File(PathBuf::from("/other/app.conf")),
        ]
    }

    fn relevant(kind: EventKind, paths: &[&str], probe: Entry) -> bool {
        let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        is_relevant(&kind, &paths, false, &roots(), |_| probe)
    }

    #[test]
    fn event_relevance_table() {
        use EventKind::{Access, Create, Modify, Remove};
        let data = Modify(ModifyKind::Data(DataChange::Any));
        let rename = Modify(ModifyKind::Name(RenameMode::Both));
        let from = Modify(ModifyKind::Name(RenameMode::From));
        let rows: &[(EventKind, &[&str], Entry, bool)] = &[
            (data, &["/m/a.yaml"], Entry::File, true),
            (data, &["/m/sub/b.yml"], Entry::File, true),
            (
                Create(CreateKind::File),
                &["/m/new.yaml"],
                Entry::File,
                true,
            ),
            (
                Remove(RemoveKind::File),
                &["/m/a.yaml"],
                Entry::Missing,
                true,
            ),
            // Editors' temp and backup files.
            (Create(CreateKind::File), &["/m/4913"], Entry::File, false),
            (
                Remove(RemoveKind::File),
                &["/m/4913"],
                Entry::Missing,
                false,
            ),
            (data, &["/m/a.yaml~"], Entry::File, false),
            (data, &["/m/.a.yaml.swp"], Entry::File, false),
            (data, &["/m/.#a.yaml"], Entry::File, false),
            // An atomic save: temp file renamed over the manifest.
            (
                rename,
                &["/m/a.yaml.tmp123", "/m/a.yaml"],
                Entry::File,
                true,
            ),
            // A backup rename away from the manifest (vim's writebackup).
            (rename, &["/m/a.yaml", "/m/a.yaml~"], Entry::File, true),
            // Hidden directories are skipped like the loader skips them.
            (data, &["/m/.git/x.yaml"], Entry::File, false),
            (
                rename,
                &["/m/.git/index.lock", "/m/.git/index"],
                Entry::File,
                false,
            ),
            // Directory renames and removals.
            (rename, &["/m/old", "/m/new"], Entry::Dir, true),
            (
                Remove(RemoveKind::Folder),
                &["/m/team"],
                Entry::Missing,
                true,
            ),
            (from, &["/m/team"], Entry::Missing, true),
            (from, &["/m/notes.txt"], Entry::Missing, false),
            (Remove(RemoveKind::Any), &["/m"], Entry::Missing, true),
            (Create(CreateKind::Folder), &["/m/empty"], Entry::Dir, false),
            // Reads never matter.
            (Access(AccessKind::Any), &["/m/a.yaml"], Entry::File, false),
            // An explicitly given file, whatever its name; its siblings do not matter.
            (data, &["/other/app.conf"], Entry::File, true),
            (
                rename,
                &["/other/tmp", "/other/app.conf"],
                Entry::File,
                true,
            ),
            (data, &["/other/x.yaml"], Entry::File, false),
            // Outside every root.
            (data, &["/elsewhere/a.yaml"], Entry::File, false),
        ];
        for (kind, paths, probe, expected) in rows {
            assert_eq!(
                relevant(*kind, paths, *probe),
                *expected,
                "{kind:?} {paths:?} {probe:?}"
            );
        }
        assert!(is_relevant(&EventKind::Other, &[], true, &roots(), |_| {
            Entry::Missing
        }));
    }

    #[test]
    fn health_verdicts() {
        let t0 = Instant::now();
        let interval = 10 * SECOND;
        let mut state = HealthState::default();
        let verdict = health(&state, t0, interval);
        assert!(!verdict.ok);
        assert_eq!(verdict.reason.as_deref(), Some("no reconcile finished yet"));
        state.last_finished = Some(t0);
        assert!(health(&state, t0 + 19 * SECOND, interval).ok);
        state.last_error = Some("refresh failed".into());
        let stale = health(&state, t0 + 20 * SECOND, interval);
        assert!(!stale.ok);
        assert_eq!(
            stale.reason.as_deref(),
            Some(
                "last reconcile finished 20s ago, more than two intervals; last error: refresh failed"
            )
        );
        state.manifest_errors = 2;
        assert_eq!(
            health(&state, t0, interval).reason.as_deref(),
            Some("manifests invalid: 2 errors")
        );
        state.manifest_errors = 1;
        assert_eq!(
            health(&state, t0, interval).reason.as_deref(),
            Some("manifests invalid: 1 error")
        );
    }

    fn result(outcome: Outcome, code: Option<&str>) -> ActionResult {
        ActionResult {
            key: Key::new("P", 1),
            name: "n".into(),
            action: ApplyAction::Submit,
            outcome,
            error_code: code.map(str::to_string),
            message: None,
            request_id: None,
            attempts: 1,
            duration_ms: 0,
        }
    }

    fn apply_report(results: Vec<ActionResult>, stopped: Option<&str>) -> ApplyReport {
        ApplyReport {
            format_version: 1,
            run_id: "r".into(),
            commit: None,
            results,
            summary: BTreeMap::new(),
            stopped: stopped.map(str::to_string),
        }
    }

    #[test]
    fn retries_follow_the_error_classes() {
        let rows: &[(Outcome, Option<&str>, Option<&str>, bool)] = &[
            (Outcome::Submitted, None, None, false),
            (
                Outcome::Blocked,
                Some("FailedOperation.PackageAlreadyExpired"),
                None,
                false,
            ),
            (
                Outcome::Failed,
                Some("InvalidParameterValue.InvalidPlatformId"),
                None,
                false,
            ),
            (Outcome::Failed, Some("InternalError"), None, true),
            (Outcome::Failed, Some("HTTP503"), None, true),
            (Outcome::Failed, Some("FailedOperation"), None, true),
            (
                Outcome::Failed,
                Some("AuthFailure.SignatureFailure"),
                Some("auth"),
                true,
            ),
        ];
        for (outcome, code, stopped, expected) in rows {
            let report = apply_report(vec![result(*outcome, *code)], *stopped);
            assert_eq!(needs_retry(&report), *expected, "{outcome:?} {code:?}");
        }
    }

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
        let known: BTreeMap<Key, Observed> = [
            (Key::new("A", 1), Observed::Approved),
            (Key::new("A", 2), Observed::Processing),
            (Key::new("B", 1), Observed::Approved),
            (Key::new("C", 1), Observed::Rejected),
        ]
        .into_iter()
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

    #[test]
    fn metrics_expose_the_documented_names() {
        let metrics = Metrics::new();
        (metrics.observer())(&RequestEvent {
            action: "CreateMNPApproval",
            code: Some("InternalError"),
            latency: Duration::from_millis(12),
        });
        metrics.reconciled(&Reconciled::Converged { actions: 1 });
        metrics.action(&result(Outcome::Submitted, None));
        metrics.manifests(0);
        metrics.versions(&BTreeMap::from([(Observed::Processing, 2)]), 5.0);
        let text = metrics.encode();
        for needle in [
            "mnpsync_reconciles_total{result=\"success\"} 1",
            "mnpsync_actions_total{action=\"submit\",outcome=\"submitted\"} 1",
            "mnpsync_api_requests_total{action=\"CreateMNPApproval\",code=\"InternalError\"} 1",
            "mnpsync_api_request_duration_seconds_bucket{",
            "mnpsync_manifests_valid 1",
            "mnpsync_versions{status=\"processing\"} 2",
            "mnpsync_oldest_processing_approval_age_seconds 5",
            "mnpsync_last_success_timestamp_seconds ",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }

    #[test]
    fn git_errors_lose_url_credentials() {
        assert_eq!(
            redact_url_credentials(
                "fatal: unable to access 'https://bot:ghp_secret@github.com/o/r.git/': 403"
            ),
            "fatal: unable to access 'https://***@github.com/o/r.git/': 403"
        );
        assert_eq!(
            redact_url_credentials("https://github.com/o/r and ssh://git@host/x"),
            "https://github.com/o/r and ssh://***@host/x"
        );
    }

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
