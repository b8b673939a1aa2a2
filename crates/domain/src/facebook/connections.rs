//! Connected Facebook Pages: the single-use Facebook Login attempts, the Pages a person may
//! pick after signing in to Facebook, the connection itself with its sealed tokens, its
//! health as the token check last found it, and a pause after Meta's rate limit.

use super::Target;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_optional, flag};
use crate::error::{DomainError, DomainResult};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How long a started Facebook Login may take.
pub const LOGIN_ATTEMPT_SECONDS: i64 = 600;
/// How long the Pages listed after a login wait for the person's pick.
pub const CHOICE_SECONDS: i64 = 900;

/// Ciphertext as stored (base64 of nonce and sealed bytes). Never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedText(pub String);

impl fmt::Debug for SealedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedText(..)")
    }
}

/// Remembers a started Facebook Login under the hash of its `state`, pruning ended ones.
pub async fn start_login(
    db: &impl Database,
    state_hash: &str,
    user_id: i64,
    target: Target,
    now: i64,
) -> DbResult<()> {
    db.batch(&[
        Statement::new("DELETE FROM facebook_login_attempts WHERE expires_at <= ?1").bind(now),
        Statement::new(
            "INSERT INTO facebook_login_attempts (state_hash, user_id, business_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(state_hash)
        .bind(user_id)
        .bind(target)
        .bind(now)
        .bind(now + LOGIN_ATTEMPT_SECONDS),
    ])
    .await
}

/// A started login, as the callback finds it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LoginAttempt {
    pub user_id: i64,
    business_id: Option<i64>,
    expires_at: i64,
}

impl LoginAttempt {
    pub fn target(&self) -> Target {
        Target::of(self.business_id)
    }
}

/// Takes the login started with this `state` hash: deleted as it is read, so a replayed
/// callback finds nothing. `None` when unknown, used or expired.
pub async fn take_login(
    db: &impl Database,
    state_hash: &str,
    now: i64,
) -> DbResult<Option<LoginAttempt>> {
    let attempt: Option<LoginAttempt> = fetch_optional(
        db,
        &Statement::new(
            "DELETE FROM facebook_login_attempts WHERE state_hash = ?1
             RETURNING user_id, business_id, expires_at",
        )
        .bind(state_hash),
    )
    .await?;
    Ok(attempt.filter(|attempt| attempt.expires_at > now))
}

/// A Page the person manages, offered after their login, its tokens sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOffer {
    pub page_id: String,
    pub page_name: String,
    pub category: String,
    pub facebook_user_id: String,
    pub key_id: String,
    pub page_token: SealedText,
    pub user_token: SealedText,
    pub user_token_expires_at: i64,
    pub data_access_expires_at: i64,
}

/// Offers `pages` to `user_id` for `target`, replacing what an earlier login offered.
pub async fn offer_pages(
    db: &impl Database,
    user_id: i64,
    target: Target,
    pages: &[PageOffer],
    now: i64,
) -> DbResult<()> {
    let mut statements = vec![
        Statement::new("DELETE FROM facebook_page_choices WHERE expires_at <= ?1").bind(now),
        Statement::new("DELETE FROM facebook_page_choices WHERE user_id = ?1 AND target = ?2")
            .bind(user_id)
            .bind(target.key()),
    ];
    statements.extend(pages.iter().map(|page| {
        Statement::new(
            "INSERT OR REPLACE INTO facebook_page_choices (user_id, target, page_id, page_name, category,
                 facebook_user_id, key_id, page_token, user_token, user_token_expires_at,
                 data_access_expires_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(user_id)
        .bind(target.key())
        .bind(page.page_id.as_str())
        .bind(page.page_name.as_str())
        .bind(page.category.as_str())
        .bind(page.facebook_user_id.as_str())
        .bind(page.key_id.as_str())
        .bind(page.page_token.0.as_str())
        .bind(page.user_token.0.as_str())
        .bind(page.user_token_expires_at)
        .bind(page.data_access_expires_at)
        .bind(now + CHOICE_SECONDS)
    }));
    db.batch(&statements).await
}

/// A Page waiting to be picked, as the pick page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageChoice {
    pub page_id: String,
    pub page_name: String,
    pub category: String,
}

