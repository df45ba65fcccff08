//! The saved-plan format: `apply --plan` plans again from the file's recorded inputs and
//! refuses an edited file, an older format, and flags that only planning uses.

use serde_json::{Value, json};

use crate::util::{Env, PLATFORM, manifest_doc};

/// A saved plan of one submit (version 1) and one version in place (version 2).
async fn saved_plan(env: &Env) -> (String, Value) {
    env.manifest("a.yaml", &manifest_doc("app-1", PLATFORM, 1, "submitted"));
    crate::util::console(
        &env.client(),
        PLATFORM,
        mnpsync::tcmpp::model::ApplyAction::Submit,
        2,
    )
    .await;
    env.manifest("b.yaml", &manifest_doc("app-2", PLATFORM, 2, "submitted"));
    let out = env.path().join("plan.json");
    env.run(&["plan", "--out", out.to_str().unwrap()])
        .await
        .assert_code(0);
    let saved: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (out.to_str().unwrap().to_string(), saved)
}

async fn apply_edited(env: &Env, path: &str, saved: &Value) -> crate::util::Run {
    std::fs::write(path, serde_json::to_vec_pretty(saved).unwrap()).unwrap();
    env.clear_calls();
    env.run(&["apply", "--plan", path]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_plan_file_is_refused_as_tampered() {
    let env = Env::new().await;
    let (path, saved) = saved_plan(&env).await;

    // An action flipped from none to cancel.
    let mut flipped = saved.clone();
    for r in flipped["plan"]["resources"].as_array_mut().unwrap() {
        if r["mnp_version_id"] == 2 {
            r["action"] = json!("cancel");
        }
    }
    let run = apply_edited(&env, &path, &flipped).await;
    run.assert_code(1);
    assert!(env.calls().is_empty(), "no call at all: {:?}", env.seen());
    assert!(
        run.stderr.contains("the plan file is tampered with: its actions are not what its recorded manifests, options and observation give"),
        "{run:?}"
    );

    // A resource added by hand for a platform no manifest names.
    let mut added = saved.clone();
    let mut extra = added["plan"]["resources"][0].clone();
    extra["key"] = json!("TOTHER/9");
    extra["platform_id"] = json!("TOTHER");
    extra["mnp_version_id"] = json!(9);
    added["plan"]["resources"]
        .as_array_mut()
        .unwrap()
        .push(extra);
    let run = apply_edited(&env, &path, &added).await;
    run.assert_code(1);
    assert!(env.calls().is_empty(), "no call at all: {:?}", env.seen());
    assert!(run.stderr.contains("tampered"), "{run:?}");

    // The untouched file applies: the check lists the platform, then exactly the one submit.
    let run = apply_edited(&env, &path, &saved).await;
    run.assert_code(0);
    assert_eq!(
        env.seen(),
        vec![
            crate::util::describe(PLATFORM),
            crate::util::create("submit", PLATFORM, 1)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_plan_file_and_planning_flags_are_refused() {
    let env = Env::new().await;
    let (path, saved) = saved_plan(&env).await;
    // Today's plan JSON with a digest at the top: the first saved-plan format.
    let mut old = saved["plan"].clone();
    old["manifests_digest"] = saved["manifests_digest"].clone();
    let run = apply_edited(&env, &path, &old).await;
    run.assert_code(1);
    assert!(env.calls().is_empty(), "no call at all: {:?}", env.seen());
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "error: {path}: this plan file was made by an older mnpsync (format_version 1); plan again"
        )
    );

    std::fs::write(&path, serde_json::to_vec(&saved).unwrap()).unwrap();
    for flag in ["--no-refresh", "--prune", "--resubmit-rejected"] {
        let run = env.run(&["apply", "--plan", &path, flag]).await;
        assert_ne!(run.code(), Some(0), "{flag}: {run:?}");
        assert!(
            run.stderr.contains("cannot be used with"),
            "{flag}: {run:?}"
        );
    }
    assert!(env.calls().is_empty(), "{:?}", env.seen());
}
