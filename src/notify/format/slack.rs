//! Slack incoming webhook: `{"text":…,"blocks":[…]}` with mrkdwn sections, as documented in
//! "Sending messages using incoming webhooks",
//! <https://api.slack.com/messaging/webhooks>, with the text escaping of "Formatting text for
//! app surfaces", <https://api.slack.com/reference/surfaces/formatting#escaping> (`&`, `<`, `>`
//! as entities). `text` is the notification's fallback; a header block, one section per event
//! (mrkdwn text of at most 3000 characters, 50 blocks a message) and a context block.

use serde_json::{Value, json};

use crate::notify::event::Batch;
use crate::notify::format::{Flavour, Parts, fit, footer, more_line, title};

/// The message: a header, one section per event (name and key in code spans), and a context
/// line with `… and N more` and the run.
pub fn body(batch: &Batch) -> Value {
    let title = title(batch);
    let lines = batch
        .events
        .iter()
        .map(|event| {
            let p = Parts::with(event, Flavour::SlackCode, Flavour::SlackMrkdwn);
            format!("*{}*: `{}` (`{}`){}", p.title, p.name, p.key, p.details())
        })
        .collect();
    // Slack's limits are per block; the number of events listed is the only bound.
    let (kept, more) = fit(lines, 0, 0, usize::MAX);
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": title},
    })];
    blocks.extend(
        kept.into_iter()
            .map(|line| json!({"type": "section", "text": {"type": "mrkdwn", "text": line}})),
    );
    let mut context = footer(batch, Flavour::SlackCode, "`");
    if more > 0 {
        context = format!("{} · {context}", more_line(more));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": context}],
    }));
    json!({"text": title, "blocks": blocks})
}
