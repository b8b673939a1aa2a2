//! People who sign in to the dashboard and console: users keyed by their identity
//! provider's subject, their roles (granted to a user, or to an email before its first
//! verified sign-in), their sessions (stored as hashes, with sliding and absolute expiry),
//! and the single-use sign-in attempts the OpenID flow keeps between its two legs.
//!
//! Random values and hashing of secrets happen in the worker; this module stores and
//! checks what it is given, so a session id or `state` never reaches the database in clear.

use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::values::Email;
use serde::{Deserialize, Serialize};

/// What a signed-in person may do beyond their own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, crate::FieldError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw.trim())
            .ok_or_else(|| crate::FieldError::new(field, "must be admin or owner"))
    }
}

/// An identity the provider vouched for (its id_token already verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
}

/// How long sessions and sign-in attempts live, in seconds.
pub const SESSION_IDLE_SECONDS: i64 = 7 * 24 * 3600;
pub const SESSION_ABSOLUTE_SECONDS: i64 = 30 * 24 * 3600;
pub const SIGN_IN_ATTEMPT_SECONDS: i64 = 10 * 60;
/// A session's idle expiry moves at most this often, so reading a page is not always a write.
const SLIDE_EVERY_SECONDS: i64 = 60;

/// Records a sign-in: the user is found by (issuer, subject) or created, their email and name
/// follow the provider's, and roles invited to their email become theirs when the provider
/// verified it. Returns the user's id.
pub async fn sign_in(
    db: &impl Database,
    identity: &VerifiedIdentity,
    now: i64,
) -> DomainResult<i64> {
    let user_id = fetch_integer(
        db,
        &Statement::new(
            "INSERT INTO users (issuer, subject, email, email_verified, name, created_at, last_sign_in_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (issuer, subject) DO UPDATE SET email = excluded.email,
                 email_verified = excluded.email_verified, name = excluded.name,
                 last_sign_in_at = excluded.last_sign_in_at
             RETURNING id",
        )
        .bind(identity.issuer.as_str())
        .bind(identity.subject.as_str())
        .bind(normalized_email(&identity.email).as_str())
        .bind(identity.email_verified)
        .bind(identity.name.as_str())
        .bind(now),
    )
    .await?;
    if identity.email_verified {
        let email = normalized_email(&identity.email);
        db.batch(&[
            Statement::new(
                "INSERT OR IGNORE INTO user_roles (user_id, role, granted_at)
                 SELECT ?1, role, ?2 FROM role_invitations WHERE email = ?3",
            )
            .bind(user_id)
            .bind(now)
            .bind(email.as_str()),
            Statement::new("DELETE FROM role_invitations WHERE email = ?1").bind(email.as_str()),
        ])
        .await?;
    }
    Ok(user_id)
}

fn normalized_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whom a grant by email reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    /// Users who signed in with that email, verified, now hold the role.
    Users(Vec<i64>),
    /// Nobody has yet: the first verified sign-in with that email will.
    Invited,
}

/// Grants `role` to whoever signs in with `email` verified: at once to users who already
/// did, otherwise at their first sign-in.
pub async fn grant_by_email(
    db: &impl Database,
    email: &Email,
    role: Role,
    now: i64,
) -> DomainResult<Granted> {
    db.batch(&grant_by_email_statements(email, role, now))
        .await?;
    let users: Vec<IdRow> = fetch_all(
        db,
        &Statement::new(
            "SELECT user_id AS id FROM user_roles JOIN users ON users.id = user_id
                          WHERE email = ?1 AND email_verified = 1 AND role = ?2 ORDER BY id",
        )
        .bind(normalized_email(email.as_str()).as_str())
        .bind(role.as_str()),
    )
    .await?;
    Ok(if users.is_empty() {
        Granted::Invited
    } else {
        Granted::Users(users.into_iter().map(|u| u.id).collect())
    })
}

