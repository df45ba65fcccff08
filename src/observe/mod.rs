//! What the platform shows of a version, and the rules that read it — each rule in one place:
//!
//! - **The latest record per version wins** ([`observe_records`]): newer `ApplyTime` first, then
//!   the listing's own order (newest first).
//! - **Status 0 (Pending) is in flight, like 1 (Processing)** ([`status_of`]), everywhere a
//!   status code is read.
//! - **Claims** ([`claimed`]): before a submit is sent, the approval numbers the last listing
//!   showed for that version are noted; the first later listing that shows a number not among
//!   them shows the approval that submit created, so it is mnpsync's — whether the reply arrived
//!   or was lost to a timeout, a crash or a shutdown. (A person who submitted the same version in
//!   that window wanted the same thing; DESIGN.md §10.)
//! - **"Already" answers are confirmed with a listing taken after the call** ([`confirm`]):
//!   `ExistMNPApprovalRecord` on a submit and `MNPApprovalStatusError` on a cancel say what the
//!   platform refused, not what it holds.
//!
//! Pure: no I/O. The executor takes the listings; the records keep what they show.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::manifest::Key;
use crate::record::Outcome;

mod program;

use crate::tcmpp::model::ApplyAction;
use crate::tcmpp::model::ApprovalRecord;
pub use program::{MnpKey, Online, Program, StageSeen, by_name, from_names};

/// At most this many approval numbers are kept per version (newest first).
pub const APPROVALS_KEPT: usize = 20;

/// What is known of one version on the platform.
#[non_exhaustive]
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Observed {
    /// No approval record exists.
    None,
    /// In flight: status 1 (Processing) or 0 (Pending).
    Processing,
    Approved,
    Rejected,
    Cancelled,
    /// Neither a refresh nor the state file knows.
    #[default]
    Unknown,
    /// The platform reports an approval status code mnpsync does not know: never acted on.
    Unrecognized,
}

impl Observed {
    pub fn as_str(self) -> &'static str {
        match self {
            Observed::None => "none",
            Observed::Processing => "processing",
            Observed::Approved => "approved",
            Observed::Rejected => "rejected",
            Observed::Cancelled => "cancelled",
            Observed::Unknown => "unknown",
            Observed::Unrecognized => "unrecognized",
        }
    }
}

impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The observed state of an `ApprovalStatus` code: 0 (Pending) and 1 (Processing) are in flight;
/// `None` for codes the API does not document (see [`Observed::Unrecognized`]).
pub fn status_of(code: i64) -> Option<Observed> {
    match code {
        0 | 1 => Some(Observed::Processing),
        2 => Some(Observed::Rejected),
        3 => Some(Observed::Approved),
        4 => Some(Observed::Cancelled),
        _ => None,
    }
}

/// One version as a listing (or the records) show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The latest record's state.
    pub status: Observed,
    /// Every approval number seen for the version, newest first (at most [`APPROVALS_KEPT`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    /// The mini program the version belongs to, when the listing says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnp_id: Option<String>,
    /// The status code of the latest record when mnpsync does not know it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_code: Option<i64>,
    /// The reviewer's decision on the latest record, when the listing has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

/// What the reviewer said of an approval request (`ApprovalNote`, `ApprovalUser`,
/// `ApprovalTime`, `ApprovalNo` of the listing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_no: Option<String>,
}

impl Review {
    /// ` at TIME (approval NO): NOTE`, as much as is known (the user is the caller's).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(time) = &self.time {
            out.push_str(&format!(" at {time}"));
        }
        if let Some(no) = &self.approval_no {
            out.push_str(&format!(" (approval {no})"));
        }
        if let Some(note) = self.note.as_deref().filter(|n| !n.trim().is_empty()) {
            out.push_str(&format!(": {note}"));
        }
        out
    }
}

impl From<Observed> for Observation {
    fn from(status: Observed) -> Self {
        Observation {
            status,
            ..Observation::default()
        }
    }
}

impl Observation {
    /// The newest approval number, if any is known.
    pub fn latest_approval(&self) -> Option<&str> {
        self.approvals.first().map(String::as_str)
    }
}

