//! Public "add my business" submissions. A submission waits for a moderator; it never
//! becomes a public listing by itself.

use crate::FieldError;
use crate::categories;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::values::{
    BusinessName, CityName, Collector, Email, Paragraphs, PersonName, Phone, Slug, StateCode,
    WebUrl, Zip, given,
};
use serde::{Deserialize, Serialize};

/// A submission as it arrives, every field still text. `homepage` is the spam trap: people
/// never see it, bots fill it in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    pub business_name: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub contact_name: Option<String>,
    pub homepage: Option<String>,
}

/// A submission that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubmission {
    pub business_name: BusinessName,
    pub category: Slug,
    pub description: Paragraphs,
    pub phone: Option<Phone>,
    pub email: Email,
    pub website: Option<WebUrl>,
    pub street: String,
    pub city: CityName,
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub contact_name: PersonName,
}

impl SubmissionInput {
    /// True when the spam trap was filled in.
    pub fn is_bot(&self) -> bool {
        given(&self.homepage).is_some()
    }

    pub fn parse(&self) -> Result<NewSubmission, Vec<FieldError>> {
        let mut c = Collector::default();
        let business_name = c.required("business_name", &self.business_name, |s| {
            BusinessName::parse("business_name", s)
        });
        let category = c.required("category", &self.category, |s| Slug::parse("category", s));
        let description = c.take(Paragraphs::parse(
            "description",
            self.description.as_deref().unwrap_or(""),
            0,
            2000,
        ));
        let phone = c.optional(&self.phone, |s| Phone::parse("phone", s));
        let email = c.required("email", &self.email, |s| Email::parse("email", s));
        let website = c.optional(&self.website, |s| WebUrl::parse("website", s));
        let street = c.take(Paragraphs::parse(
            "street",
            self.street.as_deref().unwrap_or(""),
            0,
            120,
        ));
        let city = c.required("city", &self.city, |s| CityName::parse("city", s));
        let state = c.required("state", &self.state, |s| StateCode::parse("state", s));
        let zip = c.optional(&self.zip, |s| Zip::parse("zip", s));
        let contact_name = c.required("contact_name", &self.contact_name, |s| {
            PersonName::parse("contact_name", s)
        });
        match (
            business_name,
            category,
            description,
            phone,
            email,
            website,
            street,
            city,
            state,
            zip,
            contact_name,
        ) {
            (
                Some(business_name),
                Some(category),
                Some(description),
                Some(phone),
                Some(email),
                Some(website),
                Some(street),
                Some(city),
                Some(state),
                Some(zip),
                Some(contact_name),
            ) if c.0.is_empty() => Ok(NewSubmission {
                business_name,
                category,
                description,
                phone,
                email,
                website,
                street: street.as_str().replace('\n', " "),
                city,
                state,
                zip,
                contact_name,
            }),
            _ => Err(c.0),
        }
    }
}

/// Stores a submission for moderation and returns its id. Sending the same business from
/// the same address again while the first is still pending returns the first one.
pub async fn create(
    db: &impl Database,
    submission: &NewSubmission,
    client_hash: &str,
    now: i64,
) -> DomainResult<i64> {
    insert(db, submission, client_hash, None, now).await
}

/// The most listings one person may have waiting for review.
pub const MOST_PENDING_PER_PERSON: i64 = 5;

/// A new listing added by a signed-in person from their dashboard: moderated like any
/// other, and theirs (an owner of it) once approved.
pub async fn create_by(
    db: &impl Database,
    user_id: i64,
    submission: &NewSubmission,
    now: i64,
) -> DomainResult<i64> {
    let pending = fetch_integer(
        db,
        &Statement::new(
            "SELECT count(*) FROM submissions WHERE submitted_by = ?1 AND status = 'pending'",
        )
        .bind(user_id),
    )
    .await?;
    if pending >= MOST_PENDING_PER_PERSON {
        return Err(DomainError::invalid(
            "business_name",
            "you have five listings waiting for review; add more once those are decided",
        ));
    }
    insert(
        db,
        submission,
        &format!("user:{user_id}"),
        Some(user_id),
        now,
    )
    .await
}

/// Listings a person added that are not decided yet, or were rejected, newest first.
pub async fn of_user(db: &impl Database, user_id: i64) -> DbResult<Vec<StoredSubmission>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_SUBMISSION} WHERE s.submitted_by = ?1 AND s.status <> 'approved' ORDER BY s.id DESC LIMIT 20"
        ))
        .bind(user_id),
    )
    .await
}

