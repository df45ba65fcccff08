//! The saved-plan format (`plan --out`, `apply --plan`), defined once.
//!
//! A saved plan carries everything planning depended on — the manifests' digest, the options
//! (prune, selector, resubmit-rejected, default region) and the observation it was made from
//! (statuses, approval numbers, and the versions the records said mnpsync owns for `--prune`) —
//! so that `apply --plan` can plan again from the same inputs and refuse a file whose actions
//! differ from what those inputs give (an edited plan), before it compares the recorded
//! observation with the platform's live state (a stale plan).
//!
//! Pure: the checks take what the caller read; no I/O, no clock except in [`SavedPlan::new`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Observation, Observed, Plan, PlanOptions, PruneCandidate, plan_with};
use crate::manifest::{Desired, Key, Selector};
use crate::observe::{MnpKey, Program, from_names};

/// The saved-plan file's `format_version`.
pub const SAVED_FORMAT_VERSION: u32 = 2;

/// The planning options a saved plan was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    pub prune: bool,
    /// The label selector as written (`team=payments,tier=gold`; empty: every manifest).
    pub selector: String,
    pub resubmit_rejected: bool,
    /// The default region of the run that made it (a manifest's `spec.region` wins).
    pub default_region: String,
}

/// A plan saved by `plan --out` for `apply --plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    /// Unique per plan: creation time and a random part, so a new plan is never mistaken for
    /// an old one.
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The digest of the manifests it was planned from (`manifest::load`'s).
    pub manifests_digest: String,
    pub options: SavedOptions,
    /// What planning saw of each version: from a refresh, or from the records when
    /// `plan.refreshed` is false.
    pub observation: BTreeMap<Key, Observation>,
    /// The versions the records said mnpsync submitted and no manifest declares (`--prune`).
    pub prune_candidates: Vec<PruneCandidate>,
    /// What planning knew of the mini programs the manifests name, by `PLATFORM/MNPID`: the
    /// resolution of version strings and the online versions the release rows read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub programs: BTreeMap<String, Program>,
    pub plan: Plan,
}

/// Why a saved plan cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedPlanError {
    #[error("this plan file was made by an older mnpsync (format_version {0}); plan again")]
    Older(u64),
    #[error("this plan file was made by a newer mnpsync (format_version {0}); plan again")]
    Newer(u64),
    #[error("this is not a plan file made by `mnpsync plan --out`: {0}")]
    Invalid(String),
}

impl SavedPlan {
    /// A saved plan for `plan`, made from `observation` and `prune_candidates` with `options`.
    pub fn new(
        plan: Plan,
        manifests_digest: String,
        options: SavedOptions,
        observation: BTreeMap<Key, Observation>,
        prune_candidates: Vec<PruneCandidate>,
    ) -> SavedPlan {
        let now = time::OffsetDateTime::now_utc();
        SavedPlan {
            format_version: SAVED_FORMAT_VERSION,
            id: format!("{}-{:016x}", now.unix_timestamp(), rand::random::<u64>()),
            created_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            manifests_digest,
            options,
            observation,
            prune_candidates,
            programs: BTreeMap::new(),
            plan,
        }
    }

    /// Reads a saved plan, telling an older or newer format from a broken file.
    ///
    /// # Errors
    /// [`SavedPlanError`].
    pub fn parse(bytes: &[u8]) -> Result<SavedPlan, SavedPlanError> {
        #[derive(Deserialize)]
        struct Version {
            format_version: u64,
        }
        let version: Version =
            serde_json::from_slice(bytes).map_err(|e| SavedPlanError::Invalid(e.to_string()))?;
        let current = u64::from(SAVED_FORMAT_VERSION);
        if version.format_version < current {
            return Err(SavedPlanError::Older(version.format_version));
        }
        if version.format_version > current {
            return Err(SavedPlanError::Newer(version.format_version));
        }
        serde_json::from_slice(bytes).map_err(|e| SavedPlanError::Invalid(e.to_string()))
    }

