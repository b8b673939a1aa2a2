//! The analyzer's queue, timed end to end in workerd: 200 of the bench's listings are pointed
//! at the fake business websites (`kbc_cf_fake::Sites`, which answer at once), the
//! enrichment cron is fired with every public listing due, and the clock runs until the
//! queue's consumer has finished the last of them — websites read through the guard and
//! robots.txt, facts extracted, suggestions made and applied, the rest (no website, or a
//! reserved `example.com` one the guard refuses at once) recorded as having nothing to read.

use crate::state;
use crate::supervise::{self, Fleet, Logs, Spec};
use crate::workers::Worker;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use kbc_cf_fake::sites::{self, Sites};
use kbc_domain::analysis::{self, RunCounts};
use kbc_domain::db::sqlite::SqliteDatabase;
use kbc_domain::edits::{Author, Means};
use kbc_domain::values::Slug;
use kbc_domain::{directory, listings};
use std::path::Path;
use std::time::{Duration, Instant};

/// Next to the bench's api and agent workers, far from the dev and test ports.
const ANALYZER_PORT: u16 = 28_789;
const SITES_PORT: u16 = 28_793;
/// How many listings get one of the fake websites.
const WITH_WEBSITES: usize = 200;
/// The fake sites that state facts, in turn.
const SITES: [&str; 4] = [
    sites::RIDGELINE_PLUMBING,
    sites::PINE_RIDGE_BAKERY,
    sites::KIAMICHI_OUTFITTERS,
    sites::LATIN1_CAFE,
];
/// A 02:00 UTC run (no writing with the model), far from any real date's runs.
const SCHEDULED_AT: i64 = 20_700 * 86_400 + 2 * 3_600;

/// Points the first [`WITH_WEBSITES`] public listings at the fake sites, as edits.
fn point_at(db: &SqliteDatabase, base: &str, now: i64) -> Result<usize> {
    let author = Author::worker("bench", Means::Console);
    let public = pollster::block_on(directory::all_public(db))?;
    let mut pointed = 0;
    for (listed, site) in public.iter().zip(SITES.iter().cycle()).take(WITH_WEBSITES) {
        let slug = Slug::parse("slug", &listed.slug).map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(id) = pollster::block_on(directory::public_id(db, &slug))? else {
            continue;
        };
        let Some(listing) = pollster::block_on(listings::find(db, id))? else {
            continue;
        };
        let mut input = listing.as_input();
        input.website = sites::home_url(base, site);
        let edit = input
            .parse()
            .map_err(|errors| anyhow::anyhow!("listing {}: {errors:?}", listing.slug))?;
        pollster::block_on(listings::update(db, &author, listing.id, &edit, now))?;
        pointed += 1;
    }
    Ok(pointed)
}

fn counts(state_dir: &Path) -> Result<Option<RunCounts>> {
    let db = state::open_d1(state_dir)?;
    Ok(pollster::block_on(analysis::runs(&db, 5))?
        .into_iter()
        .find(|run| run.scheduled_at == SCHEDULED_AT))
}

/// Fires the cron and waits for its queue to drain; the Markdown line for the results.
pub fn listings_per_minute(ws: &Workspace, state_dir: &Path) -> Result<String> {
    let websites = Sites::start_on(&format!("127.0.0.1:{SITES_PORT}"))
        .context("starting the fake business websites")?;
    let pointed = {
        let db = state::open_d1(state_dir)?;
        point_at(&db, websites.base_url(), crate::workspace::unix_now())?
    };
    let mut spec = Spec::new(Worker::Analyzer, ANALYZER_PORT);
    spec.vars.extend([
        ("ANALYZER_ALLOWED_ORIGINS", websites.base_url().to_owned()),
        // Every public listing in one run: the queue's throughput, not the run's bound.
        ("ANALYZER_RUN_LIMIT", "100000".to_owned()),
    ]);
    let logs = Logs::Files(ws.target_dir().join("bench-logs/analyzer"));
    let mut fleet = Fleet::start(ws, state_dir, std::slice::from_ref(&spec), &logs)?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let started = Instant::now();
    let fired = client
        .get(format!(
            "{}/cdn-cgi/handler/scheduled?cron=0+2,14,20+*+*+*&time={}",
            spec.url(),
            SCHEDULED_AT * 1000
        ))
        .send()?;
    if !fired.status().is_success() {
        bail!("firing the analyzer's cron answered {}", fired.status());
    }
    let deadline = started + Duration::from_secs(900);
    let mut finished = None;
    while Instant::now() < deadline {
        supervise::check_interrupted()?;
        std::thread::sleep(Duration::from_millis(200));
        if let Some(run) = counts(state_dir)?
            && run.selected > 0
            && run.analyzed + run.failed >= run.selected
        {
            finished = Some((run, started.elapsed()));
            break;
        }
    }
    fleet.stop()?;
    supervise::wait_ports_free(&[ANALYZER_PORT], Duration::from_secs(10))?;
    let (run, took) = finished.context("the analyzer's queue did not drain within 15 minutes")?;
    let read = websites.with(|sites| {
        sites
            .requests()
            .iter()
            .filter(|r| r.path.ends_with('/') && r.path.len() > 1)
            .count()
    });
    let minutes = took.as_secs_f64() / 60.0;
    let line = format!(
        "One 02:00 run with every public listing due: {selected} selected and queued, all \
         finished by the queue's consumer in {secs:.1} s — **{rate:.0} listings analyzed per \
         minute** (batches of 10, 4 at a time) — of which {pointed} had a fake website: \
         {read} pages read through the guard and robots.txt, {suggested} suggestions made, \
         {applied} applied at once, {failed} failed; the rest had no website or a reserved \
         `example.com` one, refused before any request. The fake websites answer at once, so \
         this is the analyzer's own cost (D1 reads and writes per listing, extraction).\n",
        selected = run.selected,
        secs = took.as_secs_f64(),
        rate = (run.analyzed + run.failed) as f64 / minutes,
        suggested = run.suggested,
        applied = run.auto_applied,
        failed = run.failed,
    );
    println!("  {line}");
    Ok(line)
}
