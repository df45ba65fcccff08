//! Golden bodies: the fixture batch as each service's message, exactly, each following the
//! documentation page it names; and the escaping and limits of outside text.

use serde_json::{Value, json};

use super::{batch, now};
use crate::notify::format::{Flavour, MAX_LISTED, prepare};
use crate::notify::sink::Sink;
use crate::notify::{Batch, Event, EventKind, Reviewer, Secret};

fn prepared(url: &str, batch: &Batch) -> (String, Vec<u8>, Vec<(&'static str, String)>) {
    let sink = Sink::parse(url, 1).unwrap();
    let p = prepare(&sink, batch, Some(&Secret::new("whsec")), now());
    (p.url.to_string(), p.body, p.headers)
}

fn body_of(url: &str, batch: &Batch) -> Value {
    serde_json::from_slice(&prepared(url, batch).1).unwrap()
}

/// The generic body is the schema of docs/DESIGN.md §11, byte for byte (its bytes are what
/// the signature covers), signed as GitHub signs webhooks
/// (<https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries>).
#[test]
fn generic_body_is_the_v1_schema_byte_for_byte() {
    let (url, body, headers) = prepared("https://hooks.example/mnpsync", &batch());
    assert_eq!(url, "https://hooks.example/mnpsync");
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        concat!(
            r#"{"schema":"mnpsync.notification/v1","run_id":"20251128T101500Z-7f3a","commit":"1a2b3c4d5e6f","events":["#,
            r#"{"kind":"approved","key":"T04257DS9431720WTAG/2597","name":"shop-2597","platform_id":"T04257DS9431720WTAG","mnp_version_id":2597,"mnp_id":"mnp-shop","version":"1.4.0","message":null,"reviewer":{"user":"alice","note":"looks good","time":"2025-11-28 10:12:00","approval_no":"AP-1001"},"at":"2025-11-28T10:15:00Z"},"#,
            r#"{"kind":"blocked","key":"T04257DS9431720WTAG/2598","name":"news-2598","platform_id":"T04257DS9431720WTAG","mnp_version_id":2598,"mnp_id":null,"version":null,"message":"the package expired: upload the version again","reviewer":null,"at":"2025-11-28T10:15:00Z"}"#,
            r#"],"more":0}"#
        )
    );
    assert_eq!(
        headers,
        vec![(
            "X-Mnpsync-Signature-256",
            format!("sha256={}", super::sign::hmac_hex(b"whsec", &body))
        )]
    );
    // No secret, no signature header.
    let sink = Sink::parse("https://hooks.example/mnpsync", 1).unwrap();
    assert!(prepare(&sink, &batch(), None, now()).headers.is_empty());
}

/// WeCom group robot, markdown message: "群机器人配置说明",
/// <https://developer.work.weixin.qq.com/document/path/91770> (`msgtype` `markdown`,
/// `markdown.content`, `<font color="info|comment|warning">`).
#[test]
fn wecom_body_is_a_markdown_message() {
    let (url, body, headers) = prepared(
        "wecom+https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        &batch(),
    );
    assert_eq!(
        url,
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    );
    assert!(headers.is_empty());
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({
            "msgtype": "markdown",
            "markdown": {
                "content": "**mnpsync: 2 events**\n\
                    <font color=\"info\">Approved</font>: **shop-2597** (T04257DS9431720WTAG/2597) version 1.4.0 by alice: looks good\n\
                    <font color=\"warning\">Blocked</font>: **news-2598** (T04257DS9431720WTAG/2598) — the package expired: upload the version again\n\
                    <font color=\"comment\">run 20251128T101500Z-7f3a · commit 1a2b3c4d5e6f</font>"
            }
        })
    );
}

