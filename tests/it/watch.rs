//! End-to-end tests of `mnpsync watch`: the real binary against the simulator (in-process, port
//! 0), temporary directories, a 1 s interval and a 50 ms debounce. Every wait polls a condition
//! with a deadline; nothing sleeps a fixed time to synchronise.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use mnpsync::record::{Event, Lock, read_journal};
use mnpsync::sim::{Sim, SimConfig, SimHandle, spawn};
use mnpsync::tcmpp::model::ApplyAction;
use tokio_util::sync::CancellationToken;

use crate::util::{
    against_sim, apply_action, client_for, console, eventually, manifest_doc, mnpsync, signing_as,
    version,
};

const PLATFORM: &str = "TWATCH0000000000001";

/// A simulator and the directories of one scenario.
struct Setup {
    sim: SimHandle,
    dir: tempfile::TempDir,
    /// The endpoint the child uses; the simulator's unless a test points it elsewhere.
    endpoint: String,
}

impl Setup {
    async fn new(config: SimConfig) -> Setup {
        let sim = spawn(config).await.expect("simulator starts");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["manifests", "home", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let endpoint = sim.url.clone();
        Setup { sim, dir, endpoint }
    }

    fn manifests(&self) -> PathBuf {
        self.dir.path().join("manifests")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn sim(&self) -> &Sim {
        &self.sim.sim
    }

    /// `mnpsync ARGS` with the simulator's credentials and nothing from the real environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = mnpsync(args);
        command.current_dir(self.dir.path());
        against_sim(
            &mut command,
            &self.endpoint,
            &self.state(),
            &self.dir.path().join("home"),
        );
        signing_as(&mut command, self.sim().config());
        command
    }

    /// Starts `mnpsync watch manifests …` and waits for its health address.
    async fn watch(&self, extra: &[&str]) -> Watch {
        self.watch_path(&self.manifests(), extra).await
    }

    /// Starts `mnpsync watch PATH …` and waits for its health address.
    async fn watch_path(&self, path: &Path, extra: &[&str]) -> Watch {
        let mut args = vec![
            "watch",
            path.to_str().unwrap(),
            "--interval",
            "1s",
            "--debounce",
            "50ms",
            "--health-addr",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let mut child = self
            .command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mnpsync starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let mut watch = Watch {
            pid: child.id(),
            child: Some(child),
            stderr,
            health: String::new(),
        };
        watch
            .until("the health address is announced", || {
                let found = watch
                    .stderr()
                    .lines()
                    .any(|l| l.contains("health on http://"));
                async move { found }
            })
            .await;
        // The log event `health on http://ADDR addr=ADDR`.
        let line = watch
            .stderr()
            .lines()
            .find(|l| l.contains("health on http://"))
            .unwrap()
            .to_string();
        watch.health = line
            .split("health on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap()
            .to_string();
        watch
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.manifests().join(name), text).unwrap();
    }

    /// Saves like many editors do: a temporary file renamed over the manifest.
    fn save_atomically(&self, name: &str, text: &str) {
        let tmp = self.manifests().join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.manifests().join(name)).unwrap();
    }
}

/// A running `mnpsync watch`, killed on drop (a failing test leaves no process behind).
struct Watch {
    child: Option<Child>,
    pid: u32,
    stderr: Arc<Mutex<String>>,
    /// `http://127.0.0.1:PORT`.
    health: String,
}

impl Watch {
    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// [`eventually`], showing the watch's log when it times out.
    async fn until<F, Fut>(&self, what: &str, check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        eventually(what, || self.stderr(), check).await;
    }

