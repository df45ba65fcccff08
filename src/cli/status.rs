//! `mnpsync status`.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use mnpsync::record::recover;
use mnpsync::report;

use super::{Global, OutputFormat};

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

pub fn exec(global: &Global, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let (state, _) = recover(&global.state_dir).context("reading the state directory")?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&state)?),
        OutputFormat::Text => print!("{}", report::status_text(&state)),
    }
    Ok(ExitCode::SUCCESS)
}
