//! The simulator's YAML fixture: which platforms exist, which versions belong to which mini
//! program, which versions may not be submitted yet, which platforms fail every submission, which
//! approvals exist before the first request, and which versions have been online (and how many
//! more releases a mini program may have).
//!
//! Owns the format (strict: unknown fields are errors), its loading and its validation. It must
//! not hold run-time state or apply approval rules; `state` reads a validated [`Fixture`].
//!
//! The format, with every field (see also `examples/sim-fixture.yaml`):
//!
//! ```yaml
//! platforms:                        # omitted or absent fixture: every PlatformId is accepted
//!   - id: TPLATFORM1                # PlatformId; requests naming another platform fail
//!     application_id: app-1         # optional, default "app-<id>"
//!     application_name: Superapp    # optional, default "Application <id>"
//!     application_logo: https://…   # optional, default null
//!     team_id: team-1               # optional, default "team-<id>"
//!     team_name: Team one           # optional, default "Team <id>"
//!     package_expired: false        # true: writes fail with FailedOperation.PackageAlreadyExpired
//!     team_associated: true         # false: submit fails with FailedOperation.MNPTeamNotAssociatedApplicationTeam
//!     mini_programs:                # versions not listed here are their own mini program "mnp-<version>"
//!       - id: mnp-shop              # MNPId
//!         name: Shop                # optional MNPName, default the id
//!         icon: https://…           # optional MNPIcon
//!         type: MNP                 # optional MNPType
//!         qr_code_url: https://…    # optional MNPQrCodeUrl
//!         released: [101]           # optional release history, oldest first; the last is online
//!         release_limit: 10         # optional: ReleaseMNPVersion fails with
//!                                   # MNPReleaseNumberExceedLimit after this many releases and
//!                                   # rollbacks through the simulator
//!         versions:
//!           - id: 101               # MNPVersionId
//!             version: "1.0.0"      # optional MNPVersion, default "1.0.<id>"
//!             intro: First release  # optional MNPVersionIntro (and MNPVersionNote of releases),
//!                                   # default "Version <MNPVersion>"
//!             platform_phase: true  # false: submit fails with MNPVersionIsNotPlatformPhase;
//!                                   # its Phase is Develop
//!     approvals:                    # approvals that exist when the simulator starts, oldest first
//!       - version: 101              # MNPVersionId
//!         status: approved          # processing | rejected | approved | cancelled
//!         code: 0                   # optional: the code listed instead (0 Pending, or unknown)
//!         note: looks good          # optional ApprovalNote
//! ```
//!
//! A version's `Phase` (`DescribeMNPAllStageVersions`) is `Develop` when `platform_phase` is
//! false, `Online` when it is the last of its mini program's `released`, else `Platform`.
//! Every entry of `released` must be a version of that mini program in the platform phase.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::tcmpp::model::ApprovalStatus;

/// The whole fixture file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The platforms the simulator knows; requests naming any other platform fail.
    #[serde(default)]
    pub(crate) platforms: Vec<PlatformFixture>,
}

/// One platform (`PlatformId`) and what belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlatformFixture {
    /// The `PlatformId`.
    pub(crate) id: String,
    /// `ApplicationId` of every record; default `app-<id>`.
    #[serde(default)]
    pub(crate) application_id: Option<String>,
    /// `ApplicationName`; default `Application <id>`.
    #[serde(default)]
    pub(crate) application_name: Option<String>,
    /// `ApplicationLogo`; default null.
    #[serde(default)]
    pub(crate) application_logo: Option<String>,
    /// `TeamId`; default `team-<id>`.
    #[serde(default)]
    pub(crate) team_id: Option<String>,
    /// `TeamName`; default `Team <id>`.
    #[serde(default)]
    pub(crate) team_name: Option<String>,
    /// Every `CreateMNPApproval` and `ProcessMNPApproval` on this platform fails with
    /// `FailedOperation.PackageAlreadyExpired`.
    #[serde(default)]
    pub(crate) package_expired: bool,
    /// When false, every submit on this platform fails with
    /// `FailedOperation.MNPTeamNotAssociatedApplicationTeam`.
    #[serde(default = "yes")]
    pub(crate) team_associated: bool,
    /// Mini programs and their versions; unlisted versions are their own mini program.
    #[serde(default)]
    pub(crate) mini_programs: Vec<MiniProgramFixture>,
    /// Approvals present at start, oldest first.
    #[serde(default)]
    pub(crate) approvals: Vec<ApprovalFixture>,
}