/// [`grant_by_email`] as statements, for an operator's command that runs them through
/// wrangler (`cargo xtask admin grant`): the role goes to users already signed in with the
/// email verified, or else waits as an invitation.
pub fn grant_by_email_statements(email: &Email, role: Role, now: i64) -> [Statement; 2] {
    let email = normalized_email(email.as_str());
    [
        Statement::new(
            "INSERT INTO user_roles (user_id, role, granted_at)
             SELECT id, ?2, ?3 FROM users WHERE email = ?1 AND email_verified = 1
             ON CONFLICT (user_id, role) DO NOTHING",
        )
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(now),
        Statement::new(
            "INSERT INTO role_invitations (email, role, created_at)
             SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = ?1 AND email_verified = 1)
             ON CONFLICT (email, role) DO NOTHING",
        )
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(now),
    ]
}

#[derive(Deserialize)]
struct IdRow {
    id: i64,
}

fn grant_statement(user_id: i64, role: Role, by: Option<i64>, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, role) DO NOTHING",
    )
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .bind(by)
}

/// Grants `role` to a user, as `by` (an admin), and records it in the audit log.
pub async fn grant(
    db: &impl Database,
    actor: &Actor,
    user_id: i64,
    role: Role,
    now: i64,
) -> DomainResult<()> {
    let user = find_user(db, user_id)
        .await?
        .ok_or_else(|| DomainError::NotFound("user".into()))?;
    db.batch(&[
        grant_statement(user.id, role, Some(actor.user_id), now),
        crate::audit::entry(
            actor,
            "role.grant",
            "user",
            &user.id.to_string(),
            None,
            Some(role.as_str()),
            now,
        ),
    ])
    .await?;
    Ok(())
}

/// Takes `role` from a user and ends their sessions, so the change holds from their next
/// request. An admin cannot take their own admin role (someone must stay able to grant).
pub async fn revoke(
    db: &impl Database,
    actor: &Actor,
    user_id: i64,
    role: Role,
    now: i64,
) -> DomainResult<()> {
    if role == Role::Admin && user_id == actor.user_id {
        return Err(DomainError::invalid(
            "role",
            "you cannot take your own admin role",
        ));
    }
    let user = find_user(db, user_id)
        .await?
        .ok_or_else(|| DomainError::NotFound("user".into()))?;
    db.batch(&[
        Statement::new("DELETE FROM user_roles WHERE user_id = ?1 AND role = ?2")
            .bind(user.id)
            .bind(role.as_str()),
        // An owner no more owns anything: granting the role again gives no business back.
        Statement::new("DELETE FROM business_owners WHERE user_id = ?1 AND ?2 = 'owner'")
            .bind(user.id)
            .bind(role.as_str()),
        Statement::new("DELETE FROM sessions WHERE user_id = ?1").bind(user.id),
        crate::audit::entry(
            actor,
            "role.revoke",
            "user",
            &user.id.to_string(),
            Some(role.as_str()),
            None,
            now,
        ),
    ])
    .await?;
    Ok(())
}

/// Ends every session of a user (an admin's "sign out everywhere" for someone else).
pub async fn revoke_sessions(
    db: &impl Database,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> DomainResult<()> {
    let user = find_user(db, user_id)
        .await?
        .ok_or_else(|| DomainError::NotFound("user".into()))?;
    db.batch(&[
        Statement::new("DELETE FROM sessions WHERE user_id = ?1").bind(user.id),
        crate::audit::entry(
            actor,
            "sessions.revoke",
            "user",
            &user.id.to_string(),
            None,
            None,
            now,
        ),
    ])
    .await?;
    Ok(())
}

/// A user as the console lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    #[serde(deserialize_with = "crate::db::flag")]
    pub email_verified: bool,
    pub name: String,
    pub created_at: i64,
    pub last_sign_in_at: i64,
    /// Comma-separated, in order (`admin,owner`), empty for none.
    pub roles: String,
    pub sessions: i64,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.split(',').any(|r| r == role.as_str())
    }
}

