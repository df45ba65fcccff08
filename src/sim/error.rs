//! The simulator's API errors: the error codes it can answer with and the [`ApiError`] value that
//! carries a code and its message to the reply.
//!
//! Owns the exact code strings and message wording. It must not decide *when* an error applies —
//! that belongs to the verification (`server/verify`, `server/rate`), parameter (`params`) and
//! rule (`state`) modules.

/// Every `Response.Error.Code` the simulator can send, as the real service spells them.
pub(crate) mod codes {
    /// `X-TC-Action` names no action of the TCMPP API.
    pub(crate) const INVALID_ACTION: &str = "InvalidAction";
    /// Missing, malformed or wrong `Authorization`, wrong credential scope, wrong signature.
    pub(crate) const SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    /// `X-TC-Timestamp` more than 300 s away from the server clock.
    pub(crate) const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    /// The `Credential` names a secret id the server does not know.
    pub(crate) const SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    /// `X-TC-Version` names a version the service does not have.
    pub(crate) const NO_SUCH_VERSION: &str = "NoSuchVersion";
    /// A required parameter (or common header) is absent.
    pub(crate) const MISSING_PARAMETER: &str = "MissingParameter";
    /// A parameter has the wrong type, or the body is not a JSON object.
    pub(crate) const INVALID_PARAMETER: &str = "InvalidParameter";
    /// A parameter has the right type but an unacceptable value.
    pub(crate) const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    /// The body names a parameter the action does not have.
    pub(crate) const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    /// More requests of one action per second than the limit allows.
    pub(crate) const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    /// Injected server-side failure.
    pub(crate) const INTERNAL_ERROR: &str = "InternalError";
    /// `ApplyAction` is neither `submit` nor `cancel`.
    pub(crate) const INVALID_APPLY_ACTION: &str = "InvalidParameterValue.InvalidApplyAction";
    /// `PlatformId` is not a platform of the fixture (or is empty).
    pub(crate) const INVALID_PLATFORM_ID: &str = "InvalidParameterValue.InvalidPlatformId";
    /// The approval is not in a status that allows the operation.
    pub(crate) const MNP_APPROVAL_STATUS_ERROR: &str =
        "InvalidParameterValue.MNPApprovalStatusError";
    /// The version has not reached the platform phase, so it cannot be submitted.
    pub(crate) const MNP_VERSION_NOT_PLATFORM_PHASE: &str =
        "InvalidParameterValue.MNPVersionIsNotPlatformPhase";
    /// The mini program already has an approval in processing.
    pub(crate) const EXIST_MNP_APPROVAL_RECORD: &str = "FailedOperation.ExistMNPApprovalRecord";
    /// The platform's package has expired.
    pub(crate) const PACKAGE_ALREADY_EXPIRED: &str = "FailedOperation.PackageAlreadyExpired";
    /// The mini program's team is not associated with the application's team.
    pub(crate) const MNP_TEAM_NOT_ASSOCIATED: &str =
        "FailedOperation.MNPTeamNotAssociatedApplicationTeam";
    /// `ProcessMNPApproval` names an `ApprovalNo` the platform does not have.
    pub(crate) const APPROVAL_NOT_EXIST: &str = "ResourceNotFound.ApprovalNotExist";
    /// `DescribeMNPAllStageVersions`/`DescribeMNPReleasedVersionHistory` name a mini program the
    /// platform does not have.
    pub(crate) const INVALID_MNP_ID: &str = "InvalidParameterValue.InvalidMNPId";
    /// `RollbackMNPVersion` names a mini program the platform does not have.
    pub(crate) const INVALID_MINI_APP_ID: &str = "InvalidParameterValue.InvalidMiniAppId";
    /// `ReleaseMNPVersion` names no version (empty, or not positive).
    pub(crate) const INVALID_MNP_VERSION_ID: &str = "InvalidParameterValue.InvalidMNPVersionId";
    /// A version whose latest approval is not approved cannot be released.
    pub(crate) const ONLY_RELEASE_APPROVED: &str =
        "FailedOperation.OnlyReleasePlatformApprovedMNPVersion";
    /// The version is online already.
    pub(crate) const MNP_VERSION_RELEASED: &str = "FailedOperation.MNPVersionReleased";
    /// A release must be newer than the online version.
    pub(crate) const RELEASE_NEEDS_GREATER_VERSION: &str =
        "FailedOperation.ReleaseMNPVersionNeedGreaterThanOnlineVersion";
    /// The mini program has used up its releases (fixture `release_limit`).
    pub(crate) const MNP_RELEASE_NUMBER_EXCEED_LIMIT: &str =
        "FailedOperation.MNPReleaseNumberExceedLimit";
    /// A rollback of a mini program that has no online version.
    pub(crate) const MNP_ONLINE_VERSION_NOT_EXIST: &str =
        "FailedOperation.MNPOnlineVersionNotExist";
    /// An operation failed for a reason without a code of its own (e.g. a rollback to a version
    /// that was never released).
    pub(crate) const FAILED_OPERATION: &str = "FailedOperation";

    /// Code recorded in `/_sim/calls` for an injected HTTP 503 (not sent to the client).
    pub(crate) const FAULT_HTTP_503: &str = "HTTP503";
    /// Code recorded in `/_sim/calls` for an injected dropped connection (not sent to the client).
    pub(crate) const FAULT_CONNECTION_DROPPED: &str = "ConnectionDropped";
}

/// An error reply: a code of [`codes`] and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub(crate) struct ApiError {
    /// `Response.Error.Code`.
    pub(crate) code: &'static str,
    /// `Response.Error.Message`.
    pub(crate) message: String,
}

impl ApiError {
    /// An error with an explicit code and message.
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// `MissingParameter` for parameter (or common parameter) `name`.
    pub(crate) fn missing_parameter(name: &str) -> Self {
        Self::new(
            codes::MISSING_PARAMETER,
            format!("The request is missing a required parameter `{name}`."),
        )
    }

    /// `InvalidParameter` for a parameter of the wrong type.
    pub(crate) fn invalid_type(name: &str, expected: &str) -> Self {
        Self::new(
            codes::INVALID_PARAMETER,
            format!("The value type of parameter `{name}` is not valid: expected {expected}."),
        )
    }

    /// `UnknownParameter` for a parameter the action does not define.
    pub(crate) fn unknown_parameter(name: &str) -> Self {
        Self::new(
            codes::UNKNOWN_PARAMETER,
            format!("The parameter `{name}` is not recognized."),
        )
    }

    /// `InvalidParameterValue` with a free message.
    pub(crate) fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_PARAMETER_VALUE, message)
    }

    /// `AuthFailure.SignatureFailure` with a free message.
    pub(crate) fn signature_failure(detail: &str) -> Self {
        Self::new(
            codes::SIGNATURE_FAILURE,
            format!(
                "The provided credentials could not be validated. Please check your signature is correct. ({detail})"
            ),
        )
    }

    /// `InvalidParameterValue.InvalidPlatformId`.
    pub(crate) fn invalid_platform(platform_id: &str) -> Self {
        Self::new(
            codes::INVALID_PLATFORM_ID,
            format!("The PlatformId `{platform_id}` is invalid."),
        )
    }
}