async fn insert(
    db: &impl Database,
    submission: &NewSubmission,
    client_hash: &str,
    submitted_by: Option<i64>,
    now: i64,
) -> DomainResult<i64> {
    let category = categories::find_by_slug(db, &submission.category)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                "category",
                format!("no category is called '{}'", submission.category),
            )
        })?;
    // The partial unique index decides: a racing second copy updates nothing and gets the
    // first one's id back.
    let statement = Statement::new(
        "INSERT INTO submissions (business_name, category_id, description, phone, email, website, street, city, state,
             zip, contact_name, client_hash, created_at, submitted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (email, business_name COLLATE NOCASE, city COLLATE NOCASE) WHERE status = 'pending'
         DO UPDATE SET status = status
         RETURNING id",
    )
    .bind(submission.business_name.as_str())
    .bind(category.id)
    .bind(submission.description.as_str())
    .bind(submission.phone.as_ref().map(Phone::as_str))
    .bind(submission.email.as_str())
    .bind(submission.website.as_ref().map(WebUrl::as_str))
    .bind(submission.street.as_str())
    .bind(submission.city.as_str())
    .bind(submission.state.code())
    .bind(submission.zip.as_ref().map_or("", Zip::as_str))
    .bind(submission.contact_name.as_str())
    .bind(client_hash)
    .bind(now)
    .bind(submitted_by);
    Ok(fetch_integer(db, &statement).await?)
}

/// A stored submission as a moderator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSubmission {
    pub id: i64,
    pub business_name: String,
    pub category_slug: String,
    pub description: String,
    pub phone: Option<String>,
    pub email: String,
    pub website: Option<String>,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub contact_name: String,
    pub status: String,
    pub created_at: i64,
}

const SELECT_SUBMISSION: &str =
    "SELECT s.id, s.business_name, c.slug AS category_slug, s.description, s.phone, s.email,
        s.website, s.street, s.city, s.state, s.zip, s.contact_name, s.status, s.created_at
   FROM submissions s JOIN categories c ON c.id = s.category_id";

/// Pending submissions, oldest first.
pub async fn pending(db: &impl Database, limit: u32) -> DbResult<Vec<StoredSubmission>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_SUBMISSION} WHERE s.status = 'pending' ORDER BY s.created_at, s.id LIMIT ?1"
        ))
        .bind(limit),
    )
    .await
}

pub async fn find(db: &impl Database, id: i64) -> DbResult<Option<StoredSubmission>> {
    fetch_optional(
        db,
        &Statement::new(format!("{SELECT_SUBMISSION} WHERE s.id = ?1")).bind(id),
    )
    .await
}

/// Pending submissions, oldest first, one page at a time.
pub async fn pending_page(
    db: &impl Database,
    page: crate::Page,
) -> DbResult<crate::Paged<StoredSubmission>> {
    let items = fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_SUBMISSION} WHERE s.status = 'pending' ORDER BY s.created_at, s.id LIMIT ?1 OFFSET ?2"
        ))
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM submissions WHERE status = 'pending'"),
    )
    .await?;
    Ok(crate::Paged { items, total, page })
}

/// An existing listing that may be the same business as a submission.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Similar {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub city: String,
    pub status: String,
    /// What matched: `phone`, `name` or `phone name`.
    pub matched: String,
}

/// Listings with the submission's phone, or its name in its town: the duplicates a
/// moderator should look at before approving.
pub async fn similar(db: &impl Database, submission: &StoredSubmission) -> DbResult<Vec<Similar>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, slug, name, city, status,
                    trim(iif(phone IS ?1, 'phone ', '')
                         || iif(name = ?2 COLLATE NOCASE AND city = ?3 COLLATE NOCASE, 'name', '')) AS matched
               FROM businesses
              WHERE (?1 IS NOT NULL AND phone = ?1) OR (name = ?2 COLLATE NOCASE AND city = ?3 COLLATE NOCASE)
              ORDER BY id LIMIT 10",
        )
        .bind(submission.phone.as_deref())
        .bind(submission.business_name.as_str())
        .bind(submission.city.as_str()),
    )
    .await
}

/// How a moderation decision ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This request approved it: the business it created.
    Approved { business_id: i64, slug: String },
    /// This request rejected it.
    Rejected,
    /// Someone decided first (a double click, another admin); nothing changed now.
    AlreadyDecided { status: String },
}

