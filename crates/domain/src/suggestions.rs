//! Suggested values for a listing's fields, waiting for review by its owner or an admin: the
//! field is one of a closed set (never a name taken from data), the value already parsed by
//! the listing's own rules. Accepting one saves it through [`crate::listings::update`], so it
//! lands in the edit history and can be undone; a rejected value is kept as rejected.

use crate::FieldError;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_optional};
use crate::directory::SocialNetwork;
use crate::edits::Author;
use crate::error::{DomainError, DomainResult};
use crate::listings::{self, ListingInput};
use serde::{Deserialize, Serialize};

/// The fields a suggestion may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Description,
    Phone,
    Email,
    Website,
    Street,
    City,
    State,
    Zip,
    /// The map location, `LAT,LON`.
    Location,
    /// The week's opening hours, written as [`week_text`] writes them.
    Hours,
    Social(SocialNetwork),
}

/// Weekday abbreviations in the order [`week_text`] writes them (Monday first), with their
/// day numbers (0 = Sunday).
const WEEK: [(&str, usize); 7] = [
    ("Mon", 1),
    ("Tue", 2),
    ("Wed", 3),
    ("Thu", 4),
    ("Fri", 5),
    ("Sat", 6),
    ("Sun", 0),
];

/// A week's hours (0 = Sunday) as one line: `Mon 8:00-17:00; …; Sun closed`; empty when no
/// day has hours.
pub fn week_text(days: &[String; 7]) -> String {
    if days
        .iter()
        .all(|d| d.trim().is_empty() || d.trim().eq_ignore_ascii_case("closed"))
    {
        return String::new();
    }
    WEEK.iter()
        .map(|(name, day)| match days.get(*day).map(|d| d.trim()) {
            Some(text) if !text.is_empty() => format!("{name} {text}"),
            _ => format!("{name} closed"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The week [`week_text`] wrote, each day's text still to be checked by the listing's rules.
fn parse_week(text: &str) -> Result<[String; 7], FieldError> {
    let mut days: [String; 7] = Default::default();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, spans) = part.split_once(' ').unwrap_or((part, ""));
        let day = WEEK
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, day)| *day)
            .ok_or_else(|| FieldError::new("hours", "must name each day as Mon, Tue, … Sun"))?;
        let spans = spans.trim();
        if let Some(slot) = days.get_mut(day) {
            *slot = if spans.eq_ignore_ascii_case("closed") {
                String::new()
            } else {
                spans.to_owned()
            };
        }
    }
    Ok(days)
}

