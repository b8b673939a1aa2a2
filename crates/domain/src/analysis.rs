//! The analyzer's bookkeeping: how complete a listing is (and what is missing), which listings
//! a run takes (fairly: never analyzed first, then the least complete and longest unread),
//! what each listing's last analysis found, the counts of every run, the analyses that kept
//! failing (the dead-letter list admins replay), and offering what a website said: every
//! value becomes a suggestion, and only a high-confidence one for an empty field is applied
//! at once, a few per listing per day, as an edit signed by the analyzer (undoable).

use crate::accounts::Actor;
use crate::audit;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::edits::{Author, Means};
use crate::error::DomainResult;
use crate::suggestions::{self, Decided, NewSuggestion};
use crate::{Page, Paged};
use serde::{Deserialize, Serialize};

/// A listing analyzed this recently is not due again.
pub const STALE_AFTER: i64 = 7 * 86_400;
/// A listing queued this recently and not finished since is still in flight.
pub const IN_FLIGHT_FOR: i64 = 86_400;
/// The least confidence at which the analyzer fills an empty field itself.
pub const AUTO_APPLY_CONFIDENCE: f64 = 0.95;
/// At most this many fields filled by the analyzer per listing in any 24 hours.
pub const AUTO_APPLY_PER_DAY: i64 = 3;
/// A description shorter than this (characters) is worth a better one from the model.
pub const SHORT_DESCRIPTION: usize = 120;
/// The name edits and suggestions of the analyzer carry.
pub const WORKER: &str = "analyzer";

/// One part of a complete listing and what it weighs in the score (the weights add to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Name,
    Description,
    Phone,
    Email,
    Website,
    Address,
    City,
    State,
    Zip,
    Facebook,
    Photo,
    Hours,
}

impl Part {
    pub const ALL: [Part; 12] = [
        Self::Name,
        Self::Description,
        Self::Phone,
        Self::Email,
        Self::Website,
        Self::Address,
        Self::City,
        Self::State,
        Self::Zip,
        Self::Facebook,
        Self::Photo,
        Self::Hours,
    ];

    /// Its points out of 100 (the `listing_completeness` view weighs the same).
    pub fn weight(self) -> i64 {
        match self {
            Self::Description => 15,
            Self::Name
            | Self::Phone
            | Self::Email
            | Self::Website
            | Self::Address
            | Self::Photo => 10,
            Self::City | Self::State | Self::Zip | Self::Facebook | Self::Hours => 5,
        }
    }

    /// What an owner reads in "missing".
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "a name",
            Self::Description => "a description",
            Self::Phone => "a phone number",
            Self::Email => "an email address",
            Self::Website => "a website",
            Self::Address => "a street address",
            Self::City => "a city",
            Self::State => "a state",
            Self::Zip => "a ZIP code",
            Self::Facebook => "a Facebook link",
            Self::Photo => "a photo",
            Self::Hours => "opening hours",
        }
    }
}

/// A listing's completeness: its score and the parts it lacks (heaviest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completeness {
    pub score: i64,
    pub missing: Vec<Part>,
}

#[derive(Deserialize)]
struct CompletenessRow {
    has_name: i64,
    has_description: i64,
    has_phone: i64,
    has_email: i64,
    has_website: i64,
    has_address: i64,
    has_city: i64,
    has_state: i64,
    has_zip: i64,
    has_facebook: i64,
    has_photo: i64,
    has_hours: i64,
    score: i64,
}

impl CompletenessRow {
    fn has(&self, part: Part) -> bool {
        let flag = match part {
            Part::Name => self.has_name,
            Part::Description => self.has_description,
            Part::Phone => self.has_phone,
            Part::Email => self.has_email,
            Part::Website => self.has_website,
            Part::Address => self.has_address,
            Part::City => self.has_city,
            Part::State => self.has_state,
            Part::Zip => self.has_zip,
            Part::Facebook => self.has_facebook,
            Part::Photo => self.has_photo,
            Part::Hours => self.has_hours,
        };
        flag != 0
    }
}

