//! What a notification tells: the kinds of event ([`EventKind`], with their wire names and the
//! `--notify-events` list [`EventFilter`]), one event ([`Event`]) and the events of one
//! reconcile ([`Batch`]).
//!
//! Plain data; detecting events and deciding what was announced are the pipeline's.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::observe::Review;

/// What happened to a version, as a notification names it (`snake_case` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A reviewer approved the version's approval request.
    Approved,
    /// A reviewer rejected it.
    Rejected,
    /// mnpsync submitted it for review.
    Submitted,
    /// mnpsync cancelled its pending request.
    Cancelled,
    /// The version was released.
    Released,
    /// A release was rolled back.
    RolledBack,
    /// A person must act on the platform before mnpsync can go on.
    Blocked,
    /// Something needs a person's attention (no call was made).
    Attention,
    /// An action failed.
    Failed,
    /// A review has been pending for longer than expected.
    ReviewOverdue,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 10] = [
        EventKind::Approved,
        EventKind::Rejected,
        EventKind::Submitted,
        EventKind::Cancelled,
        EventKind::Released,
        EventKind::RolledBack,
        EventKind::Blocked,
        EventKind::Attention,
        EventKind::Failed,
        EventKind::ReviewOverdue,
    ];

    /// The wire name: `approved`, `rolled_back`, `review_overdue` …
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Approved => "approved",
            EventKind::Rejected => "rejected",
            EventKind::Submitted => "submitted",
            EventKind::Cancelled => "cancelled",
            EventKind::Released => "released",
            EventKind::RolledBack => "rolled_back",
            EventKind::Blocked => "blocked",
            EventKind::Attention => "attention",
            EventKind::Failed => "failed",
            EventKind::ReviewOverdue => "review_overdue",
        }
    }

    /// The label people read in a chat message: `Approved`, `Rolled back` …
    pub fn title(self) -> &'static str {
        match self {
            EventKind::Approved => "Approved",
            EventKind::Rejected => "Rejected",
            EventKind::Submitted => "Submitted",
            EventKind::Cancelled => "Cancelled",
            EventKind::Released => "Released",
            EventKind::RolledBack => "Rolled back",
            EventKind::Blocked => "Blocked",
            EventKind::Attention => "Attention",
            EventKind::Failed => "Failed",
            EventKind::ReviewOverdue => "Review overdue",
        }
    }

    /// Whether a person should look at once (a rejection, a block, a failure …): chat formats
    /// that have colours show these in their warning colour.
    pub fn is_alarming(self) -> bool {
        matches!(
            self,
            EventKind::Rejected
                | EventKind::RolledBack
                | EventKind::Blocked
                | EventKind::Attention
                | EventKind::Failed
                | EventKind::ReviewOverdue
        )
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no event kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event {word:?}{}; the events are {}", .suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default(), names())]
pub struct UnknownEvent {
    /// The word as given (control characters escaped).
    pub word: String,
    /// The closest kind's name, when one is close.
    pub suggestion: Option<&'static str>,
}

fn names() -> String {
    EventKind::ALL.map(EventKind::as_str).join(", ")
}

impl FromStr for EventKind {
    type Err = UnknownEvent;

    /// A wire name, ignoring case and surrounding spaces; `-` is taken for `_`
    /// (`rolled-back`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let word = text.trim().to_ascii_lowercase().replace('-', "_");
        if let Some(kind) = EventKind::ALL.into_iter().find(|k| k.as_str() == word) {
            return Ok(kind);
        }
        let suggestion = EventKind::ALL
            .into_iter()
            .map(|k| (strsim::jaro_winkler(&word, k.as_str()), k.as_str()))
            .filter(|(score, _)| *score >= 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, name)| name);
        Err(UnknownEvent {
            word: crate::text::clip(text.trim(), 40),
            suggestion,
        })
    }
}

/// Which kinds are announced (`--notify-events approved,rejected,…`); every kind by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter(BTreeSet<EventKind>);

impl Default for EventFilter {
    fn default() -> Self {
        EventFilter::all()
    }
}

impl EventFilter {
    /// Every kind.
    pub fn all() -> EventFilter {
        EventFilter(EventKind::ALL.into_iter().collect())
    }

    /// Whether `kind` is announced.
    pub fn allows(&self, kind: EventKind) -> bool {
        self.0.contains(&kind)
    }

    /// The kinds announced, in declaration order.
    pub fn kinds(&self) -> impl Iterator<Item = EventKind> + '_ {
        self.0.iter().copied()
    }

    /// `batch` with only the events this filter announces; `None` when none is left.
    pub fn apply(&self, mut batch: Batch) -> Option<Batch> {
        batch.events.retain(|e| self.allows(e.kind));
        (!batch.events.is_empty()).then_some(batch)
    }
}

impl FromStr for EventFilter {
    type Err = UnknownEvent;

    /// A comma-separated list of wire names, or `all`. Empty items are skipped; a list with no
    /// name at all is an error (it would silence every notification).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim().eq_ignore_ascii_case("all") {
            return Ok(EventFilter::all());
        }
        let mut kinds = BTreeSet::new();
        for word in text.split(',').filter(|w| !w.trim().is_empty()) {
            kinds.insert(word.parse::<EventKind>()?);
        }
        if kinds.is_empty() {
            return Err(UnknownEvent {
                word: crate::text::clip(text, 40),
                suggestion: None,
            });
        }
        Ok(EventFilter(kinds))
    }
}

/// What the reviewer said (the listing's `ApprovalUser`, `ApprovalNote`, `ApprovalTime`,
/// `ApprovalNo`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    pub user: Option<String>,
    pub note: Option<String>,
    pub time: Option<String>,
    pub approval_no: Option<String>,
}

impl From<&Review> for Reviewer {
    fn from(review: &Review) -> Self {
        Reviewer {
            user: review.user.clone(),
            note: review.note.clone(),
            time: review.time.clone(),
            approval_no: review.approval_no.clone(),
        }
    }
}

/// One thing that happened to one version.
///
/// Every text field may come from outside (manifests, the platform's listing): formats escape
/// and clip them, never trust them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    /// `PLATFORM/VERSIONID`.
    pub key: String,
    /// The manifest's `metadata.name`.
    pub name: String,
    pub platform_id: String,
    pub mnp_version_id: i64,
    /// The mini program, when a listing showed it.
    pub mnp_id: Option<String>,
    /// The version string, when known.
    pub version: Option<String>,
    /// What a person must do, or the error.
    pub message: Option<String>,
    pub reviewer: Option<Reviewer>,
    /// When mnpsync saw it happen (RFC 3339).
    pub at: String,
}

impl Event {
    /// The event `mnpsync notify test` sends: an approval of a version that does not exist,
    /// saying that it is a test and that nothing changed.
    pub fn sample(at: String) -> Event {
        Event {
            kind: EventKind::Approved,
            key: "T00000000000000000000/1".to_string(),
            name: "mnpsync-notify-test".to_string(),
            platform_id: "T00000000000000000000".to_string(),
            mnp_version_id: 1,
            mnp_id: None,
            version: Some("0.0.0".to_string()),
            message: Some(
                "a test notification from `mnpsync notify test`; nothing was changed".to_string(),
            ),
            reviewer: None,
            at,
        }
    }
}

/// The events of one reconcile: one message per sink lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub run_id: String,
    /// The manifests' git commit, when known.
    pub commit: Option<String>,
    pub events: Vec<Event>,
}

impl Batch {
    /// The key of every event, listed or only counted in a message's "and N more".
    pub fn keys(&self) -> Vec<String> {
        self.events.iter().map(|e| e.key.clone()).collect()
    }
}
