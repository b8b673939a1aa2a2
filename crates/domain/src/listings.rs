//! Listings as admins manage them: every listing whatever its state, searched and filtered;
//! editing every public field under the same rules as the public form; suspending and
//! reactivating; featuring in a slot (an admin's lock); setting the plan; removing (soft:
//! hidden, kept) and, for a removal request, erasing the listing with its leads and the
//! personal data of its submission. Every change is one batch with its audit entry; an edit
//! of the fields is also one batch with its entry in the listing's edit history
//! ([`crate::edits`]).

use crate::accounts::Actor;
use crate::categories;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::directory::{OpeningHours, SocialNetwork, normalize_keywords};
use crate::edits::Author;
use crate::error::{DomainError, DomainResult};
use crate::hours::{MOST_SPECIAL_DAYS, SpecialDay};
use crate::values::{
    BusinessName, CityName, Collector, Email, GeoPoint, Paragraphs, Phone, Plan, Slug, StateCode,
    WebUrl, Zip, parse_bounded,
};
use crate::{FieldError, Page, Paged};
use serde::{Deserialize, Serialize};

/// Narrows the list; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of the name or town.
    pub q: String,
    /// `published`, `suspended`, `draft`, `removed` or empty.
    pub state: String,
}

/// One listing in the admins' list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Row {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub city: String,
    pub state: String,
    pub status: String,
    #[serde(deserialize_with = "crate::db::flag")]
    pub is_active: bool,
    #[serde(deserialize_with = "crate::db::flag")]
    pub is_featured: bool,
    pub category: String,
}

pub async fn list(db: &impl Database, filter: &Filter, page: Page) -> DbResult<Paged<Row>> {
    const WHERE: &str = "WHERE (?1 = '' OR b.name LIKE '%' || ?1 || '%' OR b.city LIKE '%' || ?1 || '%')
          AND (?2 = '' OR (?2 = 'removed' AND b.is_active = 0) OR (b.status = ?2 AND b.is_active = 1))";
    let bind = |s: Statement| s.bind(filter.q.trim()).bind(filter.state.trim());
    let items = fetch_all(
        db,
        &bind(Statement::new(format!(
            "SELECT b.id, b.slug, b.name, b.city, b.state, b.status, b.is_active, b.is_featured, c.name AS category
               FROM businesses b JOIN categories c ON c.id = b.category_id {WHERE}
              ORDER BY b.name COLLATE NOCASE, b.id LIMIT ?3 OFFSET ?4"
        )))
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &bind(Statement::new(format!(
            "SELECT count(*) FROM businesses b {WHERE}"
        ))),
    )
    .await?;
    Ok(Paged { items, total, page })
}

/// A listing's editable fields as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub status: String,
    #[serde(deserialize_with = "crate::db::flag")]
    pub is_active: bool,
    #[serde(deserialize_with = "crate::db::flag")]
    pub is_featured: bool,
    pub service_radius_km: Option<i64>,
    /// Comma-separated, as the form shows them.
    #[serde(default)]
    pub keywords: String,
    #[serde(default)]
    pub towns: String,
    #[serde(default)]
    pub social: Vec<(String, String)>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    #[serde(default)]
    pub hours: Vec<OpeningHours>,
    #[serde(default)]
    pub special_days: Vec<SpecialDay>,
}

