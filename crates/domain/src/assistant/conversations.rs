//! Conversations with the assistant, kept per person and per business (the console's have no
//! business): listed, started, renamed and deleted only by their person within that scope,
//! their messages in order, and each person's model tokens per Central-time day.

use super::Scope;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::hours::local_day_number;
use serde::Deserialize;

/// The title a conversation starts with, until its first message names it.
pub const UNTITLED: &str = "New conversation";
/// The longest title.
pub const TITLE_MAX: usize = 80;
/// The longest message a person may send.
pub const MESSAGE_MAX: usize = 4000;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Conversation {
    pub id: i64,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::Tool => "tool",
        }
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    pub id: i64,
    pub role: String,
    pub content: String,
    /// The tool calls an assistant message asked for, as the model's JSON.
    pub tool_calls: Option<String>,
    /// The call a tool message answers.
    pub tool_call_id: Option<String>,
    /// `text` or `voice`.
    pub via: String,
    pub created_at: i64,
}

/// A message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub role: Role,
    pub content: String,
    pub tool_calls: Option<String>,
    pub tool_call_id: Option<String>,
    pub voice: bool,
}

impl NewMessage {
    pub fn user(content: &str, voice: bool) -> Self {
        Self {
            role: Role::User,
            content: content.to_owned(),
            tool_calls: None,
            tool_call_id: None,
            voice,
        }
    }

    pub fn assistant(content: &str, tool_calls: Option<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.to_owned(),
            tool_calls,
            tool_call_id: None,
            voice: false,
        }
    }

    pub fn tool(call_id: &str, content: &str) -> Self {
        Self {
            role: Role::Tool,
            content: content.to_owned(),
            tool_calls: None,
            tool_call_id: Some(call_id.to_owned()),
            voice: false,
        }
    }
}

/// What a person typed or said, checked: not blank, at most [`MESSAGE_MAX`] characters.
pub fn parse_message(raw: &str) -> Result<String, crate::FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(crate::FieldError::new("message", "must not be empty"));
    }
    if text.chars().count() > MESSAGE_MAX {
        return Err(crate::FieldError::new(
            "message",
            format!("must be at most {MESSAGE_MAX} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// A title: one line of 1 to [`TITLE_MAX`] characters.
pub fn parse_title(raw: &str) -> Result<String, crate::FieldError> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX || title.chars().any(char::is_control)
    {
        return Err(crate::FieldError::new(
            "title",
            format!("must be one line of 1 to {TITLE_MAX} characters"),
        ));
    }
    Ok(title.to_owned())
}

/// A title made from the first words of a message.
fn title_from(message: &str) -> String {
    let flat: String = message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() <= 60 {
        return flat;
    }
    let mut title: String = flat.chars().take(59).collect();
    title.push('…');
    title
}

/// The scope's conversations, the latest first.
pub async fn list(db: &impl Database, scope: &Scope) -> DbResult<Vec<Conversation>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, title, created_at, updated_at FROM assistant_conversations
              WHERE user_id = ?1 AND business_id IS ?2 ORDER BY updated_at DESC, id DESC LIMIT 100",
        )
        .bind(scope.actor.user_id)
        .bind(scope.business),
    )
    .await
}

/// Conversation `id`, when it is the scope's.
pub async fn find(db: &impl Database, scope: &Scope, id: i64) -> DbResult<Option<Conversation>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT id, title, created_at, updated_at FROM assistant_conversations
              WHERE id = ?1 AND user_id = ?2 AND business_id IS ?3",
        )
        .bind(id)
        .bind(scope.actor.user_id)
        .bind(scope.business),
    )
    .await
}

/// [`find`], or not found.
pub async fn open(db: &impl Database, scope: &Scope, id: i64) -> DomainResult<Conversation> {
    find(db, scope, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("conversation".into()))
}

/// Starts an untitled conversation; its id.
pub async fn start(db: &impl Database, scope: &Scope, now: i64) -> DbResult<i64> {
    let id = fetch_integer(
        db,
        &Statement::new(
            "INSERT INTO assistant_conversations (user_id, business_id, title, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
        )
        .bind(scope.actor.user_id)
        .bind(scope.business)
        .bind(UNTITLED)
        .bind(now),
    )
    .await?;
    Ok(id)
}

