//! `DescribeMNPAllStageVersions` and `DescribeMNPReleasedVersionHistory`: a mini program's
//! versions with their phase and latest approval, and what has been online.
//!
//! Rules (documented choices where the real service's behaviour is not published):
//! - The mini programs of a platform are the fixture's, plus `mnp-<n>` for every version `n` the
//!   fixture does not list (that version alone). Any other `MNPId` is
//!   `InvalidParameterValue.InvalidMNPId` (the code the SDK documents for both actions) — except
//!   without a fixture, where it has no versions and no releases (an empty answer).
//! - Versions are listed newest first (by `MNPVersionId`, i.e. upload order); the history is
//!   newest first too (the last release or rollback first).
//! - `Phase`: `Develop` for a version not in the platform phase, `Online` for the online one
//!   (the last of the history), else `Platform`. `ApprovalStatus`/`VersionCurrentStatus` and
//!   `ApprovalNo` are those of the version's latest approval (null without one), the status as
//!   the approval list shows it.
//!
//! Pure and read-only: it must not change the state, and reads work on expired platforms too.

use super::State;
use super::records::{APPLY_USER, PlatformView, format_time};
use crate::sim::error::{ApiError, codes};
use crate::tcmpp::model::{
    MnpRequest, PHASE_DEVELOP, PHASE_ONLINE, PHASE_PLATFORM, ReleasedVersion,
    ReleasedVersionHistory, StageVersion,
};

/// `Status` ("release status") of every stage version. Its values are undocumented, so the
/// simulator sends one fixed value; mnpsync never reads it.
const STAGE_STATUS: i64 = 0;

/// `ShowCase` of every stage version: 0, not a preview version.
const NOT_A_PREVIEW: i64 = 0;

impl State {
    /// The platform and the versions of the mini program `req` names (fixture order), or the
    /// error the describes answer.
    fn described<'a>(
        &'a self,
        req: &'a MnpRequest,
    ) -> Result<(PlatformView<'a>, Vec<i64>), ApiError> {
        let platform = self.known_platform(&req.platform_id)?;
        match platform.versions_of(&req.mnp_id) {
            Some(versions) => Ok((platform, versions)),
            None if self.fixture.is_none() => Ok((platform, Vec::new())),
            None => Err(ApiError::new(
                codes::INVALID_MNP_ID,
                format!(
                    "The MNPId `{}` is invalid: platform `{}` has no such mini program.",
                    req.mnp_id, req.platform_id
                ),
            )),
        }
    }

    /// `DescribeMNPAllStageVersions`: every version of a mini program, newest first.
    pub(crate) fn stage_versions(&self, req: &MnpRequest) -> Result<Vec<StageVersion>, ApiError> {
        let (platform, mut versions) = self.described(req)?;
        versions.sort_unstable_by(|a, b| b.cmp(a));
        let mnp = platform.mini_program(&req.mnp_id);
        let online = self.online_of(&req.platform_id, &req.mnp_id);
        Ok(versions
            .into_iter()
            .map(|id| {
                let phase = if !platform.in_platform_phase(id) {
                    PHASE_DEVELOP
                } else if online == Some(id) {
                    PHASE_ONLINE
                } else {
                    PHASE_PLATFORM
                };
                let latest = self.latest_approval(&req.platform_id, id);
                let status = latest.map(|a| a.listed_code.unwrap_or_else(|| a.status.code()));
                StageVersion {
                    mnp_id: Some(req.mnp_id.clone()),
                    mnp_version_id: Some(id),
                    mnp_name: Some(platform.mnp_name(&req.mnp_id)),
                    mnp_icon: mnp.and_then(|m| m.icon.clone()),
                    mnp_type: mnp.and_then(|m| m.mnp_type.clone()),
                    mnp_intro: None,
                    mnp_desc: None,
                    create_user: Some(APPLY_USER.to_string()),
                    create_time: Some(format_time(self.started)),
                    mnp_version: Some(platform.version_string(id)),
                    mnp_version_intro: Some(platform.version_intro(id)),
                    phase: Some(phase.to_string()),
                    approval_status: status,
                    approval_no: latest.map(|a| a.approval_no.clone()),
                    show_case: Some(NOT_A_PREVIEW),
                    rollback_version: None,
                    status: Some(STAGE_STATUS),
                    version_current_status: status,
                }
            })
            .collect())
    }

    /// `DescribeMNPReleasedVersionHistory`: every release and rollback of a mini program,
    /// newest first.
    pub(crate) fn release_history(
        &self,
        req: &MnpRequest,
    ) -> Result<ReleasedVersionHistory, ApiError> {
        let (platform, _) = self.described(req)?;
        let data_list: Vec<ReleasedVersion> = self
            .releases_of(&req.platform_id, &req.mnp_id)
            .into_iter()
            .flat_map(|r| r.history.iter().rev())
            .map(|release| ReleasedVersion {
                mnp_id: Some(req.mnp_id.clone()),
                mnp_version: Some(platform.version_string(release.version_id)),
                mnp_version_id: Some(release.version_id),
                mnp_version_note: Some(platform.version_intro(release.version_id)),
                update_time: Some(format_time(release.time)),
            })
            .collect();
        Ok(ReleasedVersionHistory {
            total_count: i64::try_from(data_list.len()).unwrap_or(i64::MAX),
            data_list,
        })
    }
}
