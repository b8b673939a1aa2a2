//! Small display helpers shared by the page views: listing cards, pagination links, clock
//! times, dates and external links. Everything returns plain text; templates escape it.

use crate::urls;
use kbc_domain::directory::{Address, OpeningHours};
use kbc_domain::hours::{self, OpenState, SpecialDay};
use kbc_domain::search::{BusinessSummary, SearchPage};
use kbc_domain::values::{GeoPoint, StateCode};

/// A listing in a list of results.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// Marks the card (`data-listing`), so a cached page still says whom it showed.
    pub slug: String,
    pub url: String,
    pub name: String,
    pub category: String,
    pub category_url: String,
    pub place: String,
    pub description: String,
    pub phone: Option<String>,
    pub rating: Option<String>,
    pub verified: bool,
    pub featured: bool,
    pub distance: Option<String>,
}

/// The slugs of the listing cards a rendered page shows, in order: what a page (cached or
/// not) tells the analytics about the listings it showed.
pub fn listed_slugs(html: &str) -> Vec<String> {
    const MARK: &str = "data-listing=\"";
    html.match_indices(MARK)
        .filter_map(|(at, _)| {
            let rest = html.get(at + MARK.len()..)?;
            let slug: String = rest.chars().take_while(|c| *c != '"').collect();
            (!slug.is_empty()).then_some(slug)
        })
        .collect()
}

impl Card {
    pub fn from_summary(summary: &BusinessSummary) -> Self {
        Self {
            slug: summary.slug.clone(),
            url: urls::business(&summary.slug),
            name: summary.name.clone(),
            category: summary.category.name.clone(),
            category_url: urls::category(&summary.category.slug),
            place: format!("{}, {}", summary.city, summary.state),
            description: excerpt(&summary.description, 160),
            phone: summary
                .phone
                .clone()
                .map(|p| kbc_domain::values::Phone::from_stored(p).display()),
            rating: summary
                .rating
                .filter(|r| r.count > 0)
                .map(|r| format!("★ {:.1} ({} reviews)", r.average, r.count)),
            verified: summary.is_verified,
            featured: summary.is_featured,
            distance: summary.distance_km.map(|km| format!("{km:.1} km away")),
        }
    }
}

/// Cuts text at a word boundary near `max` characters.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

/// Previous/next links for a paginated list whose URLs differ only in `page`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    pub page: u32,
    pub total_pages: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the URL with every other parameter, ending in `?` or `&`.
    pub fn new(base: &str, page: u32, total_pages: i64) -> Self {
        let link = |p: u32| {
            if p == 1 {
                base.trim_end_matches(['?', '&']).to_owned()
            } else {
                format!("{base}page={p}")
            }
        };
        Self {
            page,
            total_pages,
            previous: (page > 1).then(|| link(page - 1)),
            next: (i64::from(page) < total_pages).then(|| link(page + 1)),
        }
    }

    pub fn from_results(base: &str, results: &SearchPage) -> Self {
        Self::new(base, results.page, results.total_pages)
    }
}

/// "8:00 AM"; minutes past midnight of the next day wrap around.
pub fn clock(minutes: u16) -> String {
    let minutes = minutes % 1440;
    let (hour, minute) = (minutes / 60, minutes % 60);
    let (twelve, half) = match hour {
        0 => (12, "AM"),
        1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        _ => (hour - 12, "PM"),
    };
    format!("{twelve}:{minute:02} {half}")
}

/// "November 23, 2026" in Central time.
pub fn date_label(unix: i64) -> String {
    let (year, month, day) = hours::local_date(unix);
    format!("{} {day}, {year}", hours::month_name(month))
}

/// One row of the weekly hours table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRow {
    pub day: &'static str,
    pub text: String,
    pub today: bool,
}

/// The dated exceptions from today on, at most `limit`: ("Thursday, December 24", "9:00 AM –
/// 12:00 PM · Christmas Eve").
pub fn special_hours(special: &[SpecialDay], now: i64, limit: usize) -> Vec<(String, String)> {
    special
        .iter()
        .filter(|day| day.is_upcoming(now))
        .take(limit)
        .map(|day| {
            let spans: Vec<String> = day
                .spans
                .iter()
                .map(|(opens, closes)| format!("{} – {}", clock(*opens), clock(*closes)))
                .collect();
            let mut text = if spans.is_empty() {
                "Closed".to_owned()
            } else {
                spans.join(", ")
            };
            if !day.note.is_empty() {
                text.push_str(" · ");
                text.push_str(&day.note);
            }
            (day.label(), text)
        })
        .collect()
}

pub fn hours_table(hours: &[OpeningHours], now: i64) -> Vec<HoursRow> {
    let (today, _) = hours::local_day_and_minute(now);
    (0..7u8)
        .map(|day| {
            let intervals: Vec<String> = hours
                .iter()
                .filter(|h| h.day == day)
                .map(|h| format!("{} – {}", clock(h.opens_at), clock(h.closes_at)))
                .collect();
            HoursRow {
                day: hours::day_name(day),
                text: if intervals.is_empty() {
                    "Closed".into()
                } else {
                    intervals.join(", ")
                },
                today: day == today,
            }
        })
        .collect()
}

