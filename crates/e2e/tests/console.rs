//! The agent worker's trusted half, end to end in workerd through the fake Google: signing
//! in (PKCE, state, nonce, cookies), sessions ending, the CSRF and origin gate, rights on
//! admin pages, moderation that approves exactly once, and logs that hold no secret.

use kbc_domain::db::Statement;
use kbc_e2e::client::Worker;
use kbc_e2e::listings::{approval_form, count, pending_submission, published_listing};
use kbc_e2e::sign_in::{
    self, ADMIN, NEIGHBOUR, OWNER, SESSION_COOKIE, SIGN_IN_COOKIE, UNVERIFIED, choose, come_back,
    set_cookie_header, sign_in_as, start,
};
use kbc_e2e::state;
use pollster::block_on;
use serde_json::json;
use std::sync::{Mutex, MutexGuard};

/// The agent and the api are two workerd processes writing one local SQLite file, which
/// they share less gracefully than D1 does: these tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn agent() -> Worker {
    Worker::agent()
}

/// The api's isolates remember the cache generation for `GENERATION_MEMO_MS` (one second):
/// what the agent just changed is public once that has passed.
fn until_the_edge_sees_it() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn signing_in_lands_on_the_page_asked_for_with_a_host_only_secure_session_cookie() {
    let _turn = exclusive();
    let agent = agent();
    let session = sign_in_as(&agent, ADMIN, "/admin/users?q=kiamichi");
    assert_eq!(session.landed_on, "/admin/users?q=kiamichi");
    let cookie = set_cookie_header(&session.callback, SESSION_COOKIE).unwrap();
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert_eq!(session.id.len(), 64, "256 bits of hex");
    let page = session.get(&agent, "/admin/users?q=kiamichi");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(ADMIN));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
}

#[test]
fn the_session_id_is_stored_only_as_its_hash() {
    let _turn = exclusive();
    let session = sign_in_as(&agent(), ADMIN, "/account");
    assert_eq!(
        count(
            "SELECT count(*) FROM sessions WHERE id_hash = ?1",
            &session.id
        ),
        0
    );
    let hash = kbc_identity_hash(&session.id);
    assert_eq!(
        count("SELECT count(*) FROM sessions WHERE id_hash = ?1", &hash),
        1
    );
}

/// SHA-256 hex, as the worker stores session ids.
fn kbc_identity_hash(secret: &str) -> String {
    kbc_domain::fingerprint::sha256_hex(secret.as_bytes(), 32)
}

#[test]
fn anonymous_visitors_of_console_pages_are_sent_to_sign_in_and_back() {
    let _turn = exclusive();
    let reply = agent().get("/admin/submissions?page=2");
    assert_eq!(reply.status, 303);
    assert_eq!(
        reply.header("location"),
        Some("/sign-in?next=%2Fadmin%2Fsubmissions%3Fpage%3D2")
    );
    let page = agent().get("/sign-in?next=%2Fadmin%2Fsubmissions%3Fpage%3D2");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("value=\"/admin/submissions?page=2\""),
        "{}",
        page.body
    );
}

#[test]
fn a_next_outside_our_origin_stays_home() {
    let _turn = exclusive();
    let agent = agent();
    for hostile in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "http:evil.example",
    ] {
        let session = sign_in_as(&agent, OWNER, hostile);
        assert!(
            session.landed_on.starts_with('/') && !session.landed_on.starts_with("//"),
            "{hostile} sent the browser to {}",
            session.landed_on
        );
        assert!(
            !session.landed_on.contains("evil"),
            "{hostile}: {}",
            session.landed_on
        );
    }
}

