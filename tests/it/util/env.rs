//! The end-to-end scenario ([`Env`]): a simulator on port 0 plus a temporary directory that is
//! the working directory of every command.

use std::path::{Path, PathBuf};

use mnpsync::record::{JournalLine, State, read_journal};
use mnpsync::sim::{Call, Fixture, Sim, SimConfig, SimHandle, spawn};
use mnpsync::tcmpp::Client;

use super::process::{Run, against_sim, git, mnpsync, run, signing_as};
use super::sim::{client_for, seen};

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

    /// `mnpsync ARGS` in [`Env::path`], with a clean environment (see [`mnpsync`]) pointed at
    /// the simulator, and no credentials.
    pub fn bare_command(&self, args: &[&str]) -> tokio::process::Command {
        killed_on_drop(self.std_command(args))
    }

    /// [`Env::bare_command`] with the simulator's credentials in the environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = self.std_command(args);
        signing_as(&mut command, self.sim().config());
        killed_on_drop(command)
    }

    /// The command behind [`Env::bare_command`].
    fn std_command(&self, args: &[&str]) -> std::process::Command {
        let mut command = mnpsync(args);
        command.current_dir(self.path());
        against_sim(&mut command, &self.sim.url, &self.state_dir, &self.home())
            // git must not find a repository above the temporary directory (the commit would
            // then depend on where the tests run).
            .env("GIT_CEILING_DIRECTORIES", self.path().parent().unwrap());
        command
    }

    /// Runs `mnpsync ARGS` (see [`Env::command`]) to completion.
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
        let mut all = vec![
            "-c",
            "user.name=e2e",
            "-c",
            "user.email=e2e@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ];
        all.extend_from_slice(args);
        git(
            self.path(),
            &self.home(),
            self.path().parent().unwrap(),
            &all,
        )
    }
}

/// A child that a failing test leaves behind is killed.
fn killed_on_drop(command: std::process::Command) -> tokio::process::Command {
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);
    command
}
