//! Release windows: the weekly hours in which releases may run, such as
//! `Mon-Thu 10:00-16:00 Asia/Shanghai`, and the answers "open now?" and "when next?".
//!
//! Pure: no clock reads and no I/O; every question takes `now`, so callers inject the clock. Time
//! zones come from the IANA database bundled into the binary, so the answers are the same on every
//! machine whatever its tzdata. This module decides only whether and until when; flags and plan
//! wiring belong to their callers.
//!
//! # Grammar
//!
//! ```text
//! window = days " " times " " zone
//! days   = item *("," item)            ; Mon,Wed,Fri — entries may also be ranges: Mon-Wed,Fri
//! item   = day / day "-" day           ; a range runs forward and may wrap: Fri-Mon = Fri,Sat,Sun,Mon
//! day    = Mon / Tue / Wed / Thu / Fri / Sat / Sun        ; any letter case
//! times  = time "-" time               ; start and end must differ
//! time   = 1*2DIGIT ":" 2DIGIT         ; 00:00 to 23:59; midnight is 00:00 (there is no 24:00)
//! zone   = an IANA time zone name, or UTC                  ; any letter case
//! ```
//!
//! Spaces around `-` and `,` are ignored (`Mon - Thu`, `Mon, Wed`). A range naming one day
//! twice (`Mon-Mon`) is an error: write `Mon` for one day or `Mon-Sun` for all seven.
//! [`Display`](std::fmt::Display) writes the canonical form, which parses back to an equal
//! window: day names in title case, consecutive days folded into ranges (`Mon,Tue,Wed` becomes
//! `Mon-Wed`, every day is `Mon-Sun`), times as `HH:MM` and the zone's IANA spelling
//! (`asia/shanghai` becomes `Asia/Shanghai`). Serde reads and writes a window as that string.
//!
//! # Semantics
//!
//! Each listed day `D` has one *occurrence*: the instants from `D` at the start time up to, and
//! not including, the end time, both read on the zone's wall clock. When the end is not after
//! the start the occurrence crosses midnight and ends on the next day: `Fri 22:00-02:00` runs
//! from Friday 22:00 to Saturday 02:00, and `Sat 22:00-00:00` up to the midnight that starts
//! Sunday. Days and times are read in the window's own zone, not in UTC: `Sun 00:00-12:00
//! Asia/Shanghai` is open at Saturday 20:00 UTC, which is already Sunday 04:00 in Shanghai.
//!
//! [`ReleaseWindows`] is a union: releases may run when any window is open, and an empty list
//! means always open.
//!
//! # Daylight-saving time
//!
//! A wall-clock boundary that does not exist or exists twice on a day is resolved with jiff's
//! *compatible* disambiguation (the behaviour of RFC 5545 and Temporal):
//!
//! - in a gap (clocks jump forward) the time is moved forward by the gap's length: in
//!   Europe/Berlin on 2026-03-29, `02:30` is read as `03:30 +02:00`, so `Sun 02:30-05:00`
//!   opens at 03:30 that day;
//! - in a fold (clocks go back) the earlier of the two instants is taken: in Europe/Berlin on
//!   2026-10-25, `02:30` is `02:30 +02:00`, the first pass, so `Sun 01:00-02:30` closes an
//!   hour before the wall clock shows 02:30 for the second time, and `Sun 02:30-04:00` lasts
//!   two and a half hours.
//!
//! Boundaries that do exist are taken as they are, so an occurrence spanning a clock change is
//! an hour shorter or longer than its wall-clock length: `Sat 23:00-03:00 Europe/Berlin` is open
//! for two real hours on the night of 2026-03-29.
//!
//! An occurrence whose resolved start is not before its resolved end (a window lying wholly in
//! a gap, such as `Sun 02:00-03:00` in Berlin on 2026-03-29) does not open that day;
//! [`ReleaseWindows::next_open`] skips it. Occurrences are therefore simply intervals of
//! instants, which keeps the invariant that matters to a scheduler: when
//! [`ReleaseWindows::next_open`] answers `t`, the windows are closed now and open at `t`.
//!
//! # Example
//!
//! ```
//! use mnpsync::window::{ReleaseWindow, ReleaseWindows};
//!
//! let window: ReleaseWindow = "mon-thu 10:00-16:00 asia/shanghai".parse()?;
//! assert_eq!(window.to_string(), "Mon-Thu 10:00-16:00 Asia/Shanghai");
//! let windows = ReleaseWindows(vec![window]);
//!
//! // Monday 2026-11-30, 20:00 in Shanghai: closed until Tuesday 10:00.
//! let now: jiff::Timestamp = "2026-11-30T12:00:00Z".parse()?;
//! assert!(!windows.is_open(now));
//! let deferral = windows.deferral(now).expect("closed now");
//! assert_eq!(deferral.until, "2026-12-01T02:00:00Z".parse()?);
//! assert_eq!(
//!     deferral.text,
//!     "outside the release window; next opens 2026-12-01 10:00 +08:00"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod parse;
#[cfg(test)]
mod tests;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