/// A mini program and the versions that belong to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MiniProgramFixture {
    /// `MNPId`.
    pub(crate) id: String,
    /// `MNPName`; default the id.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// `MNPIcon`; default null.
    #[serde(default)]
    pub(crate) icon: Option<String>,
    /// `MNPType`; default null.
    #[serde(default, rename = "type")]
    pub(crate) mnp_type: Option<String>,
    /// `MNPQrCodeUrl`; default null.
    #[serde(default)]
    pub(crate) qr_code_url: Option<String>,
    /// The versions that have been online, oldest first; the last one is online now. Each is
    /// one of `versions`, in the platform phase.
    #[serde(default)]
    pub(crate) released: Vec<i64>,
    /// How many releases and rollbacks the simulator accepts for this mini program before
    /// `ReleaseMNPVersion` fails with `FailedOperation.MNPReleaseNumberExceedLimit` (the
    /// `released` history does not count); default no limit.
    #[serde(default)]
    pub(crate) release_limit: Option<u32>,
    /// The versions of this mini program.
    #[serde(default)]
    pub(crate) versions: Vec<VersionFixture>,
}

/// A version of a mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VersionFixture {
    /// `MNPVersionId`, positive.
    pub(crate) id: i64,
    /// `MNPVersion`; default `1.0.<id>`.
    #[serde(default)]
    pub(crate) version: Option<String>,
    /// `MNPVersionIntro`, also the `MNPVersionNote` of its releases; default
    /// `Version <MNPVersion>`.
    #[serde(default)]
    pub(crate) intro: Option<String>,
    /// Whether the version has reached the platform phase (may be submitted); default true.
    #[serde(default = "yes")]
    pub(crate) platform_phase: bool,
}

/// An approval that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApprovalFixture {
    /// `MNPVersionId` of the approval.
    pub(crate) version: i64,
    /// Its status: `processing`, `rejected`, `approved` or `cancelled`.
    pub(crate) status: ApprovalStatus,
    /// `ApprovalNote`; default null.
    #[serde(default)]
    pub(crate) note: Option<String>,
    /// The `ApprovalStatus` code the listing shows instead of `status`'s own, e.g. 0 (Pending)
    /// or a code the API does not document; the approval rules still follow `status`.
    #[serde(default)]
    pub(crate) code: Option<i64>,
}

fn yes() -> bool {
    true
}

impl Fixture {
    /// Parses and validates a fixture from YAML text.
    pub fn from_yaml(text: &str) -> Result<Fixture, String> {
        let fixture: Fixture =
            serde_yaml::from_str(text).map_err(|e| format!("invalid simulator fixture: {e}"))?;
        fixture.validate()?;
        Ok(fixture)
    }

