//! `cargo xtask config check` on the sandbox copy of the configs.

use crate::support::World;
use kbc_cf_fake::cloudflare::ACCOUNT_ID;
use std::path::Path;

#[test]
fn config_check_passes_on_the_repository_configs() {
    let world = World::new("config-check-passes-on-the-repository-configs");

    world.xtask(&["config", "check"]).assert_ok();
}

#[test]
fn config_check_catches_a_preview_that_points_at_a_production_database() {
    let world = World::new("config-check-catches-a-preview-that-points-at-a-production-database");
    world.live_production();
    let production_id = world.cloudflare.with(|cf| {
        cf.production
            .database_named("kbc-directory-production")
            .unwrap()
            .uuid
            .clone()
    });
    let api = world.config("api");
    let doctored = api.replacen(
        "database_name = \"kbc-directory-preview\"",
        &format!("database_name = \"kbc-directory-preview\"\ndatabase_id = \"{production_id}\""),
        1,
    );
    assert_ne!(api, doctored);
    world.set_config("api", &doctored);

    let run = world.xtask(&["config", "check"]);

    run.assert_failed();
    assert!(
        run.stderr.contains("a production resource"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&production_id), "{}", run.stderr);
}

#[test]
fn config_check_refuses_previews_in_the_production_account() {
    let world = World::new("config-check-refuses-previews-in-the-production-account");

    let run = world.xtask_with(
        &["config", "check"],
        &[("CLOUDFLARE_PREVIEW_ACCOUNT_ID", Path::new(ACCOUNT_ID))],
    );

    run.assert_failed();
    assert!(
        run.stderr.contains("account of their own"),
        "{}",
        run.stderr
    );
}

#[test]
fn provisioning_twice_changes_nothing_the_second_time() {
    let world = World::new("provisioning-twice-changes-nothing-the-second-time");
    world
        .xtask(&["provision", "--env", "production"])
        .assert_ok();
    let configs: Vec<String> = crate::support::WORKERS
        .iter()
        .map(|w| world.config(w))
        .collect();
    let before = world.calls().len();

    world
        .xtask(&["provision", "--env", "production"])
        .assert_ok();

    let again: Vec<String> = crate::support::WORKERS
        .iter()
        .map(|w| world.config(w))
        .collect();
    assert_eq!(again, configs);
    let changes: Vec<String> = world.calls()[before..]
        .iter()
        .filter(|c| c.is_change())
        .map(|c| c.line())
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
    world.cloudflare.with(|cf| {
        assert_eq!(cf.production.databases.len(), 1);
        assert_eq!(cf.production.kv_namespaces.len(), 1);
        assert_eq!(
            cf.production.buckets.keys().collect::<Vec<_>>(),
            ["kbc-backups-production", "kbc-media-production"]
        );
        assert_eq!(
            cf.production.lifecycle["kbc-backups-production"].len(),
            1,
            "one expiry rule, however often provisioned"
        );
    });
}
