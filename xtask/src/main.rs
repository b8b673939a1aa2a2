//! `cargo xtask`: the one entry point for working on Kiamichi Biz Connect locally.
//!
//! It owns the developer workflow (installing the toolchain, building the four workers,
//! preparing local D1 state, serving everything, running every test tier and the
//! benchmarks). It holds no product logic: data goes in through `kbc-domain`, and the
//! workers are run exactly as Cloudflare would run them, in workerd.

mod admin;
mod audit;
mod bench;
mod build;
mod demo;
mod deploy;
mod dev;
mod fakes;
mod hooks;
mod runtime;
mod seed;
mod setup;
mod state;
mod supervise;
#[cfg(test)]
mod tidy;
mod tiers;
mod workers;
mod workspace;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use workers::Worker;
use workspace::Workspace;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Build, run, seed, test and benchmark the Kiamichi Biz Connect workers locally.",
    long_about = "Build, run, seed, test and benchmark the Kiamichi Biz Connect workers locally.\n\n\
                  Start with `cargo xtask dev` (everything, served on 127.0.0.1:8787-8790) or \
                  `cargo xtask test` (every test tier). Works from any directory of the workspace."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what building and running the workers needs, skipping what is present.
    ///
    /// The wasm32 target (rustup), worker-build and wasm-bindgen-cli (cargo install, the
    /// latter at the wasm-bindgen version in Cargo.lock), wrangler, esbuild and binaryen
    /// (npm ci in wrangler/), and for the browser tests Debian's chromium (apt-get, as root)
    /// and playwright-core (npm ci in browser/). Only package registries are used. A second
    /// run takes seconds.
    Setup {
        /// Install only wrangler and its tools (npm ci in wrangler/): what a command that
        /// deploys nothing new needs, installed before any Cloudflare token is present.
        #[arg(long)]
        wrangler_only: bool,
    },
    /// Build workers to wasm and check their bundle sizes against the 1 MiB gzip budget.
    ///
    /// Runs `worker-build --release` per worker (one after another) with the local
    /// wasm-bindgen, esbuild and wasm-opt, stamping the git revision in. Output lands in
    /// crates/<worker>/build/.
    Build {
        /// Workers to build (default: all four).
        #[arg(value_enum)]
        workers: Vec<Worker>,
    },
    /// Apply pending D1 migrations to a local state directory.
    Migrate {
        /// State directory, as given to `wrangler dev --persist-to` (default: .state).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
    },
    /// Fill a local state directory with deterministic synthetic listings.
    ///
    /// Migrates first. Writes categories, N businesses in the real towns of the region
    /// (fictional 555-01XX phones, example.com addresses; a handful on paid plans), the
    /// featured rotation run now, and a few blog posts. Does nothing when the database already has businesses.
    Seed {
        /// How many businesses to generate.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        businesses: u32,
        /// State directory (default: .state).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// Generator seed: the same seed and N always give the same data.
        #[arg(long, value_name = "S", default_value_t = seed::FIXED_SEED)]
        seed: u64,
        /// Delete the state directory (D1, KV and R2) and start over.
        #[arg(long)]
        reset: bool,
    },
    /// Serve all four workers locally on 127.0.0.1:8787-8790 until Ctrl-C.
    ///
    /// Sets up, builds, migrates .state/ and seeds 1,000 businesses when it is empty, then
    /// runs `wrangler dev` for api (8787), agent (8788), analyzer (8789) and facebook (8790)
    /// with their logs prefixed here. Ctrl-C stops every process they started.
    Dev,
    /// Run every test tier: lint, native tests, end-to-end tests in workerd, and in a browser.
    ///
    /// Format and clippy (native and wasm32), `cargo test`, then the end-to-end tier: it
    /// builds the workers, prepares target/e2e-state (fixed-seed listings plus fixtures),
    /// serves the workers on 127.0.0.1:18787-18790, runs `cargo test -p kbc-e2e`, then the
    /// real-browser tests in browser/ (headless Chromium; screenshots in
    /// target/screenshots/). Workers are always stopped, and their ports checked free.
    Test {
        /// Run only one half of the tiers.
        #[arg(long, value_enum)]
        only: Option<tiers::Only>,
        /// With `--only e2e`: run only the end-to-end tests of crates/e2e/tests/FILE.rs (and
        /// no conformance, browser or deploy tests), for working on one feature. CI runs
        /// everything.
        #[arg(long, requires = "only", value_name = "FILE")]
        file: Option<String>,
    },
    /// Benchmark the api worker at 1,000 and 20,000 businesses, origin and cached.
    ///
    /// Serves only the api worker on 127.0.0.1:28787 and sends a fixed number of requests
    /// per scenario (API: categories, matching and non-matching searches, listing details;
    /// site: the home, search-results and business pages).
    /// Checks the search targets, writes docs/BENCHMARKS.md and fails if a target is missed.
    Bench {
        /// Requests per scenario.
        #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        requests: u32,
        /// Concurrent keep-alive connections.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
        concurrency: u32,
    },
    Deploy(deploy::DeployArgs),
    Rollback(deploy::RollbackArgs),
    Status(deploy::StatusArgs),
    Provision(deploy::ProvisionArgs),
    Preview(deploy::PreviewArgs),
    /// Check the dependencies for known vulnerabilities (cargo audit, npm audit).
    Audit,
    /// Roles of the people who sign in (`cargo xtask admin grant EMAIL --env local`).
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Git hooks (`cargo xtask hooks install`).
    Hooks {
        #[command(subcommand)]
        command: HooksCommand,
    },
    /// Production database backups (`cargo xtask backup restore`).
    Backup {
        #[command(subcommand)]
        command: deploy::BackupCommand,
    },
    /// Check the deployment configuration (`cargo xtask config check`).
    Config {
        #[command(subcommand)]
        command: deploy::ConfigCommand,
    },
}

