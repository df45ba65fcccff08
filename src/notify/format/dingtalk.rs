//! DingTalk custom robot: a `markdown` message
//! (`{"msgtype":"markdown","markdown":{"title":…,"text":…}}`), as documented in "自定义机器人
//! 接入" (custom robot access), <https://open.dingtalk.com/document/orgapp/custom-robot-access>:
//! `title` is what the conversation list shows, `text` a markdown subset (headings, bold,
//! lists).
//!
//! A robot with the "custom keywords" security setting only accepts messages that contain a
//! keyword: every message contains `mnpsync`.

use serde_json::{Value, json};

use crate::notify::event::Batch;
use crate::notify::format::{Flavour, Parts, fit, footer, more_line, title};

/// The most `markdown.text` bytes sent. DingTalk documents no limit for markdown; this keeps
/// a message as short as WeCom's longest.
pub const MAX_TEXT_BYTES: usize = 4096;

/// The message: a heading, one list item per event, `… and N more`, and the run.
pub fn body(batch: &Batch) -> Value {
    let flavour = Flavour::ChatMarkdown;
    let title = title(batch);
    let head = format!("#### {title}\n");
    let foot = format!("\n{}", footer(batch, flavour, ""));
    let lines = batch
        .events
        .iter()
        .map(|event| {
            let p = Parts::new(event, flavour);
            format!(
                "- **{}**: **{}** ({}){}",
                p.title,
                p.name,
                p.key,
                p.details()
            )
        })
        .collect();
    let (kept, more) = fit(lines, head.len() + 2 + foot.len(), 1, MAX_TEXT_BYTES);
    let mut text = head;
    for line in kept {
        text.push('\n');
        text.push_str(&line);
    }
    if more > 0 {
        text.push_str("\n\n");
        text.push_str(&more_line(more));
    }
    text.push('\n');
    text.push_str(&foot);
    json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}})
}