/// DingTalk custom robot, markdown message: "自定义机器人接入",
/// <https://open.dingtalk.com/document/orgapp/custom-robot-access> (`msgtype` `markdown`,
/// `markdown.title`, `markdown.text`); signing: "自定义机器人安全设置",
/// <https://open.dingtalk.com/document/robots/customize-robot-security-settings>
/// (`timestamp` in milliseconds and the URL-encoded `sign` as query parameters; the value here
/// was computed with Python's `hmac` and `base64`, as the page's own sample does).
#[test]
fn dingtalk_body_is_a_markdown_message_and_the_url_is_signed() {
    let (url, body, headers) = prepared(
        "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef&secret=SECtest0123456789abcdef",
        &batch(),
    );
    assert_eq!(
        url,
        "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef&timestamp=1764324900000&sign=o8RaA4%2BOXYr3ht6MX8cxTjWyZAEiv6M%2Byn13Dico340%3D"
    );
    assert!(headers.is_empty());
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({
            "msgtype": "markdown",
            "markdown": {
                "title": "mnpsync: 2 events",
                "text": "#### mnpsync: 2 events\n\n\
                    - **Approved**: **shop-2597** (T04257DS9431720WTAG/2597) version 1.4.0 by alice: looks good\n\
                    - **Blocked**: **news-2598** (T04257DS9431720WTAG/2598) — the package expired: upload the version again\n\n\
                    run 20251128T101500Z-7f3a · commit 1a2b3c4d5e6f"
            }
        })
    );
    // Without secret= nothing is added.
    let (url, _, _) = prepared(
        "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef",
        &batch(),
    );
    assert_eq!(
        url,
        "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
    );
}

/// Feishu custom bot, rich text (`post`) message with signature verification: "Custom bot
/// usage guide", <https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot>
/// (`timestamp` in seconds as a string and `sign` in the body; the value here was computed
/// with Python's `hmac` and `base64`, as the page's own sample does).
#[test]
fn feishu_body_is_a_signed_post_message() {
    let (url, body, headers) = prepared(
        "feishu+https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0?secret=feishuSecret0123",
        &batch(),
    );
    assert_eq!(
        url,
        "https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    );
    assert!(headers.is_empty());
    let line = |text: &str| json!([{"tag": "text", "text": text}]);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({
            "timestamp": "1764324900",
            "sign": "5g5cwSiPnyj6QBmf8MejwZKosWiJ9atT1IZGDxRAdo4=",
            "msg_type": "post",
            "content": {"post": {"zh_cn": {
                "title": "mnpsync: 2 events",
                "content": [
                    line("Approved: shop-2597 (T04257DS9431720WTAG/2597) version 1.4.0 by alice: looks good"),
                    line("Blocked: news-2598 (T04257DS9431720WTAG/2598) — the package expired: upload the version again"),
                    line("run 20251128T101500Z-7f3a · commit 1a2b3c4d5e6f"),
                ]
            }}}
        })
    );
    // Without secret=, no timestamp and no sign.
    let body = body_of(
        "feishu+https://open.feishu.cn/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        &batch(),
    );
    assert!(body.get("sign").is_none() && body.get("timestamp").is_none());
}

/// Slack incoming webhook: "Sending messages using incoming webhooks",
/// <https://api.slack.com/messaging/webhooks> (`text` and `blocks`), blocks from the Block Kit
/// reference (<https://api.slack.com/reference/block-kit/blocks>: `header`, `section`,
/// `context`).
#[test]
fn slack_body_is_text_and_mrkdwn_blocks() {
    let body = body_of(
        "slack+https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        &batch(),
    );
    assert_eq!(
        body,
        json!({
            "text": "mnpsync: 2 events",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "mnpsync: 2 events"}},
                {"type": "section", "text": {"type": "mrkdwn",
                    "text": "*Approved*: `shop-2597` (`T04257DS9431720WTAG/2597`) version 1.4.0 by alice: looks good"}},
                {"type": "section", "text": {"type": "mrkdwn",
                    "text": "*Blocked*: `news-2598` (`T04257DS9431720WTAG/2598`) — the package expired: upload the version again"}},
                {"type": "context", "elements": [{"type": "mrkdwn",
                    "text": "run `20251128T101500Z-7f3a` · commit `1a2b3c4d5e6f`"}]},
            ]
        })
    );
}