/// Observations per version of one platform, from its approval records. Versions with no
/// record are absent (the caller decides whether that means `none`).
pub fn observe_records(
    platform_id: &str,
    records: &[ApprovalRecord],
) -> BTreeMap<Key, Observation> {
    // (time, observation) of the latest record per version, plus every number seen.
    let mut latest: BTreeMap<Key, (&str, Observation)> = BTreeMap::new();
    let mut numbers: BTreeMap<Key, Vec<(&str, usize, String)>> = BTreeMap::new();
    for (position, record) in records.iter().enumerate() {
        let (Some(version), Some(code)) = (record.mnp_version_id, record.approval_status) else {
            continue;
        };
        let status = status_of(code).unwrap_or(Observed::Unrecognized);
        let time = record.apply_time.as_deref().unwrap_or("");
        let key = Key::new(platform_id, version);
        if let Some(no) = record.approval_no.as_deref().filter(|n| !n.is_empty()) {
            numbers
                .entry(key.clone())
                .or_default()
                .push((time, position, no.to_string()));
        }
        // Newer time wins; at equal times the earlier position (newest first) wins.
        let newer = match latest.get(&key) {
            None => true,
            Some((t, _)) => time > *t,
        };
        if newer {
            let review =
                matches!(status, Observed::Approved | Observed::Rejected).then(|| Review {
                    note: record.approval_note.clone(),
                    user: record.approval_user.clone(),
                    time: record.approval_time.clone(),
                    approval_no: record.approval_no.clone(),
                });
            let observation = Observation {
                status,
                approvals: Vec::new(),
                mnp_id: record.mnp_id.clone(),
                unknown_code: (status == Observed::Unrecognized).then_some(code),
                review,
            };
            latest.insert(key, (time, observation));
        }
    }
    latest
        .into_iter()
        .map(|(key, (_, mut observation))| {
            if let Some(mut seen) = numbers.remove(&key) {
                // Newest first: later time first, then the listing's order.
                seen.sort_by(|a, b| b.0.cmp(a.0).then(a.1.cmp(&b.1)));
                let mut approvals: Vec<String> = Vec::new();
                for (_, _, no) in seen {
                    if !approvals.contains(&no) {
                        approvals.push(no);
                    }
                }
                approvals.truncate(APPROVALS_KEPT);
                observation.approvals = approvals;
            }
            (key, observation)
        })
        .collect()
}

/// The approval a submit created, by the claim rule: the oldest number `seen` shows that the
/// `baseline` (noted before the submit was sent) did not. The oldest, because the platform holds
/// one pending request per mini program: anything newer was made after the submit's own
/// approval left processing (a person resubmitting after a rejection).
pub fn claimed(baseline: &[String], seen: &Observation) -> Option<String> {
    seen.approvals
        .iter()
        .rev()
        .find(|no| !baseline.contains(no))
        .cloned()
}

/// Whether the newest approval `seen` shows for a version is mnpsync's, given the approval it
/// owns and an open claim's baseline. Unknowable cases (no numbers listed, no ownership
/// recorded by an older mnpsync) count as mnpsync's, as before ownership was per approval.
pub fn owns_latest(owned: Option<&str>, baseline: Option<&[String]>, seen: &Observation) -> bool {
    let Some(latest) = seen.latest_approval() else {
        return true;
    };
    let ours = owned
        .map(str::to_string)
        .or_else(|| baseline.and_then(|b| claimed(b, seen)));
    match ours {
        Some(ours) => ours == latest,
        None => baseline.is_none(),
    }
}

