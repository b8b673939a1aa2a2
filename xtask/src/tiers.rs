//! `cargo xtask test`: every test tier the project has, in order, with a summary.
//!
//! Native tiers (format, clippy natively and for wasm32, `cargo test`) are independent of
//! each other and all run even when one fails, so one run shows every problem. The
//! end-to-end tiers form a chain (build, fresh state, workers up) that stops at the first
//! failure; once the workers are up, the HTTP tests and then the real-browser tests run
//! against them, and the teardown tier always runs and checks that their ports are free
//! again.
//!
//! The end-to-end workers listen on the dev ports plus `KBC_E2E_PORT_OFFSET` (default
//! 10 000, so a running `cargo xtask dev` never clashes with a test run); a second checkout
//! testing on the same machine sets another offset, for example 20 000.

use crate::fakes::Fakes;
use crate::seed::{self, Plan, Seeded};
use crate::supervise::{self, Fleet, Logs, Spec};
use crate::workers::Worker;
use crate::workspace::{self, Workspace, cargo, run};
use crate::{build, setup, state};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use kbc_e2e::fixtures;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Listings in the end-to-end database (fixtures come on top).
const E2E_BUSINESSES: u32 = 200;
/// Added to the dev ports when `KBC_E2E_PORT_OFFSET` is not set.
const DEFAULT_E2E_PORT_OFFSET: u16 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    /// Format, clippy (native and wasm32) and the native tests.
    Native,
    /// Build the workers and run the end-to-end tests (HTTP, then real browser) against
    /// them in workerd.
    E2e,
}

pub fn run_all(ws: &Workspace, only: Option<Only>, filter: Option<&str>) -> Result<()> {
    let mut report = Report::default();
    let setup = || {
        setup::all(ws)?;
        if only != Some(Only::Native) {
            setup::browser_tools(ws)?;
            setup::conformance_tools(ws)?;
        }
        Ok(())
    };
    if !report.tier("setup", setup) {
        return report.finish();
    }
    if only != Some(Only::E2e) {
        native_tiers(ws, &mut report);
    }
    if only != Some(Only::Native) {
        end_to_end_tiers(ws, &mut report, filter);
    }
    report.finish()
}

