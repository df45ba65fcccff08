//! How one journal line changes the state: the same function folds a line live (as it is
//! written) and in replay (after a crash), so the state is always what the journal says.
//!
//! Ownership (DESIGN.md §4): mnpsync owns the approval its own submit created. A `submitted`
//! outcome or a confirmed claim marks it; a `claim` line names its approval number. A request
//! that never left (`attempts: 0`) settles no claim; one whose effect is unknown keeps the
//! claim open for the next listing.

use super::{Event, JournalLine, Outcome, State, StateEntry};
use crate::action::Action;
use crate::observe::{APPROVALS_KEPT, Observed};
use crate::plan::observed_after;
use crate::tcmpp::model::{PHASE_ONLINE, PHASE_PLATFORM};

/// Applies `line` to `state`.
pub(crate) fn fold(state: &mut State, line: &JournalLine) {
    let entry = state
        .entries
        .entry(line.key.clone())
        .or_insert_with(|| StateEntry {
            updated_at: line.ts.clone(),
            ..StateEntry::new(&line.name, line.region.clone(), Observed::Unknown)
        });
    match line.event {
        Event::Intent => {
            if line.action == Action::Submit
                && let Some(baseline) = &line.claim_baseline
            {
                entry.pending_claim = Some(baseline.clone());
            }
        }
        Event::Announced => {
            if let Some(id) = &line.message
                && !entry.announced.contains(id)
            {
                entry.announced.push(id.clone());
                let excess = entry
                    .announced
                    .len()
                    .saturating_sub(super::state::ANNOUNCED_KEPT);
                entry.announced.drain(..excess);
            }
        }
        Event::Claim => {
            if let Some(no) = &line.approval_no {
                own(entry, no);
            }
        }
        Event::Outcome => {
            let Some(outcome) = line.outcome else {
                return;
            };
            entry.last_action = Some(line.action);
            entry.last_outcome = Some(outcome);
            entry.updated_at = line.ts.clone();
            entry.commit = line.commit.clone();
            entry.request_id = line.request_id.clone();
            entry.error_code = line.error_code.clone();
            entry.message = line.message.clone();
            if line.attempts == 0 {
                // Never left: it created nothing.
                if line.action == Action::Submit {
                    entry.pending_claim = None;
                }
                return;
            }
            if let Some(no) = &line.approval_no {
                own(entry, no);
            }
            if outcome.converged() {
                entry.observed = observed_after(line.action);
                match outcome {
                    Outcome::Submitted => entry.submitted_by_mnpsync = true,
                    // May be someone else's approval: the claim (still open) decides.
                    Outcome::AlreadyInPlace => {}
                    // Which version is online changed; the approval and its owner did not.
                    Outcome::Released | Outcome::AlreadyReleased | Outcome::RolledBack => {
                        put_online(state, &line.key);
                    }
                    _ => {
                        entry.submitted_by_mnpsync = false;
                        entry.pending_claim = None;
                    }
                }
            }
        }
    }
}

/// Records `key`'s version as its mini program's online one (and as released), in every
/// program of its platform that lists it.
fn put_online(state: &mut State, key: &crate::manifest::Key) {
    let prefix = format!("{}/", key.platform_id);
    for (_, program) in state
        .programs
        .iter_mut()
        .filter(|(k, _)| k.starts_with(&prefix))
    {
        if !program.versions.contains_key(&key.mnp_version_id) {
            continue;
        }
        for (id, seen) in program.versions.iter_mut() {
            if *id == key.mnp_version_id {
                seen.phase = Some(PHASE_ONLINE.to_string());
            } else if seen.phase.as_deref() == Some(PHASE_ONLINE) {
                seen.phase = Some(PHASE_PLATFORM.to_string());
            }
        }
        if let Some(released) = program.released.as_mut() {
            released.insert(key.mnp_version_id);
        }
    }
}

