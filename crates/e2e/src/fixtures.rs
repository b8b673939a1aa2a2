//! Businesses the end-to-end tests refer to by name, installed next to the seeded data
//! through the domain's own repositories. Every fixture name carries the made-up word
//! "Zyzzogeton" (or "Pagetest") so searches for it find fixtures and nothing seeded.

use kbc_domain::DomainError;
use kbc_domain::accounts::{self, Role};
use kbc_domain::blog::{self, NewPost};
use kbc_domain::categories::{self, NewCategory};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::directory::{self, NewBusiness, OpeningHours, SocialNetwork, Visibility};
use kbc_domain::values::{
    BusinessName, CityName, Email, GeoPoint, Phone, Slug, StateCode, WebUrl, Zip,
};
use kbc_domain::{featured, photos};

pub const TRADES: &str = "e2e-trades";
pub const PLUMBING: &str = "e2e-plumbing";
/// Where the console's tests publish listings, so the public fixtures' counts stay as they are.
pub const CONSOLE: &str = "e2e-console";
/// The best-described public fixture; its slug is stable.
pub const PLUMBER_SLUG: &str = "zyzzogeton-plumbing-idabel";
pub const SUPPLY_SLUG: &str = "zyzzogeton-supply-hugo";
pub const HOSTILE_SLUG: &str = "script-alert-1-script-zyzzogeton-broken-bow";
pub const HOSTILE_NAME: &str = "<script>alert(1)</script> Zyzzogeton";
pub const UNICODE_SLUG: &str = "cafe-nandu-zyzzogeton-antlers";
pub const DRAFT_SLUG: &str = "zyzzogeton-hidden-draft-idabel";
pub const CLOSED_SLUG: &str = "zyzzogeton-closed-idabel";
pub const FEATURED_SLUG: &str = "zyzzogeton-featured-fixtures-paris";
/// Public fixtures matching "zyzzogeton".
pub const PUBLIC_ZYZZOGETON: i64 = 5;
/// Businesses matching "pagetest", for pagination.
pub const PAGETEST_COUNT: i64 = 23;
/// The fixture photo of the plumber: named by the SHA-256 of [`PHOTO_PNG`], as uploads are.
pub const PHOTO_KEY: &str =
    "e2e/4ff6ab670a58c14270e034e2090d9a432caa263a14e0a25785386b0c12f880b5.png";
/// A photo of the hidden draft: stored in R2 and recorded, yet never served.
pub const DRAFT_PHOTO_KEY: &str = "e2e/zyzzogeton-draft.png";
/// A photo of the supply store that a test removes.
pub const REMOVABLE_PHOTO_KEY: &str = "e2e/zyzzogeton-supply-old.png";
/// A valid 1×1 PNG: the bytes of every fixture photo.
pub const PHOTO_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
/// A published post and a draft that must never be public.
pub const POST_SLUG: &str = "e2e-zyzzogeton-opens";
pub const DRAFT_POST_SLUG: &str = "e2e-secret-draft";
/// Where the featured fixture's admin lock starts: the rotation counts it and never ends it.
pub const FEATURED_FROM: i64 = 1_700_000_000;

fn parse<T>(result: Result<T, kbc_domain::FieldError>) -> Result<T, DomainError> {
    result.map_err(DomainError::from)
}

fn base(
    name: &str,
    category_id: i64,
    city: &str,
    point: (f64, f64),
) -> Result<NewBusiness, DomainError> {
    let mut business = NewBusiness::new(
        parse(BusinessName::parse("name", name))?,
        category_id,
        parse(CityName::parse("city", city))?,
        StateCode::Oklahoma,
    );
    business.location = Some(parse(GeoPoint::new("location", point.0, point.1))?);
    Ok(business)
}

const IDABEL: (f64, f64) = (33.8957, -94.8266);
const HUGO: (f64, f64) = (34.0107, -95.5097);
const BROKEN_BOW: (f64, f64) = (34.0293, -94.7391);
const ANTLERS: (f64, f64) = (34.2318, -95.6203);
const PARIS: (f64, f64) = (33.6609, -95.5555);

