//! Release throughput against the simulator (DESIGN.md §8): N mini programs on one platform,
//! each with one approved version newer than its online one, declared by version string with
//! `release: online`, released by one reconcile through the library (`reconcile::reconcile`,
//! as `mnpsync apply` runs it).
//!
//! Reports the wall time, the calls per API action (the simulator's call log), the sustained
//! calls/s of the listing phase (`DescribeMNPAllStageVersions`, one per mini program) and of the
//! release phase (`ReleaseMNPVersion`) — separate API actions, so separate rate limiters — how
//! many `RequestLimitExceeded` answers the simulator gave, and the outcomes.
//!
//! Run: `cargo run --release --example bench_release -- [MINI_PROGRAMS] [LATENCY_MS]`
//! (default 500, 250). Exits 1 when a release did not end `released` or the simulator refused
//! a call for its rate limit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use mnpsync::action::Action;
use mnpsync::apply::ApplyOptions;
use mnpsync::manifest;
use mnpsync::reconcile::{Executor, Request, reconcile};
use mnpsync::record::{Lock, Outcome, Records};
use mnpsync::sim::{Fixture, SimConfig, spawn};
use mnpsync::tcmpp::client::Observer;
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};
use tokio_util::sync::CancellationToken;

const PLATFORM: &str = "TBENCHRELEASE000001";
/// The API's documented limit, per action and second: the simulator's and the client's.
const RATE_LIMIT: u32 = 20;
/// The API actions of the release flow, in the order they run.
const ACTIONS: [&str; 3] = [
    "DescribeMNPAllStageVersions",
    "DescribeMNPApprovalList",
    "ReleaseMNPVersion",
];

/// Version ids of mini program `i` (from 1): the online one and the approved, newer one.
fn versions_of(i: usize) -> (usize, usize) {
    (10_000 + 2 * i, 10_001 + 2 * i)
}

/// `n` mini programs `bench-mnp-<i>`: `1.0.0` online (released once), `1.1.0` approved.
fn fixture(n: usize) -> anyhow::Result<Fixture> {
    let mut yaml = format!("platforms:\n  - id: {PLATFORM}\n    mini_programs:\n");
    for i in 1..=n {
        let (online, next) = versions_of(i);
        writeln!(
            yaml,
            "      - id: bench-mnp-{i}\n        released: [{online}]\n        versions:\n          - {{id: {online}, version: \"1.0.0\"}}\n          - {{id: {next}, version: \"1.1.0\"}}"
        )?;
    }
    yaml.push_str("    approvals:\n");
    for i in 1..=n {
        let (online, next) = versions_of(i);
        writeln!(
            yaml,
            "      - {{version: {online}, status: approved}}\n      - {{version: {next}, status: approved}}"
        )?;
    }
    Fixture::from_yaml(&yaml).map_err(anyhow::Error::msg)
}

/// One manifest file per mini program, as a repository would hold them.
fn write_manifests(dir: &std::path::Path, n: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for i in 1..=n {
        let doc = format!(
            "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: bench-{i}-1-1-0\nspec:\n  platformId: {PLATFORM}\n  mnpId: bench-mnp-{i}\n  version: \"1.1.0\"\n  approval: submitted\n  release: online\n"
        );
        std::fs::write(dir.join(format!("bench-{i:04}.yaml")), doc)?;
    }
    Ok(())
}

/// When each HTTP exchange ended, per API action (the client's observer).
type Ends = Arc<Mutex<BTreeMap<String, Vec<Instant>>>>;