/// How complete listing `business_id` is, as of now.
pub async fn completeness(db: &impl Database, business_id: i64) -> DbResult<Option<Completeness>> {
    let row: Option<CompletenessRow> = fetch_optional(
        db,
        &Statement::new("SELECT * FROM listing_completeness WHERE business_id = ?1")
            .bind(business_id),
    )
    .await?;
    Ok(row.map(|row| {
        let mut missing: Vec<Part> = Part::ALL.into_iter().filter(|p| !row.has(*p)).collect();
        missing.sort_by_key(|p| std::cmp::Reverse(p.weight()));
        Completeness {
            score: row.score,
            missing,
        }
    }))
}

/// Takes up to `limit` due listings for run `run_id` and marks them queued, in one statement:
/// public listings never analyzed come first, then the least complete and the longest
/// unread; a listing analyzed within [`STALE_AFTER`] or still in flight is not due. Records
/// the run's `selected` count. Returns the listings' ids in that order.
pub async fn select_due(
    db: &impl Database,
    run_id: i64,
    limit: u32,
    now: i64,
) -> DbResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Selected {
        business_id: i64,
    }
    let selected: Vec<Selected> = fetch_all(
        db,
        &Statement::new(
            "INSERT INTO listing_analyses (business_id, queued_at, queued_run)
             SELECT c.business_id, ?1, ?2
               FROM listing_completeness c
               JOIN businesses b ON b.id = c.business_id
               LEFT JOIN listing_analyses a ON a.business_id = c.business_id
              WHERE b.status = 'published' AND b.is_active = 1
                AND (a.analyzed_at IS NULL OR a.analyzed_at <= ?1 - ?4)
                AND (a.queued_at IS NULL OR a.queued_at <= ?1 - ?5
                     OR (a.analyzed_at IS NOT NULL AND a.analyzed_at >= a.queued_at))
              ORDER BY a.analyzed_at IS NOT NULL, c.score, a.analyzed_at, c.business_id
              LIMIT ?3
             ON CONFLICT (business_id) DO UPDATE SET queued_at = excluded.queued_at,
                                                     queued_run = excluded.queued_run, attempts = 0
             RETURNING business_id",
        )
        .bind(now)
        .bind(run_id)
        .bind(limit)
        .bind(STALE_AFTER)
        .bind(IN_FLIGHT_FOR),
    )
    .await?;
    db.execute(
        &Statement::new(
            "INSERT INTO analysis_runs (run_id, selected) VALUES (?1, ?2)
             ON CONFLICT (run_id) DO UPDATE SET selected = selected + excluded.selected",
        )
        .bind(run_id)
        .bind(selected.len() as i64),
    )
    .await?;
    Ok(selected.into_iter().map(|s| s.business_id).collect())
}

/// Records what the run did beside reading websites (the model's part, or why not).
pub async fn note_run(db: &impl Database, run_id: i64, note: &str) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "INSERT INTO analysis_runs (run_id, note) VALUES (?1, ?2)
             ON CONFLICT (run_id) DO UPDATE SET note = excluded.note",
        )
        .bind(run_id)
        .bind(note.chars().take(500).collect::<String>()),
    )
    .await?;
    Ok(())
}

/// How one analysis ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The website was read: this many suggestions made, of which this many applied.
    Read { suggested: i64, auto_applied: i64 },
    /// Nothing could or may be read (no website, a refused address, robots.txt, not HTML):
    /// done for now, not retried. Suggestions from the model may still have been made.
    NothingToRead { suggested: i64 },
    /// Failed for good (the queue's retries are spent): in the dead-letter list.
    Failed,
}

