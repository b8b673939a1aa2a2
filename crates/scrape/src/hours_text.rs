//! Opening hours as people write them ("Mon–Fri 8am–5pm, Sat 9-1, Sun closed", schema.org's
//! "Mo-Fr 08:00-17:00"), read into the week the listing keeps: index 0 = Sunday, each day
//! unstated, `closed`, or 24-hour spans like `8:00-12:00, 13:00-17:30` (the form
//! `kbc_domain::hours::parse_day` reads; a closing time at or before the opening one is past
//! midnight, so `0:00-0:00` is open all day).

use std::ops::Range;

/// One week: index 0 = Sunday … 6 = Saturday.
pub type Week = [Option<String>; 7];

/// Text beyond this is not read: hours sit in a footer or a short block, not in megabytes.
const MOST_TEXT: usize = 64 * 1024;
/// How many tokens may separate two statements of one block of hours ("Mon-Fri 8-5 | Sat 9-1").
const MOST_GAP: usize = 6;
/// How many words may stand between the days and their hours ("Monday through Friday: we are
/// open from 8 to 5").
const MOST_FILLER: usize = 5;

const ALL_DAYS: u8 = 0b111_1111;
const WEEKDAYS: u8 = 0b011_1110;
const WEEKEND: u8 = 0b100_0001;

/// Reads opening hours out of free text ("Mon–Fri 8am–5pm", "Monday - Friday: 8:00 AM - 5:00 PM",
/// "Sat 9-1", "Sun: Closed", "Mo-Fr 08:00-17:00" (schema.org openingHours), "Open 7 days 6am-10pm",
/// "Tues & Thurs 10:00–14:00", noon/midnight, en/em dashes, "to"), returning the week in the same
/// form as `Facts::hours` (None when nothing in the text reads as hours).
pub fn parse(text: &str) -> Option<Week> {
    parse_located(text).map(|(week, _)| week)
}

/// [`parse`], with the byte range of `text` the hours were read from (for evidence). When the
/// text holds several separate blocks of hours (an event on Saturday, the shop's week in the
/// footer) the block naming the most days wins.
pub(crate) fn parse_located(text: &str) -> Option<(Week, Range<usize>)> {
    let text = prefix(text, MOST_TEXT);
    let tokens = tokenize(text);
    let statements = statements(&tokens);
    let mut best: Option<(&[Statement], u32)> = None;
    let mut start = 0;
    for end in 1..=statements.len() {
        let split = match (statements.get(end - 1), statements.get(end)) {
            (Some(last), Some(next)) => next.first > last.last + MOST_GAP,
            _ => true,
        };
        if !split {
            continue;
        }
        let block = statements.get(start..end).unwrap_or_default();
        let days = block.iter().fold(0u8, |days, s| days | s.days).count_ones();
        if best.is_none_or(|(_, most)| days > most) {
            best = Some((block, days));
        }
        start = end;
    }
    let (block, _) = best?;
    let mut week: Week = Default::default();
    for statement in block {
        for (day, slot) in week.iter_mut().enumerate() {
            if statement.days & (1 << day) != 0 {
                *slot = Some(statement.hours.clone());
            }
        }
    }
    let from = block.first().and_then(|s| tokens.get(s.first))?.span.start;
    let to = block.last().and_then(|s| tokens.get(s.last))?.span.end;
    Some((week, from..to))
}

