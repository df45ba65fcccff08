//! The planner: desired × observed → ordered actions, exactly the table of DESIGN.md §3.
//!
//! Pure and synchronous: no I/O, no clock. Maps are `BTreeMap`s so plans compare exactly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::manifest::{Approval, Desired, Key, Release};
use crate::observe::{MnpKey, Program};
use crate::tcmpp::Api;

/// The plan JSON's `format_version`.
pub const FORMAT_VERSION: u32 = 1;

mod release;
mod saved;

pub use release::{ReleaseDecision, decide_release};

pub use crate::observe::{Observation, Observed};
pub use saved::{SAVED_FORMAT_VERSION, SavedOptions, SavedPlan, SavedPlanError};

/// A version that mnpsync submitted and that no manifest declares any more (from the records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneCandidate {
    pub key: Key,
    pub name: String,
    pub region: Option<String>,
    /// The approval mnpsync owns for it, per the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_approval: Option<String>,
    /// An open claim's baseline, per the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_baseline: Option<Vec<String>>,
    /// The API it was last declared for (`spec.api`), per the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
}

/// Switches of the planner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Turn `submitted` × `rejected` into a submit.
    pub resubmit_rejected: bool,
    /// Plan rollbacks as allowed (`--allow-rollback`); without it they are flagged
    /// `needs_allow_rollback` (and the executor holds them unless it allows rollbacks).
    pub allow_rollback: bool,
}

/// One version in a plan, with the decision taken for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedResource {
    pub key: Key,
    pub name: String,
    /// `path:line` of the manifest document, or `state` for pruned versions.
    pub source: String,
    pub platform_id: String,
    pub mnp_version_id: i64,
    pub region: Option<String>,
    /// The API the version is approved through (`spec.api`); `None`: the client's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    pub desired: Approval,
    pub observed: Observed,
    /// The approval numbers known for this version, newest first (the claim rule's baseline,
    /// and the ownership check of a saved plan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    /// The mini program (`spec.mnpId`, or the listing's), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnp_id: Option<String>,
    /// The version string (`spec.version`, or the listing's), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `none` when nothing is to be done.
    #[serde(with = "action_or_none")]
    pub action: Option<Action>,
    pub reason: String,
    pub attention: Option<String>,
    /// Whether this version is cancelled because no manifest declares it any more.
    #[serde(default)]
    pub pruned: bool,
    /// A rollback planned without `--allow-rollback`: shown, and not executed unless the run
    /// that executes it allows rollbacks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_allow_rollback: bool,
    /// A release or rollback outside every release window: when the next one opens (RFC 3339).
    /// It stays in the plan and runs once a window is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_until: Option<String>,
}

mod action_or_none {
    use super::Action;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(action: &Option<Action>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(action.map(Action::as_str).unwrap_or("none"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Action>, D::Error> {
        match String::deserialize(d)?.as_str() {
            "none" => Ok(None),
            name => Action::from_name(name).map(Some).ok_or_else(|| {
                serde::de::Error::unknown_variant(
                    name,
                    &["submit", "cancel", "release", "rollback", "none"],
                )
            }),
        }
    }
}

/// Counts of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub submit: usize,
    pub cancel: usize,
    #[serde(default)]
    pub release: usize,
    #[serde(default)]
    pub rollback: usize,
    pub none: usize,
    pub attention: usize,
}

/// A plan: every managed version with its decision; actions first (cancels, then submits), then
/// the rest, each group sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub commit: Option<String>,
    pub refreshed: bool,
    pub resources: Vec<PlannedResource>,
    pub summary: Summary,
}

impl Plan {
    /// The resources that need a call, in execution order.
    pub fn actions(&self) -> impl Iterator<Item = &PlannedResource> {
        self.resources.iter().filter(|r| r.action.is_some())
    }

