//! Event kinds on the wire, their parsing with suggestions, and the event filter.

use crate::notify::{EventFilter, EventKind};

#[test]
fn wire_names_are_snake_case_and_parse_back() {
    let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "approved",
            "rejected",
            "submitted",
            "cancelled",
            "released",
            "rolled_back",
            "blocked",
            "attention",
            "failed",
            "review_overdue"
        ]
    );
    for kind in EventKind::ALL {
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", kind.as_str())
        );
        assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
    assert_eq!(
        " Rolled-Back ".parse::<EventKind>(),
        Ok(EventKind::RolledBack)
    );
    assert_eq!(
        serde_json::from_str::<EventKind>("\"review_overdue\"").unwrap(),
        EventKind::ReviewOverdue
    );
}

#[test]
fn a_typo_gets_a_suggestion() {
    let all = "approved, rejected, submitted, cancelled, released, rolled_back, blocked, attention, failed, review_overdue";
    assert_eq!(
        "aproved".parse::<EventKind>().unwrap_err().to_string(),
        format!("unknown event \"aproved\" (did you mean \"approved\"?); the events are {all}")
    );
    assert_eq!(
        "rollback".parse::<EventKind>().unwrap_err().suggestion,
        Some("rolled_back")
    );
    assert_eq!(
        "overdue".parse::<EventKind>().unwrap_err().to_string(),
        format!("unknown event \"overdue\"; the events are {all}")
    );
    assert_eq!(
        "x\u{1b}y".parse::<EventKind>().unwrap_err().word,
        "x\\u{1b}y"
    );
}

#[test]
fn the_filter_parses_lists_and_keeps_only_its_kinds() {
    let filter: EventFilter = "approved, rejected,,".parse().unwrap();
    assert_eq!(
        filter.kinds().collect::<Vec<_>>(),
        [EventKind::Approved, EventKind::Rejected]
    );
    assert_eq!("all".parse::<EventFilter>().unwrap(), EventFilter::all());
    assert_eq!(EventFilter::default(), EventFilter::all());
    assert_eq!(
        "approved,rejectd"
            .parse::<EventFilter>()
            .unwrap_err()
            .suggestion,
        Some("rejected")
    );
    assert!(" , ".parse::<EventFilter>().is_err());

    let batch = super::batch();
    let approved = filter.apply(batch.clone()).unwrap();
    assert_eq!(approved.keys(), ["T04257DS9431720WTAG/2597"]);
    assert_eq!(approved.run_id, batch.run_id);
    let blocked_only: EventFilter = "failed".parse().unwrap();
    assert_eq!(blocked_only.apply(batch.clone()), None);
    assert_eq!(EventFilter::all().apply(batch.clone()), Some(batch));
}
