//! Tests of the manifest module, by concern; the helpers here are shared by all of them.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

mod files;
mod fuzz;
mod hostile;
mod limits;
mod links;
mod release;
mod resolve;
mod schema;
mod types;

/// The manifest from the format description; tests edit single lines of it.
const VALID: &str = "\
apiVersion: mnpsync/v1
kind: MNPApproval
metadata:
  name: shop-2597
  labels: {team: payments}
spec:
  platformId: T04257DS9431720WTAG
  mnpVersionId: 2597
  approval: submitted
  region: ap-guangzhou
";

/// `VALID` with lines `from..=to` (1-based) replaced by `with` (empty `with` deletes them).
fn edit(from: usize, to: usize, with: &str) -> String {
    let mut out = String::new();
    for (i, line) in VALID.lines().enumerate() {
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

/// An 8-line block-style manifest; `approval` is on line 8, column 13.
fn manifest(name: &str, version: i64) -> String {
    format!(
        "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\nspec:\n  \
         platformId: T04257DS9431720WTAG\n  mnpVersionId: {version}\n  approval: submitted\n"
    )
}

fn errors(text: &str) -> Vec<String> {
    match parse_str(Path::new("m.yaml"), text) {
        Ok(resources) => panic!("expected errors, got {resources:?}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn load_errors(paths: &[PathBuf]) -> Vec<String> {
    match load(paths) {
        Ok(desired) => panic!("expected errors, got {desired:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

fn load_errors_with(paths: &[PathBuf], options: &LoadOptions) -> Vec<String> {
    match load_with(paths, options) {
        Ok(desired) => panic!("expected errors, got {desired:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// Options that follow links out of the root.
fn following() -> LoadOptions {
    LoadOptions {
        follow_symlinks: true,
        ..LoadOptions::default()
    }
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create dir");
    }
    fs::write(&path, contents).expect("write file");
    path
}