const SELECT_USER: &str =
    "SELECT u.id, u.email, u.email_verified, u.name, u.created_at, u.last_sign_in_at,
        coalesce((SELECT group_concat(role, ',') FROM (SELECT role FROM user_roles r
                   WHERE r.user_id = u.id ORDER BY role)), '') AS roles,
        (SELECT count(*) FROM sessions s WHERE s.user_id = u.id) AS sessions
   FROM users u";

pub async fn find_user(db: &impl Database, id: i64) -> DbResult<Option<User>> {
    fetch_optional(
        db,
        &Statement::new(format!("{SELECT_USER} WHERE u.id = ?1")).bind(id),
    )
    .await
}

/// Users whose email or name contains `search` (all when empty), newest sign-in first.
pub async fn list_users(
    db: &impl Database,
    search: &str,
    page: crate::Page,
) -> DbResult<crate::Paged<User>> {
    let pattern = format!("%{}%", search.trim());
    let items = fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_USER} WHERE u.email LIKE ?1 OR u.name LIKE ?1
             ORDER BY u.last_sign_in_at DESC, u.id DESC LIMIT ?2 OFFSET ?3"
        ))
        .bind(pattern.as_str())
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM users u WHERE u.email LIKE ?1 OR u.name LIKE ?1")
            .bind(pattern.as_str()),
    )
    .await?;
    Ok(crate::Paged { items, total, page })
}

/// Roles invited by email that nobody has taken up yet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Invitation {
    pub email: String,
    pub role: String,
    pub created_at: i64,
}

pub async fn invitations(db: &impl Database) -> DbResult<Vec<Invitation>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT email, role, created_at FROM role_invitations ORDER BY created_at DESC, email",
        ),
    )
    .await
}

/// Who is acting, for rights checks and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub email: String,
}

/// The person behind a live session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub csrf_token: String,
    pub roles: String,
    last_seen_at: i64,
}

impl Session {
    pub fn has(&self, role: Role) -> bool {
        self.roles.split(',').any(|r| r == role.as_str())
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id,
            email: self.email.clone(),
        }
    }
}

/// Stores a new session (by the hash of its id) and prunes ended ones.
pub async fn create_session(
    db: &impl Database,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
    now: i64,
) -> DbResult<()> {
    db.batch(&[
        Statement::new("DELETE FROM sessions WHERE expires_at <= ?1 OR idle_expires_at <= ?1").bind(now),
        Statement::new(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, idle_expires_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(now + SESSION_IDLE_SECONDS)
        .bind(now + SESSION_ABSOLUTE_SECONDS),
    ])
    .await
}

/// The live session with this id hash, its idle expiry moved forward (never past the
/// absolute one); `None` once it ended, was signed out or revoked.
pub async fn session(db: &impl Database, id_hash: &str, now: i64) -> DbResult<Option<Session>> {
    let found: Option<Session> = fetch_optional(
        db,
        &Statement::new(
            "SELECT s.user_id, u.email, u.name, s.csrf_token, s.last_seen_at,
                coalesce((SELECT group_concat(role, ',') FROM (SELECT role FROM user_roles r
                           WHERE r.user_id = u.id ORDER BY role)), '') AS roles
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.id_hash = ?1 AND s.idle_expires_at > ?2 AND s.expires_at > ?2",
        )
        .bind(id_hash)
        .bind(now),
    )
    .await?;
    if let Some(session) = &found
        && now - session.last_seen_at >= SLIDE_EVERY_SECONDS
    {
        db.execute(
            &Statement::new(
                "UPDATE sessions SET last_seen_at = ?2, idle_expires_at = min(expires_at, ?2 + ?3)
                  WHERE id_hash = ?1",
            )
            .bind(id_hash)
            .bind(now)
            .bind(SESSION_IDLE_SECONDS),
        )
        .await?;
    }
    Ok(found)
}

/// Signs one session out.
pub async fn end_session(db: &impl Database, id_hash: &str) -> DbResult<()> {
    db.execute(&Statement::new("DELETE FROM sessions WHERE id_hash = ?1").bind(id_hash))
        .await
}

/// Signs a user out everywhere.
pub async fn end_all_sessions(db: &impl Database, user_id: i64) -> DbResult<()> {
    db.execute(&Statement::new("DELETE FROM sessions WHERE user_id = ?1").bind(user_id))
        .await
}

/// What the callback of a sign-in needs from its start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignInAttempt {
    pub nonce: String,
    pub code_verifier: String,
    pub next_path: String,
    expires_at: i64,
}

