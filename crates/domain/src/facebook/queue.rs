//! The posting queue as the facebook worker sees it. Filling: the next day's slots of every
//! connected Page (the directory's own Page gets an engagement prompt at 03:00, a business
//! spotlight at 15:00 and a blog share or category highlight at 22:00 UTC; a premium
//! listing's Page gets its weekly angle), each planned once under its idempotency key (Page,
//! slot, time). Publishing: a due post is leased before the Graph call and keeps Meta's post
//! id, so a cron fired twice or two overlapping runs publish it once; a lease left behind by
//! a run that died is reconciled against the Page's feed before it is published again.

use super::Target;
use crate::db::{Database, DbResult, Row, Statement, fetch_all, fetch_optional};
use serde::Deserialize;

/// A post's posting slot: the hours (UTC) the posting cron runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// 03:00 UTC, the evening before in Central time.
    Evening,
    /// 15:00 UTC, Central-time morning.
    Morning,
    /// 22:00 UTC, Central-time afternoon.
    Afternoon,
}

impl Slot {
    pub const ALL: [Self; 3] = [Self::Evening, Self::Morning, Self::Afternoon];

    pub fn hour(self) -> i64 {
        match self {
            Self::Evening => 3,
            Self::Morning => 15,
            Self::Afternoon => 22,
        }
    }
}

/// One slot time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotTime {
    pub slot: Slot,
    pub at: i64,
}

impl SlotTime {
    /// Days since 1970-01-01 and the weekday (0 = Monday) of this slot.
    pub fn day(self) -> i64 {
        self.at.div_euclid(86_400)
    }

    pub fn weekday(self) -> i64 {
        // 1970-01-01 was a Thursday.
        (self.day() + 3).rem_euclid(7)
    }
}

/// How far ahead the posting run fills the queue.
pub const FILL_AHEAD_SECONDS: i64 = 86_400;
/// A listing is spotlighted on the directory's Page at most once in this many days.
pub const SPOTLIGHT_EVERY_DAYS: i64 = 30;
/// A category is highlighted at most once in this many days.
pub const CATEGORY_EVERY_DAYS: i64 = 14;
/// A premium listing's angle is not repeated within this many days.
pub const ANGLE_REPEAT_DAYS: i64 = 8;
/// A post this late (its Page was disconnected or paused) is not published any more.
pub const TOO_LATE_SECONDS: i64 = 86_400;
/// How long a lease holds a post while its Graph call runs.
pub const LEASE_SECONDS: i64 = 600;
/// Attempts before a post stops as failed.
pub const MOST_ATTEMPTS: i64 = 3;

/// The slot times in `[from, from + FILL_AHEAD_SECONDS)`, in order.
pub fn slots_ahead(from: i64) -> Vec<SlotTime> {
    let first_day = from.div_euclid(86_400);
    (first_day..=first_day + 1)
        .flat_map(|day| {
            Slot::ALL.into_iter().map(move |slot| SlotTime {
                slot,
                at: day * 86_400 + slot.hour() * 3600,
            })
        })
        .filter(|slot| slot.at >= from && slot.at < from + FILL_AHEAD_SECONDS)
        .collect()
}

/// The idempotency key of a generated post: target Page, slot name and time.
pub fn idempotency_key(page_id: &str, slot_name: &str, at: i64) -> String {
    format!("{page_id}:{slot_name}:{at}")
}

/// Whether a post is planned under `key` already (so its text is not composed again).
pub async fn is_planned(db: &impl Database, key: &str) -> DbResult<bool> {
    let found: Option<serde::de::IgnoredAny> = fetch_optional(
        db,
        &Statement::new("SELECT 1 AS planned FROM facebook_posts WHERE idempotency_key = ?1")
            .bind(key),
    )
    .await?;
    Ok(found.is_some())
}

/// What a generated post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Spotlight,
    BlogShare,
    CategoryHighlight,
    Engagement,
    Angle(&'static str),
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spotlight => "spotlight",
            Self::BlogShare => "blog_share",
            Self::CategoryHighlight => "category_highlight",
            Self::Engagement => "engagement",
            Self::Angle(_) => "angle",
        }
    }

    fn angle(self) -> Option<&'static str> {
        match self {
            Self::Angle(angle) => Some(angle),
            _ => None,
        }
    }
}

