//! Facebook end to end in workerd, against the fake Graph API and Browser Rendering on
//! loopback (`KBC_GRAPH_URL`, `KBC_RENDERING_URL`): connecting a Page through Facebook Login,
//! the posting cron fired twice (and overlapping) publishing each due post once with its
//! share card, a Graph failure retried then shown as failed with Meta's error, token care
//! storing the renewed token and showing the reconnect notice when Meta will not renew,
//! signed webhooks bringing comments to the dashboard and replies posted once, and Meta's
//! data-deletion callback. No token reaches a log line or the database in the clear.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use kbc_cf_fake::graph::{
    self, ADMIN as FB_ADMIN, KIAMICHI_BIZ_CONNECT, KIAMICHI_OUTFITTERS, OWNER as FB_OWNER,
    PINE_RIDGE_BAKERY, Page, Person, RIDGELINE_PLUMBING, TWO_PAGES_OWNER,
};
use kbc_domain::db::{Statement, fetch_all, fetch_integer};
use kbc_e2e::client::{Reply, Worker};
use kbc_e2e::listings::owned_listing;
use kbc_e2e::sign_in::{ADMIN, Session, sign_in_as};
use kbc_e2e::state;
use pollster::block_on;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// The fakes, the directory's Page and the crons are shared: these tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const POSTING: &str = "0 3,15,22 * * *";
const TOKENS: &str = "0 2,14 * * *";

fn agent() -> Worker {
    Worker::agent()
}

fn graph_fake() -> Worker {
    Worker::from_env("KBC_GRAPH_URL")
}

/// `hour`:00 UTC, `days` days from today: the posting cron's times lie ahead of the clock,
/// as owners schedule posts in the future.
fn ahead(days: i64, hour: i64) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (now / 86_400 + days) * 86_400 + hour * 3_600
}

/// `YYYY-MM-DDTHH:MM` in Central time, as the dashboard's time box takes it.
fn central(unix: i64) -> String {
    let (year, month, day) = kbc_domain::hours::local_date(unix);
    let (_, minute) = kbc_domain::hours::local_day_and_minute(unix);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
        minute / 60,
        minute % 60
    )
}

/// Fires the facebook worker's `cron` as if scheduled at `at` (seconds).
fn fire(cron: &str, at: i64) {
    let path = format!(
        "/cdn-cgi/handler/scheduled?cron={}&time={}",
        cron.replace(' ', "+"),
        at * 1000
    );
    let reply = Worker::from_env("KBC_FACEBOOK_URL").get(&path);
    assert_eq!(reply.status, 200, "{cron}: {}", reply.body);
}

fn scalar(sql: &str, value: &str) -> i64 {
    block_on(fetch_integer(
        &state::database(),
        &Statement::new(sql).bind(value),
    ))
    .unwrap()
}

fn rows(sql: &str, value: &str) -> Vec<Value> {
    block_on(fetch_all(
        &state::database(),
        &Statement::new(sql).bind(value),
    ))
    .unwrap()
}

/// What the fake Graph API published to `page`.
fn published_to(page: &Page) -> Vec<Value> {
    graph_fake()
        .get(&format!("/__fake/posts?page_id={}", page.id))
        .json()["posts"]
        .as_array()
        .unwrap()
        .clone()
}

