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

use serde::{Deserialize, Serialize};

use super::error::{ApiError, codes};
use super::fixture::{Fixture, PlatformFixture, default_mnp_id};
use crate::tcmpp::model::{
    ApplyAction, ApprovalRecord, ApprovalStatus, CreateMnpApprovalRequest,
    DescribeMnpApprovalListData, DescribeMnpApprovalListRequest, ProcessMnpApprovalRequest,
};

/// Largest `Limit` of `DescribeMNPApprovalList`.
pub const MAX_LIMIT: i64 = 100;
/// `ApplyUser` of every approval (the simulator has no user accounts).
pub const APPLY_USER: &str = "sim-user";
/// `ApprovalUser` of approvals processed through the simulator.
pub const APPROVAL_USER: &str = "sim-approver";

/// An approval as the simulator reports it: the API's record plus its platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimApproval {
    /// The platform the approval belongs to.
    #[serde(rename = "PlatformId")]
    pub platform_id: String,
    /// The record exactly as `DescribeMNPApprovalList` returns it.
    #[serde(flatten)]
    pub record: ApprovalRecord,
}

#[derive(Debug, Clone)]
struct Approval {
    platform_id: String,
    approval_no: String,
    mnp_version_id: i64,
    status: ApprovalStatus,
    apply_time: i64,
    approval_time: Option<i64>,
    approval_user: Option<String>,
    approval_note: Option<String>,
}

/// All approvals of all platforms, and the fixture that describes platforms and versions.
#[derive(Debug, Clone, Default)]
pub struct State {
    fixture: Option<Fixture>,
    /// In creation order.
    approvals: Vec<Approval>,
    next_no: u64,
}

/// What the fixture (or the defaults) say about a platform.
struct PlatformView<'a> {
    id: &'a str,
    fixture: Option<&'a PlatformFixture>,
}

impl PlatformView<'_> {
    fn package_expired(&self) -> bool {
        self.fixture.is_some_and(|p| p.package_expired)
    }

    fn team_associated(&self) -> bool {
        self.fixture.is_none_or(|p| p.team_associated)
    }

    fn mnp_of(&self, version_id: i64) -> String {
        match self.fixture {
            Some(p) => p.mnp_of(version_id),
            None => default_mnp_id(version_id),
        }
    }

    fn in_platform_phase(&self, version_id: i64) -> bool {
        self.fixture
            .and_then(|p| p.version(version_id))
            .is_none_or(|(_, v)| v.platform_phase)
    }

    fn application_id(&self) -> String {
        self.fixture
            .and_then(|p| p.application_id.clone())
            .unwrap_or_else(|| format!("app-{}", self.id))
    }

    fn team_id(&self) -> String {
        self.fixture
            .and_then(|p| p.team_id.clone())
            .unwrap_or_else(|| format!("team-{}", self.id))
    }

    /// The record of `approval` with every descriptive field filled in.
    fn record(&self, a: &Approval) -> ApprovalRecord {
        let listed = self.fixture.and_then(|p| p.version(a.mnp_version_id));
        let mnp = listed.map(|(m, _)| m);
        let mnp_id = self.mnp_of(a.mnp_version_id);
        ApprovalRecord {
            approval_no: Some(a.approval_no.clone()),
            application_id: Some(self.application_id()),
            approval_status: Some(a.status.code()),
            mnp_id: Some(mnp_id.clone()),
            mnp_version: Some(
                listed
                    .and_then(|(_, v)| v.version.clone())
                    .unwrap_or_else(|| format!("1.0.{}", a.mnp_version_id)),
            ),
            mnp_version_id: Some(a.mnp_version_id),
            apply_user: Some(APPLY_USER.to_string()),
            apply_time: Some(format_time(a.apply_time)),
            mnp_name: Some(mnp.and_then(|m| m.name.clone()).unwrap_or(mnp_id)),
            mnp_icon: mnp.and_then(|m| m.icon.clone()),
            application_name: Some(
                self.fixture
                    .and_then(|p| p.application_name.clone())
                    .unwrap_or_else(|| format!("Application {}", self.id)),
            ),
            application_logo: self.fixture.and_then(|p| p.application_logo.clone()),
            team_id: Some(self.team_id()),
            team_name: Some(
                self.fixture
                    .and_then(|p| p.team_name.clone())
                    .unwrap_or_else(|| format!("Team {}", self.id)),
            ),
            mnp_qr_code_url: mnp.and_then(|m| m.qr_code_url.clone()),
            mnp_type: mnp.and_then(|m| m.mnp_type.clone()),
            approval_user: a.approval_user.clone(),
            approval_time: a.approval_time.map(format_time),
            approval_note: a.approval_note.clone(),
        }
    }
}