/// A generated post to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub target: Target,
    pub key: String,
    pub kind: Kind,
    pub subject_id: Option<i64>,
    /// What it is about, for rotation: a blog post's or category's slug.
    pub topic: String,
    pub body: String,
    pub link: String,
    /// "template" or "model".
    pub written_by: &'static str,
    pub at: i64,
    /// Waits as a draft for a person's approval.
    pub review_first: bool,
}

/// Plans `post` unless its key is planned already. `true` when added.
pub async fn plan(db: &impl Database, post: &Planned, now: i64) -> DbResult<bool> {
    let added: Vec<Row> = db
        .query(
            &Statement::new(
                "INSERT INTO facebook_posts (business_id, subject_id, kind, angle, topic, body, link, written_by,
                        scheduled_at, idempotency_key, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            )
            .bind(post.target)
            .bind(post.subject_id)
            .bind(post.kind.as_str())
            .bind(post.kind.angle())
            .bind(crate::facebook::connections::truncated(&post.topic, 200))
            .bind(post.body.as_str())
            .bind(post.link.as_str())
            .bind(post.written_by)
            .bind(post.at)
            .bind(post.key.as_str())
            .bind(if post.review_first { "draft" } else { "scheduled" })
            .bind(now),
        )
        .await?;
    Ok(!added.is_empty())
}

/// A listing a post is about.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subject {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub category: String,
    pub city: String,
    pub state: String,
    pub description: String,
    pub phone: Option<String>,
    /// The first photo's R2 key (the fallback image when no card renders).
    pub cover_key: Option<String>,
}

const SUBJECT_COLUMNS: &str =
    "b.id, b.slug, b.name, c.name AS category, b.city, b.state, b.description,
    b.phone, (SELECT p.object_key FROM business_photos p WHERE p.business_id = b.id
              ORDER BY p.position, p.id LIMIT 1) AS cover_key";

/// The listing `id` as a post's subject (public listings only).
pub async fn subject(db: &impl Database, id: i64) -> DbResult<Option<Subject>> {
    fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {SUBJECT_COLUMNS} FROM businesses b JOIN categories c ON c.id = b.category_id
              WHERE b.id = ?1 AND b.status = 'published' AND b.is_active = 1"
        ))
        .bind(id),
    )
    .await
}

/// The next listing to spotlight on the directory's Page at `at`: public, not spotlighted
/// within [`SPOTLIGHT_EVERY_DAYS`] (planned ones count); never-spotlighted first, then the
/// longest ago, so every listing comes round in turn.
pub async fn next_spotlight(db: &impl Database, at: i64) -> DbResult<Option<Subject>> {
    fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {SUBJECT_COLUMNS}, (SELECT max(s.scheduled_at) FROM facebook_posts s
                     WHERE s.subject_id = b.id AND s.kind = 'spotlight' AND s.status <> 'cancelled') AS last
               FROM businesses b JOIN categories c ON c.id = b.category_id
              WHERE b.status = 'published' AND b.is_active = 1
                AND (last IS NULL OR last < ?1)
              ORDER BY last IS NOT NULL, last, b.id LIMIT 1"
        ))
        .bind(at - SPOTLIGHT_EVERY_DAYS * 86_400),
    )
    .await
}

/// A blog post worth sharing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BlogShare {
    pub slug: String,
    pub title: String,
    pub summary: String,
}

/// The newest blog post published in the last 30 days before `at` and never shared.
pub async fn next_blog_share(db: &impl Database, at: i64) -> DbResult<Option<BlogShare>> {
    fetch_optional(
        db,
        &Statement::new(
            "SELECT slug, title, summary FROM blog_posts bp
              WHERE status = 'published' AND published_at <= ?1 AND published_at > ?1 - 30 * 86400
                AND NOT EXISTS (SELECT 1 FROM facebook_posts s WHERE s.kind = 'blog_share'
                                   AND s.topic = bp.slug AND s.status <> 'cancelled')
              ORDER BY published_at DESC, id DESC LIMIT 1",
        )
        .bind(at),
    )
    .await
}

/// A category to highlight, with a few of its listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryPick {
    pub slug: String,
    pub name: String,
    pub names: Vec<String>,
}

