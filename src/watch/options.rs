//! What `watch` is asked to do ([`WatchOptions`], with the defaults of DESIGN.md §5 and §7),
//! their checks, and why it could not start ([`WatchError`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::apply::ApplyOptions;
use crate::manifest::{self, Selector};
use crate::plan::PlanOptions;
use crate::record::{RecordError, RecordsConfig};

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
/// Default `--full-resync`: every platform with managed versions is listed at least this often.
pub const DEFAULT_FULL_RESYNC: Duration = Duration::from_secs(600);
/// How long queued notifications may take to be delivered after a shutdown request.
pub const NOTIFY_GRACE: Duration = Duration::from_secs(5);
/// How long calls in flight may take to finish after a shutdown request.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
    /// Where to serve the probes (`/livez`, `/readyz`, `/healthz`) and `/metrics`; port 0 picks
    /// a free port.
    pub health_addr: Option<SocketAddr>,
    pub apply: ApplyOptions,
    /// How the journal is kept (rotation).
    pub records: RecordsConfig,
    /// Interval reconciles list only platforms with a version in flight per the records; every
    /// platform with managed versions is listed at least this often (drift from the console:
    /// a rejected or approved version resubmitted or cancelled by a person).
    pub full_resync: Duration,
    /// How manifests are read (links out of the root, the size limit).
    pub load: manifest::LoadOptions,
    /// When releases and rollbacks may run (empty: always); the executor's gate
    /// (`apply.release_gate`) should check the same windows.
    pub release_windows: crate::window::ReleaseWindows,
    /// The clock the windows are read with.
    pub clock: fn() -> jiff::Timestamp,
    /// Notifications of each reconcile's events (`--notify`); delivered in the background.
    pub announcer: Option<std::sync::Arc<crate::notify::Announcer>>,
    /// `--review-sla`.
    pub review_sla: Option<Duration>,
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
            records: RecordsConfig::default(),
            full_resync: DEFAULT_FULL_RESYNC,
            load: manifest::LoadOptions::default(),
            release_windows: crate::window::ReleaseWindows::default(),
            clock: jiff::Timestamp::now,
            announcer: None,
            review_sla: None,
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
