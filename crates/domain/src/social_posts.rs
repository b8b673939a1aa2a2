//! A Page's posts as people see and change them: text for a business's Facebook Page (or,
//! for admins, the directory's own) and the time it goes out. Owners write, edit, approve,
//! reschedule and cancel upcoming posts, whoever wrote them (a person, the templates or the
//! model); the facebook worker publishes what is due (`facebook::queue`). A post that went
//! out, failed or was cancelled stays as the record, with Meta's post id, error and counts.

use crate::db::{Database, DbResult, Row, Statement, fetch_all, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::facebook::Target;
use crate::values::Paragraphs;
use serde::{Deserialize, Serialize};

/// How far ahead a post may be scheduled.
pub const MOST_DAYS_AHEAD: i64 = 90;
/// The longest post we send (Facebook takes more; people read less).
pub const MOST_CHARACTERS: usize = 2000;

/// One post as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: i64,
    pub body: String,
    pub scheduled_at: i64,
    pub status: String,
    /// custom, spotlight, blog_share, category_highlight, engagement or angle.
    pub kind: String,
    pub angle: Option<String>,
    /// person, template or model.
    pub written_by: String,
    pub attempts: i64,
    /// Meta's error when the last attempt failed.
    pub last_error: String,
    pub graph_post_id: Option<String>,
    pub media: Option<String>,
    pub published_at: Option<i64>,
    pub reactions: Option<i64>,
    pub comments: Option<i64>,
    pub reach: Option<i64>,
}

impl Post {
    /// Whether it can still be edited, approved, rescheduled or cancelled.
    pub fn is_upcoming(&self) -> bool {
        matches!(self.status.as_str(), "draft" | "scheduled")
    }
}

const POST_COLUMNS: &str =
    "id, body, scheduled_at, status, kind, angle, written_by, attempts, last_error,
    graph_post_id, media, published_at, reactions, comments, reach";

/// The text of a post, checked: one to [`MOST_CHARACTERS`] characters of paragraphs.
pub fn parse_body(raw: &str) -> Result<Paragraphs, crate::FieldError> {
    Paragraphs::parse("body", raw, 1, MOST_CHARACTERS)
}

/// When a post goes out: a Central-time `YYYY-MM-DDTHH:MM`, in the future and at most
/// [`MOST_DAYS_AHEAD`] days ahead.
pub fn parse_time(raw: &str, now: i64) -> Result<i64, crate::FieldError> {
    let at = match crate::blog::Publication::parse("at", raw, now) {
        Ok(crate::blog::Publication::At(at)) => at,
        _ => {
            return Err(crate::FieldError::new(
                "scheduled_at",
                "must be a Central-time date and time like 2026-12-01T09:30",
            ));
        }
    };
    if at <= now {
        return Err(crate::FieldError::new(
            "scheduled_at",
            "must be in the future",
        ));
    }
    if at > now + MOST_DAYS_AHEAD * 86_400 {
        return Err(crate::FieldError::new(
            "scheduled_at",
            format!("must be within {MOST_DAYS_AHEAD} days"),
        ));
    }
    Ok(at)
}

/// `target`'s posts still to go out and those of the last 30 days, soonest first.
pub async fn of_business(db: &impl Database, business_id: i64, now: i64) -> DbResult<Vec<Post>> {
    of_target(db, Target::Business(business_id), now).await
}

/// `target`'s posts still to go out (drafts, scheduled, publishing) and those of the last
/// 30 days, soonest first.
pub async fn of_target(db: &impl Database, target: Target, now: i64) -> DbResult<Vec<Post>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {POST_COLUMNS} FROM facebook_posts
              WHERE business_id IS ?1 AND (status IN ('draft', 'scheduled', 'publishing') OR scheduled_at >= ?2)
              ORDER BY scheduled_at, id LIMIT 200"
        ))
        .bind(target)
        .bind(now - 30 * 86_400),
    )
    .await
}

/// What Meta counted for a Page's posts published since a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbers {
    pub posts: i64,
    pub reactions: i64,
    pub comments: i64,
    pub reach: i64,
}

/// The posts `target`'s Page published since `since` and what Meta counted for them (the
/// 02:00 run fetches the counts).
pub async fn numbers(db: &impl Database, target: Target, since: i64) -> DbResult<Numbers> {
    let found: Option<Numbers> = fetch_optional(
        db,
        &Statement::new(
            "SELECT count(*) AS posts, coalesce(sum(reactions), 0) AS reactions,
                    coalesce(sum(comments), 0) AS comments, coalesce(sum(reach), 0) AS reach
               FROM facebook_posts WHERE business_id IS ?1 AND status = 'published' AND published_at >= ?2",
        )
        .bind(target)
        .bind(since),
    )
    .await?;
    Ok(found.unwrap_or_default())
}