/// The Pages `user_id` may pick for `target` now.
pub async fn page_choices(
    db: &impl Database,
    user_id: i64,
    target: Target,
    now: i64,
) -> DbResult<Vec<PageChoice>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT page_id, page_name, category FROM facebook_page_choices
              WHERE user_id = ?1 AND target = ?2 AND expires_at > ?3 ORDER BY page_name, page_id",
        )
        .bind(user_id)
        .bind(target.key())
        .bind(now),
    )
    .await
}

/// A connected Page.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Connection {
    pub id: i64,
    pub business_id: Option<i64>,
    pub facebook_user_id: String,
    pub page_id: String,
    pub page_name: String,
    pub key_id: String,
    pub page_token: SealedText,
    pub user_token: SealedText,
    pub token_expires_at: i64,
    pub user_token_expires_at: i64,
    pub data_access_expires_at: i64,
    pub status: String,
    pub status_detail: String,
    #[serde(deserialize_with = "flag")]
    pub review_first: bool,
    pub paused_until: i64,
    pub pause_reason: String,
    pub checked_at: Option<i64>,
    pub connected_at: i64,
}

impl Connection {
    pub fn target(&self) -> Target {
        Target::of(self.business_id)
    }

    /// Whether the owner must sign in to Facebook again.
    pub fn needs_reconnect(&self) -> bool {
        self.status != "active"
    }

    /// Whether Meta's rate limit still holds the Page at `now`.
    pub fn is_paused(&self, now: i64) -> bool {
        self.paused_until > now
    }
}

const CONNECTION_COLUMNS: &str = "id, business_id, facebook_user_id, page_id, page_name, key_id, page_token,
    user_token, token_expires_at, user_token_expires_at, data_access_expires_at, status, status_detail,
    review_first, paused_until, pause_reason, checked_at, connected_at";

/// Connects the Page `page_id` that `user_id` was offered for `target`, replacing the
/// target's earlier Page, and forgets the other offers. One batch: the choice must still
/// be there, so a second submit of the pick form finds nothing to do.
pub async fn connect(
    db: &impl Database,
    user_id: i64,
    target: Target,
    page_id: &str,
    now: i64,
) -> DomainResult<Connection> {
    const CHOICE: &str = "FROM facebook_page_choices AS c
        WHERE c.user_id = ?1 AND c.target = ?2 AND c.page_id = ?3 AND c.expires_at > ?4";
    let offered: Option<serde::de::IgnoredAny> = fetch_optional(
        db,
        &Statement::new(format!("SELECT 1 AS offered {CHOICE}"))
            .bind(user_id)
            .bind(target.key())
            .bind(page_id)
            .bind(now),
    )
    .await?;
    if offered.is_none() {
        return Err(DomainError::invalid(
            "page",
            "is not one of the Pages offered; connect Facebook again",
        ));
    }
    let bind = |sql: String| {
        Statement::new(sql)
            .bind(user_id)
            .bind(target.key())
            .bind(page_id)
            .bind(now)
            .bind(target)
    };
    db.batch(&[
        bind(format!(
            "UPDATE facebook_connections SET connected_by = c.user_id, facebook_user_id = c.facebook_user_id,
                    page_id = c.page_id, page_name = c.page_name, key_id = c.key_id, page_token = c.page_token,
                    user_token = c.user_token, token_expires_at = 0,
                    user_token_expires_at = c.user_token_expires_at,
                    data_access_expires_at = c.data_access_expires_at, status = 'active', status_detail = '',
                    paused_until = 0, pause_reason = '', checked_at = ?4, connected_at = ?4, updated_at = ?4
               {CHOICE} AND facebook_connections.business_id IS ?5"
        )),
        bind(format!(
            "INSERT INTO facebook_connections (business_id, connected_by, facebook_user_id, page_id, page_name,
                    key_id, page_token, user_token, user_token_expires_at, data_access_expires_at, checked_at,
                    connected_at, updated_at)
             SELECT ?5, c.user_id, c.facebook_user_id, c.page_id, c.page_name, c.key_id, c.page_token,
                    c.user_token, c.user_token_expires_at, c.data_access_expires_at, ?4, ?4, ?4
               {CHOICE} AND NOT EXISTS (SELECT 1 FROM facebook_connections WHERE business_id IS ?5)"
        )),
        Statement::new("DELETE FROM facebook_page_choices WHERE user_id = ?1 AND target = ?2")
            .bind(user_id)
            .bind(target.key()),
    ])
    .await?;
    of_target(db, target)
        .await?
        .ok_or_else(|| DomainError::NotFound("Facebook connection".into()))
}

