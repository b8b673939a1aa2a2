//! Facebook: the Pages people connect (`connections`, tokens kept sealed — this crate never
//! sees a token in the clear), the posting queue the facebook worker fills and publishes
//! exactly once (`queue`), comments from Meta's webhooks and the replies owners approve
//! (`comments`), and Meta's data-deletion requests (`deletion`). Owners' own view of their
//! posts is [`crate::social_posts`].

pub mod comments;
pub mod connections;
pub mod deletion;
pub mod queue;

use crate::db::Value;

/// Whose Page: a business's, or the directory's own (connected by an admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Business(i64),
    Directory,
}

impl Target {
    /// The business, `None` for the directory's own Page.
    pub fn business_id(self) -> Option<i64> {
        match self {
            Self::Business(id) => Some(id),
            Self::Directory => None,
        }
    }

    /// The target as one non-negative number (0: the directory), for keys.
    pub fn key(self) -> i64 {
        self.business_id().unwrap_or(0)
    }

    /// The target of a stored `business_id` column.
    pub fn of(business_id: Option<i64>) -> Self {
        business_id.map_or(Self::Directory, Self::Business)
    }
}

impl From<Target> for Value {
    /// Bound where SQL compares with `business_id IS ?`, so the directory matches NULL.
    fn from(target: Target) -> Self {
        target.business_id().into()
    }
}
