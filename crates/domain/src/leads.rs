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
    /// Where the owner is with it: `new`, `contacted`, `won` or `lost`.
    #[serde(default = "new_stage")]
    pub stage: String,
    /// When the owner first opened it.
    #[serde(default)]
    pub read_at: Option<i64>,
    pub created_at: i64,
}

fn new_stage() -> String {
    Stage::New.as_str().into()
}

const SELECT_LEAD: &str =
    "SELECT id, name, email, phone, message, status, stage, read_at, created_at FROM leads";

/// Where an owner is with a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    New,
    Contacted,
    Won,
    Lost,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::New, Stage::Contacted, Stage::Won, Stage::Lost];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Contacted => "Contacted",
            Self::Won => "Won",
            Self::Lost => "Lost",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new(field, "must be new, contacted, won or lost"))
    }
}

/// A business's leads for its owners, newest first: spam left out, optionally one stage.
pub async fn inbox(
    db: &impl Database,
    business_id: i64,
    stage: Option<Stage>,
    page: crate::Page,
) -> DbResult<crate::Paged<StoredLead>> {
    const WHERE: &str = "WHERE business_id = ?1 AND status <> 'spam' AND (?2 = '' OR stage = ?2)";
    let stage = stage.map_or("", Stage::as_str);
    let items = fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_LEAD} {WHERE} ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"
        ))
        .bind(business_id)
        .bind(stage)
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new(format!("SELECT count(*) FROM leads {WHERE}"))
            .bind(business_id)
            .bind(stage),
    )
    .await?;
    Ok(crate::Paged { items, total, page })
}

/// How many of a business's leads nobody has opened yet.
pub async fn unread(db: &impl Database, business_id: i64) -> DbResult<i64> {
    fetch_integer(
        db,
        &Statement::new(
            "SELECT count(*) FROM leads WHERE business_id = ?1 AND read_at IS NULL AND status <> 'spam'",
        )
        .bind(business_id),
    )
    .await
}

/// How many unread leads each business `user_id` owns has (business id → count), in one
/// query, for the list of their businesses.
pub async fn unread_of_owner(
    db: &impl Database,
    user_id: i64,
) -> DbResult<std::collections::BTreeMap<i64, i64>> {
    #[derive(Deserialize)]
    struct Row {
        business_id: i64,
        unread: i64,
    }
    let rows: Vec<Row> = fetch_all(
        db,
        &Statement::new(
            "SELECT o.business_id, count(l.id) AS unread
               FROM business_owners o
               LEFT JOIN leads l ON l.business_id = o.business_id AND l.read_at IS NULL AND l.status <> 'spam'
              WHERE o.user_id = ?1 GROUP BY o.business_id",
        )
        .bind(user_id),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.business_id, r.unread))
        .collect())
}

/// Lead `lead_id` of `business_id`, marked read the first time its owner opens it
/// (`mark_read`); a lead of another business is not found.
pub async fn open(
    db: &impl Database,
    business_id: i64,
    lead_id: i64,
    mark_read: bool,
    now: i64,
) -> DomainResult<StoredLead> {
    fetch_optional(
        db,
        &Statement::new(
            "UPDATE leads SET read_at = CASE WHEN ?4 THEN coalesce(read_at, ?3) ELSE read_at END
              WHERE id = ?1 AND business_id = ?2 AND status <> 'spam'
             RETURNING id, name, email, phone, message, status, stage, read_at, created_at",
        )
        .bind(lead_id)
        .bind(business_id)
        .bind(now)
        .bind(mark_read),
    )
    .await?
    .ok_or_else(|| DomainError::NotFound("lead".into()))
}

/// Moves lead `lead_id` of `business_id` to `stage` (and marks it read).
pub async fn set_stage(
    db: &impl Database,
    business_id: i64,
    lead_id: i64,
    stage: Stage,
    now: i64,
) -> DomainResult<()> {
    let changed: Option<Id> = fetch_optional(
        db,
        &Statement::new(
            "UPDATE leads SET stage = ?3, read_at = coalesce(read_at, ?4)
              WHERE id = ?1 AND business_id = ?2 AND status <> 'spam' RETURNING id",
        )
        .bind(lead_id)
        .bind(business_id)
        .bind(stage.as_str())
        .bind(now),
    )
    .await?;
    changed
        .map(|_| ())
        .ok_or_else(|| DomainError::NotFound("lead".into()))
}

/// The most leads one export holds (the newest).
pub const MOST_EXPORTED: u32 = 5000;

/// Every lead of a business but spam, newest first, for the CSV export.
pub async fn export(db: &impl Database, business_id: i64) -> DbResult<Vec<StoredLead>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_LEAD} WHERE business_id = ?1 AND status <> 'spam' ORDER BY created_at DESC, id DESC LIMIT ?2"
        ))
        .bind(business_id)
        .bind(MOST_EXPORTED),
    )
    .await
}

