//! Request verification: the order of checks a `POST /` goes through before the approval rules
//! see it, ending with the typed parameters.
//!
//! Owns the order and each check's error. It must not read the body or bound it (`body`), roll
//! faults, apply rules, record calls or build replies (`server`), parse parameters itself
//! (`params` does), or keep the rate window (`rate`); and it must never panic on request data.
//!
//! Order of checks for `POST /` (anything else → plain 404, not recorded):
//! 1. `X-TC-Action` absent → `MissingParameter`; unknown → `InvalidAction`.
//! 2. `Authorization` absent or not TC3-shaped → `AuthFailure.SignatureFailure`.
//! 3. `X-TC-Timestamp` absent → `MissingParameter`; not an integer → `InvalidParameter`.
//! 4. more than 300 s from the simulator clock → `AuthFailure.SignatureExpire`.
//! 5. secret id not the configured one → `AuthFailure.SecretIdNotFound`.
//! 6. scope date ≠ the timestamp's UTC date, scope service not one of a served API (`tcmpp`,
//!    `tcsas`, or only the one `SimConfig::apis` names), or `SignedHeaders` without
//!    `content-type` and `host` or naming a header not sent → `AuthFailure.SignatureFailure`.
//!    The scope's service decides the request's API.
//! 7. `X-TC-Version` absent → `MissingParameter`; not that API's version (`2024-08-01` for
//!    `tcmpp`, `2025-01-06` for `tcsas`) → `NoSuchVersion`.
//!
//! Steps 1–7 need only the headers; a request that fails one is answered without its body
//! being read (its call is recorded with `params: null`). Then:
//!
//! 8. the body is read (in `routes`, see `body`): over 10 MiB (declared by `Content-Length` or
//!    as received) → `InvalidParameter` ("The request body exceeds 10485760 bytes."), not the
//!    signature failure its unread bytes would cause; not received within
//!    `SimConfig::body_timeout` → `InvalidParameter`.
//! 9. signature mismatch → `AuthFailure.SignatureFailure`. The signature covers the signed
//!    headers as received (lowercased and trimmed, as TC3 requires) and the body bytes (or the
//!    string `UNSIGNED-PAYLOAD` when `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is sent, as the
//!    SDKs do; a body that could not be read fails otherwise), and is compared in constant
//!    time. `X-TC-Token` is accepted with any value.
//! 10. rate limit of the action → `RequestLimitExceeded`. It comes after the signature, so that
//!     requests that fail authentication neither use up nor are refused by an action's budget.
//! 11. `Content-Type` not starting with `application/json` (case-insensitive) →
//!     `InvalidParameter`; then the parameters (see `params`).
//! 12. fault roll; then the approval rules (see `state`); post-commit faults replace the reply
//!     (in `server`).

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use subtle::ConstantTimeEq;

use super::body::RequestBody;
use super::header;
use crate::sim::Sim;
use crate::sim::error::{ApiError, codes};
use crate::sim::params::{self, Action, ApiRequest};
use crate::tcmpp::Api;
use crate::tcmpp::sign;

/// Largest accepted distance between `X-TC-Timestamp` and the simulator clock.
const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// What the headers-only checks (steps 1–7) established, for the checks after the body.
#[derive(Debug)]
pub(super) struct Checked {
    /// The API of the credential scope's service.
    api: Api,
    action: Action,
    timestamp: i64,
    /// The `Signature` of the `Authorization` header.
    signature: String,
    /// The signed headers, `(name, value)` in the order of `SignedHeaders`, values as received.
    signed: Vec<(String, String)>,
    /// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` was sent.
    unsigned_payload: bool,
}

impl Checked {
    /// The API the request was signed for.
    pub(super) fn api(&self) -> Api {
        self.api
    }
}

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
    /// Steps 1–7, the checks that need only the headers: what the later checks need, or the
    /// first check's error.
    pub(super) fn check_headers(
        &self,
        headers: &HeaderMap,
        host: Option<&str>,
    ) -> Result<Checked, ApiError> {
        let name =
            header(headers, "x-tc-action").ok_or_else(|| ApiError::missing_parameter("Action"))?;
        let action = Action::from_name(name).ok_or_else(|| {
            ApiError::new(
                codes::INVALID_ACTION,
                format!("The action `{name}` does not exist for service `tcmpp`."),
            )
        })?;
        let checked = self.check_credentials(action, headers, host)?;
        let version = header(headers, "x-tc-version")
            .ok_or_else(|| ApiError::missing_parameter("Version"))?;
        let api = checked.api;
        if version != api.version() {
            return Err(ApiError::new(
                codes::NO_SUCH_VERSION,
                format!("The requested version `{version}` of service `{api}` does not exist."),
            ));
        }
        Ok(checked)
    }

    /// Steps 8–11, once the body was read: the request's typed parameters, or the first check's
    /// error.
    pub(super) fn check_body(
        &self,
        checked: &Checked,
        headers: &HeaderMap,
        body: &RequestBody,
    ) -> Result<ApiRequest, ApiError> {
        let body = body.check()?;
        self.check_signature(checked, body)?;
        self.admit(checked.api, checked.action)?;
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
                "The request body could not be read.",
            )
        })?;
        params::parse(checked.action, body)
    }

    /// Steps 2–6.
    fn check_credentials(
        &self,
        action: Action,
        headers: &HeaderMap,
        host: Option<&str>,
    ) -> Result<Checked, ApiError> {
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
        let api = Api::from_service(&parsed.service)
            .filter(|api| self.serves(*api))
            .ok_or_else(|| {
                ApiError::signature_failure(&format!(
                    "the credential scope service is not one this endpoint serves ({})",
                    self.served()
                ))
            })?;
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
            signed.push((name.to_string(), value.to_string()));
        }
        Ok(Checked {
            api,
            action,
            timestamp,
            signature: parsed.signature,
            signed,
            unsigned_payload: header(headers, "x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD"),
        })
    }

    /// Whether requests of `api` are served ([`SimConfig::apis`](crate::sim::SimConfig::apis)).
    pub(crate) fn serves(&self, api: Api) -> bool {
        self.inner.config.apis.is_none_or(|only| only == api)
    }

    /// The services served, for messages: "`tcmpp` or `tcsas`", or the one.
    fn served(&self) -> String {
        Api::ALL
            .into_iter()
            .filter(|api| self.serves(*api))
            .map(|api| format!("`{api}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// Step 9: the signature over the signed headers and the body (`None`: unreadable).
    fn check_signature(&self, checked: &Checked, body: Option<&[u8]>) -> Result<(), ApiError> {
        let payload: &[u8] = match (checked.unsigned_payload, body) {
            (true, _) => b"UNSIGNED-PAYLOAD",
            (false, Some(body)) => body,
            (false, None) => {
                return Err(ApiError::signature_failure(
                    "the request body could not be read to verify the signature",
                ));
            }
        };
        let signed: Vec<(&str, &str)> = checked
            .signed
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let expected = sign::signature_over(
            &self.inner.config.secret_key,
            &signed,
            payload,
            checked.timestamp,
            checked.api.service(),
        );
        // Constant time over the bytes; a length mismatch is simply unequal.
        if bool::from(checked.signature.as_bytes().ct_eq(expected.as_bytes())) {
            Ok(())
        } else {
            Err(ApiError::signature_failure("the signature does not match"))
        }
    }
}
