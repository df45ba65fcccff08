//! Child processes: `mnpsync` and `git` with nothing inherited that could change their
//! behaviour, pointed at a simulator, and a finished command's status and output ([`Run`]).

use std::ffi::OsStr;
use std::fmt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use mnpsync::sim::SimConfig;
use serde_json::Value;

use super::DEADLINE;

/// `PROGRAM` without any inherited variable that could change what mnpsync or git does: every
/// `TENCENTCLOUD_*`, `MNPSYNC_*` and `GIT_*` variable, and `RUST_LOG`. `PATH` stays (for `git`).
pub fn scrubbed(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if ["TENCENTCLOUD_", "MNPSYNC_", "GIT_"]
            .iter()
            .any(|prefix| text.starts_with(prefix))
            || text == "RUST_LOG"
        {
            command.env_remove(&name);
        }
    }
    command
}

/// The built `mnpsync ARGS`, [`scrubbed`], with no input.
pub fn mnpsync(args: &[&str]) -> Command {
    let mut command = scrubbed(env!("CARGO_BIN_EXE_mnpsync"));
    command.args(args).stdin(Stdio::null());
    command
}

/// Points a command at a simulator: its endpoint, a state directory and `HOME` (an empty
/// directory, so no real credentials profile is found).
pub fn against_sim<'a>(
    command: &'a mut Command,
    endpoint: &str,
    state_dir: &Path,
    home: &Path,
) -> &'a mut Command {
    command
        .env("MNPSYNC_ENDPOINT", endpoint)
        .env("MNPSYNC_STATE_DIR", state_dir)
        .env("HOME", home)
}

/// Gives a command the simulator's credentials in the environment.
pub fn signing_as<'a>(command: &'a mut Command, config: &SimConfig) -> &'a mut Command {
    command
        .env("TENCENTCLOUD_SECRET_ID", &config.secret_id)
        .env("TENCENTCLOUD_SECRET_KEY", &config.secret_key)
}

/// `git ARGS` in `dir` ([`scrubbed`], no system configuration, `HOME` at `home`, repository
/// discovery stopping at `ceiling`); panics unless it succeeds, returns stdout, trimmed.
pub fn git(dir: &Path, home: &Path, ceiling: &Path, args: &[&str]) -> String {
    let output = scrubbed("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", ceiling)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// A finished command: exit status and output. `Debug` shows everything, for assert messages.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics, showing the output, unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        self.expect(code, "mnpsync")
    }

    /// Panics, naming `what` and showing the output, unless the exit code is `code`.
    #[track_caller]
    pub fn expect(&self, code: i32, what: &str) -> &Run {
        assert_eq!(
            self.code(),
            Some(code),
            "{what}: unexpected exit status\n{self:?}"
        );
        self
    }

    /// Both streams, for "never appears anywhere" checks.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The stdout lines.
    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Stdout as JSON; panics, showing the output, when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:?}"))
    }
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs a prepared command to completion, capturing both streams. The child runs as a separate
/// process while this task awaits it, so an in-process simulator keeps serving; one that does
/// not finish within [`DEADLINE`] is killed and fails the test.
pub async fn run(command: impl Into<tokio::process::Command>) -> Run {
    let mut command = command.into();
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Program and arguments only: the environment may hold credentials.
    let std = command.as_std();
    let shown = format!(
        "{:?} {:?}",
        std.get_program(),
        std.get_args().collect::<Vec<_>>()
    );
    let output = tokio::time::timeout(DEADLINE, command.output())
        .await
        .unwrap_or_else(|_| panic!("{shown} did not finish in {DEADLINE:?}"))
        .expect("mnpsync runs");
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
