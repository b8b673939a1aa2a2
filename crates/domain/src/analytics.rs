//! Listing analytics: what a visit tells a business about its listing — views, appearances in
//! search results, clicks on call, website and directions — counted per Central-time day,
//! without personal data, and read back with the day's leads as a zero-filled series.
//!
//! The public worker makes no D1 write per page view: it sends an [`Event`] to a queue
//! (unless [`is_bot`]), and the consumer folds a batch of queue messages into the daily
//! counters with [`record_batch`], one D1 batch that counts each queue message exactly once
//! however often it is delivered. Rights are the caller's: [`series`] reads any business id
//! it is given, so owner pages check `claims::owns` first.

use crate::db::{Database, DbError, DbResult, Statement, fetch_all, fetch_integer};
use crate::hours;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many business ids of one message are counted (a search results page shows
/// fewer); the rest are ignored, so a message's cost stays bounded.
pub const MAX_LISTINGS: usize = 100;
/// The longest slug a listing may have (the schema's limit).
const MAX_SLUG_LEN: usize = 120;

/// How long a counted message is remembered. Must exceed the queue's retention (4 days):
/// a message redelivered after its rows are pruned would be counted again.
pub const REMEMBER_SECONDS: i64 = 8 * 86_400;

/// 9999-12-31 23:59:59 UTC: later times have no four-digit year.
const LAST_SECOND_OF_9999: i64 = 253_402_300_799;

/// Queue message ids are 32 hex digits; the table's CHECK allows up to this many characters.
const MAX_MESSAGE_ID_LEN: usize = 128;

/// What happened on a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The listing's page was shown.
    View,
    /// The listing was shown on a page of search results.
    SearchAppearance,
    /// Its phone number was followed.
    CallClick,
    /// Its website link was followed.
    WebsiteClick,
    /// Its directions link was followed.
    DirectionsClick,
}

impl EventKind {
    pub const ALL: [Self; 5] = [
        Self::View,
        Self::SearchAppearance,
        Self::CallClick,
        Self::WebsiteClick,
        Self::DirectionsClick,
    ];

    /// The stable name, as stored in `analytics_staged.kind` and sent in queue messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::SearchAppearance => "search_appearance",
            Self::CallClick => "call_click",
            Self::WebsiteClick => "website_click",
            Self::DirectionsClick => "directions_click",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One queue message: `kind` happened to each of `business_ids` (one listing for a view or
/// a click, every listing shown for a page of search results) at unix time `at`. Nothing
/// about the visitor travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    /// The listings' slugs: what a cached public page knows of them.
    pub listings: Vec<String>,
    pub at: i64,
}

impl Event {
    /// An event for at most [`MAX_LISTINGS`] listings (the first ones).
    pub fn new(kind: EventKind, listings: impl IntoIterator<Item = String>, at: i64) -> Self {
        Self {
            kind,
            listings: listings.into_iter().take(MAX_LISTINGS).collect(),
            at,
        }
    }
}

/// Fragments of user agents that only crawlers, link-preview fetchers, headless browsers
/// and HTTP tools send, lowercase. "bot" is matched separately (see [`is_bot`]).
const NOT_A_PERSON: &[&str] = &[
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "meta-externalfetcher",
    "preview",
    "embedly",
    "iframely",
    "whatsapp/",
    "vkshare",
    "headless",
    "phantomjs",
    "selenium",
    "puppeteer",
    "playwright",
    "lighthouse",
    "pagespeed",
    "gtmetrix",
    "pingdom",
    "uptime",
    "mediapartners-google",
    "google-",
    "googleother",
    "feedfetcher",
    "chatgpt",
    "perplexity",
    "anthropic",
    "claude-",
    "cohere-",
    "ia_archiver",
    "validator",
    "curl/",
    "wget/",
    "httpie",
    "python-",
    "python/",
    "aiohttp",
    "httpx",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "libwww-perl",
    "lwp::",
    "scrapy",
    "node-fetch",
    "undici",
    "axios/",
    "postmanruntime",
    "insomnia",
    "ruby",
    "guzzlehttp",
    "dart:io",
    "zgrab",
    "masscan",
    "nmap",
    "nikto",
    "sqlmap",
];

/// Whether a request's user agent is a machine's rather than a person's browser. A missing
/// or blank one counts as a machine: every browser sends one.
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::trim).filter(|agent| !agent.is_empty()) else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    // "bot" anywhere (Googlebot, bingbot, Applebot, Slackbot...) except in the name of the
    // Cubot phones, whose browsers people use.
    let bot = agent
        .match_indices("bot")
        .any(|(at, _)| !agent.get(..at).is_some_and(|before| before.ends_with("cu")));
    bot || NOT_A_PERSON.iter().any(|fragment| agent.contains(fragment))
}