/// Renders a unix time as `YYYY-MM-DD HH:MM:SS` in Beijing time.
pub fn format_time(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl State {
    /// A state holding the fixture's pre-existing approvals (created at `now`, in file order).
    /// Approvals the rules would refuse (a second processing one for a mini program) are skipped
    /// with a warning; [`Fixture::validate`] rejects such fixtures up front.
    pub fn new(fixture: Option<Fixture>, now: i64) -> State {
        let mut state = State {
            fixture,
            approvals: Vec::new(),
            next_no: 1,
        };
        let seeds: Vec<(String, i64, ApprovalStatus, Option<String>)> = state
            .fixture
            .iter()
            .flat_map(|f| &f.platforms)
            .flat_map(|p| {
                p.approvals
                    .iter()
                    .map(|a| (p.id.clone(), a.version, a.status, a.note.clone()))
            })
            .collect();
        for (platform_id, version, status, note) in seeds {
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
        });
        approval_no
    }

    /// `CreateMNPApproval`: submit or cancel the approval of a version.
    pub fn create(&mut self, req: &CreateMnpApprovalRequest, now: i64) -> Result<(), ApiError> {
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
                self.new_approval(&req.platform_id, version, now);
                Ok(())
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
                        a.approval_time = Some(now);
                        Ok(())
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

    /// `DescribeMNPApprovalList`: one page of a platform's approvals, newest first.
    pub fn describe(
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

    /// `ProcessMNPApproval`: approve or reject a processing approval.
    pub fn process(&mut self, req: &ProcessMnpApprovalRequest, now: i64) -> Result<(), ApiError> {
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
            approval.approval_time = Some(now);
            approval.approval_user = Some(APPROVAL_USER.to_string());
        }
        Ok(())
    }

    /// Approves or rejects the processing approval of `version_id` on `platform_id`, as the
    /// approver would. Returns its `ApprovalNo`.
    pub fn process_version(
        &mut self,
        platform_id: &str,
        version_id: i64,
        approve: bool,
        now: i64,
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
        approval.approval_time = Some(now);
        approval.approval_user = Some(APPROVAL_USER.to_string());
        Ok(approval.approval_no.clone())
    }

    /// Every approval of every platform, oldest first.
    pub fn approvals(&self) -> Vec<SimApproval> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcmpp::model::ApprovalItem;

    const NOW: i64 = 1_764_288_000; // 2025-11-28 00:00:00 UTC

    fn create(
        s: &mut State,
        platform: &str,
        version: i64,
        action: ApplyAction,
    ) -> Result<(), &'static str> {
        let req = CreateMnpApprovalRequest {
            mnp_version_id: version,
            apply_action: action,
            platform_id: platform.into(),
        };
        s.create(&req, NOW).map_err(|e| e.code)
    }

    fn submit(s: &mut State, version: i64) -> Result<(), &'static str> {
        create(s, "P", version, ApplyAction::Submit)
    }

    fn cancel(s: &mut State, version: i64) -> Result<(), &'static str> {
        create(s, "P", version, ApplyAction::Cancel)
    }

    fn list(
        s: &State,
        offset: i64,
        limit: i64,
        statuses: Option<Vec<i64>>,
    ) -> DescribeMnpApprovalListData {
        s.describe(&DescribeMnpApprovalListRequest {
            offset,
            limit,
            platform_id: "P".into(),
            approval_status_list: statuses,
            keyword: None,
            application_id: None,
            team_id: None,
        })
        .unwrap()
    }

    fn statuses(s: &State) -> Vec<(i64, ApprovalStatus)> {
        s.approvals()
            .iter()
            .map(|a| (a.record.mnp_version_id.unwrap(), a.record.status().unwrap()))
            .collect()
    }

    fn fixture(text: &str) -> Option<Fixture> {
        Some(Fixture::from_yaml(text).unwrap())
    }

    const SHOP: &str = "platforms:
  - id: P
    mini_programs:
      - id: shop
        name: Shop
        versions: [{id: 1, version: '1.0.0'}, {id: 2, version: '1.1.0'}, {id: 3, platform_phase: false}]
  - id: EXPIRED
    package_expired: true
  - id: NOTEAM
    team_associated: false