/// Records the end of listing `business_id`'s analysis for run `run_id` (0 when replayed
/// outside a run) and adds it to the run's counts, in one batch.
pub async fn finish(
    db: &impl Database,
    business_id: i64,
    run_id: i64,
    ending: Ending,
    detail: &str,
    now: i64,
) -> DbResult<()> {
    let (outcome, suggested, auto_applied, failed) = match ending {
        Ending::Read {
            suggested,
            auto_applied,
        } => ("read", suggested, auto_applied, 0),
        Ending::NothingToRead { suggested } => ("nothing_to_read", suggested, 0, 0),
        Ending::Failed => ("failed", 0, 0, 1_i64),
    };
    let analyzed = 1 - failed;
    db.batch(&[
        Statement::new(
            "INSERT INTO listing_analyses (business_id, analyzed_at, outcome, detail) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (business_id) DO UPDATE SET analyzed_at = ?2, outcome = ?3, detail = ?4,
                                                     last_error = ''",
        )
        .bind(business_id)
        .bind(now)
        .bind(outcome)
        .bind(detail.chars().take(500).collect::<String>()),
        Statement::new(
            "UPDATE analysis_runs SET analyzed = analyzed + ?2, suggested = suggested + ?3,
                    auto_applied = auto_applied + ?4, failed = failed + ?5
              WHERE run_id = ?1",
        )
        .bind(run_id)
        .bind(analyzed)
        .bind(suggested)
        .bind(auto_applied)
        .bind(failed),
    ])
    .await
}

/// Notes why an attempt failed (kept for the dead-letter list should the retries run out).
pub async fn attempt_failed(db: &impl Database, business_id: i64, reason: &str) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "UPDATE listing_analyses SET attempts = attempts + 1, last_error = ?2 WHERE business_id = ?1",
        )
        .bind(business_id)
        .bind(reason.chars().take(500).collect::<String>()),
    )
    .await?;
    Ok(())
}

/// How many attempts at listing `business_id`'s current analysis failed.
pub async fn attempts(db: &impl Database, business_id: i64) -> DbResult<i64> {
    fetch_integer(
        db,
        &Statement::new(
            "SELECT coalesce(max(attempts), 0) FROM listing_analyses WHERE business_id = ?1",
        )
        .bind(business_id),
    )
    .await
}

/// Puts listing `business_id`'s analysis in the dead-letter list with the last failure's
/// reason, and counts it as failed for its run — once per queue message (`message_id`),
/// however often the dead-letter queue delivers it; nothing for a listing erased since.
pub async fn dead_letter(db: &impl Database, letter: &Letter<'_>, now: i64) -> DbResult<()> {
    #[derive(Deserialize)]
    struct Recorded {
        reason: String,
    }
    let recorded: Option<Recorded> = fetch_optional(
        db,
        &Statement::new(
            "INSERT INTO analysis_dead_letters (message_id, business_id, run_id, reason, attempts, failed_at)
             SELECT ?1, b.id, ?3, coalesce(a.last_error, ''), ?4, ?5
               FROM businesses b LEFT JOIN listing_analyses a ON a.business_id = b.id
              WHERE b.id = ?2
             ON CONFLICT (message_id) DO NOTHING
             RETURNING reason",
        )
        .bind(letter.message_id)
        .bind(letter.business_id)
        .bind(letter.run_id)
        .bind(letter.attempts)
        .bind(now),
    )
    .await?;
    match recorded {
        Some(recorded) => {
            finish(
                db,
                letter.business_id,
                letter.run_id,
                Ending::Failed,
                &recorded.reason,
                now,
            )
            .await
        }
        None => Ok(()),
    }
}

/// What the dead-letter queue delivered: the queue's message id, the listing, its run and
/// how many attempts failed.
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    pub message_id: &'a str,
    pub business_id: i64,
    pub run_id: i64,
    pub attempts: i64,
}

/// One analysis that kept failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: i64,
    pub business_id: i64,
    pub business_name: String,
    pub run_id: Option<i64>,
    pub reason: String,
    pub attempts: i64,
    pub failed_at: i64,
    pub replay_requested_at: Option<i64>,
    pub replayed_at: Option<i64>,
}

/// The dead-letter list, newest first.
pub async fn dead_letters(db: &impl Database, page: Page) -> DbResult<Paged<DeadLetter>> {
    let items = fetch_all(
        db,
        &Statement::new(
            "SELECT d.id, d.business_id, b.name AS business_name, d.run_id, d.reason, d.attempts, d.failed_at,
                    d.replay_requested_at, d.replayed_at
               FROM analysis_dead_letters d JOIN businesses b ON b.id = d.business_id
              ORDER BY d.failed_at DESC, d.id DESC LIMIT ?1 OFFSET ?2",
        )
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM analysis_dead_letters"),
    )
    .await?;
    Ok(Paged { items, total, page })
}

