//! Predicting a conflict in the plan: the platform accepts one pending approval request per
//! mini program, so a submit meets `ExistMNPApprovalRecord` (and ends `blocked`) while another
//! version of the same mini program is processing — unless the same plan cancels that version
//! (cancels run before submits).
//!
//! A post-pass over the planner's output: the action stays (the apply records the outcome, and
//! a version that is cancelled on the console in between goes through), the reason and an
//! attention note say what will happen. A version's mini program is the listing's (`mnp_id`),
//! else the manifest's `spec.mnpId`; a version with neither is not checked.

use std::collections::BTreeMap;

use crate::action::Action;
use crate::manifest::Key;
use crate::observe::{Observation, Observed};
use crate::plan::{Plan, PlanOptions, decide};

/// The start of the reason of a flagged submit, after the mini program's id.
const MARK: &str = " processing: this submit will be blocked unless ";

/// Flags each submit of `plan` that a pending request of another version of the same mini
/// program would block (`seen`: every version observed, declared or not).
pub(crate) fn annotate(plan: &mut Plan, seen: &BTreeMap<Key, Observation>) {
    let cancelled: Vec<Key> = plan
        .resources
        .iter()
        .filter(|r| r.action == Some(Action::Cancel))
        .map(|r| r.key.clone())
        .collect();
    let mut flagged = 0;
    for r in &mut plan.resources {
        if r.action != Some(Action::Submit) || r.attention.is_some() {
            continue;
        }
        // The listing's mini program, else the manifest's (`spec.mnpId`): a version with no
        // approval request yet is not in the listing.
        let listed = seen.get(&r.key).and_then(|o| o.mnp_id.as_deref());
        let Some(mnp) = listed.or(r.mnp_id.as_deref()) else {
            continue;
        };
        let blockers: Vec<String> = seen
            .iter()
            .filter(|(k, o)| {
                k.platform_id == r.key.platform_id
                    && **k != r.key
                    && o.status == Observed::Processing
                    && o.mnp_id.as_deref() == Some(mnp)
                    && !cancelled.contains(k)
            })
            .map(|(k, _)| k.mnp_version_id.to_string())
            .collect();
        if blockers.is_empty() {
            continue;
        }
        let (them, unless) = match blockers.as_slice() {
            [one] => (one.clone(), format!("{one} is declared cancelled")),
            many => (many.join(", "), "they are declared cancelled".to_string()),
        };
        let note = format!("{mnp} has {them}{MARK}{unless}");
        r.reason = note.clone();
        r.attention = Some(note);
        flagged += 1;
    }
    plan.summary.attention += flagged;
}

/// Undoes [`annotate`] (the planner's own reason back, no attention), so a saved plan can be
/// compared with what planning again from its recorded inputs gives.
pub(crate) fn strip(plan: &mut Plan, options: &PlanOptions) {
    let mut stripped = 0;
    for r in &mut plan.resources {
        let flagged = r.action == Some(Action::Submit)
            && r.attention.as_deref() == Some(r.reason.as_str())
            && r.reason.contains(MARK);
        if flagged {
            r.reason = decide(r.desired, r.observed, options).1.to_string();
            r.attention = None;
            stripped += 1;
        }
    }
    plan.summary.attention = plan.summary.attention.saturating_sub(stripped);
}