/// Post `id` of `business_id`.
pub async fn find(db: &impl Database, business_id: i64, id: i64) -> DbResult<Option<Post>> {
    find_of(db, Target::Business(business_id), id).await
}

/// Post `id` of `target`'s Page.
pub async fn find_of(db: &impl Database, target: Target, id: i64) -> DbResult<Option<Post>> {
    fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {POST_COLUMNS} FROM facebook_posts WHERE id = ?1 AND business_id IS ?2"
        ))
        .bind(id)
        .bind(target),
    )
    .await
}

/// Schedules a post of `body` at `at` (both already checked) for business `business_id`.
pub async fn schedule(
    db: &impl Database,
    business_id: i64,
    user_id: Option<i64>,
    body: &Paragraphs,
    at: i64,
    now: i64,
) -> DbResult<i64> {
    schedule_for(db, Target::Business(business_id), user_id, body, at, now).await
}

/// Schedules a post of `body` at `at` (both already checked) for `target`'s Page.
pub async fn schedule_for(
    db: &impl Database,
    target: Target,
    user_id: Option<i64>,
    body: &Paragraphs,
    at: i64,
    now: i64,
) -> DbResult<i64> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let created: Option<Id> = fetch_optional(
        db,
        &Statement::new(
            "INSERT INTO facebook_posts (business_id, body, scheduled_at, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
        )
        .bind(target)
        .bind(body.as_str())
        .bind(at)
        .bind(user_id)
        .bind(now),
    )
    .await?;
    created
        .map(|c| c.id)
        .ok_or_else(|| crate::db::DbError("scheduling a post returned no id".into()))
}

/// Cancels post `id` of `business_id` while it is still upcoming.
pub async fn cancel(db: &impl Database, business_id: i64, id: i64, now: i64) -> DomainResult<()> {
    change(db, Target::Business(business_id), id, &Change::Cancel, now).await
}

/// A change to an upcoming post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// New text (checked by [`parse_body`]); a template's or model's post becomes the person's.
    Edit(Paragraphs),
    /// A new time (checked by [`parse_time`]).
    Reschedule(i64),
    /// A draft goes into the queue.
    Approve,
    Cancel,
}

impl Change {
    fn verb(&self) -> &'static str {
        match self {
            Self::Edit(_) => "edited",
            Self::Reschedule(_) => "rescheduled",
            Self::Approve => "approved",
            Self::Cancel => "cancelled",
        }
    }
}