/// An admin asks for dead letter `id` to be analyzed again; the analyzer takes the request
/// (see [`take_replays`]). Asked once: a second request for the same letter changes nothing.
pub async fn request_replay(
    db: &impl Database,
    actor: &Actor,
    id: i64,
    now: i64,
) -> DomainResult<Decided> {
    let id_text = id.to_string();
    db.batch(&[
        Statement::new(
            "UPDATE analysis_dead_letters SET replay_requested_at = ?2, replay_requested_by = ?3
              WHERE id = ?1 AND replay_requested_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .bind(actor.user_id),
        audit::guarded_entry(
            actor,
            "replay_analysis",
            "dead_letter",
            &id_text,
            None,
            None,
            now,
            "changes() = 1",
        ),
    ])
    .await?;
    #[derive(Deserialize)]
    struct Requested {
        replay_requested_by: Option<i64>,
        replay_requested_at: Option<i64>,
    }
    let letter: Option<Requested> = fetch_optional(
        db,
        &Statement::new(
            "SELECT replay_requested_by, replay_requested_at FROM analysis_dead_letters WHERE id = ?1",
        )
        .bind(id),
    )
    .await?;
    match letter {
        None => Err(crate::DomainError::NotFound("dead letter".into())),
        Some(l)
            if l.replay_requested_at == Some(now)
                && l.replay_requested_by == Some(actor.user_id) =>
        {
            Ok(Decided::Done)
        }
        Some(_) => Ok(Decided::AlreadyDecided),
    }
}

/// A replay the analyzer is to send to its queue again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Replay {
    pub id: i64,
    pub business_id: i64,
}

/// Takes every requested replay not taken yet (each is taken once, whoever asks). The caller
/// queues them, then marks the listings queued ([`mark_queued`]), or gives them back
/// ([`release_replays`]) when queueing failed.
pub async fn take_replays(db: &impl Database, now: i64) -> DbResult<Vec<Replay>> {
    fetch_all(
        db,
        &Statement::new(
            "UPDATE analysis_dead_letters SET replayed_at = ?1
              WHERE replay_requested_at IS NOT NULL AND replayed_at IS NULL RETURNING id, business_id",
        )
        .bind(now),
    )
    .await
}

/// Replays taken that could not be queued wait to be taken again.
pub async fn release_replays(db: &impl Database, replays: &[Replay]) -> DbResult<()> {
    let statements: Vec<Statement> = replays
        .iter()
        .map(|r| {
            Statement::new("UPDATE analysis_dead_letters SET replayed_at = NULL WHERE id = ?1")
                .bind(r.id)
        })
        .collect();
    if statements.is_empty() {
        return Ok(());
    }
    db.batch(&statements).await
}

/// Marks the replayed listings queued (in flight) outside any run.
pub async fn mark_queued(db: &impl Database, replays: &[Replay], now: i64) -> DbResult<()> {
    let statements: Vec<Statement> = replays
        .iter()
        .map(|r| {
            Statement::new(
                "UPDATE listing_analyses SET queued_at = ?2, queued_run = 0, attempts = 0, last_error = ''
                  WHERE business_id = ?1",
            )
            .bind(r.business_id)
            .bind(now)
        })
        .collect();
    if statements.is_empty() {
        return Ok(());
    }
    db.batch(&statements).await
}

/// The run's listings that could not be queued are not in flight: the next run may take them.
pub async fn release_run(db: &impl Database, run_id: i64) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "UPDATE listing_analyses SET queued_at = NULL
              WHERE queued_run = ?1 AND (analyzed_at IS NULL OR analyzed_at < queued_at)",
        )
        .bind(run_id),
    )
    .await?;
    Ok(())
}

/// One enrichment run with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    pub run_id: i64,
    pub scheduled_at: i64,
    pub started_at: i64,
    pub outcome: String,
    pub detail: String,
    pub selected: i64,
    pub analyzed: i64,
    pub suggested: i64,
    pub auto_applied: i64,
    pub failed: i64,
    pub note: String,
}