    /// Whether applying this plan would make any call.
    pub fn has_changes(&self) -> bool {
        self.summary.submit + self.summary.cancel + self.summary.release + self.summary.rollback > 0
    }
}

/// The decision for one version: the action, the reason, and an attention note.
pub fn decide(
    desired: Approval,
    observed: Observed,
    options: &PlanOptions,
) -> (Option<Action>, &'static str, Option<&'static str>) {
    use Observed as O;
    match (desired, observed) {
        (Approval::Submitted, O::None) => (Some(Action::Submit), "no approval request yet", None),
        (Approval::Submitted, O::Cancelled) => (
            Some(Action::Submit),
            "the last approval request was cancelled",
            None,
        ),
        (Approval::Submitted, O::Unknown) => (
            Some(Action::Submit),
            "state unknown; submit converges if one is already in place",
            None,
        ),
        (Approval::Submitted, O::Processing) => {
            (None, "approval request in place (processing)", None)
        }
        (Approval::Submitted, O::Approved) => (None, "approved", None),
        (Approval::Submitted, O::Rejected) if options.resubmit_rejected => (
            Some(Action::Submit),
            "rejected by reviewer; resubmitting (--resubmit-rejected)",
            None,
        ),
        (Approval::Submitted, O::Rejected) => {
            (None, "rejected by reviewer", Some("rejected by reviewer"))
        }
        (Approval::Cancelled, O::Processing) => {
            (Some(Action::Cancel), "approval request pending", None)
        }
        (Approval::Cancelled, O::Unknown) => (
            Some(Action::Cancel),
            "state unknown; cancel converges if nothing is pending",
            None,
        ),
        (Approval::Cancelled, O::None) => (None, "no approval request", None),
        (Approval::Cancelled, O::Cancelled) => (None, "already cancelled", None),
        (Approval::Cancelled, O::Rejected) => (None, "rejected; nothing pending", None),
        (Approval::Cancelled, O::Approved) => (
            None,
            "approved",
            Some("already approved, cannot be cancelled"),
        ),
        (_, O::Unrecognized) => (
            None,
            "approval status not recognised",
            Some("the platform reports an approval status mnpsync does not know; nothing is done"),
        ),
    }
}

/// Plans the calls that take `observed` to `desired`.
///
/// Versions missing from `observed` are `unknown`. `prune` lists versions to cancel because no
/// manifest declares them any more (already filtered by the caller's guard); those that a
/// manifest does declare are ignored, so a prune can never cancel a declared version.
pub fn plan(
    desired: &Desired,
    observed: &BTreeMap<Key, Observation>,
    prune: &[PruneCandidate],
    options: &PlanOptions,
    refreshed: bool,
    commit: Option<String>,
) -> Plan {
    plan_with(
        desired,
        observed,
        &BTreeMap::new(),
        prune,
        options,
        refreshed,
        commit,
    )
}

/// [`plan`] with what is known of the mini programs (`programs`): the release rows of the
/// table ([`decide_release`]) for versions declared `release: online`.
pub fn plan_with(
    desired: &Desired,
    observed: &BTreeMap<Key, Observation>,
    programs: &BTreeMap<MnpKey, Program>,
    prune: &[PruneCandidate],
    options: &PlanOptions,
    refreshed: bool,
    commit: Option<String>,
) -> Plan {
    let observed_of = |key: &Key| observed.get(key).map_or(Observed::Unknown, |o| o.status);
    // The attention text with what the listing adds: the unknown code, the reviewer's words.
    let attention_of = |key: &Key, base: Option<&str>| -> Option<String> {
        let base = base?;
        let seen = observed.get(key);
        Some(match seen {
            Some(o) if o.status == Observed::Unrecognized => format!(
                "the platform reports approval status {}, which mnpsync does not know; nothing is done",
                o.unknown_code
                    .map_or_else(|| "?".to_string(), |c| c.to_string())
            ),
            Some(o) if o.status == Observed::Rejected => {
                let review = o.review.clone().unwrap_or_default();
                format!(
                    "rejected by {}{}; upload a new version, or pass --resubmit-rejected",
                    review.user.as_deref().unwrap_or("the reviewer"),
                    review.describe()
                )
            }
            _ => base.to_string(),
        })
    };
    let observed_mnp = |key: &Key| observed.get(key).and_then(|o| o.mnp_id.clone());
    let approvals_of = |key: &Key| {
        observed
            .get(key)
            .map(|o| o.approvals.clone())
            .unwrap_or_default()
    };
    let mut resources: Vec<PlannedResource> = desired
        .resources
        .values()
        .map(|r| {
            let observed = observed_of(&r.key);
            let (action, reason, attention) = decide(r.approval, observed, options);
            let attention = attention_of(&r.key, attention);
            let listed_mnp = observed_mnp(&r.key);
            let mnp_id = r.mnp_id.clone().or(listed_mnp);
            let program = mnp_id
                .as_ref()
                .and_then(|m| programs.get(&MnpKey::new(&r.key.platform_id, m)));
            let version = r.version.clone().or_else(|| {
                program
                    .and_then(|p| p.version_of(r.key.mnp_version_id))
                    .map(str::to_string)
            });
            let release = match (r.release, r.mnp_id.is_some()) {
                (Some(Release::Online), true) => Some(decide_release(
                    r.key.mnp_version_id,
                    observed,
                    (action, reason.to_string(), attention.clone()),
                    program,
                    options.allow_rollback,
                )),
                _ => None,
            };
            let (action, reason, attention, needs_allow_rollback) = match release {
                Some(d) => (d.action, d.reason, d.attention, d.needs_allow_rollback),
                None => (action, reason.to_string(), attention, false),
            };
            PlannedResource {
                key: r.key.clone(),
                name: r.name.clone(),
                source: format!("{}:{}", r.source.path.display(), r.source.line),
                platform_id: r.key.platform_id.clone(),
                mnp_version_id: r.key.mnp_version_id,
                region: r.region.clone(),
                api: r.api,
                desired: r.approval,
                observed,
                approvals: approvals_of(&r.key),
                mnp_id,
                version,
                action,
                reason,
                attention,
                pruned: false,
                needs_allow_rollback,
                deferred_until: None,
            }
        })
        .collect();
    for candidate in prune {
        if desired.resources.contains_key(&candidate.key) {
            continue;
        }
        let observed = observed_of(&candidate.key);
        let (action, reason, attention) = decide(Approval::Cancelled, observed, options);
        resources.push(PlannedResource {
            key: candidate.key.clone(),
            name: candidate.name.clone(),
            source: "state".to_string(),
            platform_id: candidate.key.platform_id.clone(),
            mnp_version_id: candidate.key.mnp_version_id,
            region: candidate.region.clone(),
            api: candidate.api,
            desired: Approval::Cancelled,
            observed,
            approvals: approvals_of(&candidate.key),
            mnp_id: observed_mnp(&candidate.key),
            version: None,
            action,
            reason: format!("pruned: no manifest declares it any more; {reason}"),
            attention: attention_of(&candidate.key, attention),
            pruned: true,
            needs_allow_rollback: false,
            deferred_until: None,
        });
    }
    let rank = |r: &PlannedResource| r.action.map_or(3, Action::phase);
    resources.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.key.cmp(&b.key)));
    let summary = summarize(&resources);
    Plan {
        format_version: FORMAT_VERSION,
        commit,
        refreshed,
        resources,
        summary,
    }
}

