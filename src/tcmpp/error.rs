//! The error-class table of DESIGN.md §1: one pure function, [`classify`], decides what every
//! API error means for mnpsync (converged, blocked, rejected input, auth, clock, transient, failed).
//!
//! Nothing here performs I/O or retries; the client and the executor act on the returned [`Class`].

use crate::action::Action;

/// Why one API call did not return data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The service answered with `Response.Error`.
    #[error("{code}: {message} (RequestId {request_id})")]
    Service {
        code: String,
        message: String,
        request_id: String,
    },
    /// A non-2xx HTTP status without a parseable error body.
    #[error("HTTP {status} from the endpoint{}", request_id_suffix(request_id))]
    Http {
        status: u16,
        request_id: Option<String>,
    },
    /// The request did not complete within the per-request timeout.
    #[error("request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The connection could not be made or broke before a response arrived.
    #[error("connection error: {0}")]
    Connection(String),
    /// The endpoint answered with an HTTP redirect (3xx). The API never redirects and the client
    /// never follows one (signed headers must not reach another host); the target is not shown.
    #[error(
        "the endpoint answered HTTP {status}, a redirect; the API never redirects — check --endpoint"
    )]
    Redirect { status: u16 },
    /// The request could not be built: a header value (named; secret ones never shown) that HTTP
    /// cannot carry. Nothing was sent.
    #[error("cannot send the {header} header: {reason}")]
    Unsendable { header: String, reason: String },
    /// The call was not sent: the caller withdrew it after waiting for the rate limiter (an
    /// earlier auth failure, or shutdown).
    #[error("not sent: {0}")]
    NotSent(String),
    /// The server answered 2xx with a body that is not a TCMPP response.
    #[error(
        "unparseable response body: {message}{}",
        request_id_suffix(request_id)
    )]
    Decode {
        message: String,
        request_id: Option<String>,
    },
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" (RequestId {id})"))
        .unwrap_or_default()
}

impl ApiError {
    /// The API error code, or a pseudo-code (`HTTP503`, `HTTP302`, `Timeout`, `ConnectionError`,
    /// `UnsendableHeader`, `UnparseableResponse`, `NotSent`) for failures that never reached the
    /// API's error shape.
    pub fn code(&self) -> String {
        match self {
            ApiError::Service { code, .. } => code.clone(),
            ApiError::Http { status, .. } | ApiError::Redirect { status } => {
                format!("HTTP{status}")
            }
            ApiError::Timeout(_) => "Timeout".to_string(),
            ApiError::Connection(_) => "ConnectionError".to_string(),
            ApiError::Unsendable { .. } => "UnsendableHeader".to_string(),
            ApiError::Decode { .. } => "UnparseableResponse".to_string(),
            ApiError::NotSent(_) => "NotSent".to_string(),
        }
    }

