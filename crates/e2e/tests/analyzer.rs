//! The analyzer end to end in workerd: its cron fired through `/cdn-cgi/handler/scheduled`
//! selects the due listings and queues them; its queue consumer reads their websites — the
//! fake business websites on loopback (`KBC_SITES_URL`), let past the URL guard by the local
//! allow-list — and the owner finds the suggestions in the dashboard while the confident
//! values for empty fields are on the public page; a website that 500s or never answers ends,
//! after the retries, in the dead-letter list an admin replays; a cron delivered twice reads
//! nothing twice; the 14:00 run writes with the (fake) model.

use kbc_e2e::client::{Reply, Worker};
use kbc_e2e::listings::count;
use kbc_e2e::sign_in::{ADMIN, OWNER, Session, sign_in_as};
use serde_json::{Value, json};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

/// The analyzer's queue and the fake websites are shared: these tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
static BACKLOG: Once = Once::new();

const CRON: &str = "0 2,14,20 * * *";
/// Midnight UTC of a day no other test fires a cron on.
const DAY: i64 = 20_790 * 86_400;
/// How long the queue may take to work through what a run selected.
const PATIENCE: Duration = Duration::from_secs(150);

/// A test's turn: the next one starts once this one's queue work is done, so no test (here or
/// in the next test binary) shares the local D1 with a consumer still writing.
struct Turn {
    _turn: MutexGuard<'static, ()>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let started = Instant::now();
        while in_flight() > 0 && started.elapsed() < PATIENCE {
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn exclusive() -> Turn {
    let turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The first run reads every seeded listing; the tests then see only their own.
    BACKLOG.call_once(|| {
        fire(DAY + 2 * 3_600);
        wait_until("the seeded listings are analyzed", || in_flight() == 0);
    });
    Turn { _turn: turn }
}

fn sites() -> Worker {
    Worker::at(&std::env::var("KBC_SITES_URL").expect("KBC_SITES_URL is set by `cargo xtask test`"))
}

fn site(name: &str) -> String {
    sites().url(&format!("/{name}/"))
}

/// How often the analyzer asked the fake websites for `path`.
fn fetches(path: &str) -> usize {
    let log: Value = sites().get("/__fake/requests").json();
    log.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == path)
        .count()
}

/// Fires the enrichment cron as if scheduled at `at` (seconds).
fn fire(at: i64) {
    let path = format!(
        "/cdn-cgi/handler/scheduled?cron={}&time={}",
        CRON.replace(' ', "+"),
        at * 1000
    );
    let reply = Worker::from_env("KBC_ANALYZER_URL").get(&path);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// One integer the query returns.
fn scalar(sql: &str) -> i64 {
    pollster::block_on(kbc_domain::db::fetch_integer(
        &kbc_e2e::state::database(),
        &kbc_domain::db::Statement::new(sql),
    ))
    .unwrap()
}

/// Listings queued and not finished yet.
fn in_flight() -> i64 {
    scalar(
        "SELECT count(*) FROM listing_analyses
          WHERE queued_at IS NOT NULL AND (analyzed_at IS NULL OR analyzed_at < queued_at)",
    )
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < PATIENCE,
            "waited {PATIENCE:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn analyzed(business: i64) -> bool {
    count(
        "SELECT count(*) FROM listing_analyses WHERE business_id = ?1 AND analyzed_at IS NOT NULL",
        &business.to_string(),
    ) == 1
}

fn dead_lettered(business: i64) -> bool {
    count(
        "SELECT count(*) FROM analysis_dead_letters WHERE business_id = ?1",
        &business.to_string(),
    ) > 0
}

/// A public listing with `website`, submitted with the fake owner's email and approved by the
/// admin: its slug and id.
fn listing_at(agent: &Worker, name: &str, website: &str, description: &str) -> (String, i64) {
    let fields = [
        ("business_name", name),
        ("category", kbc_e2e::fixtures::CONSOLE),
        ("description", description),
        ("email", OWNER),
        ("website", website),
        ("city", "Broken Bow"),
        ("state", "OK"),
        ("contact_name", "Owen"),
    ];
    let body: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let reply = Worker::api().post_json(
        "/api/v1/submissions",
        &format!("analyzer-{name}"),
        &Value::Object(body),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    let submission = count("SELECT id FROM submissions WHERE business_name = ?1", name);
    let admin = sign_in_as(agent, ADMIN, "/admin/submissions");
    let review = format!("/admin/submissions/{submission}");
    let approved = admin.post_form(agent, &review, &format!("{review}/approve"), &fields);
    assert_eq!(
        approved.header("location"),
        Some("/admin/submissions?done=approved"),
        "{}",
        approved.body
    );
    let id = count("SELECT id FROM businesses WHERE name = ?1", name);
    (listing_slug(id), id)
}

/// The fake owner claims listing `slug` (approved at once: its email is theirs); their session.
fn claimed(agent: &Worker, slug: &str) -> Session {
    let owner = sign_in_as(agent, OWNER, "/dashboard");
    let claim = format!("/claim/{slug}");
    let reply = owner.post_form(agent, &claim, &claim, &[("note", "")]);
    assert_eq!(reply.header("location"), Some("/account?done=owner"));
    owner
}

fn listing_slug(id: i64) -> String {
    let rows = pollster::block_on(kbc_domain::db::fetch_all::<Value>(
        &kbc_e2e::state::database(),
        &kbc_domain::db::Statement::new("SELECT slug FROM businesses WHERE id = ?1").bind(id),
    ))
    .unwrap();
    rows[0]["slug"].as_str().unwrap().to_owned()
}

fn public_page(slug: &str) -> Reply {
    Worker::api().get(&format!("/business/{slug}"))
}

/// How listing `id`'s last analysis ended, and the sentence saying so.
fn outcome(id: i64) -> (String, String) {
    let rows = pollster::block_on(kbc_domain::db::fetch_all::<Value>(
        &kbc_e2e::state::database(),
        &kbc_domain::db::Statement::new(
            "SELECT outcome, detail FROM listing_analyses WHERE business_id = ?1",
        )
        .bind(id),
    ))
    .unwrap();
    let text = |key: &str| rows[0][key].as_str().unwrap_or_default().to_owned();
    (text("outcome"), text("detail"))
}

#[test]
fn the_cron_reads_a_website_the_owner_reviews_its_suggestions_and_the_public_page_shows_what_was_applied()
 {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (slug, id) = listing_at(
        &agent,
        "Analyzer Bakery One",
        &site("pine-ridge-bakery"),
        "Bread.",
    );
    let owner = claimed(&agent, &slug);
    fire(DAY + 86_400 + 2 * 3_600);
    wait_until("the bakery is analyzed", || analyzed(id));

    // The phone was empty and JSON-LD states it: applied, signed by the analyzer, public at once.
    wait_until("the applied phone is public", || {
        public_page(&slug).body.contains("555-0187")
    });
    let page = public_page(&slug);
    let history = owner.get(&agent, &format!("/dashboard/{id}/history"));
    assert!(
        history.body.to_lowercase().contains("analyzer"),
        "{}",
        history.body
    );

    // The email differs from the listing's: a suggestion, waiting for the owner.
    let review = owner.get(&agent, &format!("/dashboard/{id}/suggestions"));
    assert_eq!(review.status, 200);
    assert!(
        review.body.contains("hello@pineridgebakery.test"),
        "{}",
        review.body
    );
    assert!(!page.body.contains("hello@pineridgebakery.test"));
    assert_eq!(fetches("/pine-ridge-bakery/"), 1);
}

#[test]
fn a_cron_delivered_twice_reads_each_website_once() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (_, id) = listing_at(
        &agent,
        "Analyzer Outfitters Two",
        &site("kiamichi-outfitters"),
        "Gear.",
    );
    let before = fetches("/kiamichi-outfitters/");
    let at = DAY + 2 * 86_400 + 2 * 3_600;
    fire(at);
    fire(at);
    wait_until("the outfitters are analyzed", || analyzed(id));
    // A later run finds it analyzed this week: not due.
    fire(DAY + 2 * 86_400 + 20 * 3_600);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(in_flight(), 0);
    assert_eq!(fetches("/kiamichi-outfitters/") - before, 1);
    assert_eq!(
        count(
            "SELECT count(*) FROM job_runs WHERE worker = 'analyzer' AND scheduled_at = ?1",
            &at.to_string()
        ),
        1
    );
}

#[test]
fn robots_txt_and_the_url_guard_keep_the_analyzer_off_what_it_may_not_read() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (_, blocked) = listing_at(
        &agent,
        "Analyzer Blocked Three",
        &site("blocked"),
        "Hidden.",
    );
    let (_, private) = listing_at(
        &agent,
        "Analyzer Redirect Three",
        &site("redirect-private"),
        "Moved.",
    );
    fire(DAY + 3 * 86_400 + 2 * 3_600);
    wait_until("both are analyzed", || {
        analyzed(blocked) && analyzed(private)
    });
    assert_eq!(
        fetches("/blocked/"),
        0,
        "robots.txt disallows it for our user agent"
    );
    let (ending, why) = outcome(blocked);
    assert_eq!(ending, "nothing_to_read");
    assert!(why.contains("robots.txt"), "{why}");
    let (ending, why) = outcome(private);
    assert_eq!(ending, "nothing_to_read");
    assert!(why.contains("IP address"), "{why}");
}

#[test]
fn a_website_that_fails_is_retried_then_dead_lettered_and_an_admin_replays_it() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (_, broken) = listing_at(&agent, "Analyzer Broken Four", &site("broken"), "Oops.");
    let (_, slow) = listing_at(&agent, "Analyzer Slow Four", &site("slow"), "Zzz.");
    fire(DAY + 4 * 86_400 + 2 * 3_600);
    wait_until("both are in the dead-letter list", || {
        dead_lettered(broken) && dead_lettered(slow)
    });
    // The first attempt and the queue's three retries.
    assert_eq!(fetches("/broken/"), 4);
    assert_eq!(fetches("/slow/"), 4);

