//! The `mnpsync` binary: a thin clap front end over the library (see `src/cli/`).

mod cli;

// Manifest loading allocates many small strings; mimalloc cuts a large plan's time noticeably
// (see examples/bench_plan.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
