//! The loader and untrusted trees: links out of the root, file sizes, skipped entries, unsafe
//! file names, and YAML errors that must not quote the file.

use super::*;
use crate::text::is_unsafe;

fn outside(link: &Path, root: &Path) -> String {
    let resolved = fs::canonicalize(root).expect("canonical root");
    format!(
        "{}:1:1: symbolic link leads outside the manifest root `{}`; it is not followed \
         (links must stay inside the root they are found under)",
        link.display(),
        resolved.display()
    )
}

#[cfg(unix)]
#[test]
fn links_out_of_the_root_are_refused_without_reading_them() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("m");
    write(&root, "a.yaml", manifest("a", 1));
    // A secret outside the tree, and a directory of manifests outside it.
    write(dir.path(), "etc/shadow", "root:*:19000:0:99999:7:::\n");
    write(dir.path(), "shared/b.yaml", manifest("b", 2));
    symlink(dir.path().join("etc/shadow"), root.join("shadow.yaml")).expect("link");
    symlink(dir.path().join("shared"), root.join("shared")).expect("link");
    symlink(dir.path(), root.join("up")).expect("link");
    // Links inside the root may point anywhere inside it (here into hidden directories, which
    // the walk itself skips), relative or absolute.
    write(&root, ".store/c.yaml", manifest("c", 3));
    write(&root, ".dir/d.yaml", manifest("d", 4));
    symlink(".store/c.yaml", root.join("c.yaml")).expect("link");
    symlink(root.join(".dir"), root.join("d")).expect("link");
    // Links out of the tree that would not be read anyway are irrelevant.
    symlink(dir.path().join("etc/shadow"), root.join("notes")).expect("link");

    let reported = load_errors(std::slice::from_ref(&root));
    assert_eq!(
        reported,
        vec![
            outside(&root.join("shadow.yaml"), &root),
            outside(&root.join("shared"), &root),
            outside(&root.join("up"), &root),
        ]
    );
    assert!(!reported.concat().contains("root:*"));

    // Without the outside links, the inside ones are followed.
    for link in ["shadow.yaml", "shared", "up"] {
        fs::remove_file(root.join(link)).expect("unlink");
    }
    let desired = load(std::slice::from_ref(&root)).expect("valid");
    let names: Vec<_> = desired
        .resources
        .values()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, vec!["a", "c", "d"]);
    assert_eq!(desired.files, 3);

    // The allowance follows them.
    symlink(dir.path().join("shared"), root.join("shared")).expect("link");
    let desired = load_with(std::slice::from_ref(&root), &following()).expect("valid");
    assert_eq!(desired.files, 4);
}

#[cfg(unix)]
#[test]
fn a_root_link_is_resolved_at_every_load() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "rev1/a.yaml", manifest("one", 1));
    write(dir.path(), "rev2/.shared/b.yaml", manifest("two", 2));
    // Inside rev2 only: refused if the root were still resolved to rev1.
    symlink(dir.path().join("rev2/.shared"), dir.path().join("rev2/b")).expect("link");
    let current = dir.path().join("current");
    symlink(dir.path().join("rev1"), &current).expect("link");
    let names = |desired: Desired| -> Vec<String> {
        desired.resources.values().map(|r| r.name.clone()).collect()
    };
    let paths = std::slice::from_ref(&current);
    assert_eq!(names(load(paths).expect("rev1")), vec!["one"]);
    // Swapped the way git-sync does: a new link renamed over the old one.
    symlink(dir.path().join("rev2"), dir.path().join("next")).expect("link");
    fs::rename(dir.path().join("next"), &current).expect("swap");
    assert_eq!(names(load(paths).expect("rev2")), vec!["two"]);
}