/// Calls over the span from the first to the last completion: completions are spaced like the
/// requests, so N completions span N-1 gaps. `None` for fewer than two calls.
fn sustained(ends: &[Instant]) -> Option<(f64, Duration)> {
    let (first, last) = (ends.first()?, ends.last()?);
    let span = last.duration_since(*first);
    (ends.len() > 1 && !span.is_zero())
        .then(|| ((ends.len() - 1) as f64 / span.as_secs_f64(), span))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(500);
    let latency: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(250);
    anyhow::ensure!(n > 0, "MINI_PROGRAMS must be positive");

    let config = SimConfig {
        latency_ms: Some((latency, latency)),
        rate_limit: RATE_LIMIT,
        fixture: Some(fixture(n)?),
        ..SimConfig::default()
    };
    let credentials =
        Credentials::new(config.secret_id.clone(), config.secret_key.clone(), "bench");
    let sim = spawn(config).await?;
    let ends: Ends = Arc::default();
    let observer: Observer = {
        let ends = ends.clone();
        Arc::new(move |event| {
            let now = Instant::now();
            if let Ok(mut ends) = ends.lock() {
                ends.entry(event.action.to_string()).or_default().push(now);
            }
        })
    };
    let mut client_config = ClientConfig::new(Endpoint::parse(&sim.url)?);
    client_config.rate_limit = RATE_LIMIT;
    let client = Client::observed(credentials, client_config, Some(observer))?;

    let dir = tempfile::tempdir()?;
    let manifests = dir.path().join("manifests");
    write_manifests(&manifests, n)?;
    let loading = Instant::now();
    let desired = manifest::load(std::slice::from_ref(&manifests))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("loading the generated manifests")?;
    let loaded = loading.elapsed();
    anyhow::ensure!(
        desired.by_version.len() == n,
        "expected {n} version-string documents, loaded {}",
        desired.by_version.len()
    );
    let state_dir = dir.path().join("state");
    let _lock = Lock::acquire(&state_dir)?;
    let records = Records::open(&state_dir)?;

    let shutdown = CancellationToken::new();
    let exec = Executor {
        client: &client,
        records: &records,
        options: &ApplyOptions::default(),
        shutdown: &shutdown,
        progress: &(),
    };
    let started = Instant::now();
    let applied = reconcile(&exec, &desired, &Request::default()).await?;
    let wall = started.elapsed();

    let calls = sim.sim.calls();
    let ends = ends.lock().map(|e| e.clone()).unwrap_or_default();
    let limited = calls
        .iter()
        .filter(|c| {
            c.code
                .as_deref()
                .is_some_and(|code| code.starts_with("RequestLimitExceeded"))
        })
        .count();
    let released = applied
        .report
        .results
        .iter()
        .filter(|r| r.action == Action::Release && r.outcome == Outcome::Released)
        .count();

    println!(
        "{n} mini programs on one platform, {latency} ms latency, {RATE_LIMIT}/s per action \
         (manifests loaded in {} ms)",
        loaded.as_millis()
    );
    println!();
    // `done at`: the last completion, from the start of the reconcile (the phases run one
    // after the other: a version is released once its listing showed it approved).
    println!(
        "{:<29} {:>6} {:>8} {:>10} {:>9}",
        "action", "calls", "span s", "calls/s", "done at s"
    );
    for action in ACTIONS {
        let count = calls.iter().filter(|c| c.action == action).count();
        let mine = ends.get(action).map(Vec::as_slice).unwrap_or_default();
        let (rate, span) = match sustained(mine) {
            Some((rate, span)) => (format!("{rate:.2}"), format!("{:.2}", span.as_secs_f64())),
            None => ("-".to_string(), "-".to_string()),
        };
        let done = mine.last().map_or("-".to_string(), |t| {
            format!("{:.2}", t.duration_since(started).as_secs_f64())
        });
        println!("{action:<29} {count:>6} {span:>8} {rate:>10} {done:>9}");
    }
    let others = calls
        .iter()
        .filter(|c| !ACTIONS.contains(&c.action.as_str()));
    let others = others.count();
    if others > 0 {
        println!("{:<29} {others:>6}", "other actions");
    }
    println!();
    println!("wall time (one reconcile)     {:.2} s", wall.as_secs_f64());
    println!("RequestLimitExceeded          {limited}");
    let outcomes: Vec<String> = applied
        .report
        .summary
        .iter()
        .map(|(outcome, count)| format!("{} {count}", outcome.as_str()))
        .collect();
    println!("outcomes                      {}", outcomes.join(", "));
    println!("released                      {released} of {n}");

    sim.shutdown().await;
    anyhow::ensure!(
        limited == 0,
        "{limited} calls were refused for the rate limit"
    );
    anyhow::ensure!(
        released == n && applied.report.results.len() == n,
        "{released} of {n} releases ended `released`: {:?}",
        applied.report.summary
    );
    Ok(())
}
