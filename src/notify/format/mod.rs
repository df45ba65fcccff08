//! Message formats: a [`Batch`] as each service's documented message ([`generic`], [`wecom`],
//! [`feishu`], [`dingtalk`], [`slack`]), the text escaping each needs ([`Flavour`]), and the
//! request that carries it, signed ([`prepare`]).
//!
//! Pure: no I/O, and the time is a parameter. Every text from outside (names, keys, reviewer
//! notes, messages) passes through [`Flavour::text`]: control characters removed, length
//! bounded, the format's metacharacters neutralised.

pub mod dingtalk;
pub mod feishu;
pub mod generic;
pub mod slack;
pub mod wecom;

use std::time::{SystemTime, UNIX_EPOCH};

use url::Url;

use crate::notify::event::{Batch, Event};
use crate::notify::sign::{self, Secret};
use crate::notify::sink::{Sink, SinkKind};

/// Events listed in one message at most; the rest are counted ("… and N more", `"more"`).
pub const MAX_LISTED: usize = 20;

/// How long each outside text may be in a chat message, in characters as sent (escapes
/// included): a name, a key, a version, a reviewer, a note or message, the run and commit.
pub(crate) const NAME_CHARS: usize = 120;
pub(crate) const KEY_CHARS: usize = 100;
pub(crate) const VERSION_CHARS: usize = 40;
pub(crate) const USER_CHARS: usize = 60;
pub(crate) const NOTE_CHARS: usize = 200;
pub(crate) const RUN_CHARS: usize = 80;

/// A request ready to send: where, what, and the extra headers (signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The URL with its credential (and DingTalk's `timestamp` and `sign`): never show it.
    pub url: Url,
    /// The exact body bytes (JSON).
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// The request that delivers `batch` to `sink`, signed as the service documents when a
/// secret is known: the generic webhook's header with `webhook_secret`, DingTalk's and
/// Feishu's signatures with the sink's own `secret=` at `now`.
pub fn prepare(
    sink: &Sink,
    batch: &Batch,
    webhook_secret: Option<&Secret>,
    now: SystemTime,
) -> Prepared {
    let mut url = sink.target().clone();
    let mut headers = Vec::new();
    let body = match sink.kind() {
        SinkKind::Generic => {
            let body = generic::body(batch);
            if let Some(secret) = webhook_secret {
                headers.push((
                    sign::SIGNATURE_HEADER,
                    sign::generic_signature(secret, &body),
                ));
            }
            body
        }
        SinkKind::WeCom => to_bytes(&wecom::body(batch)),
        SinkKind::Slack => to_bytes(&slack::body(batch)),
        SinkKind::DingTalk => {
            if let Some(secret) = sink.secret() {
                let timestamp_ms = unix_millis(now);
                url.query_pairs_mut()
                    .append_pair("timestamp", &timestamp_ms.to_string())
                    .append_pair("sign", &sign::dingtalk_sign(secret, timestamp_ms));
            }
            to_bytes(&dingtalk::body(batch))
        }
        SinkKind::Feishu => {
            let mut body = feishu::body(batch);
            if let (Some(secret), Some(map)) = (sink.secret(), body.as_object_mut()) {
                let timestamp_s = unix_millis(now) / 1000;
                map.insert("timestamp".into(), timestamp_s.to_string().into());
                map.insert("sign".into(), sign::feishu_sign(secret, timestamp_s).into());
            }
            to_bytes(&body)
        }
    };
    Prepared { url, body, headers }
}

fn to_bytes(value: &serde_json::Value) -> Vec<u8> {
    // A `Value` always serialises.
    serde_json::to_vec(value).unwrap_or_default()
}

fn unix_millis(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// How outside text is made safe for one format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// JSON values (the generic webhook): control characters removed; JSON escaping is the
    /// serialiser's.
    Json,
    /// WeCom's and DingTalk's markdown subsets, which document no escape: `*`, `[`, `]`, `<`,
    /// `>`, `#`, `\` become their full-width look-alikes (`＊［］＜＞＃＼`), `` ` `` becomes `'`.
    ChatMarkdown,
    /// Feishu `post` text elements, which are not markup: `<` and `>` become `＜` and `＞`
    /// (Feishu's text messages read `<at …>` tags).
    FeishuText,
    /// Slack mrkdwn: `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` (Slack's documented escapes);
    /// `*`, `_`, `~` as `＊＿～`, `` ` `` as `'`.
    SlackMrkdwn,
    /// Inside a Slack code span (names, keys): `&`, `<`, `>` escaped as above, `` ` `` as `'`.
    SlackCode,
}

