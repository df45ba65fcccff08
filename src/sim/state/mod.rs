//! The simulated platform's approval records and release histories, and the rules that change
//! them: submit, cancel, list, approve/reject (by hand or automatically), describe a mini
//! program's versions and releases, release, roll back.
//!
//! Pure: every operation takes typed, already-validated parameters and the current time ([`Now`])
//! and returns data or an [`ApiError`]. It must not know about HTTP, signing, rate limits, faults
//! or read clocks itself, and must not change anything when it returns an error.
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
//! - Auto-approve (`SimConfig::auto_approve`): before each operation, every processing (or
//!   pending) approval at least that old by tokio's clock is approved by `auto-approve`, with an
//!   empty note.
//! - Release rules, phases and rollbacks: see `versions` and `release`.
//! - Times are rendered as `YYYY-MM-DD HH:MM:SS` in Beijing time (UTC+8), like the console.
//!
//! # Layout
//!
//! - `records`: the shared types — an approval as stored, as reported ([`SimApproval`]), and
//!   how a record's descriptive fields come from the fixture or the defaults.
//! - `create`: `CreateMNPApproval` (submit, cancel).
//! - `list`: `DescribeMNPApprovalList`.
//! - `process`: `ProcessMNPApproval`, approving or rejecting as the approver would, and
//!   auto-approve.
//! - `versions`: `DescribeMNPAllStageVersions` and `DescribeMNPReleasedVersionHistory`.
//! - `release`: `ReleaseMNPVersion` and `RollbackMNPVersion`.
//!
//! This file owns [`State`] itself: seeding from the fixture, the lookups every action family
//! shares, and the list of every approval.

mod create;
mod list;
mod process;
mod records;
mod release;
mod versions;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use tokio::time::Instant;

use super::error::{ApiError, codes};
use super::fixture::Fixture;
use crate::tcmpp::model::ApprovalStatus;
use records::{APPROVAL_USER, Approval, PlatformView, Release, Releases};

pub use records::SimApproval;

/// The time an operation happens at, on both clocks the state uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Now {
    /// The simulator clock (unix seconds), for the times records show.
    pub(crate) unix: i64,
    /// tokio's monotonic clock, for ages (auto-approve); tests pause and advance it.
    pub(crate) instant: Instant,
}

/// All approvals and release histories of all platforms, and the fixture that describes
/// platforms and versions.
#[derive(Debug, Clone)]
pub(crate) struct State {
    fixture: Option<Fixture>,
    /// In creation order.
    approvals: Vec<Approval>,
    next_no: u64,
    /// Per (platform, `MNPId`): what has been online, and how many releases the simulator did.
    releases: BTreeMap<(String, String), Releases>,
    /// When the simulator started: the `CreateTime` of every version.
    started: i64,
}

impl State {
    /// A state holding the fixture's pre-existing approvals (created at `now`, in file order)
    /// and release histories (released at `now`).
    /// Approvals the rules would refuse (a second processing one for a mini program) are skipped
    /// with a warning; `Fixture::validate` rejects such fixtures up front.
    pub(crate) fn new(fixture: Option<Fixture>, now: Now) -> State {
        let releases = fixture
            .iter()
            .flat_map(|f| &f.platforms)
            .flat_map(|p| p.mini_programs.iter().map(move |m| (p, m)))
            .filter(|(_, m)| !m.released.is_empty())
            .map(|(p, m)| {
                let history = m
                    .released
                    .iter()
                    .map(|&version_id| Release {
                        version_id,
                        time: now.unix,
                    })
                    .collect();
                ((p.id.clone(), m.id.clone()), Releases { history, count: 0 })
            })
            .collect();
        let mut state = State {
            fixture,
            approvals: Vec::new(),
            next_no: 1,
            releases,
            started: now.unix,
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
                    ApprovalStatus::Cancelled => a.approval_time = Some(now.unix),
                    ApprovalStatus::Approved | ApprovalStatus::Rejected => {
                        a.approval_time = Some(now.unix);
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

    fn new_approval(&mut self, platform_id: &str, version_id: i64, now: Now) -> String {
        let approval_no = format!("MNPA{:012}", self.next_no);
        self.next_no += 1;
        self.approvals.push(Approval {
            platform_id: platform_id.to_string(),
            approval_no: approval_no.clone(),
            mnp_version_id: version_id,
            status: ApprovalStatus::Processing,
            apply_time: now.unix,
            applied_at: now.instant,
            approval_time: None,
            approval_user: None,
            approval_note: None,
            listed_code: None,
        });
        approval_no
    }

    /// The latest approval of a version (by creation order), if it has any.
    fn latest_approval(&self, platform_id: &str, version_id: i64) -> Option<&Approval> {
        self.approvals
            .iter()
            .rev()
            .find(|a| a.platform_id == platform_id && a.mnp_version_id == version_id)
    }

    /// The release history of a mini program, if it has ever been released.
    fn releases_of(&self, platform_id: &str, mnp_id: &str) -> Option<&Releases> {
        self.releases
            .get(&(platform_id.to_string(), mnp_id.to_string()))
    }

    /// The online version of a mini program: the last of its release history.
    fn online_of(&self, platform_id: &str, mnp_id: &str) -> Option<i64> {
        self.releases_of(platform_id, mnp_id)
            .and_then(|r| r.history.last())
            .map(|r| r.version_id)
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