/// Installs every fixture into a migrated (and possibly seeded) database.
pub async fn install(db: &SqliteDatabase, now: i64) -> Result<(), DomainError> {
    let trades_slug = parse(Slug::parse("slug", TRADES))?;
    let plumbing_slug = parse(Slug::parse("slug", PLUMBING))?;
    let trades = categories::create(
        db,
        &NewCategory {
            slug: &trades_slug,
            name: "E2E Trades",
            description: "Fixtures",
            icon: "",
            parent: None,
            position: 99,
        },
        now,
    )
    .await?;
    let console_slug = parse(Slug::parse("slug", CONSOLE))?;
    categories::create(
        db,
        &NewCategory {
            slug: &console_slug,
            name: "E2E Console",
            description: "Listings the console's tests publish",
            icon: "",
            parent: None,
            position: 100,
        },
        now,
    )
    .await?;
    let plumbing = categories::create(
        db,
        &NewCategory {
            slug: &plumbing_slug,
            name: "E2E Plumbing",
            description: "Fixtures",
            icon: "",
            parent: Some(trades),
            position: 0,
        },
        now,
    )
    .await?;

    let mut plumber = base("Zyzzogeton Plumbing", plumbing, "Idabel", IDABEL)?;
    plumber.description = "Licensed plumbers for Idabel and McCurtain County.".into();
    plumber.phone = Some(parse(Phone::parse("phone", "(580) 555-0100"))?);
    plumber.email = Some(parse(Email::parse(
        "email",
        "office@zyzzogeton.example.com",
    ))?);
    plumber.website = Some(parse(WebUrl::parse(
        "website",
        "https://zyzzogeton.example.com",
    ))?);
    plumber.street = "1 Central Ave".into();
    plumber.zip = Some(parse(Zip::parse("zip", "74745"))?);
    plumber.service_radius_km = Some(60);
    plumber.service_areas = vec![parse(CityName::parse("city", "Broken Bow"))?];
    plumber.hours = vec![
        parse(OpeningHours::new(1, 480, 1020))?,
        parse(OpeningHours::new(2, 480, 1020))?,
    ];
    plumber.social_links = vec![(
        SocialNetwork::Facebook,
        parse(WebUrl::parse("url", "https://facebook.com/zyzzogeton"))?,
    )];
    plumber.keywords = vec!["water heaters".into(), "drain cleaning".into()];
    plumber.rating = Some((4.5, 12));
    plumber.verified = true;
    let plumber = directory::create(db, &plumber, now).await?;
    photos::add(
        db,
        plumber.id,
        PHOTO_KEY,
        "image/png",
        "The shop front",
        0,
        now,
    )
    .await?;

    let mut supply = base("Zyzzogeton Supply", trades, "Hugo", HUGO)?;
    supply.description =
        "Pipe, fittings and plumbing parts; we also sell zyzzogeton-brand tools.".into();
    let supply = directory::create(db, &supply, now).await?;
    photos::add(
        db,
        supply.id,
        REMOVABLE_PHOTO_KEY,
        "image/png",
        "Old sign",
        0,
        now,
    )
    .await?;

    let mut hostile = base(HOSTILE_NAME, plumbing, "Broken Bow", BROKEN_BOW)?;
    hostile.description = "\"'><img src=x onerror=alert(1)> '; DROP TABLE businesses; --".into();
    hostile.keywords = vec!["<b>bold</b>".into()];
    directory::create(db, &hostile, now).await?;

    directory::create(
        db,
        &base("Café Ñandú Zyzzogeton", trades, "Antlers", ANTLERS)?,
        now,
    )
    .await?;

    let mut featured = base("Zyzzogeton Featured Fixtures", trades, "Paris", PARIS)?;
    featured.state = StateCode::Texas;
    let featured = directory::create(db, &featured, now).await?;
    featured::create_slot(
        db,
        featured.id,
        FEATURED_FROM,
        FEATURED_FROM + 10 * 365 * 86_400,
        now,
    )
    .await?;

    let mut draft = base("Zyzzogeton Hidden Draft", plumbing, "Idabel", IDABEL)?;
    draft.published = false;
    let draft = directory::create(db, &draft, now).await?;
    photos::add(
        db,
        draft.id,
        DRAFT_PHOTO_KEY,
        "image/png",
        "Not yet",
        0,
        now,
    )
    .await?;
    let closed = directory::create(
        db,
        &base("Zyzzogeton Closed", plumbing, "Idabel", IDABEL)?,
        now,
    )
    .await?;
    directory::set_active(db, closed.id, false, now).await?;
    let suspended = directory::create(
        db,
        &base("Zyzzogeton Suspended", plumbing, "Idabel", IDABEL)?,
        now,
    )
    .await?;
    directory::set_visibility(db, suspended.id, Visibility::Suspended, now).await?;

    for (slug, published_at) in [(POST_SLUG, Some(now - 86_400)), (DRAFT_POST_SLUG, None)] {
        let slug = parse(Slug::parse("slug", slug))?;
        let post = NewPost {
            slug: &slug,
            title: "Zyzzogeton <Plumbing> opens",
            summary: "A new shop & a grand opening.",
            body: "Doors open Monday.\n\nCome by for coffee.",
            author: "E2E",
            published_at,
        };
        blog::create(db, &post, now).await?;
    }
    for i in 0..PAGETEST_COUNT {
        let business = base(
            &format!("Pagetest Store {i:02}"),
            trades,
            "Atoka",
            (34.3857, -96.1283),
        )?;
        directory::create(db, &business, now).await?;
    }
    // The fake Google's admin identity is an admin here, as `cargo xtask admin grant` makes one.
    let admin = parse(Email::parse("email", crate::sign_in::ADMIN))?;
    accounts::grant_by_email(db, &admin, Role::Admin, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_domain::search::{SearchParams, SearchQuery, search};
    use kbc_domain::values::Slug;
    use pollster::block_on;

    #[test]
    fn fixtures_install_with_the_slugs_and_counts_the_tests_rely_on() {
        let db = SqliteDatabase::in_memory().unwrap();
        block_on(install(&db, 1_800_000_000)).unwrap();
        for slug in [
            PLUMBER_SLUG,
            SUPPLY_SLUG,
            HOSTILE_SLUG,
            UNICODE_SLUG,
            FEATURED_SLUG,
        ] {
            let found = block_on(directory::find_public(
                &db,
                &Slug::parse("slug", slug).unwrap(),
            ))
            .unwrap();
            assert!(found.is_some(), "{slug} is public");
        }
        for slug in [DRAFT_SLUG, CLOSED_SLUG] {
            let found = block_on(directory::find_public(
                &db,
                &Slug::parse("slug", slug).unwrap(),
            ))
            .unwrap();
            assert!(found.is_none(), "{slug} is hidden");
        }
        let count = |q: &str| {
            let query = SearchQuery::parse(&SearchParams {
                q: Some(q.into()),
                ..SearchParams::default()
            })
            .unwrap();
            block_on(search(&db, &query)).unwrap().total
        };
        assert_eq!(count("zyzzogeton"), PUBLIC_ZYZZOGETON);
        assert_eq!(count("pagetest"), PAGETEST_COUNT);
    }
}
