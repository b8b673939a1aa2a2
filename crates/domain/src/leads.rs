//! Leads: a customer's request to a business ("please call me about a quote").

use crate::FieldError;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::directory;
use crate::error::{DomainError, DomainResult};
use crate::values::{Collector, Email, Paragraphs, PersonName, Phone, Slug};
use serde::{Deserialize, Serialize};

/// A lead as it arrives. `homepage` is the spam trap.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub message: Option<String>,
    pub homepage: Option<String>,
}

/// A lead that passed every rule: a name, a message, and at least one way to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLead {
    pub name: PersonName,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub message: Paragraphs,
}

impl LeadInput {
    pub fn is_bot(&self) -> bool {
        crate::values::given(&self.homepage).is_some()
    }

    pub fn parse(&self) -> Result<NewLead, Vec<FieldError>> {
        let mut c = Collector::default();
        let name = c.required("name", &self.name, |s| PersonName::parse("name", s));
        let email = c.optional(&self.email, |s| Email::parse("email", s));
        let phone = c.optional(&self.phone, |s| Phone::parse("phone", s));
        let message = c.required("message", &self.message, |s| {
            Paragraphs::parse("message", s, 10, 2000)
        });
        if matches!((&email, &phone), (Some(None), Some(None))) {
            c.0.push(FieldError::new(
                "email",
                "give an email address or a phone number so the business can answer",
            ));
        }
        match (name, email, phone, message) {
            (Some(name), Some(email), Some(phone), Some(message)) if c.0.is_empty() => {
                Ok(NewLead {
                    name,
                    email,
                    phone,
                    message,
                })
            }
            _ => Err(c.0),
        }
    }
}

/// The same lead sent again within this many seconds (a double click, a reload that resent
/// the form) is the one already stored.
pub const REPEAT_WINDOW_SECONDS: i64 = 600;

/// Stores a lead for a public business, once per repeat window; `NotFound` when the slug is not a public listing.
pub async fn create(
    db: &impl Database,
    business: &Slug,
    lead: &NewLead,
    client_hash: &str,
    now: i64,
) -> DomainResult<i64> {
    let business_id = directory::public_id(db, business)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("business '{business}'")))?;
    // One statement, so two copies racing each other still store one: the insert happens
    // only when no identical lead reached this business within the repeat window.
    let inserted = fetch_optional::<Id>(
        db,
        &Statement::new(
            "INSERT INTO leads (business_id, name, email, phone, message, client_hash, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
              WHERE NOT EXISTS (
                    SELECT 1 FROM leads
                     WHERE business_id = ?1 AND created_at > ?8 AND name = ?2 AND email IS ?3
                       AND phone IS ?4 AND message = ?5)
             RETURNING id",
        )
        .bind(business_id)
        .bind(lead.name.as_str())
        .bind(lead.email.as_ref().map(Email::as_str))
        .bind(lead.phone.as_ref().map(Phone::as_str))
        .bind(lead.message.as_str())
        .bind(client_hash)
        .bind(now)
        .bind(now - REPEAT_WINDOW_SECONDS),
    )
    .await?;
    if let Some(Id { id }) = inserted {
        return Ok(id);
    }
    let repeated = fetch_integer(
        db,
        &Statement::new(
            "SELECT max(id) FROM leads
              WHERE business_id = ?1 AND name = ?2 AND email IS ?3 AND phone IS ?4 AND message = ?5",
        )
        .bind(business_id)
        .bind(lead.name.as_str())
        .bind(lead.email.as_ref().map(Email::as_str))
        .bind(lead.phone.as_ref().map(Phone::as_str))
        .bind(lead.message.as_str()),
    )
    .await?;
    Ok(repeated)
}

#[derive(Deserialize)]
struct Id {
    id: i64,
}

/// A stored lead as the business owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLead {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub message: String,
    pub status: String,
    pub created_at: i64,
}

/// A business's leads, newest first.
pub async fn for_business(
    db: &impl Database,
    business_id: i64,
    limit: u32,
) -> DbResult<Vec<StoredLead>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, name, email, phone, message, status, created_at FROM leads
              WHERE business_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        )
        .bind(business_id)
        .bind(limit),
    )
    .await
}

