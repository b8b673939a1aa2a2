//! Featured listings: the slots that feature them and the daily rotation that fills the slots.
//!
//! [`PLACES`] listings are featured at a time. An admin's slot is a lock: it counts against
//! the places and the rotation never ends or moves it. The rotation ([`rotate`], the 00:00
//! cron) fills the free places for [`TERM`] each with published listings that are not
//! featured now and whose last slot ended more than [`REST`] ago: paid tiers first (premium,
//! plus, free), then the least recently featured, then the oldest id. The listings'
//! `is_featured` flag, which the public site reads, follows the slots active at that moment.

use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::values::Plan;
use serde::Deserialize;

/// How many listings are featured at a time.
pub const PLACES: i64 = 6;
/// A rotation slot's term.
pub const TERM: i64 = 7 * 86_400;
/// How long a listing rests after its slot ends before the rotation features it again.
pub const REST: i64 = 30 * 86_400;

/// The listings of the slots active at `?1`.
const ACTIVE: &str =
    "SELECT business_id FROM featured_slots WHERE starts_at <= ?1 AND ends_at > ?1";

/// An admin's lock on a featured place from `?2` to `?3` for listing `?1`, made at `?4`.
const LOCK: &str =
    "INSERT INTO featured_slots (business_id, starts_at, ends_at, created_at, locked)
                    VALUES (?1, ?2, ?3, ?4, 1)";

fn lock(sql: String, business_id: i64, starts_at: i64, ends_at: i64, now: i64) -> Statement {
    Statement::new(sql)
        .bind(business_id)
        .bind(starts_at)
        .bind(ends_at)
        .bind(now)
}

/// Makes an admin's slot (a lock); the flags follow at the next [`rotate`].
pub async fn create_slot(
    db: &impl Database,
    business_id: i64,
    starts_at: i64,
    ends_at: i64,
    now: i64,
) -> DbResult<i64> {
    let sql = format!("{LOCK} RETURNING id");
    fetch_integer(db, &lock(sql, business_id, starts_at, ends_at, now)).await
}

/// An admin's lock with the flags brought in line at `now`, for one batch with its audit
/// entry: a lock starting now features the listing at once.
pub(crate) fn lock_now(business_id: i64, starts_at: i64, ends_at: i64, now: i64) -> Vec<Statement> {
    let mut statements = vec![lock(LOCK.to_owned(), business_id, starts_at, ends_at, now)];
    statements.extend(sync(now));
    statements
}

/// Turns `is_featured` on for listings in a slot active at `now` and off for the rest. Each
/// statement touches only the rows whose flag differs, so repeating it changes nothing.
fn sync(now: i64) -> [Statement; 2] {
    [
        Statement::new(format!(
            "UPDATE businesses SET is_featured = 1, updated_at = ?1 WHERE is_featured = 0 AND id IN ({ACTIVE})"
        ))
        .bind(now),
        Statement::new(format!(
            "UPDATE businesses SET is_featured = 0, updated_at = ?1 WHERE is_featured = 1 AND id NOT IN ({ACTIVE})"
        ))
        .bind(now),
    ]
}

/// Starts a rotation slot for each free place at `now`. The places taken and the listings
/// that may be chosen are read inside the statement, so a second run at the same moment (or
/// one overlapping it: D1 runs a batch as one transaction) finds no free place and nobody
/// eligible, and inserts nothing. `max(0, …)`: SQLite reads a negative LIMIT as no limit.
fn fill(now: i64) -> Statement {
    Statement::new(
        "INSERT INTO featured_slots (business_id, starts_at, ends_at, created_at, locked)
         SELECT b.id, ?1, ?1 + ?2, ?1, 0
           FROM businesses b
          WHERE b.status = 'published' AND b.is_active = 1
            AND NOT EXISTS (SELECT 1 FROM featured_slots s
                             WHERE s.business_id = b.id AND s.ends_at >= ?1 - ?3)
          ORDER BY CASE b.plan WHEN 'premium' THEN 0 WHEN 'plus' THEN 1 ELSE 2 END,
                   coalesce((SELECT max(s.ends_at) FROM featured_slots s WHERE s.business_id = b.id), 0),
                   b.id
          LIMIT max(0, ?4 - (SELECT count(DISTINCT business_id) FROM featured_slots
                              WHERE starts_at <= ?1 AND ends_at > ?1))",
    )
    .bind(now)
    .bind(TERM)
    .bind(REST)
    .bind(PLACES)
}

