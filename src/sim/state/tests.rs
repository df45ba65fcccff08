//! Tests of the rules without HTTP: submit and cancel, listing, processing, the records'
//! metadata, the fixture's initial approvals, auto-approve's clock and release refusals.

use super::records::APPLY_USER;
use super::*;
use crate::sim::fixture::ApprovalFixture;
use crate::tcmpp::model::{
    ApplyAction, ApprovalItem, CreateMnpApprovalRequest, DescribeMnpApprovalListData,
    DescribeMnpApprovalListRequest, ProcessMnpApprovalRequest,
};

const T0: i64 = 1_764_288_000; // 2025-11-28 00:00:00 UTC

/// `unix` on the simulator clock; tokio's clock is irrelevant here (no auto-approve).
fn now(unix: i64) -> Now {
    Now {
        unix,
        instant: tokio::time::Instant::now(),
    }
}

fn create(
    s: &mut State,
    platform: &str,
    version: i64,
    action: ApplyAction,
) -> Result<(), &'static str> {
    let req = CreateMnpApprovalRequest {
        mnp_version_id: version,
        apply_action: action,
        platform_id: platform.into(),
    };
    s.create(&req, now(T0)).map(|_| ()).map_err(|e| e.code)
}

fn submit(s: &mut State, version: i64) -> Result<(), &'static str> {
    create(s, "P", version, ApplyAction::Submit)
}

fn cancel(s: &mut State, version: i64) -> Result<(), &'static str> {
    create(s, "P", version, ApplyAction::Cancel)
}

fn list(
    s: &State,
    offset: i64,
    limit: i64,
    statuses: Option<Vec<i64>>,
) -> DescribeMnpApprovalListData {
    s.describe(&DescribeMnpApprovalListRequest {
        offset,
        limit,
        platform_id: "P".into(),
        approval_status_list: statuses,
        keyword: None,
        application_id: None,
        team_id: None,
    })
    .unwrap()
}

fn statuses(s: &State) -> Vec<(i64, ApprovalStatus)> {
    s.approvals()
        .iter()
        .map(|a| (a.record.mnp_version_id.unwrap(), a.record.status().unwrap()))
        .collect()
}

fn fixture(text: &str) -> Option<Fixture> {
    Some(Fixture::from_yaml(text).unwrap())
}

const SHOP: &str = "platforms:
  - id: P
    mini_programs:
      - id: shop
        name: Shop
        versions: [{id: 1, version: '1.0.0'}, {id: 2, version: '1.1.0'}, {id: 3, platform_phase: false}]
  - id: EXPIRED
    package_expired: true
  - id: NOTEAM
    team_associated: false
";

#[test]
fn submit_then_resubmit_conflicts() {
    let mut s = State::new(None, now(T0));
    assert_eq!(submit(&mut s, 7), Ok(()));
    assert_eq!(submit(&mut s, 7), Err(codes::EXIST_MNP_APPROVAL_RECORD));
    // Another version is another mini program without a fixture.
    assert_eq!(submit(&mut s, 8), Ok(()));
    assert_eq!(
        statuses(&s),
        vec![
            (7, ApprovalStatus::Processing),
            (8, ApprovalStatus::Processing)
        ]
    );
}

#[test]
fn versions_of_one_mini_program_conflict() {
    let mut s = State::new(fixture(SHOP), now(T0));
    assert_eq!(submit(&mut s, 1), Ok(()));
    assert_eq!(submit(&mut s, 2), Err(codes::EXIST_MNP_APPROVAL_RECORD));
    assert_eq!(cancel(&mut s, 2), Err(codes::MNP_APPROVAL_STATUS_ERROR));
    assert_eq!(cancel(&mut s, 1), Ok(()));
    assert_eq!(submit(&mut s, 2), Ok(()));
}

