//! Helpers shared by the commands: turning global flags into a client, loading manifests with
//! located errors, and the default manifest path.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use mnpsync::apply::ReleaseGate;
use mnpsync::manifest::{self, Desired, Selector};
use mnpsync::plan::{DEFAULT_PRUNE_LIMIT, PlanOptions};
use mnpsync::tcmpp::client::Observer;
use mnpsync::tcmpp::{Api, Client, ClientConfig, Credentials, Endpoint, UnknownApi, credentials};
use mnpsync::window::{ReleaseWindow, ReleaseWindows};

use super::{ClientArgs, Global};

/// `PATH…` arguments, defaulting to `manifests/`.
pub fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("manifests")]
    } else {
        paths.to_vec()
    }
}

/// Loads and validates manifests; on failure prints every error to stderr and returns `None`.
/// When releases and rollbacks may run, shared by `plan`, `apply` and `watch`.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// Releases and rollbacks only within, e.g. 'Mon-Thu 10:00-16:00 Asia/Shanghai' (repeatable).
    #[arg(long, value_name = "WINDOW")]
    pub release_window: Vec<ReleaseWindow>,
}

impl WindowArgs {
    pub fn windows(&self) -> ReleaseWindows {
        ReleaseWindows(self.release_window.clone())
    }

    /// The executor's gate: the windows, read with [`now`] right before a release would run.
    pub fn gate(&self) -> ReleaseGate {
        let windows = self.windows();
        if windows.is_empty() {
            return ReleaseGate::default();
        }
        ReleaseGate::new(move || {
            windows
                .deferral(now())
                .map(|d| (d.until.to_string(), d.text))
        })
    }
}

/// The clock release windows are read with: `MNPSYNC_NOW` (an RFC 3339 instant, for tests and
/// for trying windows out) when set and valid, else the system clock.
pub fn now() -> jiff::Timestamp {
    std::env::var("MNPSYNC_NOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(jiff::Timestamp::now)
}

/// Prints the documents whose `version` did not resolve, located, and a closing line; `true`
/// when there were any (the command then exits 1).
pub fn report_unresolved(errors: &[manifest::ManifestError]) -> bool {
    for e in errors {
        eprintln!("{e}");
    }
    if !errors.is_empty() {
        eprintln!(
            "error: {} document(s) name a version that did not resolve; nothing was sent for them, the rest was planned",
            errors.len()
        );
    }
    !errors.is_empty()
}

pub fn load_manifests(paths: &[PathBuf], flags: &ManifestArgs) -> Option<Desired> {
    match manifest::load_with_warnings(paths, &flags.options()) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                tracing::warn!("{warning}");
            }
            Some(loaded.desired)
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("{e}");
            }
            eprintln!(
                "error: {} invalid manifest error(s); nothing was sent to the API",
                errors.0.len()
            );
            None
        }
    }
}

/// How manifests are read: links out of the root, the size limit.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Manifest options")]
pub struct ManifestArgs {
    /// Follow links out of the manifest root (refused by default).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Largest manifest file read, in bytes.
    #[arg(long, value_name = "N", default_value_t = manifest::MAX_FILE_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_manifest_bytes: u64,
}

impl ManifestArgs {
    pub fn options(&self) -> manifest::LoadOptions {
        manifest::LoadOptions {
            follow_symlinks: self.follow_symlinks,
            max_file_bytes: self.max_manifest_bytes,
        }
    }
}

