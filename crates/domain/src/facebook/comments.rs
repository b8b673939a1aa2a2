//! Comments on a connected Page's posts, as Meta's webhook delivered them, and the reply an
//! owner approves: drafted (by the model or by hand), then claimed under a token while the
//! Graph call runs, so a double click posts one reply.

use crate::db::{Database, DbResult, Row, Statement, fetch_all, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::facebook::connections::truncated;
use serde::{Deserialize, Serialize};

/// The longest reply we post.
pub const MOST_REPLY_CHARACTERS: usize = 2000;

/// A comment as the webhook told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub comment_id: String,
    pub post_id: String,
    pub parent_id: Option<String>,
    pub from_id: String,
    pub from_name: String,
    pub message: String,
    pub created_time: i64,
}

/// Records `comment` for connection `connection_id`; a redelivered comment is kept once.
/// `true` when it is new.
pub async fn record(
    db: &impl Database,
    connection_id: i64,
    comment: &NewComment,
    now: i64,
) -> DbResult<bool> {
    let added: Vec<Row> = db
        .query(
            &Statement::new(
                "INSERT INTO facebook_comments (connection_id, comment_id, post_id, parent_id, from_id,
                        from_name, message, created_time, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (comment_id) DO NOTHING RETURNING id",
            )
            .bind(connection_id)
            .bind(truncated(&comment.comment_id, 128))
            .bind(truncated(&comment.post_id, 128))
            .bind(comment.parent_id.as_deref())
            .bind(truncated(&comment.from_id, 64))
            .bind(truncated(&comment.from_name, 200))
            .bind(truncated(&comment.message, 8000))
            .bind(comment.created_time)
            .bind(now),
        )
        .await?;
    Ok(!added.is_empty())
}

/// Forgets comment `comment_id` (removed on Facebook).
pub async fn remove(db: &impl Database, comment_id: &str) -> DbResult<()> {
    db.execute(
        &Statement::new("DELETE FROM facebook_comments WHERE comment_id = ?1").bind(comment_id),
    )
    .await
}

/// A comment as the dashboard shows it, with the post it is on when it is one of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: i64,
    pub comment_id: String,
    pub post_id: String,
    pub from_name: String,
    pub message: String,
    pub created_time: i64,
    pub reply_draft: String,
    pub reply_status: String,
    pub reply_error: String,
    pub replied_at: Option<i64>,
    pub post_body: Option<String>,
}

/// The newest comments on connection `connection_id`'s Page.
pub async fn of_connection(
    db: &impl Database,
    connection_id: i64,
    limit: i64,
) -> DbResult<Vec<Comment>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT c.id, c.comment_id, c.post_id, c.from_name, c.message, c.created_time, c.reply_draft,
                    c.reply_status, c.reply_error, c.replied_at,
                    (SELECT p.body FROM facebook_posts p WHERE p.graph_post_id = c.post_id LIMIT 1) AS post_body
               FROM facebook_comments c WHERE c.connection_id = ?1
              ORDER BY c.created_time DESC, c.id DESC LIMIT ?2",
        )
        .bind(connection_id)
        .bind(limit),
    )
    .await
}

/// Comment `id` of connection `connection_id`.
pub async fn find(db: &impl Database, connection_id: i64, id: i64) -> DbResult<Option<Comment>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT c.id, c.comment_id, c.post_id, c.from_name, c.message, c.created_time, c.reply_draft,
                    c.reply_status, c.reply_error, c.replied_at,
                    (SELECT p.body FROM facebook_posts p WHERE p.graph_post_id = c.post_id LIMIT 1) AS post_body
               FROM facebook_comments c WHERE c.id = ?1 AND c.connection_id = ?2",
        )
        .bind(id)
        .bind(connection_id),
    )
    .await
}

