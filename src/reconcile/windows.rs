//! Release windows in the plan: a release or rollback planned while no window is open stays in
//! the plan with `deferred_until` and the reason says when the next window opens. A post-pass
//! over the planner's output (the planner has no clock); the executor checks the windows again
//! right before such an action would run (`apply::ReleaseGate`), so a saved plan applied later
//! follows the windows of the moment it runs.

use crate::plan::Plan;
use crate::window::ReleaseWindows;

/// What a deferral adds to a reason, before the window text.
const MARK: &str = "; deferred: ";

/// Marks every release and rollback of `plan` as deferred when no window of `windows` is open
/// at `now` (no windows: always open).
pub(crate) fn mark(plan: &mut Plan, windows: &ReleaseWindows, now: jiff::Timestamp) {
    let Some(deferral) = windows.deferral(now) else {
        return;
    };
    for r in &mut plan.resources {
        if r.action.is_some_and(|a| a.changes_online()) {
            r.deferred_until = Some(deferral.until.to_string());
            r.reason = format!("{}{MARK}{}", r.reason, deferral.text);
        }
    }
}

/// Removes what [`mark`] added, for comparing a saved plan with the planner's output.
pub(crate) fn strip(plan: &mut Plan) {
    for r in &mut plan.resources {
        if r.deferred_until.take().is_some()
            && let Some(at) = r.reason.find(MARK)
        {
            r.reason.truncate(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::manifest::{Approval, Key};
    use crate::observe::Observed;
    use crate::plan::{PlannedResource, Summary};

    fn plan(action: Option<Action>) -> Plan {
        Plan {
            format_version: 1,
            commit: None,
            refreshed: true,
            resources: vec![PlannedResource {
                key: Key::new("P", 7),
                name: "shop".into(),
                source: "m.yaml:1".into(),
                platform_id: "P".into(),
                mnp_version_id: 7,
                region: None,
                api: None,
                desired: Approval::Submitted,
                observed: Observed::Approved,
                approvals: Vec::new(),
                mnp_id: Some("mnp-shop".into()),
                version: Some("1.0.7".into()),
                action,
                reason: "approved; no version is online yet".into(),
                attention: None,
                pruned: false,
                needs_allow_rollback: false,
                deferred_until: None,
            }],
            summary: Summary::default(),
        }
    }

    #[test]
    fn a_release_outside_every_window_is_deferred_and_strip_undoes_it() {
        let windows = ReleaseWindows(vec!["Mon 10:00-16:00 Asia/Shanghai".parse().unwrap()]);
        // Sunday 2026-11-29 12:00 UTC: the next window opens Monday 10:00 +08:00.
        let now: jiff::Timestamp = "2026-11-29T12:00:00Z".parse().unwrap();
        let mut p = plan(Some(Action::Release));
        let original = p.clone();
        mark(&mut p, &windows, now);
        let r = &p.resources[0];
        assert_eq!(r.deferred_until.as_deref(), Some("2026-11-30T02:00:00Z"));
        assert_eq!(
            r.reason,
            "approved; no version is online yet; deferred: outside the release window; next opens 2026-11-30 10:00 +08:00"
        );
        strip(&mut p);
        assert_eq!(p, original);
        // Inside the window, or with no windows, nothing changes.
        let open: jiff::Timestamp = "2026-11-30T03:00:00Z".parse().unwrap();
        let mut p = plan(Some(Action::Release));
        mark(&mut p, &windows, open);
        mark(&mut p, &ReleaseWindows::default(), now);
        assert_eq!(p, original);
        // Approvals are never held back.
        let mut p = plan(Some(Action::Submit));
        mark(&mut p, &windows, now);
        assert_eq!(p.resources[0].deferred_until, None);
    }
}
