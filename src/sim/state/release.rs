//! `ReleaseMNPVersion` and `RollbackMNPVersion`: putting a version online, and putting a
//! previously released one back.
//!
//! Rules, in check order (documented choices where the real service's behaviour is not
//! published):
//! - release: `MNPVersionId` positive (else `InvalidParameterValue.InvalidMNPVersionId`; every
//!   positive id is a version, as for submits); platform known; package not expired; the
//!   version not online already (`FailedOperation.MNPVersionReleased`); in the platform phase
//!   with an approved latest approval (`FailedOperation.OnlyReleasePlatformApprovedMNPVersion`);
//!   newer than the online version (`FailedOperation.ReleaseMNPVersionNeedGreaterThanOnlineVersion`;
//!   "newer" compares `MNPVersionId`s, i.e. upload order — an assumption, the platform's rule is
//!   not published); the mini program's `release_limit` not reached
//!   (`FailedOperation.MNPReleaseNumberExceedLimit`).
//! - rollback: platform known; package not expired; `MNPId` a mini program of the platform
//!   (`InvalidParameterValue.InvalidMiniAppId`); `MNPVersionId` one of its versions and
//!   `MNPVersion` that version's string (`InvalidParameterValue`); an online version exists
//!   (`FailedOperation.MNPOnlineVersionNotExist`); the target is not online now and is in the
//!   release history (`FailedOperation`).
//! - Either success appends the version to the history (it is online from `now`; the previous
//!   online version is back in the `Platform` phase) and counts towards `release_limit`.
//!
//! Pure, like all of `state`: it must not change anything when it returns an error.

use super::records::{Release, Releases};
use super::{Now, State, package_expired};
use crate::sim::error::{ApiError, codes};
use crate::tcmpp::model::{ApprovalStatus, ReleaseMnpVersionRequest, RollbackMnpVersionRequest};

impl State {
    /// `ReleaseMNPVersion`: put an approved version online.
    pub(crate) fn release(
        &mut self,
        req: &ReleaseMnpVersionRequest,
        now: Now,
    ) -> Result<(), ApiError> {
        let version = req.mnp_version_id;
        if version <= 0 {
            return Err(ApiError::new(
                codes::INVALID_MNP_VERSION_ID,
                format!("The MNPVersionId {version} does not name a mini program version."),
            ));
        }
        let platform = self.known_platform(&req.platform_id)?;
        if platform.package_expired() {
            return Err(package_expired());
        }
        let mnp = platform.mnp_of(version);
        let online = self.online_of(&req.platform_id, &mnp);
        if online == Some(version) {
            return Err(ApiError::new(
                codes::MNP_VERSION_RELEASED,
                format!("The mini program version {version} is online already."),
            ));
        }
        let why_not = if !platform.in_platform_phase(version) {
            Some("it is not in the platform phase".to_string())
        } else {
            match self.latest_approval(&req.platform_id, version) {
                None => Some("it has no approval".to_string()),
                Some(a) if a.status != ApprovalStatus::Approved => Some(format!(
                    "its latest approval {} is {}",
                    a.approval_no, a.status
                )),
                Some(_) => None,
            }
        };
        if let Some(why_not) = why_not {
            return Err(ApiError::new(
                codes::ONLY_RELEASE_APPROVED,
                format!(
                    "Only an approved mini program version can be released; version {version} cannot: {why_not}."
                ),
            ));
        }
        if let Some(online) = online.filter(|online| version < *online) {
            return Err(ApiError::new(
                codes::RELEASE_NEEDS_GREATER_VERSION,
                format!(
                    "The mini program version {version} is older than the online version {online}; only a newer version can be released."
                ),
            ));
        }
        let limit = platform.mini_program(&mnp).and_then(|m| m.release_limit);
        let count = self
            .releases_of(&req.platform_id, &mnp)
            .map_or(0, |r| r.count);
        if let Some(limit) = limit.filter(|limit| count >= *limit) {
            return Err(ApiError::new(
                codes::MNP_RELEASE_NUMBER_EXCEED_LIMIT,
                format!("The mini program `{mnp}` has used up its {limit} releases."),
            ));
        }
        let platform_id = req.platform_id.clone();
        self.put_online(platform_id, mnp, version, now);
        Ok(())
    }

    /// `RollbackMNPVersion`: put a previously released version back online.
    pub(crate) fn rollback(
        &mut self,
        req: &RollbackMnpVersionRequest,
        now: Now,
    ) -> Result<(), ApiError> {
        let platform = self.known_platform(&req.platform_id)?;
        if platform.package_expired() {
            return Err(package_expired());
        }
        let mnp = &req.mnp_id;
        let version = req.mnp_version_id;
        let Some(versions) = platform.versions_of(mnp) else {
            return Err(ApiError::new(
                codes::INVALID_MINI_APP_ID,
                format!(
                    "The MNPId `{mnp}` is invalid: platform `{}` has no such mini program.",
                    req.platform_id
                ),
            ));
        };
        if !versions.contains(&version) {
            return Err(ApiError::invalid_value(format!(
                "The MNPVersionId {version} is not a version of mini program `{mnp}`."
            )));
        }
        let expected = platform.version_string(version);
        if req.mnp_version != expected {
            return Err(ApiError::invalid_value(format!(
                "The MNPVersion `{}` does not match version {version}, which is `{expected}`.",
                req.mnp_version
            )));
        }
        let Some(online) = self.online_of(&req.platform_id, mnp) else {
            return Err(ApiError::new(
                codes::MNP_ONLINE_VERSION_NOT_EXIST,
                format!("The mini program `{mnp}` has no online version to roll back."),
            ));
        };
        if online == version {
            return Err(ApiError::new(
                codes::FAILED_OPERATION,
                format!(
                    "The mini program version {version} is online now; roll back to an earlier released version."
                ),
            ));
        }
        let released = self
            .releases_of(&req.platform_id, mnp)
            .is_some_and(|r| r.history.iter().any(|r| r.version_id == version));
        if !released {
            return Err(ApiError::new(
                codes::FAILED_OPERATION,
                format!(
                    "The mini program version {version} was never released; only a version from the release history can be rolled back to."
                ),
            ));
        }
        self.put_online(req.platform_id.clone(), mnp.clone(), version, now);
        Ok(())
    }

    /// Appends `version` to the mini program's history (it is online from `now`) and counts
    /// the release.
    fn put_online(&mut self, platform_id: String, mnp_id: String, version: i64, now: Now) {
        let releases: &mut Releases = self.releases.entry((platform_id, mnp_id)).or_default();
        releases.history.push(Release {
            version_id: version,
            time: now.unix,
        });
        releases.count = releases.count.saturating_add(1);
    }
}
