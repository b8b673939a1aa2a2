//! `cargo xtask seed`: deterministic synthetic directory data for demos, end-to-end tests
//! and benchmarks, written natively into the local D1 file through the domain API.
//!
//! The same seed and size always produce the same categories, listings (a handful on the paid
//! plus and premium plans) and posts; the featured rotation then runs at the clock's time, so
//! six listings, paid ones first, are featured now. Nothing is drawn from real people: see
//! [`listing`] for how contact details stay fictional.

mod catalog;
mod listing;
mod posts;
mod rng;
mod towns;
mod words;

use crate::state;
use anyhow::Result;
use kbc_domain::categories::{self, NewCategory};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::db::{Statement, fetch_integer};
use kbc_domain::values::{self, Slug};
use kbc_domain::{DomainError, directory, featured};
use rng::Rng;
use std::path::Path;
use std::time::{Duration, Instant};

/// The seed `test` and `bench` use, so their data is the same on every machine.
pub const FIXED_SEED: u64 = 2025;

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub businesses: u32,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub categories: usize,
    pub businesses: u32,
    pub drafts: u32,
    /// Listings on a paid plan.
    pub paid: u32,
    pub featured: i64,
    pub posts: usize,
}

/// What [`seed_state`] did.
pub enum Seeded {
    Fresh(Summary, Duration),
    /// The database already had this many businesses; nothing was written.
    Already(i64),
}

/// Seeds the D1 of a migrated state directory, unless it already holds businesses.
pub fn seed_state(state_dir: &Path, plan: &Plan, now: i64) -> Result<Seeded> {
    let db = state::open_d1(state_dir)?;
    let existing = business_count(&db)?;
    if existing > 0 {
        return Ok(Seeded::Already(existing));
    }
    let started = Instant::now();
    let summary = generate(&db, plan, now)?;
    Ok(Seeded::Fresh(summary, started.elapsed()))
}

pub fn business_count(db: &SqliteDatabase) -> Result<i64> {
    let count = pollster::block_on(fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM businesses"),
    ))?;
    Ok(count)
}

/// Writes the whole data set in one transaction: all of it or nothing.
pub fn generate(db: &SqliteDatabase, plan: &Plan, now: i64) -> Result<Summary> {
    db.in_transaction(|| pollster::block_on(generate_in(db, plan, now)))
}

async fn generate_in(db: &SqliteDatabase, plan: &Plan, now: i64) -> Result<Summary> {
    let leaves = install_categories(db).await?;
    let (mut drafts, mut paid) = (0, 0);
    for index in 0..plan.businesses {
        let mut rng = Rng::for_item(plan.seed, u64::from(index));
        let (leaf, category_id) = *rng.pick(&leaves);
        let town = towns::weighted(&mut rng);
        let listing = listing::generate(&mut rng, leaf, category_id, town)?;
        directory::create(db, &listing.business, listing.created_at).await?;
        if !listing.business.published {
            drafts += 1;
        }
        if listing.business.plan != values::Plan::Free {
            paid += 1;
        }
    }
    let rotation = featured::rotate(db, now).await?;
    let posts = posts::install(db).await?;
    Ok(Summary {
        categories: leaves.len() + catalog::GROUPS.len(),
        businesses: plan.businesses,
        drafts,
        paid,
        featured: rotation.now_featured,
        posts,
    })
}

/// Creates the category tree; returns each leaf with its id.
async fn install_categories(
    db: &SqliteDatabase,
) -> Result<Vec<(&'static catalog::Leaf, i64)>, DomainError> {
    let mut leaves = Vec::new();
    for (group_position, group) in catalog::GROUPS.iter().enumerate() {
        let slug = Slug::parse("slug", group.slug)?;
        let group_id = categories::create(
            db,
            &NewCategory {
                slug: &slug,
                name: group.name,
                description: group.description,
                icon: group.icon,
                parent: None,
                position: group_position as i64,
            },
            listing::BASE_TIME,
        )
        .await?;
        for (position, leaf) in group.leaves.iter().enumerate() {
            let slug = Slug::parse("slug", leaf.slug)?;
            let id = categories::create(
                db,
                &NewCategory {
                    slug: &slug,
                    name: leaf.name,
                    description: leaf.description,
                    icon: leaf.icon,
                    parent: Some(group_id),
                    position: position as i64,
                },
                listing::BASE_TIME,
            )
            .await?;
            leaves.push((leaf, id));
        }
    }
    Ok(leaves)
}

/// Everyday search terms that match seeded listings (each leaf category's first keyword).
pub fn search_terms() -> Vec<&'static str> {
    catalog::leaves().map(|leaf| leaf.keywords[0]).collect()
}