/// "Open now until 5:00 PM" / "Closed now · opens Tuesday 8:00 AM"; `None` without hours.
/// A dated exception (a holiday) replaces its weekday's hours.
pub fn open_now(
    hours: &[OpeningHours],
    special: &[SpecialDay],
    now: i64,
) -> Option<(bool, String)> {
    match hours::open_state_on(hours, special, now) {
        OpenState::Open { closes_at } => {
            Some((true, format!("Open now · until {}", clock(closes_at))))
        }
        OpenState::Closed {
            opens_day,
            opens_at,
        } => Some((
            false,
            format!(
                "Closed now · opens {} {}",
                hours::day_name(opens_day),
                clock(opens_at)
            ),
        )),
        OpenState::Unknown => None,
    }
}

/// A link target for a user-supplied address: only absolute http(s) URLs qualify.
pub fn external_link(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Driving directions to a place (Google Maps' documented URL scheme, which phones open in
/// their maps app): to its map location, else to its street address; `None` without either.
pub fn directions_url(location: Option<GeoPoint>, address: &Address) -> Option<String> {
    let destination = match location {
        Some(point) => format!("{:.5},{:.5}", point.latitude, point.longitude),
        None if !address.street.trim().is_empty() => format!(
            "{}, {}, {} {}",
            address.street, address.city, address.state, address.zip
        )
        .trim()
        .to_owned(),
        None => return None,
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api", "1")
        .append_pair("destination", &destination)
        .finish();
    Some(format!("https://www.google.com/maps/dir/?{query}"))
}

/// The full name of a state code.
pub fn state_name(code: &str) -> &'static str {
    StateCode::ALL
        .into_iter()
        .find(|state| state.code() == code)
        .map_or("", StateCode::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_read_the_american_way() {
        assert_eq!(clock(0), "12:00 AM");
        assert_eq!(clock(480), "8:00 AM");
        assert_eq!(clock(720), "12:00 PM");
        assert_eq!(clock(1020), "5:00 PM");
        assert_eq!(clock(1560), "2:00 AM", "past midnight");
    }

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("the quick brown fox jumps", 12), "the quick…");
    }

    #[test]
    fn pager_links_keep_other_parameters_and_drop_page_one() {
        let pager = Pager::new("/search?q=bbq&", 2, 3);
        assert_eq!(pager.previous.as_deref(), Some("/search?q=bbq"));
        assert_eq!(pager.next.as_deref(), Some("/search?q=bbq&page=3"));
        let last = Pager::new("/cities/hugo?", 3, 3);
        assert_eq!(
            (last.previous.as_deref(), last.next),
            (Some("/cities/hugo?page=2"), None)
        );
    }

    #[test]
    fn external_links_are_http_or_https_only() {
        assert_eq!(
            external_link("https://example.com").as_deref(),
            Some("https://example.com/")
        );
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://example.com",
            "/relative",
            "example.com",
        ] {
            assert_eq!(external_link(bad), None, "{bad}");
        }
    }

    #[test]
    fn hours_table_marks_today_and_closed_days() {
        let hours = vec![OpeningHours::new(1, 480, 1020).unwrap()];
        let monday = 1_795_435_200; // Monday 23 Nov 2026 12:00 UTC, 06:00 in Idabel
        let table = hours_table(&hours, monday);
        assert_eq!(
            table[1],
            HoursRow {
                day: "Monday",
                text: "8:00 AM – 5:00 PM".into(),
                today: true
            }
        );
        assert_eq!(table[0].text, "Closed");
        assert_eq!(
            open_now(&hours, &[], monday),
            Some((false, "Closed now · opens Monday 8:00 AM".into()))
        );
    }

    #[test]
    fn directions_lead_to_the_map_location_else_the_street_address() {
        let mut address = Address {
            street: "12 Main St & 2nd".into(),
            city: "Idabel".into(),
            city_slug: "idabel".into(),
            state: "OK".into(),
            zip: "74745".into(),
        };
        let point = GeoPoint::new("p", 33.8957, -94.8266).ok();
        assert_eq!(
            directions_url(point, &address).as_deref(),
            Some("https://www.google.com/maps/dir/?api=1&destination=33.89570%2C-94.82660")
        );
        assert_eq!(
            directions_url(None, &address).as_deref(),
            Some(
                "https://www.google.com/maps/dir/?api=1&destination=12+Main+St+%26+2nd%2C+Idabel%2C+OK+74745"
            )
        );
        address.street = String::new();
        assert_eq!(
            directions_url(None, &address),
            None,
            "a town is no destination"
        );
    }

    #[test]
    fn dates_read_in_full() {
        assert_eq!(date_label(1_795_435_200), "November 23, 2026");
    }

    #[test]
    fn a_rendered_page_names_the_listings_it_showed() {
        let html = r#"<li class="card" data-listing="idabel-plumbing-idabel"></li><li data-listing="hugo-tires-hugo">"#;
        assert_eq!(
            listed_slugs(html),
            ["idabel-plumbing-idabel", "hugo-tires-hugo"]
        );
        assert!(listed_slugs("<p>no cards</p>").is_empty());
    }
}
