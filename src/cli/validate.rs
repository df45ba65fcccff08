//! `mnpsync validate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Global;
use super::common::{ManifestArgs, load_manifests, paths_or_default};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files or directories (default: manifests/).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

pub fn exec(_global: &Global, args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let paths = paths_or_default(&args.paths);
    let Some(desired) = load_manifests(&paths, &args.manifest) else {
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "{} manifest(s) valid in {} file(s)",
        desired.resources.len() + desired.by_version.len(),
        desired.files
    );
    Ok(ExitCode::SUCCESS)
}