    /// The RequestId, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Service { request_id, .. } => Some(request_id.as_str()),
            ApiError::Http { request_id, .. } | ApiError::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            ApiError::Timeout(_)
            | ApiError::Connection(_)
            | ApiError::Redirect { .. }
            | ApiError::Unsendable { .. }
            | ApiError::NotSent(_) => None,
        }
    }

    /// The server's message (or a description of the transport failure).
    pub fn message(&self) -> String {
        match self {
            ApiError::Service { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// What an error means for mnpsync; decides retries, outcomes and whether a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Class {
    /// `ExistMNPApprovalRecord` on submit: an approval is already in place.
    AlreadyInPlace,
    /// `MNPApprovalStatusError` on cancel: nothing pending to cancel.
    AlreadyCancelled,
    /// `MNPVersionReleased` on release: the version was released already.
    AlreadyReleased,
    /// A person must act on the platform; never retried.
    Blocked,
    /// The request's parameters are wrong: the manifest must change; never retried.
    RejectedInput,
    /// Credentials are wrong or lack permission: stop the run.
    Auth,
    /// The request's timestamp is too far from the server's clock: retry once, corrected.
    Clock,
    /// Worth retrying with backoff.
    Transient,
    /// Anything else: fail with the code, message and RequestId.
    Failed,
}

/// Codes that mean a person must act on the platform.
pub const BLOCKED_CODES: &[&str] = &[
    "InvalidParameterValue.MNPVersionIsNotPlatformPhase",
    "FailedOperation.PackageAlreadyExpired",
    "FailedOperation.MNPTeamNotAssociatedApplicationTeam",
    "FailedOperation.MNPTeamAssociatedApplicationTeamNotCreateApplication",
    "FailedOperation.OnlyReleasePlatformApprovedMNPVersion",
    "FailedOperation.ReleaseMNPVersionNeedGreaterThanOnlineVersion",
    "FailedOperation.MNPReleaseNumberExceedLimit",
    "FailedOperation.MNPOnlineVersionNotExist",
];

/// The error-class table. `action` is the plan action the call makes, `None` for reads (for
/// which nothing converges).
pub fn classify(error: &ApiError, action: Option<Action>) -> Class {
    let code = match error {
        ApiError::Service { code, .. } => code.as_str(),
        ApiError::Http { status, .. } => {
            return if *status >= 500 || *status == 429 {
                Class::Transient
            } else {
                Class::Failed
            };
        }
        ApiError::Timeout(_) | ApiError::Connection(_) | ApiError::Decode { .. } => {
            return Class::Transient;
        }
        // A redirect answers the same way every time; a header that cannot be built never
        // will be; a withdrawn call was not sent.
        ApiError::Redirect { .. } | ApiError::Unsendable { .. } | ApiError::NotSent(_) => {
            return Class::Failed;
        }
    };
    let family = |prefix: &str| code == prefix || code.starts_with(&format!("{prefix}."));
    match (code, action) {
        ("FailedOperation.ExistMNPApprovalRecord", Some(Action::Submit)) => Class::AlreadyInPlace,
        ("InvalidParameterValue.MNPApprovalStatusError", Some(Action::Cancel)) => {
            Class::AlreadyCancelled
        }
        ("FailedOperation.MNPVersionReleased", Some(Action::Release)) => Class::AlreadyReleased,
        _ if BLOCKED_CODES.contains(&code) => Class::Blocked,
        ("AuthFailure.SignatureExpire", _) => Class::Clock,
        _ if family("AuthFailure") || family("UnauthorizedOperation") => Class::Auth,
        _ if family("InvalidParameter")
            || code.starts_with("InvalidParameterValue")
            || family("MissingParameter")
            || family("UnknownParameter") =>
        {
            Class::RejectedInput
        }
        _ if code.starts_with("RequestLimitExceeded")
            || code.starts_with("InternalError")
            || code.starts_with("ServiceUnavailable") =>
        {
            Class::Transient
        }
        _ => Class::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::{Cancel, Submit};

    fn service(code: &str) -> ApiError {
        ApiError::Service {
            code: code.into(),
            message: "m".into(),
            request_id: "r".into(),
        }
    }

    #[test]
    fn table_row_by_row() {
        let rows: &[(&str, Option<Action>, Class)] = &[
            (
                "FailedOperation.ExistMNPApprovalRecord",
                Some(Submit),
                Class::AlreadyInPlace,
            ),
            (
                "FailedOperation.ExistMNPApprovalRecord",
                Some(Cancel),
                Class::Failed,
            ),
            (
                "FailedOperation.ExistMNPApprovalRecord",
                None,
                Class::Failed,
            ),
            (
                "InvalidParameterValue.MNPApprovalStatusError",
                Some(Cancel),
                Class::AlreadyCancelled,
            ),
            (
                "InvalidParameterValue.MNPApprovalStatusError",
                Some(Submit),
                Class::RejectedInput,
            ),
            (
                "InvalidParameterValue.MNPVersionIsNotPlatformPhase",
                Some(Submit),
                Class::Blocked,
            ),
            (
                "FailedOperation.PackageAlreadyExpired",
                Some(Submit),
                Class::Blocked,
            ),
            (
                "FailedOperation.MNPTeamNotAssociatedApplicationTeam",
                Some(Cancel),
                Class::Blocked,
            ),
            (
                "FailedOperation.MNPTeamAssociatedApplicationTeamNotCreateApplication",
                Some(Submit),
                Class::Blocked,
            ),
            ("InvalidParameter", Some(Submit), Class::RejectedInput),
            ("InvalidParameterValue", Some(Submit), Class::RejectedInput),
            (
                "InvalidParameterValue.InvalidPlatformId",
                Some(Submit),
                Class::RejectedInput,
            ),
            (
                "InvalidParameterValue.InvalidApplyAction",
                Some(Cancel),
                Class::RejectedInput,
            ),
            ("MissingParameter", Some(Submit), Class::RejectedInput),
            ("UnknownParameter", None, Class::RejectedInput),
            ("AuthFailure.SignatureFailure", Some(Submit), Class::Auth),
            ("AuthFailure.SecretIdNotFound", None, Class::Auth),
            (
                "AuthFailure.UnauthorizedOperation",
                Some(Cancel),
                Class::Auth,
            ),
            ("UnauthorizedOperation", Some(Submit), Class::Auth),
            (
                "UnauthorizedOperation.NoPermission",
                Some(Submit),
                Class::Auth,
            ),
            ("AuthFailure.SignatureExpire", Some(Submit), Class::Clock),
            ("RequestLimitExceeded", Some(Submit), Class::Transient),
            (
                "RequestLimitExceeded.UinLimitExceeded",
                None,
                Class::Transient,
            ),
            ("InternalError", Some(Submit), Class::Transient),
            ("InternalError.DbError", Some(Cancel), Class::Transient),
            ("ServiceUnavailable", None, Class::Transient),
            ("FailedOperation", Some(Submit), Class::Failed),
            ("ResourceNotFound", Some(Submit), Class::Failed),
            ("InvalidAction", None, Class::Failed),
            ("AuthFailureX", None, Class::Failed),
        ];
        for (code, action, class) in rows {
            assert_eq!(
                classify(&service(code), *action),
                *class,
                "{code} {action:?}"
            );
        }
    }

    #[test]
    fn transport_failures_are_transient() {
        let rows = [
            (
                ApiError::Http {
                    status: 503,
                    request_id: None,
                },
                Class::Transient,
            ),
            (
                ApiError::Http {
                    status: 500,
                    request_id: None,
                },
                Class::Transient,
            ),
            (
                ApiError::Http {
                    status: 429,
                    request_id: None,
                },
                Class::Transient,
            ),
            (
                ApiError::Http {
                    status: 404,
                    request_id: None,
                },
                Class::Failed,
            ),
            (
                ApiError::Timeout(std::time::Duration::from_secs(1)),
                Class::Transient,
            ),
            (ApiError::Connection("reset".into()), Class::Transient),
            (
                ApiError::Decode {
                    message: "x".into(),
                    request_id: None,
                },
                Class::Transient,
            ),
            (ApiError::NotSent("shutdown".into()), Class::Failed),
            (ApiError::Redirect { status: 302 }, Class::Failed),
            (ApiError::Redirect { status: 307 }, Class::Failed),
            (
                ApiError::Unsendable {
                    header: "X-TC-Region".into(),
                    reason: "r".into(),
                },
                Class::Failed,
            ),
        ];
        for (error, class) in rows {
            assert_eq!(classify(&error, Some(Submit)), class, "{error:?}");
        }
    }

    #[test]
    fn codes_and_request_ids_are_kept() {
        assert_eq!(service("X.Y").code(), "X.Y");
        assert_eq!(service("X.Y").request_id(), Some("r"));
        assert_eq!(
            ApiError::Http {
                status: 503,
                request_id: None
            }
            .code(),
            "HTTP503"
        );
        assert_eq!(
            service("FailedOperation").to_string(),
            "FailedOperation: m (RequestId r)"
        );
        let redirect = ApiError::Redirect { status: 302 };
        assert_eq!(
            (redirect.code().as_str(), redirect.request_id()),
            ("HTTP302", None)
        );
        assert_eq!(
            redirect.to_string(),
            "the endpoint answered HTTP 302, a redirect; the API never redirects — check --endpoint"
        );
        let unsendable = ApiError::Unsendable {
            header: "X-TC-Region".into(),
            reason: "why".into(),
        };
        assert_eq!(unsendable.code(), "UnsendableHeader");
        assert_eq!(
            unsendable.to_string(),
            "cannot send the X-TC-Region header: why"
        );
    }
}