/// The category with at least three public listings highlighted longest ago (never first),
/// not within [`CATEGORY_EVERY_DAYS`], the bigger first among equals.
pub async fn next_category(db: &impl Database, at: i64) -> DbResult<Option<CategoryPick>> {
    #[derive(Deserialize)]
    struct Picked {
        id: i64,
        slug: String,
        name: String,
    }
    let picked: Option<Picked> = fetch_optional(
        db,
        &Statement::new(
            "SELECT c.id, c.slug, c.name, count(b.id) AS listings,
                    (SELECT max(s.scheduled_at) FROM facebook_posts s WHERE s.kind = 'category_highlight'
                        AND s.topic = c.slug AND s.status <> 'cancelled') AS last
               FROM categories c JOIN businesses b ON b.category_id = c.id
                AND b.status = 'published' AND b.is_active = 1
              GROUP BY c.id HAVING listings >= 3 AND (last IS NULL OR last < ?1)
              ORDER BY last IS NOT NULL, last, listings DESC, c.id LIMIT 1",
        )
        .bind(at - CATEGORY_EVERY_DAYS * 86_400),
    )
    .await?;
    let Some(picked) = picked else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let names: Vec<Name> = fetch_all(
        db,
        &Statement::new(
            "SELECT name FROM businesses WHERE category_id = ?1 AND status = 'published' AND is_active = 1
              ORDER BY is_featured DESC, rating_average IS NULL, rating_average DESC, name LIMIT 5",
        )
        .bind(picked.id),
    )
    .await?;
    Ok(Some(CategoryPick {
        slug: picked.slug,
        name: picked.name,
        names: names.into_iter().map(|n| n.name).collect(),
    }))
}

/// The premium listings whose Page is connected.
pub async fn premium_connections(db: &impl Database) -> DbResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Id {
        business_id: i64,
    }
    let ids: Vec<Id> = fetch_all(
        db,
        &Statement::new(
            "SELECT f.business_id FROM facebook_connections f JOIN businesses b ON b.id = f.business_id
              WHERE b.plan = 'premium' AND b.status = 'published' AND b.is_active = 1 ORDER BY f.business_id",
        ),
    )
    .await?;
    Ok(ids.into_iter().map(|id| id.business_id).collect())
}

/// The angle of business `business_id`'s next weekly post at `at`: the one after its
/// latest, skipping any used within [`ANGLE_REPEAT_DAYS`] before `at`; `angles` in order.
pub async fn next_angle(
    db: &impl Database,
    business_id: i64,
    at: i64,
    angles: &[&'static str],
) -> DbResult<Option<&'static str>> {
    #[derive(Deserialize)]
    struct Used {
        angle: String,
        scheduled_at: i64,
    }
    let used: Vec<Used> = fetch_all(
        db,
        &Statement::new(
            "SELECT angle, scheduled_at FROM facebook_posts
              WHERE business_id = ?1 AND kind = 'angle' AND status <> 'cancelled'
              ORDER BY scheduled_at DESC, id DESC LIMIT 20",
        )
        .bind(business_id),
    )
    .await?;
    let recent = |angle: &str| {
        used.iter()
            .any(|u| u.angle == angle && (u.scheduled_at - at).abs() < ANGLE_REPEAT_DAYS * 86_400)
    };
    let after = used
        .first()
        .and_then(|last| angles.iter().position(|a| *a == last.angle))
        .map_or(0, |i| i + 1);
    Ok((0..angles.len())
        .filter_map(|step| angles.get((after + step) % angles.len().max(1)))
        .copied()
        .find(|angle| !recent(angle)))
}

/// A post due for publishing, with the connection of its Page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Due {
    pub id: i64,
    pub business_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub kind: String,
    pub body: String,
    pub link: String,
    pub scheduled_at: i64,
    pub attempts: i64,
    pub leased_at: Option<i64>,
    pub lease_token: Option<String>,
    pub connection_id: Option<i64>,
}

const DUE_COLUMNS: &str = "p.id, p.business_id, p.subject_id, p.kind, p.body, p.link, p.scheduled_at, p.attempts,
    p.leased_at, p.lease_token, (SELECT f.id FROM facebook_connections f WHERE f.business_id IS p.business_id)
    AS connection_id";

