//! Apply throughput against the simulator (DESIGN.md §8): N submits through the real executor,
//! with simulated latency and the simulator's 20/s limit. Reports sustained calls/s and how many
//! `RequestLimitExceeded` answers the simulator gave.
//!
//! Run: `cargo run --release --example bench_apply -- [CALLS] [LATENCY_MS]` (default 200, 250).

use std::collections::BTreeMap;
use std::time::Instant;

use mnpsync::apply::{ApplyOptions, RunInfo, apply};
use mnpsync::manifest::{Approval, Desired, Key, Location, Resource};
use mnpsync::plan::{PlanOptions, plan};
use mnpsync::record::Records;
use mnpsync::sim::{SimConfig, spawn};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let calls: i64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(200);
    let latency: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(250);

    let config = SimConfig {
        latency_ms: Some((latency, latency)),
        rate_limit: 20,
        ..SimConfig::default()
    };
    let credentials =
        Credentials::new(config.secret_id.clone(), config.secret_key.clone(), "bench");
    let sim = spawn(config).await?;
    let client = Client::new(credentials, ClientConfig::new(Endpoint::parse(&sim.url)?))?;

    let resources: BTreeMap<Key, Resource> = (1..=calls)
        .map(|v| {
            let key = Key::new("TBENCH", v);
            let resource = Resource {
                name: format!("bench-{v}"),
                labels: BTreeMap::new(),
                key: key.clone(),
                approval: Approval::Submitted,
                region: None,
                api: None,
                mnp_id: None,
                version: None,
                version_at: None,
                release: None,
                source: Location {
                    path: "bench.yaml".into(),
                    line: 1,
                    column: 1,
                },
            };
            (key, resource)
        })
        .collect();
    let desired = Desired {
        resources,
        by_version: Vec::new(),
        digest: String::new(),
        files: 1,
    };
    let plan = plan(
        &desired,
        &BTreeMap::new(),
        &[],
        &PlanOptions::default(),
        false,
        None,
    );
    let dir = tempfile::tempdir()?;
    let records = Records::open(dir.path())?;

    let finished: std::sync::Mutex<Vec<Instant>> = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    let report = apply(
        &client,
        &plan,
        &records,
        &RunInfo::new(None),
        &ApplyOptions::default(),
        &CancellationToken::new(),
        &|_| finished.lock().unwrap().push(Instant::now()),
    )
    .await?;
    let elapsed = started.elapsed();
    let limited = sim
        .sim
        .calls()
        .iter()
        .filter(|c| {
            c.code
                .as_deref()
                .is_some_and(|code| code.starts_with("RequestLimitExceeded"))
        })
        .count();
    // Overall: calls over the whole wall time (includes the first call's latency).
    let overall = calls as f64 / elapsed.as_secs_f64();
    // Sustained: completions are spaced like the requests, so N completions span N-1 gaps.
    let finished = finished.into_inner().unwrap();
    let span = finished
        .last()
        .unwrap()
        .duration_since(finished[0])
        .as_secs_f64();
    let sustained = (finished.len() - 1) as f64 / span;
    println!(
        "{calls} submits at {latency} ms latency: {:.2} s wall, {overall:.2} calls/s overall, {sustained:.2} calls/s sustained, {limited} RequestLimitExceeded, outcomes {:?}",
        elapsed.as_secs_f64(),
        report.summary
    );
    sim.shutdown().await;
    Ok(())
}