/// The rows one queue batch stages: one per (message, business, kind) with its Central day
/// and how many times the message lists the business. A message id seen earlier in the
/// batch, an empty or oversized id, an absurd time and ids that cannot be a business are
/// skipped.
fn staged_rows(messages: &[(String, Event)]) -> Vec<(&str, &str, &'static str, String, i64)> {
    let mut seen = BTreeSet::new();
    let mut rows: BTreeMap<(&str, &str, EventKind), (String, i64)> = BTreeMap::new();
    for (message_id, event) in messages {
        let id = message_id.as_str();
        if id.is_empty() || id.len() > MAX_MESSAGE_ID_LEN || !seen.insert(id) {
            continue;
        }
        // Before 1970 or past year 9999 is no time an event happened (nor a `YYYY-MM-DD`).
        if !(0..=LAST_SECOND_OF_9999).contains(&event.at) {
            continue;
        }
        let day = hours::iso_date(hours::local_day_number(event.at));
        for slug in event.listings.iter().take(MAX_LISTINGS) {
            if !slug.is_empty() && slug.len() <= MAX_SLUG_LEN {
                let (_, count) = rows
                    .entry((id, slug.as_str(), event.kind))
                    .or_insert_with(|| (day.clone(), 0));
                *count += 1;
            }
        }
    }
    rows.into_iter()
        .map(|((id, slug, kind), (day, count))| (id, slug, kind.as_str(), day, count))
        .collect()
}

/// The staged rows bound as one JSON array in `?1` (`[[message, slug, kind, day, count],
/// ...]`), as a table `i` joined by slug to the public listings (`b`): one bound value
/// whatever the batch's size (D1 allows 100 per statement), and slugs of hidden, erased or
/// unknown listings drop out instead of failing the batch.
macro_rules! incoming {
    () => {
        concat!(
            "(SELECT json_extract(value, '$[0]') AS message_id, json_extract(value, '$[1]') AS slug,
                     json_extract(value, '$[2]') AS kind, json_extract(value, '$[3]') AS day,
                     json_extract(value, '$[4]') AS count
                FROM json_each(?1)) AS i
             JOIN businesses AS b ON b.slug = i.slug AND ",
            public_listing!("b")
        )
    };
}

/// Counts a batch of queue messages (queue message id, event) into `listing_daily_stats`,
/// each message exactly once however often the queue delivers it, in one D1 batch: stage
/// the messages' rows (`INSERT OR IGNORE` keyed by message, business and kind), add the rows
/// not yet counted to their business's day, mark them counted, and forget counted rows
/// received more than [`REMEMBER_SECONDS`] ago. Between batches no row is left uncounted
/// (a batch applies whole or not at all), so "not yet counted" means "staged by this batch".
///
/// Returns how many events this call added to the counters, read just before the batch:
/// exact unless another delivery of the same message is counted in between (the queue
/// hands a message to one consumer at a time, so only after a timeout), when it may report
/// events the other delivery counted. The counters themselves are exact either way.
pub async fn record_batch(
    db: &impl Database,
    messages: &[(String, Event)],
    now: i64,
) -> DbResult<u64> {
    let rows = staged_rows(messages);
    if rows.is_empty() {
        return Ok(0);
    }
    let rows =
        serde_json::to_string(&rows).map_err(|err| DbError(format!("staged rows: {err}")))?;
    let fresh = fetch_integer(
        db,
        &Statement::new(concat!(
            "SELECT coalesce(sum(i.count), 0) AS fresh FROM ",
            incoming!(),
            " WHERE NOT EXISTS (SELECT 1 FROM analytics_staged AS s
                                 WHERE s.message_id = i.message_id AND s.business_id = b.id
                                   AND s.kind = i.kind)"
        ))
        .bind(&rows),
    )
    .await?;
    db.batch(&[
        Statement::new(concat!(
            "INSERT OR IGNORE INTO analytics_staged
                    (message_id, business_id, kind, day, count, counted, received_at)
             SELECT i.message_id, b.id, i.kind, i.day, i.count, 0, ?2 FROM ",
            incoming!()
        ))
        .bind(&rows)
        .bind(now),
        Statement::new(
            "INSERT INTO listing_daily_stats
                    (business_id, day, views, search_appearances, call_clicks, website_clicks,
                     directions_clicks)
             SELECT business_id, day,
                    sum(CASE kind WHEN 'view' THEN count ELSE 0 END),
                    sum(CASE kind WHEN 'search_appearance' THEN count ELSE 0 END),
                    sum(CASE kind WHEN 'call_click' THEN count ELSE 0 END),
                    sum(CASE kind WHEN 'website_click' THEN count ELSE 0 END),
                    sum(CASE kind WHEN 'directions_click' THEN count ELSE 0 END)
               FROM analytics_staged WHERE counted = 0
              GROUP BY business_id, day
             ON CONFLICT (business_id, day) DO UPDATE SET
                    views = views + excluded.views,
                    search_appearances = search_appearances + excluded.search_appearances,
                    call_clicks = call_clicks + excluded.call_clicks,
                    website_clicks = website_clicks + excluded.website_clicks,
                    directions_clicks = directions_clicks + excluded.directions_clicks",
        ),
        Statement::new("UPDATE analytics_staged SET counted = 1 WHERE counted = 0"),
        Statement::new("DELETE FROM analytics_staged WHERE counted = 1 AND received_at < ?1")
            .bind(now.saturating_sub(REMEMBER_SECONDS)),
    ])
    .await?;
    Ok(u64::try_from(fresh).unwrap_or(0))
}