pub async fn find(db: &impl Database, id: i64) -> DbResult<Option<Listing>> {
    let found: Option<Listing> = fetch_optional(
        db,
        &Statement::new(
            "SELECT b.id, b.slug, b.name, c.slug AS category, b.description, b.phone, b.email, b.website, b.street,
                    b.city, b.state, b.zip, b.status, b.is_active, b.is_featured, b.service_radius_km,
                    b.latitude, b.longitude,
                    coalesce((SELECT group_concat(keyword, ', ') FROM (SELECT keyword FROM business_keywords
                        WHERE business_id = b.id ORDER BY keyword)), '') AS keywords,
                    coalesce((SELECT group_concat(city, ', ') FROM (SELECT city FROM business_service_areas
                        WHERE business_id = b.id ORDER BY city)), '') AS towns
               FROM businesses b JOIN categories c ON c.id = b.category_id WHERE b.id = ?1",
        )
        .bind(id),
    )
    .await?;
    let Some(mut listing) = found else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct Link {
        network: String,
        url: String,
    }
    let links: Vec<Link> = fetch_all(
        db,
        &Statement::new("SELECT network, url FROM business_social_links WHERE business_id = ?1 ORDER BY network")
            .bind(id),
    )
    .await?;
    listing.social = links.into_iter().map(|l| (l.network, l.url)).collect();
    listing.hours = fetch_all(
        db,
        &Statement::new(
            "SELECT day_of_week AS day, opens_at, closes_at FROM business_hours WHERE business_id = ?1
              ORDER BY day_of_week, opens_at",
        )
        .bind(id),
    )
    .await?;
    #[derive(Deserialize)]
    struct Special {
        day: String,
        spans: String,
        note: String,
    }
    let special: Vec<Special> = fetch_all(
        db,
        &Statement::new(
            "SELECT day, spans, note FROM business_special_days WHERE business_id = ?1 ORDER BY day",
        )
        .bind(id),
    )
    .await?;
    listing.special_days = special
        .into_iter()
        .map(|s| {
            let spans = serde_json::from_str(&s.spans)
                .map_err(|e| crate::db::DbError(format!("special day spans: {e}")))?;
            Ok(SpecialDay {
                day: s.day,
                spans,
                note: s.note,
            })
        })
        .collect::<DbResult<_>>()?;
    Ok(Some(listing))
}

/// The public fields of a listing as typed into the admins' form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingInput {
    pub name: String,
    pub category: String,
    pub description: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// Comma-separated.
    pub keywords: String,
    /// Towns served, comma-separated.
    pub towns: String,
    pub service_radius_km: String,
    /// A URL (or nothing) per network.
    pub social: Vec<(SocialNetwork, String)>,
    /// `LAT,LON`, or empty.
    pub location: String,
    /// Each weekday's hours as typed (0 = Sunday), see [`crate::hours::parse_day`].
    pub hours: [String; 7],
    /// Dated exceptions, each already checked ([`SpecialDay::parse`]); added and removed
    /// one at a time, never typed into the main form.
    pub special_days: Vec<SpecialDay>,
}

/// An edit that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingEdit {
    pub name: BusinessName,
    pub category: Slug,
    pub description: Paragraphs,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub website: Option<WebUrl>,
    pub street: String,
    pub city: CityName,
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub keywords: Vec<String>,
    pub towns: Vec<CityName>,
    pub service_radius_km: Option<u32>,
    pub social: Vec<(SocialNetwork, WebUrl)>,
    pub location: Option<GeoPoint>,
    pub hours: Vec<OpeningHours>,
    pub special_days: Vec<SpecialDay>,
}

/// The most towns served or keywords a listing may have.
const MOST_ITEMS: usize = 30;

fn optional<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

impl ListingInput {
    /// Sets the URL (empty: none) of one social network.
    pub fn set_social(&mut self, network: SocialNetwork, url: String) {
        match self.social.iter_mut().find(|(n, _)| *n == network) {
            Some((_, current)) => *current = url,
            None => self.social.push((network, url)),
        }
    }

