//! The `mnpsync` binary: a thin clap front end over the library (see `src/cli/`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