fn fail_next(body: Value) {
    let reply = graph_fake().send(
        "POST",
        "/__fake/fail",
        &[("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
}

fn control(path: &str, body: Value) -> Value {
    let reply = graph_fake().send(
        "POST",
        path,
        &[("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}

/// Connects `page` of Facebook `person` at `base` (`/dashboard/{id}/facebook` or
/// `/admin/facebook`): Facebook Login in the fake's dialog, back through our callback, then
/// the Page picked. The reply of the pick.
fn connect(session: &Session, base: &str, person: &Person, page: &Page) -> Reply {
    let agent = agent();
    let started = session.post_form(&agent, base, &format!("{base}/connect"), &[]);
    assert_eq!(started.status, 303, "{}", started.body);
    let dialog = url::Url::parse(started.header("location").unwrap()).unwrap();
    assert!(
        dialog.as_str().starts_with(graph_fake().origin()),
        "Facebook Login is the fake's dialog: {dialog}"
    );
    let pairs: Vec<(String, String)> = dialog.query_pairs().into_owned().collect();
    assert!(pairs.iter().any(|(k, v)| k == "state" && v.len() == 64));
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(&pairs).append_pair("person", person.id);
    let confirmed = graph_fake().send(
        "POST",
        &format!("{}/confirm", dialog.path()),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.finish().as_bytes()),
    );
    let callback = confirmed
        .header("location")
        .expect("the dialog sends the browser back");
    let path = callback
        .strip_prefix(agent.origin())
        .expect("back to our own origin");
    let back = session.get(&agent, path);
    assert_eq!(
        back.header("location"),
        Some(format!("{base}?done=fb-pick").as_str()),
        "{}",
        back.body
    );
    // The callback works once: the same `state` again is refused.
    assert_eq!(session.get(&agent, path).status, 400);
    let offered = session.get(&agent, base);
    assert!(offered.body.contains(page.name), "the Page is offered");
    session.post_form(
        &agent,
        base,
        &format!("{base}/pages"),
        &[("page_id", page.id)],
    )
}

/// A fresh listing of the fake owner with `page` of `person` connected: session, dashboard
/// base and business id.
fn connected_listing(
    name: &str,
    client: &str,
    person: &Person,
    page: &Page,
) -> (Session, String, i64) {
    let (owner, _, id) = owned_listing(&agent(), name, client);
    let base = format!("/dashboard/{id}/facebook");
    let picked = connect(&owner, &base, person, page);
    assert_eq!(
        picked.header("location"),
        Some(format!("{base}?done=fb-connected").as_str()),
        "{}",
        picked.body
    );
    (owner, base, id)
}

/// Schedules `text` on the Page at `base` for `at` (Central time in the form).
fn schedule(owner: &Session, base: &str, text: &str, at: i64) {
    let reply = owner.post_form(
        &agent(),
        base,
        &format!("{base}/posts"),
        &[("body", text), ("scheduled_at", &central(at))],
    );
    assert_eq!(
        reply.header("location"),
        Some(format!("{base}?done=fb-scheduled").as_str()),
        "{}",
        reply.body
    );
}

/// No access token of the fake (`EAA…`) in the workers' logs or in the database in the clear.
fn assert_no_token_leaked() {
    let log_dir = std::env::var("KBC_LOG_DIR").expect("KBC_LOG_DIR is set by `cargo xtask test`");
    for worker in ["agent", "facebook"] {
        let log = std::fs::read_to_string(format!("{log_dir}/{worker}.log")).unwrap();
        for line in log.lines() {
            let leaked = line.match_indices("EAA").any(|(at, _)| {
                line[at + 3..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .count()
                    >= 20
            });
            assert!(!leaked, "{worker} logged a token: {line}");
        }
    }
    let clear = scalar(
        "SELECT count(*) FROM facebook_connections
          WHERE instr(page_token, ?1) > 0 OR instr(user_token, ?1) > 0",
        "EAA",
    );
    assert_eq!(clear, 0, "tokens are stored sealed");
}

#[test]
fn a_connected_page_publishes_each_due_post_once_even_when_the_cron_fires_twice() {
    let _turn = exclusive();
    let (owner, base, id) =
        connected_listing("Qqface Fb Once", "fb-once", &FB_OWNER, &PINE_RIDGE_BAKERY);
    let page = owner.get(&agent(), &base);
    assert!(page.body.contains("Posting to") && page.body.contains(PINE_RIDGE_BAKERY.name));
    let at = ahead(3, 3);
    let text = "Qqface sourdough is out of the oven!";
    schedule(&owner, &base, text, at - 1_800);

    // Cloudflare may deliver a cron twice, and a retried run may overlap the next one.
    fire(POSTING, at);
    fire(POSTING, at);
    fire(POSTING, at + 60);

    let mine: Vec<Value> = published_to(&PINE_RIDGE_BAKERY)
        .into_iter()
        .filter(|p| p["message"] == text)
        .collect();
    assert_eq!(mine.len(), 1, "published exactly once: {mine:?}");
    assert_eq!(mine[0]["has_photo"], true, "with its share card");
    assert_eq!(mine[0]["photo_content_type"], "image/png");
    let stored = rows(
        "SELECT status, graph_post_id, media, card_key FROM facebook_posts WHERE body = ?1",
        text,
    );
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["status"], "published");
    assert_eq!(stored[0]["graph_post_id"], mine[0]["post_id"]);
    assert_eq!(stored[0]["media"], "card");
    let dashboard = owner.get(&agent(), &base);
    assert!(
        dashboard.body.contains("See it on Facebook"),
        "the owner sees it went out"
    );
    assert!(dashboard.body.contains("with a share card"));
    assert_eq!(
        scalar(
            "SELECT count(*) FROM facebook_connections WHERE business_id = ?1",
            &id.to_string()
        ),
        1
    );
    assert_no_token_leaked();
}

#[test]
fn a_post_facebook_keeps_refusing_is_retried_then_shown_failed_with_metas_error() {
    let _turn = exclusive();
    let (owner, base, _) = connected_listing(
        "Qqface Fb Failing",
        "fb-failing",
        &TWO_PAGES_OWNER,
        &RIDGELINE_PLUMBING,
    );
    let at = ahead(4, 15);
    let text = "Qqface drain special this week.";
    schedule(&owner, &base, text, at - 600);
    fail_next(json!({
        "path_contains": format!("/{}/", RIDGELINE_PLUMBING.id),
        "method": "POST",
        "code": 2,
        "message": "Service temporarily unavailable",
        "times": 3,
    }));

    fire(POSTING, at);

    let stored = rows(
        "SELECT status, attempts, last_error FROM facebook_posts WHERE body = ?1",
        text,
    );
    assert_eq!(stored[0]["status"], "failed", "{stored:?}");
    assert_eq!(stored[0]["attempts"], 3, "tried three times");
    assert!(
        stored[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("Service temporarily unavailable")
    );
    assert!(
        published_to(&RIDGELINE_PLUMBING)
            .iter()
            .all(|p| p["message"] != text)
    );
    let dashboard = owner.get(&agent(), &base);
    assert!(
        dashboard.body.contains("Not published."),
        "the owner sees it failed"
    );
    assert!(
        dashboard.body.contains("Service temporarily unavailable"),
        "with Meta's error"
    );
}

#[test]
fn token_care_stores_the_renewed_token_and_asks_to_reconnect_when_meta_will_not_renew() {
    let _turn = exclusive();
    let (owner, base, id) = connected_listing(
        "Qqface Fb Tokens",
        "fb-tokens",
        &TWO_PAGES_OWNER,
        &KIAMICHI_OUTFITTERS,
    );
    let sealed = |id: i64| {
        rows(
            "SELECT page_token, status FROM facebook_connections WHERE business_id = ?1",
            &id.to_string(),
        )
        .remove(0)
    };
    let before = sealed(id);
    control(
        "/__fake/tokens",
        json!({"page_id": KIAMICHI_OUTFITTERS.id, "expires_in": 3_600}),
    );

    fire(TOKENS, ahead(5, 2));

    let after = sealed(id);
    assert_ne!(
        after["page_token"], before["page_token"],
        "the renewed token is stored"
    );
    assert_eq!(after["status"], "active");
    let uses = &graph_fake().get("/__fake/token_uses").json()["pages"][KIAMICHI_OUTFITTERS.id];
    assert!(uses["issued"].as_i64().unwrap() >= 2, "{uses}");
    // The next post goes out with the renewed token.
    let text = "Qqface canoe rentals open Saturday.";
    let at = ahead(5, 15);
    schedule(&owner, &base, text, at - 600);
    fire(POSTING, at);
    let uses = &graph_fake().get("/__fake/token_uses").json()["pages"][KIAMICHI_OUTFITTERS.id];
    assert_eq!(
        uses["publishes"].as_array().unwrap().last(),
        Some(&uses["current"]),
        "{uses}"
    );
    assert!(
        owner
            .get(&agent(), &base)
            .body
            .contains("See it on Facebook")
    );

    // Meta will not renew it now (the person's access ended): the owner is asked to reconnect.
    control(
        "/__fake/tokens",
        json!({"page_id": KIAMICHI_OUTFITTERS.id, "expires_in": 3_600}),
    );
    control(
        "/__fake/user_tokens",
        json!({"person_id": TWO_PAGES_OWNER.id, "invalid": true}),
    );
    fire(TOKENS, ahead(5, 14));
    assert_eq!(sealed(id)["status"], "expiring");
    let dashboard = owner.get(&agent(), &base);
    assert!(
        dashboard.body.contains("Reconnect Facebook"),
        "the reconnect notice"
    );
    assert_no_token_leaked();
}

fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(graph::APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn deliver(body: &[u8], signature: Option<&str>) -> Reply {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(signature) = signature {
        headers.push(("X-Hub-Signature-256", signature));
    }
    agent().send("POST", "/facebook/webhook", &headers, Some(body))
}

#[test]
fn the_directorys_page_posts_with_a_share_card_and_signed_webhooks_bring_comments_to_reply_to() {
    let _turn = exclusive();
    let agent = agent();
    let admin = sign_in_as(&agent, ADMIN, "/admin/facebook");
    let picked = connect(&admin, "/admin/facebook", &FB_ADMIN, &KIAMICHI_BIZ_CONNECT);
    assert_eq!(
        picked.header("location"),
        Some("/admin/facebook?done=fb-connected")
    );
    let at = ahead(6, 3);

    fire(POSTING, at);

    let planned = rows(
        "SELECT kind, status, scheduled_at FROM facebook_posts WHERE business_id IS NULL
          AND scheduled_at >= CAST(?1 AS INTEGER) ORDER BY scheduled_at",
        &at.to_string(),
    );
    let kinds: Vec<&str> = planned
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"engagement"), "{planned:?}");
    assert!(
        kinds.contains(&"spotlight"),
        "the next day is filled: {kinds:?}"
    );
    assert_eq!(planned[0]["status"], "published");
    let published = published_to(&KIAMICHI_BIZ_CONNECT);
    let post = published.last().expect("the engagement prompt went out");
    assert_eq!(post["has_photo"], true);

    // Meta's subscription check.
    let subscribe = "/facebook/webhook?hub.mode=subscribe&hub.challenge=4242&hub.verify_token=";
    let challenge = agent.get(&format!("{subscribe}local-verify-token"));
    assert_eq!((challenge.status, challenge.body.as_str()), (200, "4242"));
    let wrong = agent.get(&format!("{subscribe}guess"));
    assert_eq!(wrong.status, 403);

    let comment = control(
        "/__fake/comments",
        json!({"post_id": post["post_id"], "message": "Qqface fans unite?"}),
    );
    let body = comment["webhook"].to_string().into_bytes();
    let comments = || {
        scalar(
            "SELECT count(*) FROM facebook_comments WHERE comment_id = ?1",
            comment["comment_id"].as_str().unwrap(),
        )
    };
    assert_eq!(deliver(&body, None).status, 401, "unsigned");
    assert_eq!(deliver(&body, Some("sha256=00")).status, 401, "mis-signed");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        deliver(&tampered, Some(&signature(&body))).status,
        401,
        "signed for another body"
    );
    assert_eq!(comments(), 0, "nothing stored");
    let accepted = deliver(&body, Some(&signature(&body)));
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(
        deliver(&body, Some(&signature(&body))).status,
        200,
        "a redelivery"
    );
    assert_eq!(comments(), 1, "kept once");
    let page = admin.get(&agent, "/admin/facebook");
    assert!(
        page.body.contains("Qqface fans unite?"),
        "the comment is on the page"
    );

    let id = scalar(
        "SELECT id FROM facebook_comments WHERE comment_id = ?1",
        comment["comment_id"].as_str().unwrap(),
    );
    let reply_text = "Always! Thanks for following along.";
    let drafted = admin.post_form(
        &agent,
        "/admin/facebook",
        &format!("/admin/facebook/comments/{id}/draft"),
        &[("reply", reply_text)],
    );
    assert_eq!(
        drafted.header("location"),
        Some("/admin/facebook?done=fb-draft-saved")
    );
    let action = format!("/admin/facebook/comments/{id}/reply");
    let first = admin.post_form(&agent, "/admin/facebook", &action, &[]);
    assert_eq!(
        first.header("location"),
        Some("/admin/facebook?done=fb-replied"),
        "{}",
        first.body
    );
    let second = admin.post_form(&agent, "/admin/facebook", &action, &[]);
    assert_eq!(second.status, 400, "a second click posts nothing more");
    let replies: Vec<Value> = graph_fake()
        .get(&format!(
            "/__fake/posts?page_id={}",
            KIAMICHI_BIZ_CONNECT.id
        ))
        .json()["replies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["message"] == reply_text)
        .cloned()
        .collect();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_no_token_leaked();
}

/// A `signed_request` as Meta sends it, signed with `secret`.
fn signed_request(secret: &str, user_id: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let payload = URL_SAFE_NO_PAD.encode(
        json!({"algorithm": "HMAC-SHA256", "issued_at": now, "user_id": user_id}).to_string(),
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    format!(
        "{}.{payload}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn request_deletion(signed: &str) -> Reply {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("signed_request", signed)
        .finish();
    agent().send(
        "POST",
        "/facebook/data-deletion",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    )
}

#[test]
fn metas_data_deletion_callback_removes_that_persons_facebook_data() {
    let _turn = exclusive();
    let (owner, base, id) = connected_listing(
        "Qqface Fb Deleted",
        "fb-deleted",
        &FB_OWNER,
        &PINE_RIDGE_BAKERY,
    );
    let person = FB_OWNER.id;
    let held = || {
        scalar(
            "SELECT count(*) FROM facebook_connections WHERE facebook_user_id = ?1",
            person,
        )
    };
    assert!(held() >= 1);

    let forged = request_deletion(&signed_request("not-the-app-secret", person));
    assert_eq!(forged.status, 401, "{}", forged.body);
    assert!(held() >= 1, "a forged request deletes nothing");

    let answer = request_deletion(&signed_request(graph::APP_SECRET, person));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = answer.json();
    let code = answer["confirmation_code"].as_str().unwrap();
    let url = answer["url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/facebook/data-deletion/{code}")),
        "{url}"
    );
    assert_eq!(held(), 0, "the person's Pages and tokens are gone");
    let status = agent().get(url.strip_prefix(agent().origin()).unwrap());
    assert_eq!(status.status, 200);
    assert!(status.body.contains(code));
    let dashboard = owner.get(&agent(), &base);
    assert!(
        dashboard.body.contains("Connect Facebook"),
        "the owner may connect again"
    );
    assert_eq!(
        scalar(
            "SELECT count(*) FROM facebook_connections WHERE business_id = ?1",
            &id.to_string()
        ),
        0
    );
}

#[test]
fn a_neighbour_reaches_no_post_or_comment_of_another_page_through_their_own() {
    let _turn = exclusive();
    let (owner, base, theirs) = connected_listing(
        "Qqface Fb Guarded",
        "fb-guarded",
        &FB_OWNER,
        &PINE_RIDGE_BAKERY,
    );
    let text = "Qqface guarded post.";
    schedule(&owner, &base, text, ahead(7, 3));
    let post = scalar("SELECT id FROM facebook_posts WHERE body = ?1", text);
    let connection = scalar(
        "SELECT id FROM facebook_connections WHERE business_id = ?1",
        &theirs.to_string(),
    );
    // A comment on their Page, as a webhook would have brought it.
    block_on(kbc_domain::facebook::comments::record(
        &state::writable_database(),
        connection,
        &kbc_domain::facebook::comments::NewComment {
            comment_id: format!("guarded_{connection}"),
            post_id: format!("{}_1", PINE_RIDGE_BAKERY.id),
            parent_id: None,
            from_id: "10229384756009999".into(),
            from_name: "Casey Customer".into(),
            message: "Open late?".into(),
            created_time: ahead(0, 0),
        },
        ahead(0, 0),
    ))
    .unwrap();
    let comment = scalar(
        "SELECT id FROM facebook_comments WHERE connection_id = ?1",
        &connection.to_string(),
    );

    let (neighbour, mine) = kbc_e2e::listings::neighbours_listing(&agent(), "Qqface Fb Neighbour");
    let own = format!("/dashboard/{mine}/facebook");
    let token = kbc_e2e::sign_in::csrf_token(&neighbour.get(&agent(), &own).body);
    for (path, fields) in [
        (format!("{own}/posts/{post}/cancel"), String::new()),
        (format!("{own}/posts/{post}/edit"), "body=Stolen".to_owned()),
        (format!("{own}/posts/{post}/approve"), String::new()),
        (
            format!("{own}/posts/{post}/reschedule"),
            format!("scheduled_at={}", central(ahead(8, 3))),
        ),
        (
            format!("{own}/comments/{comment}/draft"),
            "reply=Stolen".to_owned(),
        ),
        (format!("{own}/comments/{comment}/reply"), String::new()),
    ] {
        let reply = neighbour.post_raw(
            &agent(),
            &path,
            &format!("csrf={token}&{fields}"),
            agent().origin(),
        );
        assert_eq!(reply.status, 404, "POST {path}: {}", reply.body);
    }
    let stored = rows(
        "SELECT status, body FROM facebook_posts WHERE id = CAST(?1 AS INTEGER)",
        &post.to_string(),
    );
    assert_eq!(
        (stored[0]["status"].as_str(), stored[0]["body"].as_str()),
        (Some("scheduled"), Some(text))
    );
    assert_eq!(
        scalar(
            "SELECT count(*) FROM facebook_comments WHERE reply_draft <> '' AND id = CAST(?1 AS INTEGER)",
            &comment.to_string()
        ),
        0
    );
}
