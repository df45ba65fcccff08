//! WeCom (WeChat Work) group robot: a `markdown` message
//! (`{"msgtype":"markdown","markdown":{"content":…}}`), as documented in "群机器人配置说明",
//! <https://developer.work.weixin.qq.com/document/path/91770>: the markdown subset (bold,
//! `<font color="info|comment|warning">`), `content` at most 4096 bytes.

use serde_json::{Value, json};

use crate::notify::event::Batch;
use crate::notify::format::{Flavour, Parts, fit, footer, more_line, title};

/// The documented limit of `markdown.content`, in bytes (UTF-8).
pub const MAX_CONTENT_BYTES: usize = 4096;

/// The message: a bold title, one line per event (its kind in green, or orange-red when a
/// person should look), `… and N more`, and the run in grey.
pub fn body(batch: &Batch) -> Value {
    let flavour = Flavour::ChatMarkdown;
    let head = format!("**{}**", title(batch));
    let foot = format!(
        "<font color=\"comment\">{}</font>",
        footer(batch, flavour, "")
    );
    let lines = batch
        .events
        .iter()
        .map(|event| {
            let p = Parts::new(event, flavour);
            let colour = if p.alarming { "warning" } else { "info" };
            format!(
                "<font color=\"{colour}\">{}</font>: **{}** ({}){}",
                p.title,
                p.name,
                p.key,
                p.details()
            )
        })
        .collect();
    let (kept, more) = fit(lines, head.len() + 1 + foot.len(), 1, MAX_CONTENT_BYTES);
    let mut content = head;
    for line in kept {
        content.push('\n');
        content.push_str(&line);
    }
    if more > 0 {
        content.push('\n');
        content.push_str(&more_line(more));
    }
    content.push('\n');
    content.push_str(&foot);
    json!({"msgtype": "markdown", "markdown": {"content": content}})
}
