//! # mnpsync
//!
//! Keeps Tencent Cloud TCMPP mini program approval requests in the state that a git repository
//! declares.
//!
//! # Layout
//!
//! - [`manifest`]: the `mnpsync/v1` YAML schema, loading and validation with locations.
//! - [`tcmpp`]: the API client — signing, typed calls, the error-class table, retries.
//! - [`sim`]: a faithful local simulator of the TCMPP endpoint.

pub mod manifest;
pub mod sim;
pub mod tcmpp;
