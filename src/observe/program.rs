//! What the platform shows of a mini program as a whole: its versions' phases and version
//! strings (`DescribeMNPAllStageVersions`), which one is online, and — read only when a
//! rollback is in question — which have ever been released (`DescribeMNPReleasedVersionHistory`).
//!
//! The rules that read it, each in one place:
//! - **Online** ([`Program::online`]): the version whose `Phase` is `Online`. Two versions
//!   online, or a phase mnpsync does not know, is an anomaly: attention, never a release or a
//!   rollback. The undocumented `Status` field is never read.
//! - **Newer and older** compare `MNPVersionId` (upload order); the platform's rule for
//!   `ReleaseMNPVersionNeedGreaterThanOnlineVersion` is undocumented (DESIGN.md §10).
//! - **Resolution** ([`Program::resolve`]): a declared version string names exactly one
//!   version, or it is an error for that resource.
//!
//! Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::tcmpp::model::{
    PHASE_DEVELOP, PHASE_ONLINE, PHASE_PLATFORM, ReleasedVersion, StageVersion,
};
use crate::text::clean;

/// A mini program on a platform: `PLATFORM/MNPID` in reports and records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MnpKey {
    pub platform_id: String,
    pub mnp_id: String,
}

impl MnpKey {
    pub fn new(platform_id: impl Into<String>, mnp_id: impl Into<String>) -> MnpKey {
        MnpKey {
            platform_id: platform_id.into(),
            mnp_id: mnp_id.into(),
        }
    }
}

/// Mini programs by `PLATFORM/MNPID`, as JSON files keep them (state, saved plans).
pub fn by_name(programs: &BTreeMap<MnpKey, Program>) -> BTreeMap<String, Program> {
    programs
        .iter()
        .map(|(k, p)| (k.to_string(), p.clone()))
        .collect()
}

/// The inverse of [`by_name`]; names without a `/` are skipped.
pub fn from_names(programs: &BTreeMap<String, Program>) -> BTreeMap<MnpKey, Program> {
    programs
        .iter()
        .filter_map(|(k, p)| {
            let (platform, mnp) = k.split_once('/')?;
            Some((MnpKey::new(platform, mnp), p.clone()))
        })
        .collect()
}

impl std::fmt::Display for MnpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.platform_id, self.mnp_id)
    }
}

/// One version of a mini program as the all-stage listing shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSeen {
    /// The version string (`MNPVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Phase` as listed (`Develop`, `Platform`, `Online`; anything else is an anomaly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

/// What is known of one mini program.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Every version listed, by `MNPVersionId`.
    #[serde(default)]
    pub versions: BTreeMap<i64, StageSeen>,
    /// The versions that have ever been online (`DescribeMNPReleasedVersionHistory`, or seen
    /// online by mnpsync); `None` until the history was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<BTreeSet<i64>>,
}

/// Which version of a mini program is online, if the listing is coherent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Online {
    /// No version is online.
    Nothing,
    /// This version is online.
    Version(i64),
}

impl Program {
    /// The program an all-stage listing shows. Versions without an `MNPVersionId` are skipped.
    pub fn from_listing(listing: &[StageVersion]) -> Program {
        let versions = listing
            .iter()
            .filter_map(|v| {
                let id = v.mnp_version_id?;
                let seen = StageSeen {
                    version: v.mnp_version.clone(),
                    phase: v.phase.clone(),
                };
                Some((id, seen))
            })
            .collect();
        Program {
            versions,
            released: None,
        }
    }

    /// Takes in the released history.
    pub fn with_history(mut self, history: &[ReleasedVersion]) -> Program {
        let mut released: BTreeSet<i64> = history.iter().filter_map(|v| v.mnp_version_id).collect();
        if let Ok(Online::Version(id)) = self.online() {
            released.insert(id);
        }
        self.released = Some(released);
        self
    }

