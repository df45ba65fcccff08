//! The planner's tests: the decision table row by row, ordering and counts, the release
//! rows in a plan, the prune guard, and properties over arbitrary inputs.

use super::*;

fn lift(observed: &BTreeMap<Key, Observed>) -> BTreeMap<Key, Observation> {
    observed
        .iter()
        .map(|(k, o)| (k.clone(), Observation::from(*o)))
        .collect()
}
use crate::manifest::{Location, Resource};
use proptest::prelude::*;

fn resource(platform: &str, version: i64, approval: Approval) -> Resource {
    Resource {
        name: format!("{platform}-{version}"),
        labels: Default::default(),
        key: Key::new(platform, version),
        approval,
        region: None,
        api: None,
        mnp_id: None,
        version: None,
        version_at: None,
        release: None,
        source: Location {
            path: "manifests/a.yaml".into(),
            line: 1,
            column: 1,
        },
    }
}

fn desired(resources: Vec<Resource>) -> Desired {
    Desired {
        resources: resources.into_iter().map(|r| (r.key.clone(), r)).collect(),
        by_version: Vec::new(),
        digest: String::new(),
        files: 1,
    }
}

#[test]
fn every_row_of_the_table() {
    use Approval::{Cancelled as C, Submitted as S};
    use Observed as O;
    let submit = Some(Action::Submit);
    let cancel = Some(Action::Cancel);
    let rows = [
        (S, O::None, submit, None),
        (S, O::Cancelled, submit, None),
        (S, O::Unknown, submit, None),
        (S, O::Processing, None, None),
        (S, O::Approved, None, None),
        (S, O::Rejected, None, Some("rejected by reviewer")),
        (C, O::Processing, cancel, None),
        (C, O::Unknown, cancel, None),
        (C, O::None, None, None),
        (C, O::Cancelled, None, None),
        (C, O::Rejected, None, None),
        (
            C,
            O::Approved,
            None,
            Some("already approved, cannot be cancelled"),
        ),
    ];
    for (d, o, action, attention) in rows {
        let (a, _, n) = decide(d, o, &PlanOptions::default());
        assert_eq!((a, n), (action, attention), "{d:?} × {o:?}");
    }
    let resubmit = PlanOptions {
        resubmit_rejected: true,
        ..PlanOptions::default()
    };
    assert_eq!(decide(S, O::Rejected, &resubmit).0, submit);
    assert_eq!(decide(S, O::Rejected, &resubmit).2, None);
}

#[test]
fn cancels_come_before_submits_then_no_ops_each_sorted() {
    let d = desired(vec![
        resource("P", 3, Approval::Submitted),
        resource("P", 1, Approval::Cancelled),
        resource("A", 9, Approval::Submitted),
        resource("P", 2, Approval::Submitted),
        resource("B", 5, Approval::Cancelled),
    ]);
    let observed = BTreeMap::from([
        (Key::new("P", 1), Observed::Processing),
        (Key::new("P", 2), Observed::Approved),
        (Key::new("B", 5), Observed::Processing),
    ]);
    let p = plan(
        &d,
        &lift(&observed),
        &[],
        &PlanOptions::default(),
        true,
        None,
    );
    let order: Vec<(String, Option<Action>)> = p
        .resources
        .iter()
        .map(|r| (r.key.to_string(), r.action))
        .collect();
    assert_eq!(
        order,
        vec![
            ("B/5".to_string(), Some(Action::Cancel)),
            ("P/1".to_string(), Some(Action::Cancel)),
            ("A/9".to_string(), Some(Action::Submit)),
            ("P/3".to_string(), Some(Action::Submit)),
            ("P/2".to_string(), None),
        ]
    );
    assert_eq!(
        p.summary,
        Summary {
            submit: 2,
            cancel: 2,
            none: 1,
            attention: 0,
            ..Summary::default()
        }
    );
    assert_eq!(p.resources[0].source, "manifests/a.yaml:1");
}

