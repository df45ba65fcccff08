//! `mnpsync status`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use mnpsync::record::recover;
use mnpsync::report;

use super::common::{ManifestArgs, load_manifests};
use super::{Global, OutputFormat};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Manifest files or directories: versions they no longer declare are marked (without
    /// PATHs status cannot tell).
    pub paths: Vec<PathBuf>,
    /// Output on stdout: a table (text) or the state file's contents (json).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub manifest: ManifestArgs,
}

pub fn exec(global: &Global, args: StatusArgs) -> anyhow::Result<ExitCode> {
    if !global.state_dir.is_dir() {
        eprintln!(
            "error: no state directory at {} (run apply first, or pass --state-dir)",
            mnpsync::text::clean(&global.state_dir.display().to_string())
        );
        return Ok(ExitCode::FAILURE);
    }
    let declared = if args.paths.is_empty() {
        None
    } else {
        let Some(all) = load_manifests(&args.paths, &args.manifest) else {
            return Ok(ExitCode::FAILURE);
        };
        Some(all.resources.keys().cloned().collect::<BTreeSet<_>>())
    };
    let (state, _) = recover(&global.state_dir).context("reading the state directory")?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&state)?),
        OutputFormat::Text => print!(
            "{}",
            report::status_text(
                &state,
                &global.state_dir.display().to_string(),
                declared.as_ref()
            )
        ),
    }
    Ok(ExitCode::SUCCESS)
}
