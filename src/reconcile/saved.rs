//! Applying a saved plan (`apply --plan`): refuse it when it was applied already or no longer
//! holds, guard it, execute exactly it, and remember that it was applied.

use crate::manifest::Desired;
use crate::plan::SavedPlan;

use super::{Applied, Executor, PlanError, Planned, ReconcileError, execute, refresh};

/// How applying a saved plan ended.
#[derive(Debug, Clone)]
pub enum SavedApplied {
    /// This state directory applied the plan before; nothing was done.
    AlreadyApplied,
    Applied(Box<Applied>),
}

/// Checks `saved` against the manifests (`all`) and the platforms' current state, then executes
/// exactly its actions.
///
/// The current state is listed when `refresh` is set and the plan itself was made from a
/// refresh; otherwise the records stand in for it. `prune_limit` is the prune guard's limit
/// (`None`: `--force`).
///
/// # Errors
/// [`ReconcileError::Stale`] when the manifests or an approval's state moved since the plan was
/// made; [`ReconcileError::CheckRefresh`] when that check could not list a platform;
/// [`ReconcileError::Plan`] from the prune guard; [`ReconcileError::Records`].
pub async fn apply_saved(
    exec: &Executor<'_>,
    all: &Desired,
    saved: SavedPlan,
    refresh_state: bool,
    prune_limit: Option<usize>,
) -> Result<SavedApplied, ReconcileError> {
    let id = saved.id();
    if exec.records.plan_applied(&id) {
        return Ok(SavedApplied::AlreadyApplied);
    }
    let observed = if refresh_state && saved.plan.refreshed {
        let keys = saved
            .plan
            .resources
            .iter()
            .map(|r| (r.key.clone(), r.region.clone()))
            .collect();
        let fresh = tokio::select! {
            fresh = refresh(exec.client, &keys) => fresh,
            () = exec.shutdown.cancelled() => return Err(PlanError::Interrupted.into()),
        };
        fresh.map_err(|(platform, e)| ReconcileError::CheckRefresh {
            platform,
            error: Box::new(e.error),
        })?
    } else {
        exec.records.read(|state| state.observed())
    };
    if let Some(why) = saved.staleness(&all.digest, &observed) {
        return Err(ReconcileError::Stale(why));
    }
    if let Some(why) = prune_limit.and_then(|limit| crate::plan::prune_refusal(&saved.plan, limit))
    {
        return Err(PlanError::Refused(why).into());
    }
    let planned = Planned {
        plan: saved.plan,
        warnings: Vec::new(),
    };
    let applied = execute(exec, planned, all).await?;
    exec.records.mark_plan_applied(id);
    exec.records.flush().await?;
    Ok(SavedApplied::Applied(Box::new(applied)))
}
