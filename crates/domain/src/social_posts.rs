//! A business's scheduled social posts: text for its Facebook Page and the time it goes out
//! (the facebook worker publishes what is due). Owners schedule and cancel them; a post that
//! went out, or is cancelled, stays as the record.

use crate::db::{Database, DbResult, Statement, fetch_all, fetch_optional};
use crate::error::{DomainError, DomainResult};
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
}

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

/// Posts still to go out and those of the last 30 days, soonest first.
pub async fn of_business(db: &impl Database, business_id: i64, now: i64) -> DbResult<Vec<Post>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, body, scheduled_at, status FROM social_posts
              WHERE business_id = ?1 AND (status = 'scheduled' OR scheduled_at >= ?2)
              ORDER BY scheduled_at, id LIMIT 100",
        )
        .bind(business_id)
        .bind(now - 30 * 86_400),
    )
    .await
}

/// Post `id` of `business_id`.
pub async fn find(db: &impl Database, business_id: i64, id: i64) -> DbResult<Option<Post>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT id, body, scheduled_at, status FROM social_posts WHERE id = ?1 AND business_id = ?2",
        )
        .bind(id)
        .bind(business_id),
    )
    .await
}

/// Schedules a post of `body` at `at` (both already checked).
pub async fn schedule(
    db: &impl Database,
    business_id: i64,
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
            "INSERT INTO social_posts (business_id, body, scheduled_at, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
        )
        .bind(business_id)
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

/// Cancels post `id` of `business_id` while it is still scheduled.
pub async fn cancel(db: &impl Database, business_id: i64, id: i64, now: i64) -> DomainResult<()> {
    let cancelled: Option<serde::de::IgnoredAny> = fetch_optional(
        db,
        &Statement::new(
            "UPDATE social_posts SET status = 'cancelled', updated_at = ?3
              WHERE id = ?1 AND business_id = ?2 AND status = 'scheduled' RETURNING id",
        )
        .bind(id)
        .bind(business_id)
        .bind(now),
    )
    .await?;
    match (cancelled, find(db, business_id, id).await?) {
        (Some(_), _) => Ok(()),
        (None, Some(post)) => Err(DomainError::invalid(
            "post",
            format!("is {}, so it cannot be cancelled", post.status),
        )),
        (None, None) => Err(DomainError::NotFound("post".into())),
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
    fn a_time_in_the_past_or_too_far_ahead_is_refused() {
        assert!(parse_time("2025-12-31T09:30", NOW).is_err());
        assert!(parse_time("2026-06-01T09:30", NOW).is_err());
        assert!(parse_time("tomorrow", NOW).is_err());
    }
}