    /// Every field checked by the domain's own types; all problems at once, by field.
    pub fn parse(&self) -> Result<ListingEdit, Vec<FieldError>> {
        let mut c = Collector::default();
        let name = c.take(BusinessName::parse("name", &self.name));
        let category = c.take(Slug::parse("category", &self.category));
        let description = c.take(Paragraphs::parse("description", &self.description, 0, 5000));
        let phone = c.take(optional(&self.phone, |raw| Phone::parse("phone", raw)));
        let email = c.take(optional(&self.email, |raw| Email::parse("email", raw)));
        let website = c.take(optional(&self.website, |raw| WebUrl::parse("website", raw)));
        let street = self.street.trim().to_owned();
        if street.chars().count() > 200 {
            c.0.push(FieldError::new("street", "must be at most 200 characters"));
        }
        let city = c.take(CityName::parse("city", &self.city));
        let state = c.take(StateCode::parse("state", &self.state));
        let zip = c.take(optional(&self.zip, |raw| Zip::parse("zip", raw)));
        let items = |raw: &str| -> Vec<String> {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let keywords = normalize_keywords(&items(&self.keywords));
        if keywords.len() > MOST_ITEMS || keywords.iter().any(|k| k.chars().count() > 60) {
            c.0.push(FieldError::new(
                "keywords",
                "at most 30 keywords of at most 60 characters",
            ));
        }
        let towns: Vec<CityName> = items(&self.towns)
            .iter()
            .filter_map(|town| c.take(CityName::parse("towns", town)))
            .collect();
        if towns.len() > MOST_ITEMS {
            c.0.push(FieldError::new("towns", "at most 30 towns"));
        }
        let service_radius_km = c.take(optional(&self.service_radius_km, |raw| {
            parse_bounded("service_radius_km", raw, 0, 500)
        }));
        let social: Vec<(SocialNetwork, WebUrl)> = self
            .social
            .iter()
            .filter(|(_, raw)| !raw.trim().is_empty())
            .filter_map(|(network, raw)| {
                c.take(WebUrl::parse(&format!("social_{}", network.as_str()), raw))
                    .map(|url| (*network, url))
            })
            .collect();
        let location = c.take(optional(&self.location, |raw| {
            GeoPoint::parse("location", raw)
        }));
        if self.special_days.len() > MOST_SPECIAL_DAYS {
            c.0.push(FieldError::new(
                "special_day",
                "a listing keeps at most 60 dated exceptions; remove past ones first",
            ));
        }
        let mut special_days = self.special_days.clone();
        special_days.sort_by(|a, b| a.day.cmp(&b.day));
        special_days.dedup_by(|later, earlier| later.day == earlier.day);
        let mut hours = Vec::new();
        for (day, typed) in (0_u8..).zip(&self.hours) {
            if let Some(day_hours) =
                c.take(crate::hours::parse_day(&format!("hours_{day}"), day, typed))
            {
                hours.extend(day_hours);
            }
        }
        match (
            name,
            category,
            description,
            phone,
            email,
            website,
            city,
            state,
            zip,
            service_radius_km,
            location,
        ) {
            (
                Some(name),
                Some(category),
                Some(description),
                Some(phone),
                Some(email),
                Some(website),
                Some(city),
                Some(state),
                Some(zip),
                Some(service_radius_km),
                Some(location),
            ) if c.0.is_empty() => Ok(ListingEdit {
                name,
                category,
                description,
                phone,
                email,
                website,
                street,
                city,
                state,
                zip,
                keywords,
                towns,
                service_radius_km,
                social,
                location,
                hours,
                special_days,
            }),
            _ => Err(c.0),
        }
    }
}

impl Listing {
    /// The stored fields as the form shows them.
    pub fn as_input(&self) -> ListingInput {
        ListingInput {
            name: self.name.clone(),
            category: self.category.clone(),
            description: self.description.clone(),
            phone: self.phone.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            website: self.website.clone().unwrap_or_default(),
            street: self.street.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            keywords: self.keywords.clone(),
            towns: self.towns.clone(),
            service_radius_km: self
                .service_radius_km
                .map(|km| km.to_string())
                .unwrap_or_default(),
            social: SocialNetwork::ALL
                .into_iter()
                .map(|network| {
                    let url = self
                        .social
                        .iter()
                        .find(|(n, _)| n == network.as_str())
                        .map(|(_, u)| u.clone());
                    (network, url.unwrap_or_default())
                })
                .collect(),
            location: match (self.latitude, self.longitude) {
                (Some(latitude), Some(longitude)) => format!("{latitude},{longitude}"),
                _ => String::new(),
            },
            hours: [0, 1, 2, 3, 4, 5, 6].map(|day| crate::hours::format_day(&self.hours, day)),
            special_days: self.special_days.clone(),
        }
    }

