//! `mnpsync plan`: flags → [`mnpsync::reconcile::make_plan`], the saved plan, the rendering, the
//! exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use mnpsync::plan::{SavedOptions, SavedPlan};
use mnpsync::reconcile::{
    Refresh, Request, make_plan, roots_of, selector_matches_nothing, unmanaged,
};
use mnpsync::record::recover;
use mnpsync::report;
use tokio_util::sync::CancellationToken;

use super::common::{
    ManifestArgs, SelectArgs, WindowArgs, client, client_config, commit_of, load_manifests, now,
    paths_or_default, report_unresolved,
};
use super::{ClientArgs, Global, PlanFormat};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Manifest files or directories (default: manifests/).
    pub paths: Vec<PathBuf>,
    /// Save the plan (with a digest of the manifests) for `apply --plan`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output on stdout: text for people, json for machines, markdown for a pull-request comment.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 0 with no changes, 2 with changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// As --detailed-exitcode, and exit 3 when a version needs attention (before 2).
    #[arg(long)]
    pub fail_on_attention: bool,
    /// Plan from the state file instead of listing approvals (no credentials needed).
    #[arg(long)]
    pub no_refresh: bool,
    /// Cancel versions mnpsync submitted that no manifest declares any more.
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    /// List unchanged versions too (text format).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

pub async fn exec(global: &Global, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let paths = paths_or_default(&args.paths);
    let Some(all) = load_manifests(&paths, &args.manifest) else {
        return Ok(ExitCode::FAILURE);
    };
    let (state, _) = recover(&global.state_dir).context("reading the state directory")?;
    if let Some(why) =
        selector_matches_nothing(&all, args.prune.then_some(&state), &args.select.selector())
    {
        eprintln!("error: {why}");
        return Ok(ExitCode::FAILURE);
    }
    let client = if args.no_refresh {
        None
    } else {
        // An endpoint error stands on its own; only a credential error needs the hint.
        client_config(global, &args.client)?;
        Some(
            client(global, &args.client)
                .context(
                    "plan lists the platform's approvals and needs credentials for that (--no-refresh plans from the state file instead)",
                )?
                .with_platform_apis(all.platform_apis()),
        )
    };
    let request = Request {
        refresh: if args.no_refresh {
            Refresh::Off
        } else {
            Refresh::All
        },
        prune: args.prune,
        // A plan only shows: the guard refuses at apply time.
        prune_limit: None,
        selector: args.select.selector(),
        options: args.select.plan_options(),
        release_windows: args.window.windows(),
        clock: now,
        commit: commit_of(&paths).await,
        roots: roots_of(&paths).await,
        ..Request::default()
    };
    let planned = make_plan(
        client.as_ref(),
        &all,
        &state,
        &request,
        &CancellationToken::new(),
    )
    .await?;
    for warning in &planned.warnings {
        tracing::warn!("{warning}");
    }
    let plan = planned.plan.clone();
    let unmanaged = unmanaged(&all, &state, &request.selector, &request.roots, &plan);
    if let Some(out) = &args.out {
        let saved = SavedPlan::new(
            plan.clone(),
            all.digest.clone(),
            SavedOptions {
                prune: args.prune,
                selector: args.select.selector().to_string(),
                resubmit_rejected: args.select.resubmit_rejected,
                default_region: global.region.clone(),
            },
            planned.observation.clone(),
            planned.prune.clone(),
        );
        let saved = SavedPlan {
            programs: mnpsync::observe::by_name(&planned.programs),
            ..saved
        };
        let bytes = serde_json::to_vec_pretty(&saved)?;
        std::fs::write(out, bytes)
            .with_context(|| format!("writing the plan to {}", out.display()))?;
        eprintln!(
            "Saved the plan to {}; apply exactly it with `mnpsync apply --plan {}`.",
            out.display(),
            out.display()
        );
    }
    match args.format {
        PlanFormat::Text => print!(
            "{}",
            report::plan_text_with(&plan, args.client.rate_limit, args.all, &unmanaged)
        ),
        PlanFormat::Json => {
            let mut value = serde_json::to_value(&plan)?;
            if let Some(object) = value.as_object_mut() {
                if !unmanaged.is_empty() {
                    object.insert("unmanaged".to_string(), serde_json::to_value(&unmanaged)?);
                }
                if !planned.unresolved.is_empty() {
                    let errors: Vec<serde_json::Value> = planned
                        .unresolved
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "location": e.location.to_string(),
                                "message": e.message,
                            })
                        })
                        .collect();
                    object.insert("unresolved".to_string(), errors.into());
                }
            }
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        PlanFormat::Markdown => print!("{}", report::plan_markdown(&plan)),
    }
    let detailed = args.detailed_exitcode || args.fail_on_attention;
    Ok(if report_unresolved(&planned.unresolved) {
        ExitCode::FAILURE
    } else if args.fail_on_attention && plan.summary.attention > 0 {
        ExitCode::from(super::EXIT_ATTENTION)
    } else if detailed && plan.has_changes() {
        ExitCode::from(super::EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}
