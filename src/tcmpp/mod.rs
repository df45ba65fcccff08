//! The TCMPP API: signing ([`sign`]), wire types ([`model`]), the error-class table ([`error`]),
//! credentials ([`credentials`]), endpoints ([`endpoint`]), reading replies ([`response`]),
//! retries ([`retry`]) and the rate-limited client ([`client`]).

pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod model;
pub mod response;
pub mod retry;
pub mod sign;

pub use client::{Client, ClientConfig};
pub use credentials::Credentials;
pub use endpoint::{DEFAULT_ENDPOINT, Endpoint, EndpointError};
pub use error::{ApiError, Class, classify};
pub use retry::{CallError, Reply, RetryPolicy};