    /// This listing with `edit` applied (its category by slug), as [`find`] reads it back:
    /// lists in the order the database returns them.
    pub(crate) fn edited(&self, edit: &ListingEdit) -> Listing {
        let sorted = |mut items: Vec<String>| {
            items.sort();
            items.dedup();
            items.join(", ")
        };
        let mut social: Vec<(String, String)> = edit
            .social
            .iter()
            .map(|(network, url)| (network.as_str().to_owned(), url.as_str().to_owned()))
            .collect();
        social.sort();
        let mut hours = edit.hours.clone();
        hours.sort_by_key(|h| (h.day, h.opens_at));
        Listing {
            id: self.id,
            slug: self.slug.clone(),
            name: edit.name.as_str().to_owned(),
            category: edit.category.as_str().to_owned(),
            description: edit.description.as_str().to_owned(),
            phone: edit.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: edit.email.as_ref().map(|e| e.as_str().to_owned()),
            website: edit.website.as_ref().map(|w| w.as_str().to_owned()),
            street: edit.street.clone(),
            city: edit.city.as_str().to_owned(),
            state: edit.state.code().to_owned(),
            zip: edit
                .zip
                .as_ref()
                .map_or(String::new(), |z| z.as_str().to_owned()),
            status: self.status.clone(),
            is_active: self.is_active,
            is_featured: self.is_featured,
            service_radius_km: edit.service_radius_km.map(i64::from),
            keywords: sorted(edit.keywords.clone()),
            towns: sorted(edit.towns.iter().map(|t| t.as_str().to_owned()).collect()),
            social,
            latitude: edit.location.map(|p| p.latitude),
            longitude: edit.location.map(|p| p.longitude),
            hours,
            special_days: edit.special_days.clone(),
        }
    }
}

async fn existing(db: &impl Database, id: i64) -> DomainResult<Listing> {
    find(db, id)
        .await?
        .ok_or_else(|| DomainError::NotFound("business".into()))
}

/// Saves an edit of every public field in one batch with its entry in the edit history
/// (and, for an admin, the audit log), each holding the state before and after. `undoes`
/// names the edit this one takes back.
pub async fn update(
    db: &impl Database,
    author: &Author,
    id: i64,
    edit: &ListingEdit,
    now: i64,
) -> DomainResult<()> {
    let before = existing(db, id).await?;
    save(db, author, &before, edit, None, now).await
}

pub(crate) async fn save(
    db: &impl Database,
    author: &Author,
    before: &Listing,
    edit: &ListingEdit,
    undoes: Option<i64>,
    now: i64,
) -> DomainResult<()> {
    let id = before.id;
    let category = categories::find_by_slug(db, &edit.category)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                "category",
                format!("no category is called '{}'", edit.category),
            )
        })?;
    let statement = Statement::new(
        "UPDATE businesses SET name = ?2, category_id = ?3, description = ?4, phone = ?5, email = ?6, website = ?7,
             street = ?8, city = ?9, city_slug = ?10, state = ?11, zip = ?12, updated_at = ?13,
             service_radius_km = ?14, latitude = ?15, longitude = ?16
          WHERE id = ?1",
    )
    .bind(id)
    .bind(edit.name.as_str())
    .bind(category.id)
    .bind(edit.description.as_str())
    .bind(edit.phone.as_ref().map(Phone::as_str))
    .bind(edit.email.as_ref().map(Email::as_str))
    .bind(edit.website.as_ref().map(WebUrl::as_str))
    .bind(edit.street.as_str())
    .bind(edit.city.as_str())
    .bind(edit.city.slug().as_str())
    .bind(edit.state.code())
    .bind(edit.zip.as_ref().map_or("", Zip::as_str))
    .bind(now)
    .bind(edit.service_radius_km)
    .bind(edit.location.map(|p| p.latitude))
    .bind(edit.location.map(|p| p.longitude));
    let mut statements = vec![
        statement,
        Statement::new("DELETE FROM business_keywords WHERE business_id = ?1").bind(id),
        Statement::new("DELETE FROM business_service_areas WHERE business_id = ?1").bind(id),
        Statement::new("DELETE FROM business_social_links WHERE business_id = ?1").bind(id),
        Statement::new("DELETE FROM business_hours WHERE business_id = ?1").bind(id),
        Statement::new("DELETE FROM business_special_days WHERE business_id = ?1").bind(id),
    ];
    for special in &edit.special_days {
        let spans = serde_json::to_string(&special.spans).map_err(|e| {
            DomainError::Database(crate::db::DbError(format!("special day spans: {e}")))
        })?;
        statements.push(
            Statement::new(
                "INSERT OR REPLACE INTO business_special_days (business_id, day, spans, note) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(id)
            .bind(special.day.as_str())
            .bind(spans)
            .bind(special.note.as_str()),
        );
    }
    for hours in &edit.hours {
        statements.push(
            Statement::new(
                "INSERT INTO business_hours (business_id, day_of_week, opens_at, closes_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(id)
            .bind(u32::from(hours.day))
            .bind(u32::from(hours.opens_at))
            .bind(u32::from(hours.closes_at)),
        );
    }
    for keyword in &edit.keywords {
        statements.push(
            Statement::new(
                "INSERT OR IGNORE INTO business_keywords (business_id, keyword) VALUES (?1, ?2)",
            )
            .bind(id)
            .bind(keyword.as_str()),
        );
    }
    for town in &edit.towns {
        statements.push(
            Statement::new(
                "INSERT OR IGNORE INTO business_service_areas (business_id, city) VALUES (?1, ?2)",
            )
            .bind(id)
            .bind(town.as_str()),
        );
    }
    for (network, url) in &edit.social {
        statements.push(
            Statement::new(
                "INSERT OR REPLACE INTO business_social_links (business_id, network, url)
                 VALUES (?1, ?2, ?3)",
            )
            .bind(id)
            .bind(network.as_str())
            .bind(url.as_str()),
        );
    }
    let after = before.edited(edit);
    let json = |listing: &Listing| {
        serde_json::to_string(listing)
            .map_err(|e| DomainError::Database(crate::db::DbError(format!("listing json: {e}"))))
    };
    let (before_json, after_json) = (json(before)?, json(&after)?);
    statements.push(crate::edits::entry(
        author,
        id,
        &before_json,
        &after_json,
        undoes,
        now,
    ));
    if let Some(actor) = author.admin_actor() {
        statements.push(crate::audit::entry(
            &actor,
            if undoes.is_some() {
                "listing.undo"
            } else {
                "listing.edit"
            },
            "business",
            &id.to_string(),
            Some(&before_json),
            Some(&after_json),
            now,
        ));
    }
    db.batch(&statements).await?;
    Ok(())
}

/// What an admin does to a listing's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Suspend,
    Reactivate,
    /// Soft removal: hidden from the public, kept with everything attached.
    Remove,
    Restore,
}