#[test]
fn cancel_rules() {
    let mut s = State::new(None, now(T0));
    assert_eq!(cancel(&mut s, 7), Err(codes::MNP_APPROVAL_STATUS_ERROR));
    submit(&mut s, 7).unwrap();
    assert_eq!(cancel(&mut s, 7), Ok(()));
    assert_eq!(cancel(&mut s, 7), Err(codes::MNP_APPROVAL_STATUS_ERROR));
    // Resubmitting after a cancel creates a new record.
    assert_eq!(submit(&mut s, 7), Ok(()));
    assert_eq!(
        statuses(&s),
        vec![
            (7, ApprovalStatus::Cancelled),
            (7, ApprovalStatus::Processing)
        ]
    );
    let cancelled = &s.approvals()[0].record;
    assert_eq!(
        cancelled.approval_time.as_deref(),
        Some("2025-11-28 08:00:00")
    );
}

#[test]
fn approved_and_rejected_versions_may_be_submitted_again() {
    let mut s = State::new(None, now(T0));
    submit(&mut s, 7).unwrap();
    s.process_version("P", 7, true, now(T0)).unwrap();
    assert_eq!(submit(&mut s, 7), Ok(()));
    s.process_version("P", 7, false, now(T0)).unwrap();
    assert_eq!(submit(&mut s, 7), Ok(()));
    assert_eq!(
        statuses(&s),
        vec![
            (7, ApprovalStatus::Approved),
            (7, ApprovalStatus::Rejected),
            (7, ApprovalStatus::Processing)
        ]
    );
}

#[test]
fn invalid_version_ids_fail_before_anything_else() {
    let mut s = State::new(fixture(SHOP), now(T0));
    for v in [0, -1] {
        assert_eq!(
            create(&mut s, "UNKNOWN", v, ApplyAction::Submit),
            Err(codes::INVALID_PARAMETER_VALUE)
        );
    }
}

#[test]
fn fixture_platform_rules() {
    let mut s = State::new(fixture(SHOP), now(T0));
    assert_eq!(
        create(&mut s, "OTHER", 1, ApplyAction::Submit),
        Err(codes::INVALID_PLATFORM_ID)
    );
    assert_eq!(
        create(&mut s, "EXPIRED", 1, ApplyAction::Submit),
        Err(codes::PACKAGE_ALREADY_EXPIRED)
    );
    assert_eq!(
        create(&mut s, "EXPIRED", 1, ApplyAction::Cancel),
        Err(codes::PACKAGE_ALREADY_EXPIRED)
    );
    assert_eq!(
        create(&mut s, "NOTEAM", 1, ApplyAction::Submit),
        Err(codes::MNP_TEAM_NOT_ASSOCIATED)
    );
    assert_eq!(
        submit(&mut s, 3),
        Err(codes::MNP_VERSION_NOT_PLATFORM_PHASE)
    );
    assert!(s.approvals().is_empty(), "errors change nothing");
}

#[test]
fn empty_platform_is_invalid_even_without_fixture() {
    let mut s = State::new(None, now(T0));
    for bad in [" ", "", "T\u{0}1"] {
        assert_eq!(
            create(&mut s, bad, 1, ApplyAction::Submit),
            Err(codes::INVALID_PLATFORM_ID)
        );
    }
}

#[test]
fn describe_pages_newest_first_with_filters() {
    let mut s = State::new(None, now(T0));
    for v in 1..=5 {
        submit(&mut s, v).unwrap();
    }
    cancel(&mut s, 2).unwrap();
    s.process_version("P", 4, true, now(T0)).unwrap();
    // Another platform's approvals never show.
    create(&mut s, "Q", 9, ApplyAction::Submit).unwrap();

    let all = list(&s, 0, 10, None);
    assert_eq!(all.total_count, 5);
    let ids: Vec<i64> = all
        .data_list
        .iter()
        .map(|r| r.mnp_version_id.unwrap())
        .collect();
    assert_eq!(ids, vec![5, 4, 3, 2, 1]);

    let page = list(&s, 1, 2, None);
    assert_eq!(page.total_count, 5);
    let ids: Vec<i64> = page
        .data_list
        .iter()
        .map(|r| r.mnp_version_id.unwrap())
        .collect();
    assert_eq!(ids, vec![4, 3]);
    assert!(list(&s, 5, 10, None).data_list.is_empty());
    assert_eq!(list(&s, 0, 0, None).total_count, 5);

    let processing = list(&s, 0, 10, Some(vec![1]));
    assert_eq!(processing.total_count, 3);
    let done = list(&s, 0, 10, Some(vec![3, 4]));
    let ids: Vec<(i64, i64)> = done
        .data_list
        .iter()
        .map(|r| (r.mnp_version_id.unwrap(), r.approval_status.unwrap()))
        .collect();
    assert_eq!(ids, vec![(4, 3), (2, 4)]);
    assert_eq!(list(&s, 0, 10, Some(vec![])).total_count, 5);
}