pub async fn rename(
    db: &impl Database,
    scope: &Scope,
    id: i64,
    title: &str,
    now: i64,
) -> DomainResult<()> {
    let title = parse_title(title)?;
    let renamed = db
        .query(
            &Statement::new(
                "UPDATE assistant_conversations SET title = ?4, updated_at = ?5
                  WHERE id = ?1 AND user_id = ?2 AND business_id IS ?3 RETURNING id",
            )
            .bind(id)
            .bind(scope.actor.user_id)
            .bind(scope.business)
            .bind(title)
            .bind(now),
        )
        .await?;
    if renamed.is_empty() {
        return Err(DomainError::NotFound("conversation".into()));
    }
    Ok(())
}

/// Deletes the conversation with its messages and proposals.
pub async fn delete(db: &impl Database, scope: &Scope, id: i64) -> DomainResult<()> {
    let deleted = db
        .query(
            &Statement::new(
                "DELETE FROM assistant_conversations WHERE id = ?1 AND user_id = ?2 AND business_id IS ?3
                 RETURNING id",
            )
            .bind(id)
            .bind(scope.actor.user_id)
            .bind(scope.business),
        )
        .await?;
    if deleted.is_empty() {
        return Err(DomainError::NotFound("conversation".into()));
    }
    Ok(())
}

/// Every message of a conversation (already opened through its scope), in order.
pub async fn messages(db: &impl Database, conversation: &Conversation) -> DbResult<Vec<Message>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, role, content, tool_calls, tool_call_id, via, created_at FROM assistant_messages
              WHERE conversation_id = ?1 ORDER BY id",
        )
        .bind(conversation.id),
    )
    .await
}

