//! Pending actions: a change the assistant proposed, shown as a card with what it would do,
//! waiting for its person's Approve or Reject. Nothing changes before approval; deciding is
//! one conditional statement on a still-pending, unexpired action of the scope, so a double
//! click, a retry or a second tab decides it once; the change is then done against the data
//! as it is now ([`super::proposals::Proposal::execute`]) and its outcome recorded.

use super::Scope;
use super::proposals::{Change, Executed, Preview, Proposal};
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use serde::Deserialize;

/// How long a proposal waits for its decision.
pub const LIFETIME_SECONDS: i64 = 30 * 60;

/// A pending or decided action, as its card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub id: i64,
    pub conversation_id: i64,
    pub tool: String,
    pub summary: String,
    pub changes: Vec<Change>,
    /// `pending`, `approving`, `approved`, `rejected` or `failed`.
    pub status: String,
    pub outcome: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Action {
    /// Still waiting for a decision it can take.
    pub fn is_open(&self, now: i64) -> bool {
        self.status == "pending" && self.expires_at > now
    }

    /// Waited too long: shown as expired, no longer decidable.
    pub fn is_expired(&self, now: i64) -> bool {
        self.status == "pending" && self.expires_at <= now
    }
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    conversation_id: i64,
    tool: String,
    summary: String,
    changes: String,
    status: String,
    outcome: String,
    created_at: i64,
    expires_at: i64,
}

impl Row {
    fn decode(self) -> Action {
        Action {
            id: self.id,
            conversation_id: self.conversation_id,
            tool: self.tool,
            summary: self.summary,
            // Written by `propose` from typed changes; unreadable would be a bug, shown as none.
            changes: serde_json::from_str(&self.changes).unwrap_or_default(),
            status: self.status,
            outcome: self.outcome,
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

const COLUMNS: &str =
    "id, conversation_id, tool, summary, changes, status, outcome, created_at, expires_at";
/// The scope's own actions only: its person, its business (none in the console).
const IN_SCOPE: &str = "user_id = ?2 AND business_id IS ?3";

/// The actions of a conversation (already opened through its scope), in order.
pub async fn of_conversation(db: &impl Database, conversation_id: i64) -> DbResult<Vec<Action>> {
    let rows: Vec<Row> = fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {COLUMNS} FROM assistant_actions WHERE conversation_id = ?1 ORDER BY id"
        ))
        .bind(conversation_id),
    )
    .await?;
    Ok(rows.into_iter().map(Row::decode).collect())
}

/// Action `id` of the scope.
pub async fn find(db: &impl Database, scope: &Scope, id: i64) -> DbResult<Option<Action>> {
    let row: Option<Row> = fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {COLUMNS} FROM assistant_actions WHERE id = ?1 AND {IN_SCOPE}"
        ))
        .bind(id)
        .bind(scope.actor.user_id)
        .bind(scope.business),
    )
    .await?;
    Ok(row.map(Row::decode))
}

/// Records a proposal (already previewed for this scope) as a pending action; its id.
pub async fn propose(
    db: &impl Database,
    scope: &Scope,
    conversation_id: i64,
    tool: &str,
    proposal: &Proposal,
    preview: &Preview,
    now: i64,
) -> DomainResult<i64> {
    let encode = |e: serde_json::Error| {
        DomainError::Database(crate::db::DbError(format!("action json: {e}")))
    };
    let proposal = serde_json::to_string(proposal).map_err(encode)?;
    let changes = serde_json::to_string(&preview.changes).map_err(encode)?;
    let summary: String = preview.summary.chars().take(500).collect();
    Ok(fetch_integer(
        db,
        &Statement::new(
            "INSERT INTO assistant_actions (conversation_id, business_id, user_id, tool, summary, proposal, changes,
                 basis, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        )
        .bind(conversation_id)
        .bind(scope.business)
        .bind(scope.actor.user_id)
        .bind(tool)
        .bind(summary)
        .bind(proposal)
        .bind(changes)
        .bind(preview.basis.as_str())
        .bind(now)
        .bind(now + LIFETIME_SECONDS),
    )
    .await?)
}