/// Approves a pending submission as `edited` (the moderator's corrections, parsed by the
/// same rules as the public form): it becomes exactly one published business, even when
/// approvals race. The decision is one transaction that stores this request's `token`; only
/// the request whose token was stored creates the business and its audit entry.
pub async fn approve(
    db: &impl Database,
    actor: &crate::accounts::Actor,
    id: i64,
    edited: &NewSubmission,
    token: &str,
    now: i64,
) -> DomainResult<Decision> {
    let before = find(db, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("submission".into()))?;
    if before.status != "pending" {
        return Ok(Decision::AlreadyDecided {
            status: before.status,
        });
    }
    let (slug, statements) = approval(db, actor, &before, edited, token, now).await?;
    db.batch(&statements).await?;
    decided(db, id, token, |row| match row.business_id {
        Some(business_id) => Decision::Approved {
            business_id,
            slug: slug.as_str().to_owned(),
        },
        None => Decision::AlreadyDecided { status: row.status },
    })
    .await
}

/// The one transaction that approves `before` as `edited` if it is still pending, and the
/// slug its business gets.
async fn approval(
    db: &impl Database,
    actor: &crate::accounts::Actor,
    before: &StoredSubmission,
    edited: &NewSubmission,
    token: &str,
    now: i64,
) -> DomainResult<(Slug, Vec<Statement>)> {
    let category = categories::find_by_slug(db, &edited.category)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                "category",
                format!("no category is called '{}'", edited.category),
            )
        })?;
    let slug = crate::directory::unique_slug(db, &edited.business_name, &edited.city).await?;
    let before_json = serde_json::to_string(before).ok();
    let id = before.id;
    let statements = vec![
        Statement::new(
            "UPDATE submissions SET business_name = ?2, category_id = ?3, description = ?4, phone = ?5, email = ?6,
                 website = ?7, street = ?8, city = ?9, state = ?10, zip = ?11, contact_name = ?12,
                 status = 'approved', reviewed_at = ?13, reviewed_by = ?14, review_token = ?15
              WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id)
        .bind(edited.business_name.as_str())
        .bind(category.id)
        .bind(edited.description.as_str())
        .bind(edited.phone.as_ref().map(Phone::as_str))
        .bind(edited.email.as_str())
        .bind(edited.website.as_ref().map(WebUrl::as_str))
        .bind(edited.street.as_str())
        .bind(edited.city.as_str())
        .bind(edited.state.code())
        .bind(edited.zip.as_ref().map_or("", Zip::as_str))
        .bind(edited.contact_name.as_str())
        .bind(now)
        .bind(actor.user_id)
        .bind(token),
        Statement::new(
            "INSERT INTO businesses (slug, name, description, category_id, phone, email, website, street, city,
                 city_slug, state, zip, status, is_active, created_at, updated_at)
             SELECT ?1, business_name, description, category_id, phone, email, website, street, city, ?2, state, zip,
                 'published', 1, ?3, ?3
               FROM submissions WHERE id = ?4 AND review_token = ?5",
        )
        .bind(slug.as_str())
        .bind(edited.city.slug().as_str())
        .bind(now)
        .bind(id)
        .bind(token),
        Statement::new(
            "UPDATE submissions SET business_id = (SELECT id FROM businesses WHERE slug = ?1)
              WHERE id = ?2 AND review_token = ?3",
        )
        .bind(slug.as_str())
        .bind(id)
        .bind(token),
        // Added from someone's dashboard: theirs from now on.
        Statement::new(
            "INSERT INTO business_owners (business_id, user_id, created_at)
             SELECT business_id, submitted_by, ?3 FROM submissions
              WHERE id = ?1 AND review_token = ?2 AND submitted_by IS NOT NULL AND business_id IS NOT NULL
             ON CONFLICT (business_id, user_id) DO NOTHING",
        )
        .bind(id)
        .bind(token)
        .bind(now),
        Statement::new(
            "INSERT INTO user_roles (user_id, role, granted_at)
             SELECT submitted_by, 'owner', ?3 FROM submissions
              WHERE id = ?1 AND review_token = ?2 AND submitted_by IS NOT NULL
             ON CONFLICT (user_id, role) DO NOTHING",
        )
        .bind(id)
        .bind(token)
        .bind(now),
        crate::audit::guarded_entry(
            actor,
            "submission.approve",
            "submission",
            &id.to_string(),
            before_json.as_deref(),
            Some(slug.as_str()),
            now,
            DECIDED_BY_THIS_REQUEST,
        )
        .bind(id)
        .bind(token),
    ];
    Ok((slug, statements))
}

