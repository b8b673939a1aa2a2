//! A listing's edit history: every change of its public fields — by an owner, an admin or one
//! of our workers, through the dashboard, the console, the assistant or the analyzer — kept
//! with the whole state before and after, written in the same batch as the change
//! ([`crate::listings::update`]); and undo, which puts the state before the latest edit back
//! as a new edit, exactly once however often it is asked for.

use crate::accounts::Actor;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::hours;
use crate::listings::{self, Listing};
use crate::{Page, Paged};
use serde::Deserialize;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorKind {
    Owner,
    Admin,
    Worker,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Worker => "worker",
        }
    }
}

/// Through what a change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Means {
    Dashboard,
    Console,
    Assistant,
    Analyzer,
}

impl Means {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dashboard => "dashboard",
            Self::Console => "console",
            Self::Assistant => "assistant",
            Self::Analyzer => "analyzer",
        }
    }
}

/// The author of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub kind: AuthorKind,
    pub user_id: Option<i64>,
    /// The person's email, or the worker's name.
    pub label: String,
    pub means: Means,
}

impl Author {
    pub fn owner(actor: &Actor, means: Means) -> Self {
        Self::person(AuthorKind::Owner, actor, means)
    }

    pub fn admin(actor: &Actor, means: Means) -> Self {
        Self::person(AuthorKind::Admin, actor, means)
    }

    fn person(kind: AuthorKind, actor: &Actor, means: Means) -> Self {
        Self {
            kind,
            user_id: Some(actor.user_id),
            label: actor.email.clone(),
            means,
        }
    }

    /// One of our workers (the analyzer applying a sure suggestion).
    pub fn worker(name: &str, means: Means) -> Self {
        Self {
            kind: AuthorKind::Worker,
            user_id: None,
            label: name.to_owned(),
            means,
        }
    }

    /// The admin behind this edit, for the audit log.
    pub(crate) fn admin_actor(&self) -> Option<Actor> {
        match (self.kind, self.user_id) {
            (AuthorKind::Admin, Some(user_id)) => Some(Actor {
                user_id,
                email: self.label.clone(),
            }),
            _ => None,
        }
    }
}

/// The statement recording one edit; batched with the change.
pub(crate) fn entry(
    author: &Author,
    business_id: i64,
    before_json: &str,
    after_json: &str,
    undoes: Option<i64>,
    now: i64,
) -> Statement {
    Statement::new(
        "INSERT INTO listing_edits (business_id, author_kind, author_id, author_label, means, before_json,
             after_json, undoes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(business_id)
    .bind(author.kind.as_str())
    .bind(author.user_id)
    .bind(author.label.as_str())
    .bind(author.means.as_str())
    .bind(before_json)
    .bind(after_json)
    .bind(undoes)
    .bind(now)
}

/// One field an edit changed, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// One edit in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub id: i64,
    pub author_kind: String,
    pub author_label: String,
    pub means: String,
    pub created_at: i64,
    pub undone_at: Option<i64>,
    pub undoes: Option<i64>,
    pub changes: Vec<FieldChange>,
    /// The newest edit of the listing: the one undo takes back.
    pub is_latest: bool,
}

impl Edit {
    /// Who, as an owner reads it: the team's people are not named to owners.
    pub fn author(&self) -> &str {
        match self.author_kind.as_str() {
            "admin" => "Kiamichi Biz Connect team",
            _ => &self.author_label,
        }
    }
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    author_kind: String,
    author_label: String,
    means: String,
    before_json: String,
    after_json: String,
    undoes: Option<i64>,
    undone_at: Option<i64>,
    created_at: i64,
    latest: i64,
}

fn listing(json: &str) -> DbResult<Listing> {
    serde_json::from_str(json).map_err(|e| crate::db::DbError(format!("edit json: {e}")))
}

/// A listing's edits, newest first.
pub async fn history(db: &impl Database, business_id: i64, page: Page) -> DbResult<Paged<Edit>> {
    let rows: Vec<Row> = fetch_all(
        db,
        &Statement::new(
            "SELECT id, author_kind, author_label, means, before_json, after_json, undoes, undone_at, created_at,
                    id = (SELECT max(id) FROM listing_edits WHERE business_id = ?1) AS latest
               FROM listing_edits WHERE business_id = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(business_id)
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM listing_edits WHERE business_id = ?1")
            .bind(business_id),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            Ok(Edit {
                changes: changes(&listing(&row.before_json)?, &listing(&row.after_json)?),
                id: row.id,
                author_kind: row.author_kind,
                author_label: row.author_label,
                means: row.means,
                created_at: row.created_at,
                undone_at: row.undone_at,
                undoes: row.undoes,
                is_latest: row.latest == 1,
            })
        })
        .collect::<DbResult<_>>()?;
    Ok(Paged { items, total, page })
}

