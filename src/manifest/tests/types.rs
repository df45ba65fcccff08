//! The public types: errors, selectors, keys, approvals.

use super::*;

#[test]
fn manifest_errors_display_one_per_line() {
    let errors = ManifestErrors(vec![
        ManifestError::new(Path::new("a.yaml"), Pos { line: 2, column: 3 }, "first"),
        ManifestError::new(Path::new("b.yaml"), Pos::START, "second"),
    ]);
    assert_eq!(errors.to_string(), "a.yaml:2:3: first\nb.yaml:1:1: second");
}

#[test]
fn selector_parses_and_matches() {
    type Pairs = Vec<(&'static str, &'static str)>;
    let parse_cases: Vec<(&str, Result<Pairs, &str>)> = vec![
        ("", Ok(vec![])),
        ("team=payments", Ok(vec![("team", "payments")])),
        (
            " team = payments , tier=gold",
            Ok(vec![("team", "payments"), ("tier", "gold")]),
        ),
        ("expr=a=b", Ok(vec![("expr", "a=b")])),
        ("flag=", Ok(vec![("flag", "")])),
        (
            "team",
            Err("invalid selector `team`: `team` is not of the form key=value"),
        ),
        (
            "=payments",
            Err("invalid selector `=payments`: empty key in `=payments`"),
        ),
        ("a=1,,b=2", Err("invalid selector `a=1,,b=2`: empty term")),
    ];
    for (input, expected) in parse_cases {
        let expected = expected.map(|pairs| {
            Selector(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        });
        assert_eq!(
            input.parse::<Selector>(),
            expected.map_err(str::to_string),
            "{input:?}"
        );
    }

    let labels = BTreeMap::from([
        ("team".to_string(), "payments".to_string()),
        ("tier".to_string(), "gold".to_string()),
    ]);
    let match_cases = [
        ("", true),
        ("team=payments", true),
        ("team=payments,tier=gold", true),
        ("team=payments,tier=silver", false),
        ("team=growth", false),
        ("region=eu", false),
    ];
    for (selector, expected) in match_cases {
        let selector: Selector = selector.parse().expect("valid selector");
        assert_eq!(selector.matches(&labels), expected, "{selector}");
        assert_eq!(selector.is_empty(), selector.0.is_empty());
    }
}

#[test]
fn desired_select_filters_by_labels() {
    let text = format!(
        "{}---\n{}",
        edit(5, 5, "  labels: {team: payments}"),
        manifest("other", 1)
    );
    let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
    let desired = Desired {
        resources: resources.into_iter().map(|r| (r.key.clone(), r)).collect(),
        by_version: Vec::new(),
        digest: "d".into(),
        files: 1,
    };
    let selected = desired.select(&"team=payments".parse().expect("selector"));
    let names: Vec<_> = selected
        .resources
        .values()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, vec!["shop-2597"]);
    assert_eq!((selected.digest.as_str(), selected.files), ("d", 1));
    assert_eq!(desired.select(&Selector::default()), desired);
}

#[test]
fn key_display_parse_and_serde_round_trip() {
    let key = Key::new("T04257DS9431720WTAG", 2597);
    assert_eq!(key.to_string(), "T04257DS9431720WTAG/2597");
    assert_eq!("T04257DS9431720WTAG/2597".parse::<Key>(), Ok(key.clone()));
    assert_eq!(
        "org/team/42".parse::<Key>(),
        Ok(Key::new("org/team", 42)),
        "split at the last slash"
    );
    for bad in ["nope", "/1", "P/", "P/x", "P/99999999999999999999"] {
        assert!(bad.parse::<Key>().is_err(), "{bad}");
    }

    assert_eq!(
        serde_json::to_string(&key).expect("serialize"),
        "\"T04257DS9431720WTAG/2597\""
    );
    let map = BTreeMap::from([(key.clone(), 1), (Key::new("A", 1), 2)]);
    let json = serde_json::to_string(&map).expect("map keys");
    assert_eq!(json, r#"{"A/1":2,"T04257DS9431720WTAG/2597":1}"#);
    let back: BTreeMap<Key, i32> = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, map);
    assert!(serde_json::from_str::<Key>("\"no-slash\"").is_err());

    assert!(Key::new("A", 9) < Key::new("B", 1));
    assert!(Key::new("A", 2) < Key::new("A", 10));
}

#[test]
fn approval_spellings() {
    assert_eq!(Approval::Submitted.to_string(), "submitted");
    assert_eq!(Approval::Cancelled.to_string(), "cancelled");
    assert_eq!(
        serde_json::to_string(&Approval::Cancelled).expect("serialize"),
        "\"cancelled\""
    );
    assert_eq!("submitted".parse(), Ok(Approval::Submitted));
    assert!("Submitted".parse::<Approval>().is_err());
}
