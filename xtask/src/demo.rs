//! The demo's people and listings for `cargo xtask dev`: the fake Google's admin identity is
//! invited as admin, and one listing — Ridgeline Plumbing — carries the fake owner identity's
//! email, so signing in as that owner and claiming it makes them its owner at once, with two
//! customer requests waiting in its inbox. It and two listings that have nothing but a name,
//! a category, a town and a website (Pine Ridge Bakery, Kiamichi Outfitters) point at the
//! fake business websites (`kbc_cf_fake::sites`), which say much more than the listings do,
//! so firing the analyzer's cron has something to suggest and to fill in. Each listing is
//! written once; running again changes nothing.

use anyhow::Result;
use kbc_cf_fake::{oidc, sites};
use kbc_domain::DomainError;
use kbc_domain::accounts::{self, Role};
use kbc_domain::categories;
use kbc_domain::db::Database;
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::directory::{self, NewBusiness};
use kbc_domain::leads::LeadInput;
use kbc_domain::values::{BusinessName, CityName, Email, Slug, StateCode, WebUrl};

/// The demo owner's listing, as its public address names it.
pub const OWNER_LISTING: &str = "ridgeline-plumbing-idabel";
/// The listings the analyzer fills in from their websites.
pub const BAKERY_LISTING: &str = "pine-ridge-bakery-broken-bow";
pub const OUTFITTERS_LISTING: &str = "kiamichi-outfitters-talihina";

/// The fake identities the demo gives a role: (email, what they are).
pub fn admin_email() -> &'static str {
    oidc::IDENTITIES[0].email
}

pub fn owner_email() -> &'static str {
    oidc::IDENTITIES[1].email
}

/// Installs the demo; its listings' websites are the fake sites served at `sites_url`
/// (`http://127.0.0.1:PORT`).
pub fn install(db: &SqliteDatabase, sites_url: &str, now: i64) -> Result<()> {
    Ok(pollster::block_on(install_in(db, sites_url, now))?)
}

async fn install_in(db: &SqliteDatabase, sites_url: &str, now: i64) -> Result<(), DomainError> {
    let admin = Email::parse("email", admin_email())?;
    db.batch(&accounts::grant_by_email_statements(
        &admin,
        Role::Admin,
        now,
    ))
    .await?;
    // The site says more than the listing: its phone, street, hours and social profiles,
    // and an office email and a description that differ from the listing's.
    let mut plumbing = sparse(
        db,
        "Ridgeline Plumbing",
        "plumbing",
        "Idabel",
        &sites::home_url(sites_url, sites::RIDGELINE_PLUMBING),
    )
    .await?;
    plumbing.description =
        "Drain cleaning, water heaters and leak repair across McCurtain County.".into();
    // How its owner claims it at once: the claimant's email is the listing's.
    plumbing.email = Some(Email::parse("email", owner_email())?);
    if create_once(db, OWNER_LISTING, &plumbing, now).await? {
        add_leads(db, &Slug::parse("slug", OWNER_LISTING)?, now).await?;
    }
    let bakery = sparse(
        db,
        "Pine Ridge Bakery",
        "bakeries",
        "Broken Bow",
        &sites::home_url(sites_url, sites::PINE_RIDGE_BAKERY),
    )
    .await?;
    create_once(db, BAKERY_LISTING, &bakery, now).await?;
    let outfitters = sparse(
        db,
        "Kiamichi Outfitters",
        "hunting-fishing",
        "Talihina",
        &sites::home_url(sites_url, sites::KIAMICHI_OUTFITTERS),
    )
    .await?;
    create_once(db, OUTFITTERS_LISTING, &outfitters, now).await?;
    Ok(())
}

/// A published Oklahoma listing with only a name, a seeded category, a town and a website.
async fn sparse(
    db: &SqliteDatabase,
    name: &str,
    category: &str,
    city: &str,
    website: &str,
) -> Result<NewBusiness, DomainError> {
    let category = categories::find_by_slug(db, &Slug::parse("slug", category)?)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("the seeded {category} category")))?;
    let mut listing = NewBusiness::new(
        BusinessName::parse("name", name)?,
        category.id,
        CityName::parse("city", city)?,
        StateCode::parse("state", "OK")?,
    );
    listing.website = Some(WebUrl::parse("website", website)?);
    Ok(listing)
}

/// Creates `listing` unless `slug` is already taken; whether it did.
async fn create_once(
    db: &SqliteDatabase,
    slug: &str,
    listing: &NewBusiness,
    now: i64,
) -> Result<bool, DomainError> {
    if directory::public_id(db, &Slug::parse("slug", slug)?)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let created = directory::create(db, listing, now).await?;
    // A seeded draft of the same name would push ours to `…-2`, and the next run would not
    // know it had written it.
    if created.slug.as_str() != slug {
        return Err(DomainError::invalid(
            "name",
            format!(
                "the demo listing {slug} was created as {}: the database already has one of that name",
                created.slug
            ),
        ));
    }
    Ok(true)
}

