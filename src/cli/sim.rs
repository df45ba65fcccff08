//! `mnpsync sim`: the local TCMPP simulator as a server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use mnpsync::sim::{Fixture, Sim, SimConfig};

use super::Global;
use super::common::shutdown_on_signals;

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: String,
    /// The secret id the simulator accepts (default: the simulator's built-in one).
    #[arg(long, requires = "secret_key")]
    pub secret_id: Option<String>,
    /// The secret key the simulator verifies signatures with.
    #[arg(long, requires = "secret_id")]
    pub secret_key: Option<String>,
    /// YAML fixture: platforms, mini programs, versions, starting approvals.
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Latency added to every answer: MS or MIN..MAX.
    #[arg(long, value_parser = parse_latency)]
    pub latency: Option<(u64, u64)>,
    /// Share of requests answered with an injected fault (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Seed for fault and latency choices, for repeatable runs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The simulator's own limit: at most N requests per API action in any one-second window,
    /// beyond which it answers RequestLimitExceeded (not read from MNPSYNC_RATE_LIMIT).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rate_limit: u32,
    /// Close connections whose request headers are late (idle ones too); 0 disables.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = super::parse_duration)]
    pub header_timeout: std::time::Duration,
    /// Answer and close requests whose body is late; 0 disables.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = super::parse_duration)]
    pub body_timeout: std::time::Duration,
    /// Serve only this API (tcmpp or tcsas; default: both at once).
    #[arg(long, value_parser = super::parse_api)]
    pub api: Option<mnpsync::tcmpp::Api>,
    /// Calls kept for GET /_sim/calls (oldest dropped); 0 keeps none.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub call_log_limit: usize,
    /// Approve approval requests by itself once they are this old.
    #[arg(long, value_name = "DUR", value_parser = super::parse_duration)]
    pub auto_approve: Option<std::time::Duration>,
}

pub fn parse_latency(text: &str) -> Result<(u64, u64), String> {
    let parse = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{s:?} is not a number of milliseconds"))
    };
    match text.split_once("..") {
        Some((min, max)) => {
            let (min, max) = (parse(min)?, parse(max)?);
            if min > max {
                return Err(format!("latency range {min}..{max} is empty"));
            }
            Ok((min, max))
        }
        None => parse(text).map(|ms| (ms, ms)),
    }
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a probability between 0 and 1")),
    }
}

pub async fn exec(_global: &Global, args: SimArgs) -> anyhow::Result<ExitCode> {
    let mut config = SimConfig {
        rate_limit: args.rate_limit,
        latency_ms: args.latency,
        fault_rate: args.fault_rate,
        seed: args.seed,
        header_timeout: args.header_timeout,
        body_timeout: args.body_timeout,
        call_log_limit: args.call_log_limit,
        apis: args.api,
        auto_approve: args.auto_approve,
        ..SimConfig::default()
    };
    if let (Some(id), Some(key)) = (args.secret_id, args.secret_key) {
        config.secret_id = id;
        config.secret_key = key;
    }
    if let Some(path) = &args.fixture {
        config.fixture = Some(Fixture::load(path).map_err(anyhow::Error::msg)?);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    use std::io::Write as _;
    std::io::stdout().flush()?;
    eprintln!(
        "simulator accepts secret id {}; rate limit {}/s per action; GET /_sim/calls lists calls",
        config.secret_id, config.rate_limit
    );
    if let Some(after) = config.auto_approve {
        eprintln!(
            "approval requests are approved automatically once {} old",
            humantime::format_duration(after)
        );
    }
    let shutdown = shutdown_on_signals();
    let sim = Sim::new(config);
    sim.serve(listener, async move { shutdown.cancelled().await })
        .await
        .context("simulator server")?;
    Ok(ExitCode::SUCCESS)
}
