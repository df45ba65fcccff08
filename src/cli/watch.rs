//! `mnpsync watch`: flags → [`mnpsync::watch::WatchOptions`], a client that feeds the metrics,
//! then [`mnpsync::watch::run`] until SIGINT/SIGTERM (exit 0).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use mnpsync::apply::ApplyOptions;
use mnpsync::plan::PlanOptions;
use mnpsync::reconcile::selector_matches_nothing;
use mnpsync::watch::{self, Metrics, WatchOptions};

use super::common::{
    ManifestArgs, PruneArgs, SelectArgs, WindowArgs, now, observed_client, paths_or_default,
    shutdown_on_signals,
};
use super::notify::NotifyFlags;
use super::{ClientArgs, Global, parse_duration};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Manifest files or directories (default: manifests/); directories are watched recursively.
    pub paths: Vec<PathBuf>,
    /// Refresh and reconcile this often (±10% jitter) to correct drift, e.g. 60s, 5m.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub interval: Duration,
    /// List every platform with managed versions at least this often, even when the records say
    /// all its versions are final (drift made in the console), e.g. 10m.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub full_resync: Duration,
    /// Quiet time after a file change before reacting, e.g. 250ms.
    #[arg(long, default_value = "250ms", value_parser = parse_duration)]
    pub debounce: Duration,
    /// Run `git pull --ff-only` in the manifests' repository before each interval's reconcile.
    #[arg(long)]
    pub git_pull: bool,
    #[command(flatten)]
    pub prune: PruneArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Allow rollbacks, for every manifest change while watch runs (without it they are held).
    #[arg(long)]
    pub allow_rollback: bool,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub notify: NotifyFlags,
    /// Serve GET /healthz and GET /metrics here, e.g. 127.0.0.1:8080 or :8080 (port 0: any free port).
    #[arg(long, value_parser = parse_health_addr)]
    pub health_addr: Option<SocketAddr>,
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

/// `HOST:PORT`, or `:PORT` for every interface.
pub fn parse_health_addr(text: &str) -> Result<SocketAddr, String> {
    let full = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_string(),
    };
    full.parse()
        .map_err(|_| format!("{text:?} is not an address like 127.0.0.1:8080 or :8080"))
}

pub async fn exec(global: &Global, args: WatchArgs) -> anyhow::Result<ExitCode> {
    let paths = paths_or_default(&args.paths);
    // A selector that matches nothing at start is a typo, not an empty release (later manifest
    // changes are watch's to judge). A broken set is watch's to report and wait out.
    if let Ok(all) = mnpsync::manifest::load(&paths) {
        let records = if args.prune.prune {
            mnpsync::record::recover(&global.state_dir)
                .ok()
                .map(|(state, _)| state)
        } else {
            None
        };
        if let Some(why) = selector_matches_nothing(&all, records.as_ref(), &args.select.selector())
        {
            anyhow::bail!(why);
        }
    }
    let metrics = Metrics::new();
    let counted = metrics.clone();
    let announcer = match args.notify.announcer(Some(std::sync::Arc::new(
        move |r: &mnpsync::notify::Report| counted.notification(r),
    ))) {
        Ok(announcer) => announcer.map(std::sync::Arc::new),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(super::EXIT_USAGE));
        }
    };
    let client = observed_client(global, &args.client, Some(metrics.observer()))?;
    let options = WatchOptions {
        interval: args.interval,
        debounce: args.debounce,
        git_pull: args.git_pull,
        prune: args.prune.prune,
        prune_limit: (!args.prune.force).then_some(args.prune.prune_limit),
        selector: args.select.selector(),
        plan: PlanOptions {
            allow_rollback: args.allow_rollback,
            ..args.select.plan_options()
        },
        health_addr: args.health_addr,
        apply: ApplyOptions {
            concurrency: args.client.concurrency as usize,
            allow_rollback: args.allow_rollback,
            release_gate: args.window.gate(),
        },
        release_windows: args.window.windows(),
        announcer,
        review_sla: args.notify.review_sla,
        clock: now,
        records: args.client.records_config(),
        full_resync: args.full_resync,
        load: args.manifest.options(),
        ..WatchOptions::new(paths)
    };
    let shutdown = shutdown_on_signals();
    watch::run(client, &global.state_dir, options, metrics, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_addresses() {
        assert_eq!(
            parse_health_addr(":8080").unwrap(),
            "0.0.0.0:8080".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            parse_health_addr("127.0.0.1:0").unwrap(),
            "127.0.0.1:0".parse::<SocketAddr>().unwrap()
        );
        assert!(parse_health_addr("localhost").is_err());
    }
}
