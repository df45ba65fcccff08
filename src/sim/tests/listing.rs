//! Over HTTP: `DescribeMNPApprovalList` paging, newest first, filters and record fields.

use serde_json::json;

use super::support::*;
use crate::sim::SimConfig;

#[tokio::test]
async fn describe_pages_newest_first_and_filters() {
    let (h, api) = start(SimConfig::default()).await;
    for v in 1..=12 {
        assert_result_true(&api.submit(v).await);
    }
    assert_result_true(&api.cancel(3).await);
    h.sim.process_version(P, 5, true).unwrap();

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 12);
    let ids: Vec<i64> = data["DataList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["MNPVersionId"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);

    let data = api
        .list(json!({"Offset": 10, "Limit": 10, "PlatformId": P}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 12);
    assert_eq!(data["DataList"].as_array().unwrap().len(), 2);

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P, "ApprovalStatusList": [3, 4]}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 2);
    let rows: Vec<(i64, i64)> = data["DataList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["MNPVersionId"].as_i64().unwrap(),
                r["ApprovalStatus"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [(5, 3), (3, 4)]);

    let data = api
        .list(json!({"Offset": 0, "Limit": 10, "PlatformId": P, "Keyword": "mnp-11"}))
        .await
        .data();
    assert_eq!(data["TotalCount"], 1);

    // Every documented field is present in a record.
    let record = &data["DataList"][0];
    let fields: Vec<&str> = record
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "ApprovalNo",
        "ApplicationId",
        "ApprovalStatus",
        "MNPId",
        "MNPVersion",
        "MNPVersionId",
        "ApplyUser",
        "ApplyTime",
        "MNPName",
        "MNPIcon",
        "ApplicationName",
        "ApplicationLogo",
        "TeamId",
        "TeamName",
        "MNPQrCodeUrl",
        "MNPType",
        "ApprovalUser",
        "ApprovalTime",
        "ApprovalNote",
    ];
    expected.sort_unstable();
    assert_eq!(fields, expected);
}