/// One day's spans, in minutes after midnight, as the week stores them (`closed` when none).
pub(crate) fn format_day(spans: &[(u16, u16)]) -> String {
    if spans.is_empty() {
        return "closed".into();
    }
    let mut spans = spans.to_vec();
    spans.sort_unstable();
    spans.dedup();
    let clock = |m: u16| format!("{}:{:02}", (m % 1440) / 60, m % 60);
    spans
        .iter()
        .map(|(opens, closes)| format!("{}-{}", clock(*opens), clock(*closes)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `08:00`, `8:00` or `08:00:00` (schema.org's opens/closes) as minutes after midnight.
pub(crate) fn clock_minutes(text: &str) -> Option<u16> {
    let mut parts = text.trim().split(':');
    let (hour, minute) = (parts.next()?, parts.next()?);
    let digits = |s: &str| {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let (hour, minute) = (digits(hour)?, digits(minute)?);
    let seconds_ok = parts.next().is_none_or(|s| digits(s).is_some()) && parts.next().is_none();
    (hour <= 24 && minute < 60 && seconds_ok).then_some((hour * 60 + minute) % 1440)
}

/// The longest prefix of `text` of at most `most` bytes that ends on a character boundary.
pub(crate) fn prefix(text: &str, most: usize) -> &str {
    let mut end = most.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// A time of day as written: `8`, `8:30`, `08:00`, `5pm`, `noon`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Clock {
    hour: u16,
    minute: u16,
    /// `Some(true)` for pm, `Some(false)` for am.
    pm: Option<bool>,
    /// Written on the 24-hour clock (`08:00`, `17:00`, `0800`), so no am/pm guess applies.
    exact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A day named in full or by a 3–4 letter abbreviation.
    Day(u8),
    /// A two-letter abbreviation ("Mo", "We"): a day only beside another day or a time, so
    /// "We are open" is not Wednesday.
    WeakDay(u8),
    /// Several days at once ("daily", "weekdays", "7 days"), as a bit set (bit 0 = Sunday).
    Days(u8),
    Range,
    List,
    Colon,
    Time(Clock),
    Closed,
    /// "24 hours".
    AllDay,
    /// A line break or `;` / `|` / bullet.
    Break,
    /// Any other word.
    Word,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    span: Range<usize>,
}

fn day_word(word: &str) -> Option<Kind> {
    const NAMES: [(&str, &[&str], &str); 7] = [
        ("sunday", &["sun"], "su"),
        ("monday", &["mon"], "mo"),
        ("tuesday", &["tue", "tues"], "tu"),
        ("wednesday", &["wed", "weds"], "we"),
        ("thursday", &["thu", "thur", "thurs"], "th"),
        ("friday", &["fri"], "fr"),
        ("saturday", &["sat"], "sa"),
    ];
    for (day, (name, short, weak)) in (0u8..).zip(NAMES) {
        let plural = word.strip_suffix('s') == Some(name);
        if word == name || plural || short.contains(&word) {
            return Some(Kind::Day(day));
        }
        if word == weak {
            return Some(Kind::WeakDay(day));
        }
    }
    None
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '‒' | '‐' | '‑' | '−' | '~')
}

/// Splits text into the words, numbers and marks hours are written with.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut previous_word = String::new();
    while let Some((at, c)) = chars.next() {
        let single = |kind| Token {
            kind,
            span: at..at + c.len_utf8(),
        };
        if c.is_ascii_digit() {
            let mut end = at + 1;
            while let Some(&(i, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                end = i + d.len_utf8();
                chars.next();
            }
            let hour_text = text.get(at..end).unwrap_or_default();
            let mut minute_text = None;
            // `8:30`, `8.30`, and schema.org's seconds in `08:00:00`.
            for round in 0..2 {
                let rest = text.get(end..).unwrap_or_default();
                let mut rest_chars = rest.chars();
                let separator = rest_chars.next();
                let two: String = rest_chars.clone().take(2).collect();
                let third = rest_chars.nth(2);
                let fits = matches!(separator, Some(':'))
                    || (round == 0 && matches!(separator, Some('.')));
                if fits && two.len() == 2 && two.bytes().all(|b| b.is_ascii_digit()) {
                    if third.is_some_and(|t| t.is_ascii_digit()) {
                        break;
                    }
                    if round == 0 {
                        minute_text = text.get(end + 1..end + 3);
                    }
                    end += 3;
                    for _ in 0..3 {
                        chars.next();
                    }
                } else {
                    break;
                }
            }
            if hour_text == "24" && text.get(end..end + 2) == Some("/7") {
                chars.next();
                chars.next();
                tokens.push(Token {
                    kind: Kind::Days(ALL_DAYS),
                    span: at..end + 2,
                });
                tokens.push(Token {
                    kind: Kind::AllDay,
                    span: at..end + 2,
                });
                continue;
            }
            let kind = number(hour_text, minute_text).map_or(Kind::Word, Kind::Time);
            tokens.push(Token {
                kind,
                span: at..end,
            });
            previous_word.clear();
            continue;
        }
        if c.is_alphabetic() {
            let mut end = at + c.len_utf8();
            while let Some(&(i, d)) = chars.peek().filter(|(_, d)| d.is_alphabetic()) {
                end = i + d.len_utf8();
                chars.next();
            }
            let mut word = text.get(at..end).unwrap_or_default().to_lowercase();
            // "a.m." / "p.m."
            if (word == "a" || word == "p")
                && text
                    .get(end..end + 2)
                    .is_some_and(|s| s.eq_ignore_ascii_case(".m"))
            {
                word.push('m');
                end += 2;
                chars.next();
                chars.next();
            }
            let after_number = tokens.last().filter(|t| t.span.end == at);
            // Where the token starts: earlier when it swallows the number before ("7 days").
            let mut start = at;
            let last_time = match tokens.last() {
                Some(Token {
                    kind: Kind::Time(clock),
                    ..
                }) => Some(*clock),
                _ => None,
            };
            let kind = match word.as_str() {
                "am" | "a" | "pm" | "p" if last_time.is_some_and(|c| c.pm.is_none()) => {
                    if let Some(Token {
                        kind: Kind::Time(clock),
                        span,
                    }) = tokens.last_mut()
                    {
                        clock.pm = Some(word.starts_with('p'));
                        span.end = end;
                    }
                    previous_word = word;
                    continue;
                }
                "st" | "nd" | "rd" | "th" if after_number.is_some() => {
                    // An ordinal ("the 4th"): a date, not a time.
                    if let Some(last) = tokens.last_mut() {
                        last.kind = Kind::Word;
                    }
                    Kind::Word
                }
                "noon" | "midday" | "midnight" => {
                    let pm = word != "midnight";
                    if last_time.is_some_and(|c| c.hour == 12 && c.pm.is_none()) {
                        if let Some(Token {
                            kind: Kind::Time(clock),
                            span,
                        }) = tokens.last_mut()
                        {
                            clock.pm = Some(pm);
                            span.end = end;
                        }
                        previous_word = word;
                        continue;
                    }
                    Kind::Time(Clock {
                        hour: 12,
                        minute: 0,
                        pm: Some(pm),
                        exact: false,
                    })
                }
                "days" | "day"
                    if last_time
                        .is_some_and(|c| c.hour == 7 && c.minute == 0 && c.pm.is_none())
                        || previous_word == "seven"
                        || (word == "day" && previous_word == "every") =>
                {
                    if last_time.is_some() {
                        start = tokens.pop().map_or(at, |t| t.span.start);
                    }
                    Kind::Days(ALL_DAYS)
                }
                "hours" | "hrs" | "hour"
                    if last_time.is_some_and(|c| c.hour == 24 && c.minute == 0) =>
                {
                    start = tokens.pop().map_or(at, |t| t.span.start);
                    Kind::AllDay
                }
                "daily" | "everyday" => Kind::Days(ALL_DAYS),
                "weekdays" => Kind::Days(WEEKDAYS),
                "weekend" | "weekends" => Kind::Days(WEEKEND),
                "closed" => Kind::Closed,
                "to" | "thru" | "through" | "till" | "til" | "until" => Kind::Range,
                "and" => Kind::List,
                _ => day_word(&word).unwrap_or(Kind::Word),
            };
            tokens.push(Token {
                kind,
                span: start..end,
            });
            previous_word = word;
            continue;
        }
        if !c.is_whitespace() || c == '\n' {
            previous_word.clear();
        }
        let kind = match c {
            '\n' | '\r' | ';' | '|' | '•' | '·' => Kind::Break,
            ',' | '&' | '/' | '+' => Kind::List,
            ':' => Kind::Colon,
            c if is_dash(c) => Kind::Range,
            _ => continue,
        };
        tokens.push(single(kind));
    }
    tokens
}

/// A number read as a time of day, or None when it cannot be one ("580", "2024").
fn number(hour_text: &str, minute_text: Option<&str>) -> Option<Clock> {
    let value = |s: &str| s.parse::<u16>().ok();
    let zero_padded = hour_text.len() == 2 && hour_text.starts_with('0');
    let (hour, minute, hhmm) = match (minute_text, hour_text.len()) {
        (Some(minute), 1 | 2) => (value(hour_text)?, value(minute)?, false),
        (None, 1 | 2) => (value(hour_text)?, 0, false),
        (None, 3 | 4) => {
            // `0800`, `1730`: only on the quarter hours, so years and house numbers stay words.
            let number = value(hour_text)?;
            let (hour, minute) = (number / 100, number % 100);
            if minute % 15 != 0 {
                return None;
            }
            (hour, minute, true)
        }
        _ => return None,
    };
    (hour <= 24 && minute < 60).then_some(Clock {
        hour,
        minute,
        pm: None,
        exact: zero_padded || hhmm || hour == 0 || hour > 12,
    })
}

/// Days stated with their hours: "Mon-Fri 8-5" → Monday to Friday, `8:00-17:00`.
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    days: u8,
    hours: String,
    /// Token indexes of the first and last token read.
    first: usize,
    last: usize,
}

fn statements(tokens: &[Token]) -> Vec<Statement> {
    let kind = |i: usize| tokens.get(i).map(|t| t.kind);
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        // Days, then their hours: "Mon-Fri: 8am-5pm", "Sun closed".
        if let Some((days, after_days)) = day_set(tokens, i) {
            let at = skip_filler(tokens, after_days);
            if let Some((hours, last)) = hours(tokens, at) {
                found.push(Statement {
                    days,
                    hours,
                    first: i,
                    last,
                });
                i = last + 1;
            } else {
                i = after_days.max(i + 1);
            }
            continue;
        }
        // Hours, then their days: "Closed Sundays", "8am-5pm Mon-Fri".
        if matches!(kind(i), Some(Kind::Closed | Kind::Time(_) | Kind::AllDay))
            && let Some((hours, after_hours)) = hours(tokens, i)
        {
            let mut at = after_hours + 1;
            if matches!(kind(at), Some(Kind::List)) {
                at += 1;
            }
            let at = skip_filler(tokens, at);
            if let Some((days, after_days)) = day_set(tokens, at) {
                found.push(Statement {
                    days,
                    hours,
                    first: i,
                    last: after_days - 1,
                });
                i = after_days;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// Skips a few words, colons and line breaks ("Monday - Friday:\n from 8 to 5").
fn skip_filler(tokens: &[Token], mut at: usize) -> usize {
    let mut skipped = 0;
    while skipped < MOST_FILLER
        && matches!(
            tokens.get(at).map(|t| t.kind),
            Some(Kind::Word | Kind::Colon | Kind::Break)
        )
    {
        at += 1;
        skipped += 1;
    }
    at
}

fn single_day(kind: Option<Kind>) -> Option<u8> {
    match kind {
        Some(Kind::Day(day) | Kind::WeakDay(day)) => Some(day),
        _ => None,
    }
}

/// Days starting at `at` ("Mon-Fri", "Tues & Thurs", "Mo,We,Fr", "daily"): the set and the
/// index after it.
fn day_set(tokens: &[Token], at: usize) -> Option<(u8, usize)> {
    let kind = |i: usize| tokens.get(i).map(|t| t.kind);
    let (mut days, mut count, mut last_day) = match kind(at)? {
        Kind::Day(day) | Kind::WeakDay(day) => (1u8 << day, 1, Some(day)),
        Kind::Days(days) => (days, 2, None),
        _ => return None,
    };
    let mut weak = matches!(kind(at), Some(Kind::WeakDay(_)));
    let mut i = at + 1;
    loop {
        match (kind(i), single_day(kind(i + 1)), last_day) {
            (Some(Kind::Range), Some(to), Some(from)) => {
                let mut day = from;
                while day != to {
                    day = (day + 1) % 7;
                    days |= 1 << day;
                }
                last_day = Some(to);
            }
            (Some(Kind::List), Some(day), _) => {
                days |= 1 << day;
                last_day = Some(day);
            }
            _ => break,
        }
        weak &= matches!(kind(i + 1), Some(Kind::WeakDay(_)));
        count += 1;
        i += 2;
    }
    // A lone two-letter word is a day only when hours follow at once ("Sa 9:00-13:00").
    let mut next = i;
    while matches!(kind(next), Some(Kind::Colon)) {
        next += 1;
    }
    let hours_follow = matches!(
        kind(next),
        Some(Kind::Time(_) | Kind::Closed | Kind::AllDay)
    );
    (!weak || count > 1 || hours_follow).then_some((days, i))
}

/// Hours starting at `at` ("8am-5pm", "8:00-12:00, 13:00-17:30", "closed", "24 hours"): the
/// day's text and the index of the last token read.
fn hours(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let kind = |i: usize| tokens.get(i).map(|t| t.kind);
    match kind(at)? {
        Kind::Closed => return Some(("closed".into(), at)),
        Kind::AllDay => return Some((format_day(&[(0, 0)]), at)),
        Kind::Time(_) => {}
        _ => return None,
    }
    let mut spans = Vec::new();
    let mut i = at;
    let mut last = at;
    while let (Some(Kind::Time(opens)), Some(Kind::Range), Some(Kind::Time(closes))) =
        (kind(i), kind(i + 1), kind(i + 2))
    {
        spans.push(resolve(opens, closes));
        last = i + 2;
        // Split shifts: "8-12, 1-5", "8am-12pm & 1pm-5pm", "8-12 1-5".
        i = if matches!(kind(last + 1), Some(Kind::List)) {
            last + 2
        } else {
            last + 1
        };
    }
    (!spans.is_empty()).then(|| (format_day(&spans), last))
}

/// An opening and a closing time as minutes after midnight, settling a missing am/pm the way
/// a business means it: "9-5" is 9:00-17:00, "1-5pm" 13:00-17:00, "8am-5" 8:00-17:00.
fn resolve(opens: Clock, closes: Clock) -> (u16, u16) {
    let twelve = |c: Clock, pm: bool| ((c.hour % 12) + if pm { 12 } else { 0 }) * 60 + c.minute;
    let fixed = |c: Clock| match c.pm {
        Some(pm) => Some(twelve(c, pm)),
        None if c.exact => Some((c.hour * 60 + c.minute) % 1440),
        None => None,
    };
    let (o, c) = match (fixed(opens), fixed(closes)) {
        (Some(o), Some(c)) => (o, c),
        (Some(o), None) => {
            let am = twelve(closes, false);
            (o, if am > o { am } else { twelve(closes, true) })
        }
        (None, Some(c)) => {
            let (am, pm) = (twelve(opens, false), twelve(opens, true));
            // The shorter day when both fit ("1-5pm"), else the one before closing.
            (o_before(am, pm, c), c)
        }
        (None, None) => {
            // Nobody opens at 1-5 in the morning; noon stays noon.
            let o = twelve(opens, (1..=5).contains(&opens.hour) || opens.hour == 12);
            let am = twelve(closes, false);
            (o, if am > o { am } else { twelve(closes, true) })
        }
    };
    (o % 1440, c % 1440)
}

fn o_before(am: u16, pm: u16, closes: u16) -> u16 {
    if pm < closes {
        pm
    } else if am < closes {
        am
    } else {
        // Closing past midnight ("8-2am").
        pm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(pairs: &[(usize, &str)]) -> Week {
        let mut week: Week = Default::default();
        for (day, hours) in pairs {
            week[*day] = Some((*hours).to_owned());
        }
        week
    }

    fn weekdays(hours: &str) -> Vec<(usize, &str)> {
        (1..=5).map(|d| (d, hours)).collect()
    }

    #[test]
    fn abbreviated_days_with_am_pm_and_en_dashes() {
        assert_eq!(
            parse("Mon–Fri 8am–5pm"),
            Some(week(&weekdays("8:00-17:00")))
        );
    }

    #[test]
    fn full_day_names_with_spaced_times() {
        assert_eq!(
            parse("Monday - Friday: 8:00 AM - 5:00 PM"),
            Some(week(&weekdays("8:00-17:00")))
        );
    }

    #[test]
    fn bare_hours_read_as_business_hours() {
        assert_eq!(parse("Sat 9-1"), Some(week(&[(6, "9:00-13:00")])));
        assert_eq!(parse("Mon-Fri 9-5"), Some(week(&weekdays("9:00-17:00"))));
    }

    #[test]
    fn a_closed_day() {
        assert_eq!(parse("Sun: Closed"), Some(week(&[(0, "closed")])));
        assert_eq!(parse("Closed Sundays"), Some(week(&[(0, "closed")])));
    }

    #[test]
    fn schema_org_opening_hours() {
        let mut expected = weekdays("8:00-17:00");
        expected.push((6, "9:00-13:00"));
        assert_eq!(
            parse("Mo-Fr 08:00-17:00 Sa 09:00-13:00"),
            Some(week(&expected))
        );
        assert_eq!(
            parse("Mo,We,Fr 09:00:00-12:00:00"),
            Some(week(&[
                (1, "9:00-12:00"),
                (3, "9:00-12:00"),
                (5, "9:00-12:00")
            ]))
        );
    }

    #[test]
    fn seven_days_a_week() {
        let all: Vec<_> = (0..7).map(|d| (d, "6:00-22:00")).collect();
        assert_eq!(parse("Open 7 days 6am-10pm"), Some(week(&all)));
        assert_eq!(parse("Open daily 6am - 10pm"), Some(week(&all)));
    }

    #[test]
    fn listed_days_with_ampersand() {
        assert_eq!(
            parse("Tues & Thurs 10:00–14:00"),
            Some(week(&[(2, "10:00-14:00"), (4, "10:00-14:00")]))
        );
    }

    #[test]
    fn noon_and_midnight() {
        assert_eq!(
            parse("Saturday 8am to noon"),
            Some(week(&[(6, "8:00-12:00")]))
        );
        assert_eq!(
            parse("Fri 5pm – midnight"),
            Some(week(&[(5, "17:00-0:00")]))
        );
    }

    #[test]
    fn split_shifts_become_two_spans() {
        assert_eq!(
            parse("Mon 8-12, 1-5:30"),
            Some(week(&[(1, "8:00-12:00, 13:00-17:30")]))
        );
    }

    #[test]
    fn several_statements_on_several_lines() {
        let text =
            "Hours\nMonday – Friday\n7:30 a.m. – 6 p.m.\nSaturday 9 a.m. – 2 p.m.\nSunday Closed";
        let mut expected = weekdays("7:30-18:00");
        expected.extend([(6, "9:00-14:00"), (0, "closed")]);
        assert_eq!(parse(text), Some(week(&expected)));
    }

    #[test]
    fn day_ranges_wrap_around_the_week() {
        assert_eq!(
            parse("Fri-Sun 11am-2am"),
            Some(week(&[
                (5, "11:00-2:00"),
                (6, "11:00-2:00"),
                (0, "11:00-2:00")
            ]))
        );
    }

    #[test]
    fn weekdays_weekends_and_through() {
        assert_eq!(
            parse("Weekdays 8:00-16:00"),
            Some(week(&weekdays("8:00-16:00")))
        );
        assert_eq!(
            parse("Monday through Friday from 8 to 5"),
            Some(week(&weekdays("8:00-17:00")))
        );
        assert_eq!(
            parse("Weekends: closed"),
            Some(week(&[(0, "closed"), (6, "closed")]))
        );
    }

    #[test]
    fn open_around_the_clock() {
        let all: Vec<_> = (0..7).map(|d| (d, "0:00-0:00")).collect();
        assert_eq!(parse("We're open 24/7"), Some(week(&all)));
        assert_eq!(parse("Open 24 hours, every day"), Some(week(&all)));
        assert_eq!(parse("Every day: 24 hours"), Some(week(&all)));
    }

    #[test]
    fn times_before_their_days() {
        assert_eq!(
            parse("8am-5pm Mon-Fri"),
            Some(week(&weekdays("8:00-17:00")))
        );
    }

    #[test]
    fn text_without_hours_reads_as_none() {
        assert_eq!(parse(""), None);
        assert_eq!(
            parse("We are a family-owned plumbing company serving Hugo since 1985."),
            None
        );
        assert_eq!(parse("Call (580) 555-0123 for a free estimate"), None);
        assert_eq!(
            parse("Hours: 8am-5pm"),
            None,
            "hours without days say nothing about the week"
        );
        assert_eq!(parse("On the 4th of July 10-2 we march"), None);
    }

    #[test]
    fn two_letter_words_are_days_only_beside_days_or_times() {
        assert_eq!(
            parse("We are open Mon-Fri 8-5"),
            Some(week(&weekdays("8:00-17:00")))
        );
        assert_eq!(parse("Sa 09:00-13:00"), Some(week(&[(6, "9:00-13:00")])));
    }

    #[test]
    fn the_block_naming_most_days_wins_over_a_stray_mention() {
        let text = "Join us Saturday 10-2 for the open house! ".to_owned()
            + &"Lorem ipsum dolor sit amet. ".repeat(10)
            + "Hours: Mon-Fri 8-5, Sat 9-12";
        let mut expected = weekdays("8:00-17:00");
        expected.push((6, "9:00-12:00"));
        let (found, range) = parse_located(&text).unwrap();
        assert_eq!(found, week(&expected));
        assert_eq!(text.get(range), Some("Mon-Fri 8-5, Sat 9-12"));
    }

    #[test]
    fn clock_minutes_reads_schema_org_times() {
        assert_eq!(clock_minutes("08:00"), Some(480));
        assert_eq!(clock_minutes("17:30:00"), Some(1050));
        assert_eq!(clock_minutes("24:00"), Some(0));
        assert_eq!(clock_minutes("8am"), None);
        assert_eq!(clock_minutes("25:00"), None);
    }

    #[test]
    fn format_day_sorts_and_writes_the_domain_form() {
        assert_eq!(
            format_day(&[(780, 1050), (480, 720)]),
            "8:00-12:00, 13:00-17:30"
        );
        assert_eq!(format_day(&[]), "closed");
    }
}