/// Scheduled posts due at `now` whose next attempt is due and whose Page can take them (an
/// active connection, not paused), oldest first. The others wait (and fail once a day late).
pub async fn due(db: &impl Database, now: i64, limit: i64) -> DbResult<Vec<Due>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {DUE_COLUMNS} FROM facebook_posts p
              WHERE p.status = 'scheduled' AND p.scheduled_at <= ?1 AND p.next_attempt_at <= ?1
                AND EXISTS (SELECT 1 FROM facebook_connections f WHERE f.business_id IS p.business_id
                               AND f.status = 'active' AND f.paused_until <= ?1)
              ORDER BY p.scheduled_at, p.id LIMIT ?2"
        ))
        .bind(now)
        .bind(limit),
    )
    .await
}

/// Posts left `publishing` by a run whose lease ran out (it died, or never answered).
pub async fn stale_leases(db: &impl Database, now: i64) -> DbResult<Vec<Due>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {DUE_COLUMNS} FROM facebook_posts p
              WHERE p.status = 'publishing' AND p.lease_until <= ?1 ORDER BY p.scheduled_at, p.id LIMIT 50"
        ))
        .bind(now),
    )
    .await
}

/// Leases post `id` for one attempt under `token`: only a scheduled, due post, or one whose
/// lease ran out and is still held by `stale_token`. `true` when this caller holds it.
pub async fn lease(
    db: &impl Database,
    id: i64,
    token: &str,
    stale_token: Option<&str>,
    now: i64,
) -> DbResult<bool> {
    let leased: Vec<Row> = db
        .query(
            &Statement::new(
                "UPDATE facebook_posts SET status = 'publishing', lease_token = ?2, lease_until = ?3 + ?4,
                        leased_at = ?3, attempts = attempts + 1, updated_at = ?3
                  WHERE id = ?1 AND ((status = 'scheduled' AND scheduled_at <= ?3 AND next_attempt_at <= ?3)
                     OR (status = 'publishing' AND lease_until <= ?3 AND lease_token IS ?5))
                  RETURNING id",
            )
            .bind(id)
            .bind(token)
            .bind(now)
            .bind(LEASE_SECONDS)
            .bind(stale_token),
        )
        .await?;
    Ok(!leased.is_empty())
}

/// Where a published post went and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub page_id: String,
    pub graph_post_id: String,
    /// "card", "cover" or "text".
    pub media: &'static str,
    pub card_key: Option<String>,
}

/// Records that the leased post `id` went out. `false` when the lease was lost.
pub async fn published(
    db: &impl Database,
    id: i64,
    token: &str,
    publication: &Publication,
    now: i64,
) -> DbResult<bool> {
    let done: Vec<Row> = db
        .query(
            &Statement::new(
                "UPDATE facebook_posts SET status = 'published', page_id = ?3, graph_post_id = ?4, media = ?5,
                        card_key = ?6, published_at = ?7, last_error = '', lease_token = NULL,
                        lease_until = NULL, updated_at = ?7
                  WHERE id = ?1 AND status = 'publishing' AND lease_token = ?2 RETURNING id",
            )
            .bind(id)
            .bind(token)
            .bind(publication.page_id.as_str())
            .bind(publication.graph_post_id.as_str())
            .bind(publication.media)
            .bind(publication.card_key.as_deref())
            .bind(now),
        )
        .await?;
    Ok(!done.is_empty())
}

/// What becomes of a leased post whose attempt did not publish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setback {
    /// Try again from `at` (transient failure); the attempt counts.
    RetryAt(i64),
    /// Give up: the post stops as failed with Meta's error.
    Failed,
    /// Not the post's fault (rate limit, token, pause): back in the queue, the attempt
    /// not counted.
    Release,
}

/// Records a setback of leased post `id` with `error` shown to the owner.
pub async fn set_back(
    db: &impl Database,
    id: i64,
    token: &str,
    setback: &Setback,
    error: &str,
    now: i64,
) -> DbResult<()> {
    let (status, next, attempts_back) = match setback {
        Setback::RetryAt(at) => ("scheduled", *at, 0_i64),
        Setback::Failed => ("failed", now, 0),
        Setback::Release => ("scheduled", now, 1),
    };
    db.execute(
        &Statement::new(
            "UPDATE facebook_posts SET status = ?3, next_attempt_at = ?4, attempts = max(0, attempts - ?5),
                    last_error = ?6, lease_token = NULL, lease_until = NULL, updated_at = ?7
              WHERE id = ?1 AND status = 'publishing' AND lease_token = ?2",
        )
        .bind(id)
        .bind(token)
        .bind(status)
        .bind(next)
        .bind(attempts_back)
        .bind(crate::facebook::connections::truncated(error, 500))
        .bind(now),
    )
    .await
}

