//! The shared records of the simulated platform: an approval as the state stores it
//! ([`Approval`]), as the simulator reports it ([`SimApproval`]), a mini program's release
//! history ([`Releases`]), and what the fixture (or the defaults) say about a platform, its mini
//! programs and versions ([`PlatformView`]), which fills in a record's descriptive fields.
//!
//! Pure, like all of `state`. It must not implement any action's rules; the action files
//! (`create`, `list`, `process`, `versions`, `release`) do.

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::sim::fixture::{
    MiniProgramFixture, PlatformFixture, VersionFixture, default_mnp_id, default_mnp_version,
};
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
    /// When it was created by tokio's clock: its age for auto-approve.
    pub(super) applied_at: Instant,
    pub(super) approval_time: Option<i64>,
    pub(super) approval_user: Option<String>,
    pub(super) approval_note: Option<String>,
    /// The status code listed instead of `status`'s own (fixture `code`).
    pub(super) listed_code: Option<i64>,
}

/// One entry of a mini program's release history: a release or a rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Release {
    pub(super) version_id: i64,
    /// When it went online (unix seconds): `UpdateTime`.
    pub(super) time: i64,
}

/// A mini program's release history and the simulator's count of its releases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Releases {
    /// Oldest first; the last entry is the online version.
    pub(super) history: Vec<Release>,
    /// Releases and rollbacks done through the simulator (not the fixture's history).
    pub(super) count: u32,
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
        self.listed(version_id)
            .is_none_or(|(_, v)| v.platform_phase)
    }

    /// The fixture's entries of a version, if it lists the version.
    fn listed(&self, version_id: i64) -> Option<(&MiniProgramFixture, &VersionFixture)> {
        self.fixture.and_then(|p| p.version(version_id))
    }

    /// The fixture's entry of a mini program, if it lists it.
    pub(super) fn mini_program(&self, mnp_id: &str) -> Option<&MiniProgramFixture> {
        self.fixture.and_then(|p| p.mini_program(mnp_id))
    }

    /// The versions of a mini program, in the fixture's order; `None` when the platform has no
    /// such mini program. A listed mini program has its listed versions; `mnp-<n>` is the
    /// mini program of version `n` alone when the fixture does not list `n`.
    pub(super) fn versions_of(&self, mnp_id: &str) -> Option<Vec<i64>> {
        if let Some(mnp) = self.mini_program(mnp_id) {
            return Some(mnp.versions.iter().map(|v| v.id).collect());
        }
        default_mnp_version(mnp_id)
            .filter(|&n| self.listed(n).is_none())
            .map(|n| vec![n])
    }

    /// `MNPVersion` of a version: the fixture's, else `1.0.<id>`.
    pub(super) fn version_string(&self, version_id: i64) -> String {
        self.listed(version_id)
            .and_then(|(_, v)| v.version.clone())
            .unwrap_or_else(|| format!("1.0.{version_id}"))
    }

    /// `MNPVersionIntro` of a version (and `MNPVersionNote` of its releases): the fixture's,
    /// else `Version <MNPVersion>`.
    pub(super) fn version_intro(&self, version_id: i64) -> String {
        self.listed(version_id)
            .and_then(|(_, v)| v.intro.clone())
            .unwrap_or_else(|| format!("Version {}", self.version_string(version_id)))
    }

    /// `MNPName` of a mini program: the fixture's, else its id.
    pub(super) fn mnp_name(&self, mnp_id: &str) -> String {
        self.mini_program(mnp_id)
            .and_then(|m| m.name.clone())
            .unwrap_or_else(|| mnp_id.to_string())
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
        let mnp = self.listed(a.mnp_version_id).map(|(m, _)| m);
        let mnp_id = self.mnp_of(a.mnp_version_id);
        ApprovalRecord {
            approval_no: Some(a.approval_no.clone()),
            application_id: Some(self.application_id()),
            approval_status: Some(a.listed_code.unwrap_or_else(|| a.status.code())),
            mnp_id: Some(mnp_id.clone()),
            mnp_version: Some(self.version_string(a.mnp_version_id)),
            mnp_version_id: Some(a.mnp_version_id),
            apply_user: Some(APPLY_USER.to_string()),
            apply_time: Some(format_time(a.apply_time)),
            mnp_name: Some(self.mnp_name(&mnp_id)),
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
pub(super) fn format_time(unix: i64) -> String {
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