    /// Why this file must not be executed as it is: it was edited (planning again from its
    /// recorded inputs gives other actions), its prune candidates are not versions the records
    /// say mnpsync owns, the manifests changed, or the run's default region differs.
    pub fn tampering(
        &self,
        all: &Desired,
        owned: &[PruneCandidate],
        default_region: &str,
    ) -> Option<String> {
        if all.digest != self.manifests_digest {
            return Some(
                "the plan is stale: the manifests changed since it was made; plan again"
                    .to_string(),
            );
        }
        if default_region != self.options.default_region {
            return Some(format!(
                "the plan was made for the default region {:?} and this run's is {default_region:?}; plan again with the same --region",
                self.options.default_region
            ));
        }
        let selector: Selector = match self.options.selector.parse() {
            Ok(selector) => selector,
            Err(e) => return Some(format!("the plan file is tampered with: its selector: {e}")),
        };
        if let Some(foreign) = self
            .prune_candidates
            .iter()
            .find(|c| !owned.iter().any(|o| o.key == c.key))
        {
            return Some(format!(
                "the plan file is tampered with: it prunes {}, which the records do not show as submitted by mnpsync; plan again",
                foreign.key
            ));
        }
        let prune: &[PruneCandidate] = if self.options.prune {
            &self.prune_candidates
        } else {
            &[]
        };
        let options = PlanOptions {
            resubmit_rejected: self.options.resubmit_rejected,
            allow_rollback: false,
        };
        let programs = from_names(&self.programs);
        // Version strings resolve as they did when the plan was made; a document that did not
        // resolve then is not in the plan.
        let (desired, _) = all.select(&selector).resolve(|r| {
            let mnp = r.mnp_id.as_deref().unwrap_or_default();
            programs
                .get(&MnpKey::new(&r.key.platform_id, mnp))
                .ok_or_else(String::new)
                .and_then(|p| p.resolve(r.version.as_deref().unwrap_or_default()))
        });
        let again = plan_with(
            &desired,
            &self.observation,
            &programs,
            prune,
            &options,
            self.plan.refreshed,
            self.plan.commit.clone(),
        );
        if again.resources == self.plan.resources && again.summary == self.plan.summary {
            return None;
        }
        let first = again
            .resources
            .iter()
            .zip(&self.plan.resources)
            .find(|(a, b)| a != b)
            .map(|(a, _)| format!(" (first difference at {})", a.key))
            .unwrap_or_default();
        Some(format!(
            "the plan file is tampered with: its actions are not what its recorded manifests, options and observation give{first}; plan again"
        ))
    }

