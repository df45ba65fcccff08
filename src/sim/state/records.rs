//! The shared records of the simulated platform: an approval as the state stores it
//! ([`Approval`]), as the simulator reports it ([`SimApproval`]), and what the fixture (or the
//! defaults) say about a platform ([`PlatformView`]), which fills in a record's descriptive
//! fields.
//!
//! Pure, like all of `state`. It must not implement any action's rules; the action files
//! (`create`, `list`, `process`) do.

use serde::{Deserialize, Serialize};

use crate::sim::fixture::{PlatformFixture, default_mnp_id};
use crate::tcmpp::model::{ApprovalRecord, ApprovalStatus};

/// `ApplyUser` of every approval (the simulator has no user accounts).
pub(super) const APPLY_USER: &str = "sim-user";
/// `ApprovalUser` of approvals processed through the simulator.
pub(super) const APPROVAL_USER: &str = "sim-approver";

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

/// One approval as the state stores it.
#[derive(Debug, Clone)]
pub(super) struct Approval {
    pub(super) platform_id: String,
    pub(super) approval_no: String,
    pub(super) mnp_version_id: i64,
    pub(super) status: ApprovalStatus,
    pub(super) apply_time: i64,
    pub(super) approval_time: Option<i64>,
    pub(super) approval_user: Option<String>,
    pub(super) approval_note: Option<String>,
    /// The status code listed instead of `status`'s own (fixture `code`).
    pub(super) listed_code: Option<i64>,
}

/// What the fixture (or the defaults) say about a platform.
pub(super) struct PlatformView<'a> {
    pub(super) id: &'a str,
    pub(super) fixture: Option<&'a PlatformFixture>,
}

impl PlatformView<'_> {
    pub(super) fn package_expired(&self) -> bool {
        self.fixture.is_some_and(|p| p.package_expired)
    }

    pub(super) fn team_associated(&self) -> bool {
        self.fixture.is_none_or(|p| p.team_associated)
    }

    pub(super) fn mnp_of(&self, version_id: i64) -> String {
        match self.fixture {
            Some(p) => p.mnp_of(version_id),
            None => default_mnp_id(version_id),
        }
    }

    pub(super) fn in_platform_phase(&self, version_id: i64) -> bool {
        self.fixture
            .and_then(|p| p.version(version_id))
            .is_none_or(|(_, v)| v.platform_phase)
    }

    pub(super) fn application_id(&self) -> String {
        self.fixture
            .and_then(|p| p.application_id.clone())
            .unwrap_or_else(|| format!("app-{}", self.id))
    }

    pub(super) fn team_id(&self) -> String {
        self.fixture
            .and_then(|p| p.team_id.clone())
            .unwrap_or_else(|| format!("team-{}", self.id))
    }

    /// The record of `approval` with every descriptive field filled in.
    pub(super) fn record(&self, a: &Approval) -> ApprovalRecord {
        let listed = self.fixture.and_then(|p| p.version(a.mnp_version_id));
        let mnp = listed.map(|(m, _)| m);
        let mnp_id = self.mnp_of(a.mnp_version_id);
        ApprovalRecord {
            approval_no: Some(a.approval_no.clone()),
            application_id: Some(self.application_id()),
            approval_status: Some(a.listed_code.unwrap_or_else(|| a.status.code())),
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
fn format_time(unix: i64) -> String {
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
