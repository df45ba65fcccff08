//! Loading from the file system: which files are read, errors across files, the digest.

use sha2::{Digest, Sha256};

use super::*;

#[test]
fn errors_from_several_files_are_reported_together_and_sorted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "a.yaml",
        manifest("a", 1).replace("approval: submitted", "approval: nope"),
    );
    let b = write(
        dir.path(),
        "b.yaml",
        format!("{}---\nkind: [\n", manifest("b", 2)),
    );
    let c = write(
        dir.path(),
        "sub/c.yml",
        manifest("c", 3).replace("kind: MNPApproval", "kind: Other"),
    );
    write(dir.path(), "sub/d.yaml", manifest("d", 0));
    let d = dir.path().join("sub/d.yaml");
    let missing = dir.path().join("missing.yaml");
    let errors = load_errors(&[dir.path().to_path_buf(), missing.clone()]);
    assert_eq!(
        errors,
        vec![
            format!(
                "{}:8:13: invalid value for `spec.approval`: expected `submitted` or \
                 `cancelled`, found `nope`",
                a.display()
            ),
            format!(
                "{}:11:1: invalid YAML: did not find expected node content, while parsing a \
                 flow node",
                b.display()
            ),
            format!("{}:1:1: no such file or directory", missing.display()),
            format!(
                "{}:2:7: invalid value for `kind`: expected `MNPApproval`, found `Other`",
                c.display()
            ),
            format!(
                "{}:7:17: invalid value for `spec.mnpVersionId`: expected a positive \
                 integer, found `0`",
                d.display()
            ),
        ]
    );
}

#[test]
fn duplicate_name_across_files_names_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", manifest("shop", 1));
    let b = write(dir.path(), "b.yaml", manifest("shop", 2));
    assert_eq!(
        load_errors(&[dir.path().to_path_buf()]),
        vec![format!(
            "{}:4:9: duplicate metadata.name `shop`, first defined at {}:4:9",
            b.display(),
            a.display()
        )]
    );
}

#[test]
fn duplicate_identity_across_files_names_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", manifest("first", 7));
    let b = write(
        dir.path(),
        "b.yaml",
        format!("# second\n{}", manifest("second", 7)),
    );
    assert_eq!(
        load_errors(&[dir.path().to_path_buf()]),
        vec![format!(
            "{}:7:15: duplicate resource `T04257DS9431720WTAG/7` (same platformId and \
             mnpVersionId), first declared by `first` at {}:6:15",
            b.display(),
            a.display()
        )]
    );
}

#[test]
fn duplicates_are_found_even_in_documents_with_other_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", manifest("shop", 1));
    let b = write(
        dir.path(),
        "b.yaml",
        manifest("shop", 2).replace("approval: submitted", "approval: no"),
    );
    assert_eq!(
        load_errors(&[dir.path().to_path_buf()]),
        vec![
            format!(
                "{}:4:9: duplicate metadata.name `shop`, first defined at {}:4:9",
                b.display(),
                a.display()
            ),
            format!(
                "{}:8:13: invalid value for `spec.approval`: expected `submitted` or \
                 `cancelled`, found `no`",
                b.display()
            ),
        ]
    );
}

#[test]
fn directories_without_manifests_are_valid() {
    let empty = tempfile::tempdir().expect("tempdir");
    let desired = load(&[empty.path().to_path_buf()]).expect("empty dir is valid");
    assert!(desired.resources.is_empty());
    assert_eq!(desired.files, 0);
    // SHA-256 of no input.
    assert_eq!(
        desired.digest,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(load(&[]).expect("no paths").files, 0);

    let other = tempfile::tempdir().expect("tempdir");
    write(other.path(), "README.md", "# not a manifest: [");
    write(other.path(), "notes.txt", "kind: nope");
    write(other.path(), "manifest.yaml.bak", "kind: nope");
    let desired = load(&[other.path().to_path_buf()]).expect("non-yaml ignored");
    assert_eq!((desired.resources.len(), desired.files), (0, 0));
}

#[test]
fn hidden_entries_are_skipped_and_extensions_filter_walks_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "apps/shop.yaml", manifest("shop", 1));
    write(dir.path(), "apps/pay.yml", manifest("pay", 2));
    write(dir.path(), ".git/config.yaml", "not: [valid");
    write(dir.path(), "apps/.hidden/x.yaml", "not: [valid");
    write(dir.path(), "apps/.draft.yaml", "not: [valid");
    let desired = load(&[dir.path().to_path_buf()]).expect("hidden skipped");
    let names: Vec<_> = desired
        .resources
        .values()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, vec!["shop", "pay"]);
    assert_eq!(desired.files, 2);

    // An explicitly named file is read whatever its name; a hidden root is walked.
    let explicit = write(dir.path(), "manifest.txt", manifest("txt", 3));
    let hidden_root = dir.path().join(".git");
    assert_eq!(load(&[explicit]).expect("explicit").resources.len(), 1);
    assert_eq!(load_errors(std::slice::from_ref(&hidden_root)).len(), 1);
}

