//! The business assistant's rules: whom it acts for ([`Scope`]), its [`conversations`] and
//! their messages, the [`tools`] a model may call (reads and drafts run at once; changes only
//! become [`actions`] that wait for the person's approval), and the daily model budget.
//! Rights are checked here, in code, on the exact object each tool touches: the business is
//! the scope's, never an argument, and every object id is looked up within that business.
//! No tool runs SQL it was given, and nothing a model says can change a listing before the
//! person approves the card.

pub mod actions;
pub mod conversations;
pub mod proposals;
pub mod tools;

use crate::accounts::Actor;
use crate::edits::{Author, AuthorKind, Means};

/// Whom the assistant acts for, and on what: an owner (or an admin looking in) on one
/// business from the dashboard, or an admin in the console (no business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub actor: Actor,
    /// Owner or admin: how changes are signed in the edit history.
    pub kind: AuthorKind,
    pub business: Option<i64>,
}

impl Scope {
    /// The dashboard's assistant for `business`.
    pub fn business(actor: Actor, kind: AuthorKind, business: i64) -> Self {
        Self {
            actor,
            kind,
            business: Some(business),
        }
    }

    /// The console's assistant of an admin.
    pub fn console(actor: Actor) -> Self {
        Self {
            actor,
            kind: AuthorKind::Admin,
            business: None,
        }
    }

    /// How a change the person approved is signed: by them, through the assistant.
    pub fn author(&self) -> Author {
        match self.kind {
            AuthorKind::Admin => Author::admin(&self.actor, Means::Assistant),
            _ => Author::owner(&self.actor, Means::Assistant),
        }
    }
}