#[test]
fn hostile_callback_parameters_are_never_reflected() {
    let _turn = exclusive();
    let agent = agent();
    let started = start(&agent, "/account");
    let payload = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let reply = come_back(
        &agent,
        &format!("/auth/callback?state={payload}&error={payload}&error_description={payload}"),
        &started.state_cookie,
    );
    assert_eq!(reply.status, 400);
    assert!(
        !reply.body.contains("<script>") && !reply.body.contains("alert(1)"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("could not sign you in"));
}

#[test]
fn a_callback_works_once() {
    let _turn = exclusive();
    let agent = agent();
    let started = start(&agent, "/account");
    let callback = choose(&started, OWNER);
    assert_eq!(
        come_back(&agent, &callback, &started.state_cookie).status,
        303
    );
    let replay = come_back(&agent, &callback, &started.state_cookie);
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert!(sign_in::set_cookie(&replay, SESSION_COOKIE).is_none());
}

#[test]
fn a_callback_in_another_browser_is_refused() {
    let _turn = exclusive();
    // Login CSRF: an attacker's own sign-in finished in the victim's browser lacks the
    // cookie its start set.
    let agent = agent();
    let started = start(&agent, "/account");
    let callback = choose(&started, OWNER);
    let other_browser = agent.get(&callback);
    assert_eq!(other_browser.status, 400);
    let wrong_cookie = come_back(&agent, &callback, &"0".repeat(64));
    assert_eq!(wrong_cookie.status, 400);
}

#[test]
fn cancelling_at_the_provider_signs_nobody_in() {
    let _turn = exclusive();
    let agent = agent();
    let started = start(&agent, "/account");
    let state: String = started
        .authorize_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into();
    let reply = come_back(
        &agent,
        &format!("/auth/callback?error=access_denied&state={state}"),
        &started.state_cookie,
    );
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("Sign-in cancelled"));
    assert!(sign_in::set_cookie(&reply, SESSION_COOKIE).is_none());
}

#[test]
fn an_unverified_email_cannot_sign_in() {
    let _turn = exclusive();
    let agent = agent();
    let started = start(&agent, "/account");
    let callback = choose(&started, UNVERIFIED);
    let reply = come_back(&agent, &callback, &started.state_cookie);
    assert_eq!(reply.status, 400);
    assert!(sign_in::set_cookie(&reply, SESSION_COOKIE).is_none());
    assert_eq!(
        count("SELECT count(*) FROM users WHERE email = ?1", UNVERIFIED),
        0
    );
}

