//! The notification tests: events and the filter, sink URLs and redaction, golden bodies,
//! signatures, reply interpretation, and delivery against local receivers.

mod answer;
mod deliver;
mod detect;

mod events;
mod golden;
mod receiver;
mod sign;
mod sinks;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::notify::{Batch, Event, EventKind, Reviewer};

/// The fixed time of every signature in the tests: 2025-11-28T10:15:00Z.
pub const NOW_S: u64 = 1_764_324_900;

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_S)
}

/// Two events: an approval with the reviewer's words, and a block with what to do.
pub fn batch() -> Batch {
    Batch {
        run_id: "20251128T101500Z-7f3a".to_string(),
        commit: Some("1a2b3c4d5e6f".to_string()),
        events: vec![
            Event {
                kind: EventKind::Approved,
                key: "T04257DS9431720WTAG/2597".to_string(),
                name: "shop-2597".to_string(),
                platform_id: "T04257DS9431720WTAG".to_string(),
                mnp_version_id: 2597,
                mnp_id: Some("mnp-shop".to_string()),
                version: Some("1.4.0".to_string()),
                message: None,
                reviewer: Some(Reviewer {
                    user: Some("alice".to_string()),
                    note: Some("looks good".to_string()),
                    time: Some("2025-11-28 10:12:00".to_string()),
                    approval_no: Some("AP-1001".to_string()),
                }),
                at: "2025-11-28T10:15:00Z".to_string(),
            },
            Event {
                kind: EventKind::Blocked,
                key: "T04257DS9431720WTAG/2598".to_string(),
                name: "news-2598".to_string(),
                platform_id: "T04257DS9431720WTAG".to_string(),
                mnp_version_id: 2598,
                mnp_id: None,
                version: None,
                message: Some("the package expired: upload the version again".to_string()),
                reviewer: None,
                at: "2025-11-28T10:15:00Z".to_string(),
            },
        ],
    }
}
