//! Deploying to Cloudflare: `deploy` (the guarded production rollout), `rollback`,
//! `status`, `provision`, `preview` (per pull request, and its cleanup) and `config check`.
//!
//! wrangler is the engine that talks to Cloudflare ([`wrangler`] runs it and reads only
//! its machine output); this module is the orchestrator: ordering, checks, backups,
//! health probes, rollback and reporting. It never sees a secret's value: it asks
//! Cloudflare which secret names are set, and nothing more.

mod account;
mod backup;
mod cloud;
pub mod config;
mod github;
mod markdown;
mod migrations;
mod preview;
mod probe;
mod provision;
mod record;
mod rollout;
mod status;
#[cfg(test)]
mod workflows;
mod wrangler;

use crate::runtime;
use crate::workers::Worker;
use crate::workspace::{self, Workspace, capture};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use config::{Configs, Environment};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Only production is deployed by `deploy` and rolled back by `rollback`; previews have
/// their own command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Production {
    Production,
}

/// Where the configs are read from and where records go.
#[derive(Debug, Clone, Args)]
pub struct Place {
    /// Directory with the wrangler configs and deploy.toml (default: wrangler/).
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Where deployment records, database backups and wrangler logs are written
    /// (default: target/deploy/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl Place {
    fn config_dir(&self, ws: &Workspace) -> Result<PathBuf> {
        match &self.config_dir {
            Some(dir) => Workspace::absolute(dir),
            None => Ok(ws.wrangler_dir()),
        }
    }

    fn out(&self, ws: &Workspace) -> Result<PathBuf> {
        match &self.out {
            Some(dir) => Workspace::absolute(dir),
            None => Ok(ws.target_dir().join("deploy")),
        }
    }

    fn configs(&self, ws: &Workspace) -> Result<Configs> {
        Configs::load(&self.config_dir(ws)?)
    }
}

/// Roll out a new version of all four workers to production, gradually, or not at all.
///
/// Preflight (Cloudflare credentials, config check, clean tree, required secrets present,
/// builds within the size budget), then the database (Time Travel bookmark, `d1 export`
/// backup encrypted to deploy.toml's recipients into the private backup bucket, pending
/// migrations; a failed migration stops everything and prints the restore
/// command), then uploads of every worker tagged with the git sha, then --share percent of
/// traffic to the new versions while probes check /health (new sha) and key endpoints for
/// --probe-seconds, then 100% and triggers (crons, domains). Any failed probe rolls every
/// worker back to what it served before. Writes record.json and summary.md (also to
/// $GITHUB_STEP_SUMMARY). Needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[arg(long, value_enum)]
    pub env: Production,
    /// Percent of traffic the new versions get while they are probed.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=99))]
    pub share: u8,
    /// How long to probe the new versions before sending them all traffic.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub probe_seconds: u64,
    /// Seconds between probe rounds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub probe_interval: u64,
    /// Deploy the bundles already in crates/*/build (stamped by `cargo xtask build` with
    /// the commit they were built from) instead of building.
    #[arg(long)]
    pub prebuilt: bool,
    /// Skip the source checks: a clean tree, and prebuilt bundles built from HEAD. The
    /// record says so. For trying the pipeline against a test account, never for CI.
    #[arg(long)]
    pub allow_dirty: bool,
    /// When a migration fails, restore the database to the bookmark taken before it.
    #[arg(long)]
    pub restore_on_failure: bool,
    /// The deployment message (default: the commit's subject).
    #[arg(long)]
    pub message: Option<String>,
    #[command(flatten)]
    pub place: Place,
}

/// Roll all four production workers back together.
///
/// Without --to, each worker goes back to what served all its traffic before the last
/// deploy, also when that deploy stopped mid-split. With --to, to the versions a deployment record says they served
/// before that deployment. Every target is resolved before anything changes.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    #[arg(long, value_enum)]
    pub env: Production,
    /// A deployment record (record.json, or the directory holding it).
    #[arg(long, value_name = "RECORD")]
    pub to: Option<PathBuf>,
    #[command(flatten)]
    pub place: Place,
}

/// Show what each worker of an environment serves now: versions, traffic, git sha.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[arg(long, value_enum)]
    pub env: Environment,
    /// The pull request whose preview to show (with --env preview).
    #[arg(long, value_name = "N")]
    pub pr: Option<u64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub place: Place,
}

/// Create the D1 database, KV namespaces, R2 buckets and queues an environment needs.
///
/// Looks each one up first and creates only what is missing, then records the D1 and KV
/// ids in the [env.ENV] sections of the wrangler configs (commit them). Running it again
/// changes nothing. Previews get their database and cache per pull request from
/// `cargo xtask preview`; provisioning preview creates what they share.
#[derive(Debug, Clone, Args)]
pub struct ProvisionArgs {
    #[arg(long, value_enum)]
    pub env: Environment,
    #[command(flatten)]
    pub place: Place,
}

