//! Meta's data-deletion requests: everything we hold of one Facebook person (the Pages they
//! connected with their tokens, Pages offered to them, their comments) deleted in one
//! batch, and a record under the confirmation code Meta shows them, holding no Facebook id.

use crate::db::{Database, DbResult, Statement, fetch_integer, fetch_optional};
use serde::{Deserialize, Serialize};

/// What one deletion request removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub confirmation_code: String,
    pub connections_deleted: i64,
    pub choices_deleted: i64,
    pub comments_deleted: i64,
    pub requested_at: i64,
}

/// Deletes Facebook person `facebook_user_id`'s data and records it under `code`.
pub async fn delete_person(
    db: &impl Database,
    facebook_user_id: &str,
    code: &str,
    now: i64,
) -> DbResult<Deletion> {
    let count = |sql: &str| Statement::new(sql.to_owned()).bind(facebook_user_id);
    let connections = fetch_integer(
        db,
        &count("SELECT count(*) FROM facebook_connections WHERE facebook_user_id = ?1"),
    )
    .await?;
    let choices = fetch_integer(
        db,
        &count("SELECT count(*) FROM facebook_page_choices WHERE facebook_user_id = ?1"),
    )
    .await?;
    let comments = fetch_integer(
        db,
        &count(
            "SELECT count(*) FROM facebook_comments WHERE from_id = ?1 OR connection_id IN
                (SELECT id FROM facebook_connections WHERE facebook_user_id = ?1)",
        ),
    )
    .await?;
    db.batch(&[
        count("DELETE FROM facebook_comments WHERE from_id = ?1"),
        count("DELETE FROM facebook_connections WHERE facebook_user_id = ?1"),
        count("DELETE FROM facebook_page_choices WHERE facebook_user_id = ?1"),
        Statement::new(
            "INSERT INTO facebook_deletions (confirmation_code, connections_deleted, choices_deleted,
                    comments_deleted, requested_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(code)
        .bind(connections)
        .bind(choices)
        .bind(comments)
        .bind(now),
    ])
    .await?;
    Ok(Deletion {
        confirmation_code: code.to_owned(),
        connections_deleted: connections,
        choices_deleted: choices,
        comments_deleted: comments,
        requested_at: now,
    })
}

/// The deletion recorded under `code`.
pub async fn find(db: &impl Database, code: &str) -> DbResult<Option<Deletion>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT confirmation_code, connections_deleted, choices_deleted, comments_deleted, requested_at
               FROM facebook_deletions WHERE confirmation_code = ?1",
        )
        .bind(code),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::facebook::comments::{self, NewComment};
    use crate::facebook::connections::{
        self,
        tests::{NOW, connected},
    };
    use pollster::block_on;

    #[test]
    fn a_deletion_removes_the_persons_pages_tokens_and_comments_and_is_recorded() {
        let db = SqliteDatabase::in_memory().unwrap();
        let theirs = connected(&db, "Hugo Feed", "p1");
        let other = connected(&db, "Other", "p2");
        let on_other = NewComment {
            comment_id: "c9".into(),
            post_id: "p2_1".into(),
            parent_id: None,
            from_id: theirs.facebook_user_id.clone(),
            from_name: "Hugo".into(),
            message: "hi".into(),
            created_time: NOW,
        };
        // `connected` makes every page with the same Facebook person: give the other page
        // a different person first.
        block_on(db.execute(
            &Statement::new("UPDATE facebook_connections SET facebook_user_id = 'someone-else' WHERE id = ?1")
                .bind(other.id),
        ))
        .unwrap();
        block_on(comments::record(&db, other.id, &on_other, NOW)).unwrap();
        let deletion = block_on(delete_person(
            &db,
            &theirs.facebook_user_id,
            "CODE12345",
            NOW,
        ))
        .unwrap();
        assert_eq!(deletion.connections_deleted, 1);
        assert_eq!(deletion.comments_deleted, 1);
        assert!(
            block_on(connections::find(&db, theirs.id))
                .unwrap()
                .is_none()
        );
        assert!(
            block_on(connections::find(&db, other.id))
                .unwrap()
                .is_some()
        );
        assert!(
            block_on(comments::of_connection(&db, other.id, 10))
                .unwrap()
                .is_empty()
        );
        assert_eq!(block_on(find(&db, "CODE12345")).unwrap(), Some(deletion));
    }
}
