//! Responses: a reply body to data or [`ApiError`] ([`parse_body`]), transport failures to
//! [`ApiError`] (`transport_error`) and whether one means "no server at the endpoint"
//! (`is_no_server`, what the client's circuit breaker counts), and the server's `Date` header
//! to unix seconds ([`httpdate_to_unix`]).
//!
//! Pure functions of what came back; no I/O.

use std::time::{Duration, UNIX_EPOCH};

use serde::de::DeserializeOwned;

use crate::tcmpp::error::ApiError;
use crate::tcmpp::model::Envelope;

/// Whether a failed exchange found no server at all: the connection could not be made
/// (refused, DNS failure, TLS handshake failure). Not a timeout (also one while connecting: the
/// host may be slow, not absent), not a connection broken mid-request, never an HTTP answer.
pub(crate) fn is_no_server(error: &reqwest::Error) -> bool {
    error.is_connect() && !error.is_timeout()
}

pub(crate) fn transport_error(error: &reqwest::Error, timeout: Duration) -> ApiError {
    if error.is_timeout() {
        ApiError::Timeout(timeout)
    } else {
        // reqwest's Display names the URL but never headers, so no secret can leak here.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        ApiError::Connection(message)
    }
}

/// Interprets a response body: TCMPP's success and error shapes, or a protocol failure.
pub fn parse_body<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<(T, String), ApiError> {
    let envelope: Result<Envelope<serde_json::Value>, _> = serde_json::from_slice(body);
    let response = match envelope {
        Ok(envelope) => envelope.response,
        Err(e) if (200..300).contains(&status) => {
            return Err(ApiError::Decode {
                message: format!("{e} (body starts {:?})", snippet(body)),
                request_id: None,
            });
        }
        Err(_) => {
            return Err(ApiError::Http {
                status,
                request_id: None,
            });
        }
    };
    let request_id = response.request_id;
    if let Some(error) = response.error {
        return Err(ApiError::Service {
            code: error.code,
            message: error.message,
            request_id,
        });
    }
    if !(200..300).contains(&status) {
        return Err(ApiError::Http {
            status,
            request_id: Some(request_id),
        });
    }
    let Some(data) = response.data else {
        return Err(ApiError::Decode {
            message: "response has neither Data nor Error".to_string(),
            request_id: Some(request_id),
        });
    };
    match serde_json::from_value(data) {
        Ok(data) => Ok((data, request_id)),
        Err(e) => Err(ApiError::Decode {
            message: format!("unexpected Data: {e}"),
            request_id: Some(request_id),
        }),
    }
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned()
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) to unix seconds.
pub fn httpdate_to_unix(value: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(value.trim()).ok()?;
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcmpp::model::CreateMnpApprovalData;

    #[test]
    fn bodies_are_parsed_or_reported() {
        let ok = parse_body::<CreateMnpApprovalData>(
            200,
            br#"{"Response":{"Data":{"Result":true},"RequestId":"r1"}}"#,
        );
        assert_eq!(
            ok,
            Ok((
                CreateMnpApprovalData {
                    result: true,
                    approval_no: None
                },
                "r1".to_string()
            ))
        );
        let err = parse_body::<CreateMnpApprovalData>(
            200,
            br#"{"Response":{"Error":{"Code":"FailedOperation.ExistMNPApprovalRecord","Message":"m"},"RequestId":"r2"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "FailedOperation.ExistMNPApprovalRecord");
        assert_eq!(err.request_id(), Some("r2"));
        let garbage = parse_body::<CreateMnpApprovalData>(200, b"<html>oops</html>").unwrap_err();
        assert_eq!(garbage.code(), "UnparseableResponse");
        assert!(garbage.to_string().contains("<html>oops"), "{garbage}");
        let empty = parse_body::<CreateMnpApprovalData>(200, br#"{"Response":{"RequestId":"r3"}}"#)
            .unwrap_err();
        assert_eq!(empty.code(), "UnparseableResponse");
        assert_eq!(empty.request_id(), Some("r3"));
        let wrong = parse_body::<CreateMnpApprovalData>(
            200,
            br#"{"Response":{"Data":{"Result":"yes"},"RequestId":"r4"}}"#,
        )
        .unwrap_err();
        assert_eq!(wrong.code(), "UnparseableResponse");
        let unavailable =
            parse_body::<CreateMnpApprovalData>(503, b"Service Unavailable").unwrap_err();
        assert_eq!(
            unavailable,
            ApiError::Http {
                status: 503,
                request_id: None
            }
        );
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            httpdate_to_unix("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(httpdate_to_unix("garbage"), None);
    }
}