/// Remembers a started sign-in under the hash of its `state`, pruning ended ones.
pub async fn start_sign_in(
    db: &impl Database,
    state_hash: &str,
    nonce: &str,
    code_verifier: &str,
    next_path: &str,
    now: i64,
) -> DbResult<()> {
    db.batch(&[
        Statement::new("DELETE FROM sign_in_attempts WHERE expires_at <= ?1").bind(now),
        Statement::new(
            "INSERT INTO sign_in_attempts (state_hash, nonce, code_verifier, next_path, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(state_hash)
        .bind(nonce)
        .bind(code_verifier)
        .bind(next_path)
        .bind(now)
        .bind(now + SIGN_IN_ATTEMPT_SECONDS),
    ])
    .await
}

/// Takes the sign-in started with this `state` hash: it is deleted as it is read, so a
/// replayed callback finds nothing. `None` when unknown, used or expired.
pub async fn take_sign_in(
    db: &impl Database,
    state_hash: &str,
    now: i64,
) -> DbResult<Option<SignInAttempt>> {
    let attempt: Option<SignInAttempt> = fetch_optional(
        db,
        &Statement::new(
            "DELETE FROM sign_in_attempts WHERE state_hash = ?1
             RETURNING nonce, code_verifier, next_path, expires_at",
        )
        .bind(state_hash),
    )
    .await?;
    Ok(attempt.filter(|attempt| attempt.expires_at > now))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    fn identity(subject: &str, email: &str, verified: bool) -> VerifiedIdentity {
        VerifiedIdentity {
            issuer: "https://accounts.google.com".into(),
            subject: subject.into(),
            email: email.into(),
            email_verified: verified,
            name: "Dana".into(),
        }
    }

    /// Someone signed in with a verified email, as the actor of the tests' admin actions.
    pub(crate) fn signed_in(db: &SqliteDatabase, subject: &str, email: &str) -> Actor {
        let user_id = block_on(sign_in(db, &identity(subject, email, true), NOW)).unwrap();
        Actor {
            user_id,
            email: email.to_owned(),
        }
    }

    fn hash(text: &str) -> String {
        crate::fingerprint::sha256_hex(text.as_bytes(), 32)
    }

    fn db() -> SqliteDatabase {
        SqliteDatabase::in_memory().unwrap()
    }

    fn email(text: &str) -> Email {
        Email::parse("email", text).unwrap()
    }

    #[test]
    fn users_are_keyed_by_subject_not_by_email() {
        let db = db();
        let first = block_on(sign_in(
            &db,
            &identity("sub-1", "dana@example.com", true),
            NOW,
        ))
        .unwrap();
        let again = block_on(sign_in(
            &db,
            &identity("sub-1", "new@example.com", true),
            NOW + 5,
        ))
        .unwrap();
        let other = block_on(sign_in(
            &db,
            &identity("sub-2", "new@example.com", true),
            NOW + 9,
        ))
        .unwrap();
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert_eq!(
            block_on(find_user(&db, first)).unwrap().unwrap().email,
            "new@example.com"
        );
    }

    #[test]
    fn an_invited_role_goes_to_the_first_verified_sign_in_with_that_email() {
        let db = db();
        let granted = block_on(grant_by_email(
            &db,
            &email("Boss@Example.com"),
            Role::Admin,
            NOW,
        ))
        .unwrap();
        assert_eq!(granted, Granted::Invited);
        let unverified = block_on(sign_in(
            &db,
            &identity("sub-x", "boss@example.com", false),
            NOW,
        ))
        .unwrap();
        assert!(
            !block_on(find_user(&db, unverified))
                .unwrap()
                .unwrap()
                .has(Role::Admin)
        );
        let verified = block_on(sign_in(
            &db,
            &identity("sub-y", "boss@example.com", true),
            NOW,
        ))
        .unwrap();
        assert!(
            block_on(find_user(&db, verified))
                .unwrap()
                .unwrap()
                .has(Role::Admin)
        );
        assert!(block_on(invitations(&db)).unwrap().is_empty());
    }

    #[test]
    fn a_grant_by_email_reaches_a_user_who_already_signed_in_at_once() {
        let db = db();
        let user = block_on(sign_in(
            &db,
            &identity("sub-1", "dana@example.com", true),
            NOW,
        ))
        .unwrap();
        let granted = block_on(grant_by_email(
            &db,
            &email("dana@example.com"),
            Role::Owner,
            NOW,
        ))
        .unwrap();
        assert_eq!(granted, Granted::Users(vec![user]));
        assert!(
            block_on(find_user(&db, user))
                .unwrap()
                .unwrap()
                .has(Role::Owner)
        );
    }

    #[test]
    fn the_operators_grant_runs_as_inlined_sql_too() {
        let db = db();
        for statement in grant_by_email_statements(&email("o'neil@example.com"), Role::Admin, NOW) {
            block_on(db.execute(&Statement::new(statement.inline_sql()))).unwrap();
        }
        let user = block_on(sign_in(
            &db,
            &identity("sub-9", "o'neil@example.com", true),
            NOW,
        ))
        .unwrap();
        assert!(
            block_on(find_user(&db, user))
                .unwrap()
                .unwrap()
                .has(Role::Admin)
        );
    }

    #[test]
    fn a_session_slides_but_never_past_its_absolute_expiry() {
        let db = db();
        let user = block_on(sign_in(
            &db,
            &identity("sub-1", "dana@example.com", true),
            NOW,
        ))
        .unwrap();
        block_on(create_session(&db, &hash("s"), user, "csrf", NOW)).unwrap();
        let mut now = NOW;
        while now < NOW + SESSION_ABSOLUTE_SECONDS - SESSION_IDLE_SECONDS / 2 {
            now += SESSION_IDLE_SECONDS / 2;
            assert!(
                block_on(session(&db, &hash("s"), now)).unwrap().is_some(),
                "alive at {now}"
            );
        }
        assert!(
            block_on(session(&db, &hash("s"), NOW + SESSION_ABSOLUTE_SECONDS))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn an_idle_session_ends() {
        let db = db();
        let user = block_on(sign_in(
            &db,
            &identity("sub-1", "dana@example.com", true),
            NOW,
        ))
        .unwrap();
        block_on(create_session(&db, &hash("s"), user, "csrf", NOW)).unwrap();
        assert!(
            block_on(session(&db, &hash("s"), NOW + SESSION_IDLE_SECONDS))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn signing_out_everywhere_ends_every_session_of_the_user_only() {
        let db = db();
        let dana = block_on(sign_in(
            &db,
            &identity("sub-1", "dana@example.com", true),
            NOW,
        ))
        .unwrap();
        let eli = block_on(sign_in(
            &db,
            &identity("sub-2", "eli@example.com", true),
            NOW,
        ))
        .unwrap();
        for (id, user) in [("a", dana), ("b", dana), ("c", eli)] {
            block_on(create_session(&db, &hash(id), user, "csrf", NOW)).unwrap();
        }
        block_on(end_all_sessions(&db, dana)).unwrap();
        assert!(
            block_on(session(&db, &hash("a"), NOW + 1))
                .unwrap()
                .is_none()
        );
        assert!(
            block_on(session(&db, &hash("b"), NOW + 1))
                .unwrap()
                .is_none()
        );
        assert!(
            block_on(session(&db, &hash("c"), NOW + 1))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn revoking_a_role_ends_the_users_sessions_and_is_audited() {
        let db = db();
        let admin = block_on(sign_in(
            &db,
            &identity("sub-1", "boss@example.com", true),
            NOW,
        ))
        .unwrap();
        let owner = block_on(sign_in(
            &db,
            &identity("sub-2", "eli@example.com", true),
            NOW,
        ))
        .unwrap();
        let actor = Actor {
            user_id: admin,
            email: "boss@example.com".into(),
        };
        block_on(grant(&db, &actor, owner, Role::Owner, NOW)).unwrap();
        block_on(create_session(&db, &hash("e"), owner, "csrf", NOW)).unwrap();
        block_on(revoke(&db, &actor, owner, Role::Owner, NOW + 1)).unwrap();
        assert!(
            block_on(session(&db, &hash("e"), NOW + 2))
                .unwrap()
                .is_none()
        );
        let log = block_on(crate::audit::list(
            &db,
            &crate::audit::Filter::default(),
            crate::Page::first(20),
        ))
        .unwrap();
        let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["role.revoke", "role.grant"]);
    }

    #[test]
    fn taking_the_owner_role_away_takes_every_business_with_it() {
        let db = db();
        let actor = signed_in(&db, "boss", "boss@example.com");
        let owner = signed_in(&db, "eli", "eli@example.com");
        let category = crate::directory::tests::some_category(&db, "food");
        let listing = crate::directory::tests::insert(
            &db,
            &crate::directory::tests::business("Eli's Cafe", category),
        );
        block_on(db.execute(
            &Statement::new(
                "INSERT INTO business_owners (business_id, user_id, created_at) VALUES (?1, ?2, 1)",
            )
            .bind(listing.id)
            .bind(owner.user_id),
        ))
        .unwrap();
        block_on(grant(&db, &actor, owner.user_id, Role::Owner, NOW)).unwrap();
        block_on(revoke(&db, &actor, owner.user_id, Role::Owner, NOW + 1)).unwrap();
        assert!(!block_on(crate::claims::owns(&db, owner.user_id, listing.id)).unwrap());
        block_on(grant(&db, &actor, owner.user_id, Role::Owner, NOW + 2)).unwrap();
        assert!(
            !block_on(crate::claims::owns(&db, owner.user_id, listing.id)).unwrap(),
            "granting the role again gives no business back"
        );
    }

    #[test]
    fn an_admin_cannot_take_their_own_admin_role() {
        let db = db();
        let admin = block_on(sign_in(
            &db,
            &identity("sub-1", "boss@example.com", true),
            NOW,
        ))
        .unwrap();
        let actor = Actor {
            user_id: admin,
            email: "boss@example.com".into(),
        };
        assert!(block_on(revoke(&db, &actor, admin, Role::Admin, NOW)).is_err());
    }

    #[test]
    fn a_sign_in_attempt_works_once_and_not_after_it_expired() {
        let db = db();
        block_on(start_sign_in(
            &db,
            &hash("state"),
            "nonce",
            "verifier",
            "/admin",
            NOW,
        ))
        .unwrap();
        let taken = block_on(take_sign_in(&db, &hash("state"), NOW + 1))
            .unwrap()
            .unwrap();
        assert_eq!(taken.next_path, "/admin");
        assert!(
            block_on(take_sign_in(&db, &hash("state"), NOW + 2))
                .unwrap()
                .is_none()
        );
        block_on(start_sign_in(&db, &hash("late"), "n", "v", "/", NOW)).unwrap();
        assert!(
            block_on(take_sign_in(
                &db,
                &hash("late"),
                NOW + SIGN_IN_ATTEMPT_SECONDS
            ))
            .unwrap()
            .is_none()
        );
    }
}
