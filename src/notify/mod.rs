//! Notifications: telling people when reviewers decide, releases land, or a person must act.
//! This module formats and delivers messages; detecting events and recording what was
//! announced are the pipeline's.
//!
//! ```text
//! Batch ─► Notifier::enqueue ─► one queue and task per sink ─► format::prepare ─► HTTP ─► Report
//!          (event filter)        (rate limit, retries, timeout)  (body, signature)
//! ```
//!
//! - [`event`]: [`EventKind`], [`Event`], [`Batch`], the `--notify-events` filter.
//! - [`sink`]: sink URLs (`https://…`, `wecom+`, `feishu+`, `dingtalk+`, `slack+`), their checks
//!   and the redacted form that names a sink everywhere.
//! - [`format`]: each service's message body, the escaping of outside text, signed requests.
//! - [`sign`]: the signatures (generic HMAC header, DingTalk, Feishu) and [`Secret`].
//! - [`answer`]: what a reply means (in-band errors included).
//! - [`deliver`]: [`Notifier`]: queues, rate limits, retries, timeouts, reports and counts.
//! - [`detect`]: which events a reconcile produced (pure), and [`announce`]: the pipeline's
//!   side — the silent baseline, one batch per reconcile, and recording what was announced.
//!
//! The contract (schema, formats, limits) is docs/DESIGN.md §11.

pub mod announce;
pub mod answer;
pub mod deliver;
pub mod detect;
pub mod event;
pub mod format;
pub mod sign;
pub mod sink;

#[cfg(test)]
mod tests;

pub use announce::Announcer;
pub use deliver::{
    BuildError, Clock, Count, Notifier, NotifierConfig, Outcome, Report, ReportFn, documented_quota,
};
pub use event::{Batch, Event, EventFilter, EventKind, Reviewer, UnknownEvent};
pub use sign::Secret;
pub use sink::{Sink, SinkError, SinkKind, parse_sinks};
