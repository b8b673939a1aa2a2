//! Pull-request previews end to end: the real `cargo xtask preview` and `preview cleanup`
//! against the Cloudflare and GitHub fakes, probing the workers `cargo xtask test` serves.

use crate::support::{WORKERS, World};

fn preview(world: &World, pr: &str) -> crate::support::Run {
    world.xtask(&["preview", "--pr", pr, "--prebuilt", "--probe-seconds", "20"])
}

/// The D1 database id a preview worker's latest version is bound to as `DB`.
fn bound_database(world: &World, script: &str) -> String {
    world.cloudflare.with(|cf| {
        let version = cf.scripts[script].versions.last().unwrap();
        version
            .bindings
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == "DB")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    })
}

#[test]
fn two_pull_requests_get_separate_workers_and_databases_at_once() {
    let world = World::new("two-pull-requests-get-separate-workers-and-databases-at-once");

    let (seven, eight) = std::thread::scope(|s| {
        let seven = s.spawn(|| preview(&world, "7"));
        let eight = s.spawn(|| preview(&world, "8"));
        (seven.join().unwrap(), eight.join().unwrap())
    });

    seven.assert_ok();
    eight.assert_ok();
    let (db7, db8) = world.cloudflare.with(|cf| {
        (
            cf.database_named("kbc-directory-pr-7")
                .unwrap()
                .uuid
                .clone(),
            cf.database_named("kbc-directory-pr-8")
                .unwrap()
                .uuid
                .clone(),
        )
    });
    for worker in WORKERS {
        assert_eq!(bound_database(&world, &format!("kbc-{worker}-pr-7")), db7);
        assert_eq!(bound_database(&world, &format!("kbc-{worker}-pr-8")), db8);
    }
    for name in ["kbc-directory-pr-7", "kbc-directory-pr-8"] {
        let migrated = world.cloudflare.with(|cf| {
            cf.sql(name, "SELECT count(*) AS n FROM d1_migrations")
                .unwrap()
        });
        let files = std::fs::read_dir(world.path().join("migrations"))
            .unwrap()
            .count();
        assert_eq!(migrated[0]["results"][0]["n"], files, "{name} is migrated");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&seven.stdout[seven.stdout.find("{\n").unwrap()..]).unwrap();
    assert_eq!(summary["workers"].as_array().unwrap().len(), 4);
    assert!(
        summary["workers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["healthy"] == true)
    );
    assert_eq!(
        summary["workers"][0]["url"],
        "https://kbc-api-pr-7.kbc-fake.workers.dev"
    );
}

#[test]
fn previews_use_no_production_resource_cron_or_secret() {
    let world = World::new("previews-use-no-production-resource-cron-or-secret");
    world.live_production();

    preview(&world, "7").assert_ok();

    world.cloudflare.with(|cf| {
        let production_db = cf
            .database_named("kbc-directory-production")
            .unwrap()
            .uuid
            .clone();
        for worker in WORKERS {
            let script = &cf.scripts[&format!("kbc-{worker}-pr-7")];
            assert!(script.schedules.is_empty(), "{worker} has no crons");
            assert!(script.secrets.is_empty(), "{worker} has no secrets");
            assert!(script.domains.is_empty(), "{worker} has no domains");
            let bindings = script.versions.last().unwrap().bindings.to_string();
            assert!(!bindings.contains(&production_db), "{worker}: {bindings}");
            assert!(
                !bindings.contains("kbc-media-production"),
                "{worker}: {bindings}"
            );
        }
    });
}

#[test]
fn a_preview_keeps_one_pull_request_comment_up_to_date() {
    let world = World::new("a-preview-keeps-one-pull-request-comment-up-to-date");

    preview(&world, "7").assert_ok();
    preview(&world, "7").assert_ok();

    let comments = world.github.with(|gh| gh.comments_on(7));
    assert_eq!(comments.len(), 1, "edited in place, not repeated");
    let body = &comments[0].body;
    assert!(
        body.contains("https://kbc-agent-pr-7.kbc-fake.workers.dev"),
        "{body}"
    );
    assert!(body.contains("✅ healthy"), "{body}");
    assert!(!body.contains("test-github-token"));
}

#[test]
fn cleaning_up_one_preview_leaves_the_other_working() {
    let world = World::new("cleaning-up-one-preview-leaves-the-other-working");
    preview(&world, "7").assert_ok();
    preview(&world, "8").assert_ok();

    let run = world.xtask(&["preview", "cleanup", "--pr", "7"]);

    run.assert_ok();
    world.cloudflare.with(|cf| {
        for worker in WORKERS {
            assert!(!cf.scripts.contains_key(&format!("kbc-{worker}-pr-7")));
            assert!(cf.scripts.contains_key(&format!("kbc-{worker}-pr-8")));
        }
        assert!(cf.database_named("kbc-directory-pr-7").is_none());
        assert!(cf.database_named("kbc-directory-pr-8").is_some());
        assert_eq!(
            cf.kv_namespaces.values().collect::<Vec<_>>(),
            ["kbc-cache-pr-8"]
        );
    });
    let status = world.xtask(&["status", "--env", "preview", "--pr", "8", "--json"]);
    status.assert_ok();
    assert_eq!(
        status.stdout.matches("\"percentage\": 100.0").count(),
        4,
        "{}",
        status.stdout
    );
    let comment = world.github.with(|gh| gh.comments_on(7));
    assert!(comment[0].body.contains("Removed"));
}
