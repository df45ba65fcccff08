//! # mnpsync
//!
//! Keeps Tencent Cloud TCMPP mini program approval requests in the state that a git repository
//! declares.
//!
//! # Layout
//!
//! - [`manifest`]: the `mnpsync/v1` YAML schema, loading and validation with locations.
//! - [`plan`]: pure planning, desired × observed → ordered actions.
//! - [`reconcile`]: one refresh → plan sequence, shared by every command.
//! - [`apply`]: the executor: concurrency, outcomes, records.
//! - [`record`]: `journal.jsonl`, `state.json`, the state-directory lock.
//! - [`report`]: text, JSON and markdown rendering.
//! - [`tcmpp`]: the API client — signing, typed calls, the error-class table, retries.
//! - [`sim`]: a faithful local simulator of the TCMPP endpoint.
//! - [`watch`]: the long-running loop: triggers, file watching, health and metrics.

pub mod apply;
pub mod manifest;
pub mod plan;
pub mod reconcile;
pub mod record;
pub mod report;
pub mod sim;
pub mod tcmpp;
pub mod watch;