#[test]
fn files_over_the_size_limit_are_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = write(dir.path(), "a.yaml", manifest("a", 1));
    let size = fs::metadata(&small).expect("metadata").len();
    let options = LoadOptions {
        max_file_bytes: size - 1,
        ..LoadOptions::default()
    };
    assert_eq!(
        load_errors_with(std::slice::from_ref(&small), &options),
        vec![format!(
            "{}:1:1: file is {size} bytes, more than the limit of {} bytes for one manifest \
             (raise it with --max-manifest-bytes)",
            small.display(),
            size - 1
        )]
    );
    let exact = LoadOptions {
        max_file_bytes: size,
        ..LoadOptions::default()
    };
    assert!(load_with(std::slice::from_ref(&small), &exact).is_ok());

    // The default is 4 MiB; a larger file is refused however it is reached.
    assert_eq!(LoadOptions::default().max_file_bytes, 4 * 1024 * 1024);
    let big = write(
        dir.path(),
        "sub/big.yaml",
        format!("{}#{}\n", manifest("big", 2), "x".repeat(4 << 20)),
    );
    let big_size = fs::metadata(&big).expect("metadata").len();
    assert_eq!(
        load_errors(&[dir.path().to_path_buf()]),
        vec![format!(
            "{}:1:1: file is {big_size} bytes, more than the limit of 4194304 bytes for one \
             manifest (raise it with --max-manifest-bytes)",
            big.display()
        )]
    );
}

#[cfg(unix)]
#[test]
fn special_files_and_upper_case_names_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", manifest("a", 1));
    write(dir.path(), "B.YAML", "not: [read");
    write(dir.path(), "sub/c.Yml", "not: [read");
    write(dir.path(), "notes.txt", "not read, no warning");
    let fifo = dir.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let _socket =
        std::os::unix::net::UnixListener::bind(dir.path().join("agent.sock")).expect("socket");
    // Hidden entries are skipped silently, as before.
    write(dir.path(), ".git/X.YAML", "not: [read");

    let loaded =
        load_with_warnings(&[dir.path().to_path_buf()], &LoadOptions::default()).expect("valid");
    assert_eq!(loaded.desired.files, 1);
    let shown = |name: &str| dir.path().join(name).display().to_string();
    assert_eq!(
        loaded.warnings,
        vec![
            format!(
                "{}: skipped: only names ending in lower-case `.yaml` or `.yml` are read \
                 (rename the file to read it)",
                shown("B.YAML")
            ),
            format!(
                "{}: skipped: a socket is not a manifest file",
                shown("agent.sock")
            ),
            format!(
                "{}: skipped: a FIFO is not a manifest file",
                shown("pipe.yaml")
            ),
            format!(
                "{}: skipped: only names ending in lower-case `.yaml` or `.yml` are read \
                 (rename the file to read it)",
                shown("sub/c.Yml")
            ),
        ]
    );
    // `load` still succeeds (the warnings are logged).
    assert_eq!(load(&[dir.path().to_path_buf()]).expect("valid").files, 1);
}

#[cfg(unix)]
#[test]
fn file_names_with_unsafe_characters_are_refused_and_shown_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a\u{1b}[31m.yaml", manifest("a", 1));
    write(dir.path(), "b\n+ submit X.yaml", manifest("b", 2));
    let reported = load_errors(&[dir.path().to_path_buf()]);
    let base = dir.path().display();
    assert_eq!(
        reported,
        vec![
            format!(
                "{base}/a\\u{{1b}}[31m.yaml:1:1: file not read: its path contains the \
                 character `\\u{{1b}}`, which cannot be shown safely in reports; rename it"
            ),
            format!(
                "{base}/b\\n+ submit X.yaml:1:1: file not read: its path contains the \
                 character `\\n`, which cannot be shown safely in reports; rename it"
            ),
        ]
    );
    assert!(!reported.concat().chars().any(is_unsafe));
}

#[test]
fn yaml_errors_quote_no_file_content() {
    let secret = "hunter2-s3cr3t-value-that-must-not-leak";
    let text = format!("token_{secret}:\n  nested: !!int {secret}\n");
    assert_eq!(
        errors(&text),
        vec!["m.yaml:2:11: invalid YAML: the value does not match its tag (expected an integer)"]
    );
    // Keys with control characters cannot reach the message either.
    let text = "\"\\e[2J\": {b: !!bool maybe}\n";
    assert_eq!(
        errors(text),
        vec!["m.yaml:1:14: invalid YAML: the value does not match its tag (expected a boolean)"]
    );
    // A file that is not YAML at all (the linked /etc/shadow case, read on purpose here)
    // gets its first key quoted at most, clipped and escaped.
    let shadow = format!("root:*:19000:0:99999:7:::{}\n", "x".repeat(500));
    let reported = errors(&shadow).concat();
    assert!(reported.chars().count() < 400, "{reported}");
}
