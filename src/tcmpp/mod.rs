//! The TCMPP API: signing ([`sign`]), wire types ([`model`]), the error-class table ([`error`]),
//! credentials ([`credentials`]) and the rate-limited, retrying client ([`client`]).

pub mod client;
pub mod credentials;
pub mod error;
pub mod model;
pub mod sign;

pub use client::{CallError, Client, ClientConfig, Endpoint, RetryPolicy};
pub use credentials::Credentials;
pub use error::{ApiError, Class, classify};