/// The latest enrichment runs with their counts, newest first.
pub async fn runs(db: &impl Database, limit: u32) -> DbResult<Vec<RunCounts>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT j.id AS run_id, j.scheduled_at, j.started_at, j.outcome, j.detail,
                    coalesce(r.selected, 0) AS selected, coalesce(r.analyzed, 0) AS analyzed,
                    coalesce(r.suggested, 0) AS suggested, coalesce(r.auto_applied, 0) AS auto_applied,
                    coalesce(r.failed, 0) AS failed, coalesce(r.note, '') AS note
               FROM job_runs j LEFT JOIN analysis_runs r ON r.run_id = j.id
              WHERE j.worker = ?1 ORDER BY j.started_at DESC, j.id DESC LIMIT ?2",
        )
        .bind(WORKER)
        .bind(limit),
    )
    .await
}

/// A listing's last analysis, for its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastAnalysis {
    pub analyzed_at: i64,
    pub outcome: String,
    pub detail: String,
}

pub async fn last(db: &impl Database, business_id: i64) -> DbResult<Option<LastAnalysis>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT analyzed_at, outcome, detail FROM listing_analyses
              WHERE business_id = ?1 AND analyzed_at IS NOT NULL",
        )
        .bind(business_id),
    )
    .await
}

/// What offering a value did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// Suggested before (pending, or rejected for this value): nothing new.
    Known,
    /// Waiting for review.
    Suggested,
    /// Filled in at once by the analyzer.
    Applied,
}

/// Offers a value read for listing `business_id`: recorded as a suggestion (the value checked
/// by the field's rules), and applied at once only when the field is empty today, the
/// confidence is at least [`AUTO_APPLY_CONFIDENCE`] and fewer than [`AUTO_APPLY_PER_DAY`]
/// fields were filled by the analyzer in the last 24 hours.
pub async fn offer(
    db: &impl Database,
    business_id: i64,
    new: &NewSuggestion<'_>,
    now: i64,
) -> DomainResult<Offered> {
    let Some(id) = suggestions::propose(db, business_id, new, now).await? else {
        return Ok(Offered::Known);
    };
    let Some(suggestion) = suggestions::find(db, business_id, id).await? else {
        return Ok(Offered::Suggested);
    };
    let eligible = suggestion.current_value.trim().is_empty()
        && new.confidence >= AUTO_APPLY_CONFIDENCE
        && suggestions::applied_automatically_since(db, business_id, now - 86_400).await?
            < AUTO_APPLY_PER_DAY;
    if !eligible {
        return Ok(Offered::Suggested);
    }
    let author = Author::worker(WORKER, Means::Analyzer);
    match suggestions::accept(db, &author, business_id, id, now).await {
        Ok(Decided::Done) => Ok(Offered::Applied),
        // Refused as an edit (another field of the listing no longer passes today's rules, say):
        // it waits for a person like any other suggestion.
        Ok(Decided::AlreadyDecided) | Err(crate::DomainError::Invalid(_)) => Ok(Offered::Suggested),
        Err(err) => Err(err),
    }
}

/// A listing new this week, for the analyzer's daily blog draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewListing {
    pub name: String,
    pub slug: String,
    pub city: String,
    pub state: String,
    pub category: String,
    pub description: String,
}

/// Public listings added since `since`, newest first.
pub async fn new_listings(db: &impl Database, since: i64, limit: u32) -> DbResult<Vec<NewListing>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT b.name, b.slug, b.city, b.state, c.name AS category, b.description
               FROM businesses b JOIN categories c ON c.id = b.category_id
              WHERE b.status = 'published' AND b.is_active = 1 AND b.created_at >= ?1
              ORDER BY b.created_at DESC, b.id DESC LIMIT ?2",
        )
        .bind(since)
        .bind(limit),
    )
    .await
}

/// The slug of the analyzer's blog draft for a Central-time day (`YYYY-MM-DD`): one a day.
pub fn daily_post_slug(day: &str) -> String {
    format!("new-this-week-{day}")
}