fn summarize(resources: &[PlannedResource]) -> Summary {
    let mut summary = Summary::default();
    for r in resources {
        match r.action {
            Some(Action::Submit) => summary.submit += 1,
            Some(Action::Cancel) => summary.cancel += 1,
            Some(Action::Release) => summary.release += 1,
            Some(Action::Rollback) => summary.rollback += 1,
            None => summary.none += 1,
        }
        if r.attention.is_some() {
            summary.attention += 1;
        }
    }
    summary
}

/// The observed state after an action converged: what the platform holds now.
pub(crate) fn observed_after(action: Action) -> Observed {
    match action {
        Action::Submit => Observed::Processing,
        Action::Cancel => Observed::Cancelled,
        // Which version is online changed; the approval stays approved.
        Action::Release | Action::Rollback => Observed::Approved,
    }
}

/// `--prune-limit`'s default: the most versions a prune may cancel without `--force`.
pub const DEFAULT_PRUNE_LIMIT: usize = 10;

/// Why a prune must not run without `--force`, if it must not: a deleted directory or a bad merge
/// must not wipe a release. Refused: more than `limit` prune cancels; any prune cancel when the
/// (selected) manifests declare nothing; two or more prune cancels that are every pending version.
pub(crate) fn prune_refusal(plan: &Plan, limit: usize) -> Option<String> {
    let pruned = plan.actions().filter(|r| r.pruned).count();
    if pruned == 0 {
        return None;
    }
    let declared = plan.resources.iter().filter(|r| !r.pruned).count();
    let pending = plan
        .resources
        .iter()
        .filter(|r| matches!(r.observed, Observed::Processing | Observed::Unknown))
        .count();
    let check = "check that no manifest was deleted by mistake, then pass --force";
    if pruned > limit {
        Some(format!(
            "refusing to prune {pruned} versions (more than --prune-limit {limit}); {check}"
        ))
    } else if declared == 0 {
        Some(format!(
            "refusing to prune {pruned} version(s): the manifests declare no version at all; {check}"
        ))
    } else if pruned >= 2 && pruned >= pending {
        Some(format!(
            "refusing to prune every pending version mnpsync manages ({pruned}); {check}"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