    /// Reads, parses and validates the fixture file at `path`.
    pub fn load(path: &Path) -> Result<Fixture, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read simulator fixture {}: {e}", path.display()))?;
        Self::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Checks what the types cannot: unique, non-empty ids; positive version ids; a version in
    /// at most one mini program; released versions of their own mini program, in the platform
    /// phase; at most one processing approval per mini program.
    fn validate(&self) -> Result<(), String> {
        let mut platform_ids = BTreeSet::new();
        for platform in &self.platforms {
            let pid = &platform.id;
            if pid.trim().is_empty() {
                return Err("a platform has an empty id".into());
            }
            if !platform_ids.insert(pid.as_str()) {
                return Err(format!("platform `{pid}` is listed twice"));
            }
            let mut mnp_ids = BTreeSet::new();
            let mut versions = BTreeSet::new();
            for mnp in &platform.mini_programs {
                if mnp.id.trim().is_empty() {
                    return Err(format!("platform `{pid}`: a mini program has an empty id"));
                }
                if !mnp_ids.insert(mnp.id.as_str()) {
                    return Err(format!(
                        "platform `{pid}`: mini program `{}` is listed twice",
                        mnp.id
                    ));
                }
                for version in &mnp.versions {
                    if version.id <= 0 {
                        return Err(format!(
                            "platform `{pid}`: mini program `{}`: version id {} is not positive",
                            mnp.id, version.id
                        ));
                    }
                    if !versions.insert(version.id) {
                        return Err(format!(
                            "platform `{pid}`: version {} is listed twice",
                            version.id
                        ));
                    }
                }
                for released in &mnp.released {
                    match mnp.versions.iter().find(|v| v.id == *released) {
                        None => {
                            return Err(format!(
                                "platform `{pid}`: mini program `{}`: released version {released} \
                                 is not one of its versions",
                                mnp.id
                            ));
                        }
                        Some(v) if !v.platform_phase => {
                            return Err(format!(
                                "platform `{pid}`: mini program `{}`: released version {released} \
                                 is not in the platform phase",
                                mnp.id
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
            let mut processing: BTreeMap<String, i64> = BTreeMap::new();
            for approval in &platform.approvals {
                if approval.version <= 0 {
                    return Err(format!(
                        "platform `{pid}`: approval of version {} names a non-positive version",
                        approval.version
                    ));
                }
                if approval.status == ApprovalStatus::Processing {
                    let mnp = platform.mnp_of(approval.version);
                    if let Some(other) = processing.insert(mnp.clone(), approval.version) {
                        return Err(format!(
                            "platform `{pid}`: mini program `{mnp}` has two processing approvals \
                             (versions {other} and {})",
                            approval.version
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The platform with `id`, if the fixture lists it.
    pub(crate) fn platform(&self, id: &str) -> Option<&PlatformFixture> {
        self.platforms.iter().find(|p| p.id == id)
    }
}

impl PlatformFixture {
    /// The mini program with `id`, if listed.
    pub(crate) fn mini_program(&self, id: &str) -> Option<&MiniProgramFixture> {
        self.mini_programs.iter().find(|m| m.id == id)
    }

    /// The mini program and version entries of `version_id`, if listed.
    pub(crate) fn version(
        &self,
        version_id: i64,
    ) -> Option<(&MiniProgramFixture, &VersionFixture)> {
        self.mini_programs.iter().find_map(|mnp| {
            mnp.versions
                .iter()
                .find(|v| v.id == version_id)
                .map(|v| (mnp, v))
        })
    }

    /// The `MNPId` that `version_id` belongs to (`mnp-<version>` when unlisted).
    pub(crate) fn mnp_of(&self, version_id: i64) -> String {
        self.version(version_id)
            .map(|(mnp, _)| mnp.id.clone())
            .unwrap_or_else(|| default_mnp_id(version_id))
    }
}

/// The `MNPId` of a version that no fixture lists: each such version is its own mini program.
pub(crate) fn default_mnp_id(version_id: i64) -> String {
    format!("mnp-{version_id}")
}

/// The version a default `MNPId` names: `n` for exactly `mnp-<n>` with `n` positive.
pub(crate) fn default_mnp_version(mnp_id: &str) -> Option<i64> {
    let n: i64 = mnp_id.strip_prefix("mnp-")?.parse().ok()?;
    (n > 0 && default_mnp_id(n) == mnp_id).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses_and_validates() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sim-fixture.yaml");
        let fixture = Fixture::load(Path::new(path)).unwrap();
        assert!(!fixture.platforms.is_empty());
        let first = &fixture.platforms[0];
        assert!(first.mini_programs.iter().any(|m| m.versions.len() > 1));
        assert!(!first.approvals.is_empty());
        assert!(first.mini_programs.iter().any(|m| !m.released.is_empty()));
    }

    #[test]
    fn defaults_apply_to_omitted_fields() {
        let f = Fixture::from_yaml("platforms:\n  - id: P\n").unwrap();
        let p = f.platform("P").unwrap();
        assert!(p.team_associated);
        assert!(!p.package_expired);
        assert_eq!(p.mnp_of(7), "mnp-7");
        let f = Fixture::from_yaml(
            "platforms:\n  - id: P\n    mini_programs:\n      - id: m\n        versions: [{id: 3}]\n",
        )
        .unwrap();
        let (_, v) = f.platform("P").unwrap().version(3).unwrap();
        assert!(v.platform_phase);
        assert_eq!(f.platform("P").unwrap().mnp_of(3), "m");
    }

    #[test]
    fn rejects_unknown_fields_everywhere() {
        for text in [
            "platform: []",
            "platforms:\n  - id: P\n    expired: true\n",
            "platforms:\n  - id: P\n    mini_programs: [{id: m, verions: []}]\n",
            "platforms:\n  - id: P\n    mini_programs: [{id: m, versions: [{id: 1, phase: true}]}]\n",
            "platforms:\n  - id: P\n    approvals: [{version: 1, status: approved, by: x}]\n",
        ] {
            let err = Fixture::from_yaml(text).unwrap_err();
            assert!(err.contains("unknown field"), "{text}: {err}");
        }
    }

    #[test]
    fn rejects_inconsistent_fixtures() {
        for (text, needle) in [
            ("platforms: [{id: P}, {id: P}]", "listed twice"),
            ("platforms: [{id: ' '}]", "empty id"),
            (
                "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 1}]}, {id: b, versions: [{id: 1}]}]}]",
                "version 1 is listed twice",
            ),
            (
                "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 0}]}]}]",
                "not positive",
            ),
            (
                "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 1}, {id: 2}]}], approvals: [{version: 1, status: processing}, {version: 2, status: processing}]}]",
                "two processing approvals",
            ),
            (
                "platforms: [{id: P, approvals: [{version: 1, status: done}]}]",
                "unknown variant",
            ),
            (
                "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 1}], released: [1, 2]}]}]",
                "platform `P`: mini program `a`: released version 2 is not one of its versions",
            ),
            (
                "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 1}]}, {id: b, versions: [{id: 2}], released: [1]}]}]",
                "platform `P`: mini program `b`: released version 1 is not one of its versions",
            ),
            (
                "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 1, platform_phase: false}], released: [1]}]}]",
                "platform `P`: mini program `a`: released version 1 is not in the platform phase",
            ),
            (
                "platforms: [{id: P, mini_programs: [{id: a, release_limit: -1}]}]",
                "release_limit",
            ),
        ] {
            let err = Fixture::from_yaml(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn allows_processing_approvals_of_different_mini_programs() {
        Fixture::from_yaml(
            "platforms: [{id: P, approvals: [{version: 1, status: processing}, {version: 2, status: processing}, {version: 1, status: rejected}]}]",
        )
        .unwrap();
    }

    #[test]
    fn release_history_and_limit_parse() {
        let f = Fixture::from_yaml(
            "platforms: [{id: P, mini_programs: [{id: a, versions: [{id: 1, intro: hi}, {id: 2}], released: [1, 2, 1], release_limit: 3}]}]",
        )
        .unwrap();
        let a = f.platform("P").unwrap().mini_program("a").unwrap();
        assert_eq!(a.released, [1, 2, 1]);
        assert_eq!(a.release_limit, Some(3));
        assert_eq!(a.versions[0].intro.as_deref(), Some("hi"));
        assert!(f.platform("P").unwrap().mini_program("b").is_none());
    }

    #[test]
    fn default_mnp_ids_name_their_version() {
        assert_eq!(default_mnp_version("mnp-7"), Some(7));
        for other in [
            "mnp-0", "mnp--7", "mnp-+7", "mnp-07", "mnp-", "shop", "MNP-7", "mnp-7 ",
        ] {
            assert_eq!(default_mnp_version(other), None, "{other}");
        }
    }

    #[test]
    fn load_reports_the_path() {
        let err = Fixture::load(Path::new("/nonexistent/fixture.yaml")).unwrap_err();
        assert!(err.contains("/nonexistent/fixture.yaml"), "{err}");
    }
}