/// Leads as CSV (RFC 4180, CRLF): received (Central time), name, email, phone, stage and
/// message. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
/// is prefixed with `'`, so an export never executes what a stranger typed.
pub fn to_csv(leads: &[StoredLead]) -> String {
    fn cell(text: &str) -> String {
        let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        format!("\"{}\"", guarded.replace('"', "\"\""))
    }
    let mut out = String::from("received,name,email,phone,stage,message\r\n");
    for lead in leads {
        let (year, month, day) = crate::hours::local_date(lead.created_at);
        let (_, minute) = crate::hours::local_day_and_minute(lead.created_at);
        let received = format!(
            "{year}-{month:02}-{day:02} {:02}:{:02}",
            minute / 60,
            minute % 60
        );
        let row = [
            received.as_str(),
            &lead.name,
            lead.email.as_deref().unwrap_or(""),
            lead.phone.as_deref().unwrap_or(""),
            &lead.stage,
            &lead.message,
        ];
        out.push_str(&row.map(cell).join(","));
        out.push_str("\r\n");
    }
    out
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
            "SELECT id, name, email, phone, message, status, stage, read_at, created_at FROM leads
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
            "SELECT id, name, email, phone, message, status, stage, read_at, created_at FROM leads
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

    #[test]
    fn an_owner_works_through_the_inbox_of_their_business_only() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let mine = insert(&db, &business("Pipe Pros", c));
        let theirs = insert(&db, &business("Drain Kings", c));
        let lead = input().parse().unwrap();
        let id = block_on(create(&db, &mine.slug, &lead, "h", 10)).unwrap();
        assert_eq!(block_on(unread(&db, mine.id)).unwrap(), 1);
        let neighbour = block_on(open(&db, theirs.id, id, true, 20));
        assert!(matches!(neighbour, Err(DomainError::NotFound(_))));
        assert!(block_on(set_stage(&db, theirs.id, id, Stage::Won, 20)).is_err());
        assert_eq!(
            block_on(unread(&db, mine.id)).unwrap(),
            1,
            "untouched by the neighbour"
        );
        let looked = block_on(open(&db, mine.id, id, false, 25)).unwrap();
        assert_eq!(looked.read_at, None, "an admin's look leaves it unread");
        let opened = block_on(open(&db, mine.id, id, true, 30)).unwrap();
        assert_eq!((opened.read_at, opened.stage.as_str()), (Some(30), "new"));
        assert_eq!(block_on(unread(&db, mine.id)).unwrap(), 0);
        block_on(set_stage(&db, mine.id, id, Stage::Contacted, 40)).unwrap();
        let contacted = block_on(inbox(
            &db,
            mine.id,
            Some(Stage::Contacted),
            crate::Page::first(10),
        ));
        assert_eq!(
            contacted.unwrap().items[0].read_at,
            Some(30),
            "first opening kept"
        );
        let won = block_on(inbox(
            &db,
            mine.id,
            Some(Stage::Won),
            crate::Page::first(10),
        ))
        .unwrap();
        assert_eq!(won.total, 0);
    }

    #[test]
    fn the_csv_export_quotes_every_cell_and_defuses_formulas() {
        let lead = StoredLead {
            id: 1,
            name: "=HYPERLINK(\"http://evil\")".into(),
            email: Some("sam@example.com".into()),
            phone: None,
            message: "Two lines,\nwith \"quotes\"".into(),
            status: "new".into(),
            stage: "won".into(),
            read_at: None,
            created_at: 1_767_225_600,
        };
        let csv = to_csv(&[lead]);
        assert_eq!(
            csv,
            "received,name,email,phone,stage,message\r\n\
             \"2025-12-31 18:00\",\"'=HYPERLINK(\"\"http://evil\"\")\",\"sam@example.com\",\"\",\"won\",\
             \"Two lines,\nwith \"\"quotes\"\"\"\r\n"
        );
    }

    #[test]
    fn an_owners_unread_leads_are_counted_per_business_at_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let owner = crate::accounts::tests::signed_in(&db, "olive", "olive@example.test");
        let busy = insert(&db, &business("Busy Pipes", c));
        let quiet = insert(&db, &business("Quiet Pipes", c));
        for id in [busy.id, quiet.id] {
            block_on(db.execute(
                &Statement::new(
                    "INSERT INTO business_owners (business_id, user_id, created_at) VALUES (?1, ?2, 1)",
                )
                .bind(id)
                .bind(owner.user_id),
            ))
            .unwrap();
        }
        block_on(create(&db, &busy.slug, &input().parse().unwrap(), "h", 10)).unwrap();
        let counts = block_on(unread_of_owner(&db, owner.user_id)).unwrap();
        assert_eq!(counts.get(&busy.id), Some(&1));
        assert_eq!(counts.get(&quiet.id), Some(&0));
        assert_eq!(
            counts.get(&busy.id).copied(),
            block_on(unread(&db, busy.id)).ok()
        );
    }
}
