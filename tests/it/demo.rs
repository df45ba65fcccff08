//! `mnpsync demo`: the newcomer's tour, run as the built binary, offline, against its own
//! in-process simulator. Each step is asserted by the lines that prove it happened: the cancel
//! before the submit, the version string resolved, the reviewer's approval, the release, the
//! rollback held without `--allow-rollback` and run with it, a last plan without changes, and
//! the journal.

use std::collections::BTreeMap;

use mnpsync::action::Action;
use mnpsync::record::{Event, JournalLine, Outcome};

use crate::util::{self, Env, repo_file};

/// The demo's output by step: the step number → its heading line and the lines under it.
fn steps(stdout: &str) -> BTreeMap<u32, String> {
    stdout
        .split("\n━━ ")
        .skip(1)
        .filter_map(|chunk| {
            let (n, _) = chunk.split_once(". ")?;
            Some((n.parse().ok()?, chunk.to_string()))
        })
        .collect()
}

/// `text` with every run of whitespace made one space (tables pad their columns).
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `text` has a line that reads `expected`, padding aside.
fn has_line(text: &str, expected: &str) -> bool {
    let expected = squeezed(expected);
    text.lines().any(|l| squeezed(l) == expected)
}

#[track_caller]
fn assert_lines(step: &str, expected: &[&str]) {
    for line in expected {
        assert!(has_line(step, line), "missing {line:?} in\n{step}");
    }
}

