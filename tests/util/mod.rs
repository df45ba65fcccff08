//! Helpers shared by the end-to-end tests: a simulator on port 0 plus a temporary directory per
//! scenario ([`Env`]), running the built `mnpsync` binary with a clean environment ([`Run`]),
//! manifest builders, a readable view of the calls the simulator received, and polling with a
//! deadline instead of fixed sleeps.
//!
//! Nothing here asserts a scenario's expectations; the test files do.

// Each test binary that declares `mod util;` uses a different subset of these helpers.
#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use mnpsync::record::{JournalLine, State, read_journal};
use mnpsync::sim::{Call, Fixture, Sim, SimConfig, SimHandle, spawn};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};

/// The platform the scenarios use (the example manifests' platform).
pub const PLATFORM: &str = "T04257DS9431720WTAG";
/// How long [`eventually`] waits before failing.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// How often [`eventually`] checks.
pub const POLL: Duration = Duration::from_millis(20);

/// One scenario: a simulator and a temporary directory that is the working directory of every
/// command (`manifests/` inside it is the default manifest path; `home/` is `HOME`).
pub struct Env {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    pub state_dir: PathBuf,
}

impl Env {
    /// A simulator with the default configuration (any platform, no approvals).
    pub async fn new() -> Env {
        Env::with_config(SimConfig::default()).await
    }

    /// A simulator started from a fixture (YAML text, see `mnpsync::sim::Fixture`).
    pub async fn with_fixture(yaml: &str) -> Env {
        let fixture = Fixture::from_yaml(yaml).expect("the test fixture is valid");
        Env::with_config(SimConfig {
            fixture: Some(fixture),
            ..SimConfig::default()
        })
        .await
    }

    pub async fn with_config(config: SimConfig) -> Env {
        let sim = spawn(config).await.expect("the simulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        // `manifests/` is created by the first `manifest` call: `demo` behaves differently when
        // it exists.
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        let state_dir = dir.path().join("state");
        Env {
            sim,
            dir,
            state_dir,
        }
    }

    /// The working directory of every command.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `manifests/`, the default manifest path of the commands.
    pub fn manifests_dir(&self) -> PathBuf {
        self.path().join("manifests")
    }

    /// `HOME` of the commands: empty, so no real credentials profile is found.
    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    pub fn sim(&self) -> &Sim {
        &self.sim.sim
    }

    /// Writes `manifests/<name>` (parents created) and returns its path.
    pub fn manifest(&self, name: &str, yaml: &str) -> PathBuf {
        let path = self.manifests_dir().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, yaml).unwrap();
        path
    }

    /// Deletes `manifests/<name>`.
    pub fn remove_manifest(&self, name: &str) {
        std::fs::remove_file(self.manifests_dir().join(name)).unwrap();
    }

    /// `mnpsync ARGS` in [`Env::path`] with nothing inherited that could change its behaviour
    /// (every `TENCENTCLOUD_*` and `MNPSYNC_*` variable, `RUST_LOG`, git's repository variables),
    /// `HOME` pointing at an empty directory, and no credentials. `PATH` stays (for `git`).
    pub fn bare_command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_mnpsync"));
        command
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("TENCENTCLOUD_") || text.starts_with("MNPSYNC_") {
                command.env_remove(&name);
            }
        }
        for name in ["RUST_LOG", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] {
            command.env_remove(name);
        }
        // git must not find a repository above the temporary directory (the commit would then
        // depend on where the tests run).
        command
            .env("GIT_CEILING_DIRECTORIES", self.path().parent().unwrap())
            .env("HOME", self.home())
            .env("MNPSYNC_ENDPOINT", &self.sim.url)
            .env("MNPSYNC_STATE_DIR", &self.state_dir);
        command
    }

    /// [`Env::bare_command`] with the simulator's credentials in the environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let config = self.sim().config();
        let mut command = self.bare_command(args);
        command
            .env("TENCENTCLOUD_SECRET_ID", &config.secret_id)
            .env("TENCENTCLOUD_SECRET_KEY", &config.secret_key);
        command
    }

    /// Runs `mnpsync ARGS` (see [`Env::command`]) to completion. The child runs as a separate
    /// process while this task awaits it, so the in-process simulator keeps serving.
    pub async fn run(&self, args: &[&str]) -> Run {
        run(self.command(args)).await
    }

    /// The journal's complete lines.
    pub fn journal(&self) -> Vec<JournalLine> {
        self.journal_and_skipped().0
    }

    /// The journal's complete lines and the number of torn or garbled lines skipped.
    pub fn journal_and_skipped(&self) -> (Vec<JournalLine>, usize) {
        read_journal(&self.state_dir).expect("the journal reads")
    }

    /// `state.json` (empty when absent).
    pub fn state(&self) -> State {
        State::load(&self.state_dir).expect("the state file reads")
    }

    /// Every call the simulator received, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.sim().calls()
    }

    /// The calls as readable one-liners (see [`seen`]).
    pub fn seen(&self) -> Vec<String> {
        self.calls().iter().map(seen).collect()
    }

    pub fn clear_calls(&self) {
        self.sim().clear_calls();
    }

    /// A client signing with the simulator's credentials, for acting behind mnpsync's back.
    pub fn client(&self) -> Client {
        client_for(&self.sim.url, self.sim().config())
    }

    /// Runs `git ARGS` in [`Env::path`] (for scenarios that need a commit).
    pub fn git(&self, args: &[&str]) -> String {
        let output = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=e2e",
                "-c",
                "user.email=e2e@example.invalid",
            ])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.home())
            .env("GIT_CEILING_DIRECTORIES", self.path().parent().unwrap())
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }
}

