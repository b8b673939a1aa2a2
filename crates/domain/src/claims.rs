//! Claims: how a signed-in person comes to own a listing. A claim is approved at once when
//! the claimant's verified email is the listing's email, or its domain is the listing's
//! website's (free mail domains never count); otherwise it waits for an admin, who approves
//! or rejects it with a reason. An approved claim makes the claimant an owner of exactly
//! that business (and gives them the `owner` role); [`owns`] is the rights check every
//! owner-facing request makes on the exact business it touches.

use crate::accounts::Actor;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::values::Slug;
use crate::{Page, Paged};
use serde::Deserialize;

/// Mail domains anyone can have an address at: sharing one with a website proves nothing.
const FREE_MAIL: [&str; 12] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
];

/// How a claim request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Approved by a rule: the claimant owns the business now.
    Owner { how: &'static str },
    /// Waiting for an admin.
    Pending { id: i64 },
    /// They already own it.
    AlreadyOwner,
}

#[derive(Deserialize)]
struct Target {
    id: i64,
    email: Option<String>,
    website: Option<String>,
}

/// Which rule, if any, approves `claimant_email` for a listing with this email and website.
pub fn automatic_rule(
    claimant_email: &str,
    email: Option<&str>,
    website: Option<&str>,
) -> Option<&'static str> {
    let claimant = claimant_email.trim().to_lowercase();
    if email.is_some_and(|listing| listing.trim().to_lowercase() == claimant) {
        return Some("email");
    }
    let (_, domain) = claimant.rsplit_once('@')?;
    if FREE_MAIL.contains(&domain) {
        return None;
    }
    let host = url::Url::parse(website?).ok()?.host_str()?.to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (host == domain).then_some("domain")
}

/// `claimant` asks to own the public listing `slug`, saying `note` to the admins.
pub async fn request(
    db: &impl Database,
    claimant: &Actor,
    slug: &Slug,
    note: &str,
    now: i64,
) -> DomainResult<ClaimOutcome> {
    let note = note.trim();
    if note.chars().count() > 1000 {
        return Err(DomainError::invalid(
            "note",
            "must be at most 1000 characters",
        ));
    }
    let target: Target = fetch_optional(
        db,
        &Statement::new(concat!(
            "SELECT id, email, website FROM businesses WHERE slug = ?1 AND ",
            public_listing!()
        ))
        .bind(slug.as_str()),
    )
    .await?
    .ok_or_else(|| DomainError::NotFound("business".into()))?;
    if owns(db, claimant.user_id, target.id).await? {
        return Ok(ClaimOutcome::AlreadyOwner);
    }
    if let Some(how) = automatic_rule(
        &claimant.email,
        target.email.as_deref(),
        target.website.as_deref(),
    ) {
        db.batch(&[
            Statement::new(
                "INSERT INTO claims (business_id, user_id, status, note, decided_how, created_at, decided_at)
                 VALUES (?1, ?2, 'approved', ?3, ?4, ?5, ?5)",
            )
            .bind(target.id)
            .bind(claimant.user_id)
            .bind(note)
            .bind(how)
            .bind(now),
            ownership(target.id, claimant.user_id, now),
            owner_role(claimant.user_id, now),
        ])
        .await?;
        return Ok(ClaimOutcome::Owner { how });
    }
    let id = fetch_integer(
        db,
        &Statement::new(
            "INSERT INTO claims (business_id, user_id, note, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (business_id, user_id) WHERE status = 'pending' DO UPDATE SET note = excluded.note
             RETURNING id",
        )
        .bind(target.id)
        .bind(claimant.user_id)
        .bind(note)
        .bind(now),
    )
    .await?;
    Ok(ClaimOutcome::Pending { id })
}

/// Makes the claimant of the business's latest approved claim one of its owners.
fn ownership(business_id: i64, user_id: i64, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO business_owners (business_id, user_id, claim_id, created_at)
         SELECT ?1, ?2, max(id), ?3 FROM claims WHERE business_id = ?1 AND user_id = ?2 AND status = 'approved'
         ON CONFLICT (business_id, user_id) DO NOTHING",
    )
    .bind(business_id)
    .bind(user_id)
    .bind(now)
}

