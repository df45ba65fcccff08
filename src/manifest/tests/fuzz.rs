//! Arbitrary strings in every field of an otherwise valid manifest: no panic, nothing unsafe
//! in what is accepted or in what is reported.

use proptest::prelude::*;

use super::*;
use crate::text::is_unsafe;

/// Strings that stress the rules: anything, unsafe characters, YAML-significant characters,
/// huge lengths, and words YAML reads as other types.
fn arb_field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a-z0-9 ]{0,12}",
        2 => "[-:?,\\[\\]{}&*!|>'\"#%@` \\n\\tab0-9.~\\\\]{0,16}",
        1 => (1usize..70_000, "[a-z\\u{e9}\\u{1b}]").prop_map(|(n, c)| c.repeat(n)),
        1 => prop::sample::select(vec![
            "", "~", "null", "true", "012", "-1", "0x1F", "1e3", "2597", "'2597'", "\"2597\"",
            "submitted", "ap-guangzhou", "mnpsync/v1", "MNPApproval", "&a x", "*a", "!t x",
            "[1, 2]", "{a: b}", "|\n    x", "\"\\e[31m\"", "\"\\u202Eevil\"", "\"a\\nb\"",
        ])
        .prop_map(str::to_string),
    ]
}

/// How a string is written into the manifest: as it is (it may break the YAML around it), or
/// double-quoted with escapes (so control characters reach the value).
pub(super) fn arb_written() -> impl Strategy<Value = String> {
    (arb_field(), any::<bool>()).prop_map(|(s, raw)| if raw { s } else { yaml_string(&s) })
}

fn manifest_with(fields: &[String; 9]) -> String {
    let [
        api,
        kind,
        name,
        key,
        value,
        platform,
        version,
        approval,
        region,
    ] = fields;
    format!(
        "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  labels:\n    {key}: \
         {value}\nspec:\n  platformId: {platform}\n  mnpVersionId: {version}\n  approval: \
         {approval}\n  region: {region}\n"
    )
}

fn is_clean(s: &str) -> bool {
    !s.chars().any(is_unsafe)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_field_values_never_yield_unsafe_text(
        which in 0..9usize,
        written in arb_written(),
        also in proptest::option::of((0..9usize, arb_written())),
    ) {
        let mut fields = [
            "mnpsync/v1", "MNPApproval", "shop-2597", "team", "payments", "T04257DS9431720WTAG",
            "2597", "submitted", "ap-guangzhou",
        ]
        .map(str::to_string);
        fields[which] = written;
        if let Some((other, written)) = also {
            fields[other] = written;
        }
        let text = manifest_with(&fields);
        match parse_str(Path::new("fuzz.yaml"), &text) {
            Ok(resources) => {
                for r in resources {
                    prop_assert!(is_clean(&r.name) && r.name.chars().count() <= MAX_NAME_CHARS);
                    prop_assert!(
                        is_clean(&r.key.platform_id)
                            && r.key.platform_id.chars().count() <= MAX_PLATFORM_ID_CHARS
                    );
                    let region = r.region.as_deref().unwrap_or_default();
                    prop_assert!(is_clean(region) && region.chars().count() <= MAX_REGION_CHARS);
                    for (k, v) in &r.labels {
                        prop_assert!(is_clean(k) && k.chars().count() <= MAX_LABEL_KEY_CHARS);
                        prop_assert!(is_clean(v) && v.chars().count() <= MAX_LABEL_VALUE_CHARS);
                    }
                    prop_assert!(is_clean(&r.source.to_string()));
                }
            }
            Err(errors) => {
                for e in errors {
                    let shown = e.to_string();
                    prop_assert!(is_clean(&shown), "{:?}", shown);
                    // A message quotes at most a clipped token, never a whole huge value.
                    prop_assert!(shown.chars().count() < 600, "{} characters", shown.len());
                }
            }
        }
    }
}
