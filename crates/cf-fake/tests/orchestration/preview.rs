//! Pull-request previews end to end: the real `cargo xtask preview` and `preview cleanup`
//! against the Cloudflare and GitHub fakes, probing the workers `cargo xtask test` serves.

use crate::support::{WORKERS, World};
use kbc_cf_fake::cloudflare::{ACCOUNT_ID, TOKEN};
use kbc_cf_fake::github::{Comment, LOGIN};
use std::path::Path;

fn preview(world: &World, pr: &str) -> crate::support::Run {
    world.xtask(&["preview", "--pr", pr, "--prebuilt", "--probe-seconds", "20"])
}

/// The `field` of the binding `name` of a preview worker's latest version.
fn binding(world: &World, script: &str, name: &str, field: &str) -> String {
    world.cloudflare.with(|cf| {
        let version = cf.preview.scripts[script].versions.last().unwrap();
        version
            .bindings
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == name)
            .unwrap_or_else(|| panic!("{script} binds no {name}"))[field]
            .as_str()
            .unwrap()
            .to_owned()
    })
}

#[test]
fn two_pull_requests_get_separate_workers_databases_and_buckets_at_once() {
    let world = World::new("two-pull-requests-get-separate-workers-databases-and-buckets-at-once");

    let (seven, eight) = std::thread::scope(|s| {
        let seven = s.spawn(|| preview(&world, "7"));
        let eight = s.spawn(|| preview(&world, "8"));
        (seven.join().unwrap(), eight.join().unwrap())
    });

    seven.assert_ok();
    eight.assert_ok();
    let (db7, db8) = world.cloudflare.with(|cf| {
        (
            cf.preview
                .database_named("kbc-directory-pr-7")
                .unwrap()
                .uuid
                .clone(),
            cf.preview
                .database_named("kbc-directory-pr-8")
                .unwrap()
                .uuid
                .clone(),
        )
    });
    for worker in WORKERS {
        for (pr, db) in [("7", &db7), ("8", &db8)] {
            let script = format!("kbc-{worker}-pr-{pr}");
            assert_eq!(&binding(&world, &script, "DB", "id"), db);
            assert_eq!(
                binding(&world, &script, "MEDIA", "bucket_name"),
                format!("kbc-media-pr-{pr}")
            );
        }
    }
    for name in ["kbc-directory-pr-7", "kbc-directory-pr-8"] {
        let migrated = world.cloudflare.with(|cf| {
            cf.preview
                .sql(name, "SELECT count(*) AS n FROM d1_migrations")
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
    let before = production_calls(&world);

    preview(&world, "7").assert_ok();

    assert_eq!(
        production_calls(&world),
        before,
        "the preview never reached the production account"
    );
    world.cloudflare.with(|cf| {
        let production_db = cf
            .production
            .database_named("kbc-directory-production")
            .unwrap()
            .uuid
            .clone();
        for worker in WORKERS {
            let script = &cf.preview.scripts[&format!("kbc-{worker}-pr-7")];
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

/// How many calls the production account has received.
fn production_calls(world: &World) -> usize {
    let prefix = format!("/client/v4/accounts/{ACCOUNT_ID}/");
    world
        .calls()
        .iter()
        .filter(|c| c.path.starts_with(&prefix))
        .count()
}

#[test]
fn a_preview_in_the_production_account_is_refused_before_any_call() {
    let world = World::new("a-preview-in-the-production-account-is-refused-before-any-call");

    let run = world.xtask_with(
        &["preview", "--pr", "7", "--prebuilt"],
        &[
            ("CLOUDFLARE_PREVIEW_ACCOUNT_ID", Path::new(ACCOUNT_ID)),
            ("CLOUDFLARE_PREVIEW_API_TOKEN", Path::new(TOKEN)),
        ],
    );

    run.assert_failed();
    assert!(
        run.stderr.contains("account of their own"),
        "{}",
        run.stderr
    );
    assert!(world.calls().is_empty(), "{:?}", world.calls());
    assert!(!run.stderr.contains(TOKEN), "{}", run.stderr);
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
    assert!(!body.contains(kbc_cf_fake::github::TOKEN));
}

/// The hidden marker that opens xtask's preview comment.
const MARKER: &str = "<!-- kbc-preview -->";

#[test]
fn a_look_alike_comment_by_someone_else_is_never_edited() {
    let world = World::new("a-look-alike-comment-by-someone-else-is-never-edited");
    let planted = format!("{MARKER}\n[Preview](javascript:alert(1))");
    world.github.with(|gh| {
        gh.comments.push(Comment {
            id: 1,
            pr: 7,
            author: "mallory".into(),
            body: planted.clone(),
        })
    });

    preview(&world, "7").assert_ok();

    let comments = world.github.with(|gh| gh.comments_on(7));
    assert_eq!(comments.len(), 2, "ours is a comment of its own");
    assert_eq!(comments[0].body, planted, "mallory's is untouched");
    assert_eq!(comments[1].author, LOGIN);
    assert!(
        comments[1].body.contains("✅ healthy"),
        "{}",
        comments[1].body
    );
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
            assert!(
                !cf.preview
                    .scripts
                    .contains_key(&format!("kbc-{worker}-pr-7"))
            );
            assert!(
                cf.preview
                    .scripts
                    .contains_key(&format!("kbc-{worker}-pr-8"))
            );
        }
        assert!(cf.preview.database_named("kbc-directory-pr-7").is_none());
        assert!(cf.preview.database_named("kbc-directory-pr-8").is_some());
        assert_eq!(
            cf.preview.kv_namespaces.values().collect::<Vec<_>>(),
            ["kbc-cache-pr-8"]
        );
        assert_eq!(
            cf.preview.buckets.keys().collect::<Vec<_>>(),
            ["kbc-media-pr-8"]
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

#[test]
fn cleanup_deletes_the_photos_of_the_preview_with_its_bucket() {
    let world = World::new("cleanup-deletes-the-photos-of-the-preview-with-its-bucket");
    preview(&world, "7").assert_ok();
    world.cloudflare.with(|cf| {
        cf.preview.sql("kbc-directory-pr-7", PHOTO_LISTING).unwrap();
        for key in ["photos/1/front.jpg", "photos/1/inside.jpg"] {
            cf.preview
                .objects
                .insert(("kbc-media-pr-7".into(), key.into()), b"JFIF".to_vec());
        }
    });

    let run = world.xtask(&["preview", "cleanup", "--pr", "7"]);

    run.assert_ok();
    world.cloudflare.with(|cf| {
        assert!(
            cf.preview.objects.is_empty(),
            "{:?}",
            cf.preview.objects.keys()
        );
        assert!(cf.preview.buckets.is_empty(), "{:?}", cf.preview.buckets);
        assert!(cf.preview.database_named("kbc-directory-pr-7").is_none());
    });
}

/// A published listing with two photos, as an owner of the preview would have made it.
const PHOTO_LISTING: &str = "\
    INSERT INTO categories (slug, name, created_at, updated_at) VALUES ('bakeries', 'Bakeries', 1, 1);
    INSERT INTO businesses (slug, name, category_id, city, city_slug, state, status, created_at, updated_at)
        VALUES ('pie-shop', 'Pie Shop', 1, 'Hugo', 'hugo', 'OK', 'published', 1, 1);
    INSERT INTO business_photos (business_id, object_key, content_type, created_at) VALUES
        (1, 'photos/1/front.jpg', 'image/jpeg', 1),
        (1, 'photos/1/inside.jpg', 'image/jpeg', 1);";

#[test]
fn a_preview_run_for_a_closed_pull_request_removes_its_preview_instead() {
    let world = World::new("a-preview-run-for-a-closed-pull-request-removes-its-preview-instead");
    preview(&world, "7").assert_ok();
    world.github.with(|gh| gh.closed.insert(7));

    let run = preview(&world, "7");

    run.assert_ok();
    assert!(run.stderr.contains("closed"), "{}", run.stderr);
    world.cloudflare.with(|cf| {
        assert!(
            cf.preview.scripts.is_empty(),
            "{:?}",
            cf.preview.scripts.keys()
        );
        assert!(cf.preview.database_named("kbc-directory-pr-7").is_none());
        assert!(cf.preview.buckets.is_empty());
    });
    let comments = world.github.with(|gh| gh.comments_on(7));
    assert!(comments[0].body.contains("Removed"), "{}", comments[0].body);
}