impl Change {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "suspend" => Some(Change::Suspend),
            "reactivate" => Some(Change::Reactivate),
            "remove" => Some(Change::Remove),
            "restore" => Some(Change::Restore),
            _ => None,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Change::Suspend => "listing.suspend",
            Change::Reactivate => "listing.reactivate",
            Change::Remove => "listing.remove",
            Change::Restore => "listing.restore",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Change::Suspend => {
                "UPDATE businesses SET status = 'suspended', updated_at = ?2 WHERE id = ?1"
            }
            Change::Reactivate => {
                "UPDATE businesses SET status = 'published', updated_at = ?2 WHERE id = ?1"
            }
            Change::Remove => "UPDATE businesses SET is_active = 0, updated_at = ?2 WHERE id = ?1",
            Change::Restore => "UPDATE businesses SET is_active = 1, updated_at = ?2 WHERE id = ?1",
        }
    }
}

pub async fn change(
    db: &impl Database,
    actor: &Actor,
    id: i64,
    change: Change,
    now: i64,
) -> DomainResult<()> {
    let before = existing(db, id).await?;
    db.batch(&[
        Statement::new(change.sql()).bind(id).bind(now),
        crate::audit::entry(
            actor,
            change.action(),
            "business",
            &id.to_string(),
            Some(&format!(
                "status={} active={}",
                before.status, before.is_active
            )),
            None,
            now,
        ),
    ])
    .await?;
    Ok(())
}

/// Features a listing from `starts_at` for `days` days with an admin's lock: it counts
/// against the featured places, and the rotation neither ends nor moves it. The lock, the
/// flags (a lock starting now features the listing at once) and the audit entry are one batch.
pub async fn feature(
    db: &impl Database,
    actor: &Actor,
    id: i64,
    starts_at: i64,
    days: i64,
    now: i64,
) -> DomainResult<()> {
    if !(1..=365).contains(&days) {
        return Err(DomainError::invalid("days", "must be between 1 and 365"));
    }
    existing(db, id).await?;
    let ends_at = starts_at + days * 86_400;
    let mut statements = crate::featured::lock_now(id, starts_at, ends_at, now);
    statements.push(crate::audit::entry(
        actor,
        "listing.feature",
        "business",
        &id.to_string(),
        None,
        Some(&format!("{days} days, locked")),
        now,
    ));
    db.batch(&statements).await?;
    Ok(())
}

