//! Notifications from `apply`: a reviewer's decision is announced once (with the reviewer's
//! words) and never again after a restart, the baseline of a fresh state directory is silent,
//! what the run does is announced, and a sink that never answers does not hold the run up
//! beyond `--notify-deadline`.

use mnpsync::record::Event;
use serde_json::Value;

use crate::notify::receiver;
use crate::util::{Env, run};

const PLATFORM: &str = "TPLATFORM1";

const FIXTURE: &str = r#"
platforms:
  - id: TPLATFORM1
    approvals:
      - {version: 101, status: approved}
"#;

/// The `(kind, key)` of every event of every message a receiver got, per message.
fn messages(got: &crate::notify::Received) -> Vec<Vec<(String, String)>> {
    got.lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            let body: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(body["schema"], "mnpsync.notification/v1");
            body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["kind"].as_str().unwrap().to_string(),
                        e["key"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_announced_once_and_the_baseline_is_silent() {
    let env = Env::with_fixture(FIXTURE).await;
    let (addr, got) = receiver("").await;
    let sink = format!("http://{addr}/hooks/release-team");
    env.manifest(
        "apps.yaml",
        &crate::util::manifest_docs(&[
            ("app-101", PLATFORM, 101, "submitted"),
            ("app-102", PLATFORM, 102, "submitted"),
        ]),
    );
    let apply = |env: &Env| {
        let mut command = env.command(&["apply"]);
        command.env("MNPSYNC_NOTIFY", &sink);
        run(command)
    };
    // A fresh state directory: 101 was approved before mnpsync knew it (silent); the submit of
    // 102 is this run's doing.
    apply(&env).await.assert_code(0);
    let key = |v: i64| format!("{PLATFORM}/{v}");
    assert_eq!(messages(&got), [vec![("submitted".to_string(), key(102))]]);
    // The reviewer approves 102: the next run announces it, with the reviewer.
    let approval = env.sim().process_version(PLATFORM, 102, true).unwrap();
    apply(&env).await.assert_code(0);
    let all = messages(&got);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[1], [("approved".to_string(), key(102))]);
    let body: Value = serde_json::from_slice(&got.lock().unwrap()[1].1).unwrap();
    assert_eq!(
        body["events"][0]["reviewer"]["approval_no"],
        approval.as_str()
    );
    // A new process (a restart) with nothing new to say sends nothing.
    apply(&env).await.assert_code(0);
    assert_eq!(messages(&got).len(), 2);
    // The journal says what was announced, and that the baseline was.
    let announced: Vec<(String, String)> = env
        .journal()
        .into_iter()
        .filter(|l| l.event == Event::Announced)
        .map(|l| (l.key.to_string(), l.message.unwrap_or_default()))
        .collect();
    assert_eq!(announced.len(), 2, "{announced:?}");
    assert_eq!(announced[0].0, key(101));
    assert!(announced[0].1.starts_with("approved:"), "{announced:?}");
    assert_eq!(announced[1], (key(102), format!("approved:{approval}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_that_never_answers_does_not_hold_up_apply() {
    let env = Env::new().await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    env.manifest(
        "apps.yaml",
        &crate::util::manifest_doc("app-7", PLATFORM, 7, "submitted"),
    );
    let mut command = env.command(&["apply", "--notify-deadline", "1s"]);
    command.env("MNPSYNC_NOTIFY", format!("http://{addr}/hooks/x"));
    let applied = run(command).await;
    applied.assert_code(0);
    assert!(
        applied
            .stderr
            .contains("1 notification(s) not delivered within --notify-deadline 1s"),
        "{}",
        applied.all_output()
    );
    // The submit was made and recorded whatever the sink did.
    assert_eq!(
        env.seen(),
        [
            format!("DescribeMNPApprovalList {PLATFORM}"),
            format!("CreateMNPApproval submit {PLATFORM}/7")
        ]
    );
    held.abort();
}
