//! Businesses: creating a listing with everything hanging off it, reading the public view of
//! one, and the flags that decide whether the public sees it.
//!
//! "Public" means `public_listing!()` (published and active); nothing else is ever returned by
//! the public readers here or in [`crate::search`].

use crate::db::{Database, DbResult, Statement, fetch_all, fetch_optional};
use crate::error::DomainResult;
use crate::hours::SpecialDay;
use crate::photos::Photo;
use crate::values::{
    BusinessName, CityName, Email, GeoPoint, Phone, Plan, Slug, StateCode, WebUrl, Zip,
};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

/// One opening interval on a weekday, in minutes after local midnight. `closes_at` may pass
/// midnight (up to 2880) for places open late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// 0 = Sunday ... 6 = Saturday.
    pub day: u8,
    pub opens_at: u16,
    pub closes_at: u16,
}

impl OpeningHours {
    pub fn new(day: u8, opens_at: u16, closes_at: u16) -> Result<Self, FieldError> {
        if day > 6 || opens_at >= 1440 || closes_at <= opens_at || closes_at > 2880 {
            return Err(FieldError::new(
                "hours",
                "each interval needs a day 0-6 and opening before closing, in minutes after midnight",
            ));
        }
        Ok(Self {
            day,
            opens_at,
            closes_at,
        })
    }
}

/// Social networks a listing may link to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SocialNetwork {
    Facebook,
    Instagram,
    X,
    Youtube,
    Tiktok,
    Linkedin,
    Yelp,
    Google,
}

impl SocialNetwork {
    pub const ALL: [SocialNetwork; 8] = [
        Self::Facebook,
        Self::Instagram,
        Self::X,
        Self::Youtube,
        Self::Tiktok,
        Self::Linkedin,
        Self::Yelp,
        Self::Google,
    ];

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Facebook => "Facebook",
            Self::Instagram => "Instagram",
            Self::X => "X",
            Self::Youtube => "YouTube",
            Self::Tiktok => "TikTok",
            Self::Linkedin => "LinkedIn",
            Self::Yelp => "Yelp",
            Self::Google => "Google",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
            Self::X => "x",
            Self::Youtube => "youtube",
            Self::Tiktok => "tiktok",
            Self::Linkedin => "linkedin",
            Self::Yelp => "yelp",
            Self::Google => "google",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialLink {
    pub network: SocialNetwork,
    pub url: String,
}

/// Everything a new listing is made of, already parsed.
#[derive(Debug, Clone)]
pub struct NewBusiness {
    pub name: BusinessName,
    pub description: String,
    pub category_id: i64,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub website: Option<WebUrl>,
    pub street: String,
    pub city: CityName,
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub location: Option<GeoPoint>,
    pub service_radius_km: Option<u32>,
    pub service_areas: Vec<CityName>,
    pub hours: Vec<OpeningHours>,
    pub social_links: Vec<(SocialNetwork, WebUrl)>,
    pub keywords: Vec<String>,
    /// Average (0-5) and number of ratings.
    pub rating: Option<(f64, u32)>,
    pub verified: bool,
    pub featured: bool,
    pub published: bool,
    pub plan: Plan,
}

impl NewBusiness {
    /// A published listing with only the required parts; everything else empty, ready to be
    /// filled in field by field.
    pub fn new(name: BusinessName, category_id: i64, city: CityName, state: StateCode) -> Self {
        Self {
            name,
            description: String::new(),
            category_id,
            phone: None,
            email: None,
            website: None,
            street: String::new(),
            city,
            state,
            zip: None,
            location: None,
            service_radius_km: None,
            service_areas: Vec::new(),
            hours: Vec::new(),
            social_links: Vec::new(),
            keywords: Vec::new(),
            rating: None,
            verified: false,
            featured: false,
            published: true,
            plan: Plan::Free,
        }
    }
}

/// A created listing's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: i64,
    pub slug: Slug,
}

/// Normalizes keywords: lowercase, single-spaced, 1-60 characters, unique, at most 20.
pub fn normalize_keywords(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for keyword in raw {
        let keyword = keyword
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if !keyword.is_empty()
            && keyword.chars().count() <= 60
            && !out.contains(&keyword)
            && out.len() < 20
        {
            out.push(keyword);
        }
    }
    out
}