/// A name and a note written to forge formatting, links, mentions and lines.
fn hostile() -> Batch {
    Batch {
        run_id: "r1".to_string(),
        commit: None,
        events: vec![Event {
            kind: EventKind::Rejected,
            key: "P/1".to_string(),
            name: "**x** [a](http://e) <@all> & `c` _i_ ~s~ #h\\".to_string(),
            platform_id: "P".to_string(),
            mnp_version_id: 1,
            mnp_id: None,
            version: None,
            message: None,
            reviewer: Some(Reviewer {
                user: Some("<!channel>".to_string()),
                note: Some("line1\n> quote\r\n# head\u{1b}[31m red\u{202e}x\u{7}".to_string()),
                time: None,
                approval_no: None,
            }),
            at: "2025-11-28T10:15:00Z".to_string(),
        }],
    }
}

/// Outside text cannot start a line, open a link, mention anyone or change formatting, in
/// each format; control characters are gone (line breaks become spaces).
#[test]
fn outside_text_is_escaped_for_each_format() {
    let wecom = body_of("wecom+https://h.example/x", &hostile());
    assert_eq!(
        wecom["markdown"]["content"],
        "**mnpsync: 1 event**\n\
         <font color=\"warning\">Rejected</font>: **＊＊x＊＊ ［a］(http://e) ＜@all＞ & 'c' _i_ ~s~ ＃h＼** (P/1) \
         by ＜!channel＞: line1 ＞ quote  ＃ head［31m redx\n\
         <font color=\"comment\">run r1</font>"
    );
    let dingtalk = body_of("dingtalk+https://h.example/x", &hostile());
    assert_eq!(
        dingtalk["markdown"]["text"],
        "#### mnpsync: 1 event\n\n\
         - **Rejected**: **＊＊x＊＊ ［a］(http://e) ＜@all＞ & 'c' _i_ ~s~ ＃h＼** (P/1) \
         by ＜!channel＞: line1 ＞ quote  ＃ head［31m redx\n\n\
         run r1"
    );
    let feishu = body_of("feishu+https://h.example/x", &hostile());
    assert_eq!(
        feishu["content"]["post"]["zh_cn"]["content"][0][0]["text"],
        "Rejected: **x** [a](http://e) ＜@all＞ & `c` _i_ ~s~ #h\\ (P/1) \
         by ＜!channel＞: line1 ＞ quote  # head[31m redx"
    );
    let slack = body_of("slack+https://h.example/x", &hostile());
    assert_eq!(
        slack["blocks"][1]["text"]["text"],
        "*Rejected*: `**x** [a](http://e) &lt;@all&gt; &amp; 'c' _i_ ~s~ #h\\` (`P/1`) \
         by &lt;!channel&gt;: line1 &gt; quote  # head[31m redx"
    );
    let generic = body_of("https://h.example/x", &hostile());
    assert_eq!(
        generic["events"][0]["reviewer"]["note"],
        "line1 > quote  # head[31m redx"
    );
    assert_eq!(
        generic["events"][0]["name"],
        "**x** [a](http://e) <@all> & `c` _i_ ~s~ #h\\"
    );
}