/// The Page connected for `target`.
pub async fn of_target(db: &impl Database, target: Target) -> DbResult<Option<Connection>> {
    fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {CONNECTION_COLUMNS} FROM facebook_connections WHERE business_id IS ?1"
        ))
        .bind(target),
    )
    .await
}

/// Connection `id`.
pub async fn find(db: &impl Database, id: i64) -> DbResult<Option<Connection>> {
    fetch_optional(
        db,
        &Statement::new(format!(
            "SELECT {CONNECTION_COLUMNS} FROM facebook_connections WHERE id = ?1"
        ))
        .bind(id),
    )
    .await
}

/// The connection of Page `page_id` (webhooks name the Page).
pub async fn by_page(db: &impl Database, page_id: &str) -> DbResult<Vec<Connection>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {CONNECTION_COLUMNS} FROM facebook_connections WHERE page_id = ?1 ORDER BY id"
        ))
        .bind(page_id),
    )
    .await
}

/// Every connection, oldest check first (the token check's order).
pub async fn all(db: &impl Database) -> DbResult<Vec<Connection>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "SELECT {CONNECTION_COLUMNS} FROM facebook_connections ORDER BY coalesce(checked_at, 0), id"
        )),
    )
    .await
}

/// Disconnects `target`'s Page: the row and its tokens are deleted (comments with it).
/// `true` when there was one.
pub async fn disconnect(db: &impl Database, target: Target) -> DbResult<bool> {
    let deleted: Vec<crate::db::Row> = db
        .query(
            &Statement::new(
                "DELETE FROM facebook_connections WHERE business_id IS ?1 RETURNING id",
            )
            .bind(target),
        )
        .await?;
    Ok(!deleted.is_empty())
}

/// Whether posts made for `target` wait for a person's approval before they go out.
pub async fn set_review_first(
    db: &impl Database,
    target: Target,
    review_first: bool,
    now: i64,
) -> DomainResult<()> {
    let changed: Option<serde::de::IgnoredAny> = fetch_optional(
        db,
        &Statement::new(
            "UPDATE facebook_connections SET review_first = ?2, updated_at = ?3
              WHERE business_id IS ?1 RETURNING id",
        )
        .bind(target)
        .bind(review_first)
        .bind(now),
    )
    .await?;
    changed
        .map(|_| ())
        .ok_or_else(|| DomainError::NotFound("Facebook connection".into()))
}

/// The health a token check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Active,
    /// Still works, but Meta will not renew it: the person must sign in again soon.
    Expiring,
    /// Meta refuses it.
    Invalid,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expiring => "expiring",
            Self::Invalid => "invalid",
        }
    }
}

/// What one token check found for connection `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub health: Health,
    /// For the owner: why they must reconnect (empty when active).
    pub detail: String,
    pub token_expires_at: i64,
    pub data_access_expires_at: i64,
}