#[test]
fn same_file_reached_twice_is_read_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "a.yaml", manifest("a", 1));
    let desired = load(&[dir.path().to_path_buf(), file]).expect("deduplicated");
    assert_eq!((desired.resources.len(), desired.files), (1, 1));
}

/// The paths of the loaded resources' files, relative to `root`, in key order.
fn sources(desired: &Desired, root: &Path) -> Vec<String> {
    desired
        .resources
        .values()
        .map(|r| {
            let path = r.source.path.strip_prefix(root).expect("under the root");
            path.display().to_string()
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn links_are_followed_and_link_cycles_end() {
    // Links out of the root are followed only when the loader is told to (`links.rs` tests the
    // default).
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("m");
    write(&root, "a.yaml", manifest("a", 1));
    write(dir.path(), "shared/b.yaml", manifest("b", 2));
    write(dir.path(), "c.yaml", manifest("c", 3));
    symlink(dir.path().join("shared"), root.join("shared")).expect("link");
    symlink(dir.path().join("c.yaml"), root.join("c.yaml")).expect("link");
    symlink(&root, root.join("loop")).expect("link");
    // Dangling links are irrelevant unless they are named like a manifest and not hidden.
    symlink(dir.path().join("gone"), root.join("notes")).expect("link");
    symlink(dir.path().join("gone.yaml"), root.join(".old.yaml")).expect("link");
    let desired = load_with(std::slice::from_ref(&root), &following()).expect("valid");
    assert_eq!(
        sources(&desired, &root),
        vec!["a.yaml", "shared/b.yaml", "c.yaml"]
    );
    assert_eq!(desired.files, 3);

    let dangling = root.join("d.yaml");
    symlink(dir.path().join("gone.yaml"), &dangling).expect("link");
    assert_eq!(
        load_errors_with(std::slice::from_ref(&root), &following()),
        vec![format!(
            "{}:1:1: no such file or directory",
            dangling.display()
        )]
    );
}

#[cfg(unix)]
#[test]
fn a_directory_reached_through_several_links_is_walked_once() {
    // With links out of the root allowed (see `links.rs` for the default).
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("m");
    write(&root, "a.yaml", manifest("a", 1));
    write(dir.path(), "shared/b.yaml", manifest("b", 2));
    write(dir.path(), "top.yaml", manifest("top", 3));
    symlink(dir.path().join("shared"), root.join("one")).expect("link");
    symlink(dir.path().join("shared"), root.join("two")).expect("link");
    // A link to a directory above the root is walked for what it holds besides the root (and
    // `shared`, walked already).
    symlink(dir.path(), root.join("up")).expect("link");
    let desired = load_with(std::slice::from_ref(&root), &following()).expect("valid");
    // Of two links to one directory, the first by name is the one walked.
    assert_eq!(
        sources(&desired, &root),
        vec!["a.yaml", "one/b.yaml", "up/top.yaml"]
    );
    assert_eq!(desired.files, 3);
}

#[test]
fn missing_path_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    assert_eq!(
        load_errors(std::slice::from_ref(&missing)),
        vec![format!(
            "{}:1:1: no such file or directory",
            missing.display()
        )]
    );
}

#[test]
fn non_utf8_file_is_reported_at_the_bad_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "x.yaml",
        b"apiVersion: mnpsync/v1\nkind: \xffMNP\n",
    );
    assert_eq!(
        load_errors(std::slice::from_ref(&path)),
        vec![format!(
            "{}:2:7: file is not valid UTF-8 (invalid byte at offset 29)",
            path.display()
        )]
    );
}