/// Deploy a pull request's preview (all four workers on its own resources), or remove it.
///
/// `preview --pr N` creates the pull request's own D1 database and KV namespace, applies
/// the migrations to that database only, deploys kbc-<worker>-pr-N on workers.dev
/// without crons, routes or secrets, probes their health, prints the URLs as JSON and
/// creates or updates one comment on the pull request (GITHUB_TOKEN, GITHUB_REPOSITORY).
/// `preview cleanup --pr N` deletes exactly that pull request's workers and resources.
/// Previews live in their own Cloudflare account: CLOUDFLARE_PREVIEW_ACCOUNT_ID and
/// CLOUDFLARE_PREVIEW_API_TOKEN, refused when that is the production CLOUDFLARE_ACCOUNT_ID.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct PreviewArgs {
    #[command(subcommand)]
    pub command: Option<PreviewCommand>,
    /// The pull request number.
    #[arg(long, value_name = "N")]
    pub pr: Option<u64>,
    /// Seconds to wait for the preview to answer /health.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub probe_seconds: u64,
    /// Deploy the bundles already in crates/*/build instead of building.
    #[arg(long)]
    pub prebuilt: bool,
    #[command(flatten)]
    pub place: Place,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PreviewCommand {
    /// Delete a pull request's preview workers, database and cache.
    Cleanup {
        #[arg(long, value_name = "N")]
        pr: u64,
        #[command(flatten)]
        place: Place,
    },
}

/// Production database backups.
#[derive(Debug, Clone, Subcommand)]
pub enum BackupCommand {
    Restore(BackupRestoreArgs),
}

/// Restore a database backup into a fresh local database.
///
/// Takes the encrypted backup a deployment record names (--object, fetched from the
/// production backup bucket: needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID) or a
/// local encrypted file (--file), decrypts it with an age identity file, applies the
/// migrations to a fresh local state directory and imports the rows (their triggers
/// rebuild the search index). Serve the result with `wrangler dev --persist-to DIR`.
#[derive(Debug, Clone, Args)]
pub struct BackupRestoreArgs {
    /// The backup's R2 object, `BUCKET/KEY`, as the deployment record names it.
    #[arg(long, value_name = "BUCKET/KEY", conflicts_with = "file")]
    pub object: Option<String>,
    /// A local age-encrypted backup instead.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The age identity file (AGE-SECRET-KEY-...) of one of the backup's recipients.
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
    /// The fresh state directory to restore into (default: target/restore/<UTC time>).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub place: Place,
}

/// Checks of the deployment configuration.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Prove the wrangler configs and deploy.toml consistent (CI runs this).
    ///
    /// Every worker of an environment binds the same database, KV and R2; service
    /// bindings point at the same environment's workers; preview uses no production
    /// resource and has no crons or routes; production crons equal
    /// kbc_domain::jobs::SCHEDULES; every var or secret the code reads is a var of the
    /// environment, a secret listed in deploy.toml, or optional; no secret is a plain var;
    /// no migration drops or renames a table or column (the version still serving during
    /// a rollout reads them) unless it is a `-- contract: <why>` step removing names the
    /// code no longer mentions; and, when both are set, CLOUDFLARE_PREVIEW_ACCOUNT_ID is not
    /// the production CLOUDFLARE_ACCOUNT_ID.
    Check {
        #[command(flatten)]
        place: Place,
    },
}

pub fn deploy(ws: &Workspace, args: &DeployArgs) -> Result<()> {
    runtime::block_on(rollout::production(ws, args))
}

pub fn rollback(ws: &Workspace, args: &RollbackArgs) -> Result<()> {
    crate::setup::node_tools(ws)?;
    runtime::block_on(rollout::rollback_command(ws, args))
}

pub fn status(ws: &Workspace, args: &StatusArgs) -> Result<()> {
    crate::setup::node_tools(ws)?;
    runtime::block_on(status::run(ws, args))
}

pub fn provision(ws: &Workspace, args: &ProvisionArgs) -> Result<()> {
    crate::setup::node_tools(ws)?;
    runtime::block_on(provision::run(ws, args))
}

pub fn preview(ws: &Workspace, args: &PreviewArgs) -> Result<()> {
    crate::setup::node_tools(ws)?;
    match &args.command {
        Some(PreviewCommand::Cleanup { pr, place }) => {
            runtime::block_on(preview::cleanup(ws, *pr, place))
        }
        None => {
            let pr = args
                .pr
                .context("give the pull request: `cargo xtask preview --pr N`")?;
            runtime::block_on(preview::deploy(ws, pr, args))
        }
    }
}

pub fn backup(ws: &Workspace, command: &BackupCommand) -> Result<()> {
    crate::setup::node_tools(ws)?;
    match command {
        BackupCommand::Restore(args) => runtime::block_on(backup::restore(ws, args)),
    }
}