fn native_tiers(ws: &Workspace, report: &mut Report) {
    let in_root = |command: &mut std::process::Command| {
        command.current_dir(&ws.root);
        run(command)
    };
    report.tier("format", || {
        in_root(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    report.tier("clippy (native)", || {
        in_root(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    // The worker crates are `#![cfg(target_arch = "wasm32")]`: only this pass lints them.
    report.tier("clippy (wasm32)", || {
        in_root(cargo().args([
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "kbc-domain",
            "-p",
            "kbc-edge",
            "-p",
            "kbc-api",
            "-p",
            "kbc-agent",
            "-p",
            "kbc-analyzer",
            "-p",
            "kbc-facebook",
            "--",
            "-D",
            "warnings",
        ]))
    });
    // The workspace's default members: everything but the end-to-end crate, which needs
    // running workers and has its own tier.
    report.tier("native tests", || in_root(cargo().arg("test")));
}

fn end_to_end_tiers(ws: &Workspace, report: &mut Report, filter: Option<&str>) {
    let state_dir = ws.target_dir().join("e2e-state");
    let log_dir = ws.target_dir().join("e2e-logs");
    let mut specs: Vec<Spec> = Vec::new();
    let mut fakes: Option<Fakes> = None;
    let ready = report.tier("ports", || {
        let offset = e2e_port_offset(std::env::var("KBC_E2E_PORT_OFFSET").ok().as_deref())?;
        specs = e2e_specs(offset)?;
        let started = Fakes::start(offset)?;
        for spec in &mut specs {
            spec.vars = started.vars_for(spec.worker);
        }
        fakes = Some(started);
        Ok(())
    }) && report.tier("build", || build::build(ws, &Worker::ALL).map(drop))
        && report.tier("e2e state", || prepare_state(ws, &state_dir));
    if !ready {
        return;
    }
    let mut fleet: Option<Fleet> = None;
    let up = report.tier("workers up", || {
        fleet = Some(supervise::Fleet::start(
            ws,
            &state_dir,
            &specs,
            &Logs::Files(log_dir.clone()),
        )?);
        Ok(())
    });
    let urls = fakes.as_ref().map(FakeUrls::of).unwrap_or_default();
    if up {
        report.tier("e2e tests", || {
            e2e_tests(ws, &state_dir, &log_dir, &specs, &urls, filter)
                .with_context(|| format!("worker logs are in {}", log_dir.display()))
        });
    }
    // A filtered run is for working on one feature: the other tiers wait for a full run.
    if up && filter.is_none() {
        report.tier("conformance", || {
            conformance(ws, &specs)
                .with_context(|| format!("worker logs are in {}", log_dir.display()))
        });
        report.tier("browser tests", || {
            browser_tests(ws, &specs, &urls)
                .with_context(|| format!("worker logs are in {}", log_dir.display()))
        });
        report.tier("deploy tests", || deploy_tests(ws, &specs));
    }
    report.always("teardown", || {
        if let Some(mut fleet) = fleet.take() {
            fleet.stop()?;
        }
        drop(fakes.take());
        let ports: Vec<u16> = specs.iter().map(|s| s.port).collect();
        supervise::wait_ports_free(&ports, Duration::from_secs(10))
    });
}

/// The end-to-end tiers' port offset, given `KBC_E2E_PORT_OFFSET`.
fn e2e_port_offset(offset: Option<&str>) -> Result<u16> {
    match offset {
        None => Ok(DEFAULT_E2E_PORT_OFFSET),
        Some(text) => text
            .parse::<u16>()
            .with_context(|| format!("KBC_E2E_PORT_OFFSET={text:?} is not a port offset")),
    }
}

/// Where each worker listens in the end-to-end tiers.
fn e2e_specs(offset: u16) -> Result<Vec<Spec>> {
    Worker::ALL
        .iter()
        .map(|&worker| {
            let port = worker.dev_port().checked_add(offset).with_context(|| {
                format!(
                    "KBC_E2E_PORT_OFFSET={offset} puts {} beyond port 65535",
                    worker.name()
                )
            })?;
            Ok(Spec::new(worker, port))
        })
        .collect()
}

/// A fresh migrated database with the fixed-seed listings plus the e2e fixtures.
fn prepare_state(ws: &Workspace, state_dir: &Path) -> Result<()> {
    state::wipe(state_dir)?;
    state::migrate(ws, state_dir)?;
    let now = workspace::unix_now();
    let plan = Plan {
        businesses: E2E_BUSINESSES,
        seed: seed::FIXED_SEED,
    };
    match seed::seed_state(state_dir, &plan, now)? {
        Seeded::Fresh(summary, took) => println!(
            "✓ seeded {} businesses in {}",
            summary.businesses,
            workspace::seconds(took)
        ),
        Seeded::Already(count) => bail!(
            "{} was wiped but already holds {count} businesses",
            state_dir.display()
        ),
    }
    let db = state::open_d1(state_dir)?;
    pollster::block_on(kbc_e2e::fixtures::install(&db, now))
        .context("installing the end-to-end fixtures")?;
    // The photos the fixtures record, so every tier (HTTP, browser) sees them in R2.
    for key in [fixtures::PHOTO_KEY, fixtures::DRAFT_PHOTO_KEY] {
        kbc_e2e::state::put_object(
            &ws.wrangler_dir(),
            state_dir,
            key,
            fixtures::PHOTO_PNG,
            "image/png",
        )
        .map_err(anyhow::Error::msg)?;
    }
    println!("✓ fixtures installed");
    Ok(())
}

/// Where the test processes reach the fakes: `KBC_OIDC_URL` (signing in), `KBC_AI_URL`
/// (scripting the model and reading what it was asked, `/__fake/…`), `KBC_SITES_URL` (the
/// businesses' websites: pointing listings at them, counting what was fetched),
/// `KBC_GRAPH_URL` (Meta's Graph API: connecting Pages, what was published, failures and
/// tokens on demand) and `KBC_RENDERING_URL` (the share cards' screenshots).
#[derive(Debug, Default)]
struct FakeUrls {
    oidc: String,
    ai: String,
    sites: String,
    graph: String,
    rendering: String,
}

impl FakeUrls {
    fn of(fakes: &Fakes) -> Self {
        Self {
            oidc: fakes.oidc.base_url().to_owned(),
            ai: fakes.ai.base_url().to_owned(),
            sites: fakes.sites.base_url().to_owned(),
            graph: fakes.graph.base_url().to_owned(),
            rendering: fakes.rendering.base_url().to_owned(),
        }
    }

    fn apply(&self, command: &mut Command) {
        command
            .env("KBC_OIDC_URL", &self.oidc)
            .env("KBC_AI_URL", &self.ai)
            .env("KBC_SITES_URL", &self.sites)
            .env("KBC_GRAPH_URL", &self.graph)
            .env("KBC_RENDERING_URL", &self.rendering);
    }
}

fn e2e_tests(
    ws: &Workspace,
    state_dir: &Path,
    log_dir: &Path,
    specs: &[Spec],
    fakes: &FakeUrls,
    filter: Option<&str>,
) -> Result<()> {
    let mut command = cargo();
    command
        .args(["test", "-p", "kbc-e2e"])
        .args(filter.into_iter().flat_map(|file| ["--test", file]))
        .args(["--", "--test-threads=4"])
        .current_dir(&ws.root)
        .env("KBC_STATE_DIR", state_dir)
        .env("KBC_LOG_DIR", log_dir)
        .env("KBC_WRANGLER_DIR", ws.wrangler_dir());
    fakes.apply(&mut command);
    with_worker_urls(&mut command, specs);
    run(&mut command)
}

/// `KBC_<WORKER>_URL` for each served worker, as the test crates read them.
fn with_worker_urls(command: &mut std::process::Command, specs: &[Spec]) {
    for spec in specs {
        let variable = format!("KBC_{}_URL", spec.worker.name().to_uppercase());
        command.env(variable, spec.url());
    }
}

/// The deploy orchestration tests (`crates/cf-fake`): this very binary (`KBC_XTASK_BIN`)
/// and the real wrangler against the fake Cloudflare and GitHub APIs, with health probes
/// answered by the workers served here. Each test's sandbox stays in
/// target/deploy-tests/.
fn deploy_tests(ws: &Workspace, specs: &[Spec]) -> Result<()> {
    let xtask = std::env::current_exe().context("locating the xtask binary")?;
    let mut command = cargo();
    command
        .args(["test", "-p", "kbc-cf-fake", "--", "--test-threads=2"])
        .current_dir(&ws.root)
        .env("KBC_XTASK_BIN", xtask);
    with_worker_urls(&mut command, specs);
    run(&mut command)
}

/// Schemathesis against the running api worker and the OpenAPI document it serves
/// (`conformance/schemathesis.toml` says which checks and why).
fn conformance(ws: &Workspace, specs: &[Spec]) -> Result<()> {
    let api = specs
        .iter()
        .find(|spec| spec.worker == Worker::Api)
        .context("the api worker is not among the workers started")?;
    let schemathesis = setup::conformance_tools(ws)?;
    let base = api.url();
    run(Command::new(schemathesis)
        .args(["--config-file", "schemathesis.toml", "run"])
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", &base])
        .current_dir(ws.root.join("conformance"))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONDONTWRITEBYTECODE", "1"))
}

/// The Playwright tests in `browser/` (node's test runner) against the running api worker,
/// in the state the HTTP tests left; screenshots go to target/screenshots/.
fn browser_tests(ws: &Workspace, specs: &[Spec], fakes: &FakeUrls) -> Result<()> {
    let url_of = |worker: Worker| {
        specs
            .iter()
            .find(|spec| spec.worker == worker)
            .map(Spec::url)
            .with_context(|| format!("the {worker} worker is not among the workers started"))
    };
    let screenshots = ws.target_dir().join("screenshots");
    // Only this run's pictures: a page that is gone must not leave an old one behind.
    match std::fs::remove_dir_all(&screenshots) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(err).with_context(|| format!("deleting {}", screenshots.display()));
        }
        _ => {}
    }
    let node_tests = |concurrency: &str, dir: &str| -> Result<Command> {
        let mut command = Command::new("node");
        command
            .args(["--test", concurrency, "--test-reporter=spec"])
            .args(["--test-timeout=120000", dir])
            .current_dir(ws.browser_dir())
            .env("KBC_API_URL", url_of(Worker::Api)?)
            .env("KBC_AGENT_URL", url_of(Worker::Agent)?)
            .env("KBC_CHROMIUM", setup::chromium_path()?)
            .env("KBC_SCREENSHOT_DIR", &screenshots)
            .env("KBC_FIXTURE_PLUMBER_SLUG", fixtures::PLUMBER_SLUG)
            .env("KBC_FIXTURE_HOSTILE_SLUG", fixtures::HOSTILE_SLUG)
            .env("KBC_FIXTURE_HOSTILE_NAME", fixtures::HOSTILE_NAME)
            .env("KBC_FIXTURE_CATEGORY_SLUG", fixtures::TRADES);
        fakes.apply(&mut command);
        Ok(command)
    };
    // The public site's tests, two files at a time: Chromium mostly waits on the worker,
    // and this takes a third off the tier's time on two cores.
    run(&mut node_tests("--test-concurrency=2", "tests/")?)?;
    // Then the app's (sign-in, the console) alone: they write through the agent, and
    // locally the api and the agent are two workerd processes sharing one SQLite file,
    // where a write can make the other process's reads fail for a moment (D1 itself
    // serves both workers as one database).
    run(&mut node_tests("--test-concurrency=1", "app-tests/")?)?;
    println!("✓ screenshots in {}", screenshots.display());
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Interrupted,
}

/// Tier results in the order they ran.
#[derive(Default)]
struct Report {
    tiers: Vec<(&'static str, Outcome, Duration)>,
}

impl Report {
    /// Runs one tier unless Ctrl-C was pressed; returns whether it passed.
    fn tier(&mut self, name: &'static str, work: impl FnOnce() -> Result<()>) -> bool {
        if supervise::interrupted() {
            self.tiers
                .push((name, Outcome::Interrupted, Duration::ZERO));
            return false;
        }
        self.always(name, work)
    }

    /// Runs one tier even after Ctrl-C (cleaning up must happen regardless).
    fn always(&mut self, name: &'static str, work: impl FnOnce() -> Result<()>) -> bool {
        println!("\n━━ {name}");
        let started = Instant::now();
        let outcome = match work() {
            Ok(()) => Outcome::Passed,
            Err(err) => {
                eprintln!("✗ {name}: {err:#}");
                Outcome::Failed
            }
        };
        self.tiers.push((name, outcome, started.elapsed()));
        outcome == Outcome::Passed
    }

    fn finish(self) -> Result<()> {
        println!("\n━━ summary");
        for (name, outcome, took) in &self.tiers {
            let mark = match outcome {
                Outcome::Passed => "✓",
                Outcome::Failed => "✗",
                Outcome::Interrupted => "– interrupted before",
            };
            println!("{mark} {name:<16} {}", workspace::seconds(*took));
        }
        let failed: Vec<&str> = self
            .tiers
            .iter()
            .filter(|(_, outcome, _)| *outcome != Outcome::Passed)
            .map(|(name, _, _)| *name)
            .collect();
        let total: Duration = self.tiers.iter().map(|(_, _, took)| *took).sum();
        println!("total {}", workspace::seconds(total));
        println!(
            "tiers: {} passed, {} failed",
            self.tiers.len() - failed.len(),
            failed.len()
        );
        if !failed.is_empty() {
            bail!("did not pass: {}", failed.join(", "));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(specs: &[Spec]) -> Vec<u16> {
        specs.iter().map(|spec| spec.port).collect()
    }

    #[test]
    fn e2e_workers_listen_ten_thousand_above_the_dev_ports_by_default() {
        assert_eq!(
            ports(&e2e_specs(e2e_port_offset(None).unwrap()).unwrap()),
            [18787, 18788, 18789, 18790]
        );
    }

    #[test]
    fn kbc_e2e_port_offset_moves_the_e2e_workers() {
        let specs = e2e_specs(e2e_port_offset(Some("20000")).unwrap()).unwrap();
        assert_eq!(ports(&specs), [28787, 28788, 28789, 28790]);
    }

    #[test]
    fn an_offset_that_is_not_a_number_is_refused() {
        let err = e2e_port_offset(Some("lots")).unwrap_err();
        assert!(
            format!("{err:#}").contains("KBC_E2E_PORT_OFFSET=\"lots\""),
            "{err:#}"
        );
    }

    #[test]
    fn an_offset_beyond_the_last_port_is_refused() {
        let err = e2e_specs(e2e_port_offset(Some("60000")).unwrap()).unwrap_err();
        assert!(format!("{err:#}").contains("beyond port 65535"), "{err:#}");
    }
}
