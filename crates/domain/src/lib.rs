//! Kiamichi Biz Connect's domain: the typed values input is parsed into, the business rules,
//! every SQL statement, and the services the workers call.
//!
//! It owns one async [`db::Database`] seam with two executors (D1 on wasm32, embedded SQLite
//! natively, both applying the same `migrations/`), plus the KV [`cache`] and R2 [`blob`]
//! seams. It must not know about HTTP: workers translate requests into these types and
//! [`error::DomainError`] into answers.

/// The condition that makes a listing public — published and active — written once for
/// every query (`concat!`-able, so queries stay constants); with an alias, for `alias.`
/// columns. The migrations' partial indexes and search triggers state the same condition.
macro_rules! public_listing {
    () => {
        "status = 'published' AND is_active = 1"
    };
    ($alias:literal) => {
        concat!(
            $alias,
            ".status = 'published' AND ",
            $alias,
            ".is_active = 1"
        )
    };
}

pub mod accounts;
pub mod analysis;
pub mod analytics;
pub mod assistant;
pub mod audit;
pub mod blob;
pub mod blog;
pub mod cache;
pub mod categories;
pub mod claims;
pub mod db;
pub mod directory;
pub mod edits;
pub mod error;
pub mod facebook;
pub mod featured;
pub mod fingerprint;
pub mod health;
pub mod hours;
pub mod images;
pub mod jobs;
pub mod leads;
pub mod listings;
pub mod ordering;
pub mod page_builder;
pub mod paging;
pub mod photos;
pub mod public_writes;
pub mod rate_limit;
pub mod search;
pub mod social_posts;
pub mod stats;
pub mod submissions;
pub mod suggestions;
pub mod values;

pub use error::{DomainError, FieldError};
pub use paging::{Page, Paged};