pub use parse::WindowError;

/// How many days past `now` [`ReleaseWindows::next_open`] looks for an opening.
///
/// Every listed weekday recurs weekly and a gap swallows at most one occurrence, so a real
/// window opens well within this; the bound only keeps the search finite at the ends of the
/// time line.
pub const HORIZON_DAYS: usize = 366;

/// One weekly window: a set of weekdays, a start and end time and the zone they are read in.
///
/// Build one by parsing (see the [module docs](self) for the grammar); it prints back in
/// canonical form and (de)serializes as that string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseWindow {
    days: Days,
    start: Time,
    end: Time,
    zone: TimeZone,
    /// The zone's IANA spelling, as [`Display`](std::fmt::Display) writes it.
    zone_name: String,
}

/// The set of weekdays a window starts on: bit `i` is the day `i` days after Monday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Days(u8);

impl Days {
    fn bit(index: usize) -> u8 {
        1 << (index % 7)
    }

    fn contains_index(self, index: usize) -> bool {
        self.0 & Self::bit(index) != 0
    }

    fn contains(self, day: Weekday) -> bool {
        // A Monday-zero offset is always 0..=6.
        self.contains_index(usize::from(day.to_monday_zero_offset().unsigned_abs()))
    }
}

impl ReleaseWindow {
    /// The weekdays on which an occurrence starts, Monday first.
    pub fn days(&self) -> Vec<Weekday> {
        let mut day = Weekday::Monday;
        let mut out = Vec::with_capacity(7);
        for _ in 0..7 {
            if self.days.contains(day) {
                out.push(day);
            }
            day = day.next();
        }
        out
    }

    /// The wall-clock time at which an occurrence opens.
    pub fn start(&self) -> Time {
        self.start
    }

    /// The wall-clock time at which an occurrence closes; not after [`start`](Self::start)
    /// means on the next day.
    pub fn end(&self) -> Time {
        self.end
    }

    /// The zone the days and times are read in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether `now` falls inside one of this window's occurrences.
    pub fn is_open(&self, now: Timestamp) -> bool {
        // An occurrence starts on its own local date (or, past a gap, a little later), so only
        // the dates around `now`'s local date can hold it; two before and one after also cover
        // a fold or a gap that crosses midnight.
        self.dates_from(now)
            .take(4)
            .filter_map(|date| self.occurrence(date))
            .any(|(open, close)| open <= now && now < close)
    }

    /// The earliest opening strictly after `now`, within [`HORIZON_DAYS`].
    fn first_open_after(&self, now: Timestamp) -> Option<Timestamp> {
        let mut best: Option<Timestamp> = None;
        let mut found_at = None;
        for (index, date) in self.dates_from(now).take(HORIZON_DAYS + 3).enumerate() {
            if let Some((open, _)) = self.occurrence(date)
                && open > now
            {
                best = Some(best.map_or(open, |b| b.min(open)));
                found_at.get_or_insert(index);
            }
            // Openings follow their dates except across a fold or gap at midnight; two more
            // dates settle which of the neighbours is first.
            if found_at.is_some_and(|first| index >= first + 2) {
                break;
            }
        }
        best
    }