";

    #[test]
    fn submit_then_resubmit_conflicts() {
        let mut s = State::new(None, NOW);
        assert_eq!(submit(&mut s, 7), Ok(()));
        assert_eq!(submit(&mut s, 7), Err(codes::EXIST_MNP_APPROVAL_RECORD));
        // Another version is another mini program without a fixture.
        assert_eq!(submit(&mut s, 8), Ok(()));
        assert_eq!(
            statuses(&s),
            vec![
                (7, ApprovalStatus::Processing),
                (8, ApprovalStatus::Processing)
            ]
        );
    }

    #[test]
    fn versions_of_one_mini_program_conflict() {
        let mut s = State::new(fixture(SHOP), NOW);
        assert_eq!(submit(&mut s, 1), Ok(()));
        assert_eq!(submit(&mut s, 2), Err(codes::EXIST_MNP_APPROVAL_RECORD));
        assert_eq!(cancel(&mut s, 2), Err(codes::MNP_APPROVAL_STATUS_ERROR));
        assert_eq!(cancel(&mut s, 1), Ok(()));
        assert_eq!(submit(&mut s, 2), Ok(()));
    }

    #[test]
    fn cancel_rules() {
        let mut s = State::new(None, NOW);
        assert_eq!(cancel(&mut s, 7), Err(codes::MNP_APPROVAL_STATUS_ERROR));
        submit(&mut s, 7).unwrap();
        assert_eq!(cancel(&mut s, 7), Ok(()));
        assert_eq!(cancel(&mut s, 7), Err(codes::MNP_APPROVAL_STATUS_ERROR));
        // Resubmitting after a cancel creates a new record.
        assert_eq!(submit(&mut s, 7), Ok(()));
        assert_eq!(
            statuses(&s),
            vec![
                (7, ApprovalStatus::Cancelled),
                (7, ApprovalStatus::Processing)
            ]
        );
        let cancelled = &s.approvals()[0].record;
        assert_eq!(
            cancelled.approval_time.as_deref(),
            Some("2025-11-28 08:00:00")
        );
    }

    #[test]
    fn approved_and_rejected_versions_may_be_submitted_again() {
        let mut s = State::new(None, NOW);
        submit(&mut s, 7).unwrap();
        s.process_version("P", 7, true, NOW).unwrap();
        assert_eq!(submit(&mut s, 7), Ok(()));
        s.process_version("P", 7, false, NOW).unwrap();
        assert_eq!(submit(&mut s, 7), Ok(()));
        assert_eq!(
            statuses(&s),
            vec![
                (7, ApprovalStatus::Approved),
                (7, ApprovalStatus::Rejected),
                (7, ApprovalStatus::Processing)
            ]
        );
    }

    #[test]
    fn invalid_version_ids_fail_before_anything_else() {
        let mut s = State::new(fixture(SHOP), NOW);
        for v in [0, -1] {
            assert_eq!(
                create(&mut s, "UNKNOWN", v, ApplyAction::Submit),
                Err(codes::INVALID_PARAMETER_VALUE)
            );
        }
    }

    #[test]
    fn fixture_platform_rules() {
        let mut s = State::new(fixture(SHOP), NOW);
        assert_eq!(
            create(&mut s, "OTHER", 1, ApplyAction::Submit),
            Err(codes::INVALID_PLATFORM_ID)
        );
        assert_eq!(
            create(&mut s, "EXPIRED", 1, ApplyAction::Submit),
            Err(codes::PACKAGE_ALREADY_EXPIRED)
        );
        assert_eq!(
            create(&mut s, "EXPIRED", 1, ApplyAction::Cancel),
            Err(codes::PACKAGE_ALREADY_EXPIRED)
        );
        assert_eq!(
            create(&mut s, "NOTEAM", 1, ApplyAction::Submit),
            Err(codes::MNP_TEAM_NOT_ASSOCIATED)
        );
        assert_eq!(
            submit(&mut s, 3),
            Err(codes::MNP_VERSION_NOT_PLATFORM_PHASE)
        );
        assert!(s.approvals().is_empty(), "errors change nothing");
    }

    #[test]
    fn empty_platform_is_invalid_even_without_fixture() {
        let mut s = State::new(None, NOW);
        for bad in [" ", "", "T\u{0}1"] {
            assert_eq!(
                create(&mut s, bad, 1, ApplyAction::Submit),
                Err(codes::INVALID_PLATFORM_ID)
            );
        }
    }

    #[test]
    fn describe_pages_newest_first_with_filters() {
        let mut s = State::new(None, NOW);
        for v in 1..=5 {
            submit(&mut s, v).unwrap();
        }
        cancel(&mut s, 2).unwrap();
        s.process_version("P", 4, true, NOW).unwrap();
        // Another platform's approvals never show.
        create(&mut s, "Q", 9, ApplyAction::Submit).unwrap();

        let all = list(&s, 0, 10, None);
        assert_eq!(all.total_count, 5);
        let ids: Vec<i64> = all
            .data_list
            .iter()
            .map(|r| r.mnp_version_id.unwrap())
            .collect();
        assert_eq!(ids, vec![5, 4, 3, 2, 1]);

        let page = list(&s, 1, 2, None);
        assert_eq!(page.total_count, 5);
        let ids: Vec<i64> = page
            .data_list
            .iter()
            .map(|r| r.mnp_version_id.unwrap())
            .collect();
        assert_eq!(ids, vec![4, 3]);
        assert!(list(&s, 5, 10, None).data_list.is_empty());
        assert_eq!(list(&s, 0, 0, None).total_count, 5);

        let processing = list(&s, 0, 10, Some(vec![1]));
        assert_eq!(processing.total_count, 3);
        let done = list(&s, 0, 10, Some(vec![3, 4]));
        let ids: Vec<(i64, i64)> = done
            .data_list
            .iter()
            .map(|r| (r.mnp_version_id.unwrap(), r.approval_status.unwrap()))
            .collect();
        assert_eq!(ids, vec![(4, 3), (2, 4)]);
        assert_eq!(list(&s, 0, 10, Some(vec![])).total_count, 5);
    }

    #[test]
    fn describe_validates_paging_and_statuses() {
        let s = State::new(None, NOW);
        let req = |offset, limit, statuses: Option<Vec<i64>>| DescribeMnpApprovalListRequest {
            offset,
            limit,
            platform_id: "P".into(),
            approval_status_list: statuses,
            keyword: None,
            application_id: None,
            team_id: None,
        };
        for bad in [
            req(-1, 10, None),
            req(0, 101, None),
            req(0, -1, None),
            req(0, 10, Some(vec![5])),
        ] {
            assert_eq!(
                s.describe(&bad).unwrap_err().code,
                codes::INVALID_PARAMETER_VALUE,
                "{bad:?}"
            );
        }
        assert!(s.describe(&req(0, 100, None)).is_ok());
    }

    #[test]
    fn describe_keyword_application_and_team_filters() {
        let mut s = State::new(fixture(SHOP), NOW);
        submit(&mut s, 1).unwrap();
        submit(&mut s, 42).unwrap();
        let find = |keyword: Option<&str>, app: Option<&str>, team: Option<&str>| {
            s.describe(&DescribeMnpApprovalListRequest {
                offset: 0,
                limit: 10,
                platform_id: "P".into(),
                approval_status_list: None,
                keyword: keyword.map(Into::into),
                application_id: app.map(Into::into),
                team_id: team.map(Into::into),
            })
            .unwrap()
            .data_list
            .iter()
            .map(|r| r.mnp_version_id.unwrap())
            .collect::<Vec<_>>()
        };
        assert_eq!(find(Some("sHoP"), None, None), vec![1]);
        assert_eq!(find(Some("1.0.0"), None, None), vec![1]);
        assert_eq!(find(Some("mnp-42"), None, None), vec![42]);
        assert_eq!(find(Some(""), None, None), vec![42, 1]);
        assert_eq!(find(Some("nothing"), None, None), Vec::<i64>::new());
        assert_eq!(find(None, Some("app-P"), Some("team-P")), vec![42, 1]);
        assert_eq!(find(None, Some("app-X"), None), Vec::<i64>::new());
        assert_eq!(find(None, None, Some("team-X")), Vec::<i64>::new());
    }

    #[test]
    fn records_carry_fixture_and_default_metadata() {
        let mut s = State::new(fixture(SHOP), NOW);
        submit(&mut s, 2).unwrap();
        submit(&mut s, 42).unwrap();
        let list = s.approvals();
        let shop = &list[0].record;
        assert_eq!(list[0].platform_id, "P");
        assert_eq!(shop.approval_no.as_deref(), Some("MNPA000000000001"));
        assert_eq!(shop.mnp_id.as_deref(), Some("shop"));
        assert_eq!(shop.mnp_name.as_deref(), Some("Shop"));
        assert_eq!(shop.mnp_version.as_deref(), Some("1.1.0"));
        assert_eq!(shop.apply_time.as_deref(), Some("2025-11-28 08:00:00"));
        assert_eq!(shop.apply_user.as_deref(), Some(APPLY_USER));
        assert_eq!(shop.approval_time, None);
        let other = &list[1].record;
        assert_eq!(other.approval_no.as_deref(), Some("MNPA000000000002"));
        assert_eq!(other.mnp_id.as_deref(), Some("mnp-42"));
        assert_eq!(other.mnp_name.as_deref(), Some("mnp-42"));
        assert_eq!(other.mnp_version.as_deref(), Some("1.0.42"));
        assert_eq!(other.application_id.as_deref(), Some("app-P"));
        assert_eq!(other.team_name.as_deref(), Some("Team P"));
    }

    #[test]
    fn fixture_approvals_seed_the_state() {
        let s = State::new(
            fixture(
                "platforms:
  - id: P
    mini_programs: [{id: shop, versions: [{id: 1}, {id: 2}]}]
    approvals:
      - {version: 1, status: approved, note: ok}
      - {version: 2, status: processing}
",
            ),
            NOW,
        );
        assert_eq!(
            statuses(&s),
            vec![
                (1, ApprovalStatus::Approved),
                (2, ApprovalStatus::Processing)
            ]
        );
        assert_eq!(s.approvals()[0].record.approval_note.as_deref(), Some("ok"));
        assert_eq!(
            s.approvals()[0].record.approval_user.as_deref(),
            Some(APPROVAL_USER)
        );
        let mut s = s;
        assert_eq!(submit(&mut s, 1), Err(codes::EXIST_MNP_APPROVAL_RECORD));
    }

    #[test]
    fn invalid_fixture_approvals_are_skipped_not_fatal() {
        let mut f = Fixture::from_yaml("platforms: [{id: P}]").unwrap();
        f.platforms[0].approvals = vec![
            super::super::fixture::ApprovalFixture {
                version: 1,
                status: ApprovalStatus::Processing,
                note: None,
            };
            2
        ];
        let s = State::new(Some(f), NOW);
        assert_eq!(statuses(&s), vec![(1, ApprovalStatus::Processing)]);
    }

    fn process(s: &mut State, no: &str, items: Vec<(&str, i64)>) -> Result<(), &'static str> {
        s.process(
            &ProcessMnpApprovalRequest {
                approval_no: no.into(),
                platform_id: "P".into(),
                approval_items: items
                    .into_iter()
                    .map(|(app, result)| ApprovalItem {
                        app_id: app.into(),
                        approval_result: result,
                        approval_note: format!("note {result}"),
                    })
                    .collect(),
            },
            NOW + 60,
        )
        .map_err(|e| e.code)
    }

    #[test]
    fn process_rules() {
        let mut s = State::new(None, NOW);
        submit(&mut s, 1).unwrap();
        submit(&mut s, 2).unwrap();
        assert_eq!(
            process(&mut s, "MNPA000000000009", vec![("app-P", 3)]),
            Err(codes::APPROVAL_NOT_EXIST)
        );
        assert_eq!(
            process(&mut s, "MNPA000000000001", vec![]),
            Err(codes::INVALID_PARAMETER_VALUE)
        );
        assert_eq!(
            process(&mut s, "MNPA000000000001", vec![("app-P", 1)]),
            Err(codes::INVALID_PARAMETER_VALUE)
        );
        assert_eq!(
            process(&mut s, "MNPA000000000001", vec![("app-P", 3)]),
            Ok(())
        );
        assert_eq!(
            process(&mut s, "MNPA000000000001", vec![("app-P", 2)]),
            Err(codes::MNP_APPROVAL_STATUS_ERROR)
        );
        // The item of the record's application wins over the first item.
        assert_eq!(
            process(&mut s, "MNPA000000000002", vec![("other", 3), ("app-P", 2)]),
            Ok(())
        );
        assert_eq!(
            statuses(&s),
            vec![(1, ApprovalStatus::Approved), (2, ApprovalStatus::Rejected)]
        );
        let rec = &s.approvals()[0].record;
        assert_eq!(rec.approval_note.as_deref(), Some("note 3"));
        assert_eq!(rec.approval_user.as_deref(), Some(APPROVAL_USER));
        assert_eq!(rec.approval_time.as_deref(), Some("2025-11-28 08:01:00"));
    }

    #[test]
    fn process_version_reports_missing_processing_approval() {
        let mut s = State::new(None, NOW);
        assert!(s.process_version("P", 1, true, NOW).is_err());
        submit(&mut s, 1).unwrap();
        assert_eq!(
            s.process_version("P", 1, true, NOW).as_deref(),
            Ok("MNPA000000000001")
        );
        assert!(s.process_version("P", 1, true, NOW).is_err());
    }

    #[test]
    fn sim_approval_serialises_flat() {
        let mut s = State::new(None, NOW);
        submit(&mut s, 1).unwrap();
        let json = serde_json::to_value(s.approvals()).unwrap();
        assert_eq!(json[0]["PlatformId"], "P");
        assert_eq!(json[0]["ApprovalNo"], "MNPA000000000001");
        assert_eq!(json[0]["ApprovalStatus"], 1);
        let back: Vec<SimApproval> = serde_json::from_value(json).unwrap();
        assert_eq!(back, s.approvals());
    }
}