#[test]
fn prune_cancels_only_undeclared_versions() {
    let d = desired(vec![resource("P", 1, Approval::Submitted)]);
    let observed = BTreeMap::from([
        (Key::new("P", 1), Observed::Processing),
        (Key::new("P", 2), Observed::Processing),
        (Key::new("P", 3), Observed::Approved),
    ]);
    let prune = [
        PruneCandidate {
            key: Key::new("P", 1),
            name: "p1".into(),
            region: None,
            owned_approval: None,
            claim_baseline: None,
            api: None,
        },
        PruneCandidate {
            key: Key::new("P", 2),
            name: "p2".into(),
            region: None,
            owned_approval: None,
            claim_baseline: None,
            api: None,
        },
        PruneCandidate {
            key: Key::new("P", 3),
            name: "p3".into(),
            region: None,
            owned_approval: None,
            claim_baseline: None,
            api: None,
        },
    ];
    let p = plan(
        &d,
        &lift(&observed),
        &prune,
        &PlanOptions::default(),
        true,
        None,
    );
    let p2 = p
        .resources
        .iter()
        .find(|r| r.key == Key::new("P", 2))
        .unwrap();
    assert_eq!(
        (p2.action, p2.pruned, p2.source.as_str()),
        (Some(Action::Cancel), true, "state")
    );
    let p1 = p
        .resources
        .iter()
        .find(|r| r.key == Key::new("P", 1))
        .unwrap();
    assert_eq!((p1.action, p1.pruned), (None, false));
    let p3 = p
        .resources
        .iter()
        .find(|r| r.key == Key::new("P", 3))
        .unwrap();
    assert_eq!(
        p3.attention.as_deref(),
        Some("already approved, cannot be cancelled")
    );
    assert_eq!(p.resources.len(), 3);
}

#[test]
fn unknown_codes_and_reviewers_words_reach_the_attention_text() {
    let d = desired(vec![
        resource("P", 1, Approval::Cancelled),
        resource("P", 2, Approval::Submitted),
    ]);
    let observed = BTreeMap::from([
        (
            Key::new("P", 1),
            Observation {
                status: Observed::Unrecognized,
                unknown_code: Some(7),
                ..Observation::default()
            },
        ),
        (
            Key::new("P", 2),
            Observation {
                status: Observed::Rejected,
                review: Some(crate::observe::Review {
                    note: Some("icon is blurry".into()),
                    user: Some("alice".into()),
                    time: Some("2026-11-28 10:00:00".into()),
                    approval_no: Some("A7".into()),
                }),
                ..Observation::default()
            },
        ),
    ]);
    let p = plan(&d, &observed, &[], &PlanOptions::default(), true, None);
    assert_eq!(p.summary.submit + p.summary.cancel, 0, "no call for either");
    assert_eq!(
        p.resources[0].attention.as_deref(),
        Some(
            "the platform reports approval status 7, which mnpsync does not know; nothing is done"
        )
    );
    assert_eq!(
        p.resources[1].attention.as_deref(),
        Some(
            "rejected by alice at 2026-11-28 10:00:00 (approval A7): icon is blurry; upload a new version, or pass --resubmit-rejected"
        )
    );
}

#[test]
fn plan_json_matches_the_contract() {
    let d = desired(vec![resource("P", 7, Approval::Submitted)]);
    let p = plan(
        &d,
        &BTreeMap::new(),
        &[],
        &PlanOptions::default(),
        false,
        Some("abc".into()),
    );
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["commit"], "abc");
    assert_eq!(json["refreshed"], false);
    let r = &json["resources"][0];
    assert_eq!(r["key"], "P/7");
    assert_eq!(r["action"], "submit");
    assert_eq!(r["observed"], "unknown");
    assert_eq!(r["desired"], "submitted");
    assert_eq!(r["attention"], serde_json::Value::Null);
    assert_eq!(json["summary"]["submit"], 1);
    let back: Plan = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
}

fn planned(v: i64, observed: Observed, action: Option<Action>, pruned: bool) -> PlannedResource {
    PlannedResource {
        approvals: Vec::new(),
        mnp_id: None,
        version: None,
        key: Key::new("P", v),
        name: format!("n{v}"),
        source: "s".into(),
        platform_id: "P".into(),
        mnp_version_id: v,
        region: None,
        api: None,
        desired: if action == Some(Action::Cancel) {
            Approval::Cancelled
        } else {
            Approval::Submitted
        },
        observed,
        action,
        reason: String::new(),
        attention: None,
        pruned,
        needs_allow_rollback: false,
        deferred_until: None,
    }
}

fn plan_of(resources: Vec<PlannedResource>) -> Plan {
    let summary = summarize(&resources);
    Plan {
        format_version: FORMAT_VERSION,
        commit: None,
        refreshed: true,
        resources,
        summary,
    }
}

