//! The release-flow fields (`mnpId`, `version`, `release`): their rules in one document and
//! across documents, their spellings, and rendering (loading and resolving them: `resolve.rs`).

use proptest::prelude::*;

use super::*;

/// A document that names its version by the uploaded string and asks for its release.
const RELEASE: &str = "\
apiVersion: mnpsync/v1
kind: MNPApproval
metadata:
  name: shop-142
  labels: {team: payments}
spec:
  platformId: T04257DS9431720WTAG
  mnpId: mpx7a2k9
  version: \"1.4.2\"
  approval: submitted
  release: online
";

/// `RELEASE` with lines `from..=to` (1-based) replaced by `with` (empty `with` deletes them).
fn edit_release(from: usize, to: usize, with: &str) -> String {
    let mut out = String::new();
    for (i, line) in RELEASE.lines().enumerate() {
        let n = i + 1;
        if n == from && !with.is_empty() {
            out.push_str(with);
            out.push('\n');
        }
        if !(from..=to).contains(&n) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A block-style document declared by version, 9 lines (10 with `release`): `mnpId` on line
/// 7, `version` on line 8 (value at column 12), `release` on line 10 (value at column 12).
pub(super) fn by_version(name: &str, mnp_id: &str, version: &str, release: bool) -> String {
    let release = if release { "  release: online\n" } else { "" };
    format!(
        "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\nspec:\n  \
         platformId: T04257DS9431720WTAG\n  mnpId: {mnp_id}\n  version: \"{version}\"\n  \
         approval: submitted\n{release}"
    )
}

fn at(path: &str, line: usize, column: usize) -> Location {
    Location {
        path: path.into(),
        line,
        column,
    }
}

#[test]
fn a_release_document_parses() {
    let resources = parse_str(Path::new("m.yaml"), RELEASE).expect("valid");
    let expected = Resource {
        name: "shop-142".into(),
        labels: BTreeMap::from([("team".into(), "payments".into())]),
        key: Key::new("T04257DS9431720WTAG", 0),
        mnp_id: Some("mpx7a2k9".into()),
        version: Some("1.4.2".into()),
        version_at: Some(at("m.yaml", 9, 12)),
        approval: Approval::Submitted,
        release: Some(Release::Online),
        region: None,
        api: None,
        source: at("m.yaml", 1, 1),
    };
    assert_eq!(resources, vec![expected]);
}

#[test]
fn optional_release_fields_are_accepted() {
    let parse = |text: &str| {
        parse_str(Path::new("m.yaml"), text)
            .expect("valid")
            .remove(0)
    };

    // `mnpVersionId` with `mnpId` and a release: an identity now, a release later.
    let by_id = parse(&edit_release(9, 9, "  mnpVersionId: 142"));
    assert_eq!(by_id.key, Key::new("T04257DS9431720WTAG", 142));
    assert_eq!(
        (by_id.mnp_id.as_deref(), by_id.version, by_id.version_at),
        (Some("mpx7a2k9"), None, None)
    );
    assert_eq!(by_id.release, Some(Release::Online));

    // `mnpId` alone is allowed; `release` may be omitted or null; a cancelled version.
    let v1 = format!("{VALID}  mnpId: mpx7a2k9\n");
    assert_eq!(parse(&v1).mnp_id.as_deref(), Some("mpx7a2k9"));
    assert_eq!(parse(&edit_release(11, 11, "")).release, None);
    assert_eq!(parse(&edit_release(11, 11, "  release:")).release, None);
    let cancelled = edit_release(10, 11, "  approval: cancelled");
    assert_eq!(parse(&cancelled).approval, Approval::Cancelled);

    // A version string is any text within the limits, written as the user uploaded it.
    for (written, version) in [
        ("v1.4.2-beta+7", "v1.4.2-beta+7"),
        ("'1.10'", "1.10"),
        ("\"0x1F\"", "0x1F"),
        ("2024.01 build 7", "2024.01 build 7"),
        ("\"\u{7248}\u{672c} 1\"", "\u{7248}\u{672c} 1"),
    ] {
        let r = parse(&edit_release(9, 9, &format!("  version: {written}")));
        assert_eq!(r.version.as_deref(), Some(version), "{written}");
    }
    let longest = format!("  version: {}", "9".repeat(MAX_VERSION_CHARS - 1) + "a");
    assert!(parse_str(Path::new("m.yaml"), &edit_release(9, 9, &longest)).is_ok());
    let longest = format!("  mnpId: {}", "m".repeat(MAX_MNP_ID_CHARS));
    assert!(parse_str(Path::new("m.yaml"), &edit_release(8, 8, &longest)).is_ok());
}

#[test]
fn each_release_rule_reports_exact_message_and_location() {
    let found = "must not contain control or bidirectional-override characters, found";
    let needs_mnp_id_for_version = "`spec.version` needs `spec.mnpId` (a version string is looked \
                                    up among the versions of one mini program), which is missing";
    let needs_mnp_id_for_release = "`spec.release` needs `spec.mnpId` (the mini program whose \
                                    online version it sets), which is missing";
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        // Exactly one of `mnpVersionId` and `version`.
        (
            "both, version last",
            edit_release(9, 9, "  mnpVersionId: 142\n  version: \"1.4.2\""),
            vec!["m.yaml:10:3: field `version` in spec conflicts with `mnpVersionId` at m.yaml:9:3: give one of `mnpVersionId` or `version`, not both".into()],
        ),
        (
            "both, mnpVersionId last",
            edit_release(9, 9, "  version: \"1.4.2\"\n  mnpVersionId: 142"),
            vec!["m.yaml:10:3: field `mnpVersionId` in spec conflicts with `version` at m.yaml:9:3: give one of `mnpVersionId` or `version`, not both".into()],
        ),
        (
            "neither (a release document)",
            edit_release(9, 9, ""),
            vec!["m.yaml:6:1: missing field in spec: one of `mnpVersionId` or `version`".into()],
        ),
        (
            "neither (an mnpsync/v1 document)",
            edit(8, 8, ""),
            vec!["m.yaml:6:1: missing field in spec: one of `mnpVersionId` or `version`".into()],
        ),
        // `version` and `release: online` need `mnpId`.
        (
            "version and release without mnpId",
            edit_release(8, 8, ""),
            vec![
                format!("m.yaml:8:3: {needs_mnp_id_for_version}"),
                format!("m.yaml:10:3: {needs_mnp_id_for_release}"),
            ],
        ),
        (
            "release without mnpId, by mnpVersionId",
            edit_release(8, 9, "  mnpVersionId: 142"),
            vec![format!("m.yaml:10:3: {needs_mnp_id_for_release}")],
        ),
        // `version`: a string, quoted as written when YAML reads a number.
        (
            "version is a float",
            edit_release(9, 9, "  version: 1.4"),
            vec!["m.yaml:9:12: invalid type for `spec.version`: expected a string, found the number `1.4`; write \"1.4\" in quotes".into()],
        ),
        (
            "version is a float YAML shortens, before a comment",
            edit_release(9, 9, "  version: 1.10   # the tenth"),
            vec!["m.yaml:9:12: invalid type for `spec.version`: expected a string, found the number `1.10` (YAML reads it as 1.1); write \"1.10\" in quotes".into()],
        ),
        (
            "version is an integer",
            edit_release(9, 9, "  version: 2"),
            vec!["m.yaml:9:12: invalid type for `spec.version`: expected a string, found the number `2`; write \"2\" in quotes".into()],
        ),
        (
            "version is a hexadecimal integer",
            edit_release(9, 9, "  version: 0x1F"),
            vec!["m.yaml:9:12: invalid type for `spec.version`: expected a string, found the number `0x1F` (YAML reads it as 31); write \"0x1F\" in quotes".into()],
        ),
        (
            "version is a number in a flow mapping",
            "{apiVersion: mnpsync/v1, kind: MNPApproval, metadata: {name: a}, spec: {platformId: P, mnpId: m,\n  version: 1.50, approval: submitted}}\n".into(),
            vec!["m.yaml:2:12: invalid type for `spec.version`: expected a string, found the number `1.50` (YAML reads it as 1.5); write \"1.50\" in quotes".into()],
        ),
        (
            "version is a boolean",
            edit_release(9, 9, "  version: true"),
            vec!["m.yaml:9:12: invalid type for `spec.version`: expected a string, found boolean `true`".into()],
        ),
        (
            "version is null",
            edit_release(9, 9, "  version:"),
            vec!["m.yaml:9:11: invalid type for `spec.version`: expected a string, found null".into()],
        ),
        (
            "version is a sequence (reported at the key)",
            edit_release(9, 9, "  version: [1, 4]"),
            vec!["m.yaml:9:3: invalid type for `spec.version`: expected a string, found a sequence".into()],
        ),
        (
            "empty version",
            edit_release(9, 9, "  version: \"\""),
            vec!["m.yaml:9:12: invalid value for `spec.version`: must not be empty".into()],
        ),
        (
            "version with surrounding whitespace",
            edit_release(9, 9, "  version: \" 1.4.2\""),
            vec!["m.yaml:9:12: invalid value for `spec.version`: must not have leading or trailing whitespace, found \" 1.4.2\"".into()],
        ),
        (
            "version too long",
            edit_release(9, 9, &format!("  version: v{}", "1".repeat(64))),
            vec!["m.yaml:9:12: invalid value for `spec.version`: too long (65 characters; the limit is 64)".into()],
        ),
        (
            "version with an escape",
            edit_release(9, 9, "  version: \"1.4\\e[2J\""),
            vec![format!("m.yaml:9:12: invalid value for `spec.version`: {found} `\\u{{1b}}`")],
        ),
        (
            "version with a newline",
            edit_release(9, 9, "  version: |\n    1.4.2"),
            vec![format!("m.yaml:9:12: invalid value for `spec.version`: {found} `\\n`")],
        ),
        // `mnpId`: the rule of `platformId`.
        (
            "empty mnpId",
            edit_release(8, 8, "  mnpId: ''"),
            vec!["m.yaml:8:10: invalid value for `spec.mnpId`: must not be empty".into()],
        ),
        (
            "mnpId is a number",
            edit_release(8, 8, "  mnpId: 12345"),
            vec!["m.yaml:8:10: invalid type for `spec.mnpId`: expected a string, found integer `12345`".into()],
        ),
        (
            "mnpId is null",
            edit_release(8, 8, "  mnpId: ~"),
            vec!["m.yaml:8:10: invalid type for `spec.mnpId`: expected a string, found null".into()],
        ),
        (
            "mnpId too long",
            edit_release(8, 8, &format!("  mnpId: {}", "m".repeat(65))),
            vec!["m.yaml:8:10: invalid value for `spec.mnpId`: too long (65 characters; the limit is 64)".into()],
        ),
        (
            "mnpId with surrounding whitespace",
            edit_release(8, 8, "  mnpId: \"mpx7a2k9 \""),
            vec!["m.yaml:8:10: invalid value for `spec.mnpId`: must not have leading or trailing whitespace, found \"mpx7a2k9 \"".into()],
        ),
        (
            "mnpId with a bidi override",
            edit_release(8, 8, "  mnpId: \"mpx\\u202Ek9\""),
            vec![format!("m.yaml:8:10: invalid value for `spec.mnpId`: {found} `\\u{{202e}}`")],
        ),
        // `release`: only `online`, and only for a version that is submitted.
        (
            "release with wrong case",
            edit_release(11, 11, "  release: Online"),
            vec!["m.yaml:11:12: invalid value for `spec.release`: expected `online`, found `Online`, did you mean `online`?".into()],
        ),
        (
            "release as a typo",
            edit_release(11, 11, "  release: onlien"),
            vec!["m.yaml:11:12: invalid value for `spec.release`: expected `online`, found `onlien`, did you mean `online`?".into()],
        ),
        (
            "release as a synonym",
            edit_release(11, 11, "  release: released"),
            vec!["m.yaml:11:12: invalid value for `spec.release`: expected `online`, found `released`, did you mean `online`?".into()],
        ),
        (
            "release as the opposite",
            edit_release(11, 11, "  release: offline"),
            vec!["m.yaml:11:12: invalid value for `spec.release`: expected `online`, found `offline` (to leave the version unreleased, omit `spec.release`)".into()],
        ),
        (
            "release unknown",
            edit_release(11, 11, "  release: gradual"),
            vec!["m.yaml:11:12: invalid value for `spec.release`: expected `online`, found `gradual`".into()],
        ),
        (
            "release is a boolean",
            edit_release(11, 11, "  release: true"),
            vec!["m.yaml:11:12: invalid type for `spec.release`: expected `online`, found boolean `true`".into()],
        ),
        (
            "release of a cancelled version",
            edit_release(10, 10, "  approval: cancelled"),
            vec!["m.yaml:11:3: `spec.release: online` needs `spec.approval: submitted` (only an approved version can be released), found `cancelled`".into()],
        ),
        // The new fields take part in "did you mean".
        (
            "mnpId misspelt",
            edit_release(8, 8, "  mnpid: mpx7a2k9"),
            vec![
                format!("m.yaml:8:3: unknown field `mnpid` in spec, did you mean `mnpId`?"),
                format!("m.yaml:9:3: {needs_mnp_id_for_version}"),
                format!("m.yaml:11:3: {needs_mnp_id_for_release}"),
            ],
        ),
        (
            "version misspelt",
            edit_release(9, 9, "  verison: \"1.4.2\""),
            vec![
                "m.yaml:6:1: missing field in spec: one of `mnpVersionId` or `version`".into(),
                "m.yaml:9:3: unknown field `verison` in spec, did you mean `version`?".into(),
            ],
        ),
        (
            "release misspelt",
            edit_release(11, 11, "  relase: online"),
            vec!["m.yaml:11:3: unknown field `relase` in spec, did you mean `release`?".into()],
        ),
        (
            "several errors in one document, all reported",
            edit_release(8, 11, "  mnpId: ''\n  version: 1.4\n  approval: cancelled\n  release: Online"),
            vec![
                "m.yaml:8:10: invalid value for `spec.mnpId`: must not be empty".into(),
                "m.yaml:9:12: invalid type for `spec.version`: expected a string, found the number `1.4`; write \"1.4\" in quotes".into(),
                "m.yaml:11:12: invalid value for `spec.release`: expected `online`, found `Online`, did you mean `online`?".into(),
            ],
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(errors(&text), expected, "case: {name}\n{text}");
    }
}

#[test]
fn one_document_releases_a_mini_program() {
    let text = format!(
        "{}---\n{}---\n{}",
        by_version("shop-142", "mpx7a2k9", "1.4.2", true),
        by_version("shop-143", "mpx7a2k9", "1.4.3", true),
        // Another mini program of the platform may be released at the same time.
        by_version("cart-9", "mpcart", "9", true),
    );
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:10:12: `release: online` for mini program `mpx7a2k9` on platform \
             `T04257DS9431720WTAG` is also declared by `shop-143` at m.yaml:21; one version \
             of a mini program is online at a time, so at most one document may release it",
            "m.yaml:21:12: `release: online` for mini program `mpx7a2k9` on platform \
             `T04257DS9431720WTAG` is also declared by `shop-142` at m.yaml:10; one version \
             of a mini program is online at a time, so at most one document may release it",
        ]
    );

    // Five at once: each names the first three others and counts the rest.
    let five: Vec<String> = (1..=5)
        .map(|i| by_version(&format!("s{i}"), "m", &i.to_string(), true))
        .collect();
    let reported = errors(&five.join("---\n"));
    assert_eq!(reported.len(), 5, "{reported:?}");
    assert_eq!(
        reported[0],
        "m.yaml:10:12: `release: online` for mini program `m` on platform \
         `T04257DS9431720WTAG` is also declared by `s2` at m.yaml:21, `s3` at m.yaml:32, `s4` \
         at m.yaml:43 and 1 more; one version of a mini program is online at a time, so at \
         most one document may release it"
    );
    assert!(
        reported[4]
            .contains("by `s1` at m.yaml:10, `s2` at m.yaml:21, `s3` at m.yaml:32 and 1 more;")
    );

    // Across files, with a document declared by `mnpVersionId`.
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.yaml",
        by_version("shop-142", "mpx7a2k9", "1.4.2", true),
    );
    let b = write(
        dir.path(),
        "team/b.yaml",
        format!(
            "{}  mnpId: mpx7a2k9\n  release: online\n",
            manifest("shop-2597", 2597)
        ),
    );
    let (a, b) = (a.display(), b.display());
    assert_eq!(
        load_errors(&[dir.path().to_path_buf()]),
        vec![
            format!(
                "{a}:10:12: `release: online` for mini program `mpx7a2k9` on platform \
                 `T04257DS9431720WTAG` is also declared by `shop-2597` at {b}:10; one version \
                 of a mini program is online at a time, so at most one document may release it"
            ),
            format!(
                "{b}:10:12: `release: online` for mini program `mpx7a2k9` on platform \
                 `T04257DS9431720WTAG` is also declared by `shop-142` at {a}:10; one version \
                 of a mini program is online at a time, so at most one document may release it"
            ),
        ]
    );
}