/// Checks a reply's text: one to [`MOST_REPLY_CHARACTERS`] characters.
pub fn parse_reply(raw: &str) -> Result<String, crate::FieldError> {
    let text = raw.trim();
    let count = text.chars().count();
    if count == 0 {
        return Err(crate::FieldError::new("reply", "is required"));
    }
    if count > MOST_REPLY_CHARACTERS {
        return Err(crate::FieldError::new(
            "reply",
            format!("must be at most {MOST_REPLY_CHARACTERS} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Saves `text` as the reply draft of comment `id` (not once it is posted or posting).
pub async fn draft_reply(
    db: &impl Database,
    connection_id: i64,
    id: i64,
    text: &str,
    now: i64,
) -> DomainResult<()> {
    let _ = now;
    let saved: Vec<Row> = db
        .query(
            &Statement::new(
                "UPDATE facebook_comments SET reply_draft = ?3, reply_status = 'drafted', reply_error = ''
                  WHERE id = ?1 AND connection_id = ?2 AND reply_status IN ('none', 'drafted', 'failed')
                  RETURNING id",
            )
            .bind(id)
            .bind(connection_id)
            .bind(text),
        )
        .await?;
    if saved.is_empty() {
        return Err(not_open(db, connection_id, id).await);
    }
    Ok(())
}

/// Claims comment `id`'s drafted reply for posting under `token`: the text to post and the
/// Facebook comment it answers.
pub async fn claim_reply(
    db: &impl Database,
    connection_id: i64,
    id: i64,
    token: &str,
) -> DomainResult<(String, String)> {
    #[derive(Deserialize)]
    struct Claimed {
        comment_id: String,
        reply_draft: String,
    }
    let claimed: Option<Claimed> = fetch_optional(
        db,
        &Statement::new(
            "UPDATE facebook_comments SET reply_status = 'posting', reply_token = ?3
              WHERE id = ?1 AND connection_id = ?2 AND reply_status IN ('drafted', 'failed')
                AND reply_draft <> ''
              RETURNING comment_id, reply_draft",
        )
        .bind(id)
        .bind(connection_id)
        .bind(token),
    )
    .await?;
    match claimed {
        Some(claimed) => Ok((claimed.comment_id, claimed.reply_draft)),
        None => Err(not_open(db, connection_id, id).await),
    }
}

/// Records how posting the reply claimed under `token` ended: Meta's reply id, or its error.
pub async fn finish_reply(
    db: &impl Database,
    id: i64,
    token: &str,
    outcome: Result<&str, &str>,
    now: i64,
) -> DbResult<()> {
    let (status, reply_id, error) = match outcome {
        Ok(reply_id) => ("posted", Some(reply_id), ""),
        Err(error) => ("failed", None, error),
    };
    db.execute(
        &Statement::new(
            "UPDATE facebook_comments SET reply_status = ?3, reply_id = ?4, reply_error = ?5,
                    replied_at = CASE WHEN ?3 = 'posted' THEN ?6 ELSE replied_at END, reply_token = NULL
              WHERE id = ?1 AND reply_status = 'posting' AND reply_token = ?2",
        )
        .bind(id)
        .bind(token)
        .bind(status)
        .bind(reply_id)
        .bind(truncated(error, 500))
        .bind(now),
    )
    .await
}

async fn not_open(db: &impl Database, connection_id: i64, id: i64) -> DomainError {
    match find(db, connection_id, id).await {
        Ok(Some(comment)) => DomainError::invalid(
            "reply",
            match comment.reply_status.as_str() {
                "posted" => "was posted already",
                "posting" => "is being posted",
                _ => "needs a draft first",
            },
        ),
        Ok(None) => DomainError::NotFound("comment".into()),
        Err(err) => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::facebook::connections::tests::{NOW, connected};
    use pollster::block_on;

    fn comment(id: &str) -> NewComment {
        NewComment {
            comment_id: id.into(),
            post_id: "p1_1".into(),
            parent_id: None,
            from_id: "fan-1".into(),
            from_name: "Fan".into(),
            message: "Open Sunday?".into(),
            created_time: NOW,
        }
    }

    #[test]
    fn a_redelivered_comment_is_kept_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let page = connected(&db, "Hugo Feed", "p1");
        assert!(block_on(record(&db, page.id, &comment("c1"), NOW)).unwrap());
        assert!(!block_on(record(&db, page.id, &comment("c1"), NOW)).unwrap());
        assert_eq!(block_on(of_connection(&db, page.id, 10)).unwrap().len(), 1);
    }

    #[test]
    fn a_reply_is_posted_once_and_only_when_drafted() {
        let db = SqliteDatabase::in_memory().unwrap();
        let page = connected(&db, "Hugo Feed", "p1");
        block_on(record(&db, page.id, &comment("c1"), NOW)).unwrap();
        let id = block_on(of_connection(&db, page.id, 10)).unwrap()[0].id;
        assert!(block_on(claim_reply(&db, page.id, id, "t0")).is_err());
        block_on(draft_reply(&db, page.id, id, "Yes, 1 to 5!", NOW)).unwrap();
        let (comment_id, text) = block_on(claim_reply(&db, page.id, id, "t1")).unwrap();
        assert_eq!((comment_id.as_str(), text.as_str()), ("c1", "Yes, 1 to 5!"));
        assert!(block_on(claim_reply(&db, page.id, id, "t2")).is_err());
        block_on(finish_reply(&db, id, "t1", Ok("r1"), NOW)).unwrap();
        let done = block_on(find(&db, page.id, id)).unwrap().unwrap();
        assert_eq!(done.reply_status, "posted");
        assert!(block_on(draft_reply(&db, page.id, id, "again", NOW)).is_err());
    }

    #[test]
    fn a_neighbours_comment_is_not_found_through_another_page() {
        let db = SqliteDatabase::in_memory().unwrap();
        let mine = connected(&db, "Mine", "p1");
        let theirs = connected(&db, "Theirs", "p2");
        block_on(record(&db, theirs.id, &comment("c1"), NOW)).unwrap();
        let id = block_on(of_connection(&db, theirs.id, 10)).unwrap()[0].id;
        assert!(matches!(
            block_on(draft_reply(&db, mine.id, id, "hi", NOW)),
            Err(DomainError::NotFound(_))
        ));
        assert!(block_on(find(&db, mine.id, id)).unwrap().is_none());
    }
}