pub fn config(ws: &Workspace, command: &ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Check { place } => {
            let dir = place.config_dir(ws)?;
            let configs = Configs::load(&dir)?;
            let problems = config_problems(ws, &configs)?;
            for problem in &problems {
                eprintln!("✗ {problem}");
            }
            if !problems.is_empty() {
                bail!(
                    "{} configuration problem(s) in {}",
                    problems.len(),
                    dir.display()
                );
            }
            println!("✓ configs in {} are consistent", dir.display());
            for env in Environment::ALL {
                let missing = configs.unprovisioned(env);
                if !missing.is_empty() {
                    println!(
                        "  {env} is not provisioned yet ({} id(s) missing): `cargo xtask provision --env {env}`",
                        missing.len()
                    );
                }
            }
            Ok(())
        }
    }
}

/// Everything `config check` finds: the configs against each other and the code, and
/// the migrations against the version still serving while they run.
fn config_problems(ws: &Workspace, configs: &Configs) -> Result<Vec<String>> {
    let mut problems = config::check::problems(configs, &config::check::code_reads(&ws.root)?);
    problems.extend(account::accounts_problem());
    let migrations = configs.migrations_dir(Environment::Production)?;
    problems.extend(migrations::check_dir(
        &migrations,
        &migrations::code_words(&ws.root)?,
    )?);
    Ok(problems)
}

/// The commit being deployed: its sha, subject, and the files that are not committed.
#[derive(Debug, Clone)]
struct Source {
    sha: String,
    subject: String,
    uncommitted: Vec<String>,
}

impl Source {
    fn read(root: &Path) -> Result<Self> {
        let git = |args: &[&str]| capture(Command::new("git").args(args).current_dir(root));
        let sha = git(&["rev-parse", "HEAD"]).context("deploying needs a git checkout")?;
        let subject = git(&["log", "-1", "--format=%s"])?;
        let uncommitted = git(&["status", "--porcelain"])?
            .lines()
            .map(|l| l.get(3..).unwrap_or(l).to_owned())
            .collect();
        Ok(Self {
            sha: sha.trim().to_owned(),
            subject: subject.trim().to_owned(),
            uncommitted,
        })
    }

    /// Fails unless every file is committed.
    fn require_clean(&self) -> Result<()> {
        if !self.uncommitted.is_empty() {
            let shown: Vec<&str> = self
                .uncommitted
                .iter()
                .take(10)
                .map(String::as_str)
                .collect();
            bail!(
                "the working tree has uncommitted changes ({}{}); commit or stash them, deploys ship commits only",
                shown.join(", "),
                if self.uncommitted.len() > 10 {
                    ", ..."
                } else {
                    ""
                }
            );
        }
        Ok(())
    }
}

/// Runs `work` for every worker at once (each call is mostly a wrangler process waiting
/// on the API) and returns the results in the order given. A Ctrl-C stops the calls in
/// flight (see [`wrangler`]), which then end as failures.
async fn each<T>(workers: &[Worker], work: impl AsyncFn(Worker) -> T) -> Vec<(Worker, T)> {
    let work = &work;
    futures_util::future::join_all(
        workers
            .iter()
            .map(|&worker| async move { (worker, work(worker).await) }),
    )
    .await
}

/// The bundle wrangler uploads for `worker`: the directory of the config's `main`.
fn bundle_dir(configs: &Configs, worker: Worker) -> Result<PathBuf> {
    let config = configs.worker(worker);
    let main = config
        .table
        .get("main")
        .and_then(toml::Value::as_str)
        .with_context(|| format!("{} has no main", config.path.display()))?;
    Ok(configs
        .dir
        .join(main)
        .parent()
        .context("main has no directory")?
        .to_path_buf())
}

/// A directory for one command's artifacts: `<out>/<what>/<UTC time>-<label>/`.
fn run_dir(out: &Path, what: &str, label: &str) -> Result<PathBuf> {
    let dir = out
        .join(what)
        .join(format!("{}-{label}", utc_stamp(workspace::unix_now())));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// `20260101T120000Z` for unix seconds (UTC).
fn utc_stamp(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}{:02}{:02}Z",
        workspace::utc_date(unix).replace('-', ""),
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        crate::workspace::run(
            Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(dir),
        )
        .unwrap();
    }

    #[test]
    fn a_deploy_source_with_uncommitted_changes_is_refused_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("a.txt"), "one").unwrap();
        git(dir.path(), &["add", "a.txt"]);
        git(dir.path(), &["commit", "-q", "-m", "first"]);
        Source::read(dir.path()).unwrap().require_clean().unwrap();

        std::fs::write(dir.path().join("a.txt"), "two").unwrap();
        let source = Source::read(dir.path()).unwrap();

        let err = source.require_clean().unwrap_err().to_string();
        assert!(err.contains("a.txt"), "{err}");
        assert_eq!(source.subject, "first");
        assert_eq!(source.sha.len(), 40);
    }

    #[test]
    fn utc_stamps_name_the_calendar_time() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(1_767_225_600 + 3_723), "20260101T010203Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
    }
}