#[test]
fn a_version_string_is_declared_once() {
    let text = format!(
        "{}---\n{}---\n{}---\n{}",
        by_version("shop-142", "mpx7a2k9", "1.4.2", false),
        by_version("shop-142b", "mpx7a2k9", "1.4.2", false),
        // The same string of another mini program, or another string, is another version.
        by_version("cart-142", "mpcart", "1.4.2", false),
        by_version("shop-1420", "mpx7a2k9", "1.4.20", false),
    );
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:18:12: duplicate resource: version \"1.4.2\" of mini program `mpx7a2k9` on \
             platform `T04257DS9431720WTAG` (same platformId, mnpId and version), first \
             declared by `shop-142` at m.yaml:8:12"
        ]
    );

    // By id and by version: compared only once resolved, so not here.
    let text = format!(
        "{}---\n{}",
        by_version("shop-142", "mpx7a2k9", "1.4.2", false),
        manifest("shop-2597", 2597)
    );
    assert_eq!(
        parse_str(Path::new("m.yaml"), &text).map(|r| r.len()),
        Ok(2)
    );
}

#[test]
fn release_spellings() {
    assert_eq!(Release::Online.as_str(), "online");
    assert_eq!(Release::Online.to_string(), "online");
    assert_eq!(
        serde_json::to_string(&Release::Online).expect("serialize"),
        "\"online\""
    );
    assert_eq!(
        serde_json::from_str::<Release>("\"online\"").expect("deserialize"),
        Release::Online
    );
    assert_eq!("online".parse(), Ok(Release::Online));
    assert_eq!(
        "Online".parse::<Release>(),
        Err("invalid release `Online`: expected `online`".to_string())
    );
}

