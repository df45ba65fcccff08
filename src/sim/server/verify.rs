//! Request verification: the order of checks a `POST /` goes through before the approval rules
//! see it, ending with the typed parameters.
//!
//! Owns the order and each check's error. It must not roll faults, apply rules, record calls or
//! build replies (`server`), parse parameters itself (`params` does), or keep the rate window
//! (`rate`); and it must never panic on request data.
//!
//! Order of checks for `POST /` (anything else → plain 404, not recorded):
//! 1. `X-TC-Action` absent → `MissingParameter`; unknown → `InvalidAction`.
//! 2. `Authorization` absent or not TC3-shaped → `AuthFailure.SignatureFailure`.
//! 3. `X-TC-Timestamp` absent → `MissingParameter`; not an integer → `InvalidParameter`.
//! 4. more than 300 s from the simulator clock → `AuthFailure.SignatureExpire`.
//! 5. secret id not the configured one → `AuthFailure.SecretIdNotFound`.
//! 6. scope date ≠ the timestamp's UTC date, service ≠ `tcmpp`, `SignedHeaders` without
//!    `content-type` and `host` or naming a header not sent, or signature mismatch →
//!    `AuthFailure.SignatureFailure`. The signature covers the signed headers as received
//!    (lowercased and trimmed, as TC3 requires) and the body bytes (or the string
//!    `UNSIGNED-PAYLOAD` when `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is sent, as the SDKs do),
//!    and is compared in constant time. `X-TC-Token` is accepted with any value.
//! 7. rate limit of the action → `RequestLimitExceeded`.
//! 8. `X-TC-Version` absent → `MissingParameter`; not `2024-08-01` → `NoSuchVersion`.
//! 9. `Content-Type` not starting with `application/json` (case-insensitive) or body over 10 MiB →
//!    `InvalidParameter`; then the parameters (see `params`).
//! 10. fault roll; then the approval rules (see `state`); post-commit faults replace the reply
//!     (in `server`).

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use subtle::ConstantTimeEq;

use super::header;
use crate::sim::Sim;
use crate::sim::error::{ApiError, codes};
use crate::sim::params::{self, Action, ApiRequest};
use crate::tcmpp::model::API_VERSION;
use crate::tcmpp::sign;

/// Largest accepted request body, like the real service's POST limit.
pub(super) const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Largest accepted distance between `X-TC-Timestamp` and the simulator clock.
const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// `1994-11-06 08:49:37` (UTC) for a unix time, as the `SignatureExpire` message shows it.
pub(super) fn utc_datetime(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {:02}:{:02}:{:02}",
        sign::scope_date(unix),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Sim {
    /// Steps 1–9: the request's typed parameters, or the first check's error.
    pub(super) fn verify(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<ApiRequest, ApiError> {
        let name =
            header(headers, "x-tc-action").ok_or_else(|| ApiError::missing_parameter("Action"))?;
        let action = Action::from_name(name).ok_or_else(|| {
            ApiError::new(
                codes::INVALID_ACTION,
                format!("The action `{name}` does not exist for service `tcmpp`."),
            )
        })?;
        self.verify_signature(headers, host, body)?;
        self.admit(action)?;
        let version = header(headers, "x-tc-version")
            .ok_or_else(|| ApiError::missing_parameter("Version"))?;
        if version != API_VERSION {
            return Err(ApiError::new(
                codes::NO_SUCH_VERSION,
                format!("The requested version `{version}` of service `tcmpp` does not exist."),
            ));
        }
        let content_type = header(headers, CONTENT_TYPE.as_str()).unwrap_or_default();
        if !content_type
            .to_ascii_lowercase()
            .starts_with(sign::CONTENT_TYPE)
        {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!(
                    "The Content-Type `{content_type}` is not supported; use application/json."
                ),
            ));
        }
        let body = body.ok_or_else(|| {
            ApiError::new(
                codes::INVALID_PARAMETER,
                format!("The request body exceeds {MAX_BODY_BYTES} bytes or could not be read."),
            )
        })?;
        params::parse(action, body)
    }

    /// Steps 2–6.
    fn verify_signature(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<(), ApiError> {
        let authorization = header(headers, AUTHORIZATION.as_str())
            .ok_or_else(|| ApiError::signature_failure("the Authorization header is missing"))?;
        let parsed = sign::parse_authorization(authorization).ok_or_else(|| {
            ApiError::signature_failure("the Authorization header is not a TC3-HMAC-SHA256 one")
        })?;
        let timestamp = header(headers, "x-tc-timestamp")
            .ok_or_else(|| ApiError::missing_parameter("Timestamp"))?;
        let timestamp: i64 = timestamp.parse().map_err(|_| {
            ApiError::new(
                codes::INVALID_PARAMETER,
                format!("The parameter `Timestamp` must be an integer, got `{timestamp}`."),
            )
        })?;
        let now = self.now_unix();
        if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
            return Err(ApiError::new(
                codes::SIGNATURE_EXPIRE,
                format!(
                    "Signature expired. Timestamp:{timestamp}; Server date:{} (UTC). The timestamp must be within {MAX_CLOCK_SKEW_SECS} seconds of the server time.",
                    utc_datetime(now)
                ),
            ));
        }
        if parsed.secret_id != self.inner.config.secret_id {
            return Err(ApiError::new(
                codes::SECRET_ID_NOT_FOUND,
                "The SecretId is not found, please ensure that your SecretId is correct.",
            ));
        }
        if parsed.date != sign::scope_date(timestamp) {
            return Err(ApiError::signature_failure(
                "the credential scope date is not the UTC date of X-TC-Timestamp",
            ));
        }
        if parsed.service != sign::SERVICE {
            return Err(ApiError::signature_failure(
                "the credential scope service is not `tcmpp`",
            ));
        }
        let payload: &[u8] = if header(headers, "x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD") {
            b"UNSIGNED-PAYLOAD"
        } else {
            body.unwrap_or_default()
        };
        // Any header set that includes content-type and host, as the service accepts: the SDKs
        // sign `content-type;host`, the API documentation's example adds `x-tc-action`.
        let names: Vec<&str> = parsed.signed_headers.split(';').collect();
        if !names.contains(&"content-type") || !names.contains(&"host") {
            return Err(ApiError::signature_failure(
                "SignedHeaders must include content-type and host",
            ));
        }
        let mut signed = Vec::with_capacity(names.len());
        for name in &names {
            let value = if *name == "host" {
                host
            } else {
                header(headers, name)
            };
            let value = value.ok_or_else(|| {
                ApiError::signature_failure(&format!("the signed header `{name}` is missing"))
            })?;
            signed.push((*name, value));
        }
        let expected =
            sign::signature_over(&self.inner.config.secret_key, &signed, payload, timestamp);
        // Constant time over the bytes; a length mismatch is simply unequal.
        if bool::from(parsed.signature.as_bytes().ct_eq(expected.as_bytes())) {
            Ok(())
        } else {
            Err(ApiError::signature_failure("the signature does not match"))
        }
    }
}