    let admin = sign_in_as(&agent, ADMIN, "/admin/analyzer");
    let console = admin.get(&agent, "/admin/analyzer");
    assert_eq!(console.status, 200);
    assert!(
        console.body.contains("Analyzer Broken Four"),
        "{}",
        console.body
    );
    assert!(console.body.contains("answered 500"), "{}", console.body);
    let letter = count(
        "SELECT id FROM analysis_dead_letters WHERE business_id = ?1",
        &broken.to_string(),
    );
    let replayed = admin.post_form(
        &agent,
        "/admin/analyzer",
        &format!("/admin/analyzer/dead-letters/{letter}/replay"),
        &[],
    );
    assert_eq!(replayed.status, 303, "{}", replayed.body);
    wait_until("the replay reads the website again", || {
        fetches("/broken/") > 4
    });
    let letters = || {
        count(
            "SELECT count(*) FROM analysis_dead_letters WHERE business_id = ?1",
            &broken.to_string(),
        )
    };
    wait_until("the replay, failing again, is a second dead letter", || {
        letters() == 2
    });
}

#[test]
fn the_afternoon_run_has_the_model_propose_a_description_and_draft_the_weekly_post() {
    let _turn = exclusive();
    let agent = Worker::agent();
    let (slug, id) = listing_at(
        &agent,
        "Analyzer Cafe Five",
        &site("latin1-cafe"),
        "Coffee.",
    );
    let owner = claimed(&agent, &slug);
    fire(DAY + 5 * 86_400 + 14 * 3_600);
    wait_until("the cafe is analyzed", || analyzed(id));
    let review = owner.get(&agent, &format!("/dashboard/{id}/suggestions"));
    assert!(
        review.body.contains("written by the local fake model"),
        "{}",
        review.body
    );
    // Never applied: the public description is still the owner's.
    let page = public_page(&slug);
    assert!(!page.body.contains("written by the local fake model"));
    assert!(
        scalar(
            "SELECT count(*) FROM blog_posts WHERE slug LIKE 'new-this-week-%' AND status = 'draft'"
        ) >= 1
    );
    // The windows-1252 page was read: its phone is on the listing.
    wait_until("the cafe's phone is public", || {
        public_page(&slug).body.contains("555-0119")
    });
}