async fn add_leads(db: &SqliteDatabase, slug: &Slug, now: i64) -> Result<(), DomainError> {
    for (name, message) in [
        (
            "Dana",
            "Our water heater is leaking; can someone come this week?",
        ),
        ("Sam", "Quote for clearing a slow kitchen drain, please."),
    ] {
        let lead = LeadInput {
            name: Some(name.into()),
            email: Some(format!("{}@example.com", name.to_ascii_lowercase())),
            phone: None,
            message: Some(message.into()),
            homepage: None,
        }
        .parse()
        .map_err(DomainError::Invalid)?;
        kbc_domain::leads::create(db, slug, &lead, "demo", now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{self, Plan};
    use kbc_domain::db::{Statement, fetch_integer};

    const SITES_URL: &str = "http://127.0.0.1:8793";
    const INSTALLED: i64 = 1_795_456_800;

    fn count(db: &SqliteDatabase, statement: Statement) -> i64 {
        pollster::block_on(fetch_integer(db, &statement)).unwrap()
    }

    /// A seeded database of `businesses` listings with the demo installed on it, twice.
    fn installed_twice(businesses: u32) -> SqliteDatabase {
        let db = SqliteDatabase::in_memory().unwrap();
        let plan = Plan {
            businesses,
            seed: seed::FIXED_SEED,
        };
        seed::generate(&db, &plan, INSTALLED).unwrap();
        install(&db, SITES_URL, INSTALLED).unwrap();
        install(&db, SITES_URL, INSTALLED + 100).unwrap();
        db
    }

    #[test]
    fn the_demo_owner_listing_carries_the_fake_owners_email_and_its_fake_website() {
        let db = installed_twice(3);

        let owned = Statement::new(
            "SELECT count(*) FROM businesses WHERE slug = ?1 AND email = ?2 AND website = ?3
               AND status = 'published'",
        )
        .bind(OWNER_LISTING)
        .bind(owner_email())
        .bind("http://127.0.0.1:8793/ridgeline-plumbing/");
        assert_eq!(count(&db, owned), 1);
        assert_eq!(count(&db, Statement::new("SELECT count(*) FROM leads")), 2);
        let admins = "SELECT count(*) FROM role_invitations WHERE role = 'admin'";
        assert_eq!(count(&db, Statement::new(admins)), 1);
    }

    #[test]
    fn the_demo_owner_listing_leaves_its_phone_street_and_hours_to_its_website() {
        let db = installed_twice(3);

        let bare = Statement::new(
            "SELECT count(*) FROM businesses b WHERE slug = ?1 AND phone IS NULL AND street = ''
               AND zip = '' AND latitude IS NULL
               AND NOT EXISTS (SELECT 1 FROM business_hours WHERE business_id = b.id)
               AND NOT EXISTS (SELECT 1 FROM business_social_links WHERE business_id = b.id)",
        )
        .bind(OWNER_LISTING);
        assert_eq!(count(&db, bare), 1);
    }

    #[test]
    fn the_bakery_and_the_outfitters_have_only_a_name_category_town_and_website() {
        let db = installed_twice(3);

        for (slug, name, category, city, website) in [
            (
                BAKERY_LISTING,
                "Pine Ridge Bakery",
                "bakeries",
                "Broken Bow",
                "http://127.0.0.1:8793/pine-ridge-bakery/",
            ),
            (
                OUTFITTERS_LISTING,
                "Kiamichi Outfitters",
                "hunting-fishing",
                "Talihina",
                "http://127.0.0.1:8793/kiamichi-outfitters/",
            ),
        ] {
            let sparse = Statement::new(
                "SELECT count(*) FROM businesses b JOIN categories c ON c.id = b.category_id
                  WHERE b.slug = ?1 AND b.name = ?2 AND c.slug = ?3 AND b.city = ?4
                    AND b.state = 'OK' AND b.website = ?5 AND b.status = 'published'
                    AND b.description = '' AND b.phone IS NULL AND b.email IS NULL
                    AND b.street = '' AND b.zip = '' AND b.latitude IS NULL
                    AND NOT EXISTS (SELECT 1 FROM business_hours WHERE business_id = b.id)
                    AND NOT EXISTS (SELECT 1 FROM business_social_links WHERE business_id = b.id)",
            )
            .bind(slug)
            .bind(name)
            .bind(category)
            .bind(city)
            .bind(website);
            assert_eq!(count(&db, sparse), 1, "{slug}");
        }
    }

    #[test]
    fn installing_again_writes_nothing() {
        let db = installed_twice(3);

        let demo = Statement::new(
            "SELECT count(*) FROM businesses WHERE slug IN (?1, ?2, ?3) AND updated_at = ?4",
        )
        .bind(OWNER_LISTING)
        .bind(BAKERY_LISTING)
        .bind(OUTFITTERS_LISTING)
        .bind(INSTALLED);
        assert_eq!(count(&db, demo), 3);
        let all = Statement::new("SELECT count(*) FROM businesses");
        assert_eq!(count(&db, all), 3 + 3);
    }

    #[test]
    fn the_dev_seed_leaves_every_demo_listing_its_own_slug() {
        // `install` refuses a listing pushed to another slug by a seeded namesake.
        let db = installed_twice(crate::dev::DEMO_BUSINESSES);

        let demo = Statement::new(
            "SELECT count(*) FROM businesses WHERE slug IN (?1, ?2, ?3) AND website LIKE ?4 || '/%'",
        )
        .bind(OWNER_LISTING)
        .bind(BAKERY_LISTING)
        .bind(OUTFITTERS_LISTING)
        .bind(SITES_URL);
        assert_eq!(count(&db, demo), 3);
    }
}