/// What differs between two states of a listing, field by field.
pub fn changes(before: &Listing, after: &Listing) -> Vec<FieldChange> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let social = |l: &Listing| {
        l.social
            .iter()
            .map(|(network, url)| format!("{network}: {url}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let location = |l: &Listing| match (l.latitude, l.longitude) {
        (Some(latitude), Some(longitude)) => format!("{latitude},{longitude}"),
        _ => String::new(),
    };
    let week = |l: &Listing| {
        (0..7)
            .map(|day| {
                let typed = hours::format_day(&l.hours, day);
                format!(
                    "{} {}",
                    hours::day_name(day),
                    if typed.is_empty() {
                        "closed".into()
                    } else {
                        typed
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let special = |l: &Listing| {
        l.special_days
            .iter()
            .map(|s| format!("{} {}", s.day, s.hours_text()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let radius = |l: &Listing| {
        l.service_radius_km
            .map(|km| format!("{km} km"))
            .unwrap_or_default()
    };
    let fields: [(&'static str, String, String); 17] = [
        ("Name", before.name.clone(), after.name.clone()),
        ("Category", before.category.clone(), after.category.clone()),
        (
            "Description",
            before.description.clone(),
            after.description.clone(),
        ),
        ("Phone", text(&before.phone), text(&after.phone)),
        ("Email", text(&before.email), text(&after.email)),
        ("Website", text(&before.website), text(&after.website)),
        ("Street", before.street.clone(), after.street.clone()),
        ("Town", before.city.clone(), after.city.clone()),
        ("State", before.state.clone(), after.state.clone()),
        ("ZIP code", before.zip.clone(), after.zip.clone()),
        ("Keywords", before.keywords.clone(), after.keywords.clone()),
        ("Towns served", before.towns.clone(), after.towns.clone()),
        ("Service radius", radius(before), radius(after)),
        ("Social links", social(before), social(after)),
        ("Map location", location(before), location(after)),
        ("Weekly hours", week(before), week(after)),
        ("Special days", special(before), special(after)),
    ];
    fields
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect()
}

/// What asking to undo an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undone {
    Undone,
    /// Already undone (a double click, another tab), or no longer the latest edit.
    NotPossible,
}

/// Takes back the latest edit `edit_id` of `business_id`: its state before comes back as a
/// new edit by `author`. The edit is marked undone first, by one conditional statement, so
/// of two racing undos only one changes anything; and only while the listing is still as
/// that edit left it, so a change saved meanwhile is never lost.
pub async fn undo(
    db: &impl Database,
    author: &Author,
    business_id: i64,
    edit_id: i64,
    now: i64,
) -> DomainResult<Undone> {
    #[derive(Deserialize)]
    struct Claimed {
        before_json: String,
        after_json: String,
    }
    let claimed: Option<Claimed> = fetch_optional(
        db,
        &Statement::new(
            "UPDATE listing_edits SET undone_at = ?3
              WHERE id = ?1 AND business_id = ?2 AND undone_at IS NULL
                AND id = (SELECT max(id) FROM listing_edits WHERE business_id = ?2)
             RETURNING before_json, after_json",
        )
        .bind(edit_id)
        .bind(business_id)
        .bind(now),
    )
    .await?;
    let Some(claimed) = claimed else {
        let exists = fetch_integer(
            db,
            &Statement::new(
                "SELECT count(*) FROM listing_edits WHERE id = ?1 AND business_id = ?2",
            )
            .bind(edit_id)
            .bind(business_id),
        )
        .await?;
        return match exists {
            0 => Err(DomainError::NotFound("edit".into())),
            _ => Ok(Undone::NotPossible),
        };
    };
    let restored = async {
        let before = listing(&claimed.before_json)?;
        let current = listings::find(db, business_id)
            .await?
            .ok_or_else(|| DomainError::NotFound("business".into()))?;
        // Its fields changed since (an edit saved between the claim and here): undoing would
        // lose that. (Visibility and featuring are not the edit's, so they may differ.)
        if current.as_input() != listing(&claimed.after_json)?.as_input() {
            return Ok(Undone::NotPossible);
        }
        let edit = before.as_input().parse().map_err(DomainError::Invalid)?;
        listings::save(db, author, &current, &edit, Some(edit_id), now)
            .await
            .map(|()| Undone::Undone)
    }
    .await;
    if !matches!(restored, Ok(Undone::Undone)) {
        // Nothing changed, so the edit can still be undone later.
        db.execute(
            &Statement::new(
                "UPDATE listing_edits SET undone_at = NULL WHERE id = ?1 AND business_id = ?2",
            )
            .bind(edit_id)
            .bind(business_id),
        )
        .await?;
    }
    restored
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::hours::SpecialDay;
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    fn owner(db: &SqliteDatabase) -> Author {
        let actor = crate::accounts::tests::signed_in(db, "olive", "olive@example.test");
        Author::owner(&actor, Means::Dashboard)
    }

    fn input_of(db: &SqliteDatabase, id: i64) -> crate::listings::ListingInput {
        block_on(listings::find(db, id))
            .unwrap()
            .unwrap()
            .as_input()
    }

    fn renamed(db: &SqliteDatabase, id: i64, name: &str) -> crate::listings::ListingEdit {
        let mut input = input_of(db, id);
        input.name = name.into();
        input.parse().unwrap()
    }

    #[test]
    fn an_edit_is_kept_with_its_author_and_the_fields_it_changed() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("Old Name", some_category(&db, "food")));
        let author = owner(&db);
        let edit = renamed(&db, created.id, "New Name");
        block_on(listings::update(&db, &author, created.id, &edit, NOW)).unwrap();
        let history = block_on(history(&db, created.id, Page::first(10))).unwrap();
        assert_eq!(history.total, 1);
        let entry = &history.items[0];
        assert_eq!(entry.author(), "olive@example.test");
        assert_eq!(entry.means, "dashboard");
        assert!(entry.is_latest);
        assert_eq!(
            entry.changes,
            [FieldChange {
                field: "Name",
                before: "Old Name".into(),
                after: "New Name".into()
            }]
        );
    }

    #[test]
    fn the_history_holds_exactly_what_the_listing_reads_back() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("Full Cafe", some_category(&db, "food")));
        let mut input = input_of(&db, created.id);
        input.keywords = "tea, Coffee, apple pie".into();
        input.towns = "Hugo, Antlers".into();
        input.hours[1] = "13:00-17:00, 8:00-12:00".into();
        input.special_days = vec![SpecialDay::parse("2026-12-25", "closed", "Christmas").unwrap()];
        let edit = input.parse().unwrap();
        block_on(listings::update(&db, &owner(&db), created.id, &edit, NOW)).unwrap();
        let stored = block_on(listings::find(&db, created.id)).unwrap().unwrap();
        let row: String = block_on(crate::db::fetch_optional::<Json>(
            &db,
            &Statement::new("SELECT after_json AS json FROM listing_edits"),
        ))
        .unwrap()
        .unwrap()
        .json;
        assert_eq!(super::listing(&row).unwrap(), stored);
    }

    #[derive(Deserialize)]
    struct Json {
        json: String,
    }

    #[test]
    fn undo_puts_the_state_before_back_once_and_is_recorded() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("First Name", some_category(&db, "food")));
        let author = owner(&db);
        let edit = renamed(&db, created.id, "Second Name");
        block_on(listings::update(&db, &author, created.id, &edit, NOW)).unwrap();
        let latest = block_on(history(&db, created.id, Page::first(10)))
            .unwrap()
            .items[0]
            .id;
        let first = block_on(undo(&db, &author, created.id, latest, NOW + 5)).unwrap();
        let again = block_on(undo(&db, &author, created.id, latest, NOW + 6)).unwrap();
        assert_eq!((first, again), (Undone::Undone, Undone::NotPossible));
        let listing = block_on(listings::find(&db, created.id)).unwrap().unwrap();
        assert_eq!(listing.name, "First Name");
        let history = block_on(history(&db, created.id, Page::first(10))).unwrap();
        assert_eq!(
            history.total, 2,
            "the undo is an edit of its own, made once"
        );
        assert_eq!(history.items[0].undoes, Some(latest));
        assert_eq!(history.items[1].undone_at, Some(NOW + 5));
    }

    #[test]
    fn only_the_latest_edit_can_be_undone() {
        let db = SqliteDatabase::in_memory().unwrap();
        let created = insert(&db, &business("One", some_category(&db, "food")));
        let author = owner(&db);
        for name in ["Two", "Three"] {
            let edit = renamed(&db, created.id, name);
            block_on(listings::update(&db, &author, created.id, &edit, NOW)).unwrap();
        }
        let items = block_on(history(&db, created.id, Page::first(10)))
            .unwrap()
            .items;
        assert!(items[0].is_latest && !items[1].is_latest);
        assert_eq!(
            block_on(undo(&db, &author, created.id, items[1].id, NOW)).unwrap(),
            Undone::NotPossible
        );
        let listing = block_on(listings::find(&db, created.id)).unwrap().unwrap();
        assert_eq!(listing.name, "Three");
    }

    #[test]
    fn a_neighbours_edit_cannot_be_undone_through_another_listing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "food");
        let mine = insert(&db, &business("Mine", category));
        let theirs = insert(&db, &business("Theirs", category));
        let author = owner(&db);
        let edit = renamed(&db, theirs.id, "Theirs Renamed");
        block_on(listings::update(&db, &author, theirs.id, &edit, NOW)).unwrap();
        let their_edit = block_on(history(&db, theirs.id, Page::first(1)))
            .unwrap()
            .items[0]
            .id;
        let result = block_on(undo(&db, &author, mine.id, their_edit, NOW));
        assert!(matches!(result, Err(DomainError::NotFound(_))));
        let theirs = block_on(listings::find(&db, theirs.id)).unwrap().unwrap();
        assert_eq!(theirs.name, "Theirs Renamed");
    }
}