/// A slug for `name` in `city` that no other business uses yet.
pub async fn unique_slug(
    db: &impl Database,
    name: &BusinessName,
    city: &CityName,
) -> DomainResult<Slug> {
    let base = Slug::from_text(&format!("{name} {city}"))
        .ok_or_else(|| DomainError::invalid("name", "must contain letters or digits"))?;
    #[derive(Deserialize)]
    struct Taken {
        slug: String,
    }
    // Range scan on the unique index: `base` itself and every `base-…`.
    let taken: Vec<Taken> = fetch_all(
        db,
        &Statement::new("SELECT slug FROM businesses WHERE slug = ?1 OR (slug > ?1 || '-' AND slug < ?1 || '.')")
            .bind(base.as_str()),
    )
    .await?;
    let taken: std::collections::HashSet<String> = taken.into_iter().map(|t| t.slug).collect();
    if !taken.contains(base.as_str()) {
        return Ok(base);
    }
    // `taken` is finite, so among its size + 1 suffixes one is free.
    let free = (2..)
        .map(|n| base.with_suffix(n))
        .find(|candidate| !taken.contains(candidate.as_str()))
        .unwrap_or_else(|| base.with_suffix(u32::MAX));
    Ok(free)
}

/// Creates a listing and everything attached to it in one transaction.
pub async fn create(db: &impl Database, business: &NewBusiness, now: i64) -> DomainResult<Created> {
    let slug = unique_slug(db, &business.name, &business.city).await?;
    let status = if business.published {
        "published"
    } else {
        "draft"
    };
    let (rating_average, rating_count) = match business.rating {
        Some((average, count)) => (Some(average.clamp(0.0, 5.0)), i64::from(count)),
        None => (None, 0),
    };
    let mut statements = vec![
        Statement::new(
            "INSERT INTO businesses (slug, name, description, category_id, phone, email, website, street, city,
                 city_slug, state, zip, latitude, longitude, service_radius_km, rating_average, rating_count,
                 status, is_active, is_verified, is_featured, created_at, updated_at, plan)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 1, ?19,
                 ?20, ?21, ?21, ?22)",
        )
        .bind(slug.as_str())
        .bind(business.name.as_str())
        .bind(business.description.as_str())
        .bind(business.category_id)
        .bind(business.phone.as_ref().map(Phone::as_str))
        .bind(business.email.as_ref().map(Email::as_str))
        .bind(business.website.as_ref().map(WebUrl::as_str))
        .bind(business.street.as_str())
        .bind(business.city.as_str())
        .bind(business.city.slug().as_str())
        .bind(business.state.code())
        .bind(business.zip.as_ref().map_or("", Zip::as_str))
        .bind(business.location.map(|p| p.latitude))
        .bind(business.location.map(|p| p.longitude))
        .bind(business.service_radius_km)
        .bind(rating_average)
        .bind(rating_count)
        .bind(status)
        .bind(business.verified)
        .bind(business.featured)
        .bind(now)
        .bind(business.plan.as_str()),
    ];
    const ID: &str = "(SELECT id FROM businesses WHERE slug = ?1)";
    for hours in &business.hours {
        statements.push(
            Statement::new(format!(
                "INSERT INTO business_hours (business_id, day_of_week, opens_at, closes_at) VALUES ({ID}, ?2, ?3, ?4)"
            ))
            .bind(slug.as_str())
            .bind(u32::from(hours.day))
            .bind(u32::from(hours.opens_at))
            .bind(u32::from(hours.closes_at)),
        );
    }
    for city in &business.service_areas {
        statements.push(
            Statement::new(format!(
                "INSERT OR IGNORE INTO business_service_areas (business_id, city) VALUES ({ID}, ?2)"
            ))
            .bind(slug.as_str())
            .bind(city.as_str()),
        );
    }
    for (network, url) in &business.social_links {
        statements.push(
            Statement::new(format!(
                "INSERT OR REPLACE INTO business_social_links (business_id, network, url) VALUES ({ID}, ?2, ?3)"
            ))
            .bind(slug.as_str())
            .bind(network.as_str())
            .bind(url.as_str()),
        );
    }
    for keyword in normalize_keywords(&business.keywords) {
        statements.push(
            Statement::new(format!(
                "INSERT INTO business_keywords (business_id, keyword) VALUES ({ID}, ?2)"
            ))
            .bind(slug.as_str())
            .bind(keyword),
        );
    }
    db.batch(&statements).await?;
    let id = crate::db::fetch_integer(
        db,
        &Statement::new("SELECT id FROM businesses WHERE slug = ?1").bind(slug.as_str()),
    )
    .await?;
    Ok(Created { id, slug })
}

