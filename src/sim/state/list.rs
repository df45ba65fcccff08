//! `DescribeMNPApprovalList`: one page of a platform's approvals, newest first, with the status,
//! keyword, application and team filters (rules in the `state` module docs).
//!
//! Pure and read-only: it must not change the state, and reads work on expired platforms too.

use super::State;
use crate::sim::error::ApiError;
use crate::tcmpp::model::{
    ApprovalRecord, ApprovalStatus, DescribeMnpApprovalListData, DescribeMnpApprovalListRequest,
};

/// Largest `Limit` of `DescribeMNPApprovalList`.
const MAX_LIMIT: i64 = 100;

impl State {
    /// `DescribeMNPApprovalList`: one page of a platform's approvals, newest first.
    pub(crate) fn describe(
        &self,
        req: &DescribeMnpApprovalListRequest,
    ) -> Result<DescribeMnpApprovalListData, ApiError> {
        if req.offset < 0 {
            return Err(ApiError::invalid_value(format!(
                "The parameter `Offset` must not be negative, got {}.",
                req.offset
            )));
        }
        if !(0..=MAX_LIMIT).contains(&req.limit) {
            return Err(ApiError::invalid_value(format!(
                "The parameter `Limit` must be between 0 and {MAX_LIMIT}, got {}.",
                req.limit
            )));
        }
        let mut statuses = Vec::new();
        for &code in req.approval_status_list.iter().flatten() {
            match ApprovalStatus::from_code(code) {
                Some(s) => statuses.push(s),
                None => {
                    return Err(ApiError::invalid_value(format!(
                        "The parameter `ApprovalStatusList` contains the unknown status {code}."
                    )));
                }
            }
        }
        let platform = self.known_platform(&req.platform_id)?;
        let keyword = req
            .keyword
            .as_deref()
            .filter(|k| !k.is_empty())
            .map(str::to_lowercase);
        let matches: Vec<ApprovalRecord> = self
            .approvals
            .iter()
            .rev()
            .filter(|a| a.platform_id == req.platform_id)
            .filter(|a| statuses.is_empty() || statuses.contains(&a.status))
            .map(|a| platform.record(a))
            .filter(|r| {
                keyword.as_deref().is_none_or(|k| {
                    [&r.mnp_name, &r.mnp_id, &r.mnp_version]
                        .into_iter()
                        .flatten()
                        .any(|field| field.to_lowercase().contains(k))
                })
            })
            .filter(|r| {
                req.application_id
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|id| r.application_id.as_deref() == Some(id))
            })
            .filter(|r| {
                req.team_id
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .is_none_or(|id| r.team_id.as_deref() == Some(id))
            })
            .collect();
        let total_count = i64::try_from(matches.len()).unwrap_or(i64::MAX);
        let offset = usize::try_from(req.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(req.limit).unwrap_or(0);
        Ok(DescribeMnpApprovalListData {
            total_count,
            data_list: matches.into_iter().skip(offset).take(limit).collect(),
        })
    }
}