/// How far back a series reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    Week,
    #[default]
    Month,
    Quarter,
}

impl Period {
    pub const ALL: [Self; 3] = [Self::Week, Self::Month, Self::Quarter];

    /// How many days, today included.
    pub fn days(self) -> i64 {
        match self {
            Self::Week => 7,
            Self::Month => 30,
            Self::Quarter => 90,
        }
    }

    /// The value in a link (`?days=30`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "7",
            Self::Month => "30",
            Self::Quarter => "90",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|period| period.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Week => "Last 7 days",
            Self::Month => "Last 30 days",
            Self::Quarter => "Last 90 days",
        }
    }
}

/// One of the numbers a series carries per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Views,
    SearchAppearances,
    CallClicks,
    WebsiteClicks,
    DirectionsClicks,
    Leads,
}

impl Metric {
    pub const ALL: [Self; 6] = [
        Self::Views,
        Self::SearchAppearances,
        Self::CallClicks,
        Self::WebsiteClicks,
        Self::DirectionsClicks,
        Self::Leads,
    ];

    /// The field's name in [`Counts`] (and its JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Views => "views",
            Self::SearchAppearances => "search_appearances",
            Self::CallClicks => "call_clicks",
            Self::WebsiteClicks => "website_clicks",
            Self::DirectionsClicks => "directions_clicks",
            Self::Leads => "leads",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|metric| metric.as_str() == text)
    }

    /// What the number counts, for headings.
    pub fn label(self) -> &'static str {
        match self {
            Self::Views => "Listing views",
            Self::SearchAppearances => "Search appearances",
            Self::CallClicks => "Calls",
            Self::WebsiteClicks => "Website visits",
            Self::DirectionsClicks => "Directions",
            Self::Leads => "Leads",
        }
    }
}

/// The numbers of a day, or of a whole period ([`totals`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub views: i64,
    pub search_appearances: i64,
    pub call_clicks: i64,
    pub website_clicks: i64,
    pub directions_clicks: i64,
    /// Leads received that day, spam excluded (from `leads`, not from events).
    #[serde(default)]
    pub leads: i64,
}

impl Counts {
    pub fn get(&self, metric: Metric) -> i64 {
        match metric {
            Metric::Views => self.views,
            Metric::SearchAppearances => self.search_appearances,
            Metric::CallClicks => self.call_clicks,
            Metric::WebsiteClicks => self.website_clicks,
            Metric::DirectionsClicks => self.directions_clicks,
            Metric::Leads => self.leads,
        }
    }

    fn add(self, other: &Self) -> Self {
        Self {
            views: self.views.saturating_add(other.views),
            search_appearances: self
                .search_appearances
                .saturating_add(other.search_appearances),
            call_clicks: self.call_clicks.saturating_add(other.call_clicks),
            website_clicks: self.website_clicks.saturating_add(other.website_clicks),
            directions_clicks: self
                .directions_clicks
                .saturating_add(other.directions_clicks),
            leads: self.leads.saturating_add(other.leads),
        }
    }
}

