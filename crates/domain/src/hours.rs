//! "Open now", computed in the region's time zone. The whole Kiamichi country (Oklahoma,
//! Northeast Texas, Southwest Arkansas) keeps US Central time, so the rule is written here
//! rather than shipping a time-zone database into every worker: UTC−6, and UTC−5 from the
//! second Sunday of March 02:00 to the first Sunday of November 02:00 (US rule since 2007).

use crate::FieldError;
use crate::directory::OpeningHours;
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400;

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of a day count since 1970-01-01.
fn year_of(days: i64) -> i64 {
    civil_from_days(days).0
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm; also xtask's UTC dates).
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The local calendar date (year, month, day) at `unix` in Central time.
pub fn local_date(unix: i64) -> (i64, u8, u8) {
    civil_from_days(local_day_number(unix))
}

/// The Central-time calendar day of `unix` as a count of days since 1970-01-01, for day
/// arithmetic ("the 30 days ending today"); [`civil_from_days`] turns it back into a date.
pub fn local_day_number(unix: i64) -> i64 {
    (unix + central_offset(unix)).div_euclid(DAY)
}

/// `2026-11-23`: the ISO 8601 date of a day count since 1970-01-01.
pub fn iso_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The unix time at which a day (count since 1970-01-01) begins in Central time. Midnight
/// always exists there: the clocks change at 02:00.
pub fn central_midnight(days: i64) -> i64 {
    let (year, month, day) = civil_from_days(days);
    central_to_unix(year, month, day, 0, 0)
}

/// 0 = Sunday for a day count since 1970-01-01 (a Thursday).
fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// The day count of the `nth` Sunday (1-based) of a month.
fn nth_sunday(year: i64, month: i64, nth: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    first + (7 - weekday(first)) % 7 + 7 * (nth - 1)
}

/// The unix time of a Central-time wall clock reading (`2026-12-01 09:30`). Inside the
/// autumn hour that happens twice, the first one.
pub fn central_to_unix(year: i64, month: u8, day: u8, hour: u8, minute: u8) -> i64 {
    let wall = days_from_civil(year, i64::from(month), i64::from(day)) * DAY
        + i64::from(hour) * 3600
        + i64::from(minute) * 60;
    // The offset at the wall time read as standard time decides; it differs from the right
    // one only inside the transition hours.
    wall - central_offset(wall + 6 * 3600)
}

/// Seconds to add to UTC for US Central time at `unix`.
pub fn central_offset(unix: i64) -> i64 {
    let year = year_of(unix.div_euclid(DAY));
    // Transitions happen at 02:00 local: 08:00 UTC in spring, 07:00 UTC in autumn.
    let dst_start = nth_sunday(year, 3, 2) * DAY + 8 * 3600;
    let dst_end = nth_sunday(year, 11, 1) * DAY + 7 * 3600;
    if (dst_start..dst_end).contains(&unix) {
        -5 * 3600
    } else {
        -6 * 3600
    }
}

/// The local weekday (0 = Sunday) and minute of the day at `unix` in Central time.
/// The English name of a weekday, 0 = Sunday (as stored in `business_hours.day`).
pub fn day_name(day: u8) -> &'static str {
    match day % 7 {
        0 => "Sunday",
        1 => "Monday",
        2 => "Tuesday",
        3 => "Wednesday",
        4 => "Thursday",
        5 => "Friday",
        _ => "Saturday",
    }
}

/// The English name of a month, 1 = January.
pub fn month_name(month: u8) -> &'static str {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    MONTHS
        .get(usize::from(month.saturating_sub(1)))
        .copied()
        .unwrap_or("December")
}

pub fn local_day_and_minute(unix: i64) -> (u8, u16) {
    let local = unix + central_offset(unix);
    let days = local.div_euclid(DAY);
    (weekday(days) as u8, (local.rem_euclid(DAY) / 60) as u16)
}

/// Whether a listing is open, and until when or from when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OpenState {
    /// Open; closes at this minute of the local day (may be past midnight, up to 2880).
    Open { closes_at: u16 },
    /// Closed; opens next on this weekday at this minute.
    Closed { opens_day: u8, opens_at: u16 },
    /// No hours are published.
    Unknown,
}