/// Records a check of connection `id`, when it still holds the token that was checked
/// (`key_id` and sealed page token), so a check racing a reconnect does not mark the new one.
pub async fn record_check(
    db: &impl Database,
    connection: &Connection,
    check: &Check,
    now: i64,
) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "UPDATE facebook_connections SET status = ?3, status_detail = ?4, token_expires_at = ?5,
                    data_access_expires_at = ?6, checked_at = ?7, updated_at = ?7
              WHERE id = ?1 AND page_token = ?2",
        )
        .bind(connection.id)
        .bind(connection.page_token.0.as_str())
        .bind(check.health.as_str())
        .bind(truncated(&check.detail, 500))
        .bind(check.token_expires_at)
        .bind(check.data_access_expires_at)
        .bind(now),
    )
    .await
}

/// Renewed tokens, sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewed {
    pub key_id: String,
    pub page_token: SealedText,
    pub user_token: SealedText,
    pub token_expires_at: i64,
    pub user_token_expires_at: i64,
    pub data_access_expires_at: i64,
}

/// Stores renewed tokens for `connection` in place of the ones it held (only if it still
/// holds them). `true` when stored.
pub async fn store_renewed(
    db: &impl Database,
    connection: &Connection,
    renewed: &Renewed,
    now: i64,
) -> DbResult<bool> {
    let stored: Vec<crate::db::Row> = db
        .query(
            &Statement::new(
                "UPDATE facebook_connections SET key_id = ?3, page_token = ?4, user_token = ?5,
                        token_expires_at = ?6, user_token_expires_at = ?7, data_access_expires_at = ?8,
                        status = 'active', status_detail = '', checked_at = ?9, updated_at = ?9
                  WHERE id = ?1 AND page_token = ?2 RETURNING id",
            )
            .bind(connection.id)
            .bind(connection.page_token.0.as_str())
            .bind(renewed.key_id.as_str())
            .bind(renewed.page_token.0.as_str())
            .bind(renewed.user_token.0.as_str())
            .bind(renewed.token_expires_at)
            .bind(renewed.user_token_expires_at)
            .bind(renewed.data_access_expires_at)
            .bind(now),
        )
        .await?;
    Ok(!stored.is_empty())
}

/// Marks connection `id` invalid (Meta refused its token while publishing).
pub async fn mark_invalid(db: &impl Database, id: i64, detail: &str, now: i64) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "UPDATE facebook_connections SET status = 'invalid', status_detail = ?2, updated_at = ?3
              WHERE id = ?1",
        )
        .bind(id)
        .bind(truncated(detail, 500))
        .bind(now),
    )
    .await
}

/// Holds back publishing to connection `id` until `until` (Meta's rate limit).
pub async fn pause(
    db: &impl Database,
    id: i64,
    until: i64,
    reason: &str,
    now: i64,
) -> DbResult<()> {
    db.execute(
        &Statement::new(
            "UPDATE facebook_connections SET paused_until = max(paused_until, ?2), pause_reason = ?3,
                    updated_at = ?4
              WHERE id = ?1",
        )
        .bind(id)
        .bind(until)
        .bind(truncated(reason, 500))
        .bind(now),
    )
    .await
}

