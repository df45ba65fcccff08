//! The simulated platform's approval records and the rules that change them: submit, cancel,
//! list, approve/reject.
//!
//! Pure: every operation takes typed, already-validated parameters and the current unix time and
//! returns data or an [`ApiError`]. It must not know about HTTP, signing, rate limits, faults or
//! clocks, and must not change anything when it returns an error.
//!
//! Rules (documented choices where the real service's behaviour is not published):
//! - Each approval belongs to a platform and a version; a version belongs to a mini program (the
//!   fixture says which; otherwise version `N` is the mini program `mnp-N`).
//! - submit: fails with `FailedOperation.ExistMNPApprovalRecord` while any version of the same
//!   mini program has a processing approval; otherwise creates a new processing approval. A
//!   version whose earlier approval was cancelled, rejected *or approved* may be submitted again:
//!   each submit is a new record.
//! - cancel: the version's processing approval becomes cancelled; without one,
//!   `InvalidParameterValue.MNPApprovalStatusError`.
//! - Check order of `CreateMNPApproval`: `MNPVersionId` > 0, platform known, package not expired,
//!   then for submit: team associated, version in platform phase, no processing approval.
//! - `ProcessMNPApproval`: unknown `ApprovalNo` → `ResourceNotFound.ApprovalNotExist`; not
//!   processing → `InvalidParameterValue.MNPApprovalStatusError`. The item whose `AppId` is the
//!   record's `ApplicationId` decides the result; when none matches, the first item does.
//! - `DescribeMNPApprovalList` is newest first (by creation order); `Keyword` matches `MNPName`,
//!   `MNPId` or `MNPVersion` as a case-insensitive substring; `ApplicationId`/`TeamId` match
//!   exactly; reads work on expired platforms too.
//! - Times are rendered as `YYYY-MM-DD HH:MM:SS` in Beijing time (UTC+8), like the console.
//!
//! # Layout
//!
//! - `records`: the shared types — an approval as stored, as reported ([`SimApproval`]), and
//!   how a record's descriptive fields come from the fixture or the defaults.
//! - `create`: `CreateMNPApproval` (submit, cancel).
//! - `list`: `DescribeMNPApprovalList`.
//! - `process`: `ProcessMNPApproval`, and approving or rejecting as the approver would.
//!
//! This file owns [`State`] itself: seeding from the fixture, the lookups every action family
//! shares, and the list of every approval.

mod create;
mod list;
mod process;
mod records;

#[cfg(test)]
mod tests;

use super::error::{ApiError, codes};
use super::fixture::Fixture;
use crate::tcmpp::model::ApprovalStatus;
use records::{APPROVAL_USER, Approval, PlatformView};

pub use records::SimApproval;

/// All approvals of all platforms, and the fixture that describes platforms and versions.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    fixture: Option<Fixture>,
    /// In creation order.
    approvals: Vec<Approval>,
    next_no: u64,
}

impl State {
    /// A state holding the fixture's pre-existing approvals (created at `now`, in file order).
    /// Approvals the rules would refuse (a second processing one for a mini program) are skipped
    /// with a warning; `Fixture::validate` rejects such fixtures up front.
    pub(crate) fn new(fixture: Option<Fixture>, now: i64) -> State {
        let mut state = State {
            fixture,
            approvals: Vec::new(),
            next_no: 1,
        };
        type Seed = (String, i64, ApprovalStatus, Option<String>, Option<i64>);
        let seeds: Vec<Seed> = state
            .fixture
            .iter()
            .flat_map(|f| &f.platforms)
            .flat_map(|p| {
                p.approvals
                    .iter()
                    .map(|a| (p.id.clone(), a.version, a.status, a.note.clone(), a.code))
            })
            .collect();
        for (platform_id, version, status, note, code) in seeds {
            let mnp = state.view(&platform_id).mnp_of(version);
            if status == ApprovalStatus::Processing
                && state.processing_of_mnp(&platform_id, &mnp).is_some()
            {
                tracing::warn!(
                    platform_id,
                    version,
                    "fixture approval skipped: its mini program already has a processing approval"
                );
                continue;
            }
            let no = state.new_approval(&platform_id, version, now);
            if let Some(a) = state.approvals.iter_mut().find(|a| a.approval_no == no) {
                a.status = status;
                a.approval_note = note;
                a.listed_code = code;
                match status {
                    ApprovalStatus::Processing => {}
                    ApprovalStatus::Cancelled => a.approval_time = Some(now),
                    ApprovalStatus::Approved | ApprovalStatus::Rejected => {
                        a.approval_time = Some(now);
                        a.approval_user = Some(APPROVAL_USER.to_string());
                    }
                }
            }
        }
        state
    }

    fn view<'a>(&'a self, platform_id: &'a str) -> PlatformView<'a> {
        PlatformView {
            id: platform_id,
            fixture: self.fixture.as_ref().and_then(|f| f.platform(platform_id)),
        }
    }

    /// The platform, or `InvalidPlatformId` when it is blank, contains control characters, or
    /// the fixture does not list it.
    fn known_platform<'a>(&'a self, platform_id: &'a str) -> Result<PlatformView<'a>, ApiError> {
        let view = self.view(platform_id);
        let unknown = platform_id.trim().is_empty()
            || platform_id.chars().any(char::is_control)
            || (self.fixture.is_some() && view.fixture.is_none());
        if unknown {
            Err(ApiError::invalid_platform(platform_id))
        } else {
            Ok(view)
        }
    }

    fn processing_of_mnp(&self, platform_id: &str, mnp_id: &str) -> Option<usize> {
        let view = self.view(platform_id);
        self.approvals.iter().position(|a| {
            a.platform_id == platform_id
                && a.status == ApprovalStatus::Processing
                && view.mnp_of(a.mnp_version_id) == mnp_id
        })
    }

    fn new_approval(&mut self, platform_id: &str, version_id: i64, now: i64) -> String {
        let approval_no = format!("MNPA{:012}", self.next_no);
        self.next_no += 1;
        self.approvals.push(Approval {
            platform_id: platform_id.to_string(),
            approval_no: approval_no.clone(),
            mnp_version_id: version_id,
            status: ApprovalStatus::Processing,
            apply_time: now,
            approval_time: None,
            approval_user: None,
            approval_note: None,
            listed_code: None,
        });
        approval_no
    }

    /// Every approval of every platform, oldest first.
    pub(crate) fn approvals(&self) -> Vec<SimApproval> {
        self.approvals
            .iter()
            .map(|a| SimApproval {
                platform_id: a.platform_id.clone(),
                record: self.view(&a.platform_id).record(a),
            })
            .collect()
    }
}

fn package_expired() -> ApiError {
    ApiError::new(
        codes::PACKAGE_ALREADY_EXPIRED,
        "The package of this platform has expired.",
    )
}
