//! `cargo xtask dev`: the whole product on this machine. Installs what is missing, builds
//! all four workers, migrates and (when empty) seeds `.state/`, starts the local fakes (the
//! Google sign-in, the assistant's model, the businesses' websites, Meta's Graph API and
//! Browser Rendering), installs the demo, then
//! serves every worker through `wrangler dev` until Ctrl-C, and stops them all.

use crate::demo;
use crate::fakes::Fakes;
use crate::seed::{self, Plan, Seeded};
use crate::supervise::{self, Logs, Spec};
use crate::workers::Worker;
use crate::workspace::{self, Workspace};
use crate::{build, setup, state};
use anyhow::Result;
use kbc_domain::jobs::SCHEDULES;

/// Enough listings for every category and town to have something to show.
pub(crate) const DEMO_BUSINESSES: u32 = 1_000;

pub fn run(ws: &Workspace) -> Result<()> {
    setup::all(ws)?;
    build::build(ws, &Worker::ALL)?;
    supervise::check_interrupted()?;
    let state_dir = ws.dev_state_dir();
    state::migrate(ws, &state_dir)?;
    let plan = Plan {
        businesses: DEMO_BUSINESSES,
        seed: seed::FIXED_SEED,
    };
    match seed::seed_state(&state_dir, &plan, workspace::unix_now())? {
        Seeded::Fresh(summary, took) => println!(
            "✓ seeded {} demo businesses in {}",
            summary.businesses,
            workspace::seconds(took)
        ),
        Seeded::Already(count) => println!("✓ .state has {count} businesses"),
    }
    // First, so the demo listings' websites are the sites this run serves.
    let fakes = Fakes::start(0)?;
    demo::install(
        &state::open_d1(&state_dir)?,
        fakes.sites.base_url(),
        workspace::unix_now(),
    )?;
    supervise::check_interrupted()?;

    let specs: Vec<Spec> = Worker::ALL
        .iter()
        .map(|&worker| {
            let mut spec = Spec::new(worker, worker.dev_port());
            spec.vars = fakes.vars_for(worker);
            spec
        })
        .collect();
    let mut fleet = supervise::Fleet::start(ws, &state_dir, &specs, &Logs::Terminal)?;
    print_banner(&specs, &fakes);
    fleet.watch()?;
    fleet.stop()?;
    println!("✓ all workers stopped");
    Ok(())
}

fn print_banner(specs: &[Spec], fakes: &Fakes) {
    println!("\nKiamichi Biz Connect is running (state in .state/):");
    for spec in specs {
        println!("  {:<9} {}", spec.worker.name(), spec.url());
    }
    let api = Worker::Api.dev_port();
    let app = Worker::Agent.dev_port();
    println!(
        "\nSign in as any test identity of the fake Google ({} is an admin):",
        demo::admin_email()
    );
    println!(
        "  http://127.0.0.1:{app}/sign-in     (fake Google at {})",
        fakes.oidc.base_url()
    );
    println!(
        "\nRun a listing: sign in as {}, then claim Ridgeline Plumbing (its email is yours, so \
         it is yours at once) and open your dashboard:",
        demo::owner_email()
    );
    println!("  http://127.0.0.1:{app}/claim/{}", demo::OWNER_LISTING);
    println!("  http://127.0.0.1:{app}/dashboard");
    println!(
        "\nThe dashboard's assistant talks to a fake model at {} (canned answers: ask it to set \
         Saturday's hours to 9-1, typed or spoken, then approve the card).",
        fakes.ai.base_url()
    );
    println!(
        "\nThe analyzer reads these listings' websites (fakes at {}); fire its cron below, then see \
         what it filled in:",
        fakes.sites.base_url()
    );
    for slug in [
        demo::OWNER_LISTING,
        demo::BAKERY_LISTING,
        demo::OUTFITTERS_LISTING,
    ] {
        println!("  http://127.0.0.1:{api}/business/{slug}");
    }
    println!(
        "\nFacebook is a fake Graph API at {} (its login dialog offers test people and their \
         Pages; share cards come from a fake Browser Rendering at {}): connect a Page at \
         http://127.0.0.1:{app}/dashboard → your business → Facebook, or the directory's own at \
         http://127.0.0.1:{app}/admin/facebook, write a post, then fire the posting cron for the \
         next 03:00 UTC slot:",
        fakes.graph.base_url(),
        fakes.rendering.base_url()
    );
    let next_slot = "$(date -ud 'tomorrow 03:00' +%s)000";
    println!(
        "  curl \"127.0.0.1:{}/cdn-cgi/handler/scheduled?cron=0+3,15,22+*+*+*&time={next_slot}\"",
        Worker::Facebook.dev_port(),
    );
    println!(
        "  curl '{}/__fake/posts'   # what the fake Facebook received",
        fakes.graph.base_url()
    );
    println!("\nTry:");
    println!("  curl '127.0.0.1:{api}/api/v1/businesses?q=bakery'");
    println!("  curl '127.0.0.1:{api}/api/v1/categories'");
    println!("  curl '127.0.0.1:{api}/health'");
    println!("\nFire a cron (the worker runs its scheduled handler once):");
    for worker in Worker::ALL {
        for schedule in SCHEDULES.iter().filter(|s| s.worker == worker.name()) {
            println!(
                "  curl '127.0.0.1:{}/cdn-cgi/handler/scheduled?cron={}'   # {}",
                worker.dev_port(),
                schedule.cron.replace(' ', "+"),
                schedule.job
            );
        }
    }
    println!("\nCtrl-C stops all four.\n");
}
