//! The demo's people for `cargo xtask dev`: the fake Google's admin identity is invited as
//! admin, and one listing — Ridgeline Plumbing — carries the fake owner identity's email,
//! so signing in as that owner and claiming it makes them its owner at once, with two
//! customer requests waiting in its inbox. Written once; running again changes nothing.

use anyhow::Result;
use kbc_cf_fake::oidc;
use kbc_domain::DomainError;
use kbc_domain::accounts::{self, Role};
use kbc_domain::categories;
use kbc_domain::db::Database;
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::directory::{self, NewBusiness, OpeningHours};
use kbc_domain::leads::LeadInput;
use kbc_domain::values::{BusinessName, CityName, Email, Phone, Slug, StateCode, WebUrl};

/// The demo owner's listing, as its public address names it.
pub const OWNER_LISTING: &str = "ridgeline-plumbing-idabel";

/// The fake identities the demo gives a role: (email, what they are).
pub fn admin_email() -> &'static str {
    oidc::IDENTITIES[0].email
}

pub fn owner_email() -> &'static str {
    oidc::IDENTITIES[1].email
}

pub fn install(db: &SqliteDatabase, now: i64) -> Result<()> {
    Ok(pollster::block_on(install_in(db, now))?)
}

async fn install_in(db: &SqliteDatabase, now: i64) -> Result<(), DomainError> {
    let admin = Email::parse("email", admin_email())?;
    db.batch(&accounts::grant_by_email_statements(
        &admin,
        Role::Admin,
        now,
    ))
    .await?;
    let slug = Slug::parse("slug", OWNER_LISTING)?;
    if directory::public_id(db, &slug).await?.is_some() {
        return Ok(());
    }
    let category = categories::find_by_slug(db, &Slug::parse("slug", "plumbing")?)
        .await?
        .ok_or_else(|| DomainError::NotFound("the seeded plumbing category".into()))?;
    let mut listing = NewBusiness::new(
        BusinessName::parse("name", "Ridgeline Plumbing")?,
        category.id,
        CityName::parse("city", "Idabel")?,
        StateCode::parse("state", "OK")?,
    );
    listing.description =
        "Drain cleaning, water heaters and leak repair across McCurtain County.".into();
    listing.phone = Some(Phone::parse("phone", "580-555-0142")?);
    listing.email = Some(Email::parse("email", owner_email())?);
    listing.website = Some(WebUrl::parse("website", "https://ridgeline-plumbing.test")?);
    listing.street = "12 Ridge Road".into();
    listing.hours = (1..=5)
        .map(|day| OpeningHours::new(day, 8 * 60, 17 * 60))
        .collect::<Result<_, _>>()?;
    directory::create(db, &listing, now).await?;
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
        kbc_domain::leads::create(db, &slug, &lead, "demo", now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{self, Plan};
    use kbc_domain::db::{Statement, fetch_integer};

    fn count(db: &SqliteDatabase, sql: &str) -> i64 {
        pollster::block_on(fetch_integer(db, &Statement::new(sql))).unwrap()
    }

    #[test]
    fn the_demo_owner_listing_carries_the_fake_owners_email_and_is_written_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let plan = Plan {
            businesses: 3,
            seed: seed::FIXED_SEED,
        };
        seed::generate(&db, &plan, 1_795_456_800).unwrap();
        install(&db, 1_795_456_800).unwrap();
        install(&db, 1_795_456_900).unwrap();
        let owned = "SELECT count(*) FROM businesses WHERE slug = 'ridgeline-plumbing-idabel'
                       AND email = 'owner@ridgeline-plumbing.test' AND status = 'published'";
        assert_eq!(count(&db, owned), 1);
        assert_eq!(count(&db, "SELECT count(*) FROM leads"), 2);
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM role_invitations WHERE role = 'admin'"
            ),
            1
        );
    }
}
