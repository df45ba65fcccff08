//! `mnpsync apply`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use mnpsync::apply::{ActionResult, ApplyOptions, RunInfo, apply};
use mnpsync::plan::{SavedPlan, prune_refusal};
use mnpsync::reconcile::{PlanRequest, labels_of, make_plan, prune_candidates, refresh};
use mnpsync::record::{Lock, Records};
use mnpsync::report;

use super::common::{
    PruneArgs, SelectArgs, client, commit_of, load_manifests, paths_or_default, shutdown_on_signals,
};
use super::{Global, OutputFormat};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifest files or directories (default: manifests/).
    pub paths: Vec<PathBuf>,
    /// Execute exactly this saved plan (from `plan --out`); refused when stale.
    #[arg(long)]
    pub plan: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Plan from the state file instead of listing approvals.
    #[arg(long)]
    pub no_refresh: bool,
    #[command(flatten)]
    pub prune: PruneArgs,
    #[command(flatten)]
    pub select: SelectArgs,
}

pub async fn exec(global: &Global, args: ApplyArgs) -> anyhow::Result<ExitCode> {
    let paths = paths_or_default(&args.paths);
    let Some(all) = load_manifests(&paths) else {
        return Ok(ExitCode::FAILURE);
    };
    let _lock = Lock::acquire(&global.state_dir)?;
    let records = Records::open(&global.state_dir).context("opening the state directory")?;
    let client = client(global)?;
    let commit = commit_of(&paths);
    let state = records.snapshot();

    let (plan, saved_id) = match &args.plan {
        Some(file) => {
            let bytes = std::fs::read(file)
                .with_context(|| format!("reading the plan {}", file.display()))?;
            let saved: SavedPlan = serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is not a plan made by `mnpsync plan --out`",
                    file.display()
                )
            })?;
            let id = saved.id();
            if records.plan_applied(&id) {
                eprintln!(
                    "The plan {} was already applied; nothing to do.",
                    file.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let keys = saved
                .plan
                .resources
                .iter()
                .map(|r| (r.key.clone(), r.region.clone()))
                .collect();
            let observed = if args.no_refresh || !saved.plan.refreshed {
                state.observed()
            } else {
                refresh(&client, &keys).await.map_err(|(platform, e)| {
                    anyhow::anyhow!(
                        "refreshing platform {platform} to check the plan: {}",
                        e.error
                    )
                })?
            };
            if let Some(why) = saved.staleness(&all.digest, &observed) {
                eprintln!("error: {why}");
                return Ok(ExitCode::FAILURE);
            }
            (saved.plan, Some(id))
        }
        None => {
            let selector = args.select.selector();
            if args.prune.prune && !args.prune.force && all.select(&selector).resources.is_empty() {
                let candidates = prune_candidates(&all, &state, &selector);
                if !candidates.is_empty() {
                    eprintln!(
                        "error: refusing to prune {} version(s): the manifests declare no version at all; check that no manifest was deleted by mistake, then pass --force",
                        candidates.len()
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
            let request = PlanRequest {
                refresh: !args.no_refresh,
                prune: args.prune.prune,
                selector: selector.clone(),
                options: args.select.plan_options(),
            };
            let planned = make_plan(Some(&client), &all, &state, &request, commit.clone()).await?;
            for warning in &planned.warnings {
                tracing::warn!("{warning}");
            }
            (planned.plan, None)
        }
    };
    if !args.prune.force
        && let Some(why) = prune_refusal(&plan, args.prune.prune_limit)
    {
        eprintln!("error: {why}");
        return Ok(ExitCode::FAILURE);
    }
    records.observe(&plan, &labels_of(&all));

    let total = plan.actions().count();
    let text = args.format == OutputFormat::Text;
    let bar = (text && total > 0 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} calls  {per_sec}  eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    if text && total > 0 {
        eprintln!("{}", report::plan_summary_line(&plan));
    }
    let print = |r: &ActionResult| {
        if !text {
            return;
        }
        let line = report::result_line(r);
        match &bar {
            Some(bar) => {
                bar.suspend(|| println!("{line}"));
                bar.inc(1);
            }
            None => println!("{line}"),
        }
    };
    let run = RunInfo::new(commit);
    let options = ApplyOptions {
        concurrency: global.concurrency as usize,
        refresh: !args.no_refresh,
    };
    let shutdown = shutdown_on_signals();
    let report = apply(&client, &plan, &records, &run, options, &shutdown, &print).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(id) = saved_id {
        records.mark_plan_applied(id);
    }
    records.flush()?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Text => println!("{}", report::apply_summary_line(&report)),
    }
    Ok(if report.converged() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
