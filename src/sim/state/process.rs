//! `ProcessMNPApproval`: approving or rejecting a processing approval, the same as the
//! approver would do it ([`State::process_version`], for the demo and tests), and approvals that
//! approve themselves once old enough ([`State::auto_approve`], `SimConfig::auto_approve`).
//!
//! Pure, like all of `state`: it must not change anything when it returns an error. A decided
//! approval lists its own status code from then on (a fixture `code` no longer applies).

use std::time::Duration;

use super::{APPROVAL_USER, Now, State, package_expired};

/// `ApprovalUser` of the approvals [`State::auto_approve`] decides.
pub(crate) const AUTO_APPROVAL_USER: &str = "auto-approve";
use crate::sim::error::{ApiError, codes};
use crate::tcmpp::model::{ApprovalStatus, ProcessMnpApprovalRequest};

impl State {
    /// `ProcessMNPApproval`: approve or reject a processing approval.
    pub(crate) fn process(
        &mut self,
        req: &ProcessMnpApprovalRequest,
        now: Now,
    ) -> Result<(), ApiError> {
        let platform = self.known_platform(&req.platform_id)?;
        if platform.package_expired() {
            return Err(package_expired());
        }
        if req.approval_items.is_empty() {
            return Err(ApiError::invalid_value(
                "The parameter `ApprovalItems` must not be empty.",
            ));
        }
        for (i, item) in req.approval_items.iter().enumerate() {
            if item.approval_result != ApprovalStatus::Rejected.code()
                && item.approval_result != ApprovalStatus::Approved.code()
            {
                return Err(ApiError::invalid_value(format!(
                    "The parameter `ApprovalItems.{i}.ApprovalResult` must be 2 (rejected) or 3 (approved), got {}.",
                    item.approval_result
                )));
            }
        }
        let application_id = platform.application_id();
        let item = req
            .approval_items
            .iter()
            .find(|i| i.app_id == application_id)
            .or_else(|| req.approval_items.first())
            .cloned();
        let Some(approval) = self
            .approvals
            .iter_mut()
            .find(|a| a.platform_id == req.platform_id && a.approval_no == req.approval_no)
        else {
            return Err(ApiError::new(
                codes::APPROVAL_NOT_EXIST,
                format!("The approval `{}` does not exist.", req.approval_no),
            ));
        };
        if approval.status != ApprovalStatus::Processing {
            return Err(ApiError::new(
                codes::MNP_APPROVAL_STATUS_ERROR,
                format!(
                    "The approval `{}` is {}, only a processing approval can be processed.",
                    req.approval_no, approval.status
                ),
            ));
        }
        if let Some(item) = item {
            approval.status =
                ApprovalStatus::from_code(item.approval_result).unwrap_or(ApprovalStatus::Rejected);
            approval.approval_note = Some(item.approval_note);
            approval.approval_time = Some(now.unix);
            approval.approval_user = Some(APPROVAL_USER.to_string());
            approval.listed_code = None;
        }
        Ok(())
    }

    /// Approves or rejects the processing approval of `version_id` on `platform_id`, as the
    /// approver would. Returns its `ApprovalNo`.
    pub(crate) fn process_version(
        &mut self,
        platform_id: &str,
        version_id: i64,
        approve: bool,
        now: Now,
    ) -> Result<String, String> {
        let approval = self
            .approvals
            .iter_mut()
            .find(|a| {
                a.platform_id == platform_id
                    && a.mnp_version_id == version_id
                    && a.status == ApprovalStatus::Processing
            })
            .ok_or_else(|| {
                format!(
                    "version {version_id} has no processing approval on platform `{platform_id}`"
                )
            })?;
        approval.status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        approval.approval_note = Some(if approve {
            "approved in the simulator".to_string()
        } else {
            "rejected in the simulator".to_string()
        });
        approval.approval_time = Some(now.unix);
        approval.approval_user = Some(APPROVAL_USER.to_string());
        approval.listed_code = None;
        Ok(approval.approval_no.clone())
    }

    /// Approves, as [`AUTO_APPROVAL_USER`] with an empty note, every processing (or pending)
    /// approval created at least `after` before `now` by tokio's clock. Returns how many.
    pub(crate) fn auto_approve(&mut self, after: Duration, now: Now) -> usize {
        let mut approved = 0;
        for approval in &mut self.approvals {
            let due = now.instant.saturating_duration_since(approval.applied_at) >= after;
            if approval.status == ApprovalStatus::Processing && due {
                approval.status = ApprovalStatus::Approved;
                approval.approval_note = Some(String::new());
                approval.approval_time = Some(now.unix);
                approval.approval_user = Some(AUTO_APPROVAL_USER.to_string());
                approval.listed_code = None;
                approved += 1;
            }
        }
        approved
    }
}
