//! Text from outside — manifests, the state file, the API's own strings such as reviewer notes —
//! made safe to print: control characters escaped, lengths bounded, markdown neutralised.
//!
//! Every renderer passes such text through here, so a forged line (`\n+ submit …`), an ANSI
//! escape, a carriage return or a 100,000-character name can neither rewrite what a reviewer
//! reads nor panic a formatter (`format!` widths must fit in `u16`).

use std::borrow::Cow;

/// Text cells are clipped to this many characters (with `…`).
pub const MAX_CELL: usize = 120;

/// Whether `c` must not reach a terminal, a log line or a pull-request comment as it is:
/// C0 and C1 controls, DEL, and the bidirectional overrides and isolates.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as an escape (`\n`, `\u{1b}` …).
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`], then at most `max` characters (the last one `…` when clipped).
pub fn clip(text: &str, max: usize) -> String {
    let cleaned = clean(text);
    if cleaned.chars().count() <= max {
        return cleaned.into_owned();
    }
    let mut out: String = cleaned.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` followed by spaces up to `width` characters (never a format width: no panic).
pub fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    let mut out = String::with_capacity(text.len() + width.saturating_sub(n));
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

/// A markdown table cell: clipped, with `|`, HTML and code spans neutralised.
pub fn markdown_cell(text: &str) -> String {
    let clipped = clip(text, MAX_CELL);
    let mut out = String::with_capacity(clipped.len());
    for c in clipped.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_lengths_bounded() {
        assert_eq!(clean("shop-2597"), "shop-2597");
        assert_eq!(clean("a\n+ submit X/1"), "a\\n+ submit X/1");
        assert_eq!(clean("\u{1b}[31mred\r"), "\\u{1b}[31mred\\r");
        assert_eq!(clean("ab\u{202E}cd"), "ab\\u{202e}cd");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip(&"x".repeat(70_000), 10).chars().count(), 10);
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 2), "abcdef");
        assert_eq!(
            markdown_cell("a|b <img src=x> `c` &"),
            "a\\|b &lt;img src=x&gt; 'c' &amp;"
        );
    }
}
