//! `plan --no-refresh` over many manifests (DESIGN.md §8: 10,000 manifests in ≤ 300 ms and
//! ≤ 100 MB peak memory).
//!
//! Writes N manifests (100 per file) to a temporary directory, then runs the release binary's
//! `plan --no-refresh --format json` on them several times and reports wall times and the child's
//! peak resident memory (from `/usr/bin/time` when present), plus an in-process breakdown.
//!
//! Run: `cargo build --release && cargo run --release --example bench_plan -- [N] [RUNS]`
//! (default 10000, 7).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mnpsync::manifest::{self, Approval, Key, Location, Resource, render_resource_yaml};
use mnpsync::plan::{PlanOptions, plan};
use mnpsync::record::State;

fn write_manifests(dir: &Path, n: i64) -> std::io::Result<()> {
    for file in 0..(n + 99) / 100 {
        let mut text = String::new();
        for v in (file * 100 + 1)..=((file + 1) * 100).min(n) {
            let resource = Resource {
                name: format!("app-{v}"),
                labels: BTreeMap::from([("team".to_string(), format!("team-{}", v % 7))]),
                key: Key::new(format!("TPLATFORM{}", v % 5), v),
                approval: if v % 10 == 0 {
                    Approval::Cancelled
                } else {
                    Approval::Submitted
                },
                region: None,
                api: None,
                mnp_id: None,
                version: None,
                version_at: None,
                release: None,
                source: Location {
                    path: "x".into(),
                    line: 1,
                    column: 1,
                },
            };
            text.push_str(&render_resource_yaml(&resource));
        }
        std::fs::write(dir.join(format!("file-{file:04}.yaml")), text)?;
    }
    Ok(())
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: i64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(7);
    let dir = tempfile::tempdir()?;
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests)?;
    write_manifests(&manifests, n)?;
    let state_dir = dir.path().join("state");

    // In-process breakdown.
    let t = Instant::now();
    let desired =
        manifest::load(std::slice::from_ref(&manifests)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let load = t.elapsed();
    let t = Instant::now();
    let p = plan(
        &desired,
        &State::default().observed(),
        &[],
        &PlanOptions::default(),
        false,
        None,
    );
    let planning = t.elapsed();
    println!(
        "in-process: load {} manifests {:.1} ms, plan {:.1} ms ({} submits, {} cancels)",
        desired.resources.len(),
        load.as_secs_f64() * 1e3,
        planning.as_secs_f64() * 1e3,
        p.summary.submit,
        p.summary.cancel
    );

    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/mnpsync");
    anyhow::ensure!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    let time = Path::new("/usr/bin/time");
    let mut walls = Vec::new();
    let mut peak_kb = None;
    for _ in 0..runs {
        let mut command = if time.exists() {
            let mut c = Command::new(time);
            c.arg("-f").arg("%M").arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        command
            .args(["plan", "--no-refresh", "--format", "json"])
            .arg(&manifests)
            .env("MNPSYNC_STATE_DIR", &state_dir);
        let t = Instant::now();
        let output = command.output()?;
        walls.push(t.elapsed());
        anyhow::ensure!(
            output.status.success(),
            "plan failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if time.exists() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            peak_kb = stderr
                .lines()
                .last()
                .and_then(|l| l.trim().parse::<u64>().ok());
        }
    }
    println!(
        "binary: plan --no-refresh over {n} manifests: median {:.0} ms, min {:.0} ms, max {:.0} ms over {runs} runs; peak RSS {}",
        median(walls.clone()).as_secs_f64() * 1e3,
        walls.iter().min().unwrap().as_secs_f64() * 1e3,
        walls.iter().max().unwrap().as_secs_f64() * 1e3,
        peak_kb
            .map(|kb| format!("{:.1} MB", kb as f64 / 1024.0))
            .unwrap_or_else(|| "n/a (no /usr/bin/time)".into())
    );
    Ok(())
}
