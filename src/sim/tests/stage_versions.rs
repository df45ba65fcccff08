//! Over HTTP: `DescribeMNPAllStageVersions` and `DescribeMNPReleasedVersionHistory` — exact
//! bodies, phases, the latest approval's fields, unknown mini programs with and without a
//! fixture, and TCSAS's own shape.

use serde_json::{Value, json};

use super::support::*;
use crate::sim::SimConfig;
use crate::sim::error::codes;
use crate::tcmpp::Api as Service;
use crate::tcmpp::model::{DESCRIBE_MNP_ALL_STAGE_VERSIONS, DESCRIBE_MNP_RELEASED_VERSION_HISTORY};

/// One `mnp-shop` stage version of the [`RELEASES`] fixture, times redacted.
fn shop_version(
    id: i64,
    version: &str,
    intro: &str,
    phase: &str,
    approval: Option<(i64, &str)>,
) -> Value {
    json!({
        "MNPId": "mnp-shop",
        "MNPVersionId": id,
        "MNPName": "Shop",
        "MNPIcon": "https://example.invalid/shop.png",
        "MNPType": "MNP",
        "MNPIntro": null,
        "MNPDesc": null,
        "CreateUser": "sim-user",
        "CreateTime": "<time>",
        "MNPVersion": version,
        "MNPVersionIntro": intro,
        "Phase": phase,
        "ApprovalStatus": approval.map(|(status, _)| status),
        "ApprovalNo": approval.map(|(_, no)| no),
        "ShowCase": 0,
        "RollbackVersion": null,
        "Status": 0,
        "VersionCurrentStatus": approval.map(|(status, _)| status),
    })
}

#[tokio::test]
async fn stage_versions_answer_every_version_newest_first_exactly() {
    let lo = now();
    let (_h, api) = start(releases_config()).await;
    let reply = api.stage_versions("mnp-shop").await;
    let hi = now();
    let mut data = reply.data();
    redact_times(&mut data, lo, hi);
    assert_eq!(
        data,
        json!([
            shop_version(104, "1.0.104", "Version 1.0.104", "Develop", None),
            // A fixture `code` (0, Pending) is what the version shows too.
            shop_version(
                103,
                "1.2.0",
                "Version 1.2.0",
                "Platform",
                Some((0, "MNPA000000000003"))
            ),
            shop_version(
                102,
                "1.1.0",
                "Version 1.1.0",
                "Platform",
                Some((3, "MNPA000000000002"))
            ),
            shop_version(
                101,
                "1.0.0",
                "First release",
                "Online",
                Some((3, "MNPA000000000001"))
            ),
        ])
    );
    // The whole reply: `Data` is a bare list.
    let keys: Vec<String> = reply.json()["Response"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["Data", "RequestId"]);
}

#[tokio::test]
async fn the_latest_approval_of_a_version_is_the_one_shown() {
    let (_h, api) = start(releases_config()).await;
    // Cancelling 103's pending request: it shows 4 from then on, not the fixture's 0. (The
    // fixture's five approvals are MNPA…1 to MNPA…5.)
    assert_result_true(&api.cancel(103).await);
    assert_result_true(&api.submit(102).await);
    let data = api.stage_versions("mnp-shop").await.data();
    let shown: Vec<(i64, Value, Value, Value)> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["MNPVersionId"].as_i64().unwrap(),
                v["ApprovalStatus"].clone(),
                v["VersionCurrentStatus"].clone(),
                v["ApprovalNo"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (104, Value::Null, Value::Null, Value::Null),
            (103, json!(4), json!(4), json!("MNPA000000000003")),
            (102, json!(1), json!(1), json!("MNPA000000000006")),
            (101, json!(3), json!(3), json!("MNPA000000000001")),
        ]
    );
}

