//! The audit log: every admin action — who, what, on which object, when, and the state
//! before and after — written in the same transaction as the change it records.

use crate::accounts::Actor;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer};
use crate::{Page, Paged};
use serde::Deserialize;

/// The statement recording one action; batch it with the change itself.
pub fn entry(
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: &str,
    before: Option<&str>,
    after: Option<&str>,
    now: i64,
) -> Statement {
    guarded_entry(
        actor,
        action,
        object_type,
        object_id,
        before,
        after,
        now,
        "1",
    )
}

/// [`entry`], recorded only when `condition` holds when the statement runs: for a change the
/// same batch may have found already made. The condition's own values are `?9` onwards;
/// bind them on the returned statement.
#[allow(clippy::too_many_arguments)]
pub fn guarded_entry(
    actor: &Actor,
    action: &str,
    object_type: &str,
    object_id: &str,
    before: Option<&str>,
    after: Option<&str>,
    now: i64,
    condition: &str,
) -> Statement {
    Statement::new(format!(
        "INSERT INTO audit_log (actor_id, actor_email, action, object_type, object_id, before_json, after_json,
             created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE {condition}"
    ))
    .bind(actor.user_id)
    .bind(actor.email.as_str())
    .bind(action)
    .bind(object_type)
    .bind(object_id)
    .bind(before)
    .bind(after)
    .bind(now)
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub actor_email: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub created_at: i64,
}

/// Narrows the log; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub actor: String,
    pub action: String,
    pub object_type: String,
}

/// The log, newest first.
pub async fn list(db: &impl Database, filter: &Filter, page: Page) -> DbResult<Paged<Entry>> {
    const WHERE: &str = "WHERE (?1 = '' OR actor_email = ?1) AND (?2 = '' OR action = ?2)
                           AND (?3 = '' OR object_type = ?3)";
    let bind = |statement: Statement| {
        statement
            .bind(filter.actor.trim())
            .bind(filter.action.trim())
            .bind(filter.object_type.trim())
    };
    let items = fetch_all(
        db,
        &bind(Statement::new(format!(
            "SELECT id, actor_email, action, object_type, object_id, before_json, after_json, created_at
               FROM audit_log {WHERE} ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5"
        )))
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &bind(Statement::new(format!(
            "SELECT count(*) FROM audit_log {WHERE}"
        ))),
    )
    .await?;
    Ok(Paged { items, total, page })
}