    /// Which version is online; `Err` with a sentence for people when the listing does not fit
    /// (two versions online, a phase mnpsync does not know).
    pub fn online(&self) -> Result<Online, String> {
        let unknown: Vec<String> = self
            .versions
            .iter()
            .filter_map(|(id, v)| {
                let phase = v.phase.as_deref()?;
                (![PHASE_DEVELOP, PHASE_PLATFORM, PHASE_ONLINE].contains(&phase))
                    .then(|| format!("{id} is in phase \"{}\"", clean(phase)))
            })
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "the platform lists a phase mnpsync does not know ({}); nothing is released or rolled back",
                unknown.join(", ")
            ));
        }
        let online: Vec<i64> = self
            .versions
            .iter()
            .filter(|(_, v)| v.phase.as_deref() == Some(PHASE_ONLINE))
            .map(|(id, _)| *id)
            .collect();
        match online.as_slice() {
            [] => Ok(Online::Nothing),
            [id] => Ok(Online::Version(*id)),
            ids => Err(format!(
                "the platform lists {} versions online ({}); nothing is released or rolled back",
                ids.len(),
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The version string of `id`, when listed.
    pub fn version_of(&self, id: i64) -> Option<&str> {
        self.versions.get(&id)?.version.as_deref()
    }

    /// The one version whose string is `version`; `Err` says why not (none, or several).
    pub fn resolve(&self, version: &str) -> Result<i64, String> {
        let ids: Vec<i64> = self
            .versions
            .iter()
            .filter(|(_, v)| v.version.as_deref() == Some(version))
            .map(|(id, _)| *id)
            .collect();
        match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(
                "the platform lists no such version (not uploaded yet, or a typo); mnpsync tries again on the next run"
                    .to_string(),
            ),
            ids => Err(format!(
                "the platform lists {} versions with this string ({}); declare one by mnpVersionId",
                ids.len(),
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// Whether the released history is needed to plan `id` (older than the online version)
    /// and has not been read.
    pub fn needs_history(&self, id: i64) -> bool {
        self.released.is_none() && matches!(self.online(), Ok(Online::Version(o)) if id < o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(id: i64, version: &str, phase: &str) -> StageVersion {
        StageVersion {
            mnp_id: Some("mnp-shop".into()),
            mnp_version_id: Some(id),
            mnp_version: Some(version.into()),
            phase: Some(phase.into()),
            ..StageVersion::default()
        }
    }

    #[test]
    fn the_online_version_is_the_one_in_phase_online() {
        let p = Program::from_listing(&[
            stage(101, "1.0.0", "Platform"),
            stage(102, "1.1.0", "Online"),
            stage(103, "1.2.0", "Develop"),
        ]);
        assert_eq!(p.online(), Ok(Online::Version(102)));
        assert_eq!(p.version_of(103), Some("1.2.0"));
        assert!(p.needs_history(101));
        assert!(!p.needs_history(103));
        let none = Program::from_listing(&[stage(101, "1.0.0", "Platform")]);
        assert_eq!(none.online(), Ok(Online::Nothing));
    }

    #[test]
    fn two_online_or_an_unknown_phase_is_an_anomaly() {
        let two = Program::from_listing(&[stage(1, "a", "Online"), stage(2, "b", "Online")]);
        assert_eq!(
            two.online(),
            Err(
                "the platform lists 2 versions online (1, 2); nothing is released or rolled back"
                    .to_string()
            )
        );
        let odd = Program::from_listing(&[stage(1, "a", "Gray\u{1b}")]);
        assert_eq!(
            odd.online(),
            Err("the platform lists a phase mnpsync does not know (1 is in phase \"Gray\\u{1b}\"); nothing is released or rolled back".to_string())
        );
    }

    #[test]
    fn a_version_string_resolves_to_exactly_one_version() {
        let p = Program::from_listing(&[
            stage(101, "1.0.0", "Platform"),
            stage(102, "1.1.0", "Platform"),
            stage(103, "1.1.0", "Develop"),
        ]);
        assert_eq!(p.resolve("1.0.0"), Ok(101));
        assert!(p.resolve("9.9.9").unwrap_err().contains("no such version"));
        assert_eq!(
            p.resolve("1.1.0"),
            Err("the platform lists 2 versions with this string (102, 103); declare one by mnpVersionId".to_string())
        );
    }

    #[test]
    fn the_history_includes_the_online_version() {
        let p = Program::from_listing(&[
            stage(101, "1.0.0", "Platform"),
            stage(102, "1.1.0", "Online"),
        ])
        .with_history(&[ReleasedVersion {
            mnp_version_id: Some(100),
            ..ReleasedVersion::default()
        }]);
        assert_eq!(p.released, Some([100, 102].into_iter().collect()));
        assert!(!p.needs_history(101));
    }
}