/// Marks `no` as the approval mnpsync created for the entry's version.
fn own(entry: &mut StateEntry, no: &str) {
    entry.owned_approval = Some(no.to_string());
    entry.submitted_by_mnpsync = true;
    entry.pending_claim = None;
    if !entry.approvals.iter().any(|a| a == no) {
        entry.approvals.insert(0, no.to_string());
        entry.approvals.truncate(APPROVALS_KEPT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Key;

    fn line(event: Event, action: Action, outcome: Option<Outcome>) -> JournalLine {
        JournalLine {
            seq: 1,
            ts: "2026-01-01T00:00:00Z".into(),
            run_id: "r".into(),
            event,
            key: Key::new("P", 1),
            name: "n".into(),
            action,
            outcome,
            error_code: None,
            message: None,
            request_id: None,
            attempts: 1,
            duration_ms: 0,
            commit: None,
            region: Some("ap-singapore".into()),
            claim_baseline: None,
            approval_no: None,
        }
    }

    fn entry(state: &State) -> &StateEntry {
        &state.entries[&Key::new("P", 1)]
    }

    #[test]
    fn a_submit_opens_a_claim_that_a_claim_line_settles() {
        let mut state = State::default();
        let mut intent = line(Event::Intent, Action::Submit, None);
        intent.claim_baseline = Some(vec!["a1".into()]);
        fold(&mut state, &intent);
        assert_eq!(entry(&state).pending_claim, Some(vec!["a1".into()]));
        assert_eq!(entry(&state).region.as_deref(), Some("ap-singapore"));
        // The reply was lost: the outcome is failed, the claim stays open.
        let mut lost = line(Event::Outcome, Action::Submit, Some(Outcome::Failed));
        lost.attempts = 5;
        fold(&mut state, &lost);
        assert!(entry(&state).pending_claim.is_some());
        assert!(!entry(&state).submitted_by_mnpsync);
        let mut claim = line(Event::Claim, Action::Submit, None);
        claim.approval_no = Some("a2".into());
        fold(&mut state, &claim);
        let e = entry(&state);
        assert_eq!(e.owned_approval.as_deref(), Some("a2"));
        assert!(e.submitted_by_mnpsync);
        assert_eq!(e.pending_claim, None);
        assert_eq!(e.approvals, vec!["a2"]);
    }

    #[test]
    fn a_request_that_never_left_settles_its_claim() {
        let mut state = State::default();
        let mut intent = line(Event::Intent, Action::Submit, None);
        intent.claim_baseline = Some(vec![]);
        fold(&mut state, &intent);
        let mut not_sent = line(Event::Outcome, Action::Submit, Some(Outcome::Failed));
        not_sent.attempts = 0;
        fold(&mut state, &not_sent);
        assert_eq!(entry(&state).pending_claim, None);
        assert_eq!(entry(&state).last_outcome, Some(Outcome::Failed));
    }

    #[test]
    fn outcomes_set_ownership_as_documented() {
        let mut state = State::default();
        fold(
            &mut state,
            &line(Event::Outcome, Action::Submit, Some(Outcome::Submitted)),
        );
        assert!(entry(&state).submitted_by_mnpsync);
        assert_eq!(entry(&state).observed, Observed::Processing);
        fold(
            &mut state,
            &line(
                Event::Outcome,
                Action::Submit,
                Some(Outcome::AlreadyInPlace),
            ),
        );
        assert!(entry(&state).submitted_by_mnpsync, "kept as it was");
        fold(
            &mut state,
            &line(Event::Outcome, Action::Cancel, Some(Outcome::Cancelled)),
        );
        assert!(!entry(&state).submitted_by_mnpsync);
        assert_eq!(entry(&state).observed, Observed::Cancelled);
        // An answer that names the approval (TCSAS) owns it at once.
        let mut named = line(Event::Outcome, Action::Submit, Some(Outcome::Submitted));
        named.approval_no = Some("t1".into());
        fold(&mut state, &named);
        assert_eq!(entry(&state).owned_approval.as_deref(), Some("t1"));
    }
}