#[test]
fn digest_is_stable_and_tracks_every_byte_and_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "a.yaml", manifest("a", 1));
    write(dir.path(), "sub/b.yaml", manifest("b", 2));
    let paths = [dir.path().to_path_buf()];
    let first = load(&paths).expect("valid").digest;
    assert_eq!(load(&paths).expect("valid").digest, first);

    // The documented construction, recomputed independently.
    let mut hasher = Sha256::new();
    for (path, contents) in [
        ("a.yaml", manifest("a", 1)),
        ("sub/b.yaml", manifest("b", 2)),
    ] {
        hasher.update(path.as_bytes());
        hasher.update(format!("\0{}\0", contents.len()).as_bytes());
        hasher.update(contents.as_bytes());
    }
    assert_eq!(first, hex::encode(hasher.finalize()));

    // A comment changes no resource but does change the digest.
    fs::write(&a, format!("{}# note\n", manifest("a", 1))).expect("rewrite");
    let edited = load(&paths).expect("valid").digest;
    assert_ne!(edited, first);
    fs::write(&a, manifest("a", 1)).expect("restore");
    assert_eq!(load(&paths).expect("valid").digest, first);
    fs::rename(&a, dir.path().join("c.yaml")).expect("rename");
    assert_ne!(load(&paths).expect("valid").digest, first);
}

#[test]
fn digest_does_not_depend_on_how_the_root_is_spelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "m/a.yaml", manifest("a", 1));
    let plain = load(&[dir.path().join("m")]).expect("valid").digest;
    let dotted = load(&[dir.path().join("./m/")]).expect("valid").digest;
    assert_eq!(plain, dotted);
    // Another checkout of the same files has the same digest.
    let other = tempfile::tempdir().expect("tempdir");
    write(other.path(), "m/a.yaml", manifest("a", 1));
    assert_eq!(
        load(&[other.path().join("m")]).expect("valid").digest,
        plain
    );
}

#[test]
fn fixtures_load_as_documented() {
    let valid = load(&[PathBuf::from("tests/fixtures/manifests/valid")]).expect("valid");
    let summary: Vec<String> = valid
        .resources
        .values()
        .map(|r| format!("{} {} {} {}", r.key, r.name, r.approval, r.source))
        .collect();
    assert_eq!(
        summary,
        vec![
            "T04257DS9431720WTAG/2597 shop-2597 submitted \
             tests/fixtures/manifests/valid/shop.yaml:3:1",
            "T04257DS9431720WTAG/2598 shop-2598 cancelled \
             tests/fixtures/manifests/valid/team-b/multi.yml:2:1",
            "T09999XYZ/12 loyalty-12 submitted \
             tests/fixtures/manifests/valid/team-b/multi.yml:13:2",
        ]
    );
    assert_eq!(valid.files, 2);

    let invalid = load_errors(&[PathBuf::from("tests/fixtures/manifests/invalid")]);
    let typos = "tests/fixtures/manifests/invalid/typos.yaml";
    let values = "tests/fixtures/manifests/invalid/values.yaml";
    assert_eq!(
        invalid,
        vec![
            format!("{typos}:1:1: missing field `kind` at top level"),
            format!("{typos}:2:1: unknown field `knd` at top level, did you mean `kind`?"),
            format!("{typos}:5:1: missing field `approval` in spec"),
            format!("{typos}:8:3: unknown field `approvl` in spec, did you mean `approval`?"),
            format!("{values}:7:15: invalid value for `spec.platformId`: must not be empty"),
            format!(
                "{values}:8:17: invalid type for `spec.mnpVersionId`: expected a positive \
                 integer, found string \"2597\" (remove the quotes)"
            ),
            format!(
                "{values}:9:13: invalid value for `spec.approval`: expected `submitted` or \
                 `cancelled`, found `approved`"
            ),
        ]
    );
}
