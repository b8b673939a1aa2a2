//! The one async database seam every query goes through, and the typed helpers over it.
//!
//! SQL is written once, in this crate, with `?N` placeholders and bound [`Value`]s; rows come
//! back as JSON objects and are deserialized into plain structs. D1 ([`d1`], wasm32) and
//! embedded SQLite ([`sqlite`], native) implement [`Database`].

#[cfg(target_arch = "wasm32")]
pub mod d1;
#[cfg(not(target_arch = "wasm32"))]
pub mod sqlite;

use serde::de::DeserializeOwned;
use std::fmt;

/// A value bound to a statement placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Integer(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::Integer(i64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Integer(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// SQL text plus its bound values. The text only ever comes from string literals in this
/// crate; every value from the outside world travels as a [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// The statement as one SQL text with its values written in as literals, for the one
    /// place that cannot bind: `wrangler d1 execute --command` (an operator's command
    /// against a remote database). Text is quoted with its quotes doubled, so no value can
    /// end its literal; `?N` inside a quoted literal of the SQL itself is left alone.
    pub fn inline_sql(&self) -> String {
        let mut out = String::with_capacity(self.sql.len() + 32);
        let mut chars = self.sql.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                quoted = !quoted;
            }
            if c != '?' || quoted {
                out.push(c);
                continue;
            }
            let mut digits = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            let value = digits
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|index| self.params.get(index));
            match value {
                Some(Value::Null) | None => out.push_str("NULL"),
                Some(Value::Integer(v)) => out.push_str(&v.to_string()),
                Some(Value::Real(v)) => out.push_str(&v.to_string()),
                Some(Value::Text(v)) => {
                    out.push('\'');
                    out.push_str(&v.replace('\'', "''"));
                    out.push('\'');
                }
            }
        }
        out
    }

    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.params.push(value.into());
        self
    }
}

/// A result row: column name to value.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// A store failure. Its text may contain SQL and is for logs only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

pub type DbResult<T> = Result<T, DbError>;

/// The executor seam. Both executors run on one thread (workerd isolates, native tests),
/// so the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Database {
    /// Runs a statement and returns its rows.
    async fn query(&self, statement: &Statement) -> DbResult<Vec<Row>>;
    /// Runs a statement for its effect. It reports no row counts: D1 counts rows written by
    /// triggers and SQLite does not, so writes that need ids or counts use `RETURNING`.
    async fn execute(&self, statement: &Statement) -> DbResult<()>;
    /// Runs statements in order as one transaction: all apply or none do.
    async fn batch(&self, statements: &[Statement]) -> DbResult<()>;
}

/// Runs `statement` and deserializes every row into `T`.
pub async fn fetch_all<T: DeserializeOwned>(
    db: &impl Database,
    statement: &Statement,
) -> DbResult<Vec<T>> {
    db.query(statement)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Runs `statement` and deserializes its first row, if any.
pub async fn fetch_optional<T: DeserializeOwned>(
    db: &impl Database,
    statement: &Statement,
) -> DbResult<Option<T>> {
    db.query(statement)
        .await?
        .into_iter()
        .next()
        .map(from_row)
        .transpose()
}

/// Runs a statement whose first row's first column is an integer (a count, an id).
pub async fn fetch_integer(db: &impl Database, statement: &Statement) -> DbResult<i64> {
    let rows = db.query(statement).await?;
    rows.first()
        .and_then(|row| row.values().next())
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| DbError(format!("expected an integer from: {}", statement.sql)))
}

fn from_row<T: DeserializeOwned>(row: Row) -> DbResult<T> {
    serde_json::from_value(serde_json::Value::Object(row))
        .map_err(|err| DbError(format!("row shape: {err}")))
}

/// Reads SQLite's 0/1 integers as a `bool` field: `#[serde(deserialize_with = "crate::db::flag")]`;
/// a JSON `true`/`false` (the same struct serialized, e.g. into the edit history) reads too.
pub fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Integer(i64),
        Bool(bool),
    }
    Ok(
        match <Flag as serde::Deserialize>::deserialize(deserializer)? {
            Flag::Integer(n) => n != 0,
            Flag::Bool(b) => b,
        },
    )
}

/// `?, ?, ?` for an `IN (...)` list of `count` values (never empty: `NULL` matches nothing).
pub fn placeholders(count: usize) -> String {
    if count == 0 {
        "NULL".to_owned()
    } else {
        vec!["?"; count].join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlined_values_cannot_leave_their_literal() {
        let statement = Statement::new("SELECT ?1, ?2, ?3, ?4, '?1'")
            .bind("it's'; DROP TABLE users; --")
            .bind(42_i64)
            .bind(None::<String>)
            .bind(1.5);
        assert_eq!(
            statement.inline_sql(),
            "SELECT 'it''s''; DROP TABLE users; --', 42, NULL, 1.5, '?1'"
        );
    }

    #[test]
    fn inlined_sql_runs_like_the_bound_statement() {
        let db = sqlite::SqliteDatabase::in_memory().unwrap();
        let statement = Statement::new("SELECT ?1 AS text, ?2 AS n")
            .bind("O'Hara")
            .bind(7_i64);
        let bound = pollster::block_on(db.query(&statement)).unwrap();
        let inlined =
            pollster::block_on(db.query(&Statement::new(statement.inline_sql()))).unwrap();
        assert_eq!(bound, inlined);
    }
}
