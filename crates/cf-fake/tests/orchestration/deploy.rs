//! The production rollout, rollback and status, end to end: the real `cargo xtask` drives
//! the real wrangler against the Cloudflare fake, and probes the workers `cargo xtask
//! test` serves in workerd.

use crate::support::{BACKUP_IDENTITY, WORKERS, World, first};
use kbc_cf_fake::Fault;
use kbc_cf_fake::cloudflare::error;
use kbc_domain::cache::GENERATION_KEY;
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const PROBE: [&str; 6] = [
    "--probe-seconds",
    "2",
    "--probe-interval",
    "1",
    "--prebuilt",
    "--allow-dirty",
];

/// A deploy whose probe window outlasts any test: it stays split until stopped.
const LONG_PROBE: [&str; 9] = [
    "deploy",
    "--env",
    "production",
    "--probe-seconds",
    "300",
    "--probe-interval",
    "1",
    "--prebuilt",
    "--allow-dirty",
];

/// Waits until every worker serves two versions (the gradual step of `child`'s deploy).
fn wait_for_split(world: &World, child: &mut Child) {
    let started = Instant::now();
    while !WORKERS.iter().all(|w| world.serving(w).len() == 2) {
        if started.elapsed() > Duration::from_secs(600) {
            child.kill().unwrap();
            panic!("the rollout never split traffic");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn deploy(world: &World, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["deploy", "--env", "production"];
    args.extend(PROBE);
    args.extend(extra);
    world.xtask(&args)
}

/// One clean rollout on a live production account, made on first use and shared by the
/// tests that look at its outcome: the world, and how many calls preceded the deploy.
fn clean_rollout() -> &'static (World, usize) {
    static CLEAN: OnceLock<(World, usize)> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let world = World::new("clean-rollout");
        world.live_production();
        let before = world.calls().len();
        let mut args = vec!["deploy", "--env", "production"];
        args.extend(PROBE);
        let summary = world.path().join("step-summary.md");
        world
            .xtask_with(&args, &[("GITHUB_STEP_SUMMARY", &summary)])
            .assert_ok();
        (world, before)
    })
}

#[test]
fn a_clean_rollout_backs_up_then_migrates_then_uploads_then_shifts_traffic() {
    let (world, before) = clean_rollout();

    let calls = &world.calls()[*before..];
    let bookmark = first(calls, "GET", "/time_travel/bookmark");
    let export = first(calls, "POST", "/export");
    let migrate = calls
        .iter()
        .position(|c| {
            c.path.ends_with("/query")
                && String::from_utf8_lossy(&c.body).contains("INSERT INTO d1_migrations")
        })
        .expect("the pending migration ran");
    let upload = first(calls, "POST", "/versions");
    let traffic = first(calls, "POST", "/deployments");
    assert!(bookmark < export, "bookmark before backup");
    assert!(export < migrate, "backup before migrations");
    assert!(migrate < upload, "migrations before uploads");
    assert!(upload < traffic, "uploads before traffic");
    let last_upload = calls
        .iter()
        .rposition(|c| c.method == "POST" && c.path.ends_with("/versions"))
        .unwrap();
    assert!(
        last_upload < traffic,
        "every worker is uploaded before any gets traffic"
    );
    let first_split = calls[traffic].json();
    assert_eq!(first_split["versions"][0]["percentage"], 10.0);
    assert_eq!(first_split["versions"][1]["percentage"], 90.0);
}

