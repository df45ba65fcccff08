use jiff::Timestamp;
use jiff::civil::{Weekday, time};
use proptest::prelude::*;

use super::*;

fn window(text: &str) -> ReleaseWindow {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn windows(texts: &[&str]) -> ReleaseWindows {
    texts.iter().map(|t| window(t)).collect()
}

fn at(text: &str) -> Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is a timestamp: {e}"))
}

/// `next_open` as `YYYY-MM-DDTHH:MM:SS±HH:MM[zone]`, to compare exactly.
fn next(ws: &ReleaseWindows, now: &str) -> Option<String> {
    ws.next_open(at(now)).map(|z| z.to_string())
}

/// The instants given, each with whether the windows are open there.
fn openness(ws: &ReleaseWindows, instants: &[&str]) -> Vec<(String, bool)> {
    instants
        .iter()
        .map(|t| (t.to_string(), ws.is_open(at(t))))
        .collect()
}

fn expect(cases: &[(&str, bool)]) -> Vec<(String, bool)> {
    cases.iter().map(|(t, o)| (t.to_string(), *o)).collect()
}

fn check(ws: &ReleaseWindows, cases: &[(&str, bool)]) {
    let instants: Vec<&str> = cases.iter().map(|(t, _)| *t).collect();
    assert_eq!(openness(ws, &instants), expect(cases));
}

#[test]
fn windows_print_in_canonical_form_and_parse_back() {
    let cases = [
        (
            "Mon-Thu 10:00-16:00 Asia/Shanghai",
            "Mon-Thu 10:00-16:00 Asia/Shanghai",
        ),
        ("wed 9:05-17:00 utc", "Wed 09:05-17:00 UTC"),
        ("Mon,Tue,Wed 10:00-16:00 UTC", "Mon-Wed 10:00-16:00 UTC"),
        ("Mon,Wed,Fri 10:00-16:00 UTC", "Mon,Wed,Fri 10:00-16:00 UTC"),
        (
            "Fri-Mon 22:00-02:00 Europe/Berlin",
            "Fri-Mon 22:00-02:00 Europe/Berlin",
        ),
        ("Sun,Sat 10:00-16:00 UTC", "Sat-Sun 10:00-16:00 UTC"),
        ("Tue-Mon 00:00-23:59 UTC", "Mon-Sun 00:00-23:59 UTC"),
        ("Sat-Mon,Wed 10:00-12:00 UTC", "Wed,Sat-Mon 10:00-12:00 UTC"),
        (
            "Mon,Tue,Thu,Fri,Sun 10:00-12:00 UTC",
            "Thu-Fri,Sun-Tue 10:00-12:00 UTC",
        ),
        ("Mon,Mon-Tue 10:00-12:00 UTC", "Mon-Tue 10:00-12:00 UTC"),
        (
            "  Mon - Thu   10:00 - 16:00  asia/shanghai ",
            "Mon-Thu 10:00-16:00 Asia/Shanghai",
        ),
        (
            "Mon, Wed ,Fri 10:00-16:00 UTC",
            "Mon,Wed,Fri 10:00-16:00 UTC",
        ),
        (
            "Sat 22:00-00:00 America/New_York",
            "Sat 22:00-00:00 America/New_York",
        ),
        ("Mon 10:00-16:00 Etc/GMT-8", "Mon 10:00-16:00 Etc/GMT-8"),
        (
            "Mon 10:00-16:00 America/Port-au-Prince",
            "Mon 10:00-16:00 America/Port-au-Prince",
        ),
    ];
    for (input, canonical) in cases {
        let parsed = window(input);
        assert_eq!(parsed.to_string(), canonical, "from {input:?}");
        assert_eq!(window(canonical), parsed, "{canonical:?} parses back");
    }
}

#[test]
fn parts_of_a_window_are_readable() {
    let w = window("Fri-Mon 22:00-02:00 Asia/Shanghai");
    assert_eq!(
        w.days(),
        [
            Weekday::Monday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday
        ]
    );
    assert_eq!(w.start(), time(22, 0, 0, 0));
    assert_eq!(w.end(), time(2, 0, 0, 0));
    assert_eq!(w.time_zone().iana_name(), Some("Asia/Shanghai"));
}