impl Field {
    pub const ALL: [Field; 18] = [
        Self::Description,
        Self::Phone,
        Self::Email,
        Self::Website,
        Self::Street,
        Self::City,
        Self::State,
        Self::Zip,
        Self::Location,
        Self::Hours,
        Self::Social(SocialNetwork::Facebook),
        Self::Social(SocialNetwork::Instagram),
        Self::Social(SocialNetwork::X),
        Self::Social(SocialNetwork::Youtube),
        Self::Social(SocialNetwork::Tiktok),
        Self::Social(SocialNetwork::Linkedin),
        Self::Social(SocialNetwork::Yelp),
        Self::Social(SocialNetwork::Google),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Description => "description",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Website => "website",
            Self::Street => "street",
            Self::City => "city",
            Self::State => "state",
            Self::Zip => "zip",
            Self::Location => "location",
            Self::Hours => "hours",
            Self::Social(network) => network.as_str(),
        }
    }

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Description => "Description",
            Self::Phone => "Phone",
            Self::Email => "Email",
            Self::Website => "Website",
            Self::Street => "Street address",
            Self::City => "City",
            Self::State => "State",
            Self::Zip => "ZIP code",
            Self::Location => "Map location",
            Self::Hours => "Opening hours",
            Self::Social(network) => network.label(),
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw)
    }

    /// `value` put into this field of `input` (hours are read as [`week_text`] writes them).
    pub fn apply(self, input: &mut ListingInput, value: &str) -> Result<(), FieldError> {
        let value = value.to_owned();
        match self {
            Self::Description => input.description = value,
            Self::Phone => input.phone = value,
            Self::Email => input.email = value,
            Self::Website => input.website = value,
            Self::Street => input.street = value,
            Self::City => input.city = value,
            Self::State => input.state = value,
            Self::Zip => input.zip = value,
            Self::Location => input.location = value,
            Self::Hours => input.hours = parse_week(&value)?,
            Self::Social(network) => input.set_social(network, value),
        }
        Ok(())
    }

    /// This field's value in `input`, as a suggestion shows it.
    pub fn value_in(self, input: &ListingInput) -> String {
        match self {
            Self::Description => input.description.clone(),
            Self::Phone => input.phone.clone(),
            Self::Email => input.email.clone(),
            Self::Website => input.website.clone(),
            Self::Street => input.street.clone(),
            Self::City => input.city.clone(),
            Self::State => input.state.clone(),
            Self::Zip => input.zip.clone(),
            Self::Location => input.location.clone(),
            Self::Hours => week_text(&input.hours),
            Self::Social(network) => input
                .social
                .iter()
                .find(|(n, _)| *n == network)
                .map(|(_, url)| url.clone())
                .unwrap_or_default(),
        }
    }
}

/// One suggestion as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: i64,
    pub field: String,
    pub current_value: String,
    pub suggested_value: String,
    pub confidence: f64,
    pub source_url: String,
    pub evidence: String,
    pub status: String,
    /// What was saved instead, when the reviewer edited the value before accepting it.
    #[serde(default)]
    pub accepted_value: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, field, current_value, suggested_value, confidence, source_url, evidence, status,
    accepted_value, created_at";

/// What waits for review for `business_id`, oldest first.
pub async fn pending(db: &impl Database, business_id: i64) -> DbResult<Vec<Suggestion>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {COLUMNS} FROM field_suggestions WHERE business_id = ?1 AND status = 'pending'
              ORDER BY id LIMIT 50"
        ))
        .bind(business_id),
    )
    .await
}

/// Suggestion `id` of `business_id`, whatever its state.
pub async fn find(db: &impl Database, business_id: i64, id: i64) -> DbResult<Option<Suggestion>> {
    fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {COLUMNS} FROM field_suggestions WHERE id = ?1 AND business_id = ?2"
        ))
        .bind(id)
        .bind(business_id),
    )
    .await
}

/// What is new about a suggestion.
pub struct NewSuggestion<'a> {
    pub field: Field,
    pub value: &'a str,
    pub confidence: f64,
    pub source_url: &'a str,
    pub evidence: &'a str,
}

/// Records a suggestion when its value passes the listing's rules for that field; a value
/// suggested before for the same field is not suggested again (`None`), whatever became of
/// it: rejected, edited to something else, or applied and then undone by the owner.
pub async fn propose(
    db: &impl Database,
    business_id: i64,
    new: &NewSuggestion<'_>,
    now: i64,
) -> DomainResult<Option<i64>> {
    let listing = listings::find(db, business_id)
        .await?
        .ok_or_else(|| DomainError::NotFound("business".into()))?;
    let mut input = listing.as_input();
    let current = new.field.value_in(&input);
    new.field
        .apply(&mut input, new.value)
        .map_err(|e| DomainError::Invalid(vec![e]))?;
    let edit = input.parse().map_err(DomainError::Invalid)?;
    // Stored as the listing would keep it (a phone number in its one written form).
    let suggested = new.field.value_in(&listing.edited(&edit).as_input());
    // What the listing already says (or would clear it) is nothing to suggest.
    if suggested.is_empty() || suggested == new.field.value_in(&listing.as_input()) {
        return Ok(None);
    }
    let evidence: String = new.evidence.chars().take(1000).collect();
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let created: Option<Id> = fetch_optional(
        db,
        &Statement::new(
            "INSERT INTO field_suggestions
                 (business_id, field, current_value, suggested_value, confidence, source_url, evidence, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
              WHERE NOT EXISTS (SELECT 1 FROM field_suggestions WHERE business_id = ?1 AND field = ?2
                                   AND suggested_value = ?4)
             RETURNING id",
        )
        .bind(business_id)
        .bind(new.field.as_str())
        .bind(current)
        .bind(suggested)
        .bind(new.confidence.clamp(0.0, 1.0))
        .bind(new.source_url)
        .bind(evidence)
        .bind(now),
    )
    .await?;
    Ok(created.map(|c| c.id))
}

/// What deciding a suggestion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    Done,
    /// Decided already (a double click, another tab, another reviewer).
    AlreadyDecided,
}