/// Why an action cannot be decided now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Decided already (a double click, another tab); its status.
    Decided(String),
    Expired,
}

/// An action claimed for approval: this request, and only this one, does it.
#[derive(Debug)]
pub struct Claimed {
    pub id: i64,
    pub proposal: Proposal,
    pub basis: String,
}

/// Claims action `id` of the scope for approval: pending → approving, only while unexpired.
pub async fn claim(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    now: i64,
) -> DomainResult<Result<Claimed, Refusal>> {
    #[derive(Deserialize)]
    struct Taken {
        proposal: String,
        basis: String,
    }
    let taken: Option<Taken> = fetch_optional(
        db,
        &Statement::new(format!(
            "UPDATE assistant_actions SET status = 'approving', decided_at = ?4
              WHERE id = ?1 AND {IN_SCOPE} AND status = 'pending' AND expires_at > ?4
             RETURNING proposal, basis"
        ))
        .bind(id)
        .bind(scope.actor.user_id)
        .bind(scope.business)
        .bind(now),
    )
    .await?;
    match taken {
        Some(taken) => {
            let proposal = serde_json::from_str(&taken.proposal).map_err(|e| {
                DomainError::Database(crate::db::DbError(format!("stored proposal: {e}")))
            })?;
            Ok(Ok(Claimed {
                id,
                proposal,
                basis: taken.basis,
            }))
        }
        None => Ok(Err(refusal(db, scope, id, now).await?)),
    }
}

async fn refusal(db: &impl Database, scope: &Scope, id: i64, now: i64) -> DomainResult<Refusal> {
    let action = find(db, scope, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("action".into()))?;
    Ok(if action.is_expired(now) {
        Refusal::Expired
    } else {
        Refusal::Decided(action.status)
    })
}

/// Records how a claimed action ended.
pub async fn finish(
    db: &impl Database,
    claimed: &Claimed,
    outcome: Result<&str, &str>,
) -> DbResult<()> {
    let (status, message) = match outcome {
        Ok(message) => ("approved", message),
        Err(message) => ("failed", message),
    };
    db.execute(
        &Statement::new(
            "UPDATE assistant_actions SET status = ?2, outcome = ?3 WHERE id = ?1 AND status = 'approving'",
        )
        .bind(claimed.id)
        .bind(status)
        .bind(message.chars().take(500).collect::<String>()),
    )
    .await
}

/// Approves action `id` of the scope and does it in the database; the page publication is
/// left to the worker ([`Executed::PublishPage`], then [`finish`]).
pub async fn approve(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    now: i64,
) -> DomainResult<Result<(Claimed, DomainResult<Executed>), Refusal>> {
    let claimed = match claim(db, scope, id, now).await? {
        Ok(claimed) => claimed,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let executed = claimed
        .proposal
        .execute(db, scope, &claimed.basis, now)
        .await;
    match &executed {
        Ok(Executed::Done(message)) => finish(db, &claimed, Ok(message)).await?,
        Ok(Executed::PublishPage) => {}
        Err(err) => finish(db, &claimed, Err(&failure_message(err))).await?,
    }
    Ok(Ok((claimed, executed)))
}

/// What a person is told when an approved change could not be done.
pub fn failure_message(err: &DomainError) -> String {
    match err {
        DomainError::Invalid(errors) => errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        DomainError::NotFound(what) => format!("the {what} no longer exists"),
        _ => "it could not be saved; try again later".into(),
    }
}

/// Rejects action `id` of the scope while it is pending.
pub async fn reject(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    now: i64,
) -> DomainResult<Result<(), Refusal>> {
    let rejected: Option<serde::de::IgnoredAny> = fetch_optional(
        db,
        &Statement::new(format!(
            "UPDATE assistant_actions SET status = 'rejected', decided_at = ?4
              WHERE id = ?1 AND {IN_SCOPE} AND status = 'pending' AND expires_at > ?4 RETURNING id"
        ))
        .bind(id)
        .bind(scope.actor.user_id)
        .bind(scope.business)
        .bind(now),
    )
    .await?;
    match rejected {
        Some(_) => Ok(Ok(())),
        None => Ok(Err(refusal(db, scope, id, now).await?)),
    }
}