/// Adds messages to a conversation (already opened through its scope) in one batch; the
/// first message a person sends names an untitled conversation.
pub async fn append(
    db: &impl Database,
    conversation: &Conversation,
    new: &[NewMessage],
    now: i64,
) -> DbResult<()> {
    let mut statements: Vec<Statement> = new
        .iter()
        .map(|m| {
            Statement::new(
                "INSERT INTO assistant_messages (conversation_id, role, content, tool_calls, tool_call_id, via,
                     created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(conversation.id)
            .bind(m.role.as_str())
            .bind(m.content.chars().take(100_000).collect::<String>())
            .bind(m.tool_calls.clone())
            .bind(m.tool_call_id.clone())
            .bind(if m.voice { "voice" } else { "text" })
            .bind(now)
        })
        .collect();
    let first_words = new
        .iter()
        .find(|m| m.role == Role::User)
        .map(|m| title_from(&m.content))
        .filter(|t| !t.is_empty());
    statements.push(
        Statement::new(
            "UPDATE assistant_conversations
                SET updated_at = ?2, title = CASE WHEN title = ?3 AND ?4 IS NOT NULL THEN ?4 ELSE title END
              WHERE id = ?1",
        )
        .bind(conversation.id)
        .bind(now)
        .bind(UNTITLED)
        .bind(first_words),
    );
    db.batch(&statements).await
}

/// The model tokens a person used today (Central time).
pub async fn used_today(db: &impl Database, user_id: i64, now: i64) -> DbResult<i64> {
    fetch_integer(
        db,
        &Statement::new(
            "SELECT coalesce((SELECT tokens FROM assistant_usage WHERE user_id = ?1 AND day = ?2), 0)",
        )
        .bind(user_id)
        .bind(local_day_number(now)),
    )
    .await
}

/// Counts `tokens` to a person's day; days older than a month are pruned on the way.
pub async fn add_usage(db: &impl Database, user_id: i64, tokens: u32, now: i64) -> DbResult<()> {
    let day = local_day_number(now);
    db.batch(&[
        Statement::new(
            "INSERT INTO assistant_usage (user_id, day, tokens) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id, day) DO UPDATE SET tokens = tokens + excluded.tokens",
        )
        .bind(user_id)
        .bind(day)
        .bind(tokens),
        Statement::new("DELETE FROM assistant_usage WHERE user_id = ?1 AND day < ?2")
            .bind(user_id)
            .bind(day - 31),
    ])
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::edits::AuthorKind;
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    fn scopes(db: &SqliteDatabase) -> (Scope, Scope) {
        let food = some_category(db, "food");
        scopes_in(db, food)
    }

    fn scopes_in(db: &SqliteDatabase, food: i64) -> (Scope, Scope) {
        let mine = insert(db, &business("Mine", food));
        let theirs = insert(db, &business("Theirs", food));
        let olive = crate::accounts::tests::signed_in(db, "olive", "olive@example.test");
        let nick = crate::accounts::tests::signed_in(db, "nick", "nick@example.test");
        (
            Scope::business(olive, AuthorKind::Owner, mine.id),
            Scope::business(nick, AuthorKind::Owner, theirs.id),
        )
    }

    #[test]
    fn a_conversation_is_named_by_its_first_message_and_kept_in_order() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (mine, _) = scopes(&db);
        let id = block_on(start(&db, &mine, NOW)).unwrap();
        let conversation = block_on(open(&db, &mine, id)).unwrap();
        assert_eq!(conversation.title, UNTITLED);
        block_on(append(
            &db,
            &conversation,
            &[
                NewMessage::user("Open on Saturdays please", false),
                NewMessage::assistant("Sure.", None),
            ],
            NOW + 1,
        ))
        .unwrap();
        let conversation = block_on(open(&db, &mine, id)).unwrap();
        assert_eq!(conversation.title, "Open on Saturdays please");
        let roles: Vec<String> = block_on(messages(&db, &conversation))
            .unwrap()
            .into_iter()
            .map(|m| m.role)
            .collect();
        assert_eq!(roles, ["user", "assistant"]);
    }

    #[test]
    fn another_persons_conversation_is_not_found_to_open_rename_or_delete() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (mine, theirs) = scopes(&db);
        let id = block_on(start(&db, &theirs, NOW)).unwrap();
        assert_eq!(block_on(find(&db, &mine, id)).unwrap(), None);
        assert!(matches!(
            block_on(rename(&db, &mine, id, "Mine now", NOW)),
            Err(DomainError::NotFound(_))
        ));
        assert!(matches!(
            block_on(delete(&db, &mine, id)),
            Err(DomainError::NotFound(_))
        ));
        assert!(block_on(list(&db, &mine)).unwrap().is_empty());
        assert_eq!(block_on(list(&db, &theirs)).unwrap().len(), 1);
    }

    #[test]
    fn the_same_person_keeps_separate_conversations_per_business() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let (mine, _) = scopes_in(&db, food);
        let other = insert(&db, &business("Second", food));
        let second = Scope::business(mine.actor.clone(), AuthorKind::Owner, other.id);
        block_on(start(&db, &mine, NOW)).unwrap();
        assert!(block_on(list(&db, &second)).unwrap().is_empty());
        let console = Scope::console(mine.actor.clone());
        assert!(block_on(list(&db, &console)).unwrap().is_empty());
    }

    #[test]
    fn renaming_checks_the_title_and_deleting_takes_the_messages() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (mine, _) = scopes(&db);
        let id = block_on(start(&db, &mine, NOW)).unwrap();
        assert!(matches!(
            block_on(rename(&db, &mine, id, "  ", NOW)),
            Err(DomainError::Invalid(_))
        ));
        block_on(rename(&db, &mine, id, "Hours", NOW)).unwrap();
        let conversation = block_on(open(&db, &mine, id)).unwrap();
        block_on(append(
            &db,
            &conversation,
            &[NewMessage::user("hi", false)],
            NOW,
        ))
        .unwrap();
        assert_eq!(block_on(open(&db, &mine, id)).unwrap().title, "Hours");
        block_on(delete(&db, &mine, id)).unwrap();
        assert!(block_on(messages(&db, &conversation)).unwrap().is_empty());
    }

    #[test]
    fn usage_adds_up_per_day() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (mine, _) = scopes(&db);
        let user = mine.actor.user_id;
        block_on(add_usage(&db, user, 120, NOW)).unwrap();
        block_on(add_usage(&db, user, 30, NOW)).unwrap();
        assert_eq!(block_on(used_today(&db, user, NOW)).unwrap(), 150);
        assert_eq!(block_on(used_today(&db, user, NOW + 86_400)).unwrap(), 0);
    }
}