/// Sets a listing's plan, with its audit entry (before and after) in the same batch; setting
/// the plan it already has writes nothing. Admins alone set it: it is not one of the fields
/// of [`update`], so it stays out of the edit history an owner can undo.
pub async fn set_plan(
    db: &impl Database,
    actor: &Actor,
    id: i64,
    plan: Plan,
    now: i64,
) -> DomainResult<()> {
    let before = fetch_optional::<Stored>(
        db,
        &Statement::new("SELECT plan FROM businesses WHERE id = ?1").bind(id),
    )
    .await?
    .ok_or_else(|| DomainError::NotFound("business".into()))?;
    #[derive(Deserialize)]
    struct Stored {
        plan: Plan,
    }
    if before.plan == plan {
        return Ok(());
    }
    db.batch(&[
        Statement::new("UPDATE businesses SET plan = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(id)
            .bind(plan.as_str())
            .bind(now),
        crate::audit::entry(
            actor,
            "listing.plan",
            "business",
            &id.to_string(),
            Some(before.plan.as_str()),
            Some(plan.as_str()),
            now,
        ),
    ])
    .await?;
    Ok(())
}

/// A removal request: the listing is deleted with everything attached (leads, hours, photos'
/// records, page sections and snapshots, owners, claims), and the submission it came from
/// keeps no personal data. Returns the keys of its photos and page snapshots, whose objects
/// the caller deletes from storage.
pub async fn erase(
    db: &impl Database,
    actor: &Actor,
    id: i64,
    now: i64,
) -> DomainResult<Vec<String>> {
    let before = existing(db, id).await?;
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    let keys: Vec<Key> = fetch_all(
        db,
        &Statement::new(
            "SELECT object_key AS key FROM business_photos WHERE business_id = ?1
             UNION ALL SELECT object_key FROM page_snapshots WHERE business_id = ?1",
        )
        .bind(id),
    )
    .await?;
    db.batch(&[
        Statement::new(
            "UPDATE submissions SET contact_name = 'erased', email = 'erased@erased.invalid', phone = NULL,
                 street = '', description = '', client_hash = 'erased'
              WHERE business_id = ?1",
        )
        .bind(id),
        Statement::new("DELETE FROM businesses WHERE id = ?1").bind(id),
        crate::audit::entry(actor, "listing.erase", "business", &id.to_string(), Some(&before.slug), None, now),
    ])
    .await?;
    Ok(keys.into_iter().map(|k| k.key).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    fn admin(db: &SqliteDatabase) -> Actor {
        crate::accounts::tests::signed_in(db, "ada", "ada@example.test")
    }

    fn input() -> ListingInput {
        ListingInput {
            name: "Talihina Tire".into(),
            category: "auto".into(),
            description: "Tires.".into(),
            phone: "918-567-5555".into(),
            email: String::new(),
            website: "talihina.example.com".into(),
            street: "1 Main".into(),
            city: "Talihina".into(),
            state: "OK".into(),
            zip: String::new(),
            keywords: "tires, oil change".into(),
            towns: "Clayton, Antlers".into(),
            service_radius_km: "40".into(),
            social: vec![(
                SocialNetwork::Facebook,
                "https://facebook.com/talihinatire".into(),
            )],
            location: "34.7501,-95.0494".into(),
            hours: [
                String::new(),
                "8:00-12:00, 13:00-17:30".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "closed".into(),
            ],
            special_days: Vec::new(),
        }
    }

    #[test]
    fn an_edit_checks_every_field_and_names_each_problem() {
        let mut bad = input();
        bad.name = String::new();
        bad.phone = "12".into();
        bad.state = "KS".into();
        let fields: Vec<String> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "phone", "state"]);
        assert!(
            input().parse().unwrap().email.is_none(),
            "email is optional on a listing"
        );
    }

    #[test]
    fn an_edit_is_saved_and_audited_with_before_and_after() {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "auto");
        let created = insert(&db, &business("Old Name", category));
        let actor = admin(&db);
        block_on(update(
            &db,
            &Author::admin(&actor, crate::edits::Means::Console),
            created.id,
            &input().parse().unwrap(),
            NOW,
        ))
        .unwrap();
        let listing = block_on(find(&db, created.id)).unwrap().unwrap();
        assert_eq!(listing.name, "Talihina Tire");
        assert_eq!(listing.slug, created.slug.as_str(), "the address stays");
        assert_eq!(listing.keywords, "oil change, tires");
        assert_eq!(listing.towns, "Antlers, Clayton");
        assert_eq!(listing.service_radius_km, Some(40));
        assert_eq!(listing.latitude, Some(34.7501));
        assert_eq!(listing.as_input().hours[1], "8:00-12:00, 13:00-17:30");
        assert_eq!(
            listing.social,
            [(
                "facebook".to_owned(),
                "https://facebook.com/talihinatire".to_owned()
            )]
        );
        let log = block_on(crate::audit::list(
            &db,
            &crate::audit::Filter::default(),
            Page::first(5),
        ))
        .unwrap();
        assert!(
            log.items[0]
                .before_json
                .as_deref()
                .unwrap()
                .contains("Old Name")
        );
        assert!(
            log.items[0]
                .after_json
                .as_deref()
                .unwrap()
                .contains("Talihina Tire")
        );
    }

    #[test]
    fn suspended_and_removed_listings_leave_the_public_directory() {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "auto");
        let created = insert(&db, &business("Hidden Soon", category));
        let actor = admin(&db);
        let public = || block_on(crate::directory::public_id(&db, &created.slug)).unwrap();
        block_on(change(&db, &actor, created.id, Change::Suspend, NOW)).unwrap();
        assert!(public().is_none());
        block_on(change(&db, &actor, created.id, Change::Reactivate, NOW)).unwrap();
        assert!(public().is_some());
        block_on(change(&db, &actor, created.id, Change::Remove, NOW)).unwrap();
        assert!(public().is_none());
        let removed = Filter {
            q: String::new(),
            state: "removed".into(),
        };
        assert_eq!(
            block_on(list(&db, &removed, Page::first(10)))
                .unwrap()
                .total,
            1
        );
    }

    #[test]
    fn erasing_deletes_the_listing_and_its_leads() {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "auto");
        let created = insert(&db, &business("Erase Me", category));
        db_exec(
            &db,
            "INSERT INTO leads (business_id, name, email, message, client_hash, created_at)
                      VALUES (?1, 'Sam', 'sam@example.com', 'Hi', 'h', 1)",
            created.id,
        );
        let actor = admin(&db);
        block_on(erase(&db, &actor, created.id, NOW)).unwrap();
        assert!(block_on(find(&db, created.id)).unwrap().is_none());
        let leads = block_on(fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM leads"),
        ))
        .unwrap();
        assert_eq!(leads, 0);
    }

    #[test]
    fn featuring_locks_a_place_and_features_the_listing_at_once_without_rotating() {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "auto");
        let chosen = insert(&db, &business("Chosen", category));
        insert(&db, &business("Other", category));
        let actor = admin(&db);
        block_on(feature(&db, &actor, chosen.id, NOW, 30, NOW)).unwrap();
        let featured = |sql: &str| block_on(fetch_integer(&db, &Statement::new(sql))).unwrap();
        assert_eq!(
            featured("SELECT id FROM businesses WHERE is_featured = 1"),
            chosen.id
        );
        assert_eq!(
            featured("SELECT count(*) FROM featured_slots WHERE locked = 1"),
            1
        );
        assert_eq!(
            featured("SELECT count(*) FROM featured_slots"),
            1,
            "no rotation slot"
        );
        assert_eq!(
            featured("SELECT count(*) FROM audit_log WHERE action = 'listing.feature'"),
            1
        );
    }

    #[test]
    fn a_plan_is_set_with_its_audit_entry_and_setting_it_again_writes_nothing() {
        let db = SqliteDatabase::in_memory().unwrap();
        let category = some_category(&db, "auto");
        let created = insert(&db, &business("Paying Customer", category));
        let actor = admin(&db);
        block_on(set_plan(&db, &actor, created.id, Plan::Premium, NOW)).unwrap();
        block_on(set_plan(&db, &actor, created.id, Plan::Premium, NOW + 1)).unwrap();
        let standing = block_on(crate::featured::standing(&db, created.id, NOW))
            .unwrap()
            .unwrap();
        assert_eq!(standing.plan, Plan::Premium);
        let log = block_on(crate::audit::list(
            &db,
            &crate::audit::Filter {
                action: "listing.plan".into(),
                ..Default::default()
            },
            Page::first(5),
        ))
        .unwrap();
        assert_eq!(log.total, 1);
        assert_eq!(
            (
                log.items[0].before_json.as_deref(),
                log.items[0].after_json.as_deref()
            ),
            (Some("free"), Some("premium"))
        );
        assert!(matches!(
            block_on(set_plan(&db, &actor, 999, Plan::Plus, NOW)),
            Err(DomainError::NotFound(_))
        ));
    }

    fn db_exec(db: &SqliteDatabase, sql: &str, id: i64) {
        block_on(db.execute(&Statement::new(sql).bind(id))).unwrap();
    }
}
