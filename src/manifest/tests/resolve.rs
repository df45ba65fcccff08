//! Documents declared by version string: what a load gives for them, selectors over them,
//! and their resolution ([`Desired::resolve`]): identity, located errors, collisions.

use super::release::by_version;
use super::*;

/// A tree with documents of both kinds, some pinning an API.
fn release_tree(dir: &Path) -> (PathBuf, PathBuf) {
    let a = write(
        dir,
        "a.yaml",
        format!(
            "{}---\n{}",
            by_version("shop-143", "mpx7a2k9", "1.4.3", false),
            by_version("shop-142", "mpx7a2k9", "1.4.2", true),
        ),
    );
    let b = write(
        dir,
        "b.yaml",
        format!(
            "{}---\n{}  api: tcsas\n---\n{}  mnpId: mpcart\n",
            manifest("shop-2597", 2597),
            by_version("cart-9", "mpcart", "9", false).replace("T04257DS9431720WTAG", "TCART"),
            manifest("cart-8", 8).replace("T04257DS9431720WTAG", "TCART"),
        ),
    );
    (a, b)
}

#[test]
fn a_load_keeps_version_documents_apart_until_resolved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = release_tree(dir.path());
    let desired = load(&[dir.path().to_path_buf()]).expect("valid");
    assert_eq!(desired.files, 2);

    let by_id: Vec<_> = desired
        .resources
        .values()
        .map(|r| (r.key.to_string(), r.name.as_str(), r.mnp_id.as_deref()))
        .collect();
    assert_eq!(
        by_id,
        vec![
            ("T04257DS9431720WTAG/2597".into(), "shop-2597", None),
            ("TCART/8".into(), "cart-8", Some("mpcart")),
        ]
    );
    // Sorted by (platform, mnpId, version), each with the placeholder id 0 and its version's
    // location.
    let by_version: Vec<_> = desired
        .by_version
        .iter()
        .map(|r| {
            (
                r.key.to_string(),
                r.name.as_str(),
                r.version.as_deref(),
                r.version_at.as_ref().map(ToString::to_string),
                r.release,
            )
        })
        .collect();
    let (a, b) = (a.display(), b.display());
    assert_eq!(
        by_version,
        vec![
            (
                "T04257DS9431720WTAG/0".into(),
                "shop-142",
                Some("1.4.2"),
                Some(format!("{a}:18:12")),
                Some(Release::Online)
            ),
            (
                "T04257DS9431720WTAG/0".into(),
                "shop-143",
                Some("1.4.3"),
                Some(format!("{a}:8:12")),
                None
            ),
            (
                "TCART/0".into(),
                "cart-9",
                Some("9"),
                Some(format!("{b}:17:12")),
                None
            ),
        ]
    );
    // An API pinned by a version document routes its platform too.
    assert_eq!(
        desired.platform_apis(),
        BTreeMap::from([("TCART".to_string(), crate::tcmpp::Api::Tcsas)])
    );
}

#[test]
fn selectors_filter_version_documents_too() {
    let labelled = by_version("shop-142", "mpx7a2k9", "1.4.2", false).replace(
        "  name: shop-142\n",
        "  name: shop-142\n  labels: {team: payments}\n",
    );
    let text = format!(
        "{labelled}---\n{}---\n{}",
        by_version("cart-9", "mpcart", "9", false),
        edit(5, 5, "  labels: {team: payments}")
    );
    let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
    let (by_version, by_id): (Vec<_>, Vec<_>) =
        resources.into_iter().partition(|r| r.version.is_some());
    let desired = Desired {
        resources: by_id.into_iter().map(|r| (r.key.clone(), r)).collect(),
        by_version,
        digest: "d".into(),
        files: 1,
    };
    let selected = desired.select(&"team=payments".parse().expect("selector"));
    let names = |d: &Desired| -> Vec<String> {
        d.resources
            .values()
            .chain(&d.by_version)
            .map(|r| r.name.clone())
            .collect()
    };
    assert_eq!(names(&selected), ["shop-2597", "shop-142"]);
    assert_eq!((selected.digest.as_str(), selected.files), ("d", 1));
    assert_eq!(desired.select(&Selector::default()), desired);
    // What is selected resolves as the whole would.
    let (resolved, errors) = selected.resolve(|_| Ok(142));
    assert_eq!(errors, vec![]);
    assert_eq!(names(&resolved), ["shop-142", "shop-2597"]);
}