#[test]
fn release_documents_render_and_read_back() {
    let declared = parse_str(Path::new("m.yaml"), RELEASE)
        .expect("valid")
        .remove(0);
    let rendered = render_resource_yaml(&declared);
    assert_eq!(
        rendered,
        "---\napiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: shop-142\n  \
         labels:\n    team: payments\nspec:\n  platformId: T04257DS9431720WTAG\n  mnpId: \
         mpx7a2k9\n  version: \"1.4.2\"\n  approval: submitted\n  release: online\n"
    );
    // A resolved resource renders as declared, by its version.
    let mut resolved = declared.clone();
    resolved.key.mnp_version_id = 142;
    assert_eq!(render_resource_yaml(&resolved), rendered);
    let back = parse_str(Path::new("m.yaml"), &rendered)
        .expect("valid")
        .remove(0);
    assert_eq!(
        (back.key, back.mnp_id, back.version, back.release),
        (
            declared.key,
            declared.mnp_id,
            declared.version,
            declared.release
        )
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Arbitrary text in the new fields: nothing unsafe or over its limit is accepted, and no
    /// report quotes a huge value or an unsafe character.
    #[test]
    fn arbitrary_release_fields_never_yield_unsafe_text(
        which in 0..3usize,
        written in super::fuzz::arb_written(),
    ) {
        let mut fields = ["mpx7a2k9", "\"1.4.2\"", "online"].map(str::to_string);
        fields[which] = written;
        let [mnp_id, version, release] = &fields;
        let text = format!(
            "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: s\nspec:\n  \
             platformId: P\n  mnpId: {mnp_id}\n  version: {version}\n  approval: submitted\n  \
             release: {release}\n"
        );
        let clean = |s: &str| !s.chars().any(crate::text::is_unsafe);
        match parse_str(Path::new("fuzz.yaml"), &text) {
            Ok(resources) => {
                for r in resources {
                    let mnp_id = r.mnp_id.unwrap_or_default();
                    let version = r.version.unwrap_or_default();
                    prop_assert!(clean(&mnp_id) && mnp_id.chars().count() <= MAX_MNP_ID_CHARS);
                    prop_assert!(clean(&version) && version.chars().count() <= MAX_VERSION_CHARS);
                    prop_assert!(!version.is_empty() && version.trim() == version);
                }
            }
            Err(errors) => {
                for e in errors {
                    let shown = e.to_string();
                    prop_assert!(clean(&shown), "{:?}", shown);
                    prop_assert!(shown.chars().count() < 600, "{} characters", shown.len());
                }
            }
        }
    }
}