/// A client for a simulator at `url` with its credentials.
pub fn client_for(url: &str, config: &SimConfig) -> Client {
    let credentials = Credentials::new(config.secret_id.clone(), config.secret_key.clone(), "test");
    Client::new(
        credentials,
        ClientConfig::new(Endpoint::parse(url).unwrap()),
    )
    .unwrap()
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
        assert_eq!(self.code(), Some(code), "unexpected exit status:\n{self:?}");
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

/// Runs a prepared command to completion, capturing both streams.
pub async fn run(mut command: tokio::process::Command) -> Run {
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("mnpsync runs");
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// One `mnpsync/v1` manifest document.
pub fn manifest_doc(name: &str, platform: &str, version: i64, approval: &str) -> String {
    format!(
        "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: {name}\nspec:\n  platformId: {platform}\n  mnpVersionId: {version}\n  approval: {approval}\n"
    )
}

/// Several documents in one file, separated by `---`.
pub fn manifest_docs(docs: &[(&str, &str, i64, &str)]) -> String {
    docs.iter()
        .map(|(name, platform, version, approval)| manifest_doc(name, platform, *version, approval))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// A call as one line: `CreateMNPApproval submit PLATFORM/VERSION`, or
/// `DescribeMNPApprovalList PLATFORM` (with ` status=[1]` when filtered), then
/// ` -> CODE` when the simulator answered with an error.
pub fn seen(call: &Call) -> String {
    let p = &call.params;
    let platform = p["PlatformId"].as_str().unwrap_or("?");
    let mut line = match call.action.as_str() {
        "CreateMNPApproval" => format!(
            "CreateMNPApproval {} {platform}/{}",
            p["ApplyAction"].as_str().unwrap_or("?"),
            p["MNPVersionId"]
        ),
        "DescribeMNPApprovalList" => {
            let mut line = format!("DescribeMNPApprovalList {platform}");
            if let Some(statuses) = p.get("ApprovalStatusList").filter(|s| !s.is_null()) {
                line.push_str(&format!(" status={statuses}"));
            }
            line
        }
        other => format!("{other} {p}"),
    };
    if let Some(code) = &call.code {
        line.push_str(&format!(" -> {code}"));
    }
    line
}

/// The line [`seen`] gives for a successful `CreateMNPApproval`.
pub fn create(action: &str, platform: &str, version: i64) -> String {
    format!("CreateMNPApproval {action} {platform}/{version}")
}

/// The line [`seen`] gives for a `CreateMNPApproval` answered with `code`.
pub fn create_failed(action: &str, platform: &str, version: i64, code: &str) -> String {
    format!("{} -> {code}", create(action, platform, version))
}

/// The line [`seen`] gives for an unfiltered `DescribeMNPApprovalList` (the refresh).
pub fn describe(platform: &str) -> String {
    format!("DescribeMNPApprovalList {platform}")
}

/// The line [`seen`] gives for a listing of processing approvals only.
pub fn describe_processing(platform: &str) -> String {
    format!("DescribeMNPApprovalList {platform} status=[1]")
}

/// Polls `check` every [`POLL`] until it holds; panics after [`DEADLINE`] naming `what` and
/// showing `context()`.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool, context: impl Fn() -> String) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting until {what}\n{}",
            context()
        );
        tokio::time::sleep(POLL).await;
    }
}
