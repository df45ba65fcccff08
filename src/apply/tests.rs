//! The executor's unit tests: every error class maps to one outcome, and the futures are
//! `Send`.

use super::*;

fn assert_send<T: Send>(_: &T) {}

fn failure(code: &str, action: Action) -> CallError {
    let error = crate::tcmpp::ApiError::Service {
        code: code.into(),
        message: "server says".into(),
        request_id: "req".into(),
    };
    CallError {
        class: crate::tcmpp::classify(&error, Some(action)),
        error,
        attempts: 1,
    }
}

#[test]
fn every_class_maps_to_one_outcome() {
    use Action::{Cancel, Submit};
    let at = "manifests/shop.yaml:7";
    assert_eq!(outcome_of(Submit, None, at), (Outcome::Submitted, None));
    assert_eq!(outcome_of(Cancel, None, at), (Outcome::Cancelled, None));
    let rows = [
        (
            "FailedOperation.ExistMNPApprovalRecord",
            Submit,
            Outcome::AlreadyInPlace,
            "already in place",
        ),
        (
            "InvalidParameterValue.MNPApprovalStatusError",
            Cancel,
            Outcome::AlreadyCancelled,
            "nothing pending",
        ),
        (
            "FailedOperation.PackageAlreadyExpired",
            Submit,
            Outcome::Blocked,
            "package has expired",
        ),
        (
            "InvalidParameterValue.MNPVersionIsNotPlatformPhase",
            Submit,
            Outcome::Blocked,
            "not in the platform phase",
        ),
        (
            "InvalidParameterValue.InvalidPlatformId",
            Submit,
            Outcome::Failed,
            "check the manifest at manifests/shop.yaml:7",
        ),
        (
            "AuthFailure.SignatureFailure",
            Submit,
            Outcome::Failed,
            "authentication failed: server says",
        ),
        (
            "InternalError",
            Submit,
            Outcome::Failed,
            "gave up after 1 attempts",
        ),
        ("FailedOperation", Cancel, Outcome::Failed, "server says"),
    ];
    for (code, action, outcome, words) in rows {
        let (got, message) = outcome_of(action, Some(&failure(code, action)), at);
        assert_eq!(got, outcome, "{code}");
        let message = message.unwrap_or_default();
        assert!(message.contains(words), "{code}: {message}");
    }
}

/// `watch` and library users spawn applies on a multi-threaded runtime.
#[test]
fn apply_future_is_send() {
    let config = crate::tcmpp::ClientConfig::new(
        crate::tcmpp::Endpoint::parse("http://127.0.0.1:1").unwrap(),
    );
    let client = Client::new(crate::tcmpp::Credentials::new("a", "b", "test"), config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let records = Records::open(dir.path()).unwrap();
    let plan = crate::plan::plan(
        &crate::manifest::Desired::default(),
        &BTreeMap::new(),
        &[],
        &crate::plan::PlanOptions::default(),
        false,
        None,
    );
    let run = RunInfo::new(None);
    let shutdown = CancellationToken::new();
    let on_result = |_: &ActionResult| {};
    let options = ApplyOptions::default();
    let future = apply(
        &client, &plan, &records, &run, &options, &shutdown, &on_result,
    );
    assert_send(&future);
    let keys = BTreeMap::new();
    let refresh = crate::reconcile::refresh(&client, &keys);
    assert_send(&refresh);
}