    /// Local dates in this window's zone, from two days before `now`'s local date on.
    fn dates_from(&self, now: Timestamp) -> impl Iterator<Item = Date> {
        let local = self.zone.to_datetime(now).date();
        let first = local.yesterday().and_then(Date::yesterday).unwrap_or(local);
        std::iter::successors(Some(first), |date| date.tomorrow().ok())
    }

    /// The occurrence that starts on local date `date`, as `[open, close)`; `None` when `date`
    /// is not a listed day or the occurrence is empty (see the module docs on gaps).
    fn occurrence(&self, date: Date) -> Option<(Timestamp, Timestamp)> {
        if !self.days.contains(date.weekday()) {
            return None;
        }
        let close_date = if self.end > self.start {
            date
        } else {
            date.tomorrow().ok()?
        };
        let open = self.resolve(date, self.start)?;
        let close = self.resolve(close_date, self.end)?;
        (open < close).then_some((open, close))
    }

    /// The instant of a wall-clock time, with compatible disambiguation; `None` only at the
    /// ends of the representable time line.
    fn resolve(&self, date: Date, time: Time) -> Option<Timestamp> {
        self.zone
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .ok()
    }
}

/// A union of release windows: releases may run while any one is open.
///
/// An empty union means "always open": no window was configured. Serde reads and writes it as
/// a list of canonical window strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReleaseWindows(pub Vec<ReleaseWindow>);

/// Why releases wait, and until when; see [`ReleaseWindows::deferral`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deferral {
    /// When the next window opens; [`Timestamp::MAX`] when none opens within
    /// [`HORIZON_DAYS`].
    pub until: Timestamp,
    /// For a plan, e.g. `outside the release window; next opens 2026-12-01 10:00 +08:00`.
    pub text: String,
}

impl ReleaseWindows {
    /// Whether no window is configured (releases are never deferred).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether releases may run at `now`: some window is open, or there are none.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.0.is_empty() || self.0.iter().any(|w| w.is_open(now))
    }

    /// When the next window opens, in that window's zone.
    ///
    /// `None` when releases may run now (a window is open, or there are none) and when no
    /// window opens within [`HORIZON_DAYS`]. When two windows open at the same instant the one
    /// listed first gives the zone. The answer is always an instant at which
    /// [`is_open`](Self::is_open) is true, with every instant from `now` up to it closed.
    pub fn next_open(&self, now: Timestamp) -> Option<ZonedDateTime> {
        if self.is_open(now) {
            return None;
        }
        self.0
            .iter()
            .filter_map(|w| w.first_open_after(now).map(|at| (at, w)))
            .min_by_key(|(at, _)| *at)
            .map(|(at, w)| at.to_zoned_datetime(w.zone.clone()))
    }

    /// Why releases must wait at `now`, or `None` when they may run.
    ///
    /// The text names the next opening as `YYYY-MM-DD HH:MM ±HH:MM` on the wall clock of the
    /// window that opens it: `outside the release window; next opens 2026-12-01 10:00 +08:00`.
    pub fn deferral(&self, now: Timestamp) -> Option<Deferral> {
        if self.is_open(now) {
            return None;
        }
        Some(match self.next_open(now) {
            Some(at) => Deferral {
                until: at.timestamp(),
                text: format!("outside the release window; next opens {}", stamp(&at)),
            },
            None => Deferral {
                until: Timestamp::MAX,
                text: format!(
                    "outside the release window; no window opens in the next {HORIZON_DAYS} days"
                ),
            },
        })
    }
}

impl From<Vec<ReleaseWindow>> for ReleaseWindows {
    fn from(windows: Vec<ReleaseWindow>) -> Self {
        ReleaseWindows(windows)
    }
}

impl FromIterator<ReleaseWindow> for ReleaseWindows {
    fn from_iter<I: IntoIterator<Item = ReleaseWindow>>(iter: I) -> Self {
        ReleaseWindows(iter.into_iter().collect())
    }
}

/// `YYYY-MM-DD HH:MM ±HH:MM`: minutes, because windows are set in minutes, and the offset
/// rather than the zone name, because that is what a reader compares with their own clock.
fn stamp(at: &ZonedDateTime) -> String {
    let offset = at.offset().seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} {sign}{:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        offset / 3600,
        offset % 3600 / 60,
    )
}