/// Accepts suggestion `id` of `business_id`: claimed by one conditional statement (of two
/// racing accepts one saves), then saved as an edit by `author`; if the save is refused the
/// suggestion waits again.
pub async fn accept(
    db: &impl Database,
    author: &Author,
    business_id: i64,
    id: i64,
    now: i64,
) -> DomainResult<Decided> {
    decide_accept(db, author, business_id, id, None, now).await
}

/// Accepts suggestion `id` with the value its reviewer edited it to (checked by the field's
/// rules like any edit; a refused value leaves the suggestion pending).
pub async fn accept_edited(
    db: &impl Database,
    author: &Author,
    business_id: i64,
    id: i64,
    value: &str,
    now: i64,
) -> DomainResult<Decided> {
    // Accepting nothing would clear the field: that is an edit of the listing, not of this.
    if value.trim().is_empty() {
        return match find(db, business_id, id).await? {
            None => Err(DomainError::NotFound("suggestion".into())),
            Some(found) if found.status != "pending" => Ok(Decided::AlreadyDecided),
            Some(_) => Err(DomainError::invalid("value", "type a value, or reject it")),
        };
    }
    decide_accept(db, author, business_id, id, Some(value), now).await
}

async fn decide_accept(
    db: &impl Database,
    author: &Author,
    business_id: i64,
    id: i64,
    edited: Option<&str>,
    now: i64,
) -> DomainResult<Decided> {
    let automatic = author.kind == crate::edits::AuthorKind::Worker;
    let claimed: Option<Suggestion> = fetch_optional(
        db,
        &Statement::new(format!(
            "UPDATE field_suggestions SET status = 'accepted', decided_at = ?3, auto_applied = ?4
              WHERE id = ?1 AND business_id = ?2 AND status = 'pending' RETURNING {COLUMNS}"
        ))
        .bind(id)
        .bind(business_id)
        .bind(now)
        .bind(i64::from(automatic)),
    )
    .await?;
    let Some(claimed) = claimed else {
        return match find(db, business_id, id).await? {
            Some(_) => Ok(Decided::AlreadyDecided),
            None => Err(DomainError::NotFound("suggestion".into())),
        };
    };
    let value = edited.unwrap_or(&claimed.suggested_value);
    let saved = async {
        let field = Field::parse(&claimed.field)
            .ok_or_else(|| DomainError::invalid("field", "is not a field suggestions may name"))?;
        let listing = listings::find(db, business_id)
            .await?
            .ok_or_else(|| DomainError::NotFound("business".into()))?;
        let mut input = listing.as_input();
        field
            .apply(&mut input, value)
            .map_err(|e| DomainError::Invalid(vec![e]))?;
        let edit = input.parse().map_err(DomainError::Invalid)?;
        let saved_value = field.value_in(&listing.edited(&edit).as_input());
        listings::update(db, author, business_id, &edit, now).await?;
        Ok::<_, DomainError>(saved_value)
    }
    .await;
    match saved {
        Ok(saved_value) => {
            if saved_value != claimed.suggested_value {
                // Edited before acceptance: the record keeps what was suggested (so it is not
                // suggested again) and says what was saved.
                db.execute(
                    &Statement::new(
                        "UPDATE field_suggestions SET accepted_value = ?3 WHERE id = ?1 AND business_id = ?2",
                    )
                    .bind(id)
                    .bind(business_id)
                    .bind(saved_value),
                )
                .await?;
            }
            Ok(Decided::Done)
        }
        Err(err) => {
            db.execute(
                &Statement::new(
                    "UPDATE field_suggestions SET status = 'pending', decided_at = NULL, auto_applied = 0
                      WHERE id = ?1 AND business_id = ?2",
                )
                .bind(id)
                .bind(business_id),
            )
            .await?;
            Err(err)
        }
    }
}