#[test]
fn the_sign_in_cookie_is_host_only_secure_and_short_lived() {
    let _turn = exclusive();
    let agent = agent();
    let body = "next=%2F";
    let reply = agent.send(
        "POST",
        "/sign-in",
        &[
            ("Origin", agent.origin()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(body.as_bytes()),
    );
    let cookie = set_cookie_header(&reply, SIGN_IN_COOKIE).unwrap();
    for attribute in [
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=600",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let location = reply.header("location").unwrap();
    for parameter in [
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
    ] {
        assert!(location.contains(parameter), "{location}");
    }
}

#[test]
fn starting_a_sign_in_from_another_site_is_refused() {
    let _turn = exclusive();
    let agent = agent();
    let reply = agent.send(
        "POST",
        "/sign-in",
        &[
            ("Origin", "https://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(b"next=%2F"),
    );
    assert_eq!(reply.status, 403);
}

#[test]
fn an_owner_is_refused_every_admin_page_and_action() {
    let _turn = exclusive();
    let agent = agent();
    let owner = sign_in_as(&agent, NEIGHBOUR, "/account");
    for page in [
        "/admin/submissions",
        "/admin/users",
        "/admin/audit",
        "/admin/submissions/1",
        "/admin/businesses",
        "/admin/businesses/1",
        "/admin/claims",
        "/admin/jobs",
        "/admin/blog",
        "/admin/blog/new",
    ] {
        assert_eq!(owner.get(&agent, page).status, 403, "{page}");
    }
    let token = sign_in::csrf_token(&owner.get(&agent, "/account").body);
    for action in [
        "/admin/submissions/1/approve",
        "/admin/submissions/1/reject",
        "/admin/invitations",
        "/admin/businesses/1/plan",
    ] {
        let reply = owner.post_raw(
            &agent,
            action,
            &format!("csrf={token}&reason=x&email=a%40b.co&role=admin"),
            agent.origin(),
        );
        assert_eq!(reply.status, 403, "{action}");
    }
    assert_eq!(
        count(
            "SELECT count(*) FROM role_invitations WHERE email = ?1",
            "a@b.co"
        ),
        0
    );
}

#[test]
fn a_change_without_the_sessions_csrf_token_or_from_another_site_changes_nothing() {
    let _turn = exclusive();
    let agent = agent();
    let admin = sign_in_as(&agent, ADMIN, "/admin/users");
    let email = "csrf-victim@example.org";
    let without = admin.post_raw(
        &agent,
        "/admin/invitations",
        &format!("email={email}&role=admin"),
        agent.origin(),
    );
    assert_eq!(without.status, 403);
    let forged = admin.post_raw(
        &agent,
        "/admin/invitations",
        &format!("csrf={}&email={email}&role=admin", "a".repeat(64)),
        agent.origin(),
    );
    assert_eq!(forged.status, 403);
    let token = sign_in::csrf_token(&admin.get(&agent, "/admin/users").body);
    let cross_site = admin.post_raw(
        &agent,
        "/admin/invitations",
        &format!("csrf={token}&email={email}&role=admin"),
        "https://evil.example",
    );
    assert_eq!(cross_site.status, 403);
    assert_eq!(
        count(
            "SELECT count(*) FROM role_invitations WHERE email = ?1",
            email
        ),
        0
    );
    let allowed = admin.post_form(
        &agent,
        "/admin/users",
        "/admin/invitations",
        &[("email", email), ("role", "owner")],
    );
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    assert_eq!(
        count(
            "SELECT count(*) FROM role_invitations WHERE email = ?1",
            email
        ),
        1
    );
}

#[test]
fn get_never_changes_state() {
    let _turn = exclusive();
    let agent = agent();
    let admin = sign_in_as(&agent, ADMIN, "/account");
    let reply = admin.get(&agent, "/sign-out");
    assert_eq!(reply.status, 405);
    assert_eq!(admin.get(&agent, "/account").status, 200, "still signed in");
}

/// A fresh pending submission sent through the public API; returns its id.

#[test]
fn concurrent_approvals_publish_exactly_one_business() {
    let _turn = exclusive();
    let agent = agent();
    let name = "Qqconsole Race Drains";
    let id = pending_submission(name, "198.51.100.61");
    let admin = sign_in_as(&agent, ADMIN, "/admin/submissions");
    let token = sign_in::csrf_token(&admin.get(&agent, &format!("/admin/submissions/{id}")).body);
    let body = approval_form(&token, name);
    let replies: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    let reply = admin.post_raw(
                        &agent,
                        &format!("/admin/submissions/{id}/approve"),
                        &body,
                        agent.origin(),
                    );
                    assert_eq!(reply.status, 303, "{}", reply.body);
                    reply.header("location").unwrap_or_default().to_owned()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let approved = replies
        .iter()
        .filter(|l| l.ends_with("done=approved"))
        .count();
    assert_eq!(approved, 1, "{replies:?}");
    assert_eq!(
        count("SELECT count(*) FROM businesses WHERE name = ?1", name),
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM audit_log WHERE action = 'submission.approve' AND object_id = ?1",
            &id.to_string()
        ),
        1
    );
}

#[test]
fn an_approved_submission_with_a_hostile_name_shows_as_text_and_goes_public() {
    let _turn = exclusive();
    let agent = agent();
    let name = "<script>alert('zz')</script> Qqconsole Septic";
    let id = pending_submission(name, "198.51.100.62");
    let admin = sign_in_as(&agent, ADMIN, "/admin/submissions");
    let review = admin.get(&agent, &format!("/admin/submissions/{id}"));
    assert!(
        !review.body.contains("<script>alert"),
        "stored text is escaped"
    );
    assert!(review.body.contains("&#60;script&#62;") || review.body.contains("&lt;script&gt;"));
    let token = sign_in::csrf_token(&review.body);
    let reply = admin.post_raw(
        &agent,
        &format!("/admin/submissions/{id}/approve"),
        &approval_form(&token, name),
        agent.origin(),
    );
    assert_eq!(
        reply.header("location"),
        Some("/admin/submissions?done=approved")
    );
    let slug = block_on(kbc_domain::db::fetch_all::<serde_json::Value>(
        &state::database(),
        &Statement::new("SELECT slug FROM businesses WHERE name = ?1").bind(name),
    ))
    .unwrap()[0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = Worker::api().get(&format!("/api/v1/businesses/{slug}"));
    assert_eq!(public.status, 200, "{}", public.body);
    assert_eq!(public.json()["business"]["name"], name);
}

#[test]
fn rejecting_needs_a_reason_and_keeps_the_business_private() {
    let _turn = exclusive();
    let agent = agent();
    let name = "Qqconsole Rejected Rooter";
    let id = pending_submission(name, "198.51.100.63");
    let admin = sign_in_as(&agent, ADMIN, "/admin/submissions");
    let page = format!("/admin/submissions/{id}");
    let action = format!("/admin/submissions/{id}/reject");
    let empty = admin.post_form(&agent, &page, &action, &[("reason", "  ")]);
    assert_eq!(empty.status, 422);
    let rejected = admin.post_form(&agent, &page, &action, &[("reason", "Outside our area")]);
    assert_eq!(
        rejected.header("location"),
        Some("/admin/submissions?done=rejected")
    );
    assert_eq!(
        count("SELECT count(*) FROM businesses WHERE name = ?1", name),
        0
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM submissions WHERE business_name = ?1 AND status = 'rejected'",
            name
        ),
        1
    );
}

#[test]
fn signing_out_ends_the_session_on_the_next_request() {
    let _turn = exclusive();
    let agent = agent();
    let session = sign_in_as(&agent, OWNER, "/account");
    let reply = session.post_form(&agent, "/account", "/sign-out", &[]);
    assert_eq!(reply.status, 303);
    let after = session.get(&agent, "/account");
    assert_eq!(after.status, 303, "signed out");
    assert!(after.header("location").unwrap().starts_with("/sign-in"));
}

#[test]
fn signing_out_everywhere_ends_every_session_of_that_person() {
    let _turn = exclusive();
    let agent = agent();
    let laptop = sign_in_as(&agent, OWNER, "/account");
    let phone = sign_in_as(&agent, OWNER, "/account");
    let reply = laptop.post_form(&agent, "/account", "/sign-out-everywhere", &[]);
    assert_eq!(reply.status, 303);
    assert_eq!(phone.get(&agent, "/account").status, 303);
    assert_eq!(laptop.get(&agent, "/account").status, 303);
}

#[test]
fn an_admin_revoking_someones_sessions_ends_them_at_once() {
    let _turn = exclusive();
    let agent = agent();
    let neighbour = sign_in_as(&agent, NEIGHBOUR, "/account");
    assert_eq!(neighbour.get(&agent, "/account").status, 200);
    let admin = sign_in_as(&agent, ADMIN, "/admin/users");
    let user_id = count("SELECT id FROM users WHERE email = ?1", NEIGHBOUR);
    let reply = admin.post_form(
        &agent,
        "/admin/users",
        &format!("/admin/users/{user_id}/sessions/revoke"),
        &[],
    );
    assert_eq!(reply.header("location"), Some("/admin/users?done=sessions"));
    assert_eq!(neighbour.get(&agent, "/account").status, 303);
}

#[test]
fn the_agents_log_holds_no_session_id_state_code_or_token() {
    let _turn = exclusive();
    let agent = agent();
    let started = start(&agent, "/account");
    let state: String = started
        .authorize_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into();
    let callback = choose(&started, OWNER);
    let code: String = url::Url::parse(&format!("http://x{callback}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into();
    let reply = come_back(&agent, &callback, &started.state_cookie);
    let session = sign_in::set_cookie(&reply, SESSION_COOKIE).unwrap();
    // Let workerd flush the lines of these requests.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let log_dir = std::env::var("KBC_LOG_DIR").expect("KBC_LOG_DIR is set by `cargo xtask test`");
    let log = std::fs::read_to_string(format!("{log_dir}/agent.log")).unwrap();
    assert!(
        log.contains("\"route\":\"/auth/callback\""),
        "the callback was logged"
    );
    for secret in [&state, &code, &session] {
        assert!(
            !log.contains(secret.as_str()),
            "the agent log holds a secret"
        );
    }
}

fn owners_of(slug: &str) -> i64 {
    count(
        "SELECT count(*) FROM business_owners WHERE business_id = (SELECT id FROM businesses WHERE slug = ?1)",
        slug,
    )
}

#[test]
fn the_listings_own_email_owns_it_at_once_and_nothing_else() {
    let _turn = exclusive();
    let agent = agent();
    let slug = published_listing(&agent, "Qqconsole Owned Pipes", "198.51.100.64");
    let owner = sign_in_as(&agent, OWNER, &format!("/claim/{slug}"));
    assert_eq!(owner.landed_on, format!("/claim/{slug}"));
    let page = owner.get(&agent, &format!("/claim/{slug}"));
    assert!(
        page.body
            .contains("Is Qqconsole Owned Pipes your business?"),
        "{}",
        page.body
    );
    let reply = owner.post_form(
        &agent,
        &format!("/claim/{slug}"),
        &format!("/claim/{slug}"),
        &[("note", "")],
    );
    assert_eq!(reply.header("location"), Some("/account?done=owner"));
    assert_eq!(owners_of(&slug), 1);
    assert_eq!(
        owners_of(kbc_e2e::fixtures::PLUMBER_SLUG),
        0,
        "owning one is not owning its neighbour"
    );
    let account = owner.get(&agent, "/account?done=owner");
    assert!(
        account.body.contains("Qqconsole Owned Pipes")
            && account.body.contains("You own this listing now.")
    );
}

#[test]
fn a_claim_no_rule_approves_waits_for_an_admin() {
    let _turn = exclusive();
    let agent = agent();
    let slug = published_listing(&agent, "Qqconsole Claimed Taps", "198.51.100.65");
    let neighbour = sign_in_as(&agent, NEIGHBOUR, "/account");
    let claim_page = format!("/claim/{slug}");
    let reply = neighbour.post_form(
        &agent,
        &claim_page,
        &claim_page,
        &[("note", "<b>I run it</b>")],
    );
    assert_eq!(reply.header("location"), Some("/account?done=claim-sent"));
    assert_eq!(owners_of(&slug), 0);
    assert!(
        neighbour
            .get(&agent, "/account")
            .body
            .contains("<strong>pending</strong>")
    );

    let admin = sign_in_as(&agent, ADMIN, "/admin/claims");
    let queue = admin.get(&agent, "/admin/claims");
    assert!(queue.body.contains("Qqconsole Claimed Taps"));
    assert!(
        !queue.body.contains("<b>I run it</b>"),
        "the claimant's note is shown as text"
    );
    let claim_id = count(
        "SELECT id FROM claims WHERE business_id = (SELECT id FROM businesses WHERE slug = ?1)",
        &slug,
    );
    let approved = admin.post_form(
        &agent,
        "/admin/claims",
        &format!("/admin/claims/{claim_id}/approve"),
        &[],
    );
    assert_eq!(
        approved.header("location"),
        Some("/admin/claims?done=claim-approved")
    );
    assert_eq!(owners_of(&slug), 1);
    assert!(
        neighbour
            .get(&agent, "/account")
            .body
            .contains("<strong>approved</strong>")
    );
}

#[test]
fn an_owner_cannot_decide_claims() {
    let _turn = exclusive();
    let agent = agent();
    let owner = sign_in_as(&agent, OWNER, "/account");
    let token = sign_in::csrf_token(&owner.get(&agent, "/account").body);
    let reply = owner.post_raw(
        &agent,
        "/admin/claims/1/approve",
        &format!("csrf={token}"),
        agent.origin(),
    );
    assert_eq!(reply.status, 403);
    assert_eq!(owner.get(&agent, "/admin/claims").status, 403);
}

#[test]
fn visitors_claiming_are_sent_to_sign_in_and_back() {
    let _turn = exclusive();
    let reply = agent().get(&format!("/claim/{}", kbc_e2e::fixtures::PLUMBER_SLUG));
    assert_eq!(reply.status, 303);
    assert_eq!(
        reply.header("location"),
        Some(
            format!(
                "/sign-in?next=%2Fclaim%2F{}",
                kbc_e2e::fixtures::PLUMBER_SLUG
            )
            .as_str()
        )
    );
}

#[test]
fn a_public_business_page_links_to_claiming_it_on_the_app() {
    let _turn = exclusive();
    let page = Worker::api().get(&format!("/business/{}", kbc_e2e::fixtures::PLUMBER_SLUG));
    let link = format!(
        "href=\"{}/claim/{}\"",
        agent().origin(),
        kbc_e2e::fixtures::PLUMBER_SLUG
    );
    assert!(page.body.contains(&link), "{link}");
}

#[test]
fn the_job_runs_page_lists_each_crons_runs() {
    let _turn = exclusive();
    let agent = agent();
    let admin = sign_in_as(&agent, ADMIN, "/admin/jobs");
    let page = admin.get(&agent, "/admin/jobs");
    assert_eq!(page.status, 200);
    for job in [
        "enrich_listings",
        "publish_posts",
        "refresh_tokens",
        "rotate_featured",
    ] {
        assert!(page.body.contains(job), "{job}");
    }
}

fn business_id(slug: &str) -> i64 {
    count("SELECT id FROM businesses WHERE slug = ?1", slug)
}

#[test]
fn an_admin_edits_a_listing_and_the_public_page_shows_it_at_once() {
    let _turn = exclusive();
    let agent = agent();
    let slug = published_listing(&agent, "Qqconsole Edited Eaves", "198.51.100.66");
    let id = business_id(&slug);
    let admin = sign_in_as(&agent, ADMIN, "/admin/businesses");
    assert!(
        admin
            .get(&agent, "/admin/businesses?q=Qqconsole+Edited")
            .body
            .contains("Qqconsole Edited Eaves")
    );
    let page = format!("/admin/businesses/{id}");
    let fields = [
        ("name", "Qqconsole Edited Eaves & Gutters"),
        ("category", kbc_e2e::fixtures::CONSOLE),
        ("description", "Gutters cleaned."),
        ("phone", "580-555-0143"),
        ("email", ""),
        ("website", ""),
        ("street", ""),
        ("city", "Idabel"),
        ("state", "OK"),
        ("zip", ""),
        ("keywords", "gutters, roofing"),
        ("towns", "Broken Bow, Hugo"),
        ("service_radius_km", "60"),
        ("social_facebook", "https://facebook.com/qqconsole-eaves"),
        // Far from the fixtures' distance searches around Idabel.
        ("location", "34.586,-94.239"),
        ("hours_1", "8:00-12:00, 13:00-17:30"),
        ("hours_6", "closed"),
    ];
    let mut bad = fields;
    bad[3] = ("phone", "12");
    let refused = admin.post_form(&agent, &page, &format!("{page}/edit"), &bad);
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"listing-phone-error\""),
        "the error is beside its field"
    );
    let saved = admin.post_form(&agent, &page, &format!("{page}/edit"), &fields);
    assert_eq!(
        saved.header("location"),
        Some(format!("{page}?done=listing-saved").as_str())
    );
    until_the_edge_sees_it();
    let public = Worker::api().get(&format!("/api/v1/businesses/{slug}"));
    let business = &public.json()["business"];
    assert_eq!(business["name"], "Qqconsole Edited Eaves & Gutters");
    let shown = business.to_string();
    assert_eq!(
        business["hours"].as_array().map(Vec::len),
        Some(2),
        "{business}"
    );
    assert_eq!(business["location"]["latitude"], 34.586);
    for expected in ["roofing", "Broken Bow", "facebook.com/qqconsole-eaves"] {
        assert!(shown.contains(expected), "{expected} in {shown}");
    }
}

#[test]
fn an_admin_sets_a_listings_plan_which_is_audited_and_shown_with_its_featured_state() {
    let _turn = exclusive();
    let agent = agent();
    let slug = published_listing(&agent, "Qqconsole Premium Pies", "198.51.100.68");
    let id = business_id(&slug);
    let page = format!("/admin/businesses/{id}");
    let admin = sign_in_as(&agent, ADMIN, &page);
    let shown = admin.get(&agent, &page).body;
    assert!(shown.contains("Plan: <strong>Free</strong>"), "{shown}");
    assert!(shown.contains("waiting for its turn in the rotation"));

    let refused = admin.post_form(&agent, &page, &format!("{page}/plan"), &[("plan", "gold")]);
    assert_eq!(refused.status, 400);
    let saved = admin.post_form(
        &agent,
        &page,
        &format!("{page}/plan"),
        &[("plan", "premium")],
    );
    assert_eq!(
        saved.header("location"),
        Some(format!("{page}?done=plan").as_str())
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM businesses WHERE slug = ?1 AND plan = 'premium'",
            &slug
        ),
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM audit_log WHERE action = 'listing.plan' AND object_id = ?1
                AND before_json = 'free' AND after_json = 'premium'",
            &id.to_string()
        ),
        1
    );
    let featured = admin.post_form(&agent, &page, &format!("{page}/feature"), &[("days", "3")]);
    assert_eq!(featured.status, 303);
    let shown = admin.get(&agent, &page).body;
    assert!(
        shown.contains("Plan: <strong>Premium (paid)</strong>"),
        "{shown}"
    );
    assert!(shown.contains("locked by an admin."), "{shown}");
}

#[test]
fn a_suspended_listing_leaves_the_public_site_until_reactivated() {
    let _turn = exclusive();
    let agent = agent();
    let slug = published_listing(&agent, "Qqconsole Paused Pantry", "198.51.100.67");
    let page = format!("/admin/businesses/{}", business_id(&slug));
    let admin = sign_in_as(&agent, ADMIN, &page);
    let api = Worker::api();
    let suspended = admin.post_form(
        &agent,
        &page,
        &format!("{page}/state"),
        &[("change", "suspend")],
    );
    assert_eq!(suspended.status, 303);
    until_the_edge_sees_it();
    assert_eq!(api.get(&format!("/api/v1/businesses/{slug}")).status, 404);
    admin.post_form(
        &agent,
        &page,
        &format!("{page}/state"),
        &[("change", "reactivate")],
    );
    until_the_edge_sees_it();
    assert_eq!(api.get(&format!("/api/v1/businesses/{slug}")).status, 200);
}

#[test]
fn erasing_a_listing_removes_it_and_its_leads_and_needs_the_word() {
    let _turn = exclusive();
    let agent = agent();
    let slug = published_listing(&agent, "Qqconsole Erased Electric", "198.51.100.68");
    let id = business_id(&slug);
    let lead = Worker::api().post_json(
        &format!("/api/v1/businesses/{slug}/leads"),
        "198.51.100.69",
        &json!({"name": "Pat Private", "email": "pat.private@example.org", "message": "Please call me about a quote."}),
    );
    assert_eq!(lead.status, 202, "{}", lead.body);
    let page = format!("/admin/businesses/{id}");
    let admin = sign_in_as(&agent, ADMIN, &page);
    assert!(
        admin
            .get(&agent, &page)
            .body
            .contains("pat.private@example.org"),
        "admins read leads"
    );
    let unconfirmed = admin.post_form(
        &agent,
        &page,
        &format!("{page}/erase"),
        &[("confirm", "yes")],
    );
    assert_eq!(unconfirmed.status, 422);
    assert_eq!(business_id(&slug), id, "nothing erased");
    let erased = admin.post_form(
        &agent,
        &page,
        &format!("{page}/erase"),
        &[("confirm", "ERASE")],
    );
    assert_eq!(
        erased.header("location"),
        Some("/admin/businesses?done=erased")
    );
    until_the_edge_sees_it();
    assert_eq!(
        count("SELECT count(*) FROM businesses WHERE slug = ?1", &slug),
        0
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM leads WHERE email = ?1",
            "pat.private@example.org"
        ),
        0
    );
    assert_eq!(
        Worker::api()
            .get(&format!("/api/v1/businesses/{slug}"))
            .status,
        404
    );
}

#[test]
fn a_lead_can_only_be_marked_spam_through_its_own_business() {
    let _turn = exclusive();
    let agent = agent();
    let mine = published_listing(&agent, "Qqconsole Spam Target", "198.51.100.70");
    let other = published_listing(&agent, "Qqconsole Spam Neighbour", "198.51.100.71");
    let lead = Worker::api().post_json(
        &format!("/api/v1/businesses/{mine}/leads"),
        "198.51.100.72",
        &json!({"name": "Spammy", "email": "spammy@example.org", "message": "Buy cheap things now, now, now!"}),
    );
    assert_eq!(lead.status, 202);
    let lead_id = count(
        "SELECT id FROM leads WHERE email = ?1",
        "spammy@example.org",
    );
    let admin = sign_in_as(&agent, ADMIN, "/admin/businesses");
    let other_page = format!("/admin/businesses/{}", business_id(&other));
    let wrong = admin.post_form(
        &agent,
        &other_page,
        &format!("{other_page}/leads/{lead_id}/spam"),
        &[],
    );
    assert_eq!(
        wrong.status, 404,
        "the neighbour's id does not reach this lead"
    );
    let mine_page = format!("/admin/businesses/{}", business_id(&mine));
    let right = admin.post_form(
        &agent,
        &mine_page,
        &format!("{mine_page}/leads/{lead_id}/spam"),
        &[],
    );
    assert_eq!(right.status, 303);
    assert_eq!(
        count(
            "SELECT count(*) FROM leads WHERE email = ?1 AND status = 'spam'",
            "spammy@example.org"
        ),
        1
    );
}

fn post_fields<'a>(
    title: &'a str,
    body: &'a str,
    publish: &'a str,
    at: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", ""),
        ("summary", "From the console"),
        ("body", body),
        ("author", "Ada"),
        ("publish", publish),
        ("publish_at", at),
    ]
}

