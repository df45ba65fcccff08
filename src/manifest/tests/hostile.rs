//! Hostile input: alias bombs, deep nesting, unreadable documents, and fuzzing (`fuzz.rs` feeds
//! arbitrary strings into each field).

use proptest::prelude::*;
use std::time::{Duration, Instant};

use super::*;

fn billion_laughs() -> String {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    text
}

#[test]
fn alias_bomb_fails_fast() {
    let text = format!("# bomb\n{}", billion_laughs());
    let started = Instant::now();
    let reported = errors(&text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let limit = text.len() * 64 + (4 << 20);
    assert_eq!(
        reported,
        vec![format!(
            "m.yaml:2:1: document expands beyond the limit of {limit} bytes for this file \
             (possible \"billion laughs\" alias bomb)"
        )]
    );

    // serde_yaml's own repetition limit (100 alias expansions per event) is reported as
    // clearly; empty sequences cost little memory, so here it trips first.
    let mut wide = format!("{}---\na: &a []\n", manifest("x", 0));
    for (prev, next) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")] {
        let refs = vec![format!("*{prev}"); 10].join(", ");
        wide.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    assert_eq!(
        errors(&wide),
        vec![
            "m.yaml:7:17: invalid value for `spec.mnpVersionId`: expected a positive \
             integer, found `0`",
            "m.yaml:10:1: too many alias expansions (repetition limit exceeded; possible \
             \"billion laughs\" alias bomb)",
        ]
    );
}

#[test]
fn reading_stops_at_an_unreadable_document() {
    // An unknown anchor ends the stream in the middle of a collection; what follows must
    // not be read (serde_yaml would panic on it) and the earlier documents still count.
    let text = format!("{}---\n!t [1, *x], b: !t c}}\n", manifest("x", 0));
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:7:17: invalid value for `spec.mnpVersionId`: expected a positive \
             integer, found `0`",
            "m.yaml:10:8: invalid YAML: unknown anchor",
        ]
    );
    let tagged = format!("{}---\n!t {{a: *x}}\n---\n- ]\n", manifest("x", 1));
    assert_eq!(
        errors(&tagged),
        vec!["m.yaml:10:8: invalid YAML: unknown anchor"]
    );
}

#[test]
fn deep_nesting_fails_fast() {
    let text = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
    assert_eq!(
        errors(&text),
        vec!["m.yaml:1:35: document nests deeper than 32 levels"]
    );
    let block = format!("{}x\n", "- ".repeat(100));
    assert_eq!(
        errors(&block),
        vec!["m.yaml:1:65: document nests deeper than 32 levels"]
    );

    // Without the pre-check, libyaml alone would take minutes on this.
    let text = format!(
        "{VALID}---\n# deep\na: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let started = Instant::now();
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:13:4: too many `[`/`{` in one document to parse safely (deeply nested \
             flow collections make the YAML parser quadratic)"
        ]
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Texts a manifest may hold: no unsafe characters, within the shortest length limit.
fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._/-]{1,20}",
        any::<String>(),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("2597".to_string()),
        Just("a: b #c".to_string()),
        Just("line\nbreak\u{2028}\u{85}\u{feff}".to_string()),
    ]
    .prop_map(|s| {
        s.chars()
            .filter(|c| !crate::text::is_unsafe(*c))
            .take(MAX_LABEL_KEY_CHARS)
            .collect::<String>()
    })
    .prop_filter("non-empty", |s| !s.is_empty())
}

fn arb_identifier() -> impl Strategy<Value = String> {
    arb_text().prop_filter("valid identifier", |s| {
        !s.trim().is_empty() && s.trim() == s
    })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse_str(Path::new("fuzz.yaml"), &text);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "[-:?,\\[\\]{}&*!|>'\"#%@` \n\tabkx0-9.~]{0,120}") {
        let _ = parse_str(Path::new("fuzz.yaml"), &text);
    }

    #[test]
    fn mutated_manifest_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8)
    ) {
        let mut bytes = format!("{VALID}---\n{}", manifest("b", 1)).into_bytes();
        for (index, byte, op) in edits {
            let i = index.index(bytes.len() + 1);
            match op {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => bytes.push(byte),
            }
        }
        let _ = parse_bytes(Path::new("fuzz.yaml"), &bytes);
    }

    #[test]
    fn rendered_resources_round_trip(
        name in arb_identifier(),
        platform in arb_identifier(),
        version in 1..=i64::MAX,
        cancelled in any::<bool>(),
        // Any region name of the `area-city` form (a typo of another form is an error).
        region in proptest::option::of("[a-z]{2}-[a-z0-9-]{1,20}"),
        labels in proptest::collection::btree_map(
            arb_text(),
            prop_oneof![arb_text(), Just(String::new())],
            0..4,
        ),
        mnp_id in proptest::option::of(arb_identifier()),
        // Strings that YAML would read as numbers unquoted among them.
        version_string in proptest::option::of(prop_oneof![
            arb_identifier(),
            Just("1.10".to_string()),
            Just("1.4".to_string()),
            Just("0x1F".to_string()),
            Just("1e3".to_string()),
            Just(".inf".to_string()),
        ]),
        release in any::<bool>(),
    ) {
        // `version` and `release: online` need `mnpId`; `release` needs `submitted`.
        let version_string = version_string.filter(|_| mnp_id.is_some());
        let release = (release && mnp_id.is_some() && !cancelled).then_some(Release::Online);
        let id = if version_string.is_some() { 0 } else { version };
        let mut resource = Resource {
            name,
            labels,
            key: Key::new(platform, id),
            mnp_id,
            version: version_string,
            version_at: None,
            approval: if cancelled { Approval::Cancelled } else { Approval::Submitted },
            release,
            region,
            api: None,
            source: Location { path: "r.yaml".into(), line: 2, column: 1 },
        };
        let text = render_resource_yaml(&resource);
        if resource.version.is_some() {
            let line = text.lines().position(|l| l.starts_with("  version: "));
            prop_assert!(line.is_some(), "{}", text);
            resource.version_at = line.map(|line| Location {
                path: "r.yaml".into(),
                line: line + 1,
                column: 12,
            });
        }
        let parsed = parse_str(Path::new("r.yaml"), &text);
        prop_assert_eq!(parsed, Ok(vec![resource.clone()]), "{}", text);
        // Rendered documents concatenate into a valid multi-document file.
        let mut second = resource.clone();
        second.name.push('2');
        second.key.mnp_version_id = if id == 0 { 0 } else { version.wrapping_add(1).max(1) };
        second.version = second.version.map(|v| format!("{v}-2"));
        second.release = None;
        let both = format!("{text}{}", render_resource_yaml(&second));
        let parsed = parse_str(Path::new("r.yaml"), &both);
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, both);
    }
}