#[test]
fn a_clean_rollout_ends_with_every_worker_on_its_new_version_and_a_record() {
    let (world, _) = clean_rollout();

    let record = world.record();
    assert_eq!(record["status"], "succeeded");
    for (i, worker) in WORKERS.iter().enumerate() {
        let entry = record["workers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["worker"] == *worker)
            .unwrap();
        let uploaded = entry["uploaded_version"].as_str().unwrap();
        assert_eq!(
            world.serving(worker),
            vec![(uploaded.to_owned(), 100.0)],
            "{worker} ({i})"
        );
        assert!(entry["before"]["versions"][0]["version_id"].is_string());
    }
    let database = &record["database"];
    assert_eq!(
        database["migrations_applied"].as_array().unwrap().len(),
        1,
        "the newest"
    );
    assert!(
        database["restore_command"]
            .as_str()
            .unwrap()
            .contains("time-travel restore")
    );
    let probes: Vec<&str> = record["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(probes, ["gradual", "full"]);
    let timings: Vec<(String, f64)> = record["timings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["phase"].as_str().unwrap().to_owned(),
                t["seconds"].as_f64().unwrap(),
            )
        })
        .collect();
    let seconds = |phase: &str| {
        timings
            .iter()
            .find(|(p, _)| p == phase)
            .map_or(0.0, |(_, s)| *s)
    };
    println!(
        "production rollout against the fake: {:.1} s in all, {:.1} s without the probe window",
        seconds("total"),
        seconds("total") - seconds("probe")
    );
}

#[test]
fn the_backup_is_kept_encrypted_in_the_private_bucket_and_never_in_clear_on_disk() {
    let (world, _) = clean_rollout();

    let object = world.record()["database"]["backup"]
        .as_str()
        .expect("a backup was taken")
        .to_owned();

    let (bucket, key) = object.split_once('/').unwrap();
    assert_eq!(bucket, "kbc-backups-production");
    let sealed = world
        .cloudflare
        .with(|cf| cf.production.objects[&(bucket.to_owned(), key.to_owned())].clone());
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&sealed).contains("Bakeries"));
    let left: Vec<String> = files_under(&world.out())
        .into_iter()
        .filter(|f| f.contains(".sql"))
        .collect();
    assert!(left.is_empty(), "no backup file stays on disk: {left:?}");
}

#[test]
fn a_backup_restores_into_a_fresh_migrated_database() {
    let (world, _) = clean_rollout();
    let object = world.record()["database"]["backup"]
        .as_str()
        .unwrap()
        .to_owned();
    let identity = world.path().join("backup-identity.txt");
    std::fs::write(&identity, format!("{BACKUP_IDENTITY}\n")).unwrap();
    let state = world.path().join("restored");

    let run = world.xtask(&[
        "backup",
        "restore",
        "--object",
        &object,
        "--identity",
        identity.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);

    run.assert_ok();
    let file = kbc_e2e::state::local_d1_file(&state).unwrap();
    let db = rusqlite::Connection::open(file).unwrap();
    let bakeries: i64 = db
        .query_row(
            "SELECT count(*) FROM categories WHERE slug = 'bakeries'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bakeries, 1, "the production rows are back");
    let migrations: i64 = db
        .query_row("SELECT count(*) FROM d1_migrations", [], |r| r.get(0))
        .unwrap();
    let files = std::fs::read_dir(world.path().join("migrations"))
        .unwrap()
        .count();
    assert_eq!(migrations as usize, files, "every migration, recorded once");
}

/// Every file under `dir`, as paths.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path.display().to_string());
        }
    }
    files
}

