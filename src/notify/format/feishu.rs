//! Feishu / Lark custom bot: a `post` (rich text) message
//! (`{"msg_type":"post","content":{"post":{"zh_cn":{"title","content":[[{"tag":"text",…}]]}}}}`),
//! as documented in "Custom bot usage guide",
//! <https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot>: a request body of at
//! most 20 KB; with signature verification on, `timestamp` and `sign` are added to the body
//! (`format::prepare`).
//!
//! `post` text elements are not markup, so outside text needs no markdown escaping.

use serde_json::{Value, json};

use crate::notify::event::Batch;
use crate::notify::format::{Flavour, Parts, fit, footer, more_line, title};

/// The most text bytes of one message: with JSON escaping (at worst twice the bytes) and 20
/// paragraphs' structure, the body stays well under the documented 20 KB.
pub const MAX_TEXT_BYTES: usize = 8000;

/// A paragraph of one text element.
fn paragraph(text: String) -> Value {
    json!([{"tag": "text", "text": text}])
}

/// The message: the title, one paragraph per event, `… and N more`, and the run.
pub fn body(batch: &Batch) -> Value {
    let flavour = Flavour::FeishuText;
    let foot = footer(batch, flavour, "");
    let lines = batch
        .events
        .iter()
        .map(|event| {
            let p = Parts::new(event, flavour);
            format!("{}: {} ({}){}", p.title, p.name, p.key, p.details())
        })
        .collect();
    let (kept, more) = fit(lines, foot.len(), 0, MAX_TEXT_BYTES);
    let mut content: Vec<Value> = kept.into_iter().map(paragraph).collect();
    if more > 0 {
        content.push(paragraph(more_line(more)));
    }
    content.push(paragraph(foot));
    json!({
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": title(batch), "content": content}}},
    })
}
