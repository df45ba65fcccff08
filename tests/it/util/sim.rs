//! The simulator's side: clients signing with its credentials, and readable views of the calls
//! it received.

use mnpsync::sim::{Call, SimConfig};
use mnpsync::tcmpp::model::{ApplyAction, CreateMnpApprovalRequest};
use mnpsync::tcmpp::{Client, ClientConfig, Credentials, Endpoint};

/// The credentials a simulator with `config` accepts.
pub fn sim_credentials(config: &SimConfig) -> Credentials {
    Credentials::new(config.secret_id.clone(), config.secret_key.clone(), "test")
}

/// A client (default configuration) for a simulator at `url` with its credentials, for acting
/// behind mnpsync's back.
pub fn client_for(url: &str, config: &SimConfig) -> Client {
    Client::new(
        sim_credentials(config),
        ClientConfig::new(Endpoint::parse(url).unwrap()),
    )
    .unwrap()
}

/// A call's `ApplyAction` parameter, when it has one.
pub fn apply_action(call: &Call) -> Option<&str> {
    call.params["ApplyAction"].as_str()
}

/// A call's `MNPVersionId` parameter, when it has one.
pub fn version(call: &Call) -> Option<i64> {
    call.params["MNPVersionId"].as_i64()
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
            apply_action(call).unwrap_or("?"),
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

/// A person's `CreateMNPApproval` in the console (not through mnpsync); panics if it fails.
pub async fn console(client: &Client, platform: &str, action: ApplyAction, version: i64) {
    client
        .create_mnp_approval(
            &CreateMnpApprovalRequest {
                mnp_version_id: version,
                apply_action: action,
                platform_id: platform.to_string(),
            },
            None,
        )
        .await
        .expect("the console call succeeds");
}
