//! Manifest text: `mnpsync/v1` documents, with or without labels, one or several to a file.

/// One `mnpsync/v1` manifest document.
pub fn manifest_doc(name: &str, platform: &str, version: i64, approval: &str) -> String {
    labelled_manifest_doc(name, &[], platform, version, approval)
}

/// One `mnpsync/v1` manifest document with `metadata.labels` (a flow mapping on one line).
pub fn labelled_manifest_doc(
    name: &str,
    labels: &[(&str, &str)],
    platform: &str,
    version: i64,
    approval: &str,
) -> String {
    let labels = if labels.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("  labels: {{{}}}\n", pairs.join(", "))
    };
    format!(
        "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\n{labels}spec:\n  platformId: {platform}\n  mnpVersionId: {version}\n  approval: {approval}\n"
    )
}

/// Several documents in one file, separated by `---`.
pub fn manifest_docs(docs: &[(&str, &str, i64, &str)]) -> String {
    docs.iter()
        .map(|(name, platform, version, approval)| manifest_doc(name, platform, *version, approval))
        .collect::<Vec<_>>()
        .join("---\n")
}
