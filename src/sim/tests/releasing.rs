//! Over HTTP: `ReleaseMNPVersion` — the phase transitions and history a release leaves, every
//! documented refusal with its exact message, the release limit, and releases without a
//! fixture.

use serde_json::json;

use super::support::*;
use crate::sim::SimConfig;
use crate::sim::error::codes;

fn phase_list(pairs: &[(i64, &str)]) -> Vec<(i64, String)> {
    pairs.iter().map(|(id, p)| (*id, p.to_string())).collect()
}

#[tokio::test]
async fn a_release_puts_the_version_online_and_the_previous_one_back_to_platform() {
    let lo = now();
    let (_h, api) = start(releases_config()).await;
    assert_result_true(&api.release(102).await);
    assert_eq!(
        phases(&api.stage_versions("mnp-shop").await.data()),
        phase_list(&[
            (104, "Develop"),
            (103, "Platform"),
            (102, "Online"),
            (101, "Platform")
        ])
    );
    let mut history = api.history("mnp-shop").await.data();
    redact_times(&mut history, lo, now());
    assert_eq!(
        history,
        json!({"TotalCount": 2, "DataList": [
            {"MNPId": "mnp-shop", "MNPVersion": "1.1.0", "MNPVersionId": 102, "MNPVersionNote": "Version 1.1.0", "UpdateTime": "<time>"},
            {"MNPId": "mnp-shop", "MNPVersion": "1.0.0", "MNPVersionId": 101, "MNPVersionNote": "First release", "UpdateTime": "<time>"},
        ]})
    );
    // The first release of a mini program without history.
    assert_result_true(&api.submit(201).await);
    api.sim.process_version(P, 201, true).unwrap();
    assert_result_true(&api.release(201).await);
    assert_eq!(
        phases(&api.stage_versions("mnp-news").await.data()),
        phase_list(&[(202, "Platform"), (201, "Online")])
    );
    assert_eq!(history_ids(&api.history("mnp-news").await.data()), [201]);
}

#[tokio::test]
async fn release_refusals_carry_the_documented_codes_and_change_nothing() {
    let (h, api) = start(releases_config()).await;
    let cases: Vec<(&str, i64, &str, &str)> = vec![
        (
            P,
            0,
            codes::INVALID_MNP_VERSION_ID,
            "The MNPVersionId 0 does not name a mini program version.",
        ),
        (
            P,
            -5,
            codes::INVALID_MNP_VERSION_ID,
            "The MNPVersionId -5 does not name a mini program version.",
        ),
        (
            "TNOPE",
            102,
            codes::INVALID_PLATFORM_ID,
            "The PlatformId `TNOPE` is invalid.",
        ),
        (
            "TEXPIRED",
            2,
            codes::PACKAGE_ALREADY_EXPIRED,
            "The package of this platform has expired.",
        ),
        (
            P,
            101,
            codes::MNP_VERSION_RELEASED,
            "The mini program version 101 is online already.",
        ),
        (
            P,
            103,
            codes::ONLY_RELEASE_APPROVED,
            "Only an approved mini program version can be released; version 103 cannot: its latest approval MNPA000000000003 is processing.",
        ),
        (
            P,
            104,
            codes::ONLY_RELEASE_APPROVED,
            "Only an approved mini program version can be released; version 104 cannot: it is not in the platform phase.",
        ),
        (
            P,
            201,
            codes::ONLY_RELEASE_APPROVED,
            "Only an approved mini program version can be released; version 201 cannot: it has no approval.",
        ),
        (
            P,
            202,
            codes::ONLY_RELEASE_APPROVED,
            "Only an approved mini program version can be released; version 202 cannot: its latest approval MNPA000000000004 is rejected.",
        ),
    ];
    for (platform, version, code, message) in &cases {
        let reply = api.release_on(platform, *version).await;
        assert_eq!(assert_error(&reply, code), *message, "{platform}/{version}");
    }
    assert_eq!(
        codes_of(&h.sim.calls()),
        cases.iter().map(|c| Some(c.2)).collect::<Vec<_>>()
    );
    assert_eq!(history_ids(&api.history("mnp-shop").await.data()), [101]);
    assert!(history_ids(&api.history("mnp-news").await.data()).is_empty());

    // Only a newer version (a greater MNPVersionId) can go online.
    assert_result_true(&api.release(102).await);
    let reply = api.release(101).await;
    assert_eq!(
        assert_error(&reply, codes::RELEASE_NEEDS_GREATER_VERSION),
        "The mini program version 101 is older than the online version 102; only a newer version can be released."
    );
    // A new approval of the online version does not make it releasable again.
    assert_result_true(&api.cancel(103).await);
    assert_result_true(&api.submit(102).await);
    assert_error(&api.release(102).await, codes::MNP_VERSION_RELEASED);
    assert_eq!(
        history_ids(&api.history("mnp-shop").await.data()),
        [102, 101]
    );
}

#[tokio::test]
async fn the_release_limit_counts_releases_and_rollbacks_of_one_mini_program() {
    let (_h, api) = start(releases_config()).await;
    // mnp-shop allows 3; its fixture history does not count.
    assert_result_true(&api.release(102).await);
    assert_result_true(&api.rollback("mnp-shop", 101, "1.0.0").await);
    assert_result_true(&api.release(102).await);
    // Rollbacks are counted but never refused for the limit.
    assert_result_true(&api.rollback("mnp-shop", 101, "1.0.0").await);
    let reply = api.release(102).await;
    assert_eq!(
        assert_error(&reply, codes::MNP_RELEASE_NUMBER_EXCEED_LIMIT),
        "The mini program `mnp-shop` has used up its 3 releases."
    );
    assert_eq!(
        history_ids(&api.history("mnp-shop").await.data()),
        [101, 102, 101, 102, 101]
    );
    // Another mini program has no limit.
    assert_result_true(&api.submit(201).await);
    api.sim.process_version(P, 201, true).unwrap();
    assert_result_true(&api.release(201).await);
}

#[tokio::test]
async fn without_a_fixture_an_approved_version_is_released() {
    let (_h, api) = start(SimConfig::default()).await;
    assert_error(&api.release(7).await, codes::ONLY_RELEASE_APPROVED);
    assert_result_true(&api.submit(7).await);
    assert_error(&api.release(7).await, codes::ONLY_RELEASE_APPROVED);
    api.sim.process_version(P, 7, true).unwrap();
    assert_result_true(&api.release(7).await);
    assert_eq!(
        phases(&api.stage_versions("mnp-7").await.data()),
        [(7, "Online".to_string())]
    );
    assert_eq!(history_ids(&api.history("mnp-7").await.data()), [7]);
    assert_error(&api.release(7).await, codes::MNP_VERSION_RELEASED);
}
