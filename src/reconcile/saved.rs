//! Applying a saved plan (`apply --plan`): refuse it when it was applied already or no longer
//! holds, guard it, execute exactly it, and remember that it was applied.

use std::path::{Component, Path, PathBuf};

use crate::manifest::Desired;
use crate::plan::SavedPlan;

use super::{
    Applied, Executor, PlanError, Planned, ReconcileError, Root, execute, prune_candidates, refresh,
};

/// How applying a saved plan ended.
#[derive(Debug, Clone)]
pub enum SavedApplied {
    /// This state directory applied the plan before; nothing was done.
    AlreadyApplied,
    Applied(Box<Applied>),
}

/// Checks `saved` against the manifests (`all`), the records and the platforms' live state,
/// then executes exactly its actions.
///
/// In order: a plan this state directory applied already (every action converged) does nothing; a file whose actions
/// are not what its recorded inputs give, or that prunes a version the records do not show as
/// mnpsync's, is refused as tampered; a plan whose manifests or default region changed is
/// refused; then every planned version's platform is listed (always: a plan saved without a
/// refresh is checked too) and a plan whose observation moved is refused as stale. Nothing is
/// sent before all of that passed. `prune_limit` is the prune guard's limit (`None`:
/// `--force`).
///
/// # Errors
/// [`ReconcileError::Stale`] (tampered or stale; nothing sent); [`ReconcileError::CheckRefresh`]
/// when a platform could not be listed; [`ReconcileError::Plan`] from the prune guard;
/// [`ReconcileError::Records`].
pub async fn apply_saved(
    exec: &Executor<'_>,
    all: &Desired,
    saved: SavedPlan,
    default_region: &str,
    roots: &[Root],
    prune_limit: Option<usize>,
) -> Result<SavedApplied, ReconcileError> {
    if exec.records.plan_applied(&saved.id) {
        return Ok(SavedApplied::AlreadyApplied);
    }
    let owned = exec.records.read(|state| {
        let selector = saved.options.selector.parse().unwrap_or_default();
        prune_candidates(all, state, &selector, roots)
    });
    if all.digest != saved.manifests_digest
        && let Some(why) = other_paths(&saved, roots)
    {
        return Err(ReconcileError::OtherPaths(why));
    }
    // The conflict notes are the pipeline's, not the planner's: compare without them.
    let mut bare = saved.clone();
    super::conflicts::strip(
        &mut bare.plan,
        &crate::plan::PlanOptions {
            resubmit_rejected: saved.options.resubmit_rejected,
            allow_rollback: false,
        },
    );
    super::windows::strip(&mut bare.plan);
    if let Some(why) = bare.tampering(all, &owned, default_region) {
        return Err(ReconcileError::Stale(why));
    }
    let keys = saved
        .plan
        .resources
        .iter()
        .map(|r| (r.key.clone(), r.region.clone()))
        .collect();
    let live = tokio::select! {
        live = refresh(exec.client, &keys) => live,
        () = exec.shutdown.cancelled() => return Err(PlanError::Interrupted.into()),
    };
    let live = live.map_err(|failures| ReconcileError::CheckRefresh {
        failures: failures
            .into_iter()
            .map(|(platform, e)| (platform, Box::new(e.error)))
            .collect(),
    })?;
    if let Some(why) = saved.staleness(&live) {
        return Err(ReconcileError::Stale(why));
    }
    if let Some(why) = prune_limit.and_then(|limit| crate::plan::prune_refusal(&saved.plan, limit))
    {
        return Err(PlanError::Refused(why).into());
    }
    let id = saved.id.clone();
    let planned = Planned {
        plan: saved.plan,
        warnings: Vec::new(),
        observation: saved.observation.clone(),
        prune: saved.prune_candidates,
        programs: crate::observe::from_names(&saved.programs),
        unresolved: Vec::new(),
    };
    let applied = execute(exec, planned, all, roots).await?;
    // Applied only when every action converged: a plan with a blocked, failed or withdrawn
    // action can be applied again (its converged actions then make it stale: plan again).
    // A release held back (outside a window, or a rollback without --allow-rollback) is still
    // to do: the plan may be applied again.
    if applied.report.converged() && applied.report.held.is_empty() {
        exec.records.mark_plan_applied(id);
        exec.records.flush().await?;
    }
    Ok(SavedApplied::Applied(Box::new(applied)))
}

/// When the manifests differ from the plan's, whether that is because other paths were given:
/// a manifest the plan was made from (`source`, as the plan run named it) lies under none of
/// `roots`. Says so, naming it.
fn other_paths(saved: &SavedPlan, roots: &[Root]) -> Option<String> {
    if roots.is_empty() {
        return None;
    }
    let normal = |path: &Path| -> PathBuf {
        path.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    };
    let given: Vec<PathBuf> = roots.iter().map(|r| normal(&r.given)).collect();
    let outside = saved
        .plan
        .resources
        .iter()
        .filter(|r| !r.pruned)
        .map(|r| {
            r.source
                .rsplit_once(':')
                .map_or(r.source.as_str(), |(p, _)| p)
        })
        .find(|source| {
            let source = normal(Path::new(source));
            !given.iter().any(|g| source.starts_with(g))
        })?;
    let shown: Vec<String> = roots
        .iter()
        .map(|r| crate::text::clip(&r.given.display().to_string(), 120))
        .collect();
    Some(format!(
        "the plan was made from other manifest paths: {} is not under {}; give apply the PATHs the plan was made with, or plan again",
        crate::text::clip(outside, 200),
        shown.join(", ")
    ))
}