#[test]
fn describe_validates_paging_and_statuses() {
    let s = State::new(None, now(T0));
    let req = |offset, limit, statuses: Option<Vec<i64>>| DescribeMnpApprovalListRequest {
        offset,
        limit,
        platform_id: "P".into(),
        approval_status_list: statuses,
        keyword: None,
        application_id: None,
        team_id: None,
    };
    for bad in [
        req(-1, 10, None),
        req(0, 101, None),
        req(0, -1, None),
        req(0, 10, Some(vec![5])),
    ] {
        assert_eq!(
            s.describe(&bad).unwrap_err().code,
            codes::INVALID_PARAMETER_VALUE,
            "{bad:?}"
        );
    }
    assert!(s.describe(&req(0, 100, None)).is_ok());
}

#[test]
fn describe_keyword_application_and_team_filters() {
    let mut s = State::new(fixture(SHOP), now(T0));
    submit(&mut s, 1).unwrap();
    submit(&mut s, 42).unwrap();
    let find = |keyword: Option<&str>, app: Option<&str>, team: Option<&str>| {
        s.describe(&DescribeMnpApprovalListRequest {
            offset: 0,
            limit: 10,
            platform_id: "P".into(),
            approval_status_list: None,
            keyword: keyword.map(Into::into),
            application_id: app.map(Into::into),
            team_id: team.map(Into::into),
        })
        .unwrap()
        .data_list
        .iter()
        .map(|r| r.mnp_version_id.unwrap())
        .collect::<Vec<_>>()
    };
    assert_eq!(find(Some("sHoP"), None, None), vec![1]);
    assert_eq!(find(Some("1.0.0"), None, None), vec![1]);
    assert_eq!(find(Some("mnp-42"), None, None), vec![42]);
    assert_eq!(find(Some(""), None, None), vec![42, 1]);
    assert_eq!(find(Some("nothing"), None, None), Vec::<i64>::new());
    assert_eq!(find(None, Some("app-P"), Some("team-P")), vec![42, 1]);
    assert_eq!(find(None, Some("app-X"), None), Vec::<i64>::new());
    assert_eq!(find(None, None, Some("team-X")), Vec::<i64>::new());
}

#[test]
fn records_carry_fixture_and_default_metadata() {
    let mut s = State::new(fixture(SHOP), now(T0));
    submit(&mut s, 2).unwrap();
    submit(&mut s, 42).unwrap();
    let list = s.approvals();
    let shop = &list[0].record;
    assert_eq!(list[0].platform_id, "P");
    assert_eq!(shop.approval_no.as_deref(), Some("MNPA000000000001"));
    assert_eq!(shop.mnp_id.as_deref(), Some("shop"));
    assert_eq!(shop.mnp_name.as_deref(), Some("Shop"));
    assert_eq!(shop.mnp_version.as_deref(), Some("1.1.0"));
    assert_eq!(shop.apply_time.as_deref(), Some("2025-11-28 08:00:00"));
    assert_eq!(shop.apply_user.as_deref(), Some(APPLY_USER));
    assert_eq!(shop.approval_time, None);
    let other = &list[1].record;
    assert_eq!(other.approval_no.as_deref(), Some("MNPA000000000002"));
    assert_eq!(other.mnp_id.as_deref(), Some("mnp-42"));
    assert_eq!(other.mnp_name.as_deref(), Some("mnp-42"));
    assert_eq!(other.mnp_version.as_deref(), Some("1.0.42"));
    assert_eq!(other.application_id.as_deref(), Some("app-P"));
    assert_eq!(other.team_name.as_deref(), Some("Team P"));
}

