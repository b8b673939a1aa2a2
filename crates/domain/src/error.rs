//! The errors domain services return; each kind maps to one HTTP status in the workers.

use crate::db::DbError;
use std::fmt;

/// One rejected input field and why, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl FieldError {
    /// The message of the first problem with `field` among `errors`: what a form shows
    /// beside that field.
    pub fn message_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug)]
pub enum DomainError {
    /// Input that parsed but breaks a rule, or did not parse; never empty.
    Invalid(Vec<FieldError>),
    /// The named thing does not exist publicly.
    NotFound(String),
    /// Too many writes from one client; retry after this many seconds.
    RateLimited { retry_after: i64 },
    /// The store failed; the message is for logs, never for clients.
    Database(DbError),
}

impl DomainError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<DbError> for DomainError {
    fn from(err: DbError) -> Self {
        Self::Database(err)
    }
}

impl From<FieldError> for DomainError {
    fn from(err: FieldError) -> Self {
        Self::Invalid(vec![err])
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(f, "invalid input: {}", list.join("; "))
            }
            Self::NotFound(what) => write!(f, "{what} not found"),
            Self::RateLimited { retry_after } => {
                write!(f, "rate limited, retry after {retry_after}s")
            }
            Self::Database(err) => write!(f, "database: {err}"),
        }
    }
}

impl std::error::Error for DomainError {}

pub type DomainResult<T> = Result<T, DomainError>;