/// Marks scheduled posts more than [`TOO_LATE_SECONDS`] late as failed, saying why.
pub async fn expire_late(db: &impl Database, now: i64) -> DbResult<u64> {
    let expired: Vec<Row> = db
        .query(
            &Statement::new(
                "UPDATE facebook_posts SET status = 'failed', updated_at = ?1,
                        last_error = 'Not published: it was more than a day late (the Page was not connected '
                                     || 'or Facebook held it back).'
                  WHERE status = 'scheduled' AND scheduled_at < ?1 - ?2 RETURNING id",
            )
            .bind(now)
            .bind(TOO_LATE_SECONDS),
        )
        .await?;
    Ok(expired.len() as u64)
}

/// A published post whose reactions, comments and reach are fetched.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Published {
    pub id: i64,
    pub business_id: Option<i64>,
    pub graph_post_id: String,
}

/// Posts published in the 28 days before `now`, least recently measured first.
pub async fn recently_published(
    db: &impl Database,
    now: i64,
    limit: i64,
) -> DbResult<Vec<Published>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, business_id, graph_post_id FROM facebook_posts
              WHERE status = 'published' AND published_at > ?1 - 28 * 86400
              ORDER BY coalesce(stats_at, 0), id LIMIT ?2",
        )
        .bind(now)
        .bind(limit),
    )
    .await
}

