//! The toolbox of the integration tests: child processes with a clean environment and their
//! results ([`process`]), manifest text ([`manifest`]), clients of the simulator and readable
//! views of the calls it received ([`sim`]), the end-to-end scenario ([`env`]), and polling
//! with a deadline instead of fixed sleeps ([`eventually`]).
//!
//! Nothing here asserts a scenario's expectations; the test files do.

pub mod env;
pub mod manifest;
pub mod process;
pub mod sim;

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

pub use env::Env;
pub use manifest::{labelled_manifest_doc, manifest_doc, manifest_docs};
pub use process::{Run, against_sim, git, mnpsync, run, signing_as};
pub use sim::{
    apply_action, client_for, console, create, create_failed, describe, sim_credentials, version,
};

/// The platform of the simulator and end-to-end scenarios (the example manifests' platform).
pub const PLATFORM: &str = "T04257DS9431720WTAG";
/// How long [`eventually`] waits, and how long one command may run, before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// How often [`eventually`] checks.
pub const POLL: Duration = Duration::from_millis(20);

/// Polls `check` every [`POLL`] until it holds; panics after [`DEADLINE`] naming `what` and
/// showing `context()` (a log, say).
pub async fn eventually<F, Fut>(what: &str, context: impl Fn() -> String, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting until {what}\n{}",
            context()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// A file of this repository (`examples/…`, `tests/fixtures/…`) as text.
pub fn repo_file(path: impl AsRef<Path>) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