/// What a rotation changed, and where it left the places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Rotation {
    /// Rotation slots this run started.
    pub started: u64,
    /// Listings whose flag this run turned on.
    pub featured: u64,
    /// Listings whose flag this run turned off.
    pub unfeatured: u64,
    /// Listings featured after the run.
    pub now_featured: i64,
    /// Of those, listings held by an admin's lock.
    pub locked: i64,
}

/// What [`rotate`] compares before and after its batch, to report what it changed.
struct Snapshot {
    featured: Vec<i64>,
    slots: i64,
    locked: i64,
}

async fn snapshot(db: &impl Database, now: i64) -> DbResult<Snapshot> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let featured: Vec<Id> = fetch_all(
        db,
        &Statement::new("SELECT id FROM businesses WHERE is_featured = 1 ORDER BY id"),
    )
    .await?;
    let slots = fetch_integer(db, &Statement::new("SELECT count(*) FROM featured_slots")).await?;
    let locked = fetch_integer(
        db,
        &Statement::new(
            "SELECT count(DISTINCT business_id) FROM featured_slots
              WHERE locked = 1 AND starts_at <= ?1 AND ends_at > ?1",
        )
        .bind(now),
    )
    .await?;
    Ok(Snapshot {
        featured: featured.into_iter().map(|f| f.id).collect(),
        slots,
        locked,
    })
}

/// The rotation at `now` (the cron's scheduled time, so terms run midnight to midnight):
/// fills the free places, then brings every listing's flag in line with the active slots, in
/// one batch. Running it again at the same moment, or while another run is under way,
/// changes nothing. The reads around the batch only report.
pub async fn rotate(db: &impl Database, now: i64) -> DbResult<Rotation> {
    let before = snapshot(db, now).await?;
    let mut statements = vec![fill(now)];
    statements.extend(sync(now));
    db.batch(&statements).await?;
    let after = snapshot(db, now).await?;
    let newly = |a: &[i64], b: &[i64]| a.iter().filter(|id| !b.contains(id)).count() as u64;
    Ok(Rotation {
        started: u64::try_from(after.slots - before.slots).unwrap_or(0),
        featured: newly(&after.featured, &before.featured),
        unfeatured: newly(&before.featured, &after.featured),
        now_featured: after.featured.len() as i64,
        locked: after.locked,
    })
}

/// Where a listing stands in the rotation at a moment, as the console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Standing {
    pub plan: Plan,
    /// When the slot featuring it now ends (the latest, if slots overlap).
    pub featured_until: Option<i64>,
    /// Whether an admin's lock features it now.
    #[serde(deserialize_with = "crate::db::flag")]
    pub locked: bool,
    /// When its last slot ended, if one did.
    pub last_ended: Option<i64>,
}

impl Standing {
    /// From when the rotation may choose it again, if it is resting at `now`.
    pub fn resting_until(&self, now: i64) -> Option<i64> {
        self.last_ended
            .map(|ended| ended + REST)
            .filter(|until| self.featured_until.is_none() && *until > now)
    }
}