/// How many suggestions the analyzer applied itself to `business_id` since `since`.
pub async fn applied_automatically_since(
    db: &impl Database,
    business_id: i64,
    since: i64,
) -> DbResult<i64> {
    crate::db::fetch_integer(
        db,
        &Statement::new(
            "SELECT count(*) FROM field_suggestions
              WHERE business_id = ?1 AND auto_applied = 1 AND decided_at >= ?2",
        )
        .bind(business_id)
        .bind(since),
    )
    .await
}

/// A pending suggestion with the listing it is for, for the console's review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForReview {
    pub business_id: i64,
    pub business_name: String,
    pub business_slug: String,
    #[serde(flatten)]
    pub suggestion: Suggestion,
}

/// Every listing's pending suggestions, oldest first, one page at a time.
pub async fn pending_page(
    db: &impl Database,
    page: crate::Page,
) -> DbResult<crate::Paged<ForReview>> {
    let items = fetch_all(
        db,
        &Statement::new(
            "SELECT s.id, s.field, s.current_value, s.suggested_value, s.confidence, s.source_url, s.evidence,
                    s.status, s.accepted_value, s.created_at,
                    b.id AS business_id, b.name AS business_name, b.slug AS business_slug
               FROM field_suggestions s JOIN businesses b ON b.id = s.business_id
              WHERE s.status = 'pending' ORDER BY s.id LIMIT ?1 OFFSET ?2",
        )
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = crate::db::fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM field_suggestions WHERE status = 'pending'"),
    )
    .await?;
    Ok(crate::Paged { items, total, page })
}