/// Whether the public may see a listing: published and active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Published,
    Draft,
    Suspended,
}

pub async fn set_visibility(
    db: &impl Database,
    id: i64,
    visibility: Visibility,
    now: i64,
) -> DbResult<bool> {
    let status = match visibility {
        Visibility::Published => "published",
        Visibility::Draft => "draft",
        Visibility::Suspended => "suspended",
    };
    let statement = Statement::new(
        "UPDATE businesses SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status <> ?2 RETURNING id",
    )
    .bind(id)
    .bind(status)
    .bind(now);
    Ok(!db.query(&statement).await?.is_empty())
}

/// Active is the owner's switch (closed for the season, out of business).
pub async fn set_active(db: &impl Database, id: i64, active: bool, now: i64) -> DbResult<bool> {
    let statement = Statement::new(
        "UPDATE businesses SET is_active = ?2, updated_at = ?3 WHERE id = ?1 AND is_active <> ?2 RETURNING id",
    )
    .bind(id)
    .bind(active)
    .bind(now);
    Ok(!db.query(&statement).await?.is_empty())
}

/// The rating shown on a listing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rating {
    pub average: f64,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub city_slug: String,
    pub state: String,
    pub zip: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceArea {
    pub radius_km: Option<i64>,
    pub cities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategorySummary {
    pub slug: String,
    pub name: String,
}

/// The public view of one listing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusinessDetail {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub category: CategorySummary,
    pub phone: Option<String>,
    pub phone_display: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub address: Address,
    pub location: Option<GeoPoint>,
    pub service_area: ServiceArea,
    pub hours: Vec<OpeningHours>,
    /// Dated exceptions to `hours`, by date.
    pub special_days: Vec<SpecialDay>,
    pub social_links: Vec<SocialLink>,
    pub keywords: Vec<String>,
    pub photos: Vec<Photo>,
    pub rating: Option<Rating>,
    pub is_verified: bool,
    pub is_featured: bool,
    /// Whether the owner published a page ([`crate::page_builder`]), linked from the listing.
    pub has_page: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Deserialize)]
struct DetailRow {
    slug: String,
    name: String,
    description: String,
    category_slug: String,
    category_name: String,
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    street: String,
    city: String,
    city_slug: String,
    state: String,
    zip: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    service_radius_km: Option<i64>,
    rating_average: Option<f64>,
    rating_count: i64,
    is_verified: i64,
    is_featured: i64,
    created_at: i64,
    updated_at: i64,
    hours_json: String,
    special_json: String,
    areas_json: String,
    social_json: String,
    keywords_json: String,
    photos_json: String,
    #[serde(deserialize_with = "crate::db::flag")]
    has_page: bool,
}