#[test]
fn flavours_clip_what_they_send() {
    assert_eq!(Flavour::ChatMarkdown.text("abcdef", 4), "abc…");
    assert_eq!(Flavour::ChatMarkdown.text("abcd", 4), "abcd");
    // An escape counts as what is sent: `&amp;` is five characters.
    assert_eq!(Flavour::SlackMrkdwn.text("a&b", 6), "a…");
    assert_eq!(Flavour::SlackMrkdwn.text("a&b", 7), "a&amp;b");
    assert_eq!(Flavour::SlackMrkdwn.text("*_~`", 10), "＊＿～'");
    assert_eq!(Flavour::Json.text("a\u{0}b\tc", 10), "ab c");
    let long = "x".repeat(1500);
    let mut event = batch().events.remove(0);
    event.reviewer.as_mut().unwrap().note = Some(long.clone());
    let one = Batch {
        events: vec![event],
        ..batch()
    };
    let wecom = body_of("wecom+https://h.example/x", &one);
    let content = wecom["markdown"]["content"].as_str().unwrap();
    assert!(
        content.contains(&format!("by alice: {}…\n", "x".repeat(199))),
        "{content}"
    );
    let generic = body_of("https://h.example/x", &one);
    assert_eq!(
        generic["events"][0]["reviewer"]["note"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        1000
    );
}

fn many(n: usize, note: &str) -> Batch {
    let template = batch().events.remove(0);
    Batch {
        events: (0..n)
            .map(|i| {
                let mut e = template.clone();
                e.key = format!("T04257DS9431720WTAG/{}", 3000 + i);
                e.name = format!("app-{i}");
                e.reviewer.as_mut().unwrap().note = Some(note.to_string());
                e
            })
            .collect(),
        ..batch()
    }
}

/// At most 20 events are listed; the others are counted.
#[test]
fn a_long_batch_lists_twenty_and_counts_the_rest() {
    let batch = many(25, "ok");
    let generic = body_of("https://h.example/x", &batch);
    assert_eq!(generic["events"].as_array().unwrap().len(), MAX_LISTED);
    assert_eq!(generic["more"], 5);
    assert_eq!(generic["events"][19]["name"], "app-19");
    let slack = body_of("slack+https://h.example/x", &batch);
    let blocks = slack["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1 + 20 + 1);
    assert_eq!(slack["text"], "mnpsync: 25 events");
    assert_eq!(
        blocks[21]["elements"][0]["text"],
        "… and 5 more · run `20251128T101500Z-7f3a` · commit `1a2b3c4d5e6f`"
    );
    let wecom = body_of("wecom+https://h.example/x", &batch);
    let content = wecom["markdown"]["content"].as_str().unwrap();
    let lines: Vec<&str> = content.lines().collect();
    assert_eq!(lines.len(), 1 + 20 + 2, "{content}");
    assert_eq!(lines[21], "… and 5 more");
    let feishu = body_of("feishu+https://h.example/x", &batch);
    let paragraphs = feishu["content"]["post"]["zh_cn"]["content"]
        .as_array()
        .unwrap();
    assert_eq!(paragraphs.len(), 20 + 2);
    assert_eq!(paragraphs[20][0]["text"], "… and 5 more");
}

/// WeCom's `content` stays within its documented 4096 bytes, Feishu's body within 20 KB,
/// however long the notes: fewer events are listed and the rest counted.
#[test]
fn byte_limits_hold_with_long_notes() {
    let note = "审核意见".repeat(100);
    let batch = many(20, &note);
    let wecom = body_of("wecom+https://h.example/x", &batch);
    let content = wecom["markdown"]["content"].as_str().unwrap();
    assert!(content.len() <= 4096, "{} bytes", content.len());
    let listed = content.lines().filter(|l| l.contains("(T04257")).count();
    let more: usize = content
        .lines()
        .find_map(|l| l.strip_prefix("… and "))
        .and_then(|l| l.strip_suffix(" more"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(listed > 0 && more > 0 && listed + more == 20, "{content}");
    let dingtalk = body_of("dingtalk+https://h.example/x", &batch);
    assert!(dingtalk["markdown"]["text"].as_str().unwrap().len() <= 4096);
    let (_, feishu, _) = prepared("feishu+https://h.example/x?secret=s", &batch);
    assert!(feishu.len() <= 20 * 1024, "{} bytes", feishu.len());
}