/// Rejects a pending submission with a reason the moderator gives.
pub async fn reject(
    db: &impl Database,
    actor: &crate::accounts::Actor,
    id: i64,
    reason: &str,
    token: &str,
    now: i64,
) -> DomainResult<Decision> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(DomainError::invalid(
            "reason",
            "say why, in at most 500 characters",
        ));
    }
    let before = find(db, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("submission".into()))?;
    if before.status != "pending" {
        return Ok(Decision::AlreadyDecided {
            status: before.status,
        });
    }
    db.batch(&[
        Statement::new(
            "UPDATE submissions SET status = 'rejected', reviewer_note = ?2, reviewed_at = ?3, reviewed_by = ?4,
                 review_token = ?5
              WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id)
        .bind(reason)
        .bind(now)
        .bind(actor.user_id)
        .bind(token),
        crate::audit::guarded_entry(
            actor,
            "submission.reject",
            "submission",
            &id.to_string(),
            None,
            Some(reason),
            now,
            DECIDED_BY_THIS_REQUEST,
        )
        .bind(id)
        .bind(token),
    ])
    .await?;
    decided(db, id, token, |_| Decision::Rejected).await
}

#[derive(Deserialize)]
struct DecidedRow {
    status: String,
    business_id: Option<i64>,
    #[serde(deserialize_with = "crate::db::flag")]
    won: bool,
}

/// Reads back which request's decision was stored.
async fn decided(
    db: &impl Database,
    id: i64,
    token: &str,
    this_request: impl FnOnce(DecidedRow) -> Decision,
) -> DomainResult<Decision> {
    let row: DecidedRow = fetch_optional(
        db,
        &Statement::new(
            "SELECT status, business_id, coalesce(review_token = ?2, 0) AS won FROM submissions WHERE id = ?1",
        )
        .bind(id)
        .bind(token),
    )
    .await?
    .ok_or_else(|| DomainError::NotFound("submission".into()))?;
    Ok(if row.won {
        this_request(row)
    } else {
        Decision::AlreadyDecided { status: row.status }
    })
}

/// Whether the decision stored on submission `?9` carries this request's token `?10`.
const DECIDED_BY_THIS_REQUEST: &str =
    "EXISTS (SELECT 1 FROM submissions WHERE id = ?9 AND review_token = ?10)";

impl StoredSubmission {
    /// The stored fields as the form a moderator edits.
    pub fn as_input(&self) -> SubmissionInput {
        SubmissionInput {
            business_name: Some(self.business_name.clone()),
            category: Some(self.category_slug.clone()),
            description: Some(self.description.clone()),
            phone: self.phone.clone(),
            email: Some(self.email.clone()),
            website: self.website.clone(),
            street: Some(self.street.clone()),
            city: Some(self.city.clone()),
            state: Some(self.state.clone()),
            zip: Some(self.zip.clone()),
            contact_name: Some(self.contact_name.clone()),
            homepage: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::some_category;
    use pollster::block_on;

    fn input() -> SubmissionInput {
        SubmissionInput {
            business_name: Some("Talihina Tire & Lube".into()),
            category: Some("auto".into()),
            description: Some("Tires, oil changes, alignments.".into()),
            phone: Some("918-567-5555".into()),
            email: Some("owner@example.com".into()),
            website: Some("talihinatire.example.com".into()),
            street: Some("301 1st St".into()),
            city: Some("Talihina".into()),
            state: Some("ok".into()),
            zip: Some("74571".into()),
            contact_name: Some("Dana".into()),
            homepage: None,
        }
    }

    #[test]
    fn a_complete_submission_parses_into_typed_values() {
        let parsed = input().parse().unwrap();
        assert_eq!(parsed.business_name.as_str(), "Talihina Tire & Lube");
        assert_eq!(parsed.phone.unwrap().as_str(), "+19185675555");
        assert_eq!(
            parsed.website.unwrap().as_str(),
            "https://talihinatire.example.com/"
        );
        assert_eq!(parsed.state, StateCode::Oklahoma);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once_by_name() {
        let mut bad = input();
        bad.business_name = None;
        bad.email = Some("nope".into());
        bad.state = Some("KS".into());
        bad.phone = Some("12".into());
        let fields: Vec<String> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["business_name", "phone", "email", "state"]);
    }

    #[test]
    fn blank_optional_fields_are_absent_not_errors() {
        let mut sparse = input();
        sparse.phone = Some("  ".into());
        sparse.website = None;
        sparse.zip = Some(String::new());
        let parsed = sparse.parse().unwrap();
        assert!(parsed.phone.is_none() && parsed.website.is_none() && parsed.zip.is_none());
    }

    #[test]
    fn the_spam_trap_marks_bots() {
        let mut bot = input();
        assert!(!bot.is_bot());
        bot.homepage = Some("http://spam.example".into());
        assert!(bot.is_bot());
    }

    #[test]
    fn unknown_json_fields_are_rejected_by_name() {
        let err =
            serde_json::from_str::<SubmissionInput>(r#"{"business_name":"x","status":"approved"}"#)
                .unwrap_err();
        assert!(err.to_string().contains("unknown field `status`"), "{err}");
    }

    #[test]
    fn a_stored_submission_is_pending_and_not_a_business() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let id = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        let stored = block_on(find(&db, id)).unwrap().unwrap();
        assert_eq!(stored.status, "pending");
        assert_eq!(stored.category_slug, "auto");
        assert_eq!(stored.phone.as_deref(), Some("+19185675555"));
        let businesses = block_on(crate::db::fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM businesses"),
        ))
        .unwrap();
        assert_eq!(businesses, 0);
        assert_eq!(block_on(pending(&db, 10)).unwrap(), vec![stored]);
    }

    #[test]
    fn resubmitting_the_same_pending_business_returns_the_first_submission() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let first = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        let mut again = input();
        again.business_name = Some("TALIHINA TIRE & LUBE".into());
        let second = block_on(create(&db, &again.parse().unwrap(), "client", 200)).unwrap();
        assert_eq!(first, second);
        assert_eq!(block_on(pending(&db, 10)).unwrap().len(), 1);
    }