/// The columns of [`BusinessDetail`] with everything attached, read in a single round trip;
/// the readers add which listing (`WHERE`).
const DETAIL_SELECT: &str =
    "SELECT b.slug, b.name, b.description, c.slug AS category_slug, c.name AS category_name,
        b.phone, b.email, b.website, b.street, b.city, b.city_slug, b.state, b.zip,
        b.latitude, b.longitude, b.service_radius_km, b.rating_average, b.rating_count,
        b.is_verified, b.is_featured, b.created_at, b.updated_at,
        (SELECT json_group_array(json_object('day', day_of_week, 'opens_at', opens_at, 'closes_at',
            closes_at))
           FROM (SELECT * FROM business_hours WHERE business_id = b.id ORDER BY day_of_week,
               opens_at)) AS hours_json,
        (SELECT json_group_array(json_object('day', day, 'spans', json(spans), 'note', note))
           FROM (SELECT * FROM business_special_days WHERE business_id = b.id ORDER BY day))
               AS special_json,
        (SELECT json_group_array(city)
           FROM (SELECT city FROM business_service_areas WHERE business_id = b.id ORDER BY city))
               AS areas_json,
        (SELECT json_group_array(json_object('network', network, 'url', url))
           FROM (SELECT * FROM business_social_links WHERE business_id = b.id ORDER BY network)) AS
               social_json,
        (SELECT json_group_array(keyword)
           FROM (SELECT keyword FROM business_keywords WHERE business_id = b.id ORDER BY keyword))
               AS keywords_json,
        (SELECT json_group_array(json_object('id', id, 'key', object_key, 'alt', alt_text))
           FROM (SELECT * FROM business_photos WHERE business_id = b.id ORDER BY position, id)) AS
               photos_json,
        EXISTS (SELECT 1 FROM published_pages WHERE business_id = b.id) AS has_page
   FROM businesses b JOIN categories c ON c.id = b.category_id";

/// One public listing by slug, with its hours, service area, links and keywords, read in a
/// single round trip.
pub async fn find_public(db: &impl Database, slug: &Slug) -> DbResult<Option<BusinessDetail>> {
    let statement = Statement::new(format!(
        "{DETAIL_SELECT} WHERE b.slug = ?1 AND {}",
        public_listing!("b")
    ))
    .bind(slug.as_str());
    detail(db, &statement).await
}

/// One listing by id whatever its state (draft, suspended, removed), as its owner's page
/// builder shows and publishes it; whether the public may see it is decided where it is served.
pub async fn find_by_id(db: &impl Database, id: i64) -> DbResult<Option<BusinessDetail>> {
    let statement = Statement::new(format!("{DETAIL_SELECT} WHERE b.id = ?1")).bind(id);
    detail(db, &statement).await
}

async fn detail(db: &impl Database, statement: &Statement) -> DbResult<Option<BusinessDetail>> {
    let row: Option<DetailRow> = fetch_optional(db, statement).await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(BusinessDetail {
        phone_display: row.phone.clone().map(|p| Phone::from_stored(p).display()),
        slug: row.slug,
        name: row.name,
        description: row.description,
        category: CategorySummary {
            slug: row.category_slug,
            name: row.category_name,
        },
        phone: row.phone,
        email: row.email,
        website: row.website,
        address: Address {
            street: row.street,
            city: row.city,
            city_slug: row.city_slug,
            state: row.state,
            zip: row.zip,
        },
        location: row
            .latitude
            .zip(row.longitude)
            .map(|(latitude, longitude)| GeoPoint {
                latitude,
                longitude,
            }),
        service_area: ServiceArea {
            radius_km: row.service_radius_km,
            cities: decode(&row.areas_json)?,
        },
        hours: decode(&row.hours_json)?,
        special_days: decode(&row.special_json)?,
        social_links: decode(&row.social_json)?,
        keywords: decode(&row.keywords_json)?,
        photos: decode(&row.photos_json)?,
        rating: row.rating_average.map(|average| Rating {
            average,
            count: row.rating_count,
        }),
        is_verified: row.is_verified == 1,
        is_featured: row.is_featured == 1,
        has_page: row.has_page,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> DbResult<T> {
    serde_json::from_str(json).map_err(|e| crate::db::DbError(format!("detail json: {e}")))
}

/// The id of a public listing, for attaching leads.
pub async fn public_id(db: &impl Database, slug: &Slug) -> DbResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let row: Option<Id> = fetch_optional(
        db,
        &Statement::new(concat!(
            "SELECT id FROM businesses WHERE slug = ?1 AND ",
            public_listing!()
        ))
        .bind(slug.as_str()),
    )
    .await?;
    Ok(row.map(|r| r.id))
}

/// A town with public listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct City {
    pub name: String,
    pub slug: String,
    pub state: String,
    pub businesses: i64,
}

const CITY_COLUMNS: &str = concat!(
    "SELECT min(city) AS name, city_slug AS slug, min(state) AS state, count(*) AS businesses
   FROM businesses WHERE ",
    public_listing!()
);

/// Towns with public listings, the busiest first.
pub async fn cities(db: &impl Database) -> DbResult<Vec<City>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "{CITY_COLUMNS} GROUP BY city_slug ORDER BY businesses DESC, name"
        )),
    )
    .await
}