impl Flavour {
    /// `text` made safe for this format, at most `max` characters as sent (the last one `…`
    /// when clipped): control characters removed (line breaks and tabs become spaces, so no
    /// outside text starts a line), bidirectional overrides removed, metacharacters replaced.
    pub fn text(self, text: &str, max: usize) -> String {
        let mut out = String::with_capacity(text.len().min(max * 4));
        let mut count = 0;
        let mut escaped = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            escaped.clear();
            if matches!(c, '\n' | '\r' | '\t') {
                escaped.push(' ');
            } else if crate::text::is_unsafe(c) {
                continue;
            } else {
                self.escape(c, &mut escaped);
            }
            let n = escaped.chars().count();
            // Room for this one and, if more follows, the ellipsis.
            let reserve = usize::from(chars.peek().is_some());
            if count + n + reserve > max {
                if count < max {
                    out.push('…');
                }
                return out;
            }
            out.push_str(&escaped);
            count += n;
        }
        out
    }

    fn escape(self, c: char, out: &mut String) {
        let replaced = match self {
            Flavour::Json => None,
            Flavour::ChatMarkdown => match c {
                '*' => Some("＊"),
                '[' => Some("［"),
                ']' => Some("］"),
                '<' => Some("＜"),
                '>' => Some("＞"),
                '#' => Some("＃"),
                '\\' => Some("＼"),
                '`' => Some("'"),
                _ => None,
            },
            Flavour::FeishuText => match c {
                '<' => Some("＜"),
                '>' => Some("＞"),
                _ => None,
            },
            Flavour::SlackMrkdwn => match c {
                '&' => Some("&amp;"),
                '<' => Some("&lt;"),
                '>' => Some("&gt;"),
                '*' => Some("＊"),
                '_' => Some("＿"),
                '~' => Some("～"),
                '`' => Some("'"),
                _ => None,
            },
            Flavour::SlackCode => match c {
                '&' => Some("&amp;"),
                '<' => Some("&lt;"),
                '>' => Some("&gt;"),
                '`' => Some("'"),
                _ => None,
            },
        };
        match replaced {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
}

/// One event's outside texts, made safe for a format; empty optional parts are `None`.
pub(crate) struct Parts {
    pub title: &'static str,
    pub alarming: bool,
    pub name: String,
    pub key: String,
    pub version: Option<String>,
    pub user: Option<String>,
    pub note: Option<String>,
    pub message: Option<String>,
}

impl Parts {
    /// Every text made safe with `flavour`.
    pub fn new(event: &Event, flavour: Flavour) -> Parts {
        Parts::with(event, flavour, flavour)
    }

    /// The name and key made safe with `ident` (Slack shows them in code spans), the other
    /// texts with `flavour`.
    pub fn with(event: &Event, ident: Flavour, flavour: Flavour) -> Parts {
        let some = |text: &Option<String>, max: usize| {
            text.as_deref()
                .map(|t| flavour.text(t.trim(), max))
                .filter(|t| !t.trim().is_empty())
        };
        let reviewer = event.reviewer.as_ref();
        Parts {
            title: event.kind.title(),
            alarming: event.kind.is_alarming(),
            name: ident.text(&event.name, NAME_CHARS),
            key: ident.text(&event.key, KEY_CHARS),
            version: some(&event.version, VERSION_CHARS),
            user: reviewer.and_then(|r| some(&r.user, USER_CHARS)),
            note: reviewer.and_then(|r| some(&r.note, NOTE_CHARS)),
            message: some(&event.message, NOTE_CHARS),
        }
    }

    /// `version V by USER: NOTE — MESSAGE`, as much as is known, each piece after a space.
    pub fn details(&self) -> String {
        let mut out = String::new();
        if let Some(version) = &self.version {
            out.push_str(&format!(" version {version}"));
        }
        if let Some(user) = &self.user {
            out.push_str(&format!(" by {user}"));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!(": {note}"));
        }
        if let Some(message) = &self.message {
            out.push_str(&format!(" — {message}"));
        }
        out
    }
}

/// `mnpsync: 1 event`, `mnpsync: 3 events`.
pub(crate) fn title(batch: &Batch) -> String {
    match batch.events.len() {
        1 => "mnpsync: 1 event".to_string(),
        n => format!("mnpsync: {n} events"),
    }
}

/// `… and N more`.
pub(crate) fn more_line(more: usize) -> String {
    format!("… and {more} more")
}

/// `run RUN · commit COMMIT` (the commit when known), made safe for `flavour`, each value
/// between `quote`s (Slack's code spans; empty elsewhere).
pub(crate) fn footer(batch: &Batch, flavour: Flavour, quote: &str) -> String {
    let mut out = format!(
        "run {quote}{}{quote}",
        flavour.text(&batch.run_id, RUN_CHARS)
    );
    if let Some(commit) = batch.commit.as_deref().filter(|c| !c.is_empty()) {
        out.push_str(&format!(
            " · commit {quote}{}{quote}",
            flavour.text(commit, RUN_CHARS)
        ));
    }
    out
}

/// The lines that fit: at most [`MAX_LISTED`], and as many as keep `fixed_bytes` plus the
/// lines (each with `separator_bytes`) plus a `… and N more` line within `max_bytes`. Returns
/// the lines kept and how many were left out.
pub(crate) fn fit(
    lines: Vec<String>,
    fixed_bytes: usize,
    separator_bytes: usize,
    max_bytes: usize,
) -> (Vec<String>, usize) {
    let total = lines.len();
    // The longest "… and N more" line, with its separator.
    let reserve = more_line(total).len() + separator_bytes;
    let mut used = fixed_bytes;
    let mut kept = Vec::new();
    for line in lines.into_iter().take(MAX_LISTED) {
        let cost = line.len() + separator_bytes;
        let last = kept.len() + 1 == total;
        if used + cost + if last { 0 } else { reserve } > max_bytes {
            break;
        }
        used += cost;
        kept.push(line);
    }
    let more = total - kept.len();
    (kept, more)
}