#[test]
fn parse_errors_quote_the_bad_part_and_say_what_is_expected() {
    let form = r#"expected DAYS HH:MM-HH:MM ZONE"#;
    let example = r#"e.g. "Mon-Thu 10:00-16:00 Asia/Shanghai""#;
    let zone_hint = "use an IANA name such as Asia/Shanghai or Europe/Berlin, or UTC";
    let cases = [
        ("", format!("empty release window: {form}, {example}")),
        ("   ", format!("empty release window: {form}, {example}")),
        (
            "Mon-Thu 10:00-16:00",
            format!(r#"incomplete release window "Mon-Thu 10:00-16:00": {form}, {example}"#),
        ),
        (
            "Mon Tue 10:00-16:00 UTC",
            format!(
                r#"release window "Mon Tue 10:00-16:00 UTC" has 4 parts: {form} (list days with commas, no spaces), {example}"#
            ),
        ),
        (
            "Thurs 10:00-16:00 UTC",
            r#"unknown day "Thurs" in "Thurs 10:00-16:00 UTC": use Mon, Tue, Wed, Thu, Fri, Sat, Sun"#.to_string(),
        ),
        (
            "Mon-Thurs 10:00-16:00 UTC",
            r#"unknown day "Thurs" in "Mon-Thurs 10:00-16:00 UTC": use Mon, Tue, Wed, Thu, Fri, Sat, Sun"#.to_string(),
        ),
        (
            "Mon,,Wed 10:00-16:00 UTC",
            r#"days "Mon,,Wed" in "Mon,,Wed 10:00-16:00 UTC" have an empty entry: write one day (Mon), a range (Mon-Thu) or a list (Mon,Wed,Fri)"#.to_string(),
        ),
        (
            "Mon-Wed-Fri 10:00-16:00 UTC",
            r#"day range "Mon-Wed-Fri" in "Mon-Wed-Fri 10:00-16:00 UTC": expected FIRST-LAST, e.g. Mon-Thu or Fri-Mon"#.to_string(),
        ),
        (
            "-Fri 10:00-16:00 UTC",
            r#"day range "-Fri" in "-Fri 10:00-16:00 UTC": expected FIRST-LAST, e.g. Mon-Thu or Fri-Mon"#.to_string(),
        ),
        (
            "tue-Tue 10:00-16:00 UTC",
            r#"day range "tue-Tue" in "tue-Tue 10:00-16:00 UTC" starts and ends on the same day: write Tue for one day or Mon-Sun for every day"#.to_string(),
        ),
        (
            "Mon 10:00 UTC",
            r#"bad time range "10:00" in "Mon 10:00 UTC": expected HH:MM-HH:MM, e.g. 10:00-16:00"#.to_string(),
        ),
        (
            "Mon 10:00-16:00-18:00 UTC",
            r#"bad time range "10:00-16:00-18:00" in "Mon 10:00-16:00-18:00 UTC": expected HH:MM-HH:MM, e.g. 10:00-16:00"#.to_string(),
        ),
        (
            "Mon 10.00-16:00 UTC",
            r#"bad time "10.00" in "Mon 10.00-16:00 UTC": expected HH:MM on a 24-hour clock, e.g. 09:30"#.to_string(),
        ),
        (
            "Mon 10:0-16:00 UTC",
            r#"bad time "10:0" in "Mon 10:0-16:00 UTC": expected HH:MM on a 24-hour clock, e.g. 09:30"#.to_string(),
        ),
        (
            "Mon 100:00-16:00 UTC",
            r#"bad time "100:00" in "Mon 100:00-16:00 UTC": expected HH:MM on a 24-hour clock, e.g. 09:30"#.to_string(),
        ),
        (
            "Mon 10:00:00-16:00 UTC",
            r#"bad time "10:00:00" in "Mon 10:00:00-16:00 UTC": expected HH:MM on a 24-hour clock, e.g. 09:30"#.to_string(),
        ),
        (
            "Mon 22:00-24:00 UTC",
            r#"time "24:00" in "Mon 22:00-24:00 UTC": hour 24 is out of range 00-23 (midnight is 00:00)"#.to_string(),
        ),
        (
            "Mon 10:60-16:00 UTC",
            r#"time "10:60" in "Mon 10:60-16:00 UTC": minute 60 is out of range 00-59"#.to_string(),
        ),
        (
            "Mon 10:00-10:00 UTC",
            r#"time range "10:00-10:00" in "Mon 10:00-10:00 UTC" starts and ends at the same time: a window needs two different times (22:00-02:00 crosses midnight)"#.to_string(),
        ),
        (
            "Mon 10:00-16:00 Asia/Shangai",
            r#"unknown time zone "Asia/Shangai" in "Mon 10:00-16:00 Asia/Shangai": did you mean "Asia/Shanghai"?"#.to_string(),
        ),
        (
            "Mon 10:00-16:00 Shanghai",
            r#"unknown time zone "Shanghai" in "Mon 10:00-16:00 Shanghai": did you mean "Asia/Shanghai"?"#.to_string(),
        ),
        (
            "Mon 10:00-16:00 europe/berln",
            r#"unknown time zone "europe/berln" in "Mon 10:00-16:00 europe/berln": did you mean "Europe/Berlin"?"#.to_string(),
        ),
        (
            "Mon 10:00-16:00 Nowhere/Special",
            format!(r#"unknown time zone "Nowhere/Special" in "Mon 10:00-16:00 Nowhere/Special": {zone_hint}"#),
        ),
        (
            "Mon 10:00-16:00 Etc/Unknown",
            format!(r#"unknown time zone "Etc/Unknown" in "Mon 10:00-16:00 Etc/Unknown": {zone_hint}"#),
        ),
        (
            "Mon 10:00-16:00 +08:00",
            format!(r#"unknown time zone "+08:00" in "Mon 10:00-16:00 +08:00": {zone_hint}"#),
        ),
        (
            "Mon\u{1b}[31m 10:00-16:00 UTC",
            r#"unknown day "Mon\u{1b}[31m" in "Mon\u{1b}[31m 10:00-16:00 UTC": use Mon, Tue, Wed, Thu, Fri, Sat, Sun"#.to_string(),
        ),
    ];
    for (input, message) in cases {
        let err = input
            .parse::<ReleaseWindow>()
            .expect_err(&format!("{input:?} should not parse"));
        assert_eq!(err.to_string(), message, "for {input:?}");
    }
}

#[test]
fn a_very_long_bad_window_gives_a_bounded_message() {
    let input = format!("{} 10:00-16:00 UTC", "x".repeat(100_000));
    let err = input.parse::<ReleaseWindow>().expect_err("not a day");
    assert!(err.to_string().chars().count() < 400, "{err}");
}

#[test]
fn a_window_is_a_clap_value_parser_type() {
    // What clap's `value_parser!` asks of a `FromStr` type.
    fn usable<T>()
    where
        T: std::str::FromStr + Clone + Send + Sync + 'static,
        T::Err: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
    }
    usable::<ReleaseWindow>();
}

#[test]
fn windows_serialize_as_their_canonical_strings() {
    let ws = windows(&["mon-thu 10:00-16:00 asia/shanghai", "Sat 22:00-00:00 UTC"]);
    let json = serde_json::to_string(&ws).expect("serializes");
    assert_eq!(
        json,
        r#"["Mon-Thu 10:00-16:00 Asia/Shanghai","Sat 22:00-00:00 UTC"]"#
    );
    let back: ReleaseWindows = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, ws);

    let err = serde_json::from_str::<ReleaseWindows>(r#"["Thurs 10:00-16:00 UTC"]"#)
        .expect_err("a bad day");
    assert_eq!(
        err.to_string(),
        r#"unknown day "Thurs" in "Thurs 10:00-16:00 UTC": use Mon, Tue, Wed, Thu, Fri, Sat, Sun at line 1 column 25"#
    );
}

#[test]
fn no_windows_means_always_open() {
    let ws = ReleaseWindows::default();
    assert!(ws.is_empty());
    assert!(ws.is_open(at("2026-06-06T03:00:00Z")));
    assert_eq!(ws.next_open(at("2026-06-06T03:00:00Z")), None);
    assert_eq!(ws.deferral(at("2026-06-06T03:00:00Z")), None);
}

#[test]
fn a_window_is_open_from_its_start_up_to_its_end_in_its_zone() {
    // Tuesday 2026-12-01 in Shanghai (+08:00): 10:00 is 02:00Z, 16:00 is 08:00Z.
    let ws = windows(&["Mon-Thu 10:00-16:00 Asia/Shanghai"]);
    check(
        &ws,
        &[
            ("2026-12-01T01:59:59Z", false),
            ("2026-12-01T02:00:00Z", true),
            ("2026-12-01T07:59:59.999999999Z", true),
            ("2026-12-01T08:00:00Z", false),
            // Friday 10:00 in Shanghai.
            ("2026-12-04T02:00:00Z", false),
        ],
    );
    assert_eq!(
        next(&ws, "2026-11-30T12:00:00Z").as_deref(),
        Some("2026-12-01T10:00:00+08:00[Asia/Shanghai]")
    );
    assert_eq!(next(&ws, "2026-12-01T03:00:00Z"), None);
}

#[test]
fn deferral_names_the_next_opening_on_the_window_clock() {
    let ws = windows(&["Mon-Thu 10:00-16:00 Asia/Shanghai"]);
    assert_eq!(
        ws.deferral(at("2026-11-30T12:00:00Z")),
        Some(Deferral {
            until: at("2026-12-01T02:00:00Z"),
            text: "outside the release window; next opens 2026-12-01 10:00 +08:00".to_string(),
        })
    );
    assert_eq!(ws.deferral(at("2026-12-01T02:00:00Z")), None);

    let west = windows(&["Mon 09:30-10:00 America/New_York"]);
    assert_eq!(
        west.deferral(at("2026-06-06T12:00:00Z")).map(|d| d.text),
        Some("outside the release window; next opens 2026-06-08 09:30 -04:00".to_string())
    );
}

#[test]
fn a_window_crossing_midnight_ends_on_the_next_day() {
    let ws = windows(&["Fri 22:00-02:00 UTC"]);
    check(
        &ws,
        &[
            // Friday 2026-06-05.
            ("2026-06-05T21:59:59Z", false),
            ("2026-06-05T22:00:00Z", true),
            ("2026-06-06T01:59:59Z", true),
            ("2026-06-06T02:00:00Z", false),
            // Saturday night is not a listed start day; Thursday night neither.
            ("2026-06-06T23:00:00Z", false),
            ("2026-06-04T23:00:00Z", false),
            ("2026-06-05T01:00:00Z", false),
        ],
    );
    assert_eq!(
        next(&ws, "2026-06-06T02:00:00Z").as_deref(),
        Some("2026-06-12T22:00:00+00:00[UTC]")
    );
}

#[test]
fn a_window_ending_at_midnight_closes_as_the_next_day_starts() {
    let ws = windows(&["Sat 22:00-00:00 UTC"]);
    check(
        &ws,
        &[
            ("2026-06-06T21:59:59Z", false),
            ("2026-06-06T22:00:00Z", true),
            ("2026-06-06T23:59:59.999999999Z", true),
            ("2026-06-07T00:00:00Z", false),
        ],
    );
    assert_eq!(
        next(&ws, "2026-06-07T00:00:00Z").as_deref(),
        Some("2026-06-13T22:00:00+00:00[UTC]")
    );
}

#[test]
fn the_day_is_read_in_the_window_zone_not_in_utc() {
    // Saturday 2026-06-06 20:00Z is Sunday 04:00 in Shanghai.
    let shanghai = windows(&["Sun 00:00-12:00 Asia/Shanghai"]);
    let utc = windows(&["Sun 00:00-12:00 UTC"]);
    check(
        &shanghai,
        &[
            ("2026-06-06T15:59:59Z", false),
            ("2026-06-06T16:00:00Z", true),
            ("2026-06-06T20:00:00Z", true),
            ("2026-06-07T03:59:59Z", true),
            ("2026-06-07T04:00:00Z", false),
            ("2026-06-07T08:00:00Z", false),
        ],
    );
    check(
        &utc,
        &[
            ("2026-06-06T20:00:00Z", false),
            ("2026-06-07T08:00:00Z", true),
        ],
    );
    assert_eq!(
        next(&utc, "2026-06-06T20:00:00Z").as_deref(),
        Some("2026-06-07T00:00:00+00:00[UTC]")
    );
}

#[test]
fn a_union_is_open_when_any_window_is_and_next_opens_at_the_earliest() {
    // Monday 2026-06-08: Shanghai 10:00-12:00 is 02:00Z-04:00Z; Berlin (+02:00) 09:00-11:00 is
    // 07:00Z-09:00Z.
    let ws = windows(&[
        "Mon-Fri 09:00-11:00 Europe/Berlin",
        "Mon-Fri 10:00-12:00 Asia/Shanghai",
    ]);
    check(
        &ws,
        &[
            ("2026-06-08T01:59:59Z", false),
            ("2026-06-08T02:00:00Z", true),
            ("2026-06-08T04:00:00Z", false),
            ("2026-06-08T07:00:00Z", true),
            ("2026-06-08T09:00:00Z", false),
        ],
    );
    assert_eq!(
        next(&ws, "2026-06-08T01:00:00Z").as_deref(),
        Some("2026-06-08T10:00:00+08:00[Asia/Shanghai]")
    );
    assert_eq!(
        next(&ws, "2026-06-08T05:00:00Z").as_deref(),
        Some("2026-06-08T09:00:00+02:00[Europe/Berlin]")
    );
    // Friday evening: both skip the weekend, Shanghai's Monday comes first.
    assert_eq!(
        next(&ws, "2026-06-12T12:00:00Z").as_deref(),
        Some("2026-06-15T10:00:00+08:00[Asia/Shanghai]")
    );

    // Overlapping windows: one open, the union open, nothing deferred.
    let overlap = windows(&["Mon 10:00-12:00 UTC", "Mon 11:00-13:00 UTC"]);
    check(
        &overlap,
        &[
            ("2026-06-08T11:30:00Z", true),
            ("2026-06-08T12:30:00Z", true),
            ("2026-06-08T13:00:00Z", false),
        ],
    );
    // Two windows opening at one instant: the first listed gives the zone.
    let same = windows(&["Mon 10:00-12:00 Asia/Shanghai", "Mon 02:00-03:00 UTC"]);
    assert_eq!(
        next(&same, "2026-06-08T01:00:00Z").as_deref(),
        Some("2026-06-08T10:00:00+08:00[Asia/Shanghai]")
    );
}

#[test]
fn next_open_skips_a_whole_week_when_today_has_passed() {
    // Wednesday 2026-06-10.
    let ws = windows(&["Wed 10:00-11:00 UTC"]);
    assert_eq!(
        next(&ws, "2026-06-10T11:00:00Z").as_deref(),
        Some("2026-06-17T10:00:00+00:00[UTC]")
    );
    assert_eq!(
        next(&ws, "2026-06-10T09:59:59Z").as_deref(),
        Some("2026-06-10T10:00:00+00:00[UTC]")
    );
    assert_eq!(
        ws.deferral(at("2026-06-10T11:00:00Z")).map(|d| d.until),
        Some(at("2026-06-17T10:00:00Z"))
    );
}

#[test]
fn a_start_in_a_spring_forward_gap_moves_forward_by_the_gap() {
    // Europe/Berlin, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z).
    let ws = windows(&["Sun 02:30-05:00 Europe/Berlin"]);
    check(
        &ws,
        &[
            ("2026-03-29T01:29:59Z", false),
            ("2026-03-29T01:30:00Z", true),
            ("2026-03-29T02:59:59Z", true),
            ("2026-03-29T03:00:00Z", false),
        ],
    );
    assert_eq!(
        ws.deferral(at("2026-03-28T12:00:00Z")).map(|d| d.text),
        Some("outside the release window; next opens 2026-03-29 03:30 +02:00".to_string())
    );
    // The next Sunday is an ordinary day again.
    assert_eq!(
        next(&ws, "2026-03-29T03:00:00Z").as_deref(),
        Some("2026-04-05T02:30:00+02:00[Europe/Berlin]")
    );
}

#[test]
fn a_window_wholly_in_a_gap_does_not_open_that_day() {
    let ws = windows(&["Sun 02:00-03:00 Europe/Berlin"]);
    check(
        &ws,
        &[
            ("2026-03-29T00:59:59Z", false),
            ("2026-03-29T01:00:00Z", false),
            ("2026-03-29T01:30:00Z", false),
            // A week before, an ordinary Sunday (CET): 01:00Z-02:00Z.
            ("2026-03-22T01:30:00Z", true),
        ],
    );
    assert_eq!(
        next(&ws, "2026-03-28T12:00:00Z").as_deref(),
        Some("2026-04-05T02:00:00+02:00[Europe/Berlin]")
    );
}

#[test]
fn a_window_crossing_midnight_into_a_spring_forward_night() {
    let into_gap = windows(&["Sat 22:00-02:30 Europe/Berlin"]);
    // Opens Saturday 22:00 CET (21:00Z); 02:30 Sunday does not exist and reads as 03:30 CEST
    // (01:30Z).
    check(
        &into_gap,
        &[
            ("2026-03-28T20:59:59Z", false),
            ("2026-03-28T21:00:00Z", true),
            ("2026-03-29T01:29:59Z", true),
            ("2026-03-29T01:30:00Z", false),
        ],
    );
    // Ending after the gap: 03:00 CEST is 01:00Z, two real hours after 23:00 CET.
    let across = windows(&["Sat 23:00-03:00 Europe/Berlin"]);
    check(
        &across,
        &[
            ("2026-03-28T22:00:00Z", true),
            ("2026-03-29T00:59:59Z", true),
            ("2026-03-29T01:00:00Z", false),
        ],
    );
}

#[test]
fn a_boundary_in_a_fall_back_fold_is_its_first_pass() {
    // Europe/Berlin, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z), so 02:00-03:00
    // is seen twice.
    let ending = windows(&["Sun 01:00-02:30 Europe/Berlin"]);
    check(
        &ending,
        &[
            ("2026-10-24T22:59:59Z", false),
            ("2026-10-24T23:00:00Z", true),
            ("2026-10-25T00:29:59Z", true),
            // 02:30 CEST, the first pass: closed.
            ("2026-10-25T00:30:00Z", false),
            // 02:15 CET, the second pass: still closed.
            ("2026-10-25T01:15:00Z", false),
        ],
    );
    assert_eq!(
        next(&ending, "2026-10-25T00:30:00Z").as_deref(),
        Some("2026-11-01T01:00:00+01:00[Europe/Berlin]")
    );

    let starting = windows(&["Sun 02:30-04:00 Europe/Berlin"]);
    check(
        &starting,
        &[
            ("2026-10-25T00:29:59Z", false),
            ("2026-10-25T00:30:00Z", true),
            ("2026-10-25T01:45:00Z", true),
            ("2026-10-25T02:59:59Z", true),
            ("2026-10-25T03:00:00Z", false),
        ],
    );
    assert_eq!(
        ending
            .deferral(at("2026-10-24T12:00:00Z"))
            .map(|d| (d.until, d.text)),
        Some((
            at("2026-10-24T23:00:00Z"),
            "outside the release window; next opens 2026-10-25 01:00 +02:00".to_string()
        ))
    );
    assert_eq!(
        starting
            .deferral(at("2026-10-24T12:00:00Z"))
            .map(|d| d.text),
        Some("outside the release window; next opens 2026-10-25 02:30 +02:00".to_string())
    );

    // Crossing midnight into the fold: Saturday 23:00 CEST (21:00Z) to the first 02:30
    // (00:30Z).
    let across = windows(&["Sat 23:00-02:30 Europe/Berlin"]);
    check(
        &across,
        &[
            ("2026-10-24T21:00:00Z", true),
            ("2026-10-25T00:29:59Z", true),
            ("2026-10-25T00:30:00Z", false),
            ("2026-10-25T01:30:00Z", false),
        ],
    );
}

#[test]
fn new_york_transitions_follow_the_same_rules() {
    // Sunday 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z); 02:15-02:45 reads as
    // 03:15-03:45 EDT.
    let spring = windows(&["Sun 02:15-02:45 America/New_York"]);
    check(
        &spring,
        &[
            ("2026-03-08T07:14:59Z", false),
            ("2026-03-08T07:15:00Z", true),
            ("2026-03-08T07:44:59Z", true),
            ("2026-03-08T07:45:00Z", false),
        ],
    );
    assert_eq!(
        spring.deferral(at("2026-03-07T12:00:00Z")).map(|d| d.text),
        Some("outside the release window; next opens 2026-03-08 03:15 -04:00".to_string())
    );

    // Sunday 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z). 01:30 is the first pass
    // (05:30Z) and 02:00 happens once (07:00Z): open for an hour and a half, including the
    // second pass through 01:00-01:30.
    let autumn = windows(&["Sun 01:30-02:00 America/New_York"]);
    check(
        &autumn,
        &[
            ("2026-11-01T05:29:59Z", false),
            ("2026-11-01T05:30:00Z", true),
            ("2026-11-01T06:15:00Z", true),
            ("2026-11-01T06:59:59Z", true),
            ("2026-11-01T07:00:00Z", false),
        ],
    );
}

#[test]
fn the_far_ends_of_the_time_line_do_not_panic() {
    let ws = windows(&[
        "Mon-Sun 10:00-16:00 Pacific/Kiritimati",
        "Wed 23:00-01:00 Etc/GMT+12",
    ]);
    for now in [Timestamp::MIN, Timestamp::MAX] {
        let _ = ws.is_open(now);
        let _ = ws.next_open(now);
        let _ = ws.deferral(now);
    }
    // The next Monday is past the last representable instant (9999-12-30T22:00Z).
    let closed = windows(&["Mon 10:00-11:00 UTC"]);
    assert_eq!(
        closed.deferral(at("9999-12-30T12:00:00Z")),
        Some(Deferral {
            until: Timestamp::MAX,
            text: "outside the release window; no window opens in the next 366 days".to_string(),
        })
    );
}

const ZONES: [&str; 10] = [
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "America/Havana",
    "Asia/Beirut",
    "America/Santiago",
];

fn arb_window() -> impl Strategy<Value = ReleaseWindow> {
    (
        1u8..=0b111_1111,
        // Half the starts in the small hours, where most zones change their clocks.
        prop_oneof![0u32..24 * 60, 0u32..4 * 60],
        prop_oneof![1u32..24 * 60, 1u32..3 * 60],
        0..ZONES.len(),
    )
        .prop_map(|(mask, start, length, zone)| {
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let days: Vec<&str> = (0..7)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| names[i])
                .collect();
            let end = (start + length) % (24 * 60);
            let text = format!(
                "{} {:02}:{:02}-{:02}:{:02} {}",
                days.join(","),
                start / 60,
                start % 60,
                end / 60,
                end % 60,
                ZONES[zone]
            );
            window(&text)
        })
}

/// An instant between 2000 and 2100, to the second.
fn arb_instant() -> impl Strategy<Value = Timestamp> {
    (946_684_800i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).expect("in range"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn next_open_is_closed_before_and_open_at(
        ws in prop::collection::vec(arb_window(), 1..4),
        now in arb_instant(),
        near_transition in any::<bool>(),
        shift in -36 * 3600i64..36 * 3600,
    ) {
        // Half the instants within a day and a half of a clock change of the first window's
        // zone, so that gaps and folds are met often.
        let now = match ws[0].time_zone().following(now).next() {
            Some(change) if near_transition => change
                .timestamp()
                .checked_add(jiff::SignedDuration::from_secs(shift))
                .expect("in range"),
            _ => now,
        };
        let ws = ReleaseWindows(ws);
        match ws.next_open(now) {
            Some(opens) => {
                let opens = opens.timestamp();
                prop_assert!(!ws.is_open(now));
                prop_assert!(opens > now);
                prop_assert!(ws.is_open(opens));
                // Nothing opened in between: a nanosecond earlier is still closed.
                let before = opens.checked_sub(jiff::SignedDuration::from_nanos(1)).expect("in range");
                prop_assert!(!ws.is_open(before));
                let deferral = ws.deferral(now).expect("closed");
                prop_assert_eq!(deferral.until, opens);
            }
            None => {
                prop_assert!(ws.is_open(now));
                prop_assert_eq!(ws.deferral(now), None);
            }
        }
    }

    #[test]
    fn canonical_text_parses_back_to_the_same_window(w in arb_window()) {
        let text = w.to_string();
        prop_assert_eq!(window(&text), w);
    }

    #[test]
    fn without_daylight_saving_openness_is_a_wall_clock_check(
        mask in 1u8..=0b111_1111,
        start in 0i32..24 * 60,
        length in 1i32..24 * 60,
        zone in prop::sample::select(vec!["UTC", "Asia/Shanghai", "Asia/Kathmandu"]),
        now in arb_instant(),
    ) {
        let end = (start + length) % (24 * 60);
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let days: Vec<&str> = (0..7).filter(|i| mask & (1 << i) != 0).map(|i| names[i]).collect();
        let w = window(&format!(
            "{} {:02}:{:02}-{:02}:{:02} {zone}",
            days.join(","), start / 60, start % 60, end / 60, end % 60
        ));
        let local = w.time_zone().to_datetime(now);
        let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
        let today = mask & (1 << local.weekday().to_monday_zero_offset()) != 0;
        let yesterday = mask & (1 << local.weekday().previous().to_monday_zero_offset()) != 0;
        let expected = if start < end {
            today && start <= minute && minute < end
        } else {
            (today && minute >= start) || (yesterday && minute < end)
        };
        prop_assert_eq!(w.is_open(now), expected, "{} at {}", w, now);
    }
}
