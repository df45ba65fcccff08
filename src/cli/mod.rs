//! Command-line front end: clap types and nothing else. Each command turns its flags into the
//! library's options and calls the library; errors are printed with their whole chain.

mod apply;
mod common;
mod demo;
mod notify;
mod plan;
mod sim;
mod status;
mod validate;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keeps Tencent Cloud TCMPP mini program approval requests in the state your manifests declare.
#[derive(Debug, Parser)]
#[command(name = "mnpsync", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes (shown under "Global options").
#[derive(Debug, Args)]
pub struct Global {
    /// Default region for requests (a manifest's spec.region wins).
    #[arg(
        long,
        global = true,
        env = "TENCENTCLOUD_REGION",
        default_value = "ap-guangzhou",
        help_heading = "Global options"
    )]
    pub region: String,
    /// Where the journal, state file and lock live.
    #[arg(
        long,
        global = true,
        env = "MNPSYNC_STATE_DIR",
        default_value = ".mnpsync",
        help_heading = "Global options"
    )]
    pub state_dir: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, help_heading = "Global options")]
    pub log_format: LogFormat,
    /// More logging (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet", help_heading = "Global options")]
    pub verbose: u8,
    /// Less logging (warnings and errors only).
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
}

/// The API client's flags, for the commands that call the API or run a reconcile (`plan`,
/// `apply`, `watch`, `demo`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Client options")]
pub struct ClientArgs {
    /// The API of manifests without spec.api: tcmpp or tcsas.
    #[arg(long, env = "MNPSYNC_API", default_value = "tcmpp", value_parser = parse_api)]
    pub api: mnpsync::tcmpp::Api,
    /// URL for every API, or SERVICE=URL for one (repeatable); default: the public hosts.
    #[arg(
        long,
        value_name = "[SERVICE=]URL",
        env = "MNPSYNC_ENDPOINT",
        value_delimiter = ' '
    )]
    pub endpoint: Vec<String>,
    /// Requests per second per API action, evenly spaced.
    #[arg(long, env = "MNPSYNC_RATE_LIMIT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rate_limit: u32,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Per-request timeout, e.g. 10s or 500ms.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Rotated journals kept in the state directory (journal.1.jsonl …); a journal is rotated
    /// after a checkpoint once it reaches 16 MiB.
    #[arg(long, env = "MNPSYNC_JOURNAL_KEEP", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub journal_keep: u32,
    /// Credentials profile of the profile file (default: TENCENTCLOUD_PROFILE, then `default`).
    #[arg(long)]
    pub profile: Option<String>,
}

impl ClientArgs {
    /// How the records keep their journal.
    pub fn records_config(&self) -> mnpsync::record::RecordsConfig {
        mnpsync::record::RecordsConfig {
            journal_keep: self.journal_keep as usize,
            ..mnpsync::record::RecordsConfig::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests; exit 0 when valid, 1 with every error located otherwise.
    Validate(validate::ValidateArgs),
    /// Show the calls that would bring the platform to the manifests' state.
    Plan(plan::PlanArgs),
    /// Plan and make the calls, recording every outcome.
    Apply(apply::ApplyArgs),
    /// Show the state file: each version's last known state and outcome.
    Status(status::StatusArgs),
    /// Run the local TCMPP simulator.
    Sim(sim::SimArgs),
    /// The whole flow against an in-process simulator: validate, plan, apply, approve, plan.
    Demo(demo::DemoArgs),
    /// Keep reconciling: on manifest changes and every --interval, with health and metrics.
    Watch(watch::WatchArgs),
    /// Notifications: `notify test` sends a sample event to every sink.
    Notify(notify::NotifyArgs),
}

pub fn parse_api(text: &str) -> Result<mnpsync::tcmpp::Api, String> {
    text.parse()
        .map_err(|e: mnpsync::tcmpp::UnknownApi| e.to_string())
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 10s, 250ms, 1m)"))
}

/// Whether logs are JSON lines (`--log-format json`): then every stderr line goes through the
/// logger, errors included.
static JSON_LOGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(crate) fn json_logs() -> bool {
    JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed)
}

fn init_logging(global: &Global) {
    JSON_LOGS.store(
        global.log_format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    use tracing_subscriber::EnvFilter;
    let default = if global.quiet {
        "warn"
    } else {
        match global.verbose {
            0 => "info",
            1 => "debug",
            _ => "trace",
        }
    };
    // -v/-q decide for mnpsync's own logs; RUST_LOG, when set, decides for everything.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,mnpsync={default}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match global.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.without_time().try_init(),
    };
}

/// Exit codes (DESIGN.md §5): 0 success, 1 error, 2 changes (`plan --detailed-exitcode`),
/// 3 attention (`plan --fail-on-attention`), 64 usage error (EX_USAGE), 130 second interrupt.
pub const EXIT_CHANGES: u8 = 2;
/// `plan --fail-on-attention` with attention items.
pub const EXIT_ATTENTION: u8 = 3;
/// A mistyped flag, a conflicting pair, a bad value (sysexits' EX_USAGE; 2 means "changes").
pub const EXIT_USAGE: u8 = 64;

/// Parses the command line; clap's message is printed as clap prints it, and usage errors exit
/// [`EXIT_USAGE`] (`--help` and `--version` exit 0).
fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            let _ = e.print();
            Err(if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// Entry point: parses flags, runs the command, prints errors with their chain.
pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    init_logging(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if json_logs() {
                // Every stderr line is JSON with --log-format json.
                tracing::error!("{e:#}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Validate(args) => validate::exec(global, args),
        Command::Plan(args) => plan::exec(global, args).await,
        Command::Apply(args) => apply::exec(global, args).await,
        Command::Status(args) => status::exec(global, args),
        Command::Sim(args) => sim::exec(global, args).await,
        Command::Demo(args) => demo::exec(global, args).await,
        Command::Watch(args) => watch::exec(global, args).await,
        Command::Notify(args) => notify::exec(global, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