    /// Sends SIGTERM and waits for the exit.
    async fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {}", self.pid);
        let child = self.child.as_mut().unwrap();
        let log = &self.stderr;
        let mut exit = None;
        eventually(
            "watch exits after SIGTERM",
            || log.lock().unwrap().clone(),
            || {
                exit = child.try_wait().unwrap();
                std::future::ready(exit.is_some())
            },
        )
        .await;
        self.child = None;
        exit.unwrap()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One manifest document of [`PLATFORM`].
fn manifest(name: &str, version: i64, approval: &str) -> String {
    manifest_doc(name, PLATFORM, version, approval)
}

/// `CreateMNPApproval` calls as (version, ApplyAction, error code).
fn creates(sim: &Sim) -> Vec<(i64, String, Option<String>)> {
    sim.calls()
        .into_iter()
        .filter(|c| c.action == "CreateMNPApproval")
        .map(|c| {
            (
                version(&c).unwrap_or(-1),
                apply_action(&c).unwrap_or("").to_string(),
                c.code,
            )
        })
        .collect()
}

fn submitted(version: i64) -> (i64, String, Option<String>) {
    (version, "submit".to_string(), None)
}

fn listings(sim: &Sim) -> usize {
    sim.calls()
        .iter()
        .filter(|c| c.action == "DescribeMNPApprovalList")
        .count()
}

async fn get(url: &str) -> (u16, String) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    match client.get(url).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
        Err(e) => (0, e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn start_reconciles_and_an_atomic_save_makes_exactly_the_new_call() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-100", 100, "submitted"));
    let watch = setup.watch(&[]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 100", || {
            let done = creates(sim) == vec![submitted(100)];
            async move { done }
        })
        .await;