#[test]
fn resolving_gives_version_documents_their_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    release_tree(dir.path());
    let desired = load(&[dir.path().to_path_buf()]).expect("valid");
    let mut asked = Vec::new();
    let (resolved, errors) = desired.resolve(|r| {
        asked.push(format!(
            "{} {} {}",
            r.key.platform_id,
            r.mnp_id.as_deref().unwrap_or_default(),
            r.version.as_deref().unwrap_or_default()
        ));
        Ok(match r.version.as_deref() {
            Some("1.4.2") => 142,
            Some("1.4.3") => 143,
            _ => 9,
        })
    });
    assert_eq!(errors, vec![]);
    assert_eq!(
        asked,
        [
            "T04257DS9431720WTAG mpx7a2k9 1.4.2",
            "T04257DS9431720WTAG mpx7a2k9 1.4.3",
            "TCART mpcart 9"
        ]
    );
    assert_eq!(resolved.by_version, vec![]);
    assert_eq!(
        (resolved.digest.as_str(), resolved.files),
        (desired.digest.as_str(), desired.files)
    );
    let summary: Vec<_> = resolved
        .resources
        .iter()
        .map(|(k, r)| {
            assert_eq!(k, &r.key);
            (k.to_string(), r.name.as_str(), r.version.as_deref())
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("T04257DS9431720WTAG/142".into(), "shop-142", Some("1.4.2")),
            ("T04257DS9431720WTAG/143".into(), "shop-143", Some("1.4.3")),
            ("T04257DS9431720WTAG/2597".into(), "shop-2597", None),
            ("TCART/8".into(), "cart-8", None),
            ("TCART/9".into(), "cart-9", Some("9")),
        ]
    );
    // Apart from its key, a resolved resource is the one declared.
    let declared = desired.by_version.iter().find(|r| r.name == "shop-142");
    let mut expected = declared.expect("declared").clone();
    expected.key.mnp_version_id = 142;
    assert_eq!(
        resolved
            .resources
            .get(&Key::new("T04257DS9431720WTAG", 142)),
        Some(&expected)
    );
    // Nothing to resolve: the same set.
    assert_eq!(
        resolved.resolve(|_| Err("unused".into())),
        (resolved.clone(), vec![])
    );
}

#[test]
fn a_version_that_does_not_resolve_is_reported_at_its_value() {
    let text = format!(
        "{}---\n{}---\n{}",
        by_version("shop-142", "mpx7a2k9", "1.4.2", false),
        by_version("shop-143", "mpx7a2k9", "1.4.3", false),
        by_version("shop-144", "mpx7a2k9", "1.4.4", false),
    );
    let desired = Desired {
        by_version: parse_str(Path::new("m.yaml"), &text).expect("valid"),
        ..Desired::default()
    };
    let (resolved, errors) = desired.resolve(|r| match r.version.as_deref() {
        Some("1.4.2") => Err("no such version among the uploaded versions".into()),
        Some("1.4.3") => Ok(143),
        // What a lookup says is shown escaped.
        _ => Err("denied\n+ forged line \u{1b}[2J".into()),
    });
    let errors: Vec<_> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        vec![
            "m.yaml:8:12: version \"1.4.2\" of mpx7a2k9: no such version among the uploaded \
             versions",
            "m.yaml:28:12: version \"1.4.4\" of mpx7a2k9: denied\\n+ forged line \\u{1b}[2J",
        ]
    );
    // The others are kept.
    let names: Vec<_> = resolved.resources.values().map(|r| &r.name).collect();
    assert_eq!(names, ["shop-143"]);
    assert_eq!(resolved.by_version, vec![]);

    // An id that cannot be one is the lookup's failure too.
    let (resolved, errors) = desired.resolve(|_| Ok(0));
    assert_eq!(resolved.resources.len(), 0);
    assert_eq!(
        errors[0].to_string(),
        "m.yaml:8:12: version \"1.4.2\" of mpx7a2k9: resolved to `0`, which is not a valid \
         mnpVersionId"
    );
}

#[test]
fn a_resolved_version_may_not_collide_with_another() {
    let text = format!(
        "{}---\n{}---\n{}---\n{}---\n{}",
        manifest("shop-2597", 2597),
        by_version("shop-142", "mpx7a2k9", "1.4.2", false),
        by_version("shop-143", "mpx7a2k9", "1.4.3", false),
        by_version("shop-144", "mpx7a2k9", "1.4.4", false),
        by_version("shop-145", "mpx7a2k9", "1.4.5", false),
    );
    let resources = parse_str(Path::new("m.yaml"), &text).expect("valid");
    let (by_version, by_id): (Vec<_>, Vec<_>) =
        resources.into_iter().partition(|r| r.version.is_some());
    let desired = Desired {
        resources: by_id.into_iter().map(|r| (r.key.clone(), r)).collect(),
        by_version,
        ..Desired::default()
    };
    let (resolved, errors) = desired.resolve(|r| {
        Ok(match r.version.as_deref() {
            // Collides with a document declared by id.
            Some("1.4.2") => 2597,
            // Two versions resolving to one id (a lookup that is wrong, or two names of one
            // version).
            Some("1.4.3" | "1.4.4") => 144,
            _ => 145,
        })
    });
    let errors: Vec<_> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        vec![
            "m.yaml:1:1: `shop-2597` and `shop-142` (version \"1.4.2\") declare the same \
             version 2597; `shop-142` is at m.yaml:17:12",
            "m.yaml:17:12: `shop-142` (version \"1.4.2\") and `shop-2597` declare the same \
             version 2597; `shop-2597` is at m.yaml:1:1",
            "m.yaml:27:12: `shop-143` (version \"1.4.3\") and `shop-144` (version \"1.4.4\") \
             declare the same version 144; `shop-144` is at m.yaml:37:12",
            "m.yaml:37:12: `shop-144` (version \"1.4.4\") and `shop-143` (version \"1.4.3\") \
             declare the same version 144; `shop-143` is at m.yaml:27:12",
        ]
    );
    // No party to a collision is kept; the rest is.
    let names: Vec<_> = resolved.resources.values().map(|r| &r.name).collect();
    assert_eq!(names, ["shop-145"]);
}
