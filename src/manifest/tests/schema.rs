//! Single texts: the schema's rules, their messages and exact locations.

use super::*;

#[test]
fn valid_manifest_parses() {
    let resources = parse_str(Path::new("m.yaml"), VALID).expect("valid");
    let expected = Resource {
        name: "shop-2597".into(),
        labels: BTreeMap::from([("team".into(), "payments".into())]),
        key: Key::new("T04257DS9431720WTAG", 2597),
        mnp_id: None,
        version: None,
        version_at: None,
        approval: Approval::Submitted,
        release: None,
        region: Some("ap-guangzhou".into()),
        api: None,
        source: Location {
            path: "m.yaml".into(),
            line: 1,
            column: 1,
        },
    };
    assert_eq!(resources, vec![expected]);
}

#[test]
fn optional_fields_and_limits_are_accepted() {
    let text = edit(5, 5, "").replace("  region: ap-guangzhou\n", "  region:\n");
    let text = text.replace("2597\n", "9223372036854775807\n");
    let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
    assert_eq!(resources[0].labels, BTreeMap::new());
    assert_eq!(resources[0].region, None);
    assert_eq!(resources[0].key.mnp_version_id, i64::MAX);
    let cancelled = edit(9, 9, "  approval: cancelled");
    let resources = parse_str(Path::new("m.yaml"), &cancelled).expect("valid");
    assert_eq!(resources[0].approval, Approval::Cancelled);
}

#[test]
fn the_api_may_be_pinned() {
    let pinned = |line: &str| format!("{VALID}{line}\n");
    let resources = parse_str(Path::new("m.yaml"), &pinned("  api: tcsas")).expect("valid");
    assert_eq!(resources[0].api, Some(crate::tcmpp::Api::Tcsas));
    let resources = parse_str(Path::new("m.yaml"), &pinned("  api: tcmpp")).expect("valid");
    assert_eq!(resources[0].api, Some(crate::tcmpp::Api::Tcmpp));
    // Omitted or null: the client's default.
    assert_eq!(parse_str(Path::new("m.yaml"), VALID).unwrap()[0].api, None);
    let resources = parse_str(Path::new("m.yaml"), &pinned("  api:")).expect("valid");
    assert_eq!(resources[0].api, None);
    // A pinned API is rendered, and reads back.
    let rendered =
        render_resource_yaml(&parse_str(Path::new("m.yaml"), &pinned("  api: tcsas")).unwrap()[0]);
    assert!(rendered.ends_with("  api: tcsas\n"), "{rendered}");
    assert_eq!(
        parse_str(Path::new("r.yaml"), &rendered).unwrap()[0].api,
        Some(crate::tcmpp::Api::Tcsas)
    );
    assert_eq!(
        errors(&pinned("  api: TCSAS")),
        [
            "m.yaml:11:8: invalid value for `spec.api`: expected `tcmpp` or `tcsas`, found `TCSAS`, did you mean `tcsas`?"
        ]
    );
    assert_eq!(
        errors(&pinned("  api: 2025-01-06")),
        [
            "m.yaml:11:8: invalid value for `spec.api`: expected `tcmpp` or `tcsas`, found `2025-01-06`"
        ]
    );
    assert_eq!(
        errors(&pinned("  api: [tcsas]")),
        ["m.yaml:11:3: invalid type for `spec.api`: expected `tcmpp` or `tcsas`, found a sequence"]
    );
    assert_eq!(
        errors(&pinned("  apis: tcsas")),
        ["m.yaml:11:3: unknown field `apis` in spec, did you mean `api`?"]
    );
}

