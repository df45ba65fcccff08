//! The TCMPP and TCSAS APIs: which one a call goes to ([`api`]), signing ([`sign`]), wire
//! types ([`model`]), the error-class table ([`error`]), credentials ([`credentials`]), endpoints ([`endpoint`]), reading replies ([`response`]),
//! retries ([`retry`]), the circuit breaker ([`breaker`]) and the rate-limited client
//! ([`client`]).
//!
//! What the client guarantees on the wire:
//!
//! - **No redirects.** It never follows one: the signed `Authorization` and `X-TC-Token` headers
//!   (marked sensitive) reach the configured endpoint only. The API never redirects, so an HTTP
//!   3xx answer is [`ApiError::Redirect`], class `Failed`, not retried; the message never shows
//!   the `Location` or any header value.
//! - **Sane timeouts.** [`Client::new`] refuses a `timeout` outside 100 ms..=5 min.
//! - **Nothing unsendable.** A header value HTTP cannot carry (a region with a newline) is
//!   [`ApiError::Unsendable`] naming the header (never a secret value), class `Failed`, found
//!   before any attempt.
//! - **Fail fast when the endpoint is not there.** Attempts that found no server (connection
//!   refused, DNS failure, TLS handshake failure; not timeouts, not connections broken
//!   mid-request, not HTTP 5xx) are counted across all calls of one client. After
//!   [`breaker::THRESHOLD`] (5) in a row the client stops sending: every further attempt,
//!   retries in progress included, fails at once — no network, no rate-limiter wait — with
//!   [`ApiError::NotSent`] (`endpoint unreachable: …`), class `Failed`, the call's attempts
//!   unchanged. Any HTTP answer resets the count. While open, one attempt every
//!   [`breaker::COOL_DOWN`] (5 s) goes through as a probe, so a long-lived client (watch)
//!   recovers when the endpoint comes back.

pub mod api;
pub mod breaker;
pub mod client;
mod config;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod model;
pub mod response;
pub mod retry;
pub mod sign;

pub use api::{Api, UnknownApi};
pub use client::{Client, ClientConfig};
pub use credentials::Credentials;
pub use endpoint::{DEFAULT_ENDPOINT, Endpoint, EndpointError};
pub use error::{ApiError, Class, classify};
pub use retry::{CallError, Reply, RetryPolicy};