/// The plan and featured state of listing `business_id` at `now`; `None` if there is no
/// such listing.
pub async fn standing(
    db: &impl Database,
    business_id: i64,
    now: i64,
) -> DbResult<Option<Standing>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT b.plan,
                    (SELECT max(ends_at) FROM featured_slots
                      WHERE business_id = b.id AND starts_at <= ?2 AND ends_at > ?2) AS featured_until,
                    coalesce((SELECT max(locked) FROM featured_slots
                      WHERE business_id = b.id AND starts_at <= ?2 AND ends_at > ?2), 0) AS locked,
                    (SELECT max(ends_at) FROM featured_slots
                      WHERE business_id = b.id AND ends_at <= ?2) AS last_ended
               FROM businesses b WHERE b.id = ?1",
        )
        .bind(business_id)
        .bind(now),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::directory::{Visibility, set_visibility};
    use pollster::block_on;
    use std::collections::BTreeMap;

    /// A midnight, UTC.
    const NOW: i64 = 1_767_225_600;
    const DAY: i64 = 86_400;

    /// `count` published listings named `"{prefix} {n}"`, on `plan`; their ids in order.
    fn listings(db: &SqliteDatabase, prefix: &str, count: usize, plan: Plan) -> Vec<i64> {
        let category = block_on(crate::categories::find_by_slug(
            db,
            &crate::values::Slug::parse("slug", "food").unwrap(),
        ))
        .unwrap()
        .map_or_else(|| some_category(db, "food"), |c| c.id);
        (0..count)
            .map(|n| {
                let mut listing = business(&format!("{prefix} {n}"), category);
                listing.plan = plan;
                insert(db, &listing).id
            })
            .collect()
    }

    /// Listings in a slot active at `at`, by id.
    fn active(db: &SqliteDatabase, at: i64) -> Vec<i64> {
        column(
            db,
            Statement::new(format!("{ACTIVE} ORDER BY business_id")).bind(at),
        )
    }

    fn flagged(db: &SqliteDatabase) -> Vec<i64> {
        column(
            db,
            Statement::new("SELECT id FROM businesses WHERE is_featured = 1 ORDER BY id"),
        )
    }

    fn column(db: &SqliteDatabase, statement: Statement) -> Vec<i64> {
        block_on(db.query(&statement))
            .unwrap()
            .into_iter()
            .map(|row| row.values().next().unwrap().as_i64().unwrap())
            .collect()
    }

    /// Every slot as (listing, start, end, locked), in order of creation.
    fn slots(db: &SqliteDatabase) -> Vec<(i64, i64, i64, i64)> {
        block_on(db.query(&Statement::new(
            "SELECT business_id, starts_at, ends_at, locked FROM featured_slots ORDER BY id",
        )))
        .unwrap()
        .into_iter()
        .map(|row| {
            let v = |k: &str| row[k].as_i64().unwrap();
            (v("business_id"), v("starts_at"), v("ends_at"), v("locked"))
        })
        .collect()
    }

    fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
        ids.sort_unstable();
        ids
    }

    #[test]
    fn six_places_are_filled_paid_tiers_first_then_by_id_with_public_listings_only() {
        let db = SqliteDatabase::in_memory().unwrap();
        let free = listings(&db, "Free", 6, Plan::Free);
        let plus = listings(&db, "Plus", 2, Plan::Plus);
        let premium = listings(&db, "Premium", 1, Plan::Premium);
        let hidden = listings(&db, "Hidden", 3, Plan::Premium);
        block_on(set_visibility(&db, hidden[0], Visibility::Draft, 1)).unwrap();
        block_on(set_visibility(&db, hidden[1], Visibility::Suspended, 1)).unwrap();
        block_on(db.execute(
            &Statement::new("UPDATE businesses SET is_active = 0 WHERE id = ?1").bind(hidden[2]),
        ))
        .unwrap();

        let rotation = block_on(rotate(&db, NOW)).unwrap();

        let expected = sorted(vec![
            premium[0], plus[0], plus[1], free[0], free[1], free[2],
        ]);
        assert_eq!(active(&db, NOW), expected);
        assert_eq!(flagged(&db), expected, "the flags follow the slots");
        assert_eq!(
            rotation,
            Rotation {
                started: 6,
                featured: 6,
                unfeatured: 0,
                now_featured: 6,
                locked: 0
            }
        );
        assert!(
            slots(&db)
                .iter()
                .all(|&(_, starts, ends, locked)| (starts, ends, locked) == (NOW, NOW + TERM, 0)),
            "seven-day rotation slots from the run: {:?}",
            slots(&db)
        );
    }

    #[test]
    fn a_run_repeated_at_the_same_time_changes_nothing() {
        let db = SqliteDatabase::in_memory().unwrap();
        listings(&db, "Cafe", 9, Plan::Free);
        block_on(rotate(&db, NOW)).unwrap();
        let (slots_before, flags_before) = (slots(&db), flagged(&db));

        let again = block_on(rotate(&db, NOW)).unwrap();

        assert_eq!(
            (
                again.started,
                again.featured,
                again.unfeatured,
                again.now_featured
            ),
            (0, 0, 0, 6)
        );
        assert_eq!(slots(&db), slots_before);
        assert_eq!(flagged(&db), flags_before);
        let later = block_on(rotate(&db, NOW + 3_600)).unwrap();
        assert_eq!(
            later.started, 0,
            "an overlapping run an hour later finds no place"
        );
        assert_eq!(slots(&db), slots_before);
    }

    #[test]
    fn a_run_with_fewer_eligible_listings_than_places_fills_what_it_can_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let few = listings(&db, "Few", 3, Plan::Free);
        assert_eq!(block_on(rotate(&db, NOW)).unwrap().started, 3);
        assert_eq!(block_on(rotate(&db, NOW)).unwrap().started, 0);
        assert_eq!(active(&db, NOW), few, "nobody featured twice at once");
    }

    #[test]
    fn admin_locks_count_against_the_six_and_are_never_duplicated_nor_ended() {
        let db = SqliteDatabase::in_memory().unwrap();
        let premium = listings(&db, "Premium", 2, Plan::Premium);
        let free = listings(&db, "Free", 10, Plan::Free);
        // A premium listing locked for 20 days, a free one for 60.
        block_on(create_slot(&db, premium[0], NOW - DAY, NOW + 20 * DAY, 1)).unwrap();
        block_on(create_slot(&db, free[9], NOW - DAY, NOW + 60 * DAY, 1)).unwrap();

        let rotation = block_on(rotate(&db, NOW)).unwrap();

        assert_eq!(
            (rotation.started, rotation.locked, rotation.now_featured),
            (4, 2, 6)
        );
        let mut expected = vec![premium[0], premium[1], free[0], free[1], free[2], free[9]];
        expected.sort_unstable();
        assert_eq!(active(&db, NOW), expected);
        let of_locked = |id: i64| slots(&db).into_iter().filter(|s| s.0 == id).count();
        assert_eq!(
            (of_locked(premium[0]), of_locked(free[9])),
            (1, 1),
            "no second slot"
        );

        // A week on, the rotation's four are replaced; the locks stay as they were.
        block_on(rotate(&db, NOW + 7 * DAY)).unwrap();
        let week = active(&db, NOW + 7 * DAY);
        assert_eq!(week.len(), 6);
        assert!(week.contains(&premium[0]) && week.contains(&free[9]));
        assert!(!week.contains(&premium[1]) && !week.contains(&free[0]));
        assert!(
            slots(&db)
                .iter()
                .filter(|s| s.3 == 1)
                .map(|s| s.2)
                .eq([NOW + 20 * DAY, NOW + 60 * DAY]),
            "locks keep their ends"
        );
    }

    #[test]
    fn locks_beyond_the_six_leave_no_place_and_all_stay_featured() {
        let db = SqliteDatabase::in_memory().unwrap();
        let locked = listings(&db, "Locked", 7, Plan::Free);
        listings(&db, "Waiting", 3, Plan::Premium);
        for id in &locked {
            block_on(create_slot(&db, *id, NOW, NOW + 10 * DAY, 1)).unwrap();
        }
        let rotation = block_on(rotate(&db, NOW)).unwrap();
        assert_eq!((rotation.started, rotation.locked), (0, 7));
        assert_eq!(flagged(&db), locked);
    }

    #[test]
    fn expired_terms_are_replaced_by_the_next_listings_and_the_flags_follow() {
        let db = SqliteDatabase::in_memory().unwrap();
        let all = listings(&db, "Shop", 12, Plan::Free);
        block_on(rotate(&db, NOW)).unwrap();
        assert_eq!(flagged(&db), all[..6]);
        assert_eq!(block_on(rotate(&db, NOW + 7 * DAY - 1)).unwrap().started, 0);

        let rotation = block_on(rotate(&db, NOW + 7 * DAY)).unwrap();

        assert_eq!(flagged(&db), all[6..]);
        assert_eq!(
            (rotation.started, rotation.featured, rotation.unfeatured),
            (6, 6, 6)
        );
    }

    #[test]
    fn the_least_recently_featured_come_before_the_rest_of_their_tier() {
        let db = SqliteDatabase::in_memory().unwrap();
        let shops = listings(&db, "Shop", 3, Plan::Free);
        let (recent, long_ago, never) = (shops[0], shops[1], shops[2]);
        block_on(create_slot(&db, recent, NOW - 100 * DAY, NOW - 90 * DAY, 1)).unwrap();
        block_on(create_slot(
            &db,
            long_ago,
            NOW - 200 * DAY,
            NOW - 190 * DAY,
            1,
        ))
        .unwrap();
        // Four places locked, two left.
        for id in listings(&db, "Locked", 4, Plan::Free) {
            block_on(create_slot(&db, id, NOW, NOW + 60 * DAY, 1)).unwrap();
        }
        block_on(rotate(&db, NOW)).unwrap();
        let chosen: Vec<i64> = slots(&db)
            .into_iter()
            .filter(|s| s.3 == 0)
            .map(|s| s.0)
            .collect();
        assert_eq!(
            chosen,
            [never, long_ago],
            "never featured, then the longest ago"
        );
        assert!(!active(&db, NOW).contains(&recent));
    }

    #[test]
    fn over_many_days_every_listing_is_featured_in_turn_and_none_within_thirty_days_of_its_last() {
        let db = SqliteDatabase::in_memory().unwrap();
        let paid = listings(&db, "Paid", 3, Plan::Plus);
        let free = listings(&db, "Free", 37, Plan::Free);
        for day in 0..120 {
            let now = NOW + day * DAY;
            block_on(rotate(&db, now)).unwrap();
            assert_eq!(active(&db, now).len(), 6, "day {day}: six featured");
            assert_eq!(flagged(&db), active(&db, now), "day {day}");
        }
        let mut terms: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
        for (id, starts, ends, locked) in slots(&db) {
            assert_eq!((locked, ends - starts), (0, TERM));
            terms.entry(id).or_default().push((starts, ends));
        }
        for id in paid.iter().chain(&free) {
            let featured = terms.get(id).map_or(&[][..], Vec::as_slice);
            assert!(!featured.is_empty(), "listing {id} was featured in turn");
            for pair in featured.windows(2) {
                assert!(
                    pair[1].0 - pair[0].1 > REST,
                    "listing {id} rested over 30 days: {pair:?}"
                );
            }
        }
        let times = |ids: &[i64]| ids.iter().map(|id| terms[id].len()).min().unwrap();
        assert!(
            times(&paid) > times(&free),
            "paid listings come round more often"
        );
    }

    #[test]
    fn a_slot_must_end_after_it_starts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let b = listings(&db, "Cafe", 1, Plan::Free)[0];
        assert!(block_on(create_slot(&db, b, 200, 100, 1)).is_err());
    }

    #[test]
    fn the_standing_tells_the_plan_the_current_slot_and_the_rest() {
        let db = SqliteDatabase::in_memory().unwrap();
        let ids = listings(&db, "Cafe", 2, Plan::Premium);
        block_on(create_slot(&db, ids[1], NOW - DAY, NOW + DAY, 1)).unwrap();
        block_on(rotate(&db, NOW)).unwrap();
        let rotated = block_on(standing(&db, ids[0], NOW)).unwrap().unwrap();
        assert_eq!(
            rotated,
            Standing {
                plan: Plan::Premium,
                featured_until: Some(NOW + TERM),
                locked: false,
                last_ended: None,
            }
        );
        let locked = block_on(standing(&db, ids[1], NOW)).unwrap().unwrap();
        assert!(locked.locked && locked.featured_until == Some(NOW + DAY));
        let after = NOW + TERM + DAY;
        let resting = block_on(standing(&db, ids[0], after)).unwrap().unwrap();
        assert_eq!(resting.featured_until, None);
        assert_eq!(resting.resting_until(after), Some(NOW + TERM + REST));
        assert_eq!(block_on(standing(&db, 999, NOW)).unwrap(), None);
    }
}