#[tokio::test]
async fn unknown_mini_programs_are_invalid_with_a_fixture() {
    let (_h, api) = start(releases_config()).await;
    for (mnp, action) in [
        ("mnp-nope", DESCRIBE_MNP_ALL_STAGE_VERSIONS),
        ("mnp-nope", DESCRIBE_MNP_RELEASED_VERSION_HISTORY),
        // 101 belongs to mnp-shop, so `mnp-101` is no mini program.
        ("mnp-101", DESCRIBE_MNP_ALL_STAGE_VERSIONS),
        ("", DESCRIBE_MNP_RELEASED_VERSION_HISTORY),
    ] {
        let reply = api
            .call(action, json!({"MNPId": mnp, "PlatformId": P}))
            .await;
        assert_eq!(
            assert_error(&reply, codes::INVALID_MNP_ID),
            format!(
                "The MNPId `{mnp}` is invalid: platform `TPLATFORM1` has no such mini program."
            )
        );
    }
    // A version the fixture does not list is its own mini program, as for submits.
    let data = api.stage_versions("mnp-999").await.data();
    assert_eq!(phases(&data), [(999, "Platform".to_string())]);
    assert_eq!(data[0]["MNPName"], "mnp-999");
    assert_eq!(data[0]["MNPVersion"], "1.0.999");
    assert_eq!(data[0]["MNPIcon"], Value::Null);
    assert_eq!(data[0]["ApprovalStatus"], Value::Null);
    let reply = api
        .call(
            DESCRIBE_MNP_ALL_STAGE_VERSIONS,
            json!({"MNPId": "mnp-shop", "PlatformId": "TNOPE"}),
        )
        .await;
    assert_error(&reply, codes::INVALID_PLATFORM_ID);
}

#[tokio::test]
async fn without_a_fixture_only_default_mini_programs_have_versions() {
    let (_h, api) = start(SimConfig::default()).await;
    assert_eq!(api.stage_versions("shop").await.data(), json!([]));
    assert_eq!(
        api.history("shop").await.data(),
        json!({"TotalCount": 0, "DataList": []})
    );
    assert_result_true(&api.submit(7).await);
    let data = api.stage_versions("mnp-7").await.data();
    assert_eq!(phases(&data), [(7, "Platform".to_string())]);
    assert_eq!(data[0]["ApprovalStatus"], 1);
    assert_eq!(data[0]["ApprovalNo"], "MNPA000000000001");
    assert_eq!(data[0]["MNPVersionIntro"], "Version 1.0.7");
    assert_eq!(
        api.history("mnp-7").await.data(),
        json!({"TotalCount": 0, "DataList": []})
    );
}

#[tokio::test]
async fn released_history_is_newest_first_exactly() {
    let lo = now();
    let (_h, api) = start(releases_config()).await;
    let mut data = api.history("mnp-shop").await.data();
    redact_times(&mut data, lo, now());
    assert_eq!(
        data,
        json!({"TotalCount": 1, "DataList": [{
            "MNPId": "mnp-shop",
            "MNPVersion": "1.0.0",
            "MNPVersionId": 101,
            "MNPVersionNote": "First release",
            "UpdateTime": "<time>",
        }]})
    );
    assert_eq!(
        api.history("mnp-news").await.data(),
        json!({"TotalCount": 0, "DataList": []})
    );
}

#[tokio::test]
async fn reads_work_on_an_expired_platform() {
    let (_h, api) = start(releases_config()).await;
    let reply = api
        .call(
            DESCRIBE_MNP_RELEASED_VERSION_HISTORY,
            json!({"MNPId": "mnp-old", "PlatformId": "TEXPIRED"}),
        )
        .await;
    assert_eq!(history_ids(&reply.data()), [1]);
}

#[tokio::test]
async fn tcsas_stage_versions_also_carry_age_ratings() {
    let (_h, api) = start(releases_config()).await;
    let tcsas = api
        .send(api.req_as(
            Service::Tcsas,
            DESCRIBE_MNP_ALL_STAGE_VERSIONS,
            json!({"MNPId": "mnp-shop", "PlatformId": P}),
        ))
        .await
        .unwrap()
        .data();
    let tcmpp = api.stage_versions("mnp-shop").await.data();
    for (tcsas, tcmpp) in tcsas
        .as_array()
        .unwrap()
        .iter()
        .zip(tcmpp.as_array().unwrap())
    {
        let mut expected = tcmpp.clone();
        expected["AgeRatings"] = Value::Null;
        assert_eq!(tcsas, &expected);
    }
    // The history has the same shape in both APIs.
    let history = api
        .send(api.req_as(
            Service::Tcsas,
            DESCRIBE_MNP_RELEASED_VERSION_HISTORY,
            json!({"MNPId": "mnp-shop", "PlatformId": P}),
        ))
        .await
        .unwrap()
        .data();
    assert_eq!(history, api.history("mnp-shop").await.data());
}