/// Saves the analyzer's daily draft (never published: an admin reviews it) unless that day's
/// draft exists. `Some(id)` when saved.
pub async fn save_daily_draft(
    db: &impl Database,
    day: &str,
    title: &str,
    summary: &str,
    body: &str,
    now: i64,
) -> DomainResult<Option<i64>> {
    let slug = crate::values::Slug::parse("slug", &daily_post_slug(day))?;
    let exists = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM blog_posts WHERE slug = ?1").bind(slug.as_str()),
    )
    .await?;
    if exists > 0 {
        return Ok(None);
    }
    let title: String = title.chars().take(200).collect();
    let post = crate::blog::NewPost {
        slug: &slug,
        title: &title,
        summary,
        body,
        author: "The directory's analyzer (draft for review)",
        published_at: None,
    };
    Ok(Some(crate::blog::create(db, &post, now).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::jobs::{self, RunKey};
    use crate::listings;
    use crate::suggestions::Field;
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;
    const HOUR: i64 = 3_600;

    fn run(db: &SqliteDatabase, at: i64) -> i64 {
        let key = RunKey {
            worker: WORKER,
            job: "enrich_listings",
            cron: "0 2,14,20 * * *",
            scheduled_at: at,
        };
        block_on(jobs::claim(db, &key, at)).unwrap().unwrap()
    }

    fn listings(db: &SqliteDatabase, count: usize) -> Vec<i64> {
        let category = some_category(db, "plumbing");
        (0..count)
            .map(|i| insert(db, &business(&format!("Listing {i:03}"), category)).id)
            .collect()
    }

    fn letter(message_id: &str, business_id: i64, run_id: i64) -> Letter<'_> {
        Letter {
            message_id,
            business_id,
            run_id,
            attempts: 4,
        }
    }

    fn offer_value(
        db: &SqliteDatabase,
        id: i64,
        field: Field,
        value: &str,
        confidence: f64,
    ) -> Offered {
        let new = NewSuggestion {
            field,
            value,
            confidence,
            source_url: "https://listing.example.org/",
            evidence: "from the page",
        };
        block_on(offer(db, id, &new, NOW)).unwrap()
    }

    #[test]
    fn completeness_weighs_each_part_and_names_what_is_missing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        let bare = block_on(completeness(&db, id)).unwrap().unwrap();
        // Name, city and state are always there.
        assert_eq!(bare.score, 20);
        assert_eq!(bare.missing.first(), Some(&Part::Description));
        assert!(bare.missing.contains(&Part::Hours));
        assert_eq!(Part::ALL.iter().map(|p| p.weight()).sum::<i64>(), 100);
        offer_value(&db, id, Field::Phone, "(580) 555-0101", 0.97);
        let better = block_on(completeness(&db, id)).unwrap().unwrap();
        assert_eq!(better.score, 30);
        assert!(!better.missing.contains(&Part::Phone));
    }

    #[test]
    fn fair_selection_reaches_every_listing_in_turn_and_never_twice_in_a_week() {
        let db = SqliteDatabase::in_memory().unwrap();
        let all = listings(&db, 23);
        let mut reached = std::collections::BTreeSet::new();
        // Three runs a day, five listings a run: 23 listings need five runs.
        for n in 0..5 {
            let at = NOW + n * 6 * HOUR;
            let id = run(&db, at);
            let selected = block_on(select_due(&db, id, 5, at)).unwrap();
            assert!(selected.len() <= 5);
            for business in &selected {
                assert!(
                    reached.insert(*business),
                    "listing {business} selected twice"
                );
                block_on(finish(
                    &db,
                    *business,
                    id,
                    Ending::NothingToRead { suggested: 0 },
                    "",
                    at,
                ))
                .unwrap();
            }
        }
        assert_eq!(reached.into_iter().collect::<Vec<_>>(), all);
        // A week later everything is due again.
        let later = NOW + STALE_AFTER + 30 * HOUR;
        let again = block_on(select_due(&db, run(&db, later), 100, later)).unwrap();
        assert_eq!(again.len(), 23);
    }

    #[test]
    fn never_analyzed_listings_come_first_then_the_least_complete() {
        let db = SqliteDatabase::in_memory().unwrap();
        let ids = listings(&db, 3);
        offer_value(&db, ids[0], Field::Phone, "(580) 555-0101", 0.97);
        let first = block_on(select_due(&db, run(&db, NOW), 2, NOW)).unwrap();
        // The two least complete never-analyzed listings, lowest score first.
        assert_eq!(first, vec![ids[1], ids[2]]);
    }

    #[test]
    fn a_listing_in_flight_is_not_selected_again_until_it_finishes_or_a_day_passes() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        assert_eq!(
            block_on(select_due(&db, run(&db, NOW), 10, NOW)).unwrap(),
            vec![id]
        );
        let soon = NOW + 6 * HOUR;
        assert!(
            block_on(select_due(&db, run(&db, soon), 10, soon))
                .unwrap()
                .is_empty()
        );
        let stuck = NOW + IN_FLIGHT_FOR + HOUR;
        assert_eq!(
            block_on(select_due(&db, run(&db, stuck), 10, stuck)).unwrap(),
            vec![id]
        );
    }

    #[test]
    fn runs_count_what_their_analyses_did() {
        let db = SqliteDatabase::in_memory().unwrap();
        let ids = listings(&db, 3);
        let id = run(&db, NOW);
        block_on(select_due(&db, id, 10, NOW)).unwrap();
        let read = Ending::Read {
            suggested: 4,
            auto_applied: 2,
        };
        block_on(finish(&db, ids[0], id, read, "read", NOW)).unwrap();
        block_on(finish(
            &db,
            ids[1],
            id,
            Ending::NothingToRead { suggested: 1 },
            "",
            NOW,
        ))
        .unwrap();
        block_on(attempt_failed(&db, ids[2], "the website answered 500")).unwrap();
        block_on(dead_letter(&db, &letter("m-1", ids[2], id), NOW)).unwrap();
        // The dead-letter queue delivers at least once: a second delivery changes nothing.
        block_on(dead_letter(&db, &letter("m-1", ids[2], id), NOW)).unwrap();
        block_on(note_run(
            &db,
            id,
            "model: not configured, descriptions skipped",
        ))
        .unwrap();
        let counts = &block_on(runs(&db, 5)).unwrap()[0];
        assert_eq!(
            (
                counts.selected,
                counts.analyzed,
                counts.suggested,
                counts.auto_applied,
                counts.failed
            ),
            (3, 2, 5, 2, 1)
        );
        assert!(counts.note.contains("skipped"));
        let letters = block_on(dead_letters(&db, Page::first(10))).unwrap();
        assert_eq!(letters.total, 1);
        assert_eq!(letters.items[0].reason, "the website answered 500");
    }

    #[test]
    fn a_replay_is_requested_once_and_taken_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        let run_id = run(&db, NOW);
        block_on(select_due(&db, run_id, 10, NOW)).unwrap();
        block_on(dead_letter(&db, &letter("m-2", id, run_id), NOW)).unwrap();
        let letter_id = block_on(dead_letters(&db, Page::first(10))).unwrap().items[0].id;
        let admin = crate::accounts::tests::signed_in(&db, "ada", "ada@example.test");
        assert_eq!(
            block_on(request_replay(&db, &admin, letter_id, NOW + 1)).unwrap(),
            Decided::Done
        );
        assert_eq!(
            block_on(request_replay(&db, &admin, letter_id, NOW + 2)).unwrap(),
            Decided::AlreadyDecided
        );
        assert!(matches!(
            block_on(request_replay(&db, &admin, letter_id + 99, NOW)),
            Err(crate::DomainError::NotFound(_))
        ));
        let taken = block_on(take_replays(&db, NOW + 3)).unwrap();
        assert_eq!(
            taken,
            vec![Replay {
                id: letter_id,
                business_id: id
            }]
        );
        assert!(block_on(take_replays(&db, NOW + 4)).unwrap().is_empty());
        // Not queued after all (the queue refused): it waits to be taken again.
        block_on(release_replays(&db, &taken)).unwrap();
        assert_eq!(block_on(take_replays(&db, NOW + 5)).unwrap(), taken);
    }

    #[test]
    fn only_a_confident_value_for_an_empty_field_is_applied_at_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        assert_eq!(
            offer_value(&db, id, Field::Zip, "74745", 0.9),
            Offered::Suggested
        );
        assert_eq!(
            offer_value(&db, id, Field::Phone, "(580) 555-0101", 0.97),
            Offered::Applied
        );
        // Filled now: a different confident value waits for review.
        assert_eq!(
            offer_value(&db, id, Field::Phone, "(580) 555-0102", 0.99),
            Offered::Suggested
        );
        assert_eq!(
            offer_value(&db, id, Field::Phone, "(580) 555-0102", 0.99),
            Offered::Known
        );
        let listing = block_on(listings::find(&db, id)).unwrap().unwrap();
        assert_eq!(listing.phone.as_deref(), Some("+15805550101"));
        assert_eq!(listing.zip, "");
        let history = block_on(crate::edits::history(&db, id, Page::first(10))).unwrap();
        assert_eq!(history.total, 1);
        assert_eq!(history.items[0].means, "analyzer");
    }

    #[test]
    fn a_value_the_owner_undid_is_not_applied_again() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        assert_eq!(
            offer_value(&db, id, Field::Zip, "74745", 0.97),
            Offered::Applied
        );
        let history = block_on(crate::edits::history(&db, id, Page::first(10))).unwrap();
        let owner = crate::accounts::tests::signed_in(&db, "olive", "olive@example.test");
        let author = Author::owner(&owner, Means::Dashboard);
        block_on(crate::edits::undo(
            &db,
            &author,
            id,
            history.items[0].id,
            NOW + 1,
        ))
        .unwrap();
        // A week later the website still says so: the field is empty again, but not refilled.
        assert_eq!(
            offer_value(&db, id, Field::Zip, "74745", 0.97),
            Offered::Known
        );
        let listing = block_on(listings::find(&db, id)).unwrap().unwrap();
        assert_eq!(listing.zip, "");
    }

    #[test]
    fn at_most_three_fields_a_day_are_applied_at_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        let offered = [
            offer_value(&db, id, Field::Phone, "(580) 555-0101", 0.97),
            offer_value(&db, id, Field::Email, "hello@listing.example.org", 0.97),
            offer_value(&db, id, Field::Zip, "74745", 0.97),
            offer_value(&db, id, Field::Street, "12 Ridge Road", 0.97),
        ];
        assert_eq!(
            offered,
            [
                Offered::Applied,
                Offered::Applied,
                Offered::Applied,
                Offered::Suggested
            ]
        );
        let pending = block_on(suggestions::pending(&db, id)).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].field, "street");
    }

    #[test]
    fn hours_offered_as_a_week_land_on_the_listing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = listings(&db, 1)[0];
        let week = "Mon 7:00-18:00; Tue 7:00-18:00; Wed 7:00-18:00; Thu 7:00-18:00; Fri 7:00-18:00; \
                    Sat 8:00-12:00; Sun closed";
        assert_eq!(
            offer_value(&db, id, Field::Hours, week, 0.97),
            Offered::Applied
        );
        let listing = block_on(listings::find(&db, id)).unwrap().unwrap();
        let input = listing.as_input();
        assert_eq!(input.hours[1], "7:00-18:00");
        assert_eq!(input.hours[6], "8:00-12:00");
        assert_eq!(Field::Hours.value_in(&input), week);
    }

    #[test]
    fn the_daily_draft_is_saved_once_a_day_and_never_public() {
        let db = SqliteDatabase::in_memory().unwrap();
        let first = block_on(save_daily_draft(
            &db,
            "2026-11-30",
            "New this week",
            "",
            "Body",
            NOW,
        ))
        .unwrap();
        assert!(first.is_some());
        let again = block_on(save_daily_draft(
            &db,
            "2026-11-30",
            "New this week",
            "",
            "Body",
            NOW,
        ))
        .unwrap();
        assert_eq!(again, None);
        assert!(
            block_on(crate::blog::published(&db, NOW + 1, 10, 0))
                .unwrap()
                .is_empty()
        );
    }
}