/// The open state of `hours` at `unix`.
pub fn open_state(hours: &[OpeningHours], unix: i64) -> OpenState {
    let (day, minute) = local_day_and_minute(unix);
    let now = u32::from(day) * 1440 + u32::from(minute);
    const WEEK: u32 = 7 * 1440;
    for interval in hours {
        let start = u32::from(interval.day) * 1440 + u32::from(interval.opens_at);
        let end = u32::from(interval.day) * 1440 + u32::from(interval.closes_at);
        // An interval running past Saturday midnight continues into Sunday.
        if (start..end).contains(&now) || (start..end).contains(&(now + WEEK)) {
            return OpenState::Open {
                closes_at: interval.closes_at,
            };
        }
    }
    let next = hours
        .iter()
        .map(|interval| {
            let start = u32::from(interval.day) * 1440 + u32::from(interval.opens_at);
            ((start + WEEK - now) % WEEK, interval)
        })
        .min_by_key(|(wait, _)| *wait)
        .map(|(_, interval)| interval);
    match next {
        Some(next) => OpenState::Closed {
            opens_day: next.day,
            opens_at: next.opens_at,
        },
        None => OpenState::Unknown,
    }
}

/// A dated exception to the weekly hours (a holiday, "closed this Friday"): that day's
/// intervals replace the weekday's; none means closed all day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    /// The local date, `YYYY-MM-DD`.
    pub day: String,
    /// `(opens_at, closes_at)` in minutes after that day's midnight (closing may pass it).
    pub spans: Vec<(u16, u16)>,
    pub note: String,
}

/// The most dated exceptions a listing keeps.
pub const MOST_SPECIAL_DAYS: usize = 60;