#[test]
fn while_traffic_is_split_both_the_new_and_the_old_version_are_probed() {
    let (world, _) = clean_rollout();

    let record = world.record();

    let gradual = &record["probes"][0];
    assert_eq!(gradual["phase"], "gradual");
    for worker in WORKERS {
        let entry = record["workers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["worker"] == worker)
            .unwrap();
        let pinned: Vec<&str> = gradual["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["worker"] == worker && c["url"].as_str().unwrap().ends_with("/health"))
            .map(|c| c["version"].as_str().expect("each check pins a version"))
            .collect();
        let old = entry["before"]["versions"][0]["version_id"]
            .as_str()
            .unwrap();
        let new = entry["uploaded_version"].as_str().unwrap();
        assert_eq!(pinned, [new, old], "{worker}");
    }
}

#[test]
fn after_the_migrations_the_edge_copy_of_the_cache_generation_is_dropped() {
    let (world, before) = clean_rollout();

    let calls = &world.calls()[*before..];
    let migrate = calls
        .iter()
        .position(|c| String::from_utf8_lossy(&c.body).contains("INSERT INTO d1_migrations"))
        .expect("the pending migration ran");
    let dropped = first(calls, "DELETE", &format!("/values/{GENERATION_KEY}"));
    assert!(migrate < dropped, "dropped once the migrations ran");
    assert!(!world.holds_edge_generation());
    assert_eq!(world.record()["warnings"], serde_json::json!([]));
}

#[test]
fn a_generation_that_cannot_be_dropped_is_a_warning_not_a_failed_deploy() {
    let world = World::new("a-generation-that-cannot-be-dropped-is-a-warning");
    world.live_production();
    world.cloudflare.inject(Fault {
        method: "DELETE".into(),
        path_contains: format!("/values/{GENERATION_KEY}"),
        body_contains: String::new(),
        times: None,
        reply: error(500, 10001, "KV is having a bad day"),
    });

    let run = deploy(&world, &[]);

    run.assert_ok();
    let record = world.record();
    assert_eq!(record["status"], "succeeded");
    let warnings = record["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains(GENERATION_KEY) && warning.contains("Cloudflare error 10001"),
        "{warning}"
    );
    assert!(world.holds_edge_generation());
}

#[test]
fn a_rollout_in_github_actions_writes_its_summary_to_the_job_page() {
    let (world, _) = clean_rollout();
    let sha = world.record()["git_sha"].as_str().unwrap().to_owned();

    let summary = std::fs::read_to_string(world.path().join("step-summary.md")).unwrap();

    assert!(summary.contains("succeeded"), "{summary}");
    assert!(summary.contains(&sha[..12]), "{summary}");
    for worker in WORKERS {
        assert!(summary.contains(worker), "{worker}: {summary}");
    }
}

#[test]
fn production_crons_and_domains_are_applied_after_the_rollout() {
    let (world, _) = clean_rollout();

    world.cloudflare.with(|cf| {
        assert_eq!(
            cf.production.scripts["kbc-analyzer"].schedules,
            ["0 2,14,20 * * *"]
        );
        assert_eq!(cf.production.scripts["kbc-facebook"].schedules.len(), 3);
        assert_eq!(
            cf.production.scripts["kbc-api"].domains,
            ["kiamichibizconnect.com", "www.kiamichibizconnect.com"]
        );
        assert_eq!(
            cf.production.scripts["kbc-agent"].domains,
            ["app.kiamichibizconnect.com"]
        );
    });
}

#[test]
fn a_failing_migration_deploys_nothing_and_names_the_restore_command() {
    let world = World::new("a-failing-migration-deploys-nothing-and-names-the-restore-command");
    world.live_production();
    world.add_migration(
        "0099_broken.sql",
        "ALTER TABLE no_such_table ADD COLUMN x INTEGER;",
    );
    let before = world.calls().len();
    let serving: Vec<_> = world.serving_all();

    let run = deploy(&world, &[]);

    run.assert_failed();
    assert!(
        run.stderr
            .contains("wrangler d1 time-travel restore DB --bookmark="),
        "{}",
        run.stderr
    );
    let calls = &world.calls()[before..];
    assert!(
        !calls
            .iter()
            .any(|c| c.method == "POST" && c.path.ends_with("/versions")),
        "nothing uploaded"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.method == "POST" && c.path.ends_with("/deployments")),
        "no traffic moved"
    );
    let now: Vec<_> = world.serving_all();
    assert_eq!(now, serving);
    assert_eq!(world.record()["status"], "failed");
}

/// A deploy with `--restore-on-failure` whose last migration fails, made on first use and
/// shared by the tests that look at its outcome.
fn restored_after_a_failed_migration() -> &'static World {
    static RESTORED: OnceLock<World> = OnceLock::new();
    RESTORED.get_or_init(|| {
        let world = World::new("restore-on-failure-puts-the-database-back-to-its-bookmark");
        world.live_production();
        world.add_migration(
            "0099_broken.sql",
            "ALTER TABLE no_such_table ADD COLUMN x INTEGER;",
        );
        deploy(&world, &["--restore-on-failure"]).assert_failed();
        world
    })
}