#[test]
fn fixture_approvals_seed_the_state() {
    let s = State::new(
        fixture(
            "platforms:
  - id: P
    mini_programs: [{id: shop, versions: [{id: 1}, {id: 2}]}]
    approvals:
      - {version: 1, status: approved, note: ok}
      - {version: 2, status: processing}
",
        ),
        now(T0),
    );
    assert_eq!(
        statuses(&s),
        vec![
            (1, ApprovalStatus::Approved),
            (2, ApprovalStatus::Processing)
        ]
    );
    assert_eq!(s.approvals()[0].record.approval_note.as_deref(), Some("ok"));
    assert_eq!(
        s.approvals()[0].record.approval_user.as_deref(),
        Some(APPROVAL_USER)
    );
    let mut s = s;
    assert_eq!(submit(&mut s, 1), Err(codes::EXIST_MNP_APPROVAL_RECORD));
}

#[test]
fn invalid_fixture_approvals_are_skipped_not_fatal() {
    let mut f = Fixture::from_yaml("platforms: [{id: P}]").unwrap();
    f.platforms[0].approvals = vec![
        ApprovalFixture {
            version: 1,
            status: ApprovalStatus::Processing,
            note: None,
            code: None,
        };
        2
    ];
    let s = State::new(Some(f), now(T0));
    assert_eq!(statuses(&s), vec![(1, ApprovalStatus::Processing)]);
}

fn process(s: &mut State, no: &str, items: Vec<(&str, i64)>) -> Result<(), &'static str> {
    s.process(
        &ProcessMnpApprovalRequest {
            approval_no: no.into(),
            platform_id: "P".into(),
            approval_items: items
                .into_iter()
                .map(|(app, result)| ApprovalItem {
                    app_id: app.into(),
                    approval_result: result,
                    approval_note: format!("note {result}"),
                })
                .collect(),
        },
        now(T0 + 60),
    )
    .map_err(|e| e.code)
}

#[test]
fn process_rules() {
    let mut s = State::new(None, now(T0));
    submit(&mut s, 1).unwrap();
    submit(&mut s, 2).unwrap();
    assert_eq!(
        process(&mut s, "MNPA000000000009", vec![("app-P", 3)]),
        Err(codes::APPROVAL_NOT_EXIST)
    );
    assert_eq!(
        process(&mut s, "MNPA000000000001", vec![]),
        Err(codes::INVALID_PARAMETER_VALUE)
    );
    assert_eq!(
        process(&mut s, "MNPA000000000001", vec![("app-P", 1)]),
        Err(codes::INVALID_PARAMETER_VALUE)
    );
    assert_eq!(
        process(&mut s, "MNPA000000000001", vec![("app-P", 3)]),
        Ok(())
    );
    assert_eq!(
        process(&mut s, "MNPA000000000001", vec![("app-P", 2)]),
        Err(codes::MNP_APPROVAL_STATUS_ERROR)
    );
    // The item of the record's application wins over the first item.
    assert_eq!(
        process(&mut s, "MNPA000000000002", vec![("other", 3), ("app-P", 2)]),
        Ok(())
    );
    assert_eq!(
        statuses(&s),
        vec![(1, ApprovalStatus::Approved), (2, ApprovalStatus::Rejected)]
    );
    let rec = &s.approvals()[0].record;
    assert_eq!(rec.approval_note.as_deref(), Some("note 3"));
    assert_eq!(rec.approval_user.as_deref(), Some(APPROVAL_USER));
    assert_eq!(rec.approval_time.as_deref(), Some("2025-11-28 08:01:00"));
}

