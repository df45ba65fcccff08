//! A request's body: reading it within the size bound ([`MAX_BODY_BYTES`]) and the body timeout
//! ([`SimConfig::body_timeout`](crate::sim::SimConfig::body_timeout)), what became of it
//! ([`RequestBody`]), and step 8 of the order of checks (the error of a body too large or too
//! slow).
//!
//! Owns the bound, the timeout and their messages. It must not decide when the body is read
//! (`routes` reads it only after the headers-only checks of `verify` passed) and must not
//! verify the signature over it (`verify` does).

use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use futures::StreamExt;

use super::header;
use crate::sim::error::{ApiError, codes};

/// Largest accepted request body, like the real service's POST limit.
pub(crate) const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// What became of a request's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestBody {
    /// Received in full, at most [`MAX_BODY_BYTES`].
    Read(Bytes),
    /// Longer than [`MAX_BODY_BYTES`] (declared by `Content-Length` or as received); the rest
    /// was not read.
    TooLarge,
    /// Not received in full within this timeout.
    TimedOut(Duration),
    /// Reading failed (the client went away, or a malformed chunked encoding).
    Unreadable,
    /// Not read, because a check before the body failed.
    Skipped,
}

impl From<Option<&[u8]>> for RequestBody {
    /// The body of a request handled without HTTP: `None` is a body that could not be read.
    fn from(body: Option<&[u8]>) -> RequestBody {
        body.map_or(RequestBody::Unreadable, |bytes| {
            RequestBody::Read(Bytes::copy_from_slice(bytes))
        })
    }
}

impl RequestBody {
    /// The bytes, when the body was read.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match self {
            RequestBody::Read(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Step 8: the bytes (`None` when unreadable; the signature then fails, see `verify`), or
    /// `InvalidParameter` for a body too large or too slow.
    pub(super) fn check(&self) -> Result<Option<&[u8]>, ApiError> {
        match self {
            RequestBody::Read(bytes) => Ok(Some(bytes)),
            RequestBody::TooLarge => Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!("The request body exceeds {MAX_BODY_BYTES} bytes."),
            )),
            RequestBody::TimedOut(timeout) => Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!(
                    "The request body was not received within {}.",
                    humantime::format_duration(*timeout)
                ),
            )),
            RequestBody::Unreadable | RequestBody::Skipped => Ok(None),
        }
    }

    /// Reads `body` in full: at most [`MAX_BODY_BYTES`] (a larger `Content-Length` is refused
    /// without reading), within `timeout` (zero: no limit).
    pub(super) async fn read(
        body: axum::body::Body,
        headers: &HeaderMap,
        timeout: Duration,
    ) -> RequestBody {
        let declared = header(headers, CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return RequestBody::TooLarge;
        }
        let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(0));
        let collect = async move {
            let mut bytes = Vec::with_capacity(capacity);
            let mut stream = body.into_data_stream();
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else {
                    return RequestBody::Unreadable;
                };
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return RequestBody::TooLarge;
                }
                bytes.extend_from_slice(&chunk);
            }
            RequestBody::Read(Bytes::from(bytes))
        };
        if timeout.is_zero() {
            return collect.await;
        }
        tokio::time::timeout(timeout, collect)
            .await
            .unwrap_or(RequestBody::TimedOut(timeout))
    }
}
