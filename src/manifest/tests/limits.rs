//! Rules added for untrusted manifests: lengths, unsafe characters, how `012` is reported, and
//! one region per platform.

use super::*;
use crate::text::is_unsafe;

#[test]
fn lengths_are_limited_without_quoting_the_value() {
    let at_limit = edit(4, 4, &format!("  name: {}", "n".repeat(MAX_NAME_CHARS)));
    assert!(parse_str(Path::new("m.yaml"), &at_limit).is_ok());
    let platform = edit(7, 7, &format!("  platformId: {}", "P".repeat(64)));
    assert!(parse_str(Path::new("m.yaml"), &platform).is_ok());

    let cases: Vec<(&str, String, String)> = vec![
        (
            "huge name",
            edit(4, 4, &format!("  name: {}", "n".repeat(65_536))),
            "m.yaml:4:9: invalid value for `metadata.name`: too long (65536 characters; the \
             limit is 253)"
                .into(),
        ),
        (
            "platformId",
            edit(7, 7, &format!("  platformId: {}", "P".repeat(65))),
            "m.yaml:7:15: invalid value for `spec.platformId`: too long (65 characters; the \
             limit is 64)"
                .into(),
        ),
        (
            "region (characters, not bytes)",
            edit(10, 10, &format!("  region: {}", "é".repeat(65))),
            "m.yaml:10:11: invalid value for `spec.region`: too long (65 characters; the \
             limit is 64)"
                .into(),
        ),
        (
            "label key",
            edit(5, 5, &format!("  labels: {{{}: payments}}", "k".repeat(64))),
            "m.yaml:5:12: invalid label key in `metadata.labels`: too long (64 characters; \
             the limit is 63)"
                .into(),
        ),
        (
            "label value",
            edit(5, 5, &format!("  labels: {{team: {}}}", "v".repeat(254))),
            "m.yaml:5:18: invalid value for `metadata.labels.team`: too long (254 \
             characters; the limit is 253)"
                .into(),
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(errors(&text), vec![expected], "case: {name}");
    }
}

#[test]
fn unsafe_characters_are_refused_and_named_as_escapes() {
    let found = "must not contain control or bidirectional-override characters, found";
    let cases: Vec<(&str, String, String)> = vec![
        (
            "escape sequence in the name",
            edit(4, 4, "  name: \"\\e[31mshop\""),
            format!("m.yaml:4:9: invalid value for `metadata.name`: {found} `\\u{{1b}}`"),
        ),
        (
            "newline in the name (a forged report line)",
            edit(4, 4, "  name: \"shop\\n+ submit X/1\""),
            format!("m.yaml:4:9: invalid value for `metadata.name`: {found} `\\n`"),
        ),
        (
            "carriage return at the end",
            edit(4, 4, "  name: \"shop\\r\""),
            format!("m.yaml:4:9: invalid value for `metadata.name`: {found} `\\r`"),
        ),
        (
            "bidi override in the platform",
            edit(7, 7, "  platformId: \"T04\\u202E27\""),
            format!("m.yaml:7:15: invalid value for `spec.platformId`: {found} `\\u{{202e}}`"),
        ),
        (
            "C1 control (NEL) in the region",
            edit(10, 10, "  region: \"ap\\Nx\""),
            format!("m.yaml:10:11: invalid value for `spec.region`: {found} `\\u{{85}}`"),
        ),
        (
            "bidi isolate in the region",
            edit(10, 10, "  region: \"ap\\u2066x\""),
            format!("m.yaml:10:11: invalid value for `spec.region`: {found} `\\u{{2066}}`"),
        ),
        (
            "tab in a label key",
            edit(5, 5, "  labels: {\"te\\tam\": payments}"),
            format!("m.yaml:5:12: invalid label key in `metadata.labels`: {found} `\\t`"),
        ),
        (
            "DEL in a label value",
            edit(5, 5, "  labels: {team: \"pay\\x7Fments\"}"),
            format!("m.yaml:5:18: invalid value for `metadata.labels.team`: {found} `\\u{{7f}}`"),
        ),
    ];
    for (name, text, expected) in cases {
        let reported = errors(&text);
        assert_eq!(reported, vec![expected], "case: {name}");
        assert!(!reported.concat().chars().any(is_unsafe), "case: {name}");
    }

    // Where other messages quote what was written, unsafe characters are escaped too.
    let quoted = [
        edit(2, 2, "kind: \"MNP\\e[2J\\u202E\""),
        edit(9, 9, "  approval: \"sub\\u2067mitted\""),
        edit(10, 10, "  \"re\\x1bgion\": x"),
        edit(4, 4, "  name: [\"\\e\"]"),
        edit(4, 4, "  name: \"\\u202E a \""),
    ];
    for text in quoted {
        let reported = errors(&text).concat();
        assert!(!reported.chars().any(is_unsafe), "{reported:?}");
    }
}

#[test]
fn a_version_with_leading_zeros_is_reported_as_written() {
    let cases = [
        (
            "  mnpVersionId: 012",
            "invalid value for `spec.mnpVersionId`: leading zeros are not allowed, found `012` \
             (write `12`)",
        ),
        (
            "  mnpVersionId: \"012\"",
            "invalid type for `spec.mnpVersionId`: expected a positive integer, found string \
             \"012\" (write `12`, without quotes or leading zeros)",
        ),
        (
            "  mnpVersionId: '2597'",
            "invalid type for `spec.mnpVersionId`: expected a positive integer, found string \
             \"2597\" (remove the quotes)",
        ),
        (
            "  mnpVersionId: -012",
            "invalid value for `spec.mnpVersionId`: expected a positive integer, found `-012`",
        ),
        (
            "  mnpVersionId: |\n    12",
            "invalid type for `spec.mnpVersionId`: expected a positive integer, found string \
             \"12\\n\" (write the number on the line of its key, not as a block scalar)",
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(
            errors(&edit(8, 8, line)),
            vec![format!("m.yaml:8:17: {expected}")],
            "{line}"
        );
    }
    // Positions count lines as YAML does, CRLF included.
    let crlf = edit(8, 8, "  mnpVersionId: 012").replace('\n', "\r\n");
    assert_eq!(
        errors(&crlf),
        vec![
            "m.yaml:8:17: invalid value for `spec.mnpVersionId`: leading zeros are not \
             allowed, found `012` (write `12`)"
        ]
    );
}

#[test]
fn one_platform_has_one_region() {
    let in_region = |name: &str, version: i64, region: &str| {
        format!("{}  region: {region}\n", manifest(name, version))
    };
    let text = format!(
        "{}---\n{}---\n{}---\n{}",
        in_region("a", 1, "ap-guangzhou"),
        manifest("b", 2),
        in_region("c", 3, "ap-guangzhou"),
        in_region("d", 4, "ap-singapore"),
    );
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:38:11: platform `T04257DS9431720WTAG` is declared in region \
             `ap-guangzhou` at m.yaml:9 and in `ap-singapore` at m.yaml:38; one platform has \
             one region"
        ]
    );
    // Other platforms may use other regions; documents without a region are not compared.
    let other = in_region("d", 4, "ap-singapore").replace("T04257DS9431720WTAG", "T09999XYZ");
    let text = format!(
        "{}---\n{}---\n{other}",
        in_region("a", 1, "ap-guangzhou"),
        manifest("b", 2)
    );
    assert_eq!(
        parse_str(Path::new("m.yaml"), &text).map(|r| r.len()),
        Ok(3)
    );

    // Across files, naming both.
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", in_region("a", 1, "ap-guangzhou"));
    let b = write(
        dir.path(),
        "b.yaml",
        format!("# moved\n{}", in_region("b", 2, "ap-singapore")),
    );
    assert_eq!(
        load_errors(&[dir.path().to_path_buf()]),
        vec![format!(
            "{b}:10:11: platform `T04257DS9431720WTAG` is declared in region `ap-guangzhou` at \
             {a}:9 and in `ap-singapore` at {b}:10; one platform has one region",
            a = a.display(),
            b = b.display()
        )]
    );
}