#[test]
fn each_rule_reports_exact_message_and_location() {
    let spec_fields = "(expected one of `platformId`, `mnpVersionId`, `approval`, `region`, \
                       `api`, `mnpId`, `version`, `release`)";
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "yaml syntax error",
            edit(9, 9, "  approval: submitted: yes"),
            vec!["m.yaml:9:22: invalid YAML: mapping values are not allowed in this context; check the indentation (a key must line up with the other keys of its mapping), and quote a value that contains `: `".into()],
        ),
        (
            "unterminated flow mapping",
            edit(5, 5, "  labels: {team: payments"),
            vec!["m.yaml:6:5: invalid YAML: did not find expected ',' or '}', while parsing a flow mapping at line 5 column 11".into()],
        ),
        (
            "unknown field in spec",
            edit(9, 9, "  approvl: submitted"),
            vec![
                "m.yaml:6:1: missing field `approval` in spec".into(),
                "m.yaml:9:3: unknown field `approvl` in spec, did you mean `approval`?".into(),
            ],
        ),
        (
            "unknown field in metadata (transposition)",
            edit(4, 4, "  nmae: shop-2597"),
            vec![
                "m.yaml:3:1: missing field `name` in metadata".into(),
                "m.yaml:4:3: unknown field `nmae` in metadata, did you mean `name`?".into(),
            ],
        ),
        (
            "unknown top-level field",
            edit(2, 2, "kinds: MNPApproval"),
            vec![
                "m.yaml:1:1: missing field `kind` at top level".into(),
                "m.yaml:2:1: unknown field `kinds` at top level, did you mean `kind`?".into(),
            ],
        ),
        (
            "unknown field with no close match",
            edit(10, 10, "  region: ap-guangzhou\n  colour: blue"),
            vec![format!("m.yaml:11:3: unknown field `colour` in spec {spec_fields}")],
        ),
        (
            "non-string key",
            edit(10, 10, "  region: ap-guangzhou\n  1: x"),
            vec![format!("m.yaml:11:3: unknown field `1` in spec {spec_fields}")],
        ),
        (
            "duplicate field",
            edit(10, 10, "  approval: cancelled"),
            vec!["m.yaml:10:3: duplicate field `approval` in spec, first defined at m.yaml:9:3".into()],
        ),
        (
            "missing field in spec",
            edit(7, 7, ""),
            vec!["m.yaml:6:1: missing field `platformId` in spec".into()],
        ),
        (
            "missing top-level field",
            edit(6, 10, ""),
            vec!["m.yaml:1:1: missing field `spec` at top level".into()],
        ),
        (
            "metadata is a string",
            edit(3, 5, "metadata: shop-2597"),
            vec!["m.yaml:3:11: invalid type for `metadata`: expected a mapping, found string \"shop-2597\"".into()],
        ),
        (
            "spec is a sequence (reported at the key)",
            edit(6, 10, "spec:\n  - platformId"),
            vec!["m.yaml:6:1: invalid type for `spec`: expected a mapping, found a sequence".into()],
        ),
        (
            "platformId is a number",
            edit(7, 7, "  platformId: 12345"),
            vec!["m.yaml:7:15: invalid type for `spec.platformId`: expected a string, found integer `12345`".into()],
        ),
        (
            "platformId is a sequence (reported at the key)",
            edit(7, 7, "  platformId: [T04]"),
            vec!["m.yaml:7:3: invalid type for `spec.platformId`: expected a string, found a sequence".into()],
        ),
        (
            "mnpVersionId zero",
            edit(8, 8, "  mnpVersionId: 0"),
            vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive integer, found `0`".into()],
        ),
        (
            "mnpVersionId negative",
            edit(8, 8, "  mnpVersionId: -5"),
            vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive integer, found `-5`".into()],
        ),
        (
            "mnpVersionId fractional",
            edit(8, 8, "  mnpVersionId: 1.5"),
            vec!["m.yaml:8:17: invalid type for `spec.mnpVersionId`: expected a positive integer, found float `1.5`".into()],
        ),
        (
            "mnpVersionId quoted",
            edit(8, 8, "  mnpVersionId: \"2597\""),
            vec!["m.yaml:8:17: invalid type for `spec.mnpVersionId`: expected a positive integer, found string \"2597\" (remove the quotes)".into()],
        ),
        (
            "mnpVersionId beyond u64",
            edit(8, 8, "  mnpVersionId: 99999999999999999999"),
            vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: `99999999999999999999` does not fit in a signed 64-bit integer".into()],
        ),
        (
            "mnpVersionId just beyond i64",
            edit(8, 8, "  mnpVersionId: 9223372036854775808"),
            vec!["m.yaml:8:17: invalid value for `spec.mnpVersionId`: `9223372036854775808` does not fit in a signed 64-bit integer".into()],
        ),
        (
            "mnpVersionId null",
            edit(8, 8, "  mnpVersionId: ~"),
            vec!["m.yaml:8:17: invalid type for `spec.mnpVersionId`: expected a positive integer, found null".into()],
        ),
        (
            "approval unknown",
            edit(9, 9, "  approval: approved"),
            vec!["m.yaml:9:13: invalid value for `spec.approval`: expected `submitted` or `cancelled`, found `approved`".into()],
        ),
        (
            "approval with wrong case",
            edit(9, 9, "  approval: Submitted"),
            vec!["m.yaml:9:13: invalid value for `spec.approval`: expected `submitted` or `cancelled`, found `Submitted`, did you mean `submitted`?".into()],
        ),
        (
            "approval is a boolean",
            edit(9, 9, "  approval: true"),
            vec!["m.yaml:9:13: invalid type for `spec.approval`: expected `submitted` or `cancelled`, found boolean `true`".into()],
        ),
        (
            "empty platformId",
            edit(7, 7, "  platformId: \"\""),
            vec!["m.yaml:7:15: invalid value for `spec.platformId`: must not be empty".into()],
        ),
        (
            "whitespace-only platformId",
            edit(7, 7, "  platformId: '   '"),
            vec!["m.yaml:7:15: invalid value for `spec.platformId`: must not be empty".into()],
        ),
        (
            "platformId with surrounding whitespace",
            edit(7, 7, "  platformId: \" T04 \""),
            vec!["m.yaml:7:15: invalid value for `spec.platformId`: must not have leading or trailing whitespace, found \" T04 \"".into()],
        ),
        (
            "empty name",
            edit(4, 4, "  name: ''"),
            vec!["m.yaml:4:9: invalid value for `metadata.name`: must not be empty".into()],
        ),
        (
            "empty region",
            edit(10, 10, "  region: ''"),
            vec!["m.yaml:10:11: invalid value for `spec.region`: must not be empty".into()],
        ),
        (
            "wrong kind",
            edit(2, 2, "kind: MNPApprovals"),
            vec!["m.yaml:2:7: invalid value for `kind`: expected `MNPApproval`, found `MNPApprovals`".into()],
        ),
        (
            "wrong apiVersion",
            edit(1, 1, "apiVersion: mnpsync/v2"),
            vec!["m.yaml:1:13: invalid value for `apiVersion`: expected `mnpsync/v1`, found `mnpsync/v2`".into()],
        ),
        (
            "apiVersion is a number",
            edit(1, 1, "apiVersion: 1"),
            vec!["m.yaml:1:13: invalid type for `apiVersion`: expected `mnpsync/v1`, found integer `1`".into()],
        ),
        (
            "labels is a sequence",
            edit(5, 5, "  labels: [payments]"),
            vec!["m.yaml:5:3: invalid type for `metadata.labels`: expected a mapping, found a sequence".into()],
        ),
        (
            "label value is a number",
            edit(5, 5, "  labels: {team: 1}"),
            vec!["m.yaml:5:18: invalid type for `metadata.labels.team`: expected a string, found integer `1`".into()],
        ),
        (
            "duplicate label",
            edit(5, 5, "  labels: {team: a, team: b}"),
            vec!["m.yaml:5:21: duplicate label `team` in metadata.labels, first defined at m.yaml:5:12".into()],
        ),
        (
            "YAML tag",
            edit(9, 9, "  approval: !yes submitted"),
            vec!["m.yaml:9:13: YAML tags are not supported (found `!yes`)".into()],
        ),
        (
            "document is a sequence",
            "- a\n- b\n".into(),
            vec!["m.yaml:1:1: document must be a mapping, found a sequence".into()],
        ),
        (
            "document is a scalar after comments",
            "# just a note\n\n--- 42\n".into(),
            vec!["m.yaml:3:5: document must be a mapping, found integer `42`".into()],
        ),
        (
            "empty mapping",
            "# nothing\n{}\n".into(),
            vec![
                "m.yaml:2:1: missing field `apiVersion` at top level".into(),
                "m.yaml:2:1: missing field `kind` at top level".into(),
                "m.yaml:2:1: missing field `metadata` at top level".into(),
                "m.yaml:2:1: missing field `spec` at top level".into(),
            ],
        ),
        (
            "several errors in one document, all reported",
            edit(8, 10, "  mnpVersionId: 0\n  approval: maybe\n  regoin: x"),
            vec![
                "m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive integer, found `0`".into(),
                "m.yaml:9:13: invalid value for `spec.approval`: expected `submitted` or `cancelled`, found `maybe`".into(),
                "m.yaml:10:3: unknown field `regoin` in spec, did you mean `region`?".into(),
            ],
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(errors(&text), expected, "case: {name}\n{text}");
    }
}