/// A business's leads, newest first, one page at a time.
pub async fn page_for_business(
    db: &impl Database,
    business_id: i64,
    page: crate::Page,
) -> DbResult<crate::Paged<StoredLead>> {
    let items = fetch_all(
        db,
        &Statement::new(
            "SELECT id, name, email, phone, message, status, created_at FROM leads
              WHERE business_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(business_id)
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM leads WHERE business_id = ?1").bind(business_id),
    )
    .await?;
    Ok(crate::Paged { items, total, page })
}

/// Marks a lead of `business_id` as spam (an admin's call; recorded in the audit log). A
/// lead of another business is not found.
pub async fn mark_spam(
    db: &impl Database,
    actor: &crate::accounts::Actor,
    business_id: i64,
    lead_id: i64,
    now: i64,
) -> DomainResult<()> {
    let found: Option<Id> = fetch_optional(
        db,
        &Statement::new("SELECT id FROM leads WHERE id = ?1 AND business_id = ?2")
            .bind(lead_id)
            .bind(business_id),
    )
    .await?;
    let lead = found.ok_or_else(|| DomainError::NotFound("lead".into()))?;
    db.batch(&[
        Statement::new("UPDATE leads SET status = 'spam' WHERE id = ?1").bind(lead.id),
        crate::audit::entry(
            actor,
            "lead.spam",
            "lead",
            &lead.id.to_string(),
            None,
            None,
            now,
        ),
    ])
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    fn input() -> LeadInput {
        LeadInput {
            name: Some("Sam".into()),
            email: Some("sam@example.com".into()),
            phone: None,
            message: Some("Need a quote for a water heater.".into()),
            homepage: None,
        }
    }

    #[test]
    fn a_lead_needs_a_way_to_answer() {
        let mut no_contact = input();
        no_contact.email = None;
        let errors = no_contact.parse().unwrap_err();
        assert_eq!(errors[0].field, "email");
        assert!(errors[0].message.contains("phone number"));
        let mut phone_only = input();
        phone_only.email = None;
        phone_only.phone = Some("580-326-5555".into());
        assert!(phone_only.parse().is_ok());
    }

    #[test]
    fn a_lead_message_has_a_minimum_length() {
        let mut short = input();
        short.message = Some("hi".into());
        assert_eq!(short.parse().unwrap_err()[0].field, "message");
    }

    #[test]
    fn the_spam_trap_marks_bots() {
        let mut bot = input();
        bot.homepage = Some("x".into());
        assert!(bot.is_bot());
        assert!(!input().is_bot());
    }

    #[test]
    fn leads_are_stored_for_public_businesses_newest_first() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let created = insert(&db, &business("Pipe Pros", c));
        let lead = input().parse().unwrap();
        block_on(create(&db, &created.slug, &lead, "h", 10)).unwrap();
        let later = 10 + REPEAT_WINDOW_SECONDS + 1;
        let second = block_on(create(&db, &created.slug, &lead, "h", later)).unwrap();
        let stored = block_on(for_business(&db, created.id, 10)).unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].id, second);
        assert_eq!(stored[0].status, "new");
        assert_eq!(stored[0].email.as_deref(), Some("sam@example.com"));
    }

    #[test]
    fn the_same_lead_repeated_within_minutes_is_stored_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let created = insert(&db, &business("Pipe Pros", c));
        let lead = input().parse().unwrap();
        let first = block_on(create(&db, &created.slug, &lead, "h", 100)).unwrap();
        let again = block_on(create(&db, &created.slug, &lead, "other", 160)).unwrap();
        assert_eq!(again, first);
        let mut different = lead.clone();
        different.message =
            Paragraphs::parse("m", "And a second question, please.", 1, 100).unwrap();
        assert_ne!(
            block_on(create(&db, &created.slug, &different, "h", 170)).unwrap(),
            first
        );
        assert_eq!(
            block_on(for_business(&db, created.id, 10)).unwrap().len(),
            2
        );
    }

    #[test]
    fn a_lead_for_a_hidden_or_missing_business_is_not_found() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let mut draft = business("Secret Co", c);
        draft.published = false;
        let draft = insert(&db, &draft);
        let lead = input().parse().unwrap();
        for slug in [draft.slug, Slug::parse("s", "nobody").unwrap()] {
            let err = block_on(create(&db, &slug, &lead, "h", 1)).unwrap_err();
            assert!(matches!(err, DomainError::NotFound(_)), "{slug}");
        }
    }
}
