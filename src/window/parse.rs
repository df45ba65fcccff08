//! The window grammar: text to [`ReleaseWindow`] and back to canonical text, with errors that
//! quote the bad part and say what is expected.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::Time;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Days, ReleaseWindow};
use crate::text::{MAX_CELL, clip};

/// The bundled copy, never the machine's: a window means the same thing on every machine.
static TZDB: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// Day names, Monday first, as the grammar spells them.
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const FORM: &str = "DAYS HH:MM-HH:MM ZONE";
const EXAMPLE: &str = "Mon-Thu 10:00-16:00 Asia/Shanghai";

/// A release window that does not parse; every message quotes the bad part and the whole
/// window (both clipped and with control characters escaped).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("empty release window: expected {form}, e.g. \"{example}\"", form = FORM, example = EXAMPLE)]
    Empty,
    #[error("incomplete release window \"{input}\": expected {form}, e.g. \"{example}\"", form = FORM, example = EXAMPLE)]
    Incomplete { input: String },
    #[error(
        "release window \"{input}\" has {parts} parts: expected {form} (list days with commas, \
         no spaces), e.g. \"{example}\"",
        form = FORM,
        example = EXAMPLE
    )]
    TooManyParts { input: String, parts: usize },
    #[error("unknown day \"{day}\" in \"{input}\": use Mon, Tue, Wed, Thu, Fri, Sat, Sun")]
    UnknownDay { day: String, input: String },
    #[error(
        "days \"{days}\" in \"{input}\" have an empty entry: write one day (Mon), a range \
         (Mon-Thu) or a list (Mon,Wed,Fri)"
    )]
    EmptyDayEntry { days: String, input: String },
    #[error("day range \"{range}\" in \"{input}\": expected FIRST-LAST, e.g. Mon-Thu or Fri-Mon")]
    BadDayRange { range: String, input: String },
    #[error(
        "day range \"{range}\" in \"{input}\" starts and ends on the same day: write {day} for \
         one day or Mon-Sun for every day"
    )]
    SameDayRange {
        range: String,
        day: String,
        input: String,
    },
    #[error("bad time range \"{range}\" in \"{input}\": expected HH:MM-HH:MM, e.g. 10:00-16:00")]
    BadTimeRange { range: String, input: String },
    #[error("bad time \"{time}\" in \"{input}\": expected HH:MM on a 24-hour clock, e.g. 09:30")]
    BadTime { time: String, input: String },
    #[error(
        "time \"{time}\" in \"{input}\": hour {hour} is out of range 00-23 (midnight is 00:00)"
    )]
    HourOutOfRange {
        time: String,
        hour: i8,
        input: String,
    },
    #[error("time \"{time}\" in \"{input}\": minute {minute} is out of range 00-59")]
    MinuteOutOfRange {
        time: String,
        minute: i8,
        input: String,
    },
    #[error(
        "time range \"{range}\" in \"{input}\" starts and ends at the same time: a window needs \
         two different times (22:00-02:00 crosses midnight)"
    )]
    EmptyTimeRange { range: String, input: String },
    #[error("unknown time zone \"{zone}\" in \"{input}\": {hint}")]
    UnknownZone {
        zone: String,
        input: String,
        /// `did you mean "…"?`, or what to write instead.
        hint: String,
    },
}

impl FromStr for ReleaseWindow {
    type Err = WindowError;

    /// Parses `DAYS HH:MM-HH:MM ZONE`; see the [module docs](super) for the grammar.
    ///
    /// # Errors
    ///
    /// A [`WindowError`] naming the first bad part.
    fn from_str(s: &str) -> Result<Self, WindowError> {
        let input = clip(s.trim(), MAX_CELL);
        let parts = parts(s);
        let [days, times, zone] = parts.as_slice() else {
            return Err(match parts.len() {
                0 => WindowError::Empty,
                1 | 2 => WindowError::Incomplete { input },
                n => WindowError::TooManyParts { input, parts: n },
            });
        };
        let days = parse_days(days, &input)?;
        let (start, end) = parse_times(times, &input)?;
        let (zone, zone_name) = parse_zone(zone, &input)?;
        Ok(ReleaseWindow {
            days,
            start,
            end,
            zone,
            zone_name,
        })
    }
}

/// The whitespace-separated parts, with spaces next to `-` and `,` dropped, so that
/// `Mon - Thu` and `Mon, Wed` read as `Mon-Thu` and `Mon,Wed`.
fn parts(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for word in s.split_whitespace() {
        match parts.last_mut() {
            Some(last) if last.ends_with(['-', ',']) || word.starts_with(['-', ',']) => {
                last.push_str(word);
            }
            _ => parts.push(word.to_string()),
        }
    }
    parts
}

fn quote(part: &str) -> String {
    clip(part, MAX_CELL)
}

fn parse_days(text: &str, input: &str) -> Result<Days, WindowError> {
    let mut mask = 0u8;
    for entry in text.split(',') {
        if entry.is_empty() {
            return Err(WindowError::EmptyDayEntry {
                days: quote(text),
                input: input.to_string(),
            });
        }
        let Some((first, last)) = entry.split_once('-') else {
            mask |= Days::bit(parse_day(entry, input)?);
            continue;
        };
        if first.is_empty() || last.is_empty() || last.contains('-') {
            return Err(WindowError::BadDayRange {
                range: quote(entry),
                input: input.to_string(),
            });
        }
        let (first, last) = (parse_day(first, input)?, parse_day(last, input)?);
        if first == last {
            return Err(WindowError::SameDayRange {
                range: quote(entry),
                day: DAY_NAMES[first].to_string(),
                input: input.to_string(),
            });
        }
        // Forward from `first`, wrapping past Sunday: Fri-Mon is Fri, Sat, Sun, Mon.
        let span = (last + 7 - first) % 7;
        for step in 0..=span {
            mask |= Days::bit(first + step);
        }
    }
    Ok(Days(mask))
}