/// One town by slug, if it has public listings.
pub async fn city(db: &impl Database, slug: &Slug) -> DbResult<Option<City>> {
    let statement = Statement::new(format!(
        "{CITY_COLUMNS} AND city_slug = ?1 GROUP BY city_slug"
    ))
    .bind(slug.as_str());
    fetch_optional(db, &statement).await
}

/// A public listing's address and last change, for the sitemap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub slug: String,
    pub updated_at: i64,
    /// When its owner's page was last published (or restored), if it has one.
    pub page_published_at: Option<i64>,
}

/// Every public listing, for the sitemap, with when its owner's page was published.
pub async fn all_public(db: &impl Database) -> DbResult<Vec<Listed>> {
    fetch_all(
        db,
        &Statement::new(concat!(
            "SELECT b.slug, b.updated_at, p.published_at AS page_published_at
               FROM businesses b LEFT JOIN published_pages p ON p.business_id = b.id WHERE ",
            public_listing!("b"),
            " ORDER BY b.slug"
        )),
    )
    .await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::categories::{self, NewCategory};
    use crate::db::sqlite::SqliteDatabase;
    use pollster::block_on;

    /// A published business in Idabel with nothing optional filled in.
    pub(crate) fn business(name: &str, category_id: i64) -> NewBusiness {
        NewBusiness::new(
            BusinessName::parse("name", name).unwrap(),
            category_id,
            CityName::parse("city", "Idabel").unwrap(),
            StateCode::Oklahoma,
        )
    }

    pub(crate) fn insert(db: &SqliteDatabase, business: &NewBusiness) -> Created {
        block_on(create(db, business, 1_700_000_000)).unwrap()
    }

    pub(crate) fn some_category(db: &SqliteDatabase, slug: &str) -> i64 {
        let slug = Slug::parse("slug", slug).unwrap();
        let new = NewCategory {
            slug: &slug,
            name: "Plumbing",
            description: "",
            icon: "",
            parent: None,
            position: 0,
        };
        block_on(categories::create(db, &new, 1)).unwrap()
    }

    fn slug(s: &str) -> Slug {
        Slug::parse("slug", s).unwrap()
    }

    #[test]
    fn created_listing_reads_back_with_everything_attached() {
        let db = SqliteDatabase::in_memory().unwrap();
        let plumbing = some_category(&db, "plumbing");
        let mut full = business("Kiamichi Plumbing", plumbing);
        full.description = "Pipes & drains".into();
        full.phone = Some(Phone::parse("phone", "580-286-5555").unwrap());
        full.email = Some(Email::parse("email", "pipes@example.com").unwrap());
        full.website = Some(WebUrl::parse("website", "https://example.com").unwrap());
        full.street = "12 Main St".into();
        full.zip = Some(Zip::parse("zip", "74745").unwrap());
        full.location = Some(GeoPoint::new("p", 33.8957, -94.8266).unwrap());
        full.service_radius_km = Some(40);
        full.service_areas = vec![
            CityName::parse("c", "Broken Bow").unwrap(),
            CityName::parse("c", "Hugo").unwrap(),
        ];
        full.hours = vec![
            OpeningHours::new(1, 480, 1020).unwrap(),
            OpeningHours::new(6, 540, 720).unwrap(),
        ];
        full.social_links = vec![(
            SocialNetwork::Facebook,
            WebUrl::parse("u", "https://facebook.com/kp").unwrap(),
        )];
        full.keywords = vec![
            "Drain Cleaning".into(),
            "drain  cleaning".into(),
            "water heaters".into(),
        ];
        full.rating = Some((4.6, 31));
        full.verified = true;
        let created = insert(&db, &full);
        assert_eq!(created.slug.as_str(), "kiamichi-plumbing-idabel");

        let detail = block_on(find_public(&db, &created.slug)).unwrap().unwrap();
        assert_eq!(detail.name, "Kiamichi Plumbing");
        assert_eq!(
            detail.category,
            CategorySummary {
                slug: "plumbing".into(),
                name: "Plumbing".into()
            }
        );
        assert_eq!(detail.phone.as_deref(), Some("+15802865555"));
        assert_eq!(detail.phone_display.as_deref(), Some("(580) 286-5555"));
        assert_eq!(detail.address.city_slug, "idabel");
        assert_eq!(detail.address.zip, "74745");
        assert_eq!(detail.location, full.location);
        assert_eq!(
            detail.service_area,
            ServiceArea {
                radius_km: Some(40),
                cities: vec!["Broken Bow".into(), "Hugo".into()]
            }
        );
        assert_eq!(detail.hours, full.hours);
        assert_eq!(
            detail.social_links,
            vec![SocialLink {
                network: SocialNetwork::Facebook,
                url: "https://facebook.com/kp".into()
            }]
        );
        assert_eq!(detail.keywords, ["drain cleaning", "water heaters"]);
        assert_eq!(
            detail.rating,
            Some(Rating {
                average: 4.6,
                count: 31
            })
        );
        assert!(detail.is_verified && !detail.is_featured);
        assert!(!detail.has_page, "no page published");
    }

    #[test]
    fn a_listing_reads_by_id_whatever_its_state_for_its_owner() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let mut draft = business("Draft Co", c);
        draft.published = false;
        let draft = insert(&db, &draft);
        let live = insert(&db, &business("Live Co", c));
        assert!(block_on(set_active(&db, live.id, false, 2)).unwrap());
        for created in [&draft, &live] {
            let detail = block_on(find_by_id(&db, created.id)).unwrap().unwrap();
            assert_eq!(detail.slug, created.slug.as_str());
        }
        assert!(block_on(find_by_id(&db, 999)).unwrap().is_none());
    }

    #[test]
    fn same_name_in_same_town_gets_a_numbered_slug() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        assert_eq!(
            insert(&db, &business("Joe's", c)).slug.as_str(),
            "joe-s-idabel"
        );
        assert_eq!(
            insert(&db, &business("Joe's", c)).slug.as_str(),
            "joe-s-idabel-2"
        );
        assert_eq!(
            insert(&db, &business("Joe’s!", c)).slug.as_str(),
            "joe-s-idabel-3"
        );
    }

    #[test]
    fn drafts_suspended_and_inactive_listings_are_not_public() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let mut draft = business("Draft Co", c);
        draft.published = false;
        let draft = insert(&db, &draft);
        assert!(block_on(find_public(&db, &draft.slug)).unwrap().is_none());
        assert!(block_on(public_id(&db, &draft.slug)).unwrap().is_none());

        let live = insert(&db, &business("Live Co", c));
        assert_eq!(block_on(public_id(&db, &live.slug)).unwrap(), Some(live.id));
        assert!(block_on(set_active(&db, live.id, false, 2)).unwrap());
        assert!(block_on(find_public(&db, &live.slug)).unwrap().is_none());
        assert!(block_on(set_active(&db, live.id, true, 3)).unwrap());
        assert!(block_on(set_visibility(&db, live.id, Visibility::Suspended, 4)).unwrap());
        assert!(block_on(find_public(&db, &live.slug)).unwrap().is_none());
    }

    #[test]
    fn publishing_a_draft_makes_it_public_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let mut draft = business("Soon Co", c);
        draft.published = false;
        let draft = insert(&db, &draft);
        assert!(block_on(set_visibility(&db, draft.id, Visibility::Published, 5)).unwrap());
        assert!(
            !block_on(set_visibility(&db, draft.id, Visibility::Published, 6)).unwrap(),
            "already published"
        );
        let detail = block_on(find_public(&db, &draft.slug)).unwrap().unwrap();
        assert_eq!(detail.updated_at, 5);
    }

    #[test]
    fn unknown_slug_is_none() {
        let db = SqliteDatabase::in_memory().unwrap();
        assert!(
            block_on(find_public(&db, &slug("nobody-here")))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_failed_child_insert_leaves_no_half_created_business() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let mut broken = business("Broken Co", c);
        broken.hours = vec![OpeningHours {
            day: 9,
            opens_at: 0,
            closes_at: 10,
        }];
        assert!(block_on(create(&db, &broken, 1)).is_err());
        let count = block_on(crate::db::fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM businesses"),
        ))
        .unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn opening_hours_reject_impossible_intervals() {
        assert!(OpeningHours::new(0, 480, 1020).is_ok());
        assert!(OpeningHours::new(5, 1080, 1560).is_ok(), "past midnight");
        assert!(OpeningHours::new(7, 480, 1020).is_err());
        assert!(OpeningHours::new(1, 1020, 480).is_err());
        assert!(OpeningHours::new(1, 1440, 1500).is_err());
    }

    #[test]
    fn keywords_are_normalized_deduplicated_and_capped() {
        let raw: Vec<String> = ["  BBQ ", "bbq", "", "smoked   meats"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(normalize_keywords(&raw), ["bbq", "smoked meats"]);
        let many: Vec<String> = (0..30).map(|i| format!("k{i}")).collect();
        assert_eq!(normalize_keywords(&many).len(), 20);
        assert!(normalize_keywords(&["x".repeat(61)]).is_empty());
    }

    #[test]
    fn cities_count_public_listings_busiest_first() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        insert(&db, &business("One", c));
        insert(&db, &business("Two", c));
        let mut paris = business("Three", c);
        paris.city = CityName::parse("c", "Paris").unwrap();
        paris.state = StateCode::Texas;
        insert(&db, &paris);
        let mut hidden = business("Hidden", c);
        hidden.city = CityName::parse("c", "Mena").unwrap();
        hidden.published = false;
        insert(&db, &hidden);
        let towns = block_on(cities(&db)).unwrap();
        let summary: Vec<(&str, &str, i64)> = towns
            .iter()
            .map(|c| (c.slug.as_str(), c.state.as_str(), c.businesses))
            .collect();
        assert_eq!(summary, [("idabel", "OK", 2), ("paris", "TX", 1)]);
        assert_eq!(
            block_on(city(&db, &slug("paris"))).unwrap().unwrap().name,
            "Paris"
        );
        assert!(
            block_on(city(&db, &slug("mena"))).unwrap().is_none(),
            "only hidden listings"
        );
    }

    #[test]
    fn all_public_lists_every_public_slug_with_its_last_change() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let live = insert(&db, &business("Live", c));
        let mut draft = business("Draft", c);
        draft.published = false;
        insert(&db, &draft);
        let listed = block_on(all_public(&db)).unwrap();
        assert_eq!(
            listed,
            vec![Listed {
                slug: live.slug.to_string(),
                updated_at: 1_700_000_000,
                page_published_at: None,
            }]
        );
    }

    #[test]
    fn all_public_says_when_an_owners_page_was_published() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "plumbing");
        let live = insert(&db, &business("Paged", c));
        let store = crate::blob::MemoryBlobStore::default();
        let page = "<p>Our page</p>".to_owned();
        block_on(crate::page_builder::publish(
            &db,
            &store,
            live.id,
            page,
            None,
            1_800_000_000,
        ))
        .unwrap();
        let listed = block_on(all_public(&db)).unwrap();
        assert_eq!(listed[0].page_published_at, Some(1_800_000_000));
    }

    #[test]
    fn the_town_list_reads_only_the_covering_index() {
        let db = SqliteDatabase::in_memory().unwrap();
        let statement = Statement::new(format!("{CITY_COLUMNS} GROUP BY city_slug"));
        let plan = db.query_plan(&statement).unwrap();
        assert!(
            plan.iter()
                .any(|line| line.contains("USING COVERING INDEX idx_businesses_public_city")),
            "{plan:#?}"
        );
    }
}
