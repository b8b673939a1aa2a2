//! Featured slots: paid or editorial windows during which a listing is featured. The daily
//! rotation turns the `is_featured` flag on for listings inside a window and off for the rest.

use crate::db::{Database, DbResult, Statement, fetch_integer};

pub async fn create_slot(
    db: &impl Database,
    business_id: i64,
    starts_at: i64,
    ends_at: i64,
    now: i64,
) -> DbResult<i64> {
    let statement = Statement::new(
        "INSERT INTO featured_slots (business_id, starts_at, ends_at, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
    )
    .bind(business_id)
    .bind(starts_at)
    .bind(ends_at)
    .bind(now);
    fetch_integer(db, &statement).await
}

/// What a rotation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Rotation {
    pub featured: u64,
    pub unfeatured: u64,
    pub now_featured: i64,
}

/// Applies the slots active at `now`. Running it twice in a row changes nothing the second
/// time (only rows whose flag differs are touched), so a repeated cron is harmless.
pub async fn rotate(db: &impl Database, now: i64) -> DbResult<Rotation> {
    const ACTIVE: &str =
        "SELECT business_id FROM featured_slots WHERE starts_at <= ?1 AND ends_at > ?1";
    let featured = db
        .query(
            &Statement::new(format!(
                "UPDATE businesses SET is_featured = 1, updated_at = ?1 WHERE is_featured = 0 AND id IN
                    ({ACTIVE}) RETURNING id"
            ))
            .bind(now),
        )
        .await?
        .len() as u64;
    let unfeatured = db
        .query(
            &Statement::new(format!(
                "UPDATE businesses SET is_featured = 0, updated_at = ?1 WHERE is_featured = 1 AND id NOT IN
                    ({ACTIVE}) RETURNING id"
            ))
            .bind(now),
        )
        .await?
        .len() as u64;
    let now_featured = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM businesses WHERE is_featured = 1"),
    )
    .await?;
    Ok(Rotation {
        featured,
        unfeatured,
        now_featured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    #[test]
    fn rotation_features_active_slots_and_unfeatures_expired_ones_idempotently() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let current = insert(&db, &business("Current Cafe", c));
        let mut stale = business("Stale Diner", c);
        stale.featured = true;
        let stale = insert(&db, &stale);
        let future = insert(&db, &business("Future Grill", c));
        block_on(create_slot(&db, current.id, 100, 200, 1)).unwrap();
        block_on(create_slot(&db, stale.id, 10, 50, 1)).unwrap();
        block_on(create_slot(&db, future.id, 300, 400, 1)).unwrap();

        assert_eq!(
            block_on(rotate(&db, 150)).unwrap(),
            Rotation {
                featured: 1,
                unfeatured: 1,
                now_featured: 1
            }
        );
        assert_eq!(
            block_on(rotate(&db, 150)).unwrap(),
            Rotation {
                featured: 0,
                unfeatured: 0,
                now_featured: 1
            }
        );
        assert_eq!(
            block_on(rotate(&db, 350)).unwrap(),
            Rotation {
                featured: 1,
                unfeatured: 1,
                now_featured: 1
            }
        );
    }

    #[test]
    fn a_slot_must_end_after_it_starts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let b = insert(&db, &business("Cafe", c));
        assert!(block_on(create_slot(&db, b.id, 200, 100, 1)).is_err());
    }
}