#[test]
fn flow_style_documents_have_exact_positions() {
    let text = "{apiVersion: mnpsync/v1, kind: MNPApproval, metadata: {name: x},\n \
                spec: {platformId: P, mnpVersionId: 1, approval: nope}}\n";
    assert_eq!(
        errors(text),
        vec![
            "m.yaml:2:51: invalid value for `spec.approval`: expected `submitted` or \
             `cancelled`, found `nope`"
        ]
    );
    let valid = text.replace("nope", "submitted");
    let resources = parse_str(Path::new("m.yaml"), &valid).expect("valid");
    assert_eq!(
        (resources[0].source.line, resources[0].source.column),
        (1, 2)
    );
}

#[test]
fn multi_document_positions_are_absolute() {
    let third = manifest("c", 3).replace("approval: submitted", "approval: maybe");
    let text = format!(
        "# header\n{}---\n{}--- # third\n{third}---\n",
        manifest("a", 1),
        manifest("b", 2)
    );
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:27:13: invalid value for `spec.approval`: expected `submitted` or \
             `cancelled`, found `maybe`"
        ]
    );

    let valid = text.replace("maybe", "cancelled");
    let resources = parse_str(Path::new("m.yaml"), &valid).expect("valid");
    let starts: Vec<_> = resources
        .iter()
        .map(|r| (r.name.as_str(), r.source.line, r.source.column))
        .collect();
    assert_eq!(starts, vec![("a", 2, 1), ("b", 11, 1), ("c", 20, 1)]);

    // serde_yaml's own (syntax) error locations are absolute too, not per document.
    let broken = format!(
        "{}---\n{}---\nkind: [\n",
        manifest("a", 1),
        manifest("b", 2)
    );
    assert_eq!(
        errors(&broken),
        vec![
            "m.yaml:20:1: invalid YAML: did not find expected node content, while parsing a \
             flow node"
        ]
    );
}