/// The Monday-zero index of a day name, in any letter case.
fn parse_day(word: &str, input: &str) -> Result<usize, WindowError> {
    DAY_NAMES
        .iter()
        .position(|name| name.eq_ignore_ascii_case(word))
        .ok_or_else(|| WindowError::UnknownDay {
            day: quote(word),
            input: input.to_string(),
        })
}

fn parse_times(text: &str, input: &str) -> Result<(Time, Time), WindowError> {
    let bad_range = || WindowError::BadTimeRange {
        range: quote(text),
        input: input.to_string(),
    };
    let (start, end) = text.split_once('-').ok_or_else(bad_range)?;
    if start.is_empty() || end.is_empty() || end.contains('-') {
        return Err(bad_range());
    }
    let (start, end) = (parse_time(start, input)?, parse_time(end, input)?);
    if start == end {
        return Err(WindowError::EmptyTimeRange {
            range: quote(text),
            input: input.to_string(),
        });
    }
    Ok((start, end))
}

/// `H:MM` or `HH:MM`, hours 00-23 and minutes 00-59.
fn parse_time(text: &str, input: &str) -> Result<Time, WindowError> {
    let bad = || WindowError::BadTime {
        time: quote(text),
        input: input.to_string(),
    };
    let (hour, minute) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, widths: std::ops::RangeInclusive<usize>| {
        widths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hour, 1..=2) || !digits(minute, 2..=2) {
        return Err(bad());
    }
    // At most two ASCII digits each, so these fit an i8.
    let (hour, minute): (i8, i8) = (
        hour.parse().map_err(|_| bad())?,
        minute.parse().map_err(|_| bad())?,
    );
    if hour > 23 {
        return Err(WindowError::HourOutOfRange {
            time: quote(text),
            hour,
            input: input.to_string(),
        });
    }
    if minute > 59 {
        return Err(WindowError::MinuteOutOfRange {
            time: quote(text),
            minute,
            input: input.to_string(),
        });
    }
    Time::new(hour, minute, 0, 0).map_err(|_| bad())
}

/// The zone and its IANA spelling, from the bundled database (any letter case).
fn parse_zone(name: &str, input: &str) -> Result<(TimeZone, String), WindowError> {
    let unknown = |hint: String| WindowError::UnknownZone {
        zone: quote(name),
        input: input.to_string(),
        hint,
    };
    match TZDB.get(name) {
        Ok(zone) if !zone.is_unknown() => {
            let spelling = zone.iana_name().unwrap_or(name).to_string();
            Ok((zone, spelling))
        }
        Ok(_) => Err(unknown(USE_ZONE.to_string())),
        Err(_) => Err(unknown(match closest_zone(name) {
            Some(suggestion) => format!("did you mean \"{suggestion}\"?"),
            None => USE_ZONE.to_string(),
        })),
    }
}

const USE_ZONE: &str = "use an IANA name such as Asia/Shanghai or Europe/Berlin, or UTC";

/// The bundled zone name closest to `word`, if it is close enough to be a likely typo.
///
/// Compares case-insensitively with the optimal-string-alignment distance, against the whole
/// name and against its last part (so `Shanghai` finds `Asia/Shanghai`), and accepts up to a
/// third of the longer word (at least one edit). Ties go to the alphabetically first name.
fn closest_zone(word: &str) -> Option<String> {
    let word = word.to_lowercase();
    let word_len = word.chars().count();
    // Beyond this no zone name can be within a third of the length.
    if word_len > 64 {
        return None;
    }
    let within = |candidate: &str| {
        let distance = strsim::osa_distance(&word, candidate);
        let limit = (word_len.max(candidate.chars().count()) / 3).max(1);
        (distance <= limit).then_some(distance)
    };
    TZDB.available()
        .filter_map(|name| {
            let name = name.as_str().to_string();
            let lower = name.to_lowercase();
            let last = lower.rsplit('/').next().unwrap_or(&lower);
            let distance = [within(&lower), within(last)].into_iter().flatten().min()?;
            Some((distance, name))
        })
        .min()
        .map(|(_, name)| name)
}

impl fmt::Display for ReleaseWindow {
    /// The canonical form: `Mon-Thu 10:00-16:00 Asia/Shanghai`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:02}:{:02}-{:02}:{:02} {}",
            days_text(self.days),
            self.start.hour(),
            self.start.minute(),
            self.end.hour(),
            self.end.minute(),
            self.zone_name
        )
    }
}

/// Days in canonical form: runs of consecutive days (wrapping past Sunday) as ranges, single
/// days by name, ordered by their first day.
fn days_text(days: Days) -> String {
    // Start scanning just after a missing day so that no run is cut in two.
    let Some(gap) = (0..7).find(|&i| !days.contains_index(i)) else {
        return "Mon-Sun".to_string();
    };
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (first day, length)
    let mut open = false;
    for step in 1..=7 {
        let day = (gap + step) % 7;
        if !days.contains_index(day) {
            open = false;
        } else if open && let Some((_, len)) = runs.last_mut() {
            *len += 1;
        } else {
            runs.push((day, 1));
            open = true;
        }
    }
    runs.sort_unstable();
    runs.iter()
        .map(|&(first, len)| match len {
            1 => DAY_NAMES[first].to_string(),
            _ => format!("{}-{}", DAY_NAMES[first], DAY_NAMES[(first + len - 1) % 7]),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Serialize for ReleaseWindow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReleaseWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
