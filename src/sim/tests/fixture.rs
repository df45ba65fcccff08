//! Over HTTP: what a fixture's platforms refuse (unknown platform, expired package, team not
//! associated, version not in platform phase), and that reads of an expired platform work.

use serde_json::json;

use super::support::*;
use crate::sim::error::codes;

#[tokio::test]
async fn fixture_platform_errors() {
    let (h, api) = start(fixture_config()).await;
    assert_error(
        &api.submit(103).await,
        codes::MNP_VERSION_NOT_PLATFORM_PHASE,
    );
    assert_error(
        &api.create(1, "submit", "TEXPIRED").await,
        codes::PACKAGE_ALREADY_EXPIRED,
    );
    assert_error(
        &api.create(1, "submit", "TNOTEAM").await,
        codes::MNP_TEAM_NOT_ASSOCIATED,
    );
    assert_error(
        &api.create(1, "submit", "TOTHER").await,
        codes::INVALID_PLATFORM_ID,
    );
    assert_error(
        &api.list(json!({"Offset": 0, "Limit": 10, "PlatformId": "TOTHER"}))
            .await,
        codes::INVALID_PLATFORM_ID,
    );
    // Reads of an expired platform still work.
    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": "TEXPIRED"}))
        .await
        .data();
    assert_eq!(data, json!({"TotalCount": 0, "DataList": []}));
    assert!(h.sim.approvals().is_empty());
}