fn owner_role(user_id: i64, now: i64) -> Statement {
    Statement::new(
        "INSERT INTO user_roles (user_id, role, granted_at) VALUES (?1, 'owner', ?2)
         ON CONFLICT (user_id, role) DO NOTHING",
    )
    .bind(user_id)
    .bind(now)
}

/// A public listing as its claim page names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claimable {
    pub id: i64,
    pub name: String,
    pub city: String,
    pub state: String,
}

/// The public listing `slug`, if there is one to claim.
pub async fn claimable(db: &impl Database, slug: &Slug) -> DbResult<Option<Claimable>> {
    fetch_optional(
        db,
        &Statement::new(concat!(
            "SELECT id, name, city, state FROM businesses WHERE slug = ?1 AND ",
            public_listing!()
        ))
        .bind(slug.as_str()),
    )
    .await
}

/// Whether `user_id` owns `business_id`: the check on the exact object.
pub async fn owns(db: &impl Database, user_id: i64, business_id: i64) -> DbResult<bool> {
    let found = fetch_integer(
        db,
        &Statement::new(
            "SELECT count(*) FROM business_owners WHERE user_id = ?1 AND business_id = ?2",
        )
        .bind(user_id)
        .bind(business_id),
    )
    .await?;
    Ok(found > 0)
}

/// A claim as the console and the claimant see it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claim {
    pub id: i64,
    pub business_id: i64,
    pub business_slug: String,
    pub business_name: String,
    pub business_email: Option<String>,
    pub business_website: Option<String>,
    pub claimant_email: String,
    pub claimant_name: String,
    pub status: String,
    pub note: String,
    pub decided_how: Option<String>,
    pub reason: String,
    pub created_at: i64,
}

const SELECT_CLAIM: &str =
    "SELECT c.id, c.business_id, b.slug AS business_slug, b.name AS business_name,
        b.email AS business_email, b.website AS business_website, u.email AS claimant_email,
        u.name AS claimant_name, c.status, c.note, c.decided_how, c.reason, c.created_at
   FROM claims c JOIN businesses b ON b.id = c.business_id JOIN users u ON u.id = c.user_id";

/// Claims waiting for an admin, oldest first.
pub async fn pending_page(db: &impl Database, page: Page) -> DbResult<Paged<Claim>> {
    let items = fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_CLAIM} WHERE c.status = 'pending' ORDER BY c.created_at, c.id LIMIT ?1 OFFSET ?2"
        ))
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM claims WHERE status = 'pending'"),
    )
    .await?;
    Ok(Paged { items, total, page })
}

/// Every claim a person made, newest first: what they see of their claims' status.
pub async fn of_user(db: &impl Database, user_id: i64) -> DbResult<Vec<Claim>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_CLAIM} WHERE c.user_id = ?1 ORDER BY c.created_at DESC, c.id DESC LIMIT 50"
        ))
        .bind(user_id),
    )
    .await
}

/// A business someone owns.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Owned {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

pub async fn owned_by(db: &impl Database, user_id: i64) -> DbResult<Vec<Owned>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT b.id, b.slug, b.name FROM business_owners o JOIN businesses b ON b.id = o.business_id
              WHERE o.user_id = ?1 ORDER BY b.name COLLATE NOCASE, b.id",
        )
        .bind(user_id),
    )
    .await
}

/// What became of an admin's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// This request decided it.
    Now,
    /// Someone decided first; nothing changed.
    Already,
}

