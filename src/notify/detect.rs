//! Which events a reconcile produced: pure, from the records as they were before it, what it
//! observed, and what it did.
//!
//! - **Review decisions** (`approved`, `rejected`, with the reviewer's words) and
//!   **`review_overdue`** (processing longer than the SLA) are transitions of an approval,
//!   identified by its number (`approved:NO`). One is announced when the records have not
//!   recorded it as announced — so a decision made while mnpsync was down is announced once,
//!   when first seen, and never again after a restart.
//! - **Attention** items are identified by their message (`attention:HASH`).
//! - **The baseline is silent:** a transition of a version the records did not know before this
//!   reconcile (a fresh state directory, a newly declared version) is recorded as announced
//!   without a message: it was already true.
//! - **What the run did** (`submitted`, `cancelled`, `released`, `rolled_back`, `blocked`,
//!   `failed`) comes from its results, which exist once; "already" outcomes announce nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::event::{Event, EventKind, Reviewer};
use crate::action::Action;
use crate::apply::{ActionResult, AttentionItem};
use crate::manifest::Key;
use crate::observe::{Observation, Observed};
use crate::plan::{Plan, PlannedResource};
use crate::record::{Outcome, State};

/// A transition to record as announced once its message is delivered or dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub key: Key,
    pub name: String,
    /// `approved:NO`, `rejected:NO`, `review_overdue:NO`, `attention:HASH`.
    pub id: String,
    /// The action the transition concerns (the journal line's `action`).
    pub action: Action,
}

/// What one reconcile has to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detected {
    /// The events to announce, in plan order, then the run's results.
    pub events: Vec<Event>,
    /// Transitions the events announce: recorded once their message is settled.
    pub announce: Vec<Transition>,
    /// Transitions recorded at once, silently (the baseline).
    pub baseline: Vec<Transition>,
}

/// Everything [`detect`] reads.
pub struct Input<'a> {
    /// The records before this reconcile.
    pub before: &'a State,
    pub plan: &'a Plan,
    /// What the plan's refresh saw of each version (reviewer's words).
    pub observation: &'a BTreeMap<Key, Observation>,
    pub results: &'a [ActionResult],
    pub attention: &'a [AttentionItem],
    /// `--review-sla`: a version processing longer than this is overdue.
    pub review_sla: Option<Duration>,
    /// Now (RFC 3339 for events, and the overdue check).
    pub now: jiff::Timestamp,
}

/// The events and transitions of one reconcile.
pub fn detect(input: &Input<'_>) -> Detected {
    let mut out = Detected::default();
    let at = input.now.to_string();
    for r in input.plan.resources.iter().filter(|r| !r.pruned) {
        let before = input.before.entries.get(&r.key);
        let seen = input.observation.get(&r.key);
        let known = |id: &str| before.is_some_and(|e| e.announced.iter().any(|a| a == id));
        let mut consider = |kind: EventKind, id: String, message: Option<String>| {
            if known(&id) {
                return;
            }
            let transition = Transition {
                key: r.key.clone(),
                name: r.name.clone(),
                id,
                action: Action::Submit,
            };
            if before.is_none() {
                out.baseline.push(transition);
                return;
            }
            out.events.push(event(kind, r, message, seen, &at));
            out.announce.push(transition);
        };
        let approval = seen
            .and_then(|o| o.review.as_ref()?.approval_no.clone())
            .or_else(|| r.approvals.first().cloned());
        let number = approval.clone().unwrap_or_else(|| "?".to_string());
        match r.observed {
            Observed::Approved => consider(EventKind::Approved, format!("approved:{number}"), None),
            Observed::Rejected => consider(
                EventKind::Rejected,
                format!("rejected:{number}"),
                r.attention.clone(),
            ),
            Observed::Processing => {
                if let (Some(sla), Some(since)) = (
                    input.review_sla,
                    before.and_then(|e| e.updated_at.parse::<jiff::Timestamp>().ok()),
                ) {
                    let waited = input.now.duration_since(since);
                    if !waited.is_negative() && waited.unsigned_abs() > sla {
                        consider(
                            EventKind::ReviewOverdue,
                            format!("review_overdue:{number}"),
                            Some(format!(
                                "processing for {} (review SLA {})",
                                humantime::format_duration(Duration::from_secs(
                                    waited.unsigned_abs().as_secs()
                                )),
                                humantime::format_duration(sla)
                            )),
                        );
                    }
                }
            }
            _ => {}
        }
        // Attention other than a rejection (which its own event tells).
        if r.observed != Observed::Rejected
            && let Some(item) = input.attention.iter().find(|a| a.key == r.key)
        {
            let hash = hex::encode(&Sha256::digest(item.message.as_bytes())[..6]);
            consider(
                EventKind::Attention,
                format!("attention:{hash}"),
                Some(item.message.clone()),
            );
        }
    }
    let by_key: BTreeMap<&Key, &PlannedResource> =
        input.plan.resources.iter().map(|r| (&r.key, r)).collect();
    for result in input.results {
        let kind = match result.outcome {
            Outcome::Submitted => EventKind::Submitted,
            Outcome::Cancelled => EventKind::Cancelled,
            Outcome::Released => EventKind::Released,
            Outcome::RolledBack => EventKind::RolledBack,
            Outcome::Blocked => EventKind::Blocked,
            Outcome::Failed => EventKind::Failed,
            _ => continue,
        };
        let planned = by_key.get(&result.key);
        out.events.push(Event {
            kind,
            key: result.key.to_string(),
            name: result.name.clone(),
            platform_id: result.key.platform_id.clone(),
            mnp_version_id: result.key.mnp_version_id,
            mnp_id: planned.and_then(|r| r.mnp_id.clone()),
            version: planned.and_then(|r| r.version.clone()),
            message: result.message.clone(),
            reviewer: None,
            at: at.clone(),
        });
    }
    out
}

fn event(
    kind: EventKind,
    r: &PlannedResource,
    message: Option<String>,
    seen: Option<&Observation>,
    at: &str,
) -> Event {
    Event {
        kind,
        key: r.key.to_string(),
        name: r.name.clone(),
        platform_id: r.platform_id.clone(),
        mnp_version_id: r.mnp_version_id,
        mnp_id: r.mnp_id.clone(),
        version: r.version.clone(),
        message,
        reviewer: seen.and_then(|o| o.review.as_ref()).map(Reviewer::from),
        at: at.to_string(),
    }
}
