//! The generic webhook body: a JSON document of the versioned schema
//! `mnpsync.notification/v1` (docs/DESIGN.md §11).
//!
//! The field order is fixed by the structs below, so the same batch always gives the same
//! bytes (what `X-Mnpsync-Signature-256` signs).

use serde::Serialize;

use crate::notify::event::{Batch, Event, EventKind};
use crate::notify::format::{Flavour, MAX_LISTED};

/// The schema name and version every generic body carries.
pub const SCHEMA: &str = "mnpsync.notification/v1";

/// Longest text field of the generic body, in characters; reviewer notes and messages may be
/// longer than any chat line.
const FIELD_CHARS: usize = 256;
const NOTE_CHARS: usize = 1000;

#[derive(Serialize)]
struct Body {
    schema: &'static str,
    run_id: String,
    commit: Option<String>,
    events: Vec<WireEvent>,
    more: usize,
}

#[derive(Serialize)]
struct WireEvent {
    kind: EventKind,
    key: String,
    name: String,
    platform_id: String,
    mnp_version_id: i64,
    mnp_id: Option<String>,
    version: Option<String>,
    message: Option<String>,
    reviewer: Option<WireReviewer>,
    at: String,
}

#[derive(Serialize)]
struct WireReviewer {
    user: Option<String>,
    note: Option<String>,
    time: Option<String>,
    approval_no: Option<String>,
}

fn field(text: &str) -> String {
    Flavour::Json.text(text, FIELD_CHARS)
}

fn optional(text: &Option<String>, max: usize) -> Option<String> {
    text.as_deref().map(|t| Flavour::Json.text(t, max))
}

fn wire(event: &Event) -> WireEvent {
    WireEvent {
        kind: event.kind,
        key: field(&event.key),
        name: field(&event.name),
        platform_id: field(&event.platform_id),
        mnp_version_id: event.mnp_version_id,
        mnp_id: optional(&event.mnp_id, FIELD_CHARS),
        version: optional(&event.version, FIELD_CHARS),
        message: optional(&event.message, NOTE_CHARS),
        reviewer: event.reviewer.as_ref().map(|r| WireReviewer {
            user: optional(&r.user, FIELD_CHARS),
            note: optional(&r.note, NOTE_CHARS),
            time: optional(&r.time, FIELD_CHARS),
            approval_no: optional(&r.approval_no, FIELD_CHARS),
        }),
        at: field(&event.at),
    }
}

/// The body's bytes: `{"schema","run_id","commit","events":[…],"more"}` with at most
/// [`MAX_LISTED`] events and the count of the others in `more`.
pub fn body(batch: &Batch) -> Vec<u8> {
    let events: Vec<WireEvent> = batch.events.iter().take(MAX_LISTED).map(wire).collect();
    let body = Body {
        schema: SCHEMA,
        run_id: field(&batch.run_id),
        commit: optional(&batch.commit, FIELD_CHARS),
        more: batch.events.len() - events.len(),
        events,
    };
    // Strings, numbers and options only: serialising cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}