/// The towns listings are placed in.
pub fn town_names() -> Vec<&'static str> {
    towns::TOWNS.iter().map(|town| town.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_domain::db::Database;

    const NOW: i64 = 1_760_000_000;

    fn seeded(businesses: u32, seed: u64) -> (SqliteDatabase, Summary) {
        let db = SqliteDatabase::in_memory().unwrap();
        let summary = generate(&db, &Plan { businesses, seed }, NOW).unwrap();
        (db, summary)
    }

    fn column(db: &SqliteDatabase, sql: &str) -> Vec<String> {
        pollster::block_on(db.query(&Statement::new(sql)))
            .unwrap()
            .into_iter()
            .map(|row| {
                let value = row.values().next().unwrap();
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
            })
            .collect()
    }

    fn count(db: &SqliteDatabase, sql: &str) -> i64 {
        pollster::block_on(fetch_integer(db, &Statement::new(sql))).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_directory() {
        let (a, _) = seeded(150, 7);
        let (b, _) = seeded(150, 7);
        let (c, _) = seeded(150, 8);
        let listing = "SELECT slug || '|' || name || '|' || description || '|' || coalesce(phone, '') \
                       FROM businesses ORDER BY id";
        assert_eq!(column(&a, listing), column(&b, listing));
        assert_ne!(column(&a, listing), column(&c, listing));
    }

    #[test]
    fn counts_and_proportions_are_as_planned() {
        let (db, summary) = seeded(1_000, FIXED_SEED);
        assert_eq!(summary.businesses, 1_000);
        assert_eq!(count(&db, "SELECT count(*) FROM businesses"), 1_000);
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM categories WHERE parent_id IS NULL"
            ),
            12
        );
        assert_eq!(
            count(&db, "SELECT count(*) FROM categories") as usize,
            summary.categories
        );
        let drafts = count(
            &db,
            "SELECT count(*) FROM businesses WHERE status = 'draft'",
        );
        assert_eq!(drafts, i64::from(summary.drafts));
        assert!((10..=60).contains(&drafts), "{drafts} drafts");
        let featured = count(&db, "SELECT count(*) FROM businesses WHERE is_featured = 1");
        assert_eq!(
            (featured, summary.featured),
            (6, 6),
            "the rotation's six places"
        );
        let paid = count(&db, "SELECT count(*) FROM businesses WHERE plan <> 'free'");
        assert_eq!(paid, i64::from(summary.paid));
        assert!(
            (4..=20).contains(&paid),
            "a handful of paid listings: {paid}"
        );
        assert!(
            count(
                &db,
                "SELECT count(*) FROM businesses WHERE plan = 'premium'"
            ) > 0,
            "some of them premium"
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM businesses WHERE is_featured = 1 AND plan <> 'free'"
            ),
            paid.min(6),
            "paid listings are featured first"
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM businesses WHERE is_featured = 1 AND status <> 'published'"
            ),
            0
        );
        let rated = count(
            &db,
            "SELECT count(*) FROM businesses WHERE rating_average IS NOT NULL",
        );
        assert!((620..=780).contains(&rated), "{rated} rated");
        let verified = count(&db, "SELECT count(*) FROM businesses WHERE is_verified = 1");
        assert!((240..=360).contains(&verified), "{verified} verified");
        let social = count(
            &db,
            "SELECT count(DISTINCT business_id) FROM business_social_links",
        );
        assert!((330..=470).contains(&social), "{social} with social links");
        assert!(
            count(
                &db,
                "SELECT count(*) FROM business_hours WHERE closes_at > 1440"
            ) > 0
        );
        assert!(count(&db, "SELECT count(*) FROM business_service_areas") > 0);
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM blog_posts WHERE status = 'published'"
            ),
            4
        );
        assert_eq!(
            count(
                &db,
                "SELECT count(*) FROM blog_posts WHERE status = 'draft'"
            ),
            1
        );
        assert_eq!(summary.posts, 5);
    }

    #[test]
    fn every_listing_reads_back_through_the_public_api_with_fictional_contacts() {
        let (db, _) = seeded(300, 3);
        for slug in column(
            &db,
            "SELECT slug FROM businesses WHERE status = 'published' ORDER BY id",
        ) {
            let slug = Slug::parse("slug", &slug).unwrap();
            let detail = pollster::block_on(directory::find_public(&db, &slug))
                .unwrap()
                .unwrap();
            let location = detail.location.unwrap();
            assert!((33.3..35.5).contains(&location.latitude), "{slug}");
            assert!((-96.5..-93.8).contains(&location.longitude), "{slug}");
            if let Some(phone) = detail.phone_display {
                assert!(phone[5..].starts_with(" 555-01"), "{phone}");
            }
            if let Some(email) = detail.email {
                assert!(
                    email.ends_with("@example.com") || email.ends_with("@example.net"),
                    "{email}"
                );
            }
            if let Some(website) = detail.website {
                assert!(website.ends_with(".example.com/"), "{website}");
            }
            assert!((3..=6).contains(&detail.keywords.len()), "{slug}");
            assert!(!detail.description.is_empty());
        }
    }

    #[test]
    fn search_terms_find_seeded_listings() {
        let (db, _) = seeded(400, FIXED_SEED);
        for term in ["plumbing", "bakery", "church", "cabin"] {
            assert!(search_terms().contains(&term));
            let sql = format!(
                "SELECT count(*) FROM business_search WHERE business_search MATCH '\"{term}\"'"
            );
            assert!(count(&db, &sql) > 0, "{term}");
        }
    }
}