/// The client configuration from the client flags and the global region.
pub fn client_config(global: &Global, flags: &ClientArgs) -> anyhow::Result<ClientConfig> {
    let mut config = ClientConfig::public();
    config.api = flags.api;
    // `URL` sets every API's endpoint, `SERVICE=URL` one API's: the former first, so a
    // per-service endpoint wins whatever the order on the command line.
    let mut per_service = Vec::new();
    for value in &flags.endpoint {
        match value.split_once('=') {
            Some((service, url)) if !service.contains("://") => {
                let api: Api = service.parse().map_err(|e: UnknownApi| {
                    anyhow::anyhow!("--endpoint / MNPSYNC_ENDPOINT: {e} (in {value:?})")
                })?;
                per_service.push((api, url));
            }
            _ => {
                let endpoint = Endpoint::parse(value).context("--endpoint / MNPSYNC_ENDPOINT")?;
                config.set_endpoint(None, endpoint);
            }
        }
    }
    for (api, url) in per_service {
        let endpoint = Endpoint::parse(url)
            .with_context(|| format!("--endpoint / MNPSYNC_ENDPOINT ({api})"))?;
        config.set_endpoint(Some(api), endpoint);
    }
    config.region = global.region.clone();
    config.timeout = flags.timeout;
    config.rate_limit = flags.rate_limit;
    Ok(config)
}

/// A client with credentials from the environment or profile file.
pub fn client(global: &Global, flags: &ClientArgs) -> anyhow::Result<Client> {
    observed_client(global, flags, None)
}

/// [`client`], reporting every HTTP exchange to `observer` (watch's metrics).
pub fn observed_client(
    global: &Global,
    flags: &ClientArgs,
    observer: Option<Observer>,
) -> anyhow::Result<Client> {
    let config = client_config(global, flags)?;
    let credentials: Credentials = credentials::load(flags.profile.as_deref())?;
    tracing::debug!(source = %credentials.source, secret_id = %credentials.masked_id(), "credentials");
    Ok(Client::observed(credentials, config, observer)?)
}

/// Which manifests a command acts on and how rejected versions are treated; shared by `plan`,
/// `apply` and `watch`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only manifests whose labels match, e.g. team=payments,tier=gold.
    #[arg(long, value_parser = parse_selector)]
    pub selector: Option<Selector>,
    /// Submit again versions the reviewer rejected.
    #[arg(long)]
    pub resubmit_rejected: bool,
}

impl SelectArgs {
    pub fn selector(&self) -> Selector {
        self.selector.clone().unwrap_or_default()
    }

    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            resubmit_rejected: self.resubmit_rejected,
            ..PlanOptions::default()
        }
    }
}

pub fn parse_selector(text: &str) -> Result<Selector, String> {
    text.parse()
}

/// `--prune` and its guard, shared by `apply` and `watch`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Cancel versions mnpsync submitted that no manifest declares any more.
    #[arg(long)]
    pub prune: bool,
    /// Refuse a prune that cancels more than this many versions (without --force).
    #[arg(long, default_value_t = DEFAULT_PRUNE_LIMIT)]
    pub prune_limit: usize,
    /// Allow a prune beyond --prune-limit, of every pending version, or with no manifest left.
    #[arg(long)]
    pub force: bool,
}

/// The commit of the manifests' repository (the first path's).
pub async fn commit_of(paths: &[PathBuf]) -> Option<String> {
    mnpsync::git::commit_of(paths).await
}

/// A token cancelled on the first SIGINT or SIGTERM: no new call starts, calls in flight
/// finish. A second signal exits at once (status 130): every outcome so far is already in the
/// journal, which the next run replays.
pub fn shutdown_on_signals() -> tokio_util::sync::CancellationToken {
    let token = tokio_util::sync::CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let mut signal = async || {
            #[cfg(unix)]
            if let Some(term) = term.as_mut() {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            let _ = tokio::signal::ctrl_c().await;
        };
        signal().await;
        tracing::warn!(
            "shutdown requested: starting no new call, letting calls in flight finish (again to exit at once)"
        );
        trigger.cancel();
        signal().await;
        let why = "second interrupt: exiting now; every outcome so far is in the journal, and the next run replays it";
        if super::json_logs() {
            tracing::error!("{why}");
        } else {
            eprintln!("error: {why}");
        }
        std::process::exit(130);
    });
    token
}
