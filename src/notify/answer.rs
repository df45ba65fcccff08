//! What a service's reply means ([`interpret`]): delivered, worth another try, or refused for
//! good. Chat services answer HTTP 200 with an error inside (`errcode`, `code`, a Slack body
//! other than `ok`): those are failures like a 5xx.
//!
//! Pure: status and body in, a decision out.

use crate::notify::sink::SinkKind;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Delivered,
    /// A failure that another attempt may not meet (5xx, 429, an in-band error, no answer).
    Retry(String),
    /// A failure that every attempt would meet (a redirect, another 4xx).
    Refused(String),
}

/// The longest piece of a reply quoted in a reason.
const QUOTE_CHARS: usize = 120;

/// Interprets an HTTP reply from a `kind` sink.
pub fn interpret(kind: SinkKind, status: u16, body: &[u8]) -> Answer {
    match status {
        200..=299 => in_band(kind, status, body),
        300..=399 => Answer::Refused(format!(
            "answered HTTP {status}, a redirect (redirects are not followed: check the URL)"
        )),
        408 | 425 | 429 | 500..=599 => Answer::Retry(with_body(status, body)),
        _ => Answer::Refused(with_body(status, body)),
    }
}

/// `HTTP 404: no_service`: the status and the start of the body, when it has text.
fn with_body(status: u16, body: &[u8]) -> String {
    let text = quote(body);
    if text.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {text}")
    }
}

/// The start of a body as one clean line.
fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * QUOTE_CHARS)]);
    crate::text::clip(text.trim(), QUOTE_CHARS)
}

fn in_band(kind: SinkKind, status: u16, body: &[u8]) -> Answer {
    match kind {
        SinkKind::Generic => Answer::Delivered,
        SinkKind::Slack => {
            if body.trim_ascii() == b"ok" {
                Answer::Delivered
            } else {
                Answer::Retry(format!(
                    "answered HTTP {status} without \"ok\": {:?}",
                    quote(body)
                ))
            }
        }
        SinkKind::WeCom | SinkKind::DingTalk => coded(status, body, &["errcode"], &["errmsg"]),
        // `StatusCode`/`StatusMessage`: the answer of older Feishu bots.
        SinkKind::Feishu => coded(
            status,
            body,
            &["code", "StatusCode"],
            &["msg", "StatusMessage"],
        ),
    }
}

/// A JSON answer whose first present `codes` field is 0 (or absent) when delivered.
fn coded(status: u16, body: &[u8], codes: &[&str], messages: &[&str]) -> Answer {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Answer::Retry(format!(
            "answered HTTP {status} with a body that is not the service's JSON: {:?}",
            quote(body)
        ));
    };
    let Some((name, code)) = codes
        .iter()
        .find_map(|name| value.get(*name).map(|code| (*name, code)))
    else {
        return Answer::Delivered;
    };
    if code.as_i64() == Some(0) {
        return Answer::Delivered;
    }
    let message = messages
        .iter()
        .find_map(|m| value.get(*m).and_then(|v| v.as_str()))
        .map(|m| format!(": {}", crate::text::clip(m.trim(), QUOTE_CHARS)))
        .unwrap_or_default();
    let code = crate::text::clip(&code.to_string(), 40);
    Answer::Retry(format!("{name} {code}{message}"))
}