/// Applies `change` to post `id` of `target`'s Page while the post is upcoming (a draft or
/// scheduled; approving needs a draft). A post being published, published, failed or
/// cancelled is the record and does not change.
pub async fn change(
    db: &impl Database,
    target: Target,
    id: i64,
    change: &Change,
    now: i64,
) -> DomainResult<()> {
    let statement = match change {
        Change::Edit(body) => Statement::new(
            "UPDATE facebook_posts SET body = ?4, written_by = 'person', updated_at = ?3
              WHERE id = ?1 AND business_id IS ?2 AND status IN ('draft', 'scheduled') RETURNING id",
        )
        .bind(id)
        .bind(target)
        .bind(now)
        .bind(body.as_str()),
        Change::Reschedule(at) => Statement::new(
            "UPDATE facebook_posts SET scheduled_at = ?4, next_attempt_at = 0, updated_at = ?3
              WHERE id = ?1 AND business_id IS ?2 AND status IN ('draft', 'scheduled') RETURNING id",
        )
        .bind(id)
        .bind(target)
        .bind(now)
        .bind(*at),
        Change::Approve => Statement::new(
            "UPDATE facebook_posts SET status = 'scheduled', updated_at = ?3
              WHERE id = ?1 AND business_id IS ?2 AND status = 'draft' RETURNING id",
        )
        .bind(id)
        .bind(target)
        .bind(now),
        Change::Cancel => Statement::new(
            "UPDATE facebook_posts SET status = 'cancelled', updated_at = ?3
              WHERE id = ?1 AND business_id IS ?2 AND status IN ('draft', 'scheduled') RETURNING id",
        )
        .bind(id)
        .bind(target)
        .bind(now),
    };
    let changed: Vec<Row> = db.query(&statement).await?;
    match (changed.is_empty(), find_of(db, target, id).await?) {
        (false, _) => Ok(()),
        (true, Some(post)) => Err(DomainError::invalid(
            "post",
            format!("is {}, so it cannot be {}", post.status, change.verb()),
        )),
        (true, None) => Err(DomainError::NotFound("post".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC

    #[test]
    fn a_post_is_scheduled_in_the_future_and_cancelled_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let created = insert(&db, &business("Hugo Feed", food));
        let at = parse_time("2026-01-02T09:30", NOW).unwrap();
        let body = parse_body("Fresh hay is in!").unwrap();
        let id = block_on(schedule(&db, created.id, None, &body, at, NOW)).unwrap();
        assert_eq!(
            block_on(of_business(&db, created.id, NOW)).unwrap().len(),
            1
        );
        block_on(cancel(&db, created.id, id, NOW)).unwrap();
        assert!(matches!(
            block_on(cancel(&db, created.id, id, NOW)),
            Err(DomainError::Invalid(_))
        ));
        let other = insert(&db, &business("Other", food));
        assert!(matches!(
            block_on(cancel(&db, other.id, id, NOW)),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn an_upcoming_post_is_edited_rescheduled_and_a_draft_approved() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let target = Target::Business(insert(&db, &business("Hugo Feed", food)).id);
        let at = parse_time("2026-01-02T09:30", NOW).unwrap();
        let id = block_on(schedule_for(
            &db,
            target,
            None,
            &parse_body("Hay").unwrap(),
            at,
            NOW,
        ))
        .unwrap();
        let edit = Change::Edit(parse_body("Fresh hay!").unwrap());
        block_on(change(&db, target, id, &edit, NOW)).unwrap();
        let later = parse_time("2026-01-03T10:00", NOW).unwrap();
        block_on(change(&db, target, id, &Change::Reschedule(later), NOW)).unwrap();
        let post = block_on(find_of(&db, target, id)).unwrap().unwrap();
        assert_eq!(
            (post.body.as_str(), post.scheduled_at),
            ("Fresh hay!", later)
        );
        // Only a draft is approved.
        assert!(block_on(change(&db, target, id, &Change::Approve, NOW)).is_err());
        block_on(db.execute(&Statement::new(
            "UPDATE facebook_posts SET status = 'draft'",
        )))
        .unwrap();
        block_on(change(&db, target, id, &Change::Approve, NOW)).unwrap();
        assert_eq!(
            block_on(find_of(&db, target, id)).unwrap().unwrap().status,
            "scheduled"
        );
    }

    #[test]
    fn a_pages_numbers_add_up_what_meta_counted_for_its_published_posts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let target = Target::Business(insert(&db, &business("Hugo Feed", food)).id);
        let at = parse_time("2026-01-02T09:30", NOW).unwrap();
        for text in ["One", "Two", "Three"] {
            block_on(schedule_for(
                &db,
                target,
                None,
                &parse_body(text).unwrap(),
                at,
                NOW,
            ))
            .unwrap();
        }
        block_on(db.execute(&Statement::new(
            "UPDATE facebook_posts SET status = 'published', graph_post_id = 'p_' || id, published_at = ?1,
                    reactions = 4, comments = 1, reach = 100 WHERE body <> 'Three'",
        ).bind(NOW + 10)))
        .unwrap();
        let counted = block_on(numbers(&db, target, NOW)).unwrap();
        assert_eq!(
            counted,
            Numbers {
                posts: 2,
                reactions: 8,
                comments: 2,
                reach: 200
            }
        );
        assert_eq!(
            block_on(numbers(&db, Target::Directory, NOW))
                .unwrap()
                .posts,
            0
        );
    }

    #[test]
    fn a_published_post_is_the_record_and_does_not_change() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let target = Target::Business(insert(&db, &business("Hugo Feed", food)).id);
        let at = parse_time("2026-01-02T09:30", NOW).unwrap();
        let id = block_on(schedule_for(
            &db,
            target,
            None,
            &parse_body("Hay").unwrap(),
            at,
            NOW,
        ))
        .unwrap();
        block_on(db.execute(&Statement::new(
            "UPDATE facebook_posts SET status = 'published', graph_post_id = 'p_1'",
        )))
        .unwrap();
        let edit = Change::Edit(parse_body("Changed").unwrap());
        assert!(matches!(
            block_on(change(&db, target, id, &edit, NOW)),
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            block_on(change(&db, Target::Directory, id, &Change::Cancel, NOW)),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn a_time_in_the_past_or_too_far_ahead_is_refused() {
        assert!(parse_time("2025-12-31T09:30", NOW).is_err());
        assert!(parse_time("2026-06-01T09:30", NOW).is_err());
        assert!(parse_time("tomorrow", NOW).is_err());
    }
}
