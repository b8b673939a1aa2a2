//! The two writes anyone may make without signing in — a new listing for moderation and a
//! request (lead) to a business — each as one operation that the JSON API and the site's
//! forms share: admission against the client's rate limit (before the body is even read),
//! then validation, the spam trap and storage, ending in an [`Outcome`] that a worker only
//! translates into its own kind of answer. Validation comes first so that an invalid body is
//! refused alike whether or not the trap was filled: the trap only ever hides a valid one.

use crate::db::Database;
use crate::error::DomainResult;
use crate::leads::{self, LeadInput};
use crate::rate_limit;
use crate::submissions::{self, SubmissionInput};
use crate::values::Slug;

/// What became of an admitted write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (or found stored already, for a repeat) under this id.
    Stored(i64),
    /// The spam trap was filled in: nothing was stored, and the sender is told nothing else.
    Trapped,
}

/// Leave to make one new-listing submission; only [`admit_submission`] makes one.
#[derive(Debug)]
pub struct SubmissionPermit {
    client: String,
    now: i64,
}

/// Leave to send one lead; only [`admit_lead`] makes one.
#[derive(Debug)]
pub struct LeadPermit {
    client: String,
    now: i64,
}

/// Counts a submission against the client's limit: `RateLimited` past it.
pub async fn admit_submission(
    db: &impl Database,
    client: &str,
    now: i64,
) -> DomainResult<SubmissionPermit> {
    rate_limit::hit(db, rate_limit::SUBMISSIONS, client, now).await?;
    Ok(SubmissionPermit {
        client: client.to_owned(),
        now,
    })
}

/// Counts a lead against the client's limit: `RateLimited` past it.
pub async fn admit_lead(db: &impl Database, client: &str, now: i64) -> DomainResult<LeadPermit> {
    rate_limit::hit(db, rate_limit::LEADS, client, now).await?;
    Ok(LeadPermit {
        client: client.to_owned(),
        now,
    })
}

impl SubmissionPermit {
    /// Stores a valid submission for moderation; `Invalid` names every bad field.
    pub async fn submit(
        self,
        db: &impl Database,
        input: &SubmissionInput,
    ) -> DomainResult<Outcome> {
        let submission = input.parse().map_err(crate::DomainError::Invalid)?;
        if input.is_bot() {
            return Ok(Outcome::Trapped);
        }
        let id = submissions::create(db, &submission, &self.client, self.now).await?;
        Ok(Outcome::Stored(id))
    }
}

impl LeadPermit {
    /// Stores a valid lead for a public business; `NotFound` for any other slug.
    pub async fn send(
        self,
        db: &impl Database,
        business: &Slug,
        input: &LeadInput,
    ) -> DomainResult<Outcome> {
        let lead = input.parse().map_err(crate::DomainError::Invalid)?;
        if input.is_bot() {
            return Ok(Outcome::Trapped);
        }
        let id = leads::create(db, business, &lead, &self.client, self.now).await?;
        Ok(Outcome::Stored(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainError;
    use crate::db::sqlite::SqliteDatabase;
    use crate::db::{Statement, fetch_integer};
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    fn lead() -> LeadInput {
        LeadInput {
            name: Some("Sam".into()),
            email: Some("sam@example.com".into()),
            message: Some("Please call me about a quote.".into()),
            ..LeadInput::default()
        }
    }

    fn count(db: &SqliteDatabase, table: &str) -> i64 {
        block_on(fetch_integer(
            db,
            &Statement::new(format!("SELECT count(*) FROM {table}")),
        ))
        .unwrap()
    }

    #[test]
    fn a_client_past_its_limit_is_refused_before_anything_is_read() {
        let db = SqliteDatabase::in_memory().unwrap();
        for _ in 0..rate_limit::SUBMISSIONS.max_hits {
            block_on(admit_submission(&db, "c", 100)).unwrap();
        }
        let refused = block_on(admit_submission(&db, "c", 101)).unwrap_err();
        assert!(
            matches!(refused, DomainError::RateLimited { .. }),
            "{refused}"
        );
        assert!(
            block_on(admit_lead(&db, "c", 101)).is_ok(),
            "leads count apart"
        );
    }

    #[test]
    fn a_trapped_bot_stores_nothing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let listed = insert(&db, &business("Pipe Pros", c));
        let bot = LeadInput {
            homepage: Some("http://spam.example".into()),
            ..lead()
        };
        let permit = block_on(admit_lead(&db, "c", 1)).unwrap();
        let outcome = block_on(permit.send(&db, &listed.slug, &bot)).unwrap();
        assert_eq!(outcome, Outcome::Trapped);
        assert_eq!(count(&db, "leads"), 0);
    }

    #[test]
    fn an_invalid_body_is_refused_even_with_the_trap_filled() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let listed = insert(&db, &business("Pipe Pros", c));
        let invalid_bot = LeadInput {
            homepage: Some("http://spam.example".into()),
            message: Some("short".into()),
            ..lead()
        };
        let permit = block_on(admit_lead(&db, "c", 1)).unwrap();
        let refused = block_on(permit.send(&db, &listed.slug, &invalid_bot)).unwrap_err();
        assert!(matches!(refused, DomainError::Invalid(_)), "{refused}");
    }

    #[test]
    fn an_invalid_write_names_its_fields_and_stores_nothing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let permit = block_on(admit_submission(&db, "c", 1)).unwrap();
        let err = block_on(permit.submit(&db, &SubmissionInput::default())).unwrap_err();
        let DomainError::Invalid(fields) = err else {
            panic!("{err}")
        };
        assert!(fields.iter().any(|f| f.field == "business_name"));
        assert_eq!(count(&db, "submissions"), 0);
    }

    #[test]
    fn a_valid_lead_is_stored_for_the_public_business() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let listed = insert(&db, &business("Pipe Pros", c));
        let permit = block_on(admit_lead(&db, "c", 1)).unwrap();
        let outcome = block_on(permit.send(&db, &listed.slug, &lead())).unwrap();
        assert!(matches!(outcome, Outcome::Stored(_)));
        assert_eq!(count(&db, "leads"), 1);
    }
}