/// An admin approves or rejects a pending claim (a rejection needs a reason). One batch,
/// keyed by this request's `token`, so racing decisions record one outcome and one entry.
pub async fn decide(
    db: &impl Database,
    actor: &Actor,
    id: i64,
    approve: bool,
    reason: &str,
    token: &str,
    now: i64,
) -> DomainResult<Decided> {
    let reason = reason.trim();
    if !approve && (reason.is_empty() || reason.chars().count() > 500) {
        return Err(DomainError::invalid(
            "reason",
            "say why, in at most 500 characters",
        ));
    }
    #[derive(Deserialize)]
    struct Row {
        business_id: i64,
        user_id: i64,
    }
    let row: Row = fetch_optional(
        db,
        &Statement::new("SELECT business_id, user_id FROM claims WHERE id = ?1").bind(id),
    )
    .await?
    .ok_or_else(|| DomainError::NotFound("claim".into()))?;
    let status = if approve { "approved" } else { "rejected" };
    const THIS_DECISION: &str =
        "EXISTS (SELECT 1 FROM claims WHERE id = ?9 AND decision_token = ?10)";
    let mut statements = vec![
        Statement::new(
            "UPDATE claims SET status = ?2, decided_how = 'admin', reason = ?3, decided_at = ?4, decided_by = ?5,
                 decision_token = ?6
              WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id)
        .bind(status)
        .bind(reason)
        .bind(now)
        .bind(actor.user_id)
        .bind(token),
        crate::audit::guarded_entry(
            actor,
            if approve { "claim.approve" } else { "claim.reject" },
            "claim",
            &id.to_string(),
            None,
            Some(if approve { "approved" } else { reason }),
            now,
            THIS_DECISION,
        )
        .bind(id)
        .bind(token),
    ];
    if approve {
        statements.push(ownership(row.business_id, row.user_id, now));
        statements.push(owner_role(row.user_id, now));
    }
    db.batch(&statements).await?;
    let won = fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM claims WHERE id = ?1 AND decision_token = ?2")
            .bind(id)
            .bind(token),
    )
    .await?;
    Ok(if won > 0 {
        Decided::Now
    } else {
        Decided::Already
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{self, Role};
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, some_category};
    use pollster::block_on;

    const NOW: i64 = 1_767_225_600;

    fn person(db: &SqliteDatabase, subject: &str, email: &str) -> Actor {
        accounts::tests::signed_in(db, subject, email)
    }

    /// A public listing with this email and website; returns its slug and id.
    fn listing(db: &SqliteDatabase, name: &str, email: &str, website: &str) -> (Slug, i64) {
        let category = some_category(db, &format!("c-{}", name.to_lowercase().replace(' ', "-")));
        let mut new = business(name, category);
        new.email = Some(crate::values::Email::parse("email", email).unwrap());
        new.website = Some(crate::values::WebUrl::parse("website", website).unwrap());
        let created = block_on(crate::directory::create(db, &new, NOW)).unwrap();
        (created.slug, created.id)
    }

    #[test]
    fn the_listings_own_email_is_approved_at_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (slug, id) = listing(
            &db,
            "Ridgeline Plumbing",
            "Owner@Ridgeline.test",
            "ridgeline.test",
        );
        let owen = person(&db, "owen", "owner@ridgeline.test");
        let outcome = block_on(request(&db, &owen, &slug, "", NOW)).unwrap();
        assert_eq!(outcome, ClaimOutcome::Owner { how: "email" });
        assert!(block_on(owns(&db, owen.user_id, id)).unwrap());
        assert!(
            block_on(accounts::find_user(&db, owen.user_id))
                .unwrap()
                .unwrap()
                .has(Role::Owner)
        );
        assert_eq!(
            block_on(request(&db, &owen, &slug, "", NOW)).unwrap(),
            ClaimOutcome::AlreadyOwner
        );
    }

    #[test]
    fn an_email_at_the_websites_domain_is_approved_at_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (slug, _) = listing(
            &db,
            "Ridgeline Plumbing",
            "info@ridgeline.test",
            "https://www.ridgeline.test/",
        );
        let staff = person(&db, "sam", "sam@ridgeline.test");
        assert_eq!(
            block_on(request(&db, &staff, &slug, "", NOW)).unwrap(),
            ClaimOutcome::Owner { how: "domain" }
        );
    }

    #[test]
    fn free_mail_and_other_domains_wait_for_an_admin() {
        assert_eq!(
            automatic_rule(
                "x@gmail.com",
                Some("y@gmail.com"),
                Some("https://gmail.com")
            ),
            None
        );
        assert_eq!(
            automatic_rule(
                "x@other.test",
                Some("y@ridgeline.test"),
                Some("https://ridgeline.test")
            ),
            None
        );
        let db = SqliteDatabase::in_memory().unwrap();
        let (slug, id) = listing(
            &db,
            "Ridgeline Plumbing",
            "info@ridgeline.test",
            "ridgeline.test",
        );
        let stranger = person(&db, "nia", "nia@example.test");
        let ClaimOutcome::Pending { id: claim } =
            block_on(request(&db, &stranger, &slug, "I run it", NOW)).unwrap()
        else {
            panic!("pending expected")
        };
        assert_eq!(
            block_on(request(&db, &stranger, &slug, "Really", NOW)).unwrap(),
            ClaimOutcome::Pending { id: claim },
            "one open claim per person and listing"
        );
        assert!(!block_on(owns(&db, stranger.user_id, id)).unwrap());
        assert_eq!(
            block_on(pending_page(&db, Page::first(10))).unwrap().items[0].note,
            "Really"
        );
    }

    #[test]
    fn an_admins_approval_makes_an_owner_once_and_is_audited_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (slug, id) = listing(
            &db,
            "Ridgeline Plumbing",
            "info@ridgeline.test",
            "ridgeline.test",
        );
        let admin = person(&db, "ada", "ada@example.test");
        let nia = person(&db, "nia", "nia@example.test");
        let ClaimOutcome::Pending { id: claim } =
            block_on(request(&db, &nia, &slug, "", NOW)).unwrap()
        else {
            panic!("pending expected")
        };
        assert_eq!(
            block_on(decide(&db, &admin, claim, true, "", "aa11", NOW)).unwrap(),
            Decided::Now
        );
        assert_eq!(
            block_on(decide(&db, &admin, claim, true, "", "bb22", NOW)).unwrap(),
            Decided::Already
        );
        assert!(block_on(owns(&db, nia.user_id, id)).unwrap());
        let log = block_on(crate::audit::list(
            &db,
            &crate::audit::Filter::default(),
            Page::first(10),
        ))
        .unwrap();
        assert_eq!(log.total, 1);
        assert_eq!(
            block_on(of_user(&db, nia.user_id)).unwrap()[0].status,
            "approved"
        );
    }

    #[test]
    fn a_rejection_needs_a_reason_and_makes_no_owner() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (slug, id) = listing(
            &db,
            "Ridgeline Plumbing",
            "info@ridgeline.test",
            "ridgeline.test",
        );
        let admin = person(&db, "ada", "ada@example.test");
        let nia = person(&db, "nia", "nia@example.test");
        let ClaimOutcome::Pending { id: claim } =
            block_on(request(&db, &nia, &slug, "", NOW)).unwrap()
        else {
            panic!("pending expected")
        };
        assert!(block_on(decide(&db, &admin, claim, false, " ", "aa11", NOW)).is_err());
        assert_eq!(
            block_on(decide(
                &db,
                &admin,
                claim,
                false,
                "Not the owner",
                "aa11",
                NOW
            ))
            .unwrap(),
            Decided::Now
        );
        assert!(!block_on(owns(&db, nia.user_id, id)).unwrap());
        let mine = block_on(of_user(&db, nia.user_id)).unwrap();
        assert_eq!(
            (mine[0].status.as_str(), mine[0].reason.as_str()),
            ("rejected", "Not the owner")
        );
    }

    #[test]
    fn owning_one_business_is_not_owning_its_neighbour() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (mine, mine_id) = listing(
            &db,
            "Ridgeline Plumbing",
            "owner@ridgeline.test",
            "ridgeline.test",
        );
        let (_, theirs_id) = listing(&db, "Valley Plumbing", "owner@valley.test", "valley.test");
        let owen = person(&db, "owen", "owner@ridgeline.test");
        block_on(request(&db, &owen, &mine, "", NOW)).unwrap();
        assert!(block_on(owns(&db, owen.user_id, mine_id)).unwrap());
        assert!(!block_on(owns(&db, owen.user_id, theirs_id)).unwrap());
        assert_eq!(block_on(owned_by(&db, owen.user_id)).unwrap().len(), 1);
    }

    #[test]
    fn a_draft_or_unknown_listing_cannot_be_claimed() {
        let db = SqliteDatabase::in_memory().unwrap();
        let owen = person(&db, "owen", "owner@ridgeline.test");
        let missing = Slug::parse("slug", "no-such-business").unwrap();
        assert!(matches!(
            block_on(request(&db, &owen, &missing, "", NOW)),
            Err(DomainError::NotFound(_))
        ));
    }
}