/// `text` cut to at most `most` characters (columns cap their length).
pub(crate) fn truncated(text: &str, most: usize) -> String {
    text.chars().take(most).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::accounts::tests::signed_in;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert, some_category};
    use pollster::block_on;

    pub(crate) const NOW: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC

    pub(crate) fn offer(page_id: &str, name: &str) -> PageOffer {
        PageOffer {
            page_id: page_id.into(),
            page_name: name.into(),
            category: "Bakery".into(),
            facebook_user_id: "fb-user-1".into(),
            key_id: "k1".into(),
            page_token: SealedText(format!("sealed-page-{page_id}")),
            user_token: SealedText("sealed-user".into()),
            user_token_expires_at: NOW + 60 * 86_400,
            data_access_expires_at: NOW + 90 * 86_400,
        }
    }

    /// A business of its own with `page_id` connected, and the person who connected it.
    pub(crate) fn connected(db: &SqliteDatabase, name: &str, page_id: &str) -> Connection {
        let category = some_category(db, &format!("category-{page_id}"));
        let created = insert(db, &business(name, category));
        let person = signed_in(
            db,
            &format!("sub-{page_id}"),
            &format!("{page_id}@example.com"),
        );
        let target = Target::Business(created.id);
        block_on(offer_pages(
            db,
            person.user_id,
            target,
            &[offer(page_id, name)],
            NOW,
        ))
        .unwrap();
        block_on(connect(db, person.user_id, target, page_id, NOW)).unwrap()
    }

    pub(crate) fn pause_for(db: &SqliteDatabase, id: i64, until: i64) {
        block_on(pause(db, id, until, "rate limited", NOW)).unwrap();
    }

    #[test]
    fn a_login_attempt_is_taken_once_and_not_after_it_expires() {
        let db = SqliteDatabase::in_memory().unwrap();
        let person = signed_in(&db, "s1", "a@example.com");
        let hash = "a".repeat(64);
        block_on(start_login(
            &db,
            &hash,
            person.user_id,
            Target::Directory,
            NOW,
        ))
        .unwrap();
        let taken = block_on(take_login(&db, &hash, NOW + 1)).unwrap().unwrap();
        assert_eq!(taken.target(), Target::Directory);
        assert!(block_on(take_login(&db, &hash, NOW + 2)).unwrap().is_none());
        block_on(start_login(
            &db,
            &hash,
            person.user_id,
            Target::Directory,
            NOW,
        ))
        .unwrap();
        assert!(
            block_on(take_login(&db, &hash, NOW + LOGIN_ATTEMPT_SECONDS))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_picked_page_becomes_the_connection_and_the_other_offers_are_forgotten() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let created = insert(&db, &business("Hugo Feed", food));
        let person = signed_in(&db, "s1", "a@example.com");
        let target = Target::Business(created.id);
        let offers = [offer("p1", "Hugo Feed"), offer("p2", "Hugo Hay")];
        block_on(offer_pages(&db, person.user_id, target, &offers, NOW)).unwrap();
        assert_eq!(
            block_on(page_choices(&db, person.user_id, target, NOW))
                .unwrap()
                .len(),
            2
        );
        let connection = block_on(connect(&db, person.user_id, target, "p2", NOW)).unwrap();
        assert_eq!(connection.page_name, "Hugo Hay");
        assert_eq!(connection.page_token, SealedText("sealed-page-p2".into()));
        assert!(
            block_on(page_choices(&db, person.user_id, target, NOW))
                .unwrap()
                .is_empty()
        );
        // The pick form submitted again finds no offer and changes nothing.
        assert!(block_on(connect(&db, person.user_id, target, "p1", NOW)).is_err());
        assert_eq!(
            block_on(of_target(&db, target)).unwrap().unwrap().page_id,
            "p2"
        );
    }

    #[test]
    fn reconnecting_replaces_the_page_in_place() {
        let db = SqliteDatabase::in_memory().unwrap();
        let first = connected(&db, "Hugo Feed", "p1");
        let person = signed_in(&db, "s2", "b@example.com");
        let target = first.target();
        block_on(offer_pages(
            &db,
            person.user_id,
            target,
            &[offer("p9", "Hugo New")],
            NOW,
        ))
        .unwrap();
        let second = block_on(connect(&db, person.user_id, target, "p9", NOW + 5)).unwrap();
        assert_eq!(second.id, first.id);
        assert_eq!(second.page_id, "p9");
    }

    #[test]
    fn an_offer_for_another_business_cannot_be_picked_for_this_one() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = some_category(&db, "food");
        let mine = insert(&db, &business("Mine", food));
        let theirs = insert(&db, &business("Theirs", food));
        let person = signed_in(&db, "s1", "a@example.com");
        let offers = [offer("p1", "Mine")];
        block_on(offer_pages(
            &db,
            person.user_id,
            Target::Business(mine.id),
            &offers,
            NOW,
        ))
        .unwrap();
        assert!(
            block_on(connect(
                &db,
                person.user_id,
                Target::Business(theirs.id),
                "p1",
                NOW
            ))
            .is_err()
        );
        let other = signed_in(&db, "s2", "b@example.com");
        assert!(
            block_on(connect(
                &db,
                other.user_id,
                Target::Business(mine.id),
                "p1",
                NOW
            ))
            .is_err()
        );
    }

    #[test]
    fn the_directory_has_one_page_of_its_own() {
        let db = SqliteDatabase::in_memory().unwrap();
        let admin = signed_in(&db, "s1", "a@example.com");
        for page in ["d1", "d2"] {
            let offers = [offer(page, "Kiamichi Biz Connect")];
            block_on(offer_pages(
                &db,
                admin.user_id,
                Target::Directory,
                &offers,
                NOW,
            ))
            .unwrap();
            block_on(connect(&db, admin.user_id, Target::Directory, page, NOW)).unwrap();
        }
        let all = block_on(all(&db)).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].page_id, "d2");
        assert!(block_on(disconnect(&db, Target::Directory)).unwrap());
        assert!(
            block_on(of_target(&db, Target::Directory))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_renewal_is_stored_only_over_the_token_it_renewed() {
        let db = SqliteDatabase::in_memory().unwrap();
        let connection = connected(&db, "Hugo Feed", "p1");
        let renewed = Renewed {
            key_id: "k2".into(),
            page_token: SealedText("sealed-page-new".into()),
            user_token: SealedText("sealed-user-new".into()),
            token_expires_at: 0,
            user_token_expires_at: NOW + 60 * 86_400,
            data_access_expires_at: NOW + 90 * 86_400,
        };
        assert!(block_on(store_renewed(&db, &connection, &renewed, NOW + 1)).unwrap());
        // The same stale connection renewed again (a second run) stores nothing.
        assert!(!block_on(store_renewed(&db, &connection, &renewed, NOW + 2)).unwrap());
        let now = block_on(find(&db, connection.id)).unwrap().unwrap();
        assert_eq!(now.page_token, SealedText("sealed-page-new".into()));
        assert_eq!(now.key_id, "k2");
    }

    #[test]
    fn a_failed_check_shows_the_reconnect_notice_until_a_new_login() {
        let db = SqliteDatabase::in_memory().unwrap();
        let connection = connected(&db, "Hugo Feed", "p1");
        let check = Check {
            health: Health::Expiring,
            detail: "Facebook access ends in 3 days".into(),
            token_expires_at: NOW + 3 * 86_400,
            data_access_expires_at: NOW + 3 * 86_400,
        };
        block_on(record_check(&db, &connection, &check, NOW)).unwrap();
        assert!(
            block_on(find(&db, connection.id))
                .unwrap()
                .unwrap()
                .needs_reconnect()
        );
        let person = signed_in(&db, "s9", "c@example.com");
        let target = connection.target();
        block_on(offer_pages(
            &db,
            person.user_id,
            target,
            &[offer("p1", "Hugo Feed")],
            NOW,
        ))
        .unwrap();
        assert!(
            !block_on(connect(&db, person.user_id, target, "p1", NOW))
                .unwrap()
                .needs_reconnect()
        );
    }

    #[test]
    fn a_pause_only_moves_forward() {
        let db = SqliteDatabase::in_memory().unwrap();
        let connection = connected(&db, "Hugo Feed", "p1");
        block_on(pause(&db, connection.id, NOW + 3600, "rate limited", NOW)).unwrap();
        block_on(pause(&db, connection.id, NOW + 60, "rate limited", NOW)).unwrap();
        let now = block_on(find(&db, connection.id)).unwrap().unwrap();
        assert!(now.is_paused(NOW + 3599));
        assert!(!now.is_paused(NOW + 3600));
    }
}