/// The lines of a step that start with `prefix` (padding aside), e.g. the result lines.
fn lines_starting(step: &str, prefix: &str) -> Vec<String> {
    step.lines()
        .map(squeezed)
        .filter(|l| l.starts_with(prefix))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_the_whole_flow_offline() {
    // No `manifests/` in the working directory: the demo uses its built-in examples.
    let env = Env::new().await;
    let run = util::run(env.bare_command(&["demo"])).await;
    run.assert_code(0);
    let steps = steps(&run.stdout);
    let headings: Vec<&str> = steps
        .values()
        .map(|s| s.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(
        headings,
        [
            "1. validate the built-in example manifests",
            "2. plan (refreshed from the simulator)",
            "3. apply",
            "4. a reviewer approves 1.4.2 (2597) of mnp-shop (ProcessMNPApproval on the simulator)",
            "5. apply again: 1.4.2 is approved, so this run releases it",
            "6. roll back: the manifest declares 1.3.0, released before, online again",
            "7. apply --allow-rollback: the rollback runs",
            "8. plan again: nothing left to do",
            "9. the journal (.mnpsync/journal.jsonl in a real run): 16 line(s), one JSON object each",
        ],
        "{run:?}"
    );

    // 1–3: validate; the version string resolves; the cancel runs before the submits.
    assert_lines(
        &steps[&1],
        &["4 manifest(s) valid in 3 file(s); the demo works on a temporary copy"],
    );
    assert_lines(
        &steps[&2],
        &[
            "- cancel T04257DS9431720WTAG/2590 shop-2590 processing → cancelled (approval request pending)",
            "+ submit T04257DS9431720WTAG/2597 shop-release none → submitted (no approval request yet; released in a later run, once approved)",
            "Plan: 3 to submit, 1 to cancel, 0 unchanged.",
            "shop-release declares version \"1.4.2\" of mnp-shop: resolved to MNPVersionId 2597 (DescribeMNPAllStageVersions)",
        ],
    );
    let results = lines_starting(&steps[&3], "cancelled ")
        .into_iter()
        .chain(lines_starting(&steps[&3], "submitted "))
        .map(|l| {
            l.split(" RequestId ")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect::<Vec<_>>();
    assert_eq!(
        results.len(),
        4,
        "one line per action, nothing else\n{run:?}"
    );
    assert!(results.contains(&"cancelled T04257DS9431720WTAG/2590 shop-2590 (cancel)".into()));
    assert!(results.contains(&"submitted T04257DS9431720WTAG/2597 shop-release (submit)".into()));
    assert_eq!(
        squeezed(steps[&3].lines().nth(1).unwrap_or_default())
            .split(" RequestId ")
            .next(),
        Some("cancelled T04257DS9431720WTAG/2590 shop-2590 (cancel)"),
        "the cancel runs first\n{run:?}"
    );
    assert_lines(&steps[&3], &["Apply: 3 submitted, 1 cancelled."]);

    // 4: the reviewer approves 2597.
    assert_eq!(
        lines_starting(&steps[&4], "approved MNPA").len(),
        1,
        "{run:?}"
    );

    // 5: the next run releases it, and the records show it online.
    assert_lines(
        &steps[&5],
        &[
            "~ release T04257DS9431720WTAG/2597 shop-release approved → online (approved; newer than the online version 2571)",
            "Plan: 0 to submit, 0 to cancel, 1 to release, 3 unchanged.",
            "Apply: 1 released.",
            "Online now (as `mnpsync status` shows it):",
            "T04257DS9431720WTAG/mnp-shop 2597 (1.4.2)",
        ],
    );
    assert_eq!(
        lines_starting(&steps[&5], "released ")
            .iter()
            .map(|l| l.split(" RequestId ").next().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["released T04257DS9431720WTAG/2597 shop-release (release)"]
    );
    // The reviewer's approval and the release were announced in one message; its first event,
    // as the in-process receiver got it, is printed as JSON.
    assert_lines(
        &steps[&5],
        &[
            "Notified (2 event(s), one message; `--notify URL` sends it to a webhook, WeCom, Feishu, DingTalk or Slack). The first event, as an in-process receiver got it:",
        ],
    );
    let json = &steps[&5][steps[&5].find("\n{").expect("the event's JSON") + 1..];
    let json = &json[..=json.find("\n}").expect("the end of the JSON") + 1];
    let event: serde_json::Value = serde_json::from_str(json).expect("the event parses");
    assert_eq!(event["kind"], "approved");
    assert_eq!(event["key"], "T04257DS9431720WTAG/2597");
    assert_eq!(event["version"], "1.4.2");
    assert_eq!(event["reviewer"]["note"], "looks good");

    // 6: the manifest (the demo's copy) declares 1.3.0: shown, held, nothing rolled back.
    assert_lines(
        &steps[&6],
        &[
            "Edited the demo's copy of shop/versions.yaml, line 26:",
            "- version: \"1.4.2\"",
            "+ version: \"1.3.0\"",
            "< rollback T04257DS9431720WTAG/2571 shop-release approved → online (older than the online version 2597 and released before: a rollback, which needs --allow-rollback)",
            "Plan: 0 to submit, 0 to cancel, 1 to roll back, 3 unchanged, 1 need --allow-rollback.",
            "shop-release declares version \"1.3.0\" of mnp-shop: resolved to MNPVersionId 2571 (DescribeMNPAllStageVersions)",
            "< held T04257DS9431720WTAG/2571 shop-release (rollback) (a rollback needs a decision: run again with --allow-rollback, or declare a newer version)",
            "Apply: no changes. 1 rollback(s) not run: they need --allow-rollback.",
        ],
    );
    assert!(
        lines_starting(&steps[&6], "rolled_back").is_empty(),
        "{run:?}"
    );

    // 7: with --allow-rollback it runs; 1.3.0 is online again.
    assert_lines(
        &steps[&7],
        &[
            "< rollback T04257DS9431720WTAG/2571 shop-release approved → online (older than the online version 2597 and released before: rolling back)",
            "Apply: 1 rolled_back.",
            "T04257DS9431720WTAG/mnp-shop 2571 (1.3.0)",
        ],
    );
    assert_eq!(
        lines_starting(&steps[&7], "rolled_back ")
            .iter()
            .map(|l| l.split(" RequestId ").next().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["rolled_back T04257DS9431720WTAG/2571 shop-release (rollback)"]
    );

    // 8: nothing left to do.
    assert_lines(
        &steps[&8],
        &["No changes. 4 version(s) match their manifests."],
    );

    // 9: the journal, one row per line, ending with the release and the rollback; the last
    // line in full.
    let rows: Vec<String> = steps[&9]
        .lines()
        .skip(1)
        .map(squeezed)
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 16, "{run:?}");
    assert_eq!(
        rows[11..],
        [
            "12 intent T04257DS9431720WTAG/2597 shop-release release",
            "13 outcome T04257DS9431720WTAG/2597 shop-release release released",
            "14 announced T04257DS9431720WTAG/2597 shop-release submit",
            "15 intent T04257DS9431720WTAG/2571 shop-release rollback",
            "16 outcome T04257DS9431720WTAG/2571 shop-release rollback rolled_back",
        ]
    );
    let outcomes: Vec<&str> = rows
        .iter()
        .filter(|r| r.split(' ').nth(1) == Some("outcome"))
        .filter_map(|r| r.split(' ').nth(5))
        .collect();
    assert_eq!(
        outcomes,
        [
            "cancelled",
            "submitted",
            "submitted",
            "submitted",
            "released",
            "rolled_back"
        ]
    );
    let last: JournalLine = steps[&9]
        .lines()
        .find(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a journal line"))
        .expect("the last line in full");
    assert_eq!(
        (
            last.seq,
            last.event,
            last.key.to_string(),
            last.action,
            last.outcome
        ),
        (
            16,
            Event::Outcome,
            "T04257DS9431720WTAG/2571".to_string(),
            Action::Rollback,
            Some(Outcome::RolledBack)
        )
    );
    assert_eq!(env.calls().len(), 0, "the demo runs its own simulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_rolls_back_in_its_own_copy_never_in_the_users_manifests() {
    // `manifests/` in the working directory: the demo reads it, and edits only its copy.
    let env = Env::new().await;
    let shop = repo_file("manifests/shop/versions.yaml");
    env.manifest("shop/versions.yaml", &shop);
    env.manifest("payments.yaml", &repo_file("manifests/payments.yaml"));
    env.manifest("travel.yaml", &repo_file("manifests/travel.yaml"));
    let run = util::run(env.bare_command(&["demo"])).await;
    run.assert_code(0);
    assert!(
        run.stdout.contains("\n━━ 1. validate manifests\n"),
        "{run:?}"
    );
    assert!(has_line(&run.stdout, "Apply: 1 rolled_back."), "{run:?}");
    let after = std::fs::read_to_string(env.path().join("manifests/shop/versions.yaml")).unwrap();
    assert_eq!(after, shop, "the user's manifest is unchanged");
    assert!(after.contains("  version: \"1.4.2\"\n"));
}