#[test]
fn a_draft_post_is_never_public_until_published_and_markdown_is_safe() {
    let _turn = exclusive();
    let agent = agent();
    let admin = sign_in_as(&agent, ADMIN, "/admin/blog/new");
    let body = "## Hours\n\nOpen **late** <script>alert('post')</script> [x](javascript:alert(1))";
    let saved = admin.post_form(
        &agent,
        "/admin/blog/new",
        "/admin/blog/save",
        &post_fields("Qqconsole Holiday Hours", body, "draft", ""),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let editor = saved
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let api = Worker::api();
    assert_eq!(
        api.get("/blog/qqconsole-holiday-hours").status,
        404,
        "a draft is not public"
    );
    let published = admin.post_form(
        &agent,
        &editor,
        &format!("{editor}/save"),
        &post_fields("Qqconsole Holiday Hours", body, "now", ""),
    );
    assert_eq!(published.status, 303);
    until_the_edge_sees_it();
    let page = api.get("/blog/qqconsole-holiday-hours");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<strong>late</strong>") && page.body.contains("<h3>Hours</h3>"));
    assert!(!page.body.contains("<script>alert('post')") && !page.body.contains("javascript:"));
    let unpublished = admin.post_form(&agent, &editor, &format!("{editor}/unpublish"), &[]);
    assert_eq!(unpublished.status, 303);
    until_the_edge_sees_it();
    assert_eq!(api.get("/blog/qqconsole-holiday-hours").status, 404);
}

#[test]
fn a_post_scheduled_for_later_is_not_public_yet() {
    let _turn = exclusive();
    let agent = agent();
    let admin = sign_in_as(&agent, ADMIN, "/admin/blog/new");
    let saved = admin.post_form(
        &agent,
        "/admin/blog/new",
        "/admin/blog/save",
        &post_fields("Qqconsole Next Year", "Soon.", "at", "2099-01-01T09:00"),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(Worker::api().get("/blog/qqconsole-next-year").status, 404);
    let list = admin.get(&agent, "/admin/blog");
    assert!(
        list.body.contains("scheduled for January 1, 2099"),
        "{}",
        list.body
    );
    let bad = admin.post_form(
        &agent,
        "/admin/blog/new",
        "/admin/blog/save",
        &post_fields("", "", "at", "whenever"),
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("id=\"post-title-error\"")
            && bad.body.contains("id=\"post-publish-at-error\"")
    );
}