#[test]
fn restore_on_failure_puts_the_database_back_to_its_bookmark() {
    let world = restored_after_a_failed_migration();

    let calls = world.calls();
    let restore = first(&calls, "POST", "/time_travel/restore");
    let record = world.record();
    assert_eq!(
        calls[restore].query["bookmark"],
        record["database"]["bookmark"].as_str().unwrap()
    );
    assert_eq!(record["database"]["restored"], true);
    let files = std::fs::read_dir(world.path().join("migrations"))
        .unwrap()
        .count();
    let (migrations, seeded) = world.cloudflare.with(|cf| {
        let db = "kbc-directory-production";
        let migrations = cf
            .production
            .sql(db, "SELECT count(*) AS n FROM d1_migrations")
            .unwrap();
        let seeded = cf
            .production
            .sql(
                db,
                "SELECT count(*) AS n FROM categories WHERE slug = 'bakeries'",
            )
            .unwrap();
        (
            migrations[0]["results"][0]["n"].clone(),
            seeded[0]["results"][0]["n"].clone(),
        )
    });
    assert_eq!(
        migrations,
        files - 2,
        "neither the good nor the broken new migration is left"
    );
    assert_eq!(seeded, 1, "the data is still there");
}

#[test]
fn after_a_restore_the_edge_copy_of_the_cache_generation_is_dropped() {
    let world = restored_after_a_failed_migration();

    let calls = world.calls();
    let restore = first(&calls, "POST", "/time_travel/restore");
    let dropped = first(&calls, "DELETE", &format!("/values/{GENERATION_KEY}"));
    assert!(restore < dropped, "dropped once the database is back");
    assert!(!world.holds_edge_generation());
}

#[test]
fn a_failing_health_probe_rolls_every_worker_back() {
    let world = World::new("a-failing-health-probe-rolls-every-worker-back");
    world.live_production();
    // The bundles claim a commit the new versions' /health does not report.
    for worker in WORKERS {
        world.restamp(worker, "ffffffffffffffffffffffffffffffffffffffff");
    }
    let before = world.serving_all();

    let run = deploy(&world, &[]);

    run.assert_failed();
    assert!(run.stderr.contains("health probe failed"), "{}", run.stderr);
    let after = world.serving_all();
    assert_eq!(after, before, "every worker serves what it served before");
    let record = world.record();
    assert_eq!(record["status"], "rolled-back");
    assert_eq!(record["rollback"].as_array().unwrap().len(), 4);
}

#[test]
fn a_failed_traffic_shift_rolls_every_worker_back() {
    let world = World::new("a-failed-traffic-shift-rolls-every-worker-back");
    world.live_production();
    let before = world.serving_all();
    // Cloudflare refuses the facebook worker's gradual deployment, once.
    world.cloudflare.inject(Fault {
        method: "POST".into(),
        path_contains: "/scripts/kbc-facebook/deployments".into(),
        body_contains: String::new(),
        times: Some(1),
        reply: error(500, 10013, "An unknown error has occurred"),
    });

    let run = deploy(&world, &[]);

    run.assert_failed();
    assert!(run.stderr.contains("deploying facebook"), "{}", run.stderr);
    let after = world.serving_all();
    assert_eq!(after, before, "every worker serves what it served before");
    assert_eq!(world.record()["status"], "rolled-back");
}

