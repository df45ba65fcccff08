//! `CreateMNPApproval`: submitting a version for approval, and cancelling its processing
//! approval (rules and check order in the `state` module docs).
//!
//! Pure, like all of `state`: it must not change anything when it returns an error.

use super::{Now, State, package_expired};
use crate::sim::error::{ApiError, codes};
use crate::tcmpp::model::{ApplyAction, ApprovalStatus, CreateMnpApprovalRequest};

impl State {
    /// `CreateMNPApproval`: submit or cancel the approval of a version. Returns the
    /// `ApprovalNo` a submit created (`None` for a cancel).
    pub(crate) fn create(
        &mut self,
        req: &CreateMnpApprovalRequest,
        now: Now,
    ) -> Result<Option<String>, ApiError> {
        if req.mnp_version_id <= 0 {
            return Err(ApiError::invalid_value(format!(
                "The parameter `MNPVersionId` must be a positive integer, got {}.",
                req.mnp_version_id
            )));
        }
        let platform = self.known_platform(&req.platform_id)?;
        if platform.package_expired() {
            return Err(package_expired());
        }
        let version = req.mnp_version_id;
        match req.apply_action {
            ApplyAction::Submit => {
                if !platform.team_associated() {
                    return Err(ApiError::new(
                        codes::MNP_TEAM_NOT_ASSOCIATED,
                        "The team of the mini program is not associated with the team of the application.",
                    ));
                }
                if !platform.in_platform_phase(version) {
                    return Err(ApiError::new(
                        codes::MNP_VERSION_NOT_PLATFORM_PHASE,
                        format!("The mini program version {version} is not in the platform phase."),
                    ));
                }
                let mnp = platform.mnp_of(version);
                if self.processing_of_mnp(&req.platform_id, &mnp).is_some() {
                    return Err(ApiError::new(
                        codes::EXIST_MNP_APPROVAL_RECORD,
                        "There is an ongoing approval request for this mini program",
                    ));
                }
                Ok(Some(self.new_approval(&req.platform_id, version, now)))
            }
            ApplyAction::Cancel => {
                let found = self.approvals.iter_mut().find(|a| {
                    a.platform_id == req.platform_id
                        && a.mnp_version_id == version
                        && a.status == ApprovalStatus::Processing
                });
                match found {
                    Some(a) => {
                        a.status = ApprovalStatus::Cancelled;
                        a.approval_time = Some(now.unix);
                        a.listed_code = None;
                        Ok(None)
                    }
                    None => Err(ApiError::new(
                        codes::MNP_APPROVAL_STATUS_ERROR,
                        format!(
                            "The mini program version {version} has no approval request in processing to cancel."
                        ),
                    )),
                }
            }
        }
    }
}