    setup.save_atomically("app.yaml", &manifest("app-101", 101, "submitted"));
    watch
        .until("the edit submits 101", || {
            let done = creates(sim).contains(&submitted(101));
            async move { done }
        })
        .await;
    // Two more reconciles (each lists the platform) make no further call.
    let listed = listings(sim);
    watch
        .until("two interval reconciles pass", || {
            let done = listings(sim) >= listed + 2;
            async move { done }
        })
        .await;
    assert_eq!(creates(sim), vec![submitted(100), submitted(101)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_and_metrics_answer() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-150", 150, "submitted"));
    let watch = setup.watch(&[]).await;
    let healthz = format!("{}/healthz", watch.health);
    watch
        .until("healthz says ok", || {
            let url = healthz.clone();
            async move { get(&url).await == (200, r#"{"status":"ok"}"#.to_string()) }
        })
        .await;
    let metrics_url = format!("{}/metrics", watch.health);
    watch
        .until("the submit is counted", || {
            let url = metrics_url.clone();
            async move {
                get(&url)
                    .await
                    .1
                    .contains(r#"mnpsync_actions_total{action="submit",outcome="submitted"} 1"#)
            }
        })
        .await;
    let (status, text) = get(&metrics_url).await;
    assert_eq!(status, 200);
    for name in [
        r#"mnpsync_reconciles_total{result="success"}"#,
        r#"mnpsync_api_requests_total{action="CreateMNPApproval",code="ok"} 1"#,
        r#"mnpsync_api_requests_total{action="DescribeMNPApprovalList",code="ok"}"#,
        r#"mnpsync_api_request_duration_seconds_bucket{le="0.005",action="CreateMNPApproval"}"#,
        "mnpsync_manifests_valid 1",
        r#"mnpsync_versions{status="processing"} 1"#,
        "mnpsync_oldest_processing_approval_age_seconds ",
        "mnpsync_last_success_timestamp_seconds ",
        "mnpsync_consecutive_failures 0",
    ] {
        assert!(text.contains(name), "metrics lack {name:?}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_probe_of_the_kubernetes_example_is_served_and_liveness_survives_a_broken_set() {
    let deployment = crate::util::repo_file("examples/kubernetes/deployment.yaml");
    let paths: Vec<&str> = deployment
        .lines()
        .filter_map(|l| l.trim().strip_prefix("path: "))
        .filter(|p| p.starts_with('/') && *p != "/")
        .collect();
    // The startup, readiness and liveness probes (git-sync's own `/` is filtered out).
    assert_eq!(paths, vec!["/livez", "/readyz", "/livez"], "{deployment}");
    for path in &paths {
        assert!(
            mnpsync::watch::PROBES.contains(path),
            "{path} is not served"
        );
    }
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-160", 160, "submitted"));
    let watch = setup.watch(&[]).await;
    let readyz = format!("{}/readyz", watch.health);
    watch
        .until("readyz says ok after the first reconcile", || {
            let url = readyz.clone();
            async move { get(&url).await == (200, r#"{"status":"ok"}"#.to_string()) }
        })
        .await;
    for path in mnpsync::watch::PROBES {
        assert_eq!(
            get(&format!("{}{path}", watch.health)).await.0,
            200,
            "{path}"
        );
    }
    // A broken set: /healthz says so, but the pod stays alive and ready.
    setup.write("app.yaml", &manifest("app-161", 161, "maybe"));
    let healthz = format!("{}/healthz", watch.health);
    watch
        .until("healthz reports the broken set", || {
            let url = healthz.clone();
            async move { get(&url).await.0 == 503 }
        })
        .await;
    assert_eq!(get(&format!("{}/livez", watch.health)).await.0, 200);
    assert_eq!(get(&readyz).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_manifest_makes_no_call_and_fixing_it_resumes() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-200", 200, "submitted"));
    let watch = setup.watch(&[]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 200", || {
            let done = creates(sim) == vec![submitted(200)];
            async move { done }
        })
        .await;

    // A new version, but with an invalid value: nothing of it may reach the API.
    setup.write("app.yaml", &manifest("app-201", 201, "maybe"));
    let healthz = format!("{}/healthz", watch.health);
    watch
        .until("healthz reports the broken set", || {
            let url = healthz.clone();
            async move {
                get(&url).await
                    == (
                        503,
                        r#"{"status":"unhealthy","reason":"manifests invalid: 1 error"}"#
                            .to_string(),
                    )
            }
        })
        .await;
    // The health state may change before the log line has been read from the child's stderr.
    watch
        .until("the error is logged with its location", || {
            let done = watch
                .stderr()
                .contains("app.yaml:8:13: invalid value for `spec.approval`");
            async move { done }
        })
        .await;
    // An interval reconcile of the last valid set passes; still no new call.
    let listed = listings(sim);
    watch
        .until("an interval reconcile passes", || {
            let done = listings(sim) > listed;
            async move { done }
        })
        .await;
    assert_eq!(creates(sim), vec![submitted(200)]);

    setup.write("app.yaml", &manifest("app-201", 201, "submitted"));
    watch
        .until("the fixed set submits 201", || {
            let done = creates(sim) == vec![submitted(200), submitted(201)];
            async move { done }
        })
        .await;
    watch
        .until("healthz recovers", || {
            let url = healthz.clone();
            async move { get(&url).await.0 == 200 }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn starting_with_a_broken_set_makes_no_call_until_it_is_fixed() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-300", 300, "maybe"));
    let watch = setup.watch(&[]).await;
    let sim = setup.sim();
    let healthz = format!("{}/healthz", watch.health);
    watch
        .until("healthz reports the broken set", || {
            let url = healthz.clone();
            async move { get(&url).await.0 == 503 }
        })
        .await;
    // The start and at least one interval reload found it broken.
    watch
        .until("an interval reload passes", || {
            let done = watch.stderr().matches("no valid set yet").count() >= 2;
            async move { done }
        })
        .await;
    assert!(
        sim.calls().is_empty(),
        "calls on a broken set: {:?}",
        sim.calls()
    );

    setup.write("app.yaml", &manifest("app-300", 300, "submitted"));
    watch
        .until("the fixed set submits 300", || {
            let done = creates(sim) == vec![submitted(300)];
            async move { done }
        })
        .await;
    watch
        .until("healthz recovers", || {
            let url = healthz.clone();
            async move { get(&url).await.0 == 200 }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_resync_sees_a_rejected_version_resubmitted_in_the_console() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-410", 410, "submitted"));
    setup.write("other.yaml", &manifest("app-411", 411, "submitted"));
    let watch = setup.watch(&["--full-resync", "3s"]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits both", || {
            let done = creates(sim).len() == 2;
            async move { done }
        })
        .await;
    // The reviewer rejects both; the team declares 410 cancelled; a person resubmits it.
    sim.process_version(PLATFORM, 410, false).unwrap();
    sim.process_version(PLATFORM, 411, false).unwrap();
    let listed = listings(sim);
    watch
        .until("an interval reconcile sees the rejections", || {
            let done = listings(sim) > listed;
            async move { done }
        })
        .await;
    setup.write("app.yaml", &manifest("app-410", 410, "cancelled"));
    let client = client_for(&setup.sim.url, sim.config());
    console(&client, PLATFORM, ApplyAction::Submit, 410).await;
    // Every version is final per the records, so interval reconciles skip the platform; the
    // manifest edit or the full resync lists it, and the declared cancel is made.
    watch
        .until("the resubmitted 410 is cancelled", || {
            let done = creates(sim).contains(&(410, "cancel".to_string(), None));
            async move { done }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_resync_lists_platforms_whose_versions_are_all_final() {
    // 420 was rejected before mnpsync started and is declared cancelled: nothing to do, and the
    // records call it final, so interval reconciles do not list its platform.
    let fixture = format!(
        "platforms:\n  - id: {PLATFORM}\n    approvals:\n      - {{version: 420, status: rejected}}\n"
    );
    let setup = Setup::new(SimConfig {
        fixture: Some(mnpsync::sim::Fixture::from_yaml(&fixture).unwrap()),
        ..SimConfig::default()
    })
    .await;
    setup.write("app.yaml", &manifest("app-420", 420, "cancelled"));
    let watch = setup.watch(&["--full-resync", "2s"]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile lists the platform", || {
            let done = listings(sim) >= 1;
            async move { done }
        })
        .await;
    // A person resubmits 420 in the console; no manifest changes.
    let client = client_for(&setup.sim.url, sim.config());
    console(&client, PLATFORM, ApplyAction::Submit, 420).await;
    watch
        .until("a full resync lists the platform and cancels 420", || {
            let done = creates(sim).contains(&(420, "cancel".to_string(), None));
            async move { done }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_is_logged_once_and_counted_as_attention() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-430", 430, "submitted"));
    let watch = setup.watch(&["--full-resync", "1s"]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 430", || {
            let done = creates(sim) == vec![submitted(430)];
            async move { done }
        })
        .await;
    sim.process_version(PLATFORM, 430, false).unwrap();
    let line = format!("attention: {PLATFORM}/430 app-430: rejected by ");
    watch
        .until("the rejection is logged", || {
            let done = watch.stderr().contains(&line);
            async move { done }
        })
        .await;
    // Three more reconciles list the platform (full resyncs): the item is not logged again.
    let listed = listings(sim);
    watch
        .until("three more reconciles pass", || {
            let done = listings(sim) >= listed + 3;
            async move { done }
        })
        .await;
    assert_eq!(
        watch.stderr().matches(&line).count(),
        1,
        "{}",
        watch.stderr()
    );
    let (_, metrics) = get(&format!("{}/metrics", watch.health)).await;
    assert!(metrics.contains("mnpsync_attention_items 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_corrected_on_the_next_interval() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-400", 400, "submitted"));
    let watch = setup.watch(&[]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 400", || {
            let done = creates(sim) == vec![submitted(400)];
            async move { done }
        })
        .await;

    // Someone cancels the approval on the platform, behind mnpsync's back.
    let client = client_for(&setup.sim.url, sim.config());
    console(&client, PLATFORM, ApplyAction::Cancel, 400).await;

    watch
        .until("an interval reconcile submits 400 again", || {
            let done = creates(sim)
                .iter()
                .filter(|c| **c == submitted(400))
                .count()
                == 2;
            async move { done }
        })
        .await;
    assert_eq!(
        creates(sim),
        vec![
            submitted(400),
            (400, "cancel".to_string(), None),
            submitted(400)
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_calls_in_flight_finish_and_exits_0_with_an_intact_journal() {
    let setup = Setup::new(SimConfig {
        latency_ms: Some((300, 300)),
        ..SimConfig::default()
    })
    .await;
    for version in 500..508 {
        setup.write(
            &format!("app-{version}.yaml"),
            &manifest(&format!("app-{version}"), version, "submitted"),
        );
    }
    // Default concurrency: every action is started at once and waits in the client's rate
    // limiter (50 ms apart); those not yet sent when the signal arrives must never be sent.
    let mut watch = setup.watch(&[]).await;
    let sim = setup.sim();
    // The simulator records a call on arrival, before its latency: this call is in flight.
    watch
        .until("a submit is in flight", || {
            let done = !creates(sim).is_empty();
            async move { done }
        })
        .await;
    let status = watch.terminate().await;
    assert!(
        status.success(),
        "exit {status:?}; stderr:\n{}",
        watch.stderr()
    );

    let (lines, skipped) = read_journal(&setup.state()).unwrap();
    assert_eq!(skipped, 0, "every journal line parses");
    let intents: Vec<_> = lines.iter().filter(|l| l.event == Event::Intent).collect();
    let outcomes: Vec<_> = lines.iter().filter(|l| l.event == Event::Outcome).collect();
    assert!(!intents.is_empty());
    for intent in &intents {
        assert!(
            outcomes
                .iter()
                .any(|o| o.run_id == intent.run_id && o.key == intent.key),
            "the call in flight for {} finished and was recorded",
            intent.key
        );
    }
    // Every call the simulator received is recorded as sent; the actions withdrawn at the signal
    // are recorded with no attempt, and none of them reached the simulator.
    let sent = outcomes.iter().filter(|o| o.attempts > 0).count();
    assert_eq!(sent, creates(sim).len());
    assert!(sent < 8, "shutdown stopped new calls ({sent} of 8 sent)");
    Lock::acquire(&setup.state()).expect("the lock is released");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_concurrent_apply_on_the_same_state_directory_is_refused() {
    let setup = Setup::new(SimConfig::default()).await;
    setup.write("app.yaml", &manifest("app-600", 600, "submitted"));
    let watch = setup.watch(&[]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 600", || {
            let done = creates(sim) == vec![submitted(600)];
            async move { done }
        })
        .await;
    let manifests = setup.manifests();
    let output = setup
        .command(&["apply", manifests.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains(&format!("is locked by pid {}", watch.pid)),
        "stderr:\n{stderr}"
    );
    assert_eq!(creates(sim), vec![submitted(600)]);
}

/// git-sync publishes each revision as a new worktree and swaps a symlink to it atomically, then
/// deletes the old worktree: the watch must follow the link and keep watching the new target.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_symlink_swapped_like_git_sync_does_is_followed() {
    let setup = Setup::new(SimConfig::default()).await;
    let git = setup.dir.path().join("git");
    for (worktree, version) in [("a", 700), ("b", 701)] {
        let dir = git.join(".worktrees").join(worktree).join("manifests");
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("app-{version}");
        std::fs::write(dir.join("app.yaml"), manifest(&name, version, "submitted")).unwrap();
    }
    std::os::unix::fs::symlink(".worktrees/a", git.join("repo")).unwrap();
    let watch = setup.watch_path(&git.join("repo/manifests"), &[]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 700", || {
            let done = creates(sim) == vec![submitted(700)];
            async move { done }
        })
        .await;

    std::os::unix::fs::symlink(".worktrees/b", git.join("repo.tmp")).unwrap();
    std::fs::rename(git.join("repo.tmp"), git.join("repo")).unwrap();
    std::fs::remove_dir_all(git.join(".worktrees/a")).unwrap();
    watch
        .until("the new revision submits 701", || {
            let done = creates(sim) == vec![submitted(700), submitted(701)];
            async move { done }
        })
        .await;

    // The watch moved to the new worktree: a change there is seen too.
    let file = git.join(".worktrees/b/manifests/app.yaml");
    std::fs::write(&file, manifest("app-702", 702, "submitted")).unwrap();
    watch
        .until("an edit in the new worktree submits 702", || {
            let done = creates(sim).contains(&submitted(702));
            async move { done }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_outage_is_reported_and_recovered_from() {
    let mut setup = Setup::new(SimConfig::default()).await;
    // A loopback port where nothing listens yet: the API is down.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    setup.endpoint = format!("http://{addr}");
    setup.write("app.yaml", &manifest("app-800", 800, "submitted"));
    let watch = setup.watch(&[]).await;
    let metrics_url = format!("{}/metrics", watch.health);
    watch
        .until("a failed reconcile is counted", || {
            let url = metrics_url.clone();
            async move {
                get(&url)
                    .await
                    .1
                    .contains(r#"mnpsync_reconciles_total{result="error"}"#)
            }
        })
        .await;
    let (status, body) = get(&format!("{}/healthz", watch.health)).await;
    assert_eq!(status, 503);
    assert!(
        body.contains("no reconcile finished yet; last error: refresh failed"),
        "{body}"
    );
    assert!(get(&metrics_url).await.1.contains(
        r#"mnpsync_api_requests_total{action="DescribeMNPApprovalList",code="ConnectionError"}"#
    ));

    // The API comes back on the same address; the backoff retries find it.
    let config = SimConfig::default();
    let sim = Sim::new(config);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let stop = CancellationToken::new();
    let server = tokio::spawn(sim.clone().serve(listener, stop.clone().cancelled_owned()));
    watch
        .until("the recovered API gets the submit", || {
            let done = creates(&sim) == vec![submitted(800)];
            async move { done }
        })
        .await;
    let healthz = format!("{}/healthz", watch.health);
    watch
        .until("healthz recovers", || {
            let url = healthz.clone();
            async move { get(&url).await.0 == 200 }
        })
        .await;
    assert!(
        get(&metrics_url)
            .await
            .1
            .contains("mnpsync_consecutive_failures 0")
    );
    stop.cancel();
    let _ = server.await;
}

/// A version declared `release: online` is submitted at start; once the reviewer approves, a
/// later interval releases it, and nothing more is done after that.
#[tokio::test(flavor = "multi_thread")]
async fn an_approval_is_followed_by_the_release_on_a_later_interval() {
    let fixture = mnpsync::sim::Fixture::from_yaml(&format!(
        "platforms:\n  - id: {PLATFORM}\n    mini_programs:\n      - id: mnp-shop\n        released: [101]\n        versions:\n          - {{id: 101, version: \"1.0.0\"}}\n          - {{id: 102, version: \"1.1.0\"}}\n    approvals:\n      - {{version: 101, status: approved}}\n"
    ))
    .unwrap();
    let setup = Setup::new(SimConfig {
        fixture: Some(fixture),
        ..SimConfig::default()
    })
    .await;
    setup.write(
        "shop.yaml",
        &format!(
            "apiVersion: mnpsync/v1\nkind: MNPApproval\nmetadata:\n  name: shop-1-1\nspec:\n  platformId: {PLATFORM}\n  mnpId: mnp-shop\n  version: \"1.1.0\"\n  approval: submitted\n  release: online\n"
        ),
    );
    let watch = setup.watch(&[]).await;
    let sim = setup.sim();
    watch
        .until("the start reconcile submits 1.1.0 (102)", || {
            let done = creates(sim).contains(&submitted(102));
            async move { done }
        })
        .await;
    let releases = |sim: &Sim| {
        sim.calls()
            .into_iter()
            .filter(|c| c.action == "ReleaseMNPVersion")
            .map(|c| (version(&c).unwrap_or(-1), c.code))
            .collect::<Vec<_>>()
    };
    assert_eq!(releases(sim), []);
    sim.process_version(PLATFORM, 102, true).unwrap();
    watch
        .until("an interval reconcile releases 102", || {
            let done = releases(sim) == [(102, None)];
            async move { done }
        })
        .await;
    // The records know 102 is online: later intervals make no other write (and, every
    // version being final, list nothing until the full resync).
    let runs = |w: &Watch| w.stderr().matches("Apply: ").count();
    let before = runs(&watch);
    watch
        .until("another interval reconcile", || {
            let done = runs(&watch) > before;
            async move { done }
        })
        .await;
    assert_eq!(releases(sim), [(102, None)]);
    assert_eq!(creates(sim), [submitted(102)]);
    let (_, metrics) = get(&format!("{}/metrics", watch.health)).await;
    assert!(
        metrics.contains(r#"mnpsync_actions_total{action="release",outcome="released"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("mnpsync_approval_to_release_seconds_count 1"),
        "{metrics}"
    );
}