#[test]
fn empty_documents_are_skipped() {
    for text in [
        "",
        "\n",
        "# only comments\n# here\n",
        "---\n",
        "---\n...\n",
        "--- ~\n",
    ] {
        assert_eq!(parse_str(Path::new("m.yaml"), text), Ok(vec![]), "{text:?}");
    }
    let text = format!("---\n{VALID}---\n# trailing\n---\n");
    let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].source.line, 2);
}

#[test]
fn byte_order_mark_and_crlf_are_accepted() {
    let text = format!("\u{feff}{}", VALID.replace('\n', "\r\n"));
    let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
    assert_eq!(
        (resources[0].source.line, resources[0].source.column),
        (1, 1)
    );
    let bad = text.replace("2597\r\n", "0\r\n");
    assert_eq!(
        errors(&bad),
        vec![
            "m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive \
             integer, found `0`"
        ]
    );
}

#[test]
fn duplicates_within_one_file_name_both_places() {
    let text = format!(
        "{}---\n{}---\n{}",
        manifest("a", 1),
        manifest("a", 2),
        manifest("c", 1)
    );
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:13:9: duplicate metadata.name `a`, first defined at m.yaml:4:9",
            "m.yaml:24:15: duplicate resource `T04257DS9431720WTAG/1` (same platformId and \
             mnpVersionId), first declared by `a` at m.yaml:6:15",
        ]
    );
}

#[test]
fn tags_are_reported_without_hiding_other_errors() {
    let text = edit(8, 9, "  mnpVersionId: !num 0\n  approval: !yes submitted");
    assert_eq!(
        errors(&text),
        vec![
            "m.yaml:8:17: YAML tags are not supported (found `!num`)",
            "m.yaml:8:17: invalid value for `spec.mnpVersionId`: expected a positive \
             integer, found `0`",
            "m.yaml:9:13: YAML tags are not supported (found `!yes`)",
        ]
    );
    let tagged_mapping = edit(6, 6, "spec: !custom");
    assert_eq!(
        errors(&tagged_mapping),
        vec!["m.yaml:7:3: YAML tags are not supported (found `!custom`)"]
    );
}

#[test]
fn syntax_errors_people_make_by_hand_get_a_hint() {
    let errors = |text: &str| -> Vec<String> {
        crate::manifest::parse_str(std::path::Path::new("m.yaml"), text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let tab = "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n\tname: shop-1\n";
    assert_eq!(
        errors(tab),
        vec![
            "m.yaml:4:1: invalid YAML: found character that cannot start any token, while scanning for the next token; YAML does not allow tabs for indentation: indent with spaces"
        ]
    );
    let deeper = "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: a\nspec:\n  platformId: P\n    mnpVersionId: 1\n";
    let got = errors(deeper);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].ends_with("mapping values are not allowed in this context; check the indentation (a key must line up with the other keys of its mapping), and quote a value that contains `: `")
            && got[0].starts_with("m.yaml:7:17: "),
        "{got:?}"
    );
}