impl SpecialDay {
    /// A date, its hours as [`parse_day`] reads them (empty or `closed` = closed) and a short
    /// note, each problem named by its field.
    pub fn parse(date: &str, hours: &str, note: &str) -> Result<Self, Vec<FieldError>> {
        let mut problems = Vec::new();
        let day = day_number(date.trim());
        if day.is_none() {
            problems.push(FieldError::new(
                "special_day",
                "must be a date like 2026-12-25",
            ));
        }
        let weekday = day.map_or(0, |d| weekday(d) as u8);
        let spans = match parse_day("special_hours", weekday, hours) {
            Ok(hours) => hours.iter().map(|h| (h.opens_at, h.closes_at)).collect(),
            Err(problem) => {
                problems.push(problem);
                Vec::new()
            }
        };
        let note = note.trim();
        if note.chars().count() > 100 || note.chars().any(char::is_control) {
            problems.push(FieldError::new(
                "special_note",
                "must be one line of at most 100 characters",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            day: date.trim().to_owned(),
            spans,
            note: note.to_owned(),
        })
    }

    /// The hours as [`parse_day`] reads them back (`closed` when none).
    pub fn hours_text(&self) -> String {
        if self.spans.is_empty() {
            return "closed".into();
        }
        let clock = |m: u16| format!("{}:{:02}", (m % 1440) / 60, m % 60);
        self.spans
            .iter()
            .map(|(opens, closes)| format!("{}-{}", clock(*opens), clock(*closes)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "Thursday, December 24" for the page.
    pub fn label(&self) -> String {
        match day_number(&self.day) {
            Some(days) => {
                let (_, month, day) = civil_from_days(days);
                format!(
                    "{}, {} {day}",
                    day_name(weekday(days) as u8),
                    month_name(month)
                )
            }
            None => self.day.clone(),
        }
    }

    /// Whether the day is today or later at `unix`.
    pub fn is_upcoming(&self, unix: i64) -> bool {
        day_number(&self.day).is_some_and(|d| d >= (unix + central_offset(unix)).div_euclid(DAY))
    }
}

/// The day count since 1970-01-01 of a real `YYYY-MM-DD` date.
fn day_number(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let digits = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<i64>().ok())?
    };
    let (year, month, day) = (digits(year)?, digits(month)?, digits(day)?);
    let days = days_from_civil(year, month, day);
    let (y, m, d) = civil_from_days(days);
    (y == year && i64::from(m) == month && i64::from(d) == day).then_some(days)
}

/// [`open_state`] with dated exceptions: on a special day its spans replace the weekday's.
pub fn open_state_on(hours: &[OpeningHours], special: &[SpecialDay], unix: i64) -> OpenState {
    if special.is_empty() {
        return open_state(hours, unix);
    }
    let local = unix + central_offset(unix);
    let today = local.div_euclid(DAY);
    let now = local.rem_euclid(DAY) / 60;
    let mut next: Option<(i64, u8, u16)> = None;
    // Yesterday for a night running past midnight, then a week ahead for the next opening.
    for day in today - 1..=today + 7 {
        let spans: Vec<(u16, u16)> = match special.iter().find(|s| day_number(&s.day) == Some(day))
        {
            Some(special) => special.spans.clone(),
            None => hours
                .iter()
                .filter(|h| i64::from(h.day) == weekday(day))
                .map(|h| (h.opens_at, h.closes_at))
                .collect(),
        };
        for (opens, closes) in spans {
            let start = (day - today) * 1440 + i64::from(opens);
            let end = (day - today) * 1440 + i64::from(closes);
            if (start..end).contains(&now) {
                return OpenState::Open { closes_at: closes };
            }
            if start > now && next.is_none_or(|(first, _, _)| start < first) {
                next = Some((start, weekday(day) as u8, opens));
            }
        }
    }
    match next {
        Some((_, opens_day, opens_at)) => OpenState::Closed {
            opens_day,
            opens_at,
        },
        None => OpenState::Unknown,
    }
}

/// One day's opening hours as people type them: `8:00-12:00, 13:00-17:30` (24-hour clock,
/// split shifts separated by commas; a closing time before the opening one is after
/// midnight), or empty / `closed`.
pub fn parse_day(field: &str, day: u8, text: &str) -> Result<Vec<OpeningHours>, crate::FieldError> {
    let bad = || {
        crate::FieldError::new(
            field,
            "must look like 8:00-12:00, 13:00-17:30 (or be empty for closed)",
        )
    };
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    let mut hours = Vec::new();
    for interval in text.split(',') {
        let (opens, closes) = interval.split_once('-').ok_or_else(bad)?;
        let opens = minutes(opens).ok_or_else(bad)?;
        let mut closes = minutes(closes).ok_or_else(bad)?;
        if closes <= opens {
            closes += 1440;
        }
        hours.push(OpeningHours::new(day, opens, closes).map_err(|_| bad())?);
    }
    hours.sort_by_key(|h| h.opens_at);
    if hours
        .windows(2)
        .any(|pair| matches!(pair, [a, b] if b.opens_at < a.closes_at))
    {
        return Err(crate::FieldError::new(field, "the intervals overlap"));
    }
    Ok(hours)
}

/// `H:MM` or `HH:MM` (24-hour) as minutes after midnight.
fn minutes(text: &str) -> Option<u16> {
    let (hour, minute) = text.trim().split_once(':')?;
    let (hour, minute) = (hour.parse::<u16>().ok()?, minute.parse::<u16>().ok()?);
    (hour < 24 && minute < 60 && !text.trim().starts_with('+')).then_some(hour * 60 + minute)
}

/// A day's hours as [`parse_day`] reads them back.
pub fn format_day(hours: &[OpeningHours], day: u8) -> String {
    let clock = |m: u16| format!("{}:{:02}", (m % 1440) / 60, m % 60);
    hours
        .iter()
        .filter(|h| h.day == day)
        .map(|h| format!("{}-{}", clock(h.opens_at), clock(h.closes_at)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix time of a UTC date and time.
    fn utc(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
        days_from_civil(year, month, day) * DAY + hour * 3600 + minute * 60
    }

    fn hours(list: &[(u8, u16, u16)]) -> Vec<OpeningHours> {
        list.iter()
            .map(|&(d, o, c)| OpeningHours::new(d, o, c).unwrap())
            .collect()
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 23), 20_780);
        assert_eq!(year_of(20_780), 2026);
        assert_eq!(year_of(days_from_civil(2024, 12, 31)), 2024);
        assert_eq!(year_of(days_from_civil(2025, 1, 1)), 2025);
        assert_eq!(weekday(days_from_civil(2026, 11, 23)), 1, "a Monday");
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn central_time_is_utc_minus_six_in_winter_and_five_in_summer() {
        assert_eq!(central_offset(utc(2026, 1, 15, 12, 0)), -6 * 3600);
        assert_eq!(central_offset(utc(2026, 7, 4, 12, 0)), -5 * 3600);
    }

    #[test]
    fn daylight_time_switches_at_two_in_the_morning_local() {
        // 2026: DST from Sunday 8 March to Sunday 1 November.
        assert_eq!(central_offset(utc(2026, 3, 8, 7, 59)), -6 * 3600);
        assert_eq!(central_offset(utc(2026, 3, 8, 8, 0)), -5 * 3600);
        assert_eq!(central_offset(utc(2026, 11, 1, 6, 59)), -5 * 3600);
        assert_eq!(central_offset(utc(2026, 11, 1, 7, 0)), -6 * 3600);
    }

    #[test]
    fn local_date_is_the_day_in_idabel_not_in_greenwich() {
        assert_eq!(local_date(utc(2026, 11, 23, 3, 30)), (2026, 11, 22));
        assert_eq!(local_date(utc(2026, 11, 23, 6, 0)), (2026, 11, 23));
    }

    #[test]
    fn a_central_day_runs_from_local_midnight_to_local_midnight() {
        let monday = days_from_civil(2026, 11, 23);
        assert_eq!(iso_date(monday), "2026-11-23");
        assert_eq!(central_midnight(monday), utc(2026, 11, 23, 6, 0));
        assert_eq!(local_day_number(central_midnight(monday)), monday);
        assert_eq!(local_day_number(central_midnight(monday) - 1), monday - 1);
        let independence_day = days_from_civil(2026, 7, 4);
        assert_eq!(
            central_midnight(independence_day),
            utc(2026, 7, 4, 5, 0),
            "CDT"
        );
    }

    #[test]
    fn local_day_and_minute_follow_the_offset() {
        // Monday 23 Nov 2026 03:30 UTC is Sunday 21:30 in Idabel.
        assert_eq!(
            local_day_and_minute(utc(2026, 11, 23, 3, 30)),
            (0, 21 * 60 + 30)
        );
        assert_eq!(
            local_day_and_minute(utc(2026, 7, 6, 14, 0)),
            (1, 9 * 60),
            "CDT: 09:00 Monday"
        );
    }

    #[test]
    fn open_during_an_interval_and_closed_outside_it() {
        let week = hours(&[(1, 480, 1020), (2, 480, 1020)]);
        let monday_noon = utc(2026, 11, 23, 18, 0); // 12:00 CST
        assert_eq!(
            open_state(&week, monday_noon),
            OpenState::Open { closes_at: 1020 }
        );
        let monday_evening = utc(2026, 11, 24, 0, 0); // 18:00 CST
        assert_eq!(
            open_state(&week, monday_evening),
            OpenState::Closed {
                opens_day: 2,
                opens_at: 480
            }
        );
    }

    #[test]
    fn the_closing_minute_is_closed_and_the_opening_minute_is_open() {
        let week = hours(&[(1, 480, 1020)]);
        assert!(
            matches!(
                open_state(&week, utc(2026, 11, 23, 14, 0)),
                OpenState::Open { .. }
            ),
            "08:00"
        );
        assert!(
            matches!(
                open_state(&week, utc(2026, 11, 23, 23, 0)),
                OpenState::Closed { .. }
            ),
            "17:00"
        );
    }

    #[test]
    fn late_hours_run_past_midnight_including_saturday_into_sunday() {
        let late = hours(&[(6, 1080, 1560)]); // Saturday 18:00 to Sunday 02:00
        let sunday_one_am = utc(2026, 11, 29, 7, 0); // Sunday 01:00 CST
        assert_eq!(
            open_state(&late, sunday_one_am),
            OpenState::Open { closes_at: 1560 }
        );
        let sunday_three_am = utc(2026, 11, 29, 9, 0);
        assert_eq!(
            open_state(&late, sunday_three_am),
            OpenState::Closed {
                opens_day: 6,
                opens_at: 1080
            }
        );
    }

    #[test]
    fn next_opening_wraps_around_the_week() {
        let sunday_only = hours(&[(0, 600, 720)]);
        let saturday = utc(2026, 11, 28, 18, 0);
        assert_eq!(
            open_state(&sunday_only, saturday),
            OpenState::Closed {
                opens_day: 0,
                opens_at: 600
            }
        );
    }

    #[test]
    fn no_hours_is_unknown() {
        assert_eq!(open_state(&[], 0), OpenState::Unknown);
    }

    #[test]
    fn typed_hours_read_split_shifts_and_late_closings() {
        let hours = parse_day("hours_mon", 1, "8:00-12:00, 13:00-17:30").unwrap();
        assert_eq!(
            hours,
            [
                OpeningHours::new(1, 480, 720).unwrap(),
                OpeningHours::new(1, 780, 1050).unwrap()
            ]
        );
        assert_eq!(format_day(&hours, 1), "8:00-12:00, 13:00-17:30");
        let late = parse_day("hours_fri", 5, "18:00-2:00").unwrap();
        assert_eq!(late[0].closes_at, 1560);
        assert_eq!(format_day(&late, 5), "18:00-2:00");
        assert!(parse_day("hours_sun", 0, "closed").unwrap().is_empty());
    }

    #[test]
    fn typed_hours_that_make_no_sense_are_a_field_error() {
        for bad in [
            "8-5",
            "25:00-26:00",
            "8:00",
            "9:00-12:00, 11:00-13:00",
            "nine to five",
        ] {
            let err = parse_day("hours_mon", 1, bad).unwrap_err();
            assert_eq!(err.field, "hours_mon", "{bad}");
        }
    }

    #[test]
    fn a_special_day_replaces_the_weekday_hours_for_open_now() {
        // Friday 2026-12-25 11:00 in Oklahoma (17:00 UTC); open 8:00-17:00 every weekday.
        let weekly = hours(&[
            (1, 480, 1020),
            (2, 480, 1020),
            (3, 480, 1020),
            (4, 480, 1020),
            (5, 480, 1020),
        ]);
        let christmas = utc(2026, 12, 25, 17, 0);
        assert_eq!(
            open_state_on(&weekly, &[], christmas),
            OpenState::Open { closes_at: 1020 }
        );
        let closed = SpecialDay::parse("2026-12-25", "closed", "Christmas").unwrap();
        assert_eq!(
            open_state_on(&weekly, &[closed], christmas),
            OpenState::Closed {
                opens_day: 1,
                opens_at: 480
            },
            "closed on the day, open again Monday"
        );
        let short = SpecialDay::parse("2026-12-25", "9:00-10:00, 10:30-12:00", "").unwrap();
        assert_eq!(
            open_state_on(&weekly, &[short], christmas),
            OpenState::Open { closes_at: 720 }
        );
    }

    #[test]
    fn a_special_day_can_open_a_day_that_is_usually_closed() {
        let weekly = hours(&[(1, 480, 1020)]);
        // Saturday 2026-12-19 10:00 Central.
        let saturday = utc(2026, 12, 19, 16, 0);
        let sale = SpecialDay::parse("2026-12-19", "9:00-15:00", "Holiday sale").unwrap();
        assert_eq!(
            open_state_on(&weekly, &[sale], saturday),
            OpenState::Open { closes_at: 900 }
        );
    }

    #[test]
    fn special_days_name_each_bad_field() {
        let problems = SpecialDay::parse("2026-02-30", "nine to five", "line\nbreak").unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["special_day", "special_hours", "special_note"]);
        assert!(SpecialDay::parse("26-1-1", "", "").is_err());
        let day = SpecialDay::parse(" 2026-11-26 ", "", " Thanksgiving ").unwrap();
        assert_eq!(day.hours_text(), "closed");
        assert_eq!(day.label(), "Thursday, November 26");
        assert_eq!(day.note, "Thanksgiving");
        assert!(day.is_upcoming(utc(2026, 11, 26, 23, 0)));
        assert!(!day.is_upcoming(utc(2026, 11, 27, 7, 0)));
    }
}