#[derive(Subcommand)]
enum HooksCommand {
    /// A pre-commit hook running `cargo fmt --check` and clippy (-D warnings); idempotent.
    Install,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let ws = Workspace::locate()?;
    match cli.command {
        Command::Setup {
            wrangler_only: true,
        } => setup::node_tools(&ws),
        Command::Setup {
            wrangler_only: false,
        } => setup::all(&ws).and_then(|()| setup::browser_tools(&ws)),
        Command::Build { workers } => {
            setup::all(&ws)?;
            let workers = if workers.is_empty() {
                Worker::ALL.to_vec()
            } else {
                workers
            };
            build::build(&ws, &workers).map(drop)
        }
        Command::Migrate { state } => {
            setup::node_tools(&ws)?;
            let state_dir = state_dir(&ws, state)?;
            state::migrate(&ws, &state_dir)?;
            println!("✓ migrated {}", state_dir.display());
            Ok(())
        }
        Command::Seed {
            businesses,
            state,
            seed,
            reset,
        } => seed_command(&ws, state, seed::Plan { businesses, seed }, reset),
        Command::Dev => {
            supervise::handle_interrupts()?;
            dev::run(&ws)
        }
        Command::Test { only, file } => {
            supervise::handle_interrupts()?;
            tiers::run_all(&ws, only, file.as_deref())
        }
        Command::Bench {
            requests,
            concurrency,
        } => {
            supervise::handle_interrupts()?;
            let options = bench::Options {
                requests: requests as usize,
                concurrency: concurrency as usize,
            };
            bench::run(&ws, options)
        }
        Command::Deploy(args) => {
            supervise::handle_interrupts()?;
            deploy::deploy(&ws, &args)
        }
        Command::Rollback(args) => deploy::rollback(&ws, &args),
        Command::Status(args) => deploy::status(&ws, &args),
        Command::Provision(args) => deploy::provision(&ws, &args),
        Command::Preview(args) => deploy::preview(&ws, &args),
        Command::Config { command } => deploy::config(&ws, &command),
        Command::Backup { command } => deploy::backup(&ws, &command),
        Command::Hooks {
            command: HooksCommand::Install,
        } => {
            let hook = hooks::install(&ws.root)?;
            println!("✓ pre-commit hook in {}", hook.display());
            Ok(())
        }
        Command::Audit => audit::run_all(&ws),
        Command::Admin { command } => {
            setup::node_tools(&ws)?;
            let default_state = ws.dev_state_dir();
            admin::run_command(&ws, &command, default_state)
        }
    }
}

fn state_dir(ws: &Workspace, given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(dir) => Workspace::absolute(&dir),
        None => Ok(ws.dev_state_dir()),
    }
}

fn seed_command(
    ws: &Workspace,
    state: Option<PathBuf>,
    plan: seed::Plan,
    reset: bool,
) -> Result<()> {
    setup::node_tools(ws)?;
    let state_dir = state_dir(ws, state)?;
    if reset {
        state::wipe(&state_dir)?;
        println!("✓ deleted {}", state_dir.display());
    }
    state::migrate(ws, &state_dir)?;
    match seed::seed_state(&state_dir, &plan, workspace::unix_now())? {
        seed::Seeded::Fresh(summary, took) => {
            println!(
                "✓ seeded {} businesses ({} drafts, {} on paid plans, {} featured now), {} categories \
                 and {} blog posts into {} in {}",
                summary.businesses,
                summary.drafts,
                summary.paid,
                summary.featured,
                summary.categories,
                summary.posts,
                state_dir.display(),
                workspace::seconds(took)
            );
            // A `cargo xtask dev` may be serving this state: retire what it cached.
            state::retire_cached_answers(ws, &state_dir)
        }
        seed::Seeded::Already(count) => {
            println!("already seeded with {count} businesses; use --reset to start over");
            Ok(())
        }
    }
}
