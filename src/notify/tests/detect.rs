//! Which events a reconcile produces: decisions once per approval, the silent baseline,
//! review_overdue after the SLA, attention by message, and the run's results.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::action::Action;
use crate::apply::{ActionResult, AttentionItem};
use crate::manifest::{Approval, Key};
use crate::notify::EventKind;
use crate::notify::detect::{Input, detect};
use crate::observe::{Observation, Observed, Review};
use crate::plan::{Plan, PlannedResource, Summary};
use crate::record::{Outcome, State, StateEntry};

fn resource(v: i64, observed: Observed, attention: Option<&str>) -> PlannedResource {
    PlannedResource {
        key: Key::new("P", v),
        name: format!("app-{v}"),
        source: "m.yaml:1".into(),
        platform_id: "P".into(),
        mnp_version_id: v,
        region: None,
        api: None,
        desired: Approval::Submitted,
        observed,
        approvals: vec![format!("A{v}")],
        mnp_id: None,
        version: None,
        action: None,
        reason: String::new(),
        attention: attention.map(str::to_string),
        pruned: false,
        needs_allow_rollback: false,
        deferred_until: None,
    }
}

fn plan(resources: Vec<PlannedResource>) -> Plan {
    Plan {
        format_version: 1,
        commit: None,
        refreshed: true,
        resources,
        summary: Summary::default(),
    }
}

fn known(versions: &[(i64, Observed, &str)]) -> State {
    let mut state = State::default();
    for (v, observed, since) in versions {
        let mut entry = StateEntry::new(&format!("app-{v}"), None, *observed);
        entry.updated_at = (*since).to_string();
        state.entries.insert(Key::new("P", *v), entry);
    }
    state
}

fn now() -> jiff::Timestamp {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

#[test]
fn a_decision_is_announced_once_with_the_reviewers_words() {
    let before = known(&[(1, Observed::Processing, "2026-11-29T11:00:00Z")]);
    let p = plan(vec![resource(
        1,
        Observed::Rejected,
        Some("rejected by alice: fix the icon"),
    )]);
    let mut observation = BTreeMap::new();
    observation.insert(
        Key::new("P", 1),
        Observation {
            review: Some(Review {
                note: Some("fix the icon".into()),
                user: Some("alice".into()),
                time: None,
                approval_no: Some("A1".into()),
            }),
            ..Observation::from(Observed::Rejected)
        },
    );
    let input = Input {
        before: &before,
        plan: &p,
        observation: &observation,
        results: &[],
        attention: &[],
        review_sla: None,
        now: now(),
    };
    let d = detect(&input);
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].kind, EventKind::Rejected);
    assert_eq!(
        d.events[0].message.as_deref(),
        Some("rejected by alice: fix the icon")
    );
    assert_eq!(
        d.events[0].reviewer.as_ref().unwrap().note.as_deref(),
        Some("fix the icon")
    );
    assert_eq!(d.announce[0].id, "rejected:A1");
    assert!(d.baseline.is_empty());
    // Once recorded as announced, never again.
    let mut after = before.clone();
    after
        .entries
        .get_mut(&Key::new("P", 1))
        .unwrap()
        .announced
        .push("rejected:A1".into());
    let again = detect(&Input {
        before: &after,
        ..input
    });
    assert!(again.events.is_empty() && again.announce.is_empty());
}

#[test]
fn what_a_fresh_state_directory_finds_is_the_silent_baseline() {
    let before = State::default();
    let p = plan(vec![resource(1, Observed::Approved, None)]);
    let d = detect(&Input {
        before: &before,
        plan: &p,
        observation: &BTreeMap::new(),
        results: &[],
        attention: &[],
        review_sla: None,
        now: now(),
    });
    assert!(d.events.is_empty());
    assert_eq!(d.baseline.len(), 1);
    assert_eq!(d.baseline[0].id, "approved:A1");
}

#[test]
fn a_review_past_the_sla_is_overdue_once() {
    let before = known(&[
        (1, Observed::Processing, "2026-11-27T11:00:00Z"),
        (2, Observed::Processing, "2026-11-29T11:00:00Z"),
    ]);
    let p = plan(vec![
        resource(1, Observed::Processing, None),
        resource(2, Observed::Processing, None),
    ]);
    let d = detect(&Input {
        before: &before,
        plan: &p,
        observation: &BTreeMap::new(),
        results: &[],
        attention: &[],
        review_sla: Some(Duration::from_secs(48 * 3600)),
        now: now(),
    });
    assert_eq!(d.events.len(), 1, "{:?}", d.events);
    assert_eq!(d.events[0].kind, EventKind::ReviewOverdue);
    assert_eq!(d.events[0].key, "P/1");
    assert_eq!(
        d.events[0].message.as_deref(),
        Some("processing for 2days 1h (review SLA 2days)")
    );
    assert_eq!(d.announce[0].id, "review_overdue:A1");
}

#[test]
fn the_runs_results_and_attention_are_announced() {
    let before = known(&[(1, Observed::Approved, "2026-11-29T11:00:00Z")]);
    let mut r = resource(
        1,
        Observed::Approved,
        Some("already approved, cannot be cancelled"),
    );
    r.desired = Approval::Cancelled;
    r.approvals = vec!["A1".into()];
    let mut released = resource(2, Observed::Approved, None);
    released.version = Some("1.4.2".into());
    let mut before = before;
    before
        .entries
        .get_mut(&Key::new("P", 1))
        .unwrap()
        .announced
        .push("approved:A1".into());
    let p = plan(vec![r, released]);
    let result = |v: i64, action, outcome| ActionResult {
        key: Key::new("P", v),
        name: format!("app-{v}"),
        action,
        outcome,
        error_code: None,
        message: None,
        request_id: Some("req".into()),
        attempts: 1,
        duration_ms: 1,
        approval_no: None,
    };
    let results = [
        result(2, Action::Release, Outcome::Released),
        result(3, Action::Submit, Outcome::AlreadyInPlace),
        result(4, Action::Submit, Outcome::Failed),
    ];
    let attention = [AttentionItem {
        key: Key::new("P", 1),
        name: "app-1".into(),
        message: "already approved, cannot be cancelled".into(),
    }];
    let d = detect(&Input {
        before: &before,
        plan: &p,
        observation: &BTreeMap::new(),
        results: &results,
        attention: &attention,
        review_sla: None,
        now: now(),
    });
    let kinds: Vec<(EventKind, &str)> = d.events.iter().map(|e| (e.kind, e.key.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Attention, "P/1"),
            (EventKind::Released, "P/2"),
            (EventKind::Failed, "P/4"),
        ]
    );
    assert_eq!(d.events[1].version.as_deref(), Some("1.4.2"));
    assert!(d.announce[0].id.starts_with("attention:"));
    // Version 2 was not in the records before: its approval is the baseline.
    assert_eq!(d.baseline[0].id, "approved:A2");
}
