//! `mnpsync apply`: flags → [`mnpsync::reconcile::reconcile`] (or
//! [`mnpsync::reconcile::apply_saved`] with `--plan`), a progress bar, the report, the exit code.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::Context as _;
use clap::Args;

use mnpsync::apply::{ActionResult, ApplyOptions};
use mnpsync::plan::{PlanOptions, SavedPlan};
use mnpsync::reconcile::{
    Applied, Executor, OnRefreshFailure, PlanError, Planned, Progress, ReconcileError, Refresh,
    Request, SavedApplied, apply_saved, reconcile, roots_of, selector_matches_nothing,
};
use mnpsync::record::{Lock, Records};
use mnpsync::report;

use super::common::{
    ManifestArgs, PruneArgs, SelectArgs, WindowArgs, client, commit_of, load_manifests, now,
    paths_or_default, report_unresolved, shutdown_on_signals,
};
use super::notify::NotifyFlags;
use super::{ClientArgs, Global, OutputFormat};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifest files or directories (default: manifests/).
    pub paths: Vec<PathBuf>,
    /// Execute exactly this saved plan (from `plan --out`); refused when edited or stale. The
    /// plan's own options apply: planning flags are refused with it.
    #[arg(long, conflicts_with_all = ["no_refresh", "prune", "selector", "resubmit_rejected"])]
    pub plan: Option<PathBuf>,
    /// Output on stdout: one line per result and a summary (text), or the report (json).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Plan from the state file instead of listing approvals.
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub prune: PruneArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Execute planned rollbacks to an older, released version; without it they are not run.
    #[arg(long)]
    pub allow_rollback: bool,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub notify: NotifyFlags,
    /// Wait at most this long for notifications to be delivered before exiting.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = super::parse_duration)]
    pub notify_deadline: std::time::Duration,
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

/// Text output: the plan's summary line, a progress bar on a terminal, one line per result.
struct Render {
    text: bool,
    bar: OnceLock<indicatif::ProgressBar>,
}

impl Progress for Render {
    fn planned(&self, planned: &Planned) {
        for warning in &planned.warnings {
            tracing::warn!("{warning}");
        }
        let plan = &planned.plan;
        let total = plan.actions().count();
        if !self.text || total == 0 {
            return;
        }
        eprintln!("{}", report::plan_summary_line(plan));
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} calls  {per_sec}  eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let _ = self.bar.set(bar);
        }
    }

    fn result(&self, r: &ActionResult) {
        if !self.text {
            return;
        }
        let line = report::result_line(r);
        match self.bar.get() {
            Some(bar) => {
                bar.suspend(|| println!("{line}"));
                bar.inc(1);
            }
            None => println!("{line}"),
        }
    }
}

pub async fn exec(global: &Global, args: ApplyArgs) -> anyhow::Result<ExitCode> {
    let paths = paths_or_default(&args.paths);
    let Some(all) = load_manifests(&paths, &args.manifest) else {
        return Ok(ExitCode::FAILURE);
    };
    let _lock = Lock::acquire(&global.state_dir)?;
    let records = Records::open_with(&global.state_dir, args.client.records_config())
        .context("opening the state directory")?;
    let announcer = match args.notify.announcer(None) {
        Ok(announcer) => announcer,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(super::EXIT_USAGE));
        }
    };
    // Platforms a manifest pins to an API are listed and called through it.
    let client = client(global, &args.client)?.with_platform_apis(all.platform_apis());
    let before = records.snapshot();
    let render = Render {
        text: args.format == OutputFormat::Text,
        bar: OnceLock::new(),
    };
    let shutdown = shutdown_on_signals();
    let options = ApplyOptions {
        concurrency: args.client.concurrency as usize,
        allow_rollback: args.allow_rollback,
        release_gate: args.window.gate(),
    };
    let exec = Executor {
        client: &client,
        records: &records,
        options: &options,
        shutdown: &shutdown,
        progress: &render,
    };
    let prune_limit = (!args.prune.force).then_some(args.prune.prune_limit);
    let roots = roots_of(&paths).await;
    let applied: Applied = match &args.plan {
        Some(file) => {
            let bytes = std::fs::read(file)
                .with_context(|| format!("reading the plan {}", file.display()))?;
            let saved = SavedPlan::parse(&bytes).with_context(|| file.display().to_string())?;
            let id = saved.id.clone();
            match apply_saved(&exec, &all, saved, &global.region, &roots, prune_limit).await {
                Ok(SavedApplied::AlreadyApplied) => {
                    match args.format {
                        OutputFormat::Json => println!(
                            "{}",
                            serde_json::to_string_pretty(&serde_json::json!({
                                "already_applied": true,
                                "plan_id": id,
                                "plan_file": file.display().to_string(),
                                "results": [],
                            }))?
                        ),
                        OutputFormat::Text => eprintln!(
                            "The plan {} was already applied; nothing to do.",
                            file.display()
                        ),
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                Ok(SavedApplied::Applied(applied)) => *applied,
                Err(ReconcileError::OtherPaths(why)) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::from(super::EXIT_USAGE));
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let selector = args.select.selector();
            if let Some(why) = records.read(|state| {
                selector_matches_nothing(&all, args.prune.prune.then_some(state), &selector)
            }) {
                eprintln!("error: {why}");
                return Ok(ExitCode::FAILURE);
            }
            let request = Request {
                refresh: if args.no_refresh {
                    Refresh::Off
                } else {
                    Refresh::All
                },
                // Acting on records that may be stale would send calls the platform refuses
                // or that undo a person's work: without a listing, apply stops (exit 1).
                on_refresh_failure: OnRefreshFailure::Fail,
                prune: args.prune.prune,
                prune_limit,
                selector,
                options: PlanOptions {
                    allow_rollback: args.allow_rollback,
                    ..args.select.plan_options()
                },
                release_windows: args.window.windows(),
                clock: now,
                commit: commit_of(&paths).await,
                roots,
                ..Request::default()
            };
            match reconcile(&exec, &all, &request).await {
                Ok(applied) => applied,
                Err(e @ ReconcileError::Plan(PlanError::Refresh { .. })) => {
                    eprintln!(
                        "error: {e}; nothing was sent (--no-refresh applies from the state file instead)"
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if let Some(bar) = render.bar.get() {
        bar.finish_and_clear();
    }
    if let Some(announcer) = &announcer {
        let input = mnpsync::notify::detect::Input {
            before: &before,
            plan: &applied.plan,
            observation: &applied.observation,
            results: &applied.report.results,
            attention: &applied.report.attention,
            review_sla: args.notify.review_sla,
            now: now(),
        };
        announcer.announce(
            &records,
            input,
            &applied.report.run_id,
            applied.report.commit.clone(),
        )?;
        let left = announcer.drain(&records, args.notify_deadline).await?;
        if left > 0 {
            tracing::warn!(
                "{left} notification(s) not delivered within --notify-deadline {}: reviewers' decisions are announced again by the next run, other events are dropped",
                humantime::format_duration(args.notify_deadline)
            );
        }
        records.flush().await?;
    }
    let report = applied.report;
    match args.format {
        OutputFormat::Json if args.plan.is_some() => {
            let mut value = serde_json::to_value(&report)?;
            if let Some(object) = value.as_object_mut() {
                object.insert("already_applied".to_string(), false.into());
            }
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Text => {
            print!("{}", report::attention_lines(&report));
            print!("{}", report::held_lines(&report));
            println!("{}", report::apply_summary_line(&report));
        }
    }
    let unresolved = report_unresolved(&applied.unresolved);
    Ok(if report.converged() && !unresolved {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