#[test]
fn an_interrupted_rollout_rolls_every_worker_back() {
    let world = World::new("an-interrupted-rollout-rolls-every-worker-back");
    world.live_production();
    let before = world.serving_all();
    let mut child = world.spawn_xtask(&LONG_PROBE);
    wait_for_split(&world, &mut child);

    // What Ctrl-C or a cancelled GitHub job sends.
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let run = crate::support::Run::new(&LONG_PROBE, child.wait_with_output().unwrap());

    assert!(signal.success());
    run.assert_failed();
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    let after = world.serving_all();
    assert_eq!(after, before, "every worker serves what it served before");
    assert_eq!(world.record()["status"], "rolled-back");
}

#[test]
fn a_missing_secret_stops_the_deploy_before_anything_changes() {
    let world = World::new("a-missing-secret-stops-the-deploy-before-anything-changes");
    world.live_production();
    world.cloudflare.with(|cf| {
        cf.production
            .scripts
            .get_mut("kbc-api")
            .unwrap()
            .secrets
            .clear()
    });
    let before = world.calls().len();

    let run = deploy(&world, &[]);

    run.assert_failed();
    assert!(run.stderr.contains("CLIENT_HASH_SALT"), "{}", run.stderr);
    let changes: Vec<String> = world.calls()[before..]
        .iter()
        .filter(|c| c.is_change())
        .map(|c| c.line())
        .collect();
    assert!(changes.is_empty(), "nothing may change: {changes:?}");
    assert!(!run.stdout.contains("s3cret") && !run.stderr.contains("s3cret"));
}

#[test]
fn rollback_to_a_record_restores_what_every_worker_served_before_it() {
    let world = World::new("rollback-to-a-record-restores-what-every-worker-served-before-it");
    world.live_production();
    let before = world.serving_all();
    deploy(&world, &[]).assert_ok();
    let record = std::fs::read_dir(world.out().join("production"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();

    let run = world.xtask(&[
        "rollback",
        "--env",
        "production",
        "--to",
        record.to_str().unwrap(),
    ]);

    run.assert_ok();
    let after = world.serving_all();
    assert_eq!(after, before);
}

#[test]
fn rollback_without_a_record_goes_back_past_the_gradual_step() {
    let world = World::new("rollback-without-a-record-goes-back-past-the-gradual-step");
    world.live_production();
    let before = world.serving_all();
    deploy(&world, &[]).assert_ok();

    let run = world.xtask(&["rollback", "--env", "production"]);

    run.assert_ok();
    let after = world.serving_all();
    assert_eq!(after, before);
}

#[test]
fn rollback_without_a_record_after_a_deploy_killed_mid_split_restores_the_pre_deploy_versions() {
    let world = World::new("rollback-after-a-deploy-killed-mid-split");
    world.live_production();
    let before = world.serving_all();
    let mut child = world.spawn_xtask(&LONG_PROBE);
    wait_for_split(&world, &mut child);

    // SIGKILL: the deploy gets no chance to roll back, and leaves the split behind.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(WORKERS.iter().all(|w| world.serving(w).len() == 2));
    let run = world.xtask(&["rollback", "--env", "production"]);

    run.assert_ok();
    assert_eq!(
        world.serving_all(),
        before,
        "every worker is back on its pre-deploy version"
    );
}

#[test]
fn status_shows_each_worker_serving_the_deployed_sha() {
    let (world, _) = clean_rollout();
    let sha = world.record()["git_sha"].as_str().unwrap().to_owned();

    let run = world.xtask(&["status", "--env", "production", "--json"]);

    run.assert_ok();
    let rows: serde_json::Value =
        serde_json::from_str(run.stdout.trim_start_matches(|c| c != '[')).unwrap();
    for row in rows.as_array().unwrap() {
        assert_eq!(row["serving"][0]["git_sha"], sha.as_str(), "{row}");
        assert_eq!(row["serving"][0]["percentage"], 100.0);
    }
}
