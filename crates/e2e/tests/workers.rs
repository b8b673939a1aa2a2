//! Every worker's health, the cron handlers fired through workerd's scheduled endpoint, and
//! the API cache following changes made to the data behind it.

use kbc_domain::db::{Database, Statement, fetch_integer};
use kbc_domain::jobs::{self, JobRun, Outcome};
use kbc_e2e::client::Worker;
use kbc_e2e::fixtures::*;
use kbc_e2e::state;
use pollster::block_on;
use std::sync::{Mutex, MutexGuard};

/// Workerd's D1 does not wait for locks, so the tests here that make workers write (crons)
/// or write the database themselves take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const WORKERS: [(&str, &str); 4] = [
    ("api", "KBC_API_URL"),
    ("agent", "KBC_AGENT_URL"),
    ("analyzer", "KBC_ANALYZER_URL"),
    ("facebook", "KBC_FACEBOOK_URL"),
];

#[test]
fn every_worker_reports_its_name_version_commit_and_database() {
    let _turn = exclusive();
    for (name, variable) in WORKERS {
        let reply = Worker::from_env(variable).get("/health");
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
        let health = reply.json();
        assert_eq!(health["worker"], name);
        assert_eq!(health["status"], "ok");
        assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
        assert!(
            health["git_sha"]
                .as_str()
                .is_some_and(|sha| !sha.is_empty()),
            "{name}"
        );
        assert_eq!(health["database"]["reachable"], true);
        assert!(health["database"]["migrations_applied"].as_i64().unwrap() >= 1);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
}

#[test]
fn workers_without_routes_yet_answer_json_404_and_405() {
    for (name, variable) in WORKERS.into_iter().skip(2) {
        let worker = Worker::from_env(variable);
        let missing = worker.get("/dashboard");
        assert_eq!(missing.status, 404, "{name}");
        assert_eq!(missing.json()["error"]["code"], "not_found");
        let post = worker.send("POST", "/health", &[], None);
        assert_eq!(
            (post.status, post.header("allow")),
            (405, Some("GET, HEAD")),
            "{name}"
        );
    }
}

/// Fires `cron` on a worker as if scheduled at `scheduled_ms`, like Cloudflare would.
fn fire(variable: &str, cron: &str, scheduled_ms: i64) {
    let path = format!(
        "/cdn-cgi/handler/scheduled?cron={}&time={scheduled_ms}",
        cron.replace(' ', "+")
    );
    let reply = Worker::from_env(variable).get(&path);
    assert_eq!(reply.status, 200, "{cron}: {}", reply.body);
}

fn runs(worker: &str, scheduled_at: i64) -> Vec<JobRun> {
    let all = block_on(jobs::recent(&state::database(), worker, 100)).unwrap();
    all.into_iter()
        .filter(|run| run.scheduled_at == scheduled_at)
        .collect()
}

#[test]
fn the_enrichment_cron_records_one_finished_run_per_scheduled_time() {
    let _turn = exclusive();
    let scheduled = 1_790_000_000;
    fire("KBC_ANALYZER_URL", "0 2,14,20 * * *", scheduled * 1000);
    fire("KBC_ANALYZER_URL", "0 2,14,20 * * *", scheduled * 1000);
    let recorded = runs("analyzer", scheduled);
    assert_eq!(
        recorded.len(),
        1,
        "a repeated delivery runs once: {recorded:?}"
    );
    let run = &recorded[0];
    assert_eq!(
        (run.job.as_str(), run.cron.as_str()),
        ("enrich_listings", "0 2,14,20 * * *")
    );
    assert_eq!(run.outcome, Outcome::Success, "{}", run.detail);
    assert!(run.finished_at.is_some() && run.detail.contains("queued for analysis"));
    // Its queue analyzes what it queued; the next test's writes wait for it to finish.
    let in_flight = || {
        block_on(fetch_integer(
            &state::database(),
            &Statement::new(
                "SELECT count(*) FROM listing_analyses
                  WHERE queued_at IS NOT NULL AND (analyzed_at IS NULL OR analyzed_at < queued_at)",
            ),
        ))
        .unwrap()
    };
    let started = std::time::Instant::now();
    while in_flight() > 0 {
        assert!(
            started.elapsed().as_secs() < 150,
            "the analysis queue did not drain"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

#[test]
fn each_facebook_cron_runs_its_own_job() {
    let _turn = exclusive();
    let scheduled = 1_790_100_000;
    for cron in ["0 3,15,22 * * *", "0 2,14 * * *"] {
        fire("KBC_FACEBOOK_URL", cron, scheduled * 1000);
    }
    let mut jobs: Vec<(String, Outcome)> = runs("facebook", scheduled)
        .into_iter()
        .map(|r| (r.job, r.outcome))
        .collect();
    jobs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        jobs,
        [
            ("publish_posts".to_owned(), Outcome::Success),
            ("refresh_tokens".to_owned(), Outcome::Success)
        ]
    );
}

/// The listings whose slots began at `at`: the rotation's (`locked = 0`) or admins' locks.
fn slots_started(at: i64, locked: bool) -> Vec<String> {
    let rows = block_on(
        state::database().query(
            &Statement::new(
                "SELECT b.slug FROM featured_slots s JOIN businesses b ON b.id = s.business_id
              WHERE s.starts_at = ?1 AND s.locked = ?2 ORDER BY b.id",
            )
            .bind(at)
            .bind(locked),
        ),
    )
    .unwrap();
    rows.iter()
        .map(|row| row["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_midnight_cron_fills_the_featured_places_once_and_the_home_page_shows_them_at_once() {
    let _turn = exclusive();
    let api = Worker::api();
    let scheduled = 1_790_200_000;
    let active_locks = block_on(fetch_integer(
        &state::database(),
        &Statement::new(
            "SELECT count(DISTINCT business_id) FROM featured_slots
              WHERE locked = 1 AND starts_at <= ?1 AND ends_at > ?1",
        )
        .bind(scheduled),
    ))
    .unwrap();
    assert!(active_locks >= 1, "the featured fixture's lock");
    let home_before = until_cached(&api, "/");

    // Cloudflare may deliver a cron twice: the second delivery of the same time does nothing.
    fire("KBC_FACEBOOK_URL", "0 0 * * *", scheduled * 1000);
    fire("KBC_FACEBOOK_URL", "0 0 * * *", scheduled * 1000);

    let recorded = runs("facebook", scheduled);
    assert_eq!(
        recorded.len(),
        1,
        "one run for one scheduled time: {recorded:?}"
    );
    let run = &recorded[0];
    assert_eq!(
        (run.job.as_str(), run.outcome),
        ("rotate_featured", Outcome::Success),
        "{}",
        run.detail
    );
    let started = slots_started(scheduled, false);
    let places = usize::try_from(6 - active_locks.min(6)).unwrap();
    assert_eq!(started.len(), places, "the free places are filled once");
    assert!(
        run.detail.starts_with(&format!("started {places} slots;")),
        "{}",
        run.detail
    );

    // The public site shows the new slots at once: the cron retired the cached home page
    // (the api's isolates remember the generation for a second).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let home = api.get("/");
    assert_eq!(home.status, 200);
    for slug in started.iter().chain([&FEATURED_SLUG.to_owned()]) {
        let card = format!("data-listing=\"{slug}\"");
        assert!(
            home.body.contains(&card),
            "{slug} is featured on the home page"
        );
        assert!(
            !home_before.body.contains(&card) || slug == FEATURED_SLUG,
            "{slug} is newly featured"
        );
    }
    let page = api.get("/api/v1/businesses?q=zyzzogeton+featured").json();
    assert_eq!(page["results"][0]["is_featured"], true);

    // A run overlapping it (a minute later) finds every place taken and changes nothing.
    fire("KBC_FACEBOOK_URL", "0 0 * * *", (scheduled + 60) * 1000);
    let overlapping = runs("facebook", scheduled + 60)
        .pop()
        .expect("a recorded run");
    assert_eq!(
        overlapping.outcome,
        Outcome::Success,
        "{}",
        overlapping.detail
    );
    assert!(
        overlapping
            .detail
            .starts_with("started 0 slots; featured 0, unfeatured 0;"),
        "{}",
        overlapping.detail
    );
    assert_eq!(slots_started(scheduled, false), started);
    assert!(slots_started(scheduled + 60, false).is_empty());
}

#[test]
fn a_cron_with_no_job_is_recorded_as_a_failure_naming_it() {
    let _turn = exclusive();
    let scheduled = 1_790_300_000;
    fire("KBC_ANALYZER_URL", "* * * * *", scheduled * 1000);
    let run = runs("analyzer", scheduled).pop().expect("a recorded run");
    assert_eq!(run.outcome, Outcome::Failure);
    assert!(run.detail.contains("'* * * * *'"), "{}", run.detail);
}

#[test]
fn the_api_cache_serves_repeats_and_forgets_when_data_changes() {
    let _turn = exclusive();
    let api = Worker::api();
    let path = format!("/api/v1/businesses/{UNICODE_SLUG}");
    let first = api.get(&path);
    assert_eq!(first.status, 200);
    // The cache is written after the answer went out (waitUntil), so give it a moment.
    let again = (0..50)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            api.get(&path)
        })
        .find(|reply| reply.header("x-cache") == Some("HIT"))
        .expect("a repeat is served from the cache");
    assert_eq!(again.body, first.body);

    let db = state::writable_database();
    let rename = Statement::new("UPDATE businesses SET description = ?2 WHERE slug = ?1")
        .bind(UNICODE_SLUG)
        .bind("Now open Saturdays.");
    block_on(db.execute(&rename)).unwrap();
    drop(db);
    // A change behind the code's back shows once the edge copy of the generation is
    // dropped (as `migrate` and `deploy` do) or expires.
    state::publish_changes_behind_the_workers_backs();

    let after = api.get(&path);
    assert_eq!(after.header("x-cache"), Some("MISS"));
    assert_eq!(
        after.json()["business"]["description"],
        "Now open Saturdays."
    );
    assert_ne!(after.header("etag"), first.header("etag"));
}

#[test]
fn site_pages_are_purged_when_the_data_behind_them_changes() {
    let _turn = exclusive();
    let api = Worker::api();
    let path = format!("/business/{SUPPLY_SLUG}");
    let before = api.get(&path);
    assert_eq!(before.status, 200);
    let rename = Statement::new("UPDATE businesses SET name = ?2 WHERE slug = ?1")
        .bind(SUPPLY_SLUG)
        .bind("Zyzzogeton Supply & Hardware");
    block_on(state::writable_database().execute(&rename)).unwrap();
    state::publish_changes_behind_the_workers_backs();
    let after = api.get(&path);
    assert_eq!(after.header("x-cache"), Some("MISS"));
    assert!(
        after
            .body
            .contains("<h1>Zyzzogeton Supply &#38; Hardware</h1>")
            || after
                .body
                .contains("<h1>Zyzzogeton Supply &amp; Hardware</h1>")
    );
}

/// Asks until the answer comes from the cache (it is stored after the answer went out).
fn until_cached(api: &Worker, path: &str) -> kbc_e2e::client::Reply {
    (0..50)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            api.get(path)
        })
        .find(|reply| reply.header("x-cache") == Some("HIT"))
        .unwrap_or_else(|| panic!("{path} is never served from the cache"))
}

#[test]
fn a_cached_answer_needs_no_database() {
    let _turn = exclusive();
    let api = Worker::api();
    for path in ["/categories", "/api/v1/categories"] {
        let cached = until_cached(&api, path);
        // An exclusive lock: any D1 query would now fail (workerd's D1 does not wait).
        let db = state::writable_database();
        block_on(db.execute(&Statement::new("BEGIN EXCLUSIVE"))).unwrap();
        let locked = api.get(path);
        block_on(db.execute(&Statement::new("ROLLBACK"))).unwrap();
        assert_eq!(locked.status, 200, "{path}: {}", locked.body);
        assert_eq!(locked.header("x-cache"), Some("HIT"), "{path}");
        assert_eq!(locked.body, cached.body, "{path}");
    }
}

#[test]
fn a_removed_photo_is_no_longer_served() {
    let _turn = exclusive();
    state::put_local_object(REMOVABLE_PHOTO_KEY, PHOTO_PNG, "image/png");
    let api = Worker::api();
    let path = format!("/images/{REMOVABLE_PHOTO_KEY}");
    let shown = api.get(&path);
    assert_eq!(shown.status, 200);
    assert_eq!(
        shown.header("cache-control"),
        Some("public, max-age=300"),
        "not content-addressed"
    );
    let remove = Statement::new("DELETE FROM business_photos WHERE object_key = ?1")
        .bind(REMOVABLE_PHOTO_KEY);
    block_on(state::writable_database().execute(&remove)).unwrap();
    // Which photos are public is a cached answer like the pages that show them.
    state::publish_changes_behind_the_workers_backs();
    assert_eq!(api.get(&path).status, 404, "the object is still in R2");
}

#[test]
fn the_request_log_has_one_line_per_request_and_no_personal_data() {
    let _turn = exclusive();
    let secrets = [
        "zzlog.private@example.org",
        "5805550199",
        "Zzlog Privateperson",
    ];
    let api = Worker::api();
    let reply = api.send(
        "POST",
        &format!(
            "/api/v1/businesses/{PLUMBER_SLUG}/leads?email={}",
            secrets[0]
        ),
        &[
            ("Content-Type", "application/json"),
            ("CF-Connecting-IP", "198.51.100.99"),
            ("Cf-Ray", "8f1e2d3c4b5a6978-DFW"),
            ("Cookie", "__Host-session=zzlogsessiontoken"),
        ],
        Some(
            serde_json::json!({
                "name": secrets[2],
                "email": secrets[0],
                "phone": secrets[1],
                "message": "Please call me at home about the water heater."
            })
            .to_string()
            .as_bytes(),
        ),
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    let log_dir = std::env::var("KBC_LOG_DIR").expect("KBC_LOG_DIR is set by `cargo xtask test`");
    let log_file = std::path::Path::new(&log_dir).join("api.log");
    let line = (0..50)
        .find_map(|_| {
            let log = std::fs::read_to_string(&log_file).unwrap_or_default();
            let line = log
                .lines()
                .filter(|line| line.contains("8f1e2d3c4b5a6978-DFW"))
                .find_map(|line| line.find('{').map(|start| line[start..].to_owned()));
            if line.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            line
        })
        .expect("the request was logged with its ray id");
    let logged: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(logged["route"], "/api/v1/businesses/{slug}/leads");
    assert_eq!(
        (logged["worker"].as_str(), logged["status"].as_u64()),
        (Some("api"), Some(202))
    );
    // What the worker itself logs (wrangler dev adds its own access lines, which production's
    // Workers Logs does not: its invocation logs are off in the production configs).
    let log = std::fs::read_to_string(&log_file).unwrap();
    let ours: Vec<&str> = log
        .lines()
        .filter(|line| !line.contains("[wrangler"))
        .collect();
    assert!(
        ours.iter()
            .any(|line| line.contains("8f1e2d3c4b5a6978-DFW"))
    );
    for secret in secrets
        .iter()
        .chain(&["198.51.100.99", "zzlogsessiontoken", PLUMBER_SLUG])
    {
        assert!(
            !ours.iter().any(|line| line.contains(secret)),
            "{secret} reached the log"
        );
    }
}