#[test]
fn prune_guard_refuses_mass_or_total_prunes() {
    let cancel = Some(Action::Cancel);
    let one = plan_of(vec![
        planned(1, Observed::Processing, cancel, true),
        planned(2, Observed::Processing, None, false),
    ]);
    assert_eq!(prune_refusal(&one, 10), None);
    let nothing_declared = plan_of(vec![planned(1, Observed::Processing, cancel, true)]);
    assert!(
        prune_refusal(&nothing_declared, 10)
            .unwrap()
            .contains("declare no version at all")
    );
    let all = plan_of(vec![
        planned(1, Observed::Processing, cancel, true),
        planned(2, Observed::Processing, cancel, true),
        planned(3, Observed::Approved, None, false),
    ]);
    assert!(
        prune_refusal(&all, 10)
            .unwrap()
            .contains("every pending version")
    );
    let many = plan_of(
        (1..=3)
            .map(|v| planned(v, Observed::Processing, cancel, true))
            .chain((4..=9).map(|v| planned(v, Observed::Processing, None, false)))
            .collect(),
    );
    assert!(prune_refusal(&many, 2).unwrap().contains("--prune-limit 2"));
    assert_eq!(prune_refusal(&many, 3), None);
}

fn arb_observed() -> impl Strategy<Value = Observed> {
    prop_oneof![
        Just(Observed::None),
        Just(Observed::Processing),
        Just(Observed::Approved),
        Just(Observed::Rejected),
        Just(Observed::Cancelled),
        Just(Observed::Unknown),
    ]
}

fn arb_case() -> impl Strategy<Value = (Vec<(i64, bool)>, Vec<Observed>, bool)> {
    (
        proptest::collection::vec((1i64..40, any::<bool>()), 0..20),
        proptest::collection::vec(arb_observed(), 40),
        any::<bool>(),
    )
}

fn build(versions: &[(i64, bool)]) -> Desired {
    desired(
        versions
            .iter()
            .map(|(v, submitted)| {
                resource(
                    "P",
                    *v,
                    if *submitted {
                        Approval::Submitted
                    } else {
                        Approval::Cancelled
                    },
                )
            })
            .collect(),
    )
}

proptest! {
    #[test]
    fn applying_a_plan_converges((versions, obs, resubmit) in arb_case()) {
        let d = build(&versions);
        let mut observed: BTreeMap<Key, Observed> =
            (1..40).map(|v| (Key::new("P", v), obs[v as usize])).collect();
        let options = PlanOptions { resubmit_rejected: resubmit, ..PlanOptions::default() };
        let first = plan(&d, &lift(&observed), &[], &options, true, None);
        for r in first.actions() {
            observed.insert(r.key.clone(), observed_after(r.action.unwrap()));
        }
        let second = plan(&d, &lift(&observed), &[], &options, true, None);
        prop_assert!(!second.has_changes(), "{:?}", second);
    }

    #[test]
    fn never_cancels_a_version_declared_submitted((versions, obs, resubmit) in arb_case()) {
        let d = build(&versions);
        let observed: BTreeMap<Key, Observed> =
            (1..40).map(|v| (Key::new("P", v), obs[v as usize])).collect();
        let prune: Vec<PruneCandidate> = (1..40)
            .map(|v| PruneCandidate { key: Key::new("P", v), name: String::new(), region: None, owned_approval: None, claim_baseline: None, api: None })
            .collect();
        let p = plan(&d, &lift(&observed), &prune, &PlanOptions { resubmit_rejected: resubmit, ..PlanOptions::default() }, true, None);
        for r in p.actions() {
            if r.action == Some(Action::Cancel) {
                let declared = d.resources.get(&r.key).map(|x| x.approval);
                prop_assert_ne!(declared, Some(Approval::Submitted));
            }
        }
    }

    #[test]
    fn removing_a_manifest_never_adds_a_cancel((versions, obs, _r) in arb_case(), drop in 0usize..20) {
        let d = build(&versions);
        let observed: BTreeMap<Key, Observed> =
            (1..40).map(|v| (Key::new("P", v), obs[v as usize])).collect();
        let before = plan(&d, &lift(&observed), &[], &PlanOptions::default(), true, None);
        let mut smaller = d.clone();
        if let Some(key) = smaller.resources.keys().nth(drop).cloned() {
            smaller.resources.remove(&key);
        }
        let after = plan(&smaller, &lift(&observed), &[], &PlanOptions::default(), true, None);
        let cancels = |p: &Plan| p.actions().filter(|r| r.action == Some(Action::Cancel)).map(|r| r.key.clone()).collect::<std::collections::BTreeSet<_>>();
        prop_assert!(cancels(&after).is_subset(&cancels(&before)));
    }
}
