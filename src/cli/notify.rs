//! `mnpsync notify test`, and the sink flag ([`SinkArgs`]) that commands which notify share.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Subcommand};

use mnpsync::notify::{
    Announcer, Batch, Event, EventFilter, Notifier, NotifierConfig, Outcome, Report, Secret, Sink,
    SinkError, parse_sinks,
};
use mnpsync::tcmpp::RetryPolicy;

use super::Global;

/// The environment variable of the generic webhooks' signing secret (never a flag).
pub const SECRET_ENV: &str = "MNPSYNC_NOTIFY_SECRET";

#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(subcommand)]
    pub command: NotifyCommand,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send one sample event to every sink and show each result.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub sinks: SinkArgs,
}

/// Where notifications go.
#[derive(Debug, Clone, Args)]
pub struct SinkArgs {
    /// Notification sink URL (repeatable; https://, wecom+, feishu+, dingtalk+, slack+).
    // The URLs hold tokens: never shown in help (hide_env_values), never parsed by clap (whose
    // error would quote them).
    #[arg(
        long = "notify",
        value_name = "URL",
        env = "MNPSYNC_NOTIFY",
        hide_env_values = true
    )]
    pub notify: Vec<String>,
}

impl SinkArgs {
    /// The sinks, checked (several URLs in one value or in `MNPSYNC_NOTIFY` are separated by
    /// whitespace).
    ///
    /// # Errors
    /// A URL refused; the error names it only in its redacted form.
    pub fn sinks(&self) -> Result<Vec<Sink>, SinkError> {
        parse_sinks(self.notify.iter().map(String::as_str))
    }
}

/// Notifications of a command that reconciles (`apply`, `watch`).
#[derive(Debug, Clone, Args)]
pub struct NotifyFlags {
    #[command(flatten)]
    pub sinks: SinkArgs,
    /// Only these events, e.g. approved,rejected,released (default: all).
    #[arg(long, value_name = "LIST", value_parser = parse_events)]
    pub notify_events: Option<EventFilter>,
    /// Announce a version processing longer than this once (review_overdue), e.g. 48h.
    #[arg(long, value_name = "DUR", value_parser = super::parse_duration)]
    pub review_sla: Option<Duration>,
}

fn parse_events(text: &str) -> Result<EventFilter, String> {
    text.parse::<EventFilter>().map_err(|e| e.to_string())
}

impl NotifyFlags {
    /// The announcer for these flags; `None` without a sink. `on_report` also sees every
    /// report (metrics).
    ///
    /// # Errors
    /// A sink URL refused (named redacted); the HTTP client could not be built.
    pub fn announcer(
        &self,
        on_report: Option<mnpsync::notify::ReportFn>,
    ) -> anyhow::Result<Option<Announcer>> {
        let sinks = self.sinks.sinks()?;
        if sinks.is_empty() {
            return Ok(None);
        }
        let config = NotifierConfig {
            webhook_secret: webhook_secret(),
            events: self.notify_events.clone().unwrap_or_default(),
            on_report,
            ..NotifierConfig::default()
        };
        Ok(Some(Announcer::spawn(sinks, config)?))
    }
}

/// The generic webhooks' signing secret from [`SECRET_ENV`], when set and not empty.
pub fn webhook_secret() -> Option<Secret> {
    std::env::var(SECRET_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}

pub async fn exec(global: &Global, args: NotifyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        NotifyCommand::Test(args) => test(global, args).await,
    }
}

/// Prints `error: WHY` (through the logger with `--log-format json`) and gives the usage exit
/// code.
fn usage_error(why: &str) -> ExitCode {
    if super::json_logs() {
        tracing::error!("{why}");
    } else {
        eprintln!("error: {why}");
    }
    ExitCode::from(super::EXIT_USAGE)
}

/// How long `notify test` waits for one sink's answer.
const TEST_TIMEOUT: Duration = Duration::from_secs(10);

async fn test(_global: &Global, args: TestArgs) -> anyhow::Result<ExitCode> {
    let sinks = match args.sinks.sinks() {
        Ok(sinks) => sinks,
        Err(e) => return Ok(usage_error(&e.to_string())),
    };
    if sinks.is_empty() {
        return Ok(usage_error(
            "no notification sink: pass --notify URL or set MNPSYNC_NOTIFY",
        ));
    }
    let order: Vec<String> = sinks.iter().map(|s| s.display().to_string()).collect();
    let reports: Arc<Mutex<Vec<Report>>> = Arc::default();
    let collected = reports.clone();
    let config = NotifierConfig {
        timeout: TEST_TIMEOUT,
        // One attempt: the test shows the first answer, which retries would hide.
        retry: RetryPolicy {
            attempts: 1,
            ..NotifierConfig::default().retry
        },
        webhook_secret: webhook_secret(),
        on_report: Some(Arc::new(move |report: &Report| {
            if let Ok(mut reports) = collected.lock() {
                reports.push(report.clone());
            }
        })),
        ..NotifierConfig::default()
    };
    let notifier = Notifier::spawn(sinks, config)?;
    let now = time::OffsetDateTime::now_utc();
    let at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    notifier.enqueue(Batch {
        run_id: format!("notify-test-{}", now.unix_timestamp()),
        commit: None,
        events: vec![Event::sample(at)],
    });
    // The rate limiters start full, so every sink sends at once.
    notifier.drain(TEST_TIMEOUT + Duration::from_secs(5)).await;
    let reports = reports.lock().map(|r| r.clone()).unwrap_or_default();
    let mut delivered = 0;
    for sink in &order {
        match reports.iter().find(|r| &r.sink == sink).map(|r| &r.outcome) {
            Some(Outcome::Delivered) => {
                delivered += 1;
                println!("{sink}: delivered");
            }
            Some(Outcome::Dropped { reason }) => println!("{sink}: failed: {reason}"),
            None => println!("{sink}: failed: no result in time"),
        }
    }
    println!(
        "{delivered} of {} sink(s) delivered the test notification.",
        order.len()
    );
    Ok(if delivered == order.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
