//! Reaction latency of `watch` (DESIGN.md §8: a saved manifest change reaches the API within
//! debounce + 150 ms).
//!
//! Runs the library's watch loop in-process against the simulator, saves a manifest change N
//! times (each declares a new version) and measures from the moment the file is saved to the
//! moment the simulator has received the `CreateMNPApproval` for that version.
//!
//! ```text
//! cargo run --release --example bench_watch [-- [--iterations N] [--debounce 250ms] [--atomic]]
//! ```
//!
//! `--atomic` saves like many editors (a temporary file renamed over the manifest) instead of
//! rewriting the file in place.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use mnpsync::sim::{Sim, SimConfig, spawn};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};
use mnpsync::watch::{self, Metrics, WatchOptions};

const PLATFORM: &str = "TBENCH0000000000001";

struct Args {
    iterations: usize,
    debounce: Duration,
    atomic: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        iterations: 40,
        debounce: watch::DEFAULT_DEBOUNCE,
        atomic: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--iterations" | "-n" => {
                args.iterations = it.next().context("--iterations N")?.parse()?;
            }
            "--debounce" => {
                args.debounce = humantime::parse_duration(&it.next().context("--debounce DUR")?)?;
            }
            "--atomic" => args.atomic = true,
            other => anyhow::bail!(
                "unknown argument {other:?}; usage: bench_watch [--iterations N] [--debounce 250ms] [--atomic]"
            ),
        }
    }
    anyhow::ensure!(args.iterations > 0, "--iterations must be positive");
    Ok(args)
}

fn manifest(version: i64) -> String {
    format!(
        "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: bench-{version}\nspec:\n  platformId: {PLATFORM}\n  mnpVersionId: {version}\n  approval: submitted\n"
    )
}

fn save(path: &Path, text: &str, atomic: bool) -> std::io::Result<()> {
    if atomic {
        let tmp = path.with_file_name(".bench.yaml.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    } else {
        std::fs::write(path, text)
    }
}

fn submitted(sim: &Sim, version: i64) -> bool {
    sim.calls().iter().any(|c| {
        c.action == "CreateMNPApproval"
            && c.params["MNPVersionId"].as_i64() == Some(version)
            && c.params["ApplyAction"] == "submit"
    })
}

async fn wait_for_submit(sim: &Sim, version: i64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while !submitted(sim, version) {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(10),
            "no submit of {version} within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Waits for the start reconcile, then saves `iterations` changes and times each.
async fn measure(sim: &Sim, file: &Path, args: &Args) -> anyhow::Result<Vec<Duration>> {
    wait_for_submit(sim, 1)
        .await
        .context("the start reconcile")?;
    let mut samples = Vec::with_capacity(args.iterations);
    for i in 0..args.iterations {
        let version = 1000 + i as i64;
        save(file, &manifest(version), args.atomic)?;
        samples.push(wait_for_submit(sim, version).await?);
        // Let the reconcile finish (records) so the next save starts from quiet.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(samples)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let config = SimConfig::default();
    let credentials = Credentials::new(
        config.secret_id.clone(),
        config.secret_key.clone(),
        "the benchmark's simulator credentials",
    );
    let sim = spawn(config).await.context("starting the simulator")?;
    let scratch = tempfile::tempdir()?;
    let manifests = scratch.path().join("manifests");
    std::fs::create_dir_all(&manifests)?;
    let file = manifests.join("bench.yaml");
    std::fs::write(&file, manifest(1))?;

    let metrics = Metrics::new();
    let client = Client::observed(
        credentials,
        ClientConfig::new(Endpoint::parse(&sim.url)?),
        Some(metrics.observer()),
    )?;
    let mut options = WatchOptions::new(vec![manifests.clone()]);
    options.debounce = args.debounce;
    // No interval reconcile during the measurement.
    options.interval = Duration::from_secs(3600);
    let shutdown = CancellationToken::new();
    let state_dir = scratch.path().join("state");
    // Watch and measurement run side by side in this task.
    let watching = watch::run(client, &state_dir, options, metrics, shutdown.clone());
    let measuring = async {
        let measured = measure(&sim.sim, &file, &args).await;
        shutdown.cancel();
        measured
    };
    let (watched, measured) = tokio::join!(watching, measuring);
    watched?;
    let mut samples = measured?;

    samples.sort();
    let median = percentile(&samples, 0.5);
    let p95 = percentile(&samples, 0.95);
    let (min, max) = (samples[0], samples[samples.len() - 1]);
    let target = args.debounce + Duration::from_millis(150);
    println!(
        "watch reaction latency, {} saves ({}), debounce {}:",
        samples.len(),
        if args.atomic {
            "atomic rename"
        } else {
            "in-place write"
        },
        humantime::format_duration(args.debounce)
    );
    println!(
        "  min {}  median {}  p95 {}  max {}",
        ms(min),
        ms(median),
        ms(p95),
        ms(max)
    );
    println!(
        "  target ≤ {} (debounce + 150 ms): {}",
        ms(target),
        if max <= target {
            "met by every save"
        } else if p95 <= target {
            "met at p95, not by every save"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
