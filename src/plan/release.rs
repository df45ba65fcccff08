//! The release rows of the planning table (DESIGN.md §3): what `release: online` asks for, given
//! the version's approval and its mini program's online version. Pure.
//!
//! The approval comes first (a version is released only once approved, and never by the run
//! that submits it); then the mini program decides: release a newer version, roll back to an
//! older released one (held without `--allow-rollback`), or ask a person.

use crate::action::Action;
use crate::observe::{Observed, Online, Program};

/// The decision for one version declared `release: online`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseDecision {
    pub action: Option<Action>,
    pub reason: String,
    pub attention: Option<String>,
    /// A rollback that `--allow-rollback` did not allow: shown, not executed.
    pub needs_allow_rollback: bool,
}

impl ReleaseDecision {
    fn none(reason: impl Into<String>) -> Self {
        ReleaseDecision {
            action: None,
            reason: reason.into(),
            attention: None,
            needs_allow_rollback: false,
        }
    }

    fn attention(reason: impl Into<String>, attention: impl Into<String>) -> Self {
        ReleaseDecision {
            attention: Some(attention.into()),
            ..ReleaseDecision::none(reason)
        }
    }
}

/// `approval` is the decision the approval rows took (action, reason, attention); `program`
/// what is known of the version's mini program (`None`: not listed).
pub fn decide_release(
    id: i64,
    observed: Observed,
    approval: (Option<Action>, String, Option<String>),
    program: Option<&Program>,
    allow_rollback: bool,
) -> ReleaseDecision {
    let online = program.map(Program::online);
    if let Some(Ok(Online::Version(o))) = online
        && o == id
    {
        return ReleaseDecision::none("online");
    }
    let (action, reason, attention) = approval;
    if action.is_some() || attention.is_some() || observed != Observed::Approved {
        let reason = match observed {
            Observed::Processing => "waiting for approval; released once approved".to_string(),
            _ if action == Some(Action::Submit) => {
                format!("{reason}; released in a later run, once approved")
            }
            _ => reason,
        };
        return ReleaseDecision {
            action,
            reason,
            attention,
            needs_allow_rollback: false,
        };
    }
    let Some(program) = program else {
        return ReleaseDecision::none(
            "approved; which version is online is not known (the mini program was not listed)",
        );
    };
    match program.online() {
        Err(anomaly) => ReleaseDecision::attention("approved; the listing does not fit", anomaly),
        Ok(Online::Nothing) => ReleaseDecision {
            action: Some(Action::Release),
            reason: "approved; no version is online yet".to_string(),
            attention: None,
            needs_allow_rollback: false,
        },
        Ok(Online::Version(o)) if id > o => ReleaseDecision {
            action: Some(Action::Release),
            reason: format!("approved; newer than the online version {o}"),
            attention: None,
            needs_allow_rollback: false,
        },
        Ok(Online::Version(o)) => match &program.released {
            Some(released) if released.contains(&id) => ReleaseDecision {
                action: Some(Action::Rollback),
                reason: if allow_rollback {
                    format!("older than the online version {o} and released before: rolling back")
                } else {
                    format!(
                        "older than the online version {o} and released before: a rollback, which needs --allow-rollback"
                    )
                },
                attention: None,
                needs_allow_rollback: !allow_rollback,
            },
            Some(_) => ReleaseDecision::attention(
                format!("older than the online version {o}, never released"),
                format!(
                    "older than the online version {o} and never released: the platform only releases newer versions; declare a newer version"
                ),
            ),
            None => ReleaseDecision::attention(
                format!("older than the online version {o}"),
                format!(
                    "older than the online version {o}, and whether it was ever released is not known; plan with a refresh"
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcmpp::model::StageVersion;

    fn program(online: Option<i64>, released: Option<&[i64]>) -> Program {
        let listing: Vec<StageVersion> = [100, 101, 102, 103]
            .into_iter()
            .map(|id| StageVersion {
                mnp_version_id: Some(id),
                mnp_version: Some(format!("1.0.{id}")),
                phase: Some(
                    if Some(id) == online {
                        "Online"
                    } else {
                        "Platform"
                    }
                    .to_string(),
                ),
                ..StageVersion::default()
            })
            .collect();
        let mut p = Program::from_listing(&listing);
        p.released = released.map(|r| r.iter().copied().collect());
        p
    }

    fn approved() -> (Option<Action>, String, Option<String>) {
        (None, "approved".to_string(), None)
    }

    #[test]
    fn the_table_row_by_row() {
        let p = program(Some(102), Some(&[100, 102]));
        let row = |id, observed, approval, allow| {
            let d = decide_release(id, observed, approval, Some(&p), allow);
            (
                d.action,
                d.attention.is_some(),
                d.needs_allow_rollback,
                d.reason,
            )
        };
        // Approved, newer than online: release.
        assert_eq!(
            row(103, Observed::Approved, approved(), false),
            (
                Some(Action::Release),
                false,
                false,
                "approved; newer than the online version 102".to_string()
            )
        );
        // Processing: waiting.
        assert_eq!(
            row(
                103,
                Observed::Processing,
                (None, "in place".into(), None),
                false
            ),
            (
                None,
                false,
                false,
                "waiting for approval; released once approved".to_string()
            )
        );
        // Rejected: the approval row's attention stands.
        let rejected = row(
            103,
            Observed::Rejected,
            (None, "rejected".into(), Some("rejected by r".into())),
            false,
        );
        assert_eq!((rejected.0, rejected.1), (None, true));
        // Online already.
        assert_eq!(row(102, Observed::Approved, approved(), false).3, "online");
        // Older, released before: rollback, held without the flag.
        assert_eq!(
            row(100, Observed::Approved, approved(), false).0,
            Some(Action::Rollback)
        );
        assert!(row(100, Observed::Approved, approved(), false).2);
        assert!(!row(100, Observed::Approved, approved(), true).2);
        // Older, never released: attention, no action.
        let never = row(101, Observed::Approved, approved(), true);
        assert_eq!((never.0, never.1), (None, true));
        // None / cancelled: the submit stands; the release follows later.
        let submit = row(
            103,
            Observed::None,
            (Some(Action::Submit), "no approval request yet".into(), None),
            false,
        );
        assert_eq!(submit.0, Some(Action::Submit));
        assert_eq!(
            submit.3,
            "no approval request yet; released in a later run, once approved"
        );
    }

    #[test]
    fn nothing_online_releases_and_an_anomaly_asks_a_person() {
        let empty = program(None, None);
        let d = decide_release(101, Observed::Approved, approved(), Some(&empty), false);
        assert_eq!(d.action, Some(Action::Release));
        let mut two = program(Some(102), None);
        two.versions.get_mut(&101).unwrap().phase = Some("Online".into());
        let d = decide_release(103, Observed::Approved, approved(), Some(&two), true);
        assert_eq!(d.action, None);
        assert!(
            d.attention
                .unwrap()
                .contains("2 versions online (101, 102)")
        );
        let unlisted = decide_release(103, Observed::Approved, approved(), None, true);
        assert_eq!(unlisted.action, None);
        let no_history = decide_release(
            100,
            Observed::Approved,
            approved(),
            Some(&program(Some(102), None)),
            true,
        );
        assert_eq!(no_history.action, None);
        assert!(
            no_history
                .attention
                .unwrap()
                .contains("plan with a refresh")
        );
    }
}