#[test]
fn process_version_reports_missing_processing_approval() {
    let mut s = State::new(None, now(T0));
    assert!(s.process_version("P", 1, true, now(T0)).is_err());
    submit(&mut s, 1).unwrap();
    assert_eq!(
        s.process_version("P", 1, true, now(T0)).as_deref(),
        Ok("MNPA000000000001")
    );
    assert!(s.process_version("P", 1, true, now(T0)).is_err());
}

#[test]
fn sim_approval_serialises_flat() {
    let mut s = State::new(None, now(T0));
    submit(&mut s, 1).unwrap();
    let json = serde_json::to_value(s.approvals()).unwrap();
    assert_eq!(json[0]["PlatformId"], "P");
    assert_eq!(json[0]["ApprovalNo"], "MNPA000000000001");
    assert_eq!(json[0]["ApprovalStatus"], 1);
    let back: Vec<SimApproval> = serde_json::from_value(json).unwrap();
    assert_eq!(back, s.approvals());
}

#[test]
fn auto_approve_counts_age_on_tokio_clock_not_the_simulator_clock() {
    let t0 = tokio::time::Instant::now();
    let at = |unix: i64, after: u64| Now {
        unix,
        instant: t0 + std::time::Duration::from_millis(after),
    };
    let mut s = State::new(None, at(T0, 0));
    s.create(
        &CreateMnpApprovalRequest {
            mnp_version_id: 7,
            apply_action: ApplyAction::Submit,
            platform_id: "P".into(),
        },
        at(T0, 0),
    )
    .unwrap();
    let after = std::time::Duration::from_secs(2);
    // A simulator clock far ahead does not make the approval old.
    assert_eq!(s.auto_approve(after, at(T0 + 3600, 1999)), 0);
    assert_eq!(s.auto_approve(after, at(T0 + 5, 2000)), 1);
    assert_eq!(s.auto_approve(after, at(T0 + 9, 9000)), 0, "decided once");
    let record = &s.approvals()[0].record;
    assert_eq!(record.status(), Some(ApprovalStatus::Approved));
    assert_eq!(record.approval_user.as_deref(), Some("auto-approve"));
    assert_eq!(record.approval_note.as_deref(), Some(""));
    assert_eq!(record.approval_time.as_deref(), Some("2025-11-28 08:00:05"));
}

#[test]
fn release_refusals_change_nothing() {
    use crate::tcmpp::model::{MnpRequest, ReleaseMnpVersionRequest, RollbackMnpVersionRequest};
    let mut s = State::new(
        fixture(
            "platforms:
  - id: P
    mini_programs:
      - {id: shop, released: [1], release_limit: 0, versions: [{id: 1}, {id: 2}]}
    approvals: [{version: 2, status: approved}]
",
        ),
        now(T0),
    );
    let release = |s: &mut State, version| {
        s.release(
            &ReleaseMnpVersionRequest {
                mnp_version_id: version,
                platform_id: "P".into(),
            },
            now(T0 + 60),
        )
        .map_err(|e| e.code)
    };
    let history = |s: &State| {
        s.release_history(&MnpRequest {
            mnp_id: "shop".into(),
            platform_id: "P".into(),
        })
        .unwrap()
    };
    let before = history(&s);
    assert_eq!(
        release(&mut s, 2),
        Err(codes::MNP_RELEASE_NUMBER_EXCEED_LIMIT)
    );
    assert_eq!(release(&mut s, 1), Err(codes::MNP_VERSION_RELEASED));
    let rollback = s.rollback(
        &RollbackMnpVersionRequest {
            mnp_id: "shop".into(),
            mnp_version_id: 2,
            platform_id: "P".into(),
            mnp_version: "1.0.2".into(),
        },
        now(T0 + 60),
    );
    assert_eq!(rollback.map_err(|e| e.code), Err(codes::FAILED_OPERATION));
    assert_eq!(history(&s), before);
    assert_eq!(
        before.data_list[0].update_time.as_deref(),
        Some("2025-11-28 08:00:00")
    );
}
