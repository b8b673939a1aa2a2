//! Public directory statistics.

use crate::db::{Database, DbError, DbResult, Statement, fetch_all, fetch_optional};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub state: String,
    pub businesses: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub businesses: i64,
    pub verified_businesses: i64,
    pub featured_businesses: i64,
    pub categories: i64,
    pub cities: i64,
    /// Unix time of the most recent change to a public listing, if any.
    pub last_updated_at: Option<i64>,
    #[serde(default)]
    pub by_state: Vec<StateCount>,
}

pub async fn directory(db: &impl Database) -> DbResult<Stats> {
    const PUBLIC: &str = public_listing!();
    let mut stats: Stats = fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT count(*) AS businesses,
                    coalesce(sum(is_verified), 0) AS verified_businesses,
                    coalesce(sum(is_featured), 0) AS featured_businesses,
                    (SELECT count(*) FROM categories) AS categories,
                    count(DISTINCT city_slug) AS cities,
                    max(updated_at) AS last_updated_at
               FROM businesses WHERE {PUBLIC}"
        )),
    )
    .await?
    .ok_or_else(|| DbError("the statistics aggregate returned no row".into()))?;
    stats.by_state = fetch_all(
        db,
        &Statement::new(format!(
            "SELECT state, count(*) AS businesses FROM businesses WHERE {PUBLIC} GROUP BY state ORDER BY state"
        )),
    )
    .await?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::values::{CityName, StateCode};
    use pollster::block_on;

    #[test]
    fn an_empty_directory_has_zero_counts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let stats = block_on(directory(&db)).unwrap();
        assert_eq!(
            (stats.businesses, stats.cities, stats.last_updated_at),
            (0, 0, None)
        );
        assert!(stats.by_state.is_empty());
    }

    #[test]
    fn counts_cover_public_listings_only() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let mut verified = business("A Cafe", c);
        verified.verified = true;
        insert(&db, &verified);
        let mut paris = business("B Cafe", c);
        paris.city = CityName::parse("c", "Paris").unwrap();
        paris.state = StateCode::Texas;
        insert(&db, &paris);
        let mut draft = business("C Cafe", c);
        draft.published = false;
        draft.state = StateCode::Arkansas;
        insert(&db, &draft);

        let stats = block_on(directory(&db)).unwrap();
        assert_eq!(
            (
                stats.businesses,
                stats.verified_businesses,
                stats.categories,
                stats.cities
            ),
            (2, 1, 1, 2)
        );
        assert_eq!(
            stats.by_state,
            vec![
                StateCount {
                    state: "OK".into(),
                    businesses: 1
                },
                StateCount {
                    state: "TX".into(),
                    businesses: 1
                }
            ]
        );
    }
}