/// One Central-time day of a listing's series; its JSON is flat (`day`, `views`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// `2026-11-23`.
    pub day: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The sums of a series.
pub fn totals(days: &[DayCounts]) -> Counts {
    days.iter()
        .fold(Counts::default(), |sum, day| sum.add(&day.counts))
}

#[derive(Deserialize)]
struct LeadHour {
    hour: i64,
    leads: i64,
}

/// A business's numbers for every day of `period` ending today (Central time), oldest
/// first; days without a record are zeros.
pub async fn series(
    db: &impl Database,
    business_id: i64,
    period: Period,
    now: i64,
) -> DbResult<Vec<DayCounts>> {
    let today = hours::local_day_number(now);
    let first = today - (period.days() - 1);
    let mut days: Vec<DayCounts> = (first..=today)
        .map(|day| DayCounts {
            day: hours::iso_date(day),
            counts: Counts::default(),
        })
        .collect();
    let stored: Vec<DayCounts> = fetch_all(
        db,
        &Statement::new(
            "SELECT day, views, search_appearances, call_clicks, website_clicks, directions_clicks
               FROM listing_daily_stats
              WHERE business_id = ?1 AND day BETWEEN ?2 AND ?3",
        )
        .bind(business_id)
        .bind(hours::iso_date(first))
        .bind(hours::iso_date(today)),
    )
    .await?;
    for record in stored {
        if let Some(slot) = days.iter_mut().find(|slot| slot.day == record.day) {
            slot.counts = record.counts;
        }
    }
    // Counted per hour in SQL (Central offsets are whole hours, so an hour lies in one
    // Central day) and put on their day here, where the daylight-saving rule lives.
    let hours_with_leads: Vec<LeadHour> = fetch_all(
        db,
        &Statement::new(
            "SELECT created_at / 3600 AS hour, count(*) AS leads FROM leads
              WHERE business_id = ?1 AND status <> 'spam' AND created_at >= ?2 AND created_at < ?3
              GROUP BY created_at / 3600",
        )
        .bind(business_id)
        .bind(hours::central_midnight(first))
        .bind(hours::central_midnight(today + 1)),
    )
    .await?;
    for LeadHour { hour, leads } in hours_with_leads {
        let offset = hours::local_day_number(hour.saturating_mul(3600)) - first;
        if let Some(slot) = usize::try_from(offset).ok().and_then(|i| days.get_mut(i)) {
            slot.counts.leads += leads;
        }
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::fetch_integer;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    /// Monday 23 November 2026, 12:00 in Idabel (CST, UTC−6).
    const NOON_MONDAY: i64 = 1_795_456_800;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    fn listings(names: &[&str]) -> (SqliteDatabase, Vec<i64>) {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "plumbing");
        let ids = names
            .iter()
            .map(|name| insert(&db, &business(name, category)).id)
            .collect();
        (db, ids)
    }

    /// The slug of listing `id`, as a page names it.
    fn slug(db: &SqliteDatabase, id: i64) -> String {
        block_on(crate::listings::find(db, id))
            .unwrap()
            .map_or_else(|| format!("gone-{id}"), |l| l.slug)
    }

    fn message_in(
        db: &SqliteDatabase,
        id: &str,
        kind: EventKind,
        businesses: &[i64],
        at: i64,
    ) -> (String, Event) {
        (
            id.to_owned(),
            Event::new(kind, businesses.iter().map(|b| slug(db, *b)), at),
        )
    }

    fn counts(db: &SqliteDatabase, business_id: i64, day: &str) -> Option<Counts> {
        block_on(fetch_all::<Counts>(
            db,
            &Statement::new(
                "SELECT views, search_appearances, call_clicks, website_clicks, directions_clicks
                   FROM listing_daily_stats WHERE business_id = ?1 AND day = ?2",
            )
            .bind(business_id)
            .bind(day),
        ))
        .unwrap()
        .pop()
    }

    fn staged(db: &SqliteDatabase) -> i64 {
        block_on(fetch_integer(
            db,
            &Statement::new("SELECT count(*) FROM analytics_staged"),
        ))
        .unwrap()
    }

    fn add_lead(db: &SqliteDatabase, business_id: i64, status: &str, created_at: i64) {
        block_on(
            db.execute(
                &Statement::new(
                    "INSERT INTO leads (business_id, name, email, message, status, client_hash, created_at)
                     VALUES (?1, 'Pat', 'pat@example.com', 'Please call me back', ?2, 'h', ?3)",
                )
                .bind(business_id)
                .bind(status)
                .bind(created_at),
            ),
        )
        .unwrap();
    }

    #[test]
    fn a_batch_delivered_twice_is_counted_once() {
        let (db, ids) = listings(&["Idabel Plumbing", "Hugo Hardware"]);
        let batch = [
            message_in(&db, "m1", EventKind::View, &[ids[0]], NOON_MONDAY),
            message_in(&db, "m2", EventKind::SearchAppearance, &ids, NOON_MONDAY),
        ];
        assert_eq!(block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap(), 3);
        assert_eq!(
            block_on(record_batch(&db, &batch, NOON_MONDAY + 60)).unwrap(),
            0,
            "the redelivery adds nothing"
        );
        let first = counts(&db, ids[0], "2026-11-23").unwrap();
        assert_eq!((first.views, first.search_appearances), (1, 1));
        let second = counts(&db, ids[1], "2026-11-23").unwrap();
        assert_eq!((second.views, second.search_appearances), (0, 1));
    }

    #[test]
    fn a_redelivered_batch_with_new_messages_counts_only_the_new_ones() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let first = [message_in(&db, "m1", EventKind::View, &ids, NOON_MONDAY)];
        block_on(record_batch(&db, &first, NOON_MONDAY)).unwrap();
        let again = [
            message_in(&db, "m1", EventKind::View, &ids, NOON_MONDAY),
            message_in(&db, "m2", EventKind::View, &ids, NOON_MONDAY + 5),
            message_in(&db, "m3", EventKind::CallClick, &ids, NOON_MONDAY + 9),
        ];
        assert_eq!(
            block_on(record_batch(&db, &again, NOON_MONDAY + 30)).unwrap(),
            2
        );
        let day = counts(&db, ids[0], "2026-11-23").unwrap();
        assert_eq!((day.views, day.call_clicks), (2, 1));
    }

    #[test]
    fn a_message_listed_twice_in_one_batch_counts_once() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let batch = [
            message_in(&db, "m1", EventKind::View, &ids, NOON_MONDAY),
            message_in(&db, "m1", EventKind::View, &ids, NOON_MONDAY),
        ];
        assert_eq!(block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap(), 1);
        assert_eq!(counts(&db, ids[0], "2026-11-23").unwrap().views, 1);
    }

    #[test]
    fn events_for_a_business_that_does_not_exist_are_dropped_and_the_rest_counted() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let batch = [
            message_in(
                &db,
                "m1",
                EventKind::SearchAppearance,
                &[ids[0], 9_999, -4],
                NOON_MONDAY,
            ),
            message_in(&db, "m2", EventKind::View, &[9_999], NOON_MONDAY),
        ];
        assert_eq!(block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap(), 1);
        assert_eq!(
            counts(&db, ids[0], "2026-11-23")
                .unwrap()
                .search_appearances,
            1
        );
        assert_eq!(counts(&db, 9_999, "2026-11-23"), None);
    }

    #[test]
    fn every_kind_is_summed_into_its_business_and_day() {
        let (db, ids) = listings(&["Idabel Plumbing", "Hugo Hardware"]);
        let (a, b) = (ids[0], ids[1]);
        let batch = [
            message_in(&db, "1", EventKind::View, &[a], NOON_MONDAY),
            message_in(&db, "2", EventKind::View, &[a], NOON_MONDAY + HOUR),
            message_in(&db, "3", EventKind::View, &[a], NOON_MONDAY - DAY),
            message_in(&db, "4", EventKind::SearchAppearance, &[a, b], NOON_MONDAY),
            message_in(&db, "5", EventKind::CallClick, &[b], NOON_MONDAY),
            message_in(&db, "6", EventKind::WebsiteClick, &[a], NOON_MONDAY),
            message_in(&db, "7", EventKind::DirectionsClick, &[a], NOON_MONDAY),
            message_in(&db, "8", EventKind::DirectionsClick, &[a], NOON_MONDAY),
        ];
        assert_eq!(block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap(), 9);
        let later = [message_in(
            &db,
            "9",
            EventKind::View,
            &[a],
            NOON_MONDAY + 2 * HOUR,
        )];
        block_on(record_batch(&db, &later, NOON_MONDAY + 2 * HOUR)).unwrap();
        assert_eq!(
            counts(&db, a, "2026-11-23").unwrap(),
            Counts {
                views: 3,
                search_appearances: 1,
                call_clicks: 0,
                website_clicks: 1,
                directions_clicks: 2,
                leads: 0,
            }
        );
        assert_eq!(counts(&db, a, "2026-11-22").unwrap().views, 1);
        let neighbour = counts(&db, b, "2026-11-23").unwrap();
        assert_eq!(
            (
                neighbour.views,
                neighbour.search_appearances,
                neighbour.call_clicks
            ),
            (0, 1, 1)
        );
    }

    #[test]
    fn an_event_counts_on_its_central_day_not_on_its_utc_day() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        // 05:59 UTC on the 23rd is 23:59 on the 22nd in Idabel; 06:00 UTC is midnight.
        let midnight = hours::central_to_unix(2026, 11, 23, 0, 0);
        let batch = [
            message_in(&db, "late", EventKind::View, &ids, midnight - 60),
            message_in(&db, "early", EventKind::View, &ids, midnight),
        ];
        block_on(record_batch(&db, &batch, midnight + HOUR)).unwrap();
        assert_eq!(counts(&db, ids[0], "2026-11-22").unwrap().views, 1);
        assert_eq!(counts(&db, ids[0], "2026-11-23").unwrap().views, 1);
    }

    #[test]
    fn a_business_listed_twice_in_one_message_counts_twice_and_ids_past_the_cap_not_at_all() {
        let (db, ids) = listings(&["Idabel Plumbing", "Hugo Hardware"]);
        let (a, b) = (ids[0], ids[1]);
        let mut listed = vec![slug(&db, a), slug(&db, a)];
        listed.extend(std::iter::repeat_n(
            "no-such-listing".to_owned(),
            MAX_LISTINGS - 2,
        ));
        listed.push(slug(&db, b));
        let event = Event {
            kind: EventKind::SearchAppearance,
            listings: listed,
            at: NOON_MONDAY,
        };
        block_on(record_batch(&db, &[("m".into(), event)], NOON_MONDAY)).unwrap();
        assert_eq!(counts(&db, a, "2026-11-23").unwrap().search_appearances, 2);
        assert_eq!(counts(&db, b, "2026-11-23"), None, "the 101st id");
    }

    #[test]
    fn counted_messages_are_forgotten_after_eight_days_and_their_counts_kept() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let first = [message_in(&db, "old", EventKind::View, &ids, NOON_MONDAY)];
        block_on(record_batch(&db, &first, NOON_MONDAY)).unwrap();
        let week_later = NOON_MONDAY + 7 * DAY;
        let second = [message_in(&db, "new", EventKind::View, &ids, week_later)];
        block_on(record_batch(&db, &second, week_later)).unwrap();
        assert_eq!(staged(&db), 2, "remembered for 8 days");
        let nine_days_later = NOON_MONDAY + 9 * DAY;
        let third = [message_in(
            &db,
            "newer",
            EventKind::View,
            &ids,
            nine_days_later,
        )];
        block_on(record_batch(&db, &third, nine_days_later)).unwrap();
        assert_eq!(staged(&db), 2, "the first message is forgotten");
        assert_eq!(counts(&db, ids[0], "2026-11-23").unwrap().views, 1);
    }

    #[test]
    fn nothing_to_count_touches_nothing() {
        let (db, _) = listings(&["Idabel Plumbing"]);
        assert_eq!(block_on(record_batch(&db, &[], NOON_MONDAY)).unwrap(), 0);
        let batch = [
            message_in(&db, "", EventKind::View, &[1], NOON_MONDAY),
            message_in(&db, "m", EventKind::View, &[1], i64::MAX),
            message_in(&db, "n", EventKind::View, &[1], -1),
        ];
        assert_eq!(block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap(), 0);
        assert_eq!(staged(&db), 0);
    }

    #[test]
    fn erasing_a_business_erases_its_counters() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let batch = [message_in(&db, "m", EventKind::View, &ids, NOON_MONDAY)];
        block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap();
        block_on(db.execute(&Statement::new("DELETE FROM businesses WHERE id = ?1").bind(ids[0])))
            .unwrap();
        assert_eq!(counts(&db, ids[0], "2026-11-23"), None);
    }

    #[test]
    fn a_series_has_every_day_of_the_period_oldest_first_ending_today() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let batch = [
            message_in(&db, "m1", EventKind::View, &ids, NOON_MONDAY - 2 * DAY),
            message_in(&db, "m2", EventKind::CallClick, &ids, NOON_MONDAY),
            message_in(&db, "m3", EventKind::View, &ids, NOON_MONDAY - 7 * DAY),
        ];
        block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap();
        let week = block_on(series(&db, ids[0], Period::Week, NOON_MONDAY)).unwrap();
        let days: Vec<&str> = week.iter().map(|d| d.day.as_str()).collect();
        assert_eq!(
            days,
            [
                "2026-11-17",
                "2026-11-18",
                "2026-11-19",
                "2026-11-20",
                "2026-11-21",
                "2026-11-22",
                "2026-11-23"
            ]
        );
        let views: Vec<i64> = week.iter().map(|d| d.counts.views).collect();
        assert_eq!(
            views,
            [0, 0, 0, 0, 1, 0, 0],
            "the view 7 days ago is outside"
        );
        assert_eq!(week[6].counts.call_clicks, 1);
        for period in Period::ALL {
            let days = block_on(series(&db, ids[0], period, NOON_MONDAY)).unwrap();
            assert_eq!(days.len() as i64, period.days());
            assert_eq!(days.last().unwrap().day, "2026-11-23");
        }
        let month = block_on(series(&db, ids[0], Period::Month, NOON_MONDAY)).unwrap();
        assert_eq!(totals(&month).views, 2);
    }

    #[test]
    fn a_series_shows_only_its_own_business() {
        let (db, ids) = listings(&["Idabel Plumbing", "Hugo Hardware"]);
        let batch = [message_in(
            &db,
            "m",
            EventKind::View,
            &[ids[1]],
            NOON_MONDAY,
        )];
        block_on(record_batch(&db, &batch, NOON_MONDAY)).unwrap();
        add_lead(&db, ids[1], "new", NOON_MONDAY);
        let mine = block_on(series(&db, ids[0], Period::Week, NOON_MONDAY)).unwrap();
        assert_eq!(totals(&mine), Counts::default());
    }

    #[test]
    fn leads_come_from_the_leads_table_on_their_central_day_and_spam_is_left_out() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        let midnight = hours::central_to_unix(2026, 11, 23, 0, 0);
        add_lead(&db, ids[0], "new", NOON_MONDAY);
        add_lead(&db, ids[0], "closed", midnight);
        add_lead(&db, ids[0], "contacted", midnight - 1);
        add_lead(&db, ids[0], "spam", NOON_MONDAY);
        add_lead(&db, ids[0], "new", midnight - 7 * DAY);
        let week = block_on(series(&db, ids[0], Period::Week, NOON_MONDAY)).unwrap();
        let leads: Vec<i64> = week.iter().map(|d| d.counts.leads).collect();
        assert_eq!(leads, [0, 0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn a_series_across_the_autumn_clock_change_keeps_each_day_whole() {
        let (db, ids) = listings(&["Idabel Plumbing"]);
        // Sunday 1 November 2026 has 25 hours in Idabel.
        let late_sunday = hours::central_to_unix(2026, 11, 1, 23, 30);
        let early_monday = hours::central_to_unix(2026, 11, 2, 0, 30);
        add_lead(&db, ids[0], "new", late_sunday);
        add_lead(&db, ids[0], "new", early_monday);
        let now = hours::central_to_unix(2026, 11, 2, 12, 0);
        let week = block_on(series(&db, ids[0], Period::Week, now)).unwrap();
        let days: Vec<(&str, i64)> = week
            .iter()
            .map(|d| (d.day.as_str(), d.counts.leads))
            .skip(5)
            .collect();
        assert_eq!(days, [("2026-11-01", 1), ("2026-11-02", 1)]);
    }

    #[test]
    fn totals_add_up_every_metric() {
        let day = |views, leads| DayCounts {
            day: "2026-11-23".into(),
            counts: Counts {
                views,
                search_appearances: 2,
                call_clicks: 1,
                website_clicks: 0,
                directions_clicks: 3,
                leads,
            },
        };
        let sum = totals(&[day(4, 1), day(6, 0)]);
        let by_metric: Vec<i64> = Metric::ALL.iter().map(|m| sum.get(*m)).collect();
        assert_eq!(by_metric, [10, 4, 2, 0, 6, 1]);
        assert_eq!(totals(&[]), Counts::default());
    }

    #[test]
    fn names_are_stable_and_parse_back() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
        }
        assert_eq!(Period::parse("7"), Some(Period::Week));
        assert_eq!(Period::parse("30"), Some(Period::Month));
        assert_eq!(Period::parse("90"), Some(Period::Quarter));
        assert_eq!(Period::parse("365"), None);
        assert_eq!(EventKind::parse("lead"), None);
    }

    #[test]
    fn a_queue_message_is_small_json_and_reads_back() {
        let event = Event::new(
            EventKind::SearchAppearance,
            [
                "idabel-plumbing-idabel".to_owned(),
                "hugo-hardware-hugo".to_owned(),
            ],
            NOON_MONDAY,
        );
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"search_appearance","listings":["idabel-plumbing-idabel","hugo-hardware-hugo"],"at":1795456800}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        let many = Event::new(
            EventKind::View,
            (1..=500).map(|n| format!("l-{n}")),
            NOON_MONDAY,
        );
        assert_eq!(many.listings.len(), MAX_LISTINGS);
    }

    #[test]
    fn a_series_reads_as_flat_json() {
        let day = DayCounts {
            day: "2026-11-23".into(),
            counts: Counts {
                views: 1,
                ..Counts::default()
            },
        };
        assert_eq!(
            serde_json::to_value(&day).unwrap(),
            serde_json::json!({"day": "2026-11-23", "views": 1, "search_appearances": 0,
                "call_clicks": 0, "website_clicks": 0, "directions_clicks": 0, "leads": 0})
        );
    }

    #[test]
    fn people_in_browsers_are_not_bots() {
        let browsers = [
            // Chrome on Windows, Firefox on Linux, Safari and Edge on a Mac.
            concat!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ",
                "Chrome/131.0.0.0 Safari/537.36",
            ),
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            concat!(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, ",
                "like Gecko) Version/18.1 Safari/605.1.15",
            ),
            concat!(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like ",
                "Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            ),
            // Safari on an iPhone, Chrome on a Samsung and on a Pixel, Samsung Internet.
            concat!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 ",
                "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            ),
            concat!(
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) ",
                "Chrome/131.0.0.0 Mobile Safari/537.36",
            ),
            concat!(
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) ",
                "Chrome/131.0.6778.39 Mobile Safari/537.36",
            ),
            concat!(
                "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, ",
                "like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            ),
            // Facebook's in-app browser (a person, unlike facebookexternalhit) and a Cubot phone.
            concat!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ",
                "(KHTML, like Gecko) Mobile/15E148 ",
                "[FBAN/FBIOS;FBAV/470.0.0.37.108;FBBV/123;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;",
                "FBSV/17.5;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]",
            ),
            concat!(
                "Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7) AppleWebKit/537.36 (KHTML, ",
                "like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
            ),
        ];
        for agent in browsers {
            assert!(!is_bot(Some(agent)), "{agent}");
        }
    }

    #[test]
    fn crawlers_previews_headless_browsers_and_tools_are_bots() {
        let machines = [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            concat!(
                "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 ",
                "(KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; ",
                "Googlebot/2.1; +http://www.google.com/bot.html)",
            ),
            concat!(
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; ",
                "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
            ),
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
            concat!(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, ",
                "like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; ",
                "+http://www.apple.com/go/applebot)",
            ),
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
            "Twitterbot/1.0",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0 A",
            concat!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) ",
                "SkypeUriPreview Preview/0.5",
            ),
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            concat!(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ",
                "HeadlessChrome/131.0.0.0 Safari/537.36",
            ),
            concat!(
                "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, ",
                "like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            ),
            "curl/8.5.0",
            "Wget/1.21.4",
            "python-requests/2.32.3",
            "Python-urllib/3.12",
            "Go-http-client/2.0",
            "okhttp/4.12.0",
            "Java/17.0.2",
            "PostmanRuntime/7.42.0",
            "Scrapy/2.11.2 (+https://scrapy.org)",
        ];
        for agent in machines {
            assert!(is_bot(Some(agent)), "{agent}");
        }
    }

    #[test]
    fn a_missing_or_blank_user_agent_is_a_bot() {
        assert!(is_bot(None));
        assert!(is_bot(Some("")));
        assert!(is_bot(Some("   ")));
    }

    #[test]
    fn the_batch_uses_the_partial_index_for_the_rows_it_counts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let plan = db
            .query_plan(&Statement::new(
                "SELECT business_id, day FROM analytics_staged WHERE counted = 0 GROUP BY business_id, day",
            ))
            .unwrap()
            .join("\n");
        assert!(plan.contains("idx_analytics_staged_uncounted"), "{plan}");
    }
}
