//! The call log: a request id for every API call, and the [`Call`] record of each call that
//! reaches step 1 of the order of checks, with its outcome code.
//!
//! The log is a ring: it keeps the last [`SimConfig::call_log_limit`] calls in arrival order,
//! dropping the oldest when a new one arrives (0 keeps none), so that a long-running simulator
//! does not grow without end.
//!
//! Owns what a record contains, the log's bound and the request-id format (a lowercase
//! UUID-shaped string from the seeded id stream). It must not decide outcomes, and must not
//! record non-API routes.

use axum::http::HeaderMap;
use rand::Rng;
use serde_json::Value;

use super::{header, lock};
#[cfg(doc)]
use crate::sim::SimConfig;
use crate::sim::{Call, Sim};

impl Sim {
    /// A fresh `RequestId`: 32 random hex digits in the 8-4-4-4-12 pattern.
    pub(super) fn request_id(&self) -> String {
        let bytes: [u8; 16] = lock(&self.inner.rngs).ids.random();
        let hex = hex::encode(bytes);
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// Appends a call to the log, dropping the oldest beyond [`SimConfig::call_log_limit`]:
    /// action, region, credential-scope service and version as sent, the body if it was read and is JSON, the outcome code (`None`
    /// for a success) and the reply's request id.
    pub(super) fn record(
        &self,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        code: Option<&str>,
        request_id: String,
    ) {
        let limit = self.inner.config.call_log_limit;
        if limit == 0 {
            return;
        }
        let call = Call {
            action: header(headers, "x-tc-action")
                .unwrap_or_default()
                .to_string(),
            region: header(headers, "x-tc-region")
                .unwrap_or_default()
                .to_string(),
            service: header(headers, "authorization")
                .and_then(crate::tcmpp::sign::parse_authorization)
                .map(|parsed| parsed.service)
                .unwrap_or_default(),
            version: header(headers, "x-tc-version")
                .unwrap_or_default()
                .to_string(),
            params: body
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
            code: code.map(str::to_string),
            request_id,
        };
        let mut calls = lock(&self.inner.calls);
        while calls.len() >= limit {
            calls.pop_front();
        }
        calls.push_back(call);
    }
}