    /// Why the platform's live state no longer matches what the plan assumed, if it does not:
    /// a status or the newest approval number moved.
    pub fn staleness(&self, live: &BTreeMap<Key, Observation>) -> Option<String> {
        let moved: Vec<String> = self
            .plan
            .resources
            .iter()
            .filter_map(|r| {
                let then = self.observation.get(&r.key);
                let now = live.get(&r.key);
                let status = |o: Option<&Observation>| o.map_or(Observed::Unknown, |o| o.status);
                fn latest(o: Option<&Observation>) -> Option<&str> {
                    o.and_then(Observation::latest_approval)
                }
                if status(then) != status(now) {
                    Some(format!(
                        "{} was {} and is now {}",
                        r.key,
                        status(then),
                        status(now)
                    ))
                } else if latest(then) != latest(now)
                    && now.is_some_and(|o| o.status != Observed::None)
                {
                    Some(format!("{} has a new approval request", r.key))
                } else {
                    None
                }
            })
            .collect();
        if moved.is_empty() {
            return None;
        }
        let unrefreshed = if self.plan.refreshed {
            ""
        } else {
            " (the plan was saved without a refresh, from the records)"
        };
        Some(format!(
            "the plan is stale: the approval state changed since it was made{unrefreshed} ({}); plan again",
            moved.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::manifest::{Approval, Location, Resource};

    fn desired(versions: &[(i64, Approval)]) -> Desired {
        let resources = versions
            .iter()
            .map(|(v, approval)| {
                let r = Resource {
                    key: Key::new("P", *v),
                    name: format!("app-{v}"),
                    labels: BTreeMap::new(),
                    region: None,
                    api: None,
                    approval: *approval,
                    mnp_id: None,
                    version: None,
                    version_at: None,
                    release: None,
                    source: Location {
                        path: "m.yaml".into(),
                        line: 1,
                        column: 1,
                    },
                };
                (r.key.clone(), r)
            })
            .collect();
        Desired {
            resources,
            digest: "d1".into(),
            ..Desired::default()
        }
    }

    fn saved(all: &Desired, observation: BTreeMap<Key, Observation>) -> SavedPlan {
        let p = crate::plan::plan(all, &observation, &[], &PlanOptions::default(), true, None);
        SavedPlan::new(
            p,
            all.digest.clone(),
            SavedOptions {
                prune: false,
                selector: String::new(),
                resubmit_rejected: false,
                default_region: "ap-guangzhou".into(),
            },
            observation,
            Vec::new(),
        )
    }

    fn observed(pairs: &[(i64, Observed, &str)]) -> BTreeMap<Key, Observation> {
        pairs
            .iter()
            .map(|(v, status, no)| {
                let approvals = if no.is_empty() {
                    vec![]
                } else {
                    vec![no.to_string()]
                };
                (
                    Key::new("P", *v),
                    Observation {
                        status: *status,
                        approvals,
                        mnp_id: None,
                        ..Observation::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn an_untouched_plan_passes_and_round_trips() {
        let all = desired(&[(1, Approval::Submitted), (2, Approval::Cancelled)]);
        let s = saved(
            &all,
            observed(&[(1, Observed::None, ""), (2, Observed::Processing, "a2")]),
        );
        assert_eq!(s.tampering(&all, &[], "ap-guangzhou"), None);
        let bytes = serde_json::to_vec(&s).unwrap();
        assert_eq!(SavedPlan::parse(&bytes).unwrap(), s);
        assert_ne!(
            s.id,
            saved(&all, s.observation.clone()).id,
            "ids are unique"
        );
    }

    #[test]
    fn edited_actions_and_foreign_prunes_are_tampering() {
        let all = desired(&[(1, Approval::Submitted)]);
        let mut s = saved(&all, observed(&[(1, Observed::Processing, "a1")]));
        // Flipped from none to cancel.
        s.plan.resources[0].action = Some(Action::Cancel);
        let why = s.tampering(&all, &[], "ap-guangzhou").unwrap();
        assert!(why.starts_with("the plan file is tampered with"), "{why}");
        // A version of a platform no manifest names, added with a matching prune candidate.
        let mut s = saved(&all, observed(&[(1, Observed::Processing, "a1")]));
        s.options.prune = true;
        s.prune_candidates.push(PruneCandidate {
            key: Key::new("OTHER", 9),
            name: "x".into(),
            region: None,
            owned_approval: None,
            claim_baseline: None,
            api: None,
        });
        let why = s.tampering(&all, &[], "ap-guangzhou").unwrap();
        assert_eq!(
            why,
            "the plan file is tampered with: it prunes OTHER/9, which the records do not show as submitted by mnpsync; plan again"
        );
        // Another default region.
        let s = saved(&all, observed(&[(1, Observed::Processing, "a1")]));
        assert!(
            s.tampering(&all, &[], "ap-singapore")
                .unwrap()
                .contains("default region")
        );
    }

    #[test]
    fn live_state_that_moved_is_stale_and_says_how() {
        let all = desired(&[(1, Approval::Cancelled)]);
        let s = saved(&all, observed(&[(1, Observed::Processing, "a1")]));
        assert_eq!(
            s.staleness(&observed(&[(1, Observed::Processing, "a1")])),
            None
        );
        assert_eq!(
            s.staleness(&observed(&[(1, Observed::Approved, "a1")]))
                .unwrap(),
            "the plan is stale: the approval state changed since it was made (P/1 was processing and is now approved); plan again"
        );
        // Cancelled and resubmitted in the console: same status, a new request.
        assert!(
            s.staleness(&observed(&[(1, Observed::Processing, "a2")]))
                .unwrap()
                .contains("P/1 has a new approval request")
        );
    }

    #[test]
    fn older_files_are_named_as_such() {
        let old = br#"{"format_version":1,"commit":null,"refreshed":true,"resources":[],"summary":{"submit":0,"cancel":0,"none":0,"attention":0},"manifests_digest":"x"}"#;
        assert_eq!(SavedPlan::parse(old), Err(SavedPlanError::Older(1)));
        assert_eq!(
            SavedPlanError::Older(1).to_string(),
            "this plan file was made by an older mnpsync (format_version 1); plan again"
        );
        assert!(matches!(
            SavedPlan::parse(b"not json"),
            Err(SavedPlanError::Invalid(_))
        ));
    }
}