/// The outcome of an "already" answer, once a listing of the platform taken after the call is
/// in: `ExistMNPApprovalRecord` on a submit, `MNPApprovalStatusError` on a cancel. `declared`
/// names the manifests' versions (for naming the holder of a pending request).
pub fn confirm(
    action: ApplyAction,
    key: &Key,
    after: &BTreeMap<Key, Observation>,
    declared: &dyn Fn(&Key) -> Option<String>,
) -> (Outcome, String) {
    let this = after
        .get(key)
        .cloned()
        .unwrap_or_else(|| Observation::from(Observed::None));
    match action {
        ApplyAction::Submit => {
            if this.status == Observed::Processing {
                return (
                    Outcome::AlreadyInPlace,
                    "an approval request is already in place".to_string(),
                );
            }
            let holders: Vec<String> = after
                .iter()
                .filter(|(k, o)| {
                    *k != key
                        && o.status == Observed::Processing
                        && (this.mnp_id.is_none() || o.mnp_id.is_none() || o.mnp_id == this.mnp_id)
                })
                .map(|(k, _)| match declared(k) {
                    Some(at) => format!("{k} (declared in {at})"),
                    None => k.to_string(),
                })
                .collect();
            let holder = if holders.is_empty() {
                "another version of this mini program".to_string()
            } else {
                holders.join(", ")
            };
            (
                Outcome::Blocked,
                format!(
                    "blocked: {holder} holds the pending approval request on platform {}; declare `approval: cancelled` for it to cancel it first",
                    key.platform_id
                ),
            )
        }
        ApplyAction::Cancel => match this.status {
            Observed::None | Observed::Cancelled | Observed::Unknown => (
                Outcome::AlreadyCancelled,
                "nothing pending to cancel".to_string(),
            ),
            Observed::Rejected => (
                Outcome::AlreadyCancelled,
                "nothing pending to cancel: the reviewer rejected it before the cancel arrived"
                    .to_string(),
            ),
            Observed::Approved => (
                Outcome::Blocked,
                "blocked: approved before the cancel arrived; it cannot be cancelled".to_string(),
            ),
            Observed::Processing | Observed::Unrecognized => (
                Outcome::Failed,
                format!(
                    "the API answered MNPApprovalStatusError, but the listing shows the request {}; run again",
                    this.status
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(v: i64, status: i64, time: &str, no: &str) -> ApprovalRecord {
        ApprovalRecord {
            mnp_version_id: Some(v),
            approval_status: Some(status),
            apply_time: Some(time.into()),
            approval_no: Some(no.into()),
            ..Default::default()
        }
    }

    #[test]
    fn latest_record_per_version_wins() {
        let records = [
            rec(1, 1, "2026-01-02 00:00:00", "a2"),
            rec(1, 4, "2026-01-01 00:00:00", "a1"),
            rec(2, 4, "2026-01-01 00:00:00", "b1"),
            rec(2, 3, "2026-01-03 00:00:00", "b2"),
            rec(3, 9, "2026-01-03 00:00:00", "c1"),
        ];
        let observed: BTreeMap<Key, Observed> = observe_records("P", &records)
            .into_iter()
            .map(|(k, o)| (k, o.status))
            .collect();
        assert_eq!(
            observed,
            BTreeMap::from([
                (Key::new("P", 1), Observed::Processing),
                (Key::new("P", 2), Observed::Approved),
                // An undocumented code is kept, never dropped: it must not look like "no request".
                (Key::new("P", 3), Observed::Unrecognized),
            ])
        );
    }

    #[test]
    fn pending_is_in_flight_and_numbers_are_newest_first() {
        let records = [
            rec(1, 4, "2026-01-01 00:00:00", "a1"),
            rec(1, 0, "2026-01-02 00:00:00", "a2"),
        ];
        let seen = &observe_records("P", &records)[&Key::new("P", 1)];
        assert_eq!(seen.status, Observed::Processing);
        assert_eq!(seen.approvals, vec!["a2", "a1"]);
        assert_eq!(seen.latest_approval(), Some("a2"));
        assert_eq!(status_of(0), Some(Observed::Processing));
        assert_eq!(status_of(5), None);
    }

    #[test]
    fn a_claim_is_the_oldest_number_the_baseline_lacks() {
        let seen = Observation {
            status: Observed::Processing,
            approvals: vec!["n3".into(), "n2".into(), "n1".into()],
            mnp_id: None,
            ..Observation::default()
        };
        // The oldest new number is the submit's own; a newer one is a person's resubmit.
        assert_eq!(claimed(&["n1".into()], &seen), Some("n2".into()));
        assert!(!owns_latest(None, Some(&["n1".to_string()]), &seen));
        assert!(owns_latest(Some("n3"), None, &seen));
        assert!(!owns_latest(Some("n2"), None, &seen));
        assert!(
            owns_latest(None, None, &seen),
            "no ownership recorded: as before"
        );
        assert_eq!(
            claimed(&["n1".into(), "n2".into(), "n3".into()], &seen),
            None
        );
        assert_eq!(claimed(&[], &Observation::default()), None);
    }

    #[test]
    fn already_answers_are_read_from_the_listing_after_the_call() {
        let key = Key::new("P", 2);
        let with = |status: Observed| {
            BTreeMap::from([(
                key.clone(),
                Observation {
                    status,
                    approvals: vec![],
                    mnp_id: Some("mnp".into()),
                    ..Observation::default()
                },
            )])
        };
        let none = |_: &Key| None;
        let rows = [
            (
                ApplyAction::Cancel,
                Observed::Cancelled,
                Outcome::AlreadyCancelled,
                "nothing pending",
            ),
            (
                ApplyAction::Cancel,
                Observed::None,
                Outcome::AlreadyCancelled,
                "nothing pending",
            ),
            (
                ApplyAction::Cancel,
                Observed::Rejected,
                Outcome::AlreadyCancelled,
                "reviewer rejected it",
            ),
            (
                ApplyAction::Cancel,
                Observed::Approved,
                Outcome::Blocked,
                "approved before the cancel arrived; it cannot be cancelled",
            ),
            (
                ApplyAction::Cancel,
                Observed::Processing,
                Outcome::Failed,
                "run again",
            ),
            (
                ApplyAction::Submit,
                Observed::Processing,
                Outcome::AlreadyInPlace,
                "already in place",
            ),
        ];
        for (action, status, outcome, words) in rows {
            let (got, message) = confirm(action, &key, &with(status), &none);
            assert_eq!(got, outcome, "{action} {status}");
            assert!(message.contains(words), "{action} {status}: {message}");
        }
        // The holder of the pending request is named, with its manifest when declared.
        let mut after = with(Observed::Approved);
        after.insert(
            Key::new("P", 1),
            Observation {
                status: Observed::Processing,
                approvals: vec![],
                mnp_id: Some("mnp".into()),
                ..Observation::default()
            },
        );
        after.insert(
            Key::new("P", 9),
            Observation {
                status: Observed::Processing,
                approvals: vec![],
                mnp_id: Some("other".into()),
                ..Observation::default()
            },
        );
        let (outcome, message) = confirm(ApplyAction::Submit, &key, &after, &|k: &Key| {
            (k.mnp_version_id == 1).then(|| "manifests/shop.yaml:3".to_string())
        });
        assert_eq!(outcome, Outcome::Blocked);
        assert_eq!(
            message,
            "blocked: P/1 (declared in manifests/shop.yaml:3) holds the pending approval request on platform P; declare `approval: cancelled` for it to cancel it first"
        );
    }
}