/// Stores what Meta counted for post `id`.
pub async fn record_stats(
    db: &impl Database,
    id: i64,
    reactions: i64,
    comments: i64,
    reach: Option<i64>,
    now: i64,
) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "UPDATE facebook_posts SET reactions = ?2, comments = ?3, reach = coalesce(?4, reach), stats_at = ?5
              WHERE id = ?1",
        )
        .bind(id)
        .bind(reactions)
        .bind(comments)
        .bind(reach)
        .bind(now),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use crate::facebook::connections::tests::{NOW, connected};
    use pollster::block_on;

    const ANGLES: [&str; 8] = [
        "services",
        "testimonial",
        "seasonal",
        "promotion",
        "new_product",
        "behind_the_scenes",
        "team",
        "community",
    ];

    fn planned(target: Target, key: &str, at: i64) -> Planned {
        Planned {
            target,
            key: key.into(),
            kind: Kind::Engagement,
            subject_id: None,
            topic: String::new(),
            body: "What is your favourite fishing spot on the Kiamichi?".into(),
            link: String::new(),
            written_by: "template",
            at,
            review_first: false,
        }
    }

    #[test]
    fn the_next_day_holds_three_slots_from_any_hour() {
        let from_three = slots_ahead(NOW + 3 * 3600);
        assert_eq!(
            from_three.iter().map(|s| s.slot).collect::<Vec<_>>(),
            [Slot::Evening, Slot::Morning, Slot::Afternoon]
        );
        assert_eq!(from_three[0].at, NOW + 3 * 3600);
        let from_noon = slots_ahead(NOW + 12 * 3600);
        assert_eq!(
            from_noon.iter().map(|s| s.slot).collect::<Vec<_>>(),
            [Slot::Morning, Slot::Afternoon, Slot::Evening]
        );
        assert_eq!(from_noon[2].at, NOW + 86_400 + 3 * 3600);
    }

    #[test]
    fn a_slot_is_planned_once_under_its_key() {
        let db = SqliteDatabase::in_memory().unwrap();
        let key = idempotency_key("page-1", "engagement", NOW);
        assert!(!block_on(is_planned(&db, &key)).unwrap());
        assert!(block_on(plan(&db, &planned(Target::Directory, &key, NOW), NOW)).unwrap());
        assert!(!block_on(plan(&db, &planned(Target::Directory, &key, NOW), NOW)).unwrap());
        assert!(block_on(is_planned(&db, &key)).unwrap());
    }

    #[test]
    fn every_listing_is_spotlighted_in_turn_and_not_again_within_thirty_days() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let mut ids: Vec<i64> = (0..5)
            .map(|i| insert(&db, &business(&format!("Cafe {i}"), food)).id)
            .collect();
        let mut seen = Vec::new();
        for day in 0..5 {
            let at = NOW + day * 86_400;
            let pick = block_on(next_spotlight(&db, at)).unwrap().unwrap();
            let mut post = planned(Target::Directory, &format!("k{day}"), at);
            post.kind = Kind::Spotlight;
            post.subject_id = Some(pick.id);
            block_on(plan(&db, &post, at)).unwrap();
            seen.push(pick.id);
        }
        seen.sort_unstable();
        ids.sort_unstable();
        assert_eq!(seen, ids);
        assert!(
            block_on(next_spotlight(&db, NOW + 6 * 86_400))
                .unwrap()
                .is_none()
        );
        assert_eq!(
            block_on(next_spotlight(&db, NOW + 31 * 86_400))
                .unwrap()
                .unwrap()
                .id,
            seen[0].min(ids[0])
        );
    }

    #[test]
    fn a_premium_angle_is_not_repeated_within_eight_days() {
        let db = SqliteDatabase::in_memory().unwrap();
        let connection = connected(&db, "Hugo Feed", "p1");
        let business = connection.business_id.unwrap();
        let mut used = Vec::new();
        for week in 0..9 {
            let at = NOW + week * 7 * 86_400;
            let angle = block_on(next_angle(&db, business, at, &ANGLES))
                .unwrap()
                .unwrap();
            let mut post = planned(Target::Business(business), &format!("a{week}"), at);
            post.kind = Kind::Angle(angle);
            block_on(plan(&db, &post, at)).unwrap();
            used.push(angle);
        }
        assert_eq!(used[..8], ANGLES);
        assert_eq!(used[8], "services");
        // Two posts in the same week cannot share an angle.
        let same_week =
            block_on(next_angle(&db, business, NOW + 56 * 86_400 + 3600, &ANGLES)).unwrap();
        assert_ne!(same_week, Some("services"));
    }

    #[test]
    fn the_next_angle_in_turn_is_skipped_when_it_was_used_within_eight_days() {
        let db = SqliteDatabase::in_memory().unwrap();
        let connection = connected(&db, "Hugo Feed", "p1");
        let business = connection.business_id.unwrap();
        let target = Target::Business(business);
        // The latest is "services"; "testimonial", next in turn, went out three days before it.
        for (key, angle, at) in [
            ("t", "testimonial", NOW - 3 * 86_400),
            ("s", "services", NOW),
        ] {
            let mut post = planned(target, key, at);
            post.kind = Kind::Angle(angle);
            block_on(plan(&db, &post, at)).unwrap();
        }
        let next = block_on(next_angle(&db, business, NOW + 4 * 86_400, &ANGLES)).unwrap();
        assert_eq!(next, Some("seasonal"));
        let later = block_on(next_angle(&db, business, NOW + 6 * 86_400, &ANGLES)).unwrap();
        assert_eq!(
            later,
            Some("testimonial"),
            "nine days after it, its turn again"
        );
    }

    /// A post due now on a connected Page.
    fn due_now(db: &SqliteDatabase) -> Due {
        let page = connected(db, "Hugo Feed", "p1");
        block_on(plan(db, &planned(page.target(), "k", NOW), NOW)).unwrap();
        block_on(due(db, NOW, 10)).unwrap().remove(0)
    }

    #[test]
    fn a_post_waits_while_its_page_is_not_connected_or_paused() {
        let db = SqliteDatabase::in_memory().unwrap();
        block_on(plan(&db, &planned(Target::Directory, "d", NOW), NOW)).unwrap();
        assert!(
            block_on(due(&db, NOW, 10)).unwrap().is_empty(),
            "no Page connected"
        );
        let post = due_now(&db);
        let page = post.connection_id.unwrap();
        crate::facebook::connections::tests::pause_for(&db, page, NOW + 60);
        assert!(block_on(due(&db, NOW, 10)).unwrap().is_empty(), "paused");
        assert_eq!(block_on(due(&db, NOW + 60, 10)).unwrap().len(), 1);
    }

    #[test]
    fn a_due_post_is_leased_by_one_run_only() {
        let db = SqliteDatabase::in_memory().unwrap();
        let post = due_now(&db);
        assert!(block_on(lease(&db, post.id, "run-a", None, NOW)).unwrap());
        assert!(!block_on(lease(&db, post.id, "run-b", None, NOW)).unwrap());
        assert!(block_on(due(&db, NOW, 10)).unwrap().is_empty());
        let publication = Publication {
            page_id: "page-1".into(),
            graph_post_id: "page-1_7".into(),
            media: "text",
            card_key: None,
        };
        assert!(!block_on(published(&db, post.id, "run-b", &publication, NOW)).unwrap());
        assert!(block_on(published(&db, post.id, "run-a", &publication, NOW)).unwrap());
        assert!(!block_on(published(&db, post.id, "run-a", &publication, NOW)).unwrap());
    }

    #[test]
    fn a_lease_that_ran_out_is_taken_over_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let post = due_now(&db);
        assert!(block_on(lease(&db, post.id, "run-a", None, NOW)).unwrap());
        assert!(block_on(stale_leases(&db, NOW + 1)).unwrap().is_empty());
        let later = NOW + LEASE_SECONDS;
        let stale = block_on(stale_leases(&db, later)).unwrap();
        assert_eq!(stale.len(), 1);
        let held = stale[0].lease_token.as_deref();
        assert!(block_on(lease(&db, post.id, "run-b", held, later)).unwrap());
        assert!(!block_on(lease(&db, post.id, "run-c", held, later)).unwrap());
    }

    #[test]
    fn a_transient_failure_waits_and_a_release_does_not_count_the_attempt() {
        let db = SqliteDatabase::in_memory().unwrap();
        let post = due_now(&db);
        block_on(lease(&db, post.id, "a", None, NOW)).unwrap();
        block_on(set_back(
            &db,
            post.id,
            "a",
            &Setback::RetryAt(NOW + 60),
            "boom",
            NOW,
        ))
        .unwrap();
        assert!(block_on(due(&db, NOW + 59, 10)).unwrap().is_empty());
        let again = block_on(due(&db, NOW + 60, 10)).unwrap().remove(0);
        assert_eq!(again.attempts, 1);
        block_on(lease(&db, post.id, "b", None, NOW + 60)).unwrap();
        block_on(set_back(
            &db,
            post.id,
            "b",
            &Setback::Release,
            "rate limited",
            NOW + 60,
        ))
        .unwrap();
        assert_eq!(
            block_on(due(&db, NOW + 60, 10)).unwrap().remove(0).attempts,
            1
        );
        block_on(lease(&db, post.id, "c", None, NOW + 60)).unwrap();
        block_on(set_back(
            &db,
            post.id,
            "c",
            &Setback::Failed,
            "(#100) bad",
            NOW + 60,
        ))
        .unwrap();
        assert!(block_on(due(&db, NOW + 9999, 10)).unwrap().is_empty());
    }

    #[test]
    fn a_post_more_than_a_day_late_stops_as_failed() {
        let db = SqliteDatabase::in_memory().unwrap();
        due_now(&db);
        assert_eq!(
            block_on(expire_late(&db, NOW + TOO_LATE_SECONDS)).unwrap(),
            0
        );
        assert_eq!(
            block_on(expire_late(&db, NOW + TOO_LATE_SECONDS + 1)).unwrap(),
            1
        );
    }

    #[test]
    fn a_category_with_three_listings_is_highlighted_then_rests() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        for i in 0..3 {
            insert(&db, &business(&format!("Diner {i}"), food));
        }
        let pick = block_on(next_category(&db, NOW)).unwrap().unwrap();
        assert_eq!(pick.names.len(), 3);
        let mut post = planned(Target::Directory, "c", NOW);
        post.kind = Kind::CategoryHighlight;
        post.topic = pick.slug.clone();
        block_on(plan(&db, &post, NOW)).unwrap();
        assert!(
            block_on(next_category(&db, NOW + 86_400))
                .unwrap()
                .is_none()
        );
        assert!(
            block_on(next_category(&db, NOW + 15 * 86_400))
                .unwrap()
                .is_some()
        );
    }
}