/// Rejects suggestion `id` of `business_id`; the same value is not suggested again.
pub async fn reject(
    db: &impl Database,
    business_id: i64,
    id: i64,
    now: i64,
) -> DomainResult<Decided> {
    let claimed: Option<serde::de::IgnoredAny> = fetch_optional(
        db,
        &Statement::new(
            "UPDATE field_suggestions SET status = 'rejected', decided_at = ?3
              WHERE id = ?1 AND business_id = ?2 AND status = 'pending' RETURNING id",
        )
        .bind(id)
        .bind(business_id)
        .bind(now),
    )
    .await?;
    match (claimed, find(db, business_id, id).await?) {
        (Some(_), _) => Ok(Decided::Done),
        (None, Some(_)) => Ok(Decided::AlreadyDecided),
        (None, None) => Err(DomainError::NotFound("suggestion".into())),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::edits::Means;
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    pub(crate) fn suggest(db: &SqliteDatabase, business_id: i64, field: Field, value: &str) -> i64 {
        let new = NewSuggestion {
            field,
            value,
            confidence: 0.8,
            source_url: "https://example.test/",
            evidence: "Call us at (580) 555-0199",
        };
        block_on(propose(db, business_id, &new, NOW))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn accepting_saves_the_value_as_an_edit_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("Hugo Feed", some_category(&db, "food")));
        let id = suggest(&db, created.id, Field::Phone, "(580) 555-0199");
        let actor = crate::accounts::tests::signed_in(&db, "olive", "olive@example.test");
        let author = Author::owner(&actor, Means::Assistant);
        let first = block_on(accept(&db, &author, created.id, id, NOW)).unwrap();
        let second = block_on(accept(&db, &author, created.id, id, NOW)).unwrap();
        assert_eq!((first, second), (Decided::Done, Decided::AlreadyDecided));
        let listing = block_on(listings::find(&db, created.id)).unwrap().unwrap();
        assert_eq!(listing.phone.as_deref(), Some("+15805550199"));
        let history = block_on(crate::edits::history(
            &db,
            created.id,
            crate::Page::first(10),
        ))
        .unwrap();
        assert_eq!(history.total, 1);
        assert_eq!(history.items[0].means, "assistant");
    }

    #[test]
    fn a_rejected_value_is_not_suggested_again_and_bad_values_never_are() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("Hugo Feed", some_category(&db, "food")));
        let id = suggest(&db, created.id, Field::Website, "https://hugofeed.example/");
        assert_eq!(
            block_on(reject(&db, created.id, id, NOW)).unwrap(),
            Decided::Done
        );
        let again = NewSuggestion {
            field: Field::Website,
            value: "https://hugofeed.example/",
            confidence: 0.9,
            source_url: "",
            evidence: "",
        };
        assert_eq!(
            block_on(propose(&db, created.id, &again, NOW)).unwrap(),
            None
        );
        let bad = NewSuggestion {
            field: Field::Email,
            value: "not an email",
            ..again
        };
        assert!(matches!(
            block_on(propose(&db, created.id, &bad, NOW)),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn an_edited_value_is_checked_saved_and_recorded_and_an_empty_one_refused() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("Hugo Feed", some_category(&db, "food")));
        let id = suggest(&db, created.id, Field::Phone, "(580) 555-0199");
        let actor = crate::accounts::tests::signed_in(&db, "olive", "olive@example.test");
        let author = Author::owner(&actor, Means::Dashboard);
        assert!(matches!(
            block_on(accept_edited(&db, &author, created.id, id, "  ", NOW)),
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            block_on(accept_edited(
                &db,
                &author,
                created.id,
                id,
                "not a phone",
                NOW
            )),
            Err(DomainError::Invalid(_))
        ));
        let done = block_on(accept_edited(
            &db,
            &author,
            created.id,
            id,
            "580-555-0100",
            NOW,
        ))
        .unwrap();
        assert_eq!(done, Decided::Done);
        let listing = block_on(listings::find(&db, created.id)).unwrap().unwrap();
        assert_eq!(listing.phone.as_deref(), Some("+15805550100"));
        let saved = block_on(find(&db, created.id, id)).unwrap().unwrap();
        assert_eq!(saved.status, "accepted");
        assert_eq!(saved.suggested_value, "+15805550199");
        assert_eq!(saved.accepted_value.as_deref(), Some("+15805550100"));
    }

    #[test]
    fn the_value_the_listing_already_has_is_not_suggested() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("Hugo Feed", some_category(&db, "food")));
        let same = NewSuggestion {
            field: Field::City,
            value: "Idabel",
            confidence: 0.97,
            source_url: "",
            evidence: "",
        };
        assert_eq!(
            block_on(propose(&db, created.id, &same, NOW)).unwrap(),
            None
        );
        assert!(block_on(pending(&db, created.id)).unwrap().is_empty());
    }

    #[test]
    fn a_suggestion_of_another_business_is_not_found() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let mine = insert(&db, &business("Mine", food));
        let theirs = insert(&db, &business("Theirs", food));
        let id = suggest(&db, theirs.id, Field::Zip, "74743");
        assert!(matches!(
            block_on(reject(&db, mine.id, id, NOW)),
            Err(DomainError::NotFound(_))
        ));
        assert_eq!(block_on(pending(&db, theirs.id)).unwrap().len(), 1);
    }
}