    #[test]
    fn the_database_itself_refuses_a_second_pending_copy_of_a_business() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        // What a racing second request would do if it had checked before the first inserted.
        let raced = block_on(db.execute(&Statement::new(
            "INSERT INTO submissions (business_name, category_id, email, city, state, contact_name,
                client_hash, created_at)
             SELECT upper(business_name), category_id, email, lower(city), state, contact_name, 'other', 101
               FROM submissions",
        )));
        assert!(raced.is_err(), "{raced:?}");
        let count = block_on(fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM submissions"),
        ));
        assert_eq!(count.unwrap(), 1);
    }

    #[test]
    fn an_unknown_category_is_a_field_error() {
        let db = SqliteDatabase::in_memory().unwrap();
        let err = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(ref e) if e[0].field == "category"));
    }

    #[test]
    fn pending_lists_oldest_first_and_respects_the_limit() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        for (i, name) in ["Alpha Co", "Beta Co", "Gamma Co"].iter().enumerate() {
            let mut s = input();
            s.business_name = Some((*name).into());
            block_on(create(&db, &s.parse().unwrap(), "c", 300 - i as i64)).unwrap();
        }
        let names: Vec<String> = block_on(pending(&db, 2))
            .unwrap()
            .into_iter()
            .map(|s| s.business_name)
            .collect();
        assert_eq!(names, ["Gamma Co", "Beta Co"]);
        assert!(block_on(find(&db, 999)).unwrap().is_none());
    }

    fn moderator(db: &SqliteDatabase) -> crate::accounts::Actor {
        crate::accounts::tests::signed_in(db, "admin-1", "admin@example.com")
    }

    fn count(db: &SqliteDatabase, sql: &str) -> i64 {
        block_on(crate::db::fetch_integer(db, &Statement::new(sql))).unwrap()
    }

    #[test]
    fn approving_publishes_the_moderators_edited_version_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let actor = moderator(&db);
        let id = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        let mut edited = input();
        edited.business_name = Some("Talihina Tire and Lube".into());
        let decision = block_on(approve(
            &db,
            &actor,
            id,
            &edited.parse().unwrap(),
            "aa11",
            200,
        ))
        .unwrap();
        let Decision::Approved { slug, .. } = decision else {
            panic!("{decision:?}")
        };
        assert_eq!(slug, "talihina-tire-and-lube-talihina");
        let again = block_on(approve(
            &db,
            &actor,
            id,
            &input().parse().unwrap(),
            "bb22",
            201,
        ))
        .unwrap();
        assert_eq!(
            again,
            Decision::AlreadyDecided {
                status: "approved".into()
            }
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM businesses WHERE status = 'published'"
            ),
            1
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM audit_log WHERE action = 'submission.approve'"
            ),
            1
        );
    }

    #[test]
    fn a_racing_second_approval_that_passed_the_check_creates_nothing() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let actor = moderator(&db);
        let id = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        // Both requests read `pending` and prepared their transaction; the first commits.
        let pending = block_on(find(&db, id)).unwrap().unwrap();
        let edited = input().parse().unwrap();
        let (_, first) = block_on(approval(&db, &actor, &pending, &edited, "aa11", 200)).unwrap();
        let (_, second) = block_on(approval(&db, &actor, &pending, &edited, "bb22", 200)).unwrap();
        block_on(db.batch(&first)).unwrap();
        block_on(db.batch(&second)).unwrap();
        let loser = block_on(decided(&db, id, "bb22", |_| Decision::Rejected)).unwrap();
        assert_eq!(
            loser,
            Decision::AlreadyDecided {
                status: "approved".into()
            }
        );
        assert_eq!(count(&db, "SELECT count(*) FROM businesses"), 1);
        assert_eq!(count(&db, "SELECT count(*) FROM audit_log"), 1);
    }

    #[test]
    fn rejecting_needs_a_reason_and_keeps_it() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let actor = moderator(&db);
        let id = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        assert!(block_on(reject(&db, &actor, id, "  ", "aa11", 200)).is_err());
        assert_eq!(
            block_on(reject(&db, &actor, id, "Not in our area", "aa11", 200)).unwrap(),
            Decision::Rejected
        );
        let approved = block_on(approve(
            &db,
            &actor,
            id,
            &input().parse().unwrap(),
            "bb22",
            201,
        ))
        .unwrap();
        assert_eq!(
            approved,
            Decision::AlreadyDecided {
                status: "rejected".into()
            }
        );
        assert_eq!(count(&db, "SELECT count(*) FROM businesses"), 0);
    }

    #[test]
    fn similar_listings_match_by_phone_or_by_name_in_the_same_town() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let actor = moderator(&db);
        let first = block_on(create(&db, &input().parse().unwrap(), "client", 100)).unwrap();
        block_on(approve(
            &db,
            &actor,
            first,
            &input().parse().unwrap(),
            "aa11",
            200,
        ))
        .unwrap();
        let mut twin = input();
        twin.email = Some("other@example.com".into());
        let second = block_on(create(&db, &twin.parse().unwrap(), "client", 300)).unwrap();
        let stored = block_on(find(&db, second)).unwrap().unwrap();
        let similar = block_on(similar(&db, &stored)).unwrap();
        assert_eq!(similar.len(), 1, "{similar:?}");
        assert_eq!(similar[0].name, "Talihina Tire & Lube");
        assert_eq!(similar[0].matched, "phone name");
    }

    #[test]
    fn a_listing_added_from_a_dashboard_is_the_submitters_once_approved() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let actor = moderator(&db);
        let owner = crate::accounts::tests::signed_in(&db, "olive", "olive@example.test");
        let id = block_on(create_by(
            &db,
            owner.user_id,
            &input().parse().unwrap(),
            100,
        ))
        .unwrap();
        assert_eq!(block_on(of_user(&db, owner.user_id)).unwrap()[0].id, id);
        let decision = block_on(approve(
            &db,
            &actor,
            id,
            &input().parse().unwrap(),
            "t1",
            200,
        ));
        let Decision::Approved { business_id, .. } = decision.unwrap() else {
            panic!("not approved")
        };
        assert!(block_on(crate::claims::owns(&db, owner.user_id, business_id)).unwrap());
        assert!(block_on(of_user(&db, owner.user_id)).unwrap().is_empty());
        let roles = "SELECT count(*) FROM user_roles WHERE role = 'owner'";
        assert_eq!(count(&db, roles), 1);
    }

    #[test]
    fn one_person_may_have_five_listings_waiting() {
        let db = SqliteDatabase::in_memory().unwrap();
        some_category(&db, "auto");
        let owner = crate::accounts::tests::signed_in(&db, "olive", "olive@example.test");
        for n in 0..MOST_PENDING_PER_PERSON {
            let mut each = input();
            each.business_name = Some(format!("Garage {n}"));
            block_on(create_by(&db, owner.user_id, &each.parse().unwrap(), 100)).unwrap();
        }
        let sixth = block_on(create_by(
            &db,
            owner.user_id,
            &input().parse().unwrap(),
            100,
        ));
        assert!(matches!(sixth, Err(DomainError::Invalid(_))));
    }
}
