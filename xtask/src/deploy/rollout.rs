//! `cargo xtask deploy --env production` and `cargo xtask rollback`: the guarded
//! production rollout (preflight → database → uploads → gradual traffic under probes →
//! 100% and triggers) and rolling every worker back together. Each phase is timed and
//! written to the deployment record, whatever way the rollout ends.

use super::account::Account;
use super::backup;
use super::cloud::{self, Split, Target, short};
use super::config::{Configs, DATABASE_BINDING, Environment};
use super::probe;
use super::record::{DatabaseRecord, ProbeRecord, Record, RollbackStep, Timing, WorkerRecord};
use super::wrangler::Wrangler;
use super::{DeployArgs, RollbackArgs, Source, bundle_dir, each, run_dir};
use crate::build;
use crate::supervise;
use crate::workers::Worker;
use crate::workspace::{self, Workspace};
use anyhow::{Context, Result, bail};
use kbc_domain::cache::{GENERATION_KEY, GENERATION_TTL_SECONDS};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const ENV: Environment = Environment::Production;
/// The api's KV binding holding cached public answers and the edge copy of the generation.
const CACHE_BINDING: &str = "CACHE";

struct Rollout<'a> {
    ws: &'a Workspace,
    args: &'a DeployArgs,
    configs: Configs,
    wrangler: Wrangler<'a>,
    dir: PathBuf,
    record: Record,
    /// Workers whose traffic this rollout changed, in the order it changed them.
    changed: Vec<Worker>,
}

pub async fn production(ws: &Workspace, args: &DeployArgs) -> Result<()> {
    if args.prebuilt {
        crate::setup::node_tools(ws)?;
    } else {
        crate::setup::all(ws)?;
    }
    let account = Account::of(ENV)?;
    let configs = args.place.configs(ws)?;
    let source = Source::read(&ws.root)?;
    let label = short(&source.sha).to_owned();
    let dir = run_dir(&args.place.out(ws)?, ENV.name(), &label)?;
    let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;
    let record = Record {
        environment: ENV.name().into(),
        status: "running".into(),
        failure: None,
        git_sha: source.sha.clone(),
        message: args
            .message
            .clone()
            .unwrap_or_else(|| source.subject.clone()),
        source_checks: !args.allow_dirty,
        started_at: workspace::unix_now(),
        workers: Vec::new(),
        database: None,
        probes: Vec::new(),
        timings: Vec::new(),
        rollback: None,
        warnings: Vec::new(),
    };
    let mut rollout = Rollout {
        ws,
        args,
        configs,
        wrangler,
        dir,
        record,
        changed: Vec::new(),
    };
    let started = Instant::now();
    let result = rollout.run(&source).await;
    rollout.record.timings.push(Timing {
        phase: "total".into(),
        seconds: started.elapsed().as_secs_f64(),
    });
    match &result {
        Ok(()) => rollout.record.status = "succeeded".into(),
        Err(err) => {
            rollout.record.failure = Some(format!("{err:#}"));
            if rollout.record.status == "running" {
                rollout.record.status = "failed".into();
            }
        }
    }
    let path = rollout.record.write(&rollout.dir)?;
    println!("… deployment record: {}", path.display());
    result
}

impl Rollout<'_> {
    fn target(&self, worker: Worker) -> Target {
        Target {
            config: self.configs.worker(worker).path.clone(),
            env: Some(ENV.name().into()),
        }
    }

    async fn timed<T>(
        &mut self,
        phase: &str,
        work: impl AsyncFnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        // An interruption stops the rollout between phases; once traffic has moved, it
        // also puts every worker back.
        if let Err(err) = supervise::check_interrupted() {
            let err = err.context(format!("stopped before {phase}"));
            return Err(if self.changed.is_empty() {
                err
            } else {
                self.roll_back(err).await
            });
        }
        println!("\n━━ {phase}");
        let started = Instant::now();
        let result = work(self).await;
        self.record.timings.push(Timing {
            phase: phase.into(),
            seconds: started.elapsed().as_secs_f64(),
        });
        result
    }

    async fn run(&mut self, source: &Source) -> Result<()> {
        let levels = self
            .timed("preflight", async |r| r.preflight(source).await)
            .await?;
        let order = levels.concat();
        self.timed("database", async |r| r.database().await).await?;
        let uploaded = self
            .timed("upload", async |r| r.upload(&levels).await)
            .await?;
        let share = f64::from(self.args.share);
        self.timed("gradual", async |r| r.shift(&order, &uploaded, share).await)
            .await?;
        let window = Duration::from_secs(self.args.probe_seconds);
        self.timed("probe", async |r| {
            r.probe("gradual", &order, &uploaded, Some(window)).await
        })
        .await?;
        self.timed("full", async |r| r.shift(&order, &uploaded, 100.0).await)
            .await?;
        self.timed("probe at 100%", async |r| {
            r.probe("full", &order, &uploaded, None).await
        })
        .await?;
        self.timed("triggers", async |r| {
            let this = &*r;
            let results = each(&order, async |worker| {
                cloud::triggers(&this.wrangler, &this.target(worker)).await
            })
            .await;
            if let Some(err) = failures(results, "applying the crons and domains of") {
                return Err(r.roll_back(err).await);
            }
            println!("✓ crons and domains applied");
            Ok(())
        })
        .await?;
        for w in &mut self.record.workers {
            w.after = w.uploaded_version.as_deref().map(Split::only);
        }
        println!(
            "\n✓ production serves {} on all four workers",
            short(&source.sha)
        );
        Ok(())
    }

    /// Everything checked before anything changes; returns the upload levels.
    async fn preflight(&mut self, source: &Source) -> Result<Vec<Vec<Worker>>> {
        let problems = super::config_problems(self.ws, &self.configs)?;
        if !problems.is_empty() {
            bail!("config check failed:\n  {}", problems.join("\n  "));
        }
        let missing = self.configs.unprovisioned(ENV);
        if !missing.is_empty() {
            bail!(
                "production is not provisioned ({}); run `cargo xtask provision --env production` and commit the ids",
                missing.join("; ")
            );
        }
        println!("✓ configs consistent, production provisioned");
        if !self.args.allow_dirty {
            source.require_clean()?;
            println!("✓ clean tree at {}", short(&source.sha));
        }
        let levels = self.configs.dependency_levels(ENV)?;
        let order = levels.concat();
        let this = &*self;
        let checks = each(&order, async |worker| -> Result<_> {
            let target = this.target(worker);
            let present = cloud::secret_names(&this.wrangler, &target)
                .await?
                .unwrap_or_default();
            let before = cloud::serving(&this.wrangler, &target).await?;
            Ok((present, before))
        })
        .await;
        for (worker, check) in checks {
            let (present, before) =
                check.with_context(|| format!("reading {worker}'s secrets and deployment"))?;
            let needed = self
                .configs
                .manifest
                .secrets
                .get(&(ENV, worker))
                .cloned()
                .unwrap_or_default();
            let absent: Vec<&str> = needed
                .iter()
                .filter(|n| !present.contains(*n))
                .map(String::as_str)
                .collect();
            if !absent.is_empty() {
                let script = self.configs.worker(worker).script_name(ENV);
                bail!(
                    "{worker} ({script}) lacks the secret(s) {}; \
                     set each with `wrangler secret put NAME --env production -c wrangler/{worker}.toml`",
                    absent.join(", ")
                );
            }
            println!(
                "  {worker} serves {}",
                before
                    .as_ref()
                    .map_or("nothing yet".into(), Split::describe)
            );
            self.record.workers.push(WorkerRecord {
                worker: worker.name().into(),
                script: self.configs.worker(worker).script_name(ENV),
                before,
                uploaded_version: None,
                after: None,
            });
        }
        println!("✓ required secrets present");
        self.bundles(source)?;
        Ok(levels)
    }

    /// Builds the four workers (or takes the prebuilt ones), and checks that every bundle
    /// carries the sha being deployed and fits the size budget.
    fn bundles(&mut self, source: &Source) -> Result<()> {
        if !self.args.prebuilt {
            build::build(self.ws, &Worker::ALL)?;
        }
        let mut stamps = BTreeMap::new();
        for worker in Worker::ALL {
            let dir = bundle_dir(&self.configs, worker)?;
            let stamp =
                std::fs::read_to_string(dir.join(build::STAMP_FILE)).with_context(|| {
                    format!(
                        "{} has no build stamp; run `cargo xtask build`",
                        dir.display()
                    )
                })?;
            stamps.insert(worker, stamp.trim().to_owned());
            let bundle = build::measure_dir(worker, &dir, Duration::ZERO)?;
            if bundle.total_gzip > build::GZIP_BUDGET {
                bail!(
                    "{worker} is {} gzipped, over the {} budget",
                    build::human(bundle.total_gzip),
                    build::human(build::GZIP_BUDGET)
                );
            }
        }
        let shas: std::collections::BTreeSet<&String> = stamps.values().collect();
        if shas.len() != 1 {
            bail!(
                "the bundles were built from different commits: {stamps:?}; rebuild them together"
            );
        }
        let built = (*shas.iter().next().expect("four stamps")).clone();
        if !self.args.allow_dirty && built != source.sha {
            bail!(
                "the bundles were built from {built}, but the checkout is {}; rebuild (drop --prebuilt)",
                source.sha
            );
        }
        // Tags, probes and the record name what the bundles really contain.
        self.record.git_sha = built;
        println!(
            "✓ bundles of {} within the size budget",
            short(&self.record.git_sha)
        );
        Ok(())
    }

    async fn database(&mut self) -> Result<()> {
        let t = self.target(Worker::Api);
        let db = self.configs.database(ENV)?;
        let bookmark = cloud::bookmark(&self.wrangler, &t, DATABASE_BINDING).await?;
        let restore_args = cloud::restore_args(&t, DATABASE_BINDING, &bookmark);
        let mut record = DatabaseRecord {
            name: db.database_name.clone(),
            id: db.database_id.clone().unwrap_or_default(),
            bookmark: bookmark.clone(),
            backup: None,
            backup_tables: Vec::new(),
            migrations_before: Vec::new(),
            migrations_applied: Vec::new(),
            restore_command: cloud::command_line(&restore_args),
            restored: false,
        };
        println!("✓ Time Travel bookmark {bookmark}");
        let tables = cloud::exportable_tables(&self.wrangler, &t, DATABASE_BINDING).await?;
        if !tables.is_empty() {
            let policy = self
                .configs
                .manifest
                .backup
                .as_ref()
                .context("deploy.toml has no [backup]")?;
            let name = format!(
                "{}-{}-{}",
                db.database_name,
                super::utc_stamp(self.record.started_at),
                short(&self.record.git_sha)
            );
            let object = backup::take(
                &self.wrangler,
                &t,
                DATABASE_BINDING,
                &tables,
                policy,
                (&self.dir, &name),
            )
            .await?;
            println!(
                "✓ backup of {} tables, encrypted, in R2 {object}",
                tables.len()
            );
            record.backup = Some(object);
            record.backup_tables = tables;
        } else {
            println!("✓ the database is empty: nothing to back up");
        }
        record.migrations_before =
            cloud::applied_migrations(&self.wrangler, &t, DATABASE_BINDING).await?;
        let pending = pending_migrations(&self.configs, &record.migrations_before)?;
        self.record.database = Some(record);
        if pending.is_empty() {
            println!("✓ no pending migrations");
            return Ok(());
        }
        println!("… applying {}", pending.join(", "));
        if let Err(err) = cloud::migrate(&self.wrangler, &t, DATABASE_BINDING).await {
            let command = cloud::command_line(&restore_args);
            eprintln!("✗ a migration failed; nothing was deployed.");
            if self.args.restore_on_failure {
                // The migration's error stays the headline; a failed restore is added to it.
                if let Err(restore) =
                    cloud::restore(&self.wrangler, &t, DATABASE_BINDING, &bookmark).await
                {
                    return Err(err.context(format!(
                        "migrations failed, and restoring the bookmark failed too ({restore:#}); \
                         restore by hand with: {command}"
                    )));
                }
                if let Some(db) = &mut self.record.database {
                    db.restored = true;
                }
                eprintln!("✓ database restored to bookmark {bookmark}");
                self.drop_edge_generation().await;
            } else {
                eprintln!("  To restore the database as it was before: {command}");
            }
            return Err(err.context(format!("migrations failed (restore with: {command})")));
        }
        let after = cloud::applied_migrations(&self.wrangler, &t, DATABASE_BINDING).await?;
        let before = &self
            .record
            .database
            .as_ref()
            .expect("set above")
            .migrations_before;
        let applied: Vec<String> = after
            .iter()
            .filter(|m| !before.contains(m))
            .cloned()
            .collect();
        if let Some(missing) = pending.iter().find(|p| !applied.contains(p)) {
            bail!("wrangler reported success but {missing} is not in d1_migrations");
        }
        println!("✓ applied {}", applied.join(", "));
        if let Some(db) = &mut self.record.database {
            db.migrations_applied = applied;
        }
        self.drop_edge_generation().await;
        Ok(())
    }

    /// Deletes the api's edge copy of the cache generation after the database changed under
    /// it (migrations, a restore), so the workers re-read the generation from D1 instead of
    /// serving answers cached for the old data. Failing is only a warning: the copy expires
    /// by itself within a minute.
    async fn drop_edge_generation(&mut self) {
        let dropped = cloud::kv_key_delete(
            &self.wrangler,
            &self.target(Worker::Api),
            CACHE_BINDING,
            GENERATION_KEY,
        )
        .await;
        match dropped {
            Ok(()) => println!("✓ edge copy of the cache generation dropped ({GENERATION_KEY})"),
            Err(err) => {
                let warning = format!(
                    "could not drop {GENERATION_KEY} from the api's {CACHE_BINDING} namespace \
                     (cached answers may show the old data for up to \
                     {GENERATION_TTL_SECONDS} s): {err:#}"
                );
                eprintln!("⚠ {warning}");
                self.record.warnings.push(warning);
            }
        }
    }

    /// Uploads every worker, a dependency level at a time (the workers of a level at once).
    async fn upload(&mut self, levels: &[Vec<Worker>]) -> Result<BTreeMap<Worker, String>> {
        let mut uploaded = BTreeMap::new();
        let message = self.record.message.clone();
        let sha = self.record.git_sha.clone();
        for level in levels {
            let this = &*self;
            let results = each(level, async |worker| {
                cloud::upload(&this.wrangler, &this.target(worker), &sha, &message).await
            })
            .await;
            for (worker, result) in results {
                let version = result.with_context(|| format!("uploading {worker}"))?;
                println!(
                    "✓ {worker}: version {} uploaded (tag {})",
                    short(&version),
                    short(&sha)
                );
                self.worker_record(worker).uploaded_version = Some(version.clone());
                uploaded.insert(worker, version);
            }
        }
        Ok(uploaded)
    }

    /// Sends `share` percent of each worker's traffic to its new version (the rest stays
    /// on the version that served most of it before).
    async fn shift(
        &mut self,
        order: &[Worker],
        uploaded: &BTreeMap<Worker, String>,
        share: f64,
    ) -> Result<()> {
        let message = format!("{} ({share}%)", self.record.message);
        let mut splits = BTreeMap::new();
        for &worker in order {
            let new = &uploaded[&worker];
            let before = self.worker_record(worker).before.clone();
            let split = match before.as_ref().and_then(Split::main) {
                Some(old) if share < 100.0 && old != new => Split {
                    versions: vec![
                        cloud::Share {
                            version_id: new.clone(),
                            percentage: share,
                        },
                        cloud::Share {
                            version_id: old.to_owned(),
                            percentage: 100.0 - share,
                        },
                    ],
                },
                _ => Split::only(new),
            };
            splits.insert(worker, split);
            if !self.changed.contains(&worker) {
                self.changed.push(worker);
            }
        }
        let this = &*self;
        let results = each(order, async |worker| {
            cloud::deploy_split(
                &this.wrangler,
                &this.target(worker),
                &splits[&worker],
                &message,
            )
            .await
        })
        .await;
        // What each worker serves now, so a rollback that cannot undo it records the truth.
        for (worker, result) in &results {
            if result.is_ok() {
                self.worker_record(*worker).after = Some(splits[worker].clone());
            }
        }
        if let Some(err) = failures(results, "deploying") {
            return Err(self.roll_back(err).await);
        }
        for &worker in order {
            println!("✓ {worker} serves {}", splits[&worker].describe());
        }
        Ok(())
    }

    /// Probes every worker; while traffic is split, both of its versions, each pinned (the
    /// old one runs on the new schema now). On failure rolls everything back.
    async fn probe(
        &mut self,
        phase: &str,
        order: &[Worker],
        uploaded: &BTreeMap<Worker, String>,
        window: Option<Duration>,
    ) -> Result<()> {
        let mut targets = Vec::new();
        for &worker in order {
            let base_url = self
                .configs
                .manifest
                .probe_urls
                .get(&(ENV, worker))
                .cloned()
                .with_context(|| format!("deploy.toml has no production.probe_urls.{worker}"))?;
            let script = self.configs.worker(worker).script_name(ENV);
            let new = &uploaded[&worker];
            targets.push(probe::Target {
                worker,
                script: script.clone(),
                base_url: base_url.clone(),
                version_id: window.map(|_| new.clone()),
                expected_sha: Some(self.record.git_sha.clone()),
            });
            let before = self.worker_record(worker).before.clone();
            if let Some(old) = before
                .as_ref()
                .and_then(Split::main)
                .filter(|old| old != new)
                && window.is_some()
            {
                targets.push(probe::Target {
                    worker,
                    script,
                    base_url,
                    version_id: Some(old.to_owned()),
                    expected_sha: None,
                });
            }
        }
        let interval = Duration::from_secs(self.args.probe_interval);
        // Traffic is already split when the probes run: whatever stops them (a cancelled
        // job, Ctrl-C) must not leave production half on an unproven version.
        let report = match probe::rounds(
            &targets,
            window.unwrap_or(Duration::ZERO),
            interval,
            probe::Until::Failure,
        )
        .await
        {
            Ok(report) => report,
            Err(err) => return Err(self.roll_back(err.context("probing stopped")).await),
        };
        self.record.probes.push(ProbeRecord::new(phase, &report));
        match &report.failure {
            None => {
                println!(
                    "✓ {} probe round(s) over {:.1} s: all {} checks passed",
                    report.rounds,
                    report.seconds,
                    report.checks.len()
                );
                Ok(())
            }
            Some(failure) => Err(self
                .roll_back(anyhow::anyhow!("health probe failed: {failure}"))
                .await),
        }
    }

    /// Puts every worker this rollout touched back on what it served before; returns the
    /// original error, with the rollback's own failures added.
    async fn roll_back(&mut self, cause: anyhow::Error) -> anyhow::Error {
        eprintln!("✗ {cause:#}\n… rolling every worker back");
        // A rollback runs to its end: a second Ctrl-C must not leave workers half way.
        self.wrangler.finish_despite_interrupts();
        let changed = self.changed.clone();
        let this = &*self;
        let results = each(&changed, async |worker| {
            let before = this
                .record
                .workers
                .iter()
                .find(|w| w.worker == worker.name())
                .and_then(|w| w.before.clone());
            let outcome = match &before {
                Some(split) => Some(
                    cloud::deploy_split(&this.wrangler, &this.target(worker), split, "rollback")
                        .await,
                ),
                None => None,
            };
            (before, outcome)
        })
        .await;
        let mut steps = Vec::new();
        let mut failures = Vec::new();
        let mut stranded = Vec::new();
        for (worker, (before, outcome)) in results {
            let outcome = match (&before, outcome) {
                (Some(split), Some(Ok(()))) => {
                    self.worker_record(worker).after = Some(split.clone());
                    format!("back on {}", split.describe())
                }
                (_, Some(Err(err))) => {
                    failures.push(format!("{worker}: {err:#}"));
                    format!("FAILED: {err:#}")
                }
                // A first deployment has nothing to go back to: the new version keeps
                // serving, and the record must not claim otherwise.
                _ => {
                    stranded.push(worker.name());
                    "never deployed before: it keeps serving the new version".to_owned()
                }
            };
            println!("  {worker}: {outcome}");
            steps.push(RollbackStep {
                worker: worker.name().into(),
                to: before,
                outcome,
            });
        }
        self.record.rollback = Some(steps);
        if !failures.is_empty() {
            self.record.status = "rollback-incomplete".into();
            cause.context(format!("ROLLBACK INCOMPLETE: {}", failures.join("; ")))
        } else if !stranded.is_empty() {
            self.record.status = "rollback-incomplete".into();
            cause.context(format!(
                "ROLLBACK INCOMPLETE: {} had no earlier version and still serve(s) the new one",
                stranded.join(", ")
            ))
        } else {
            self.record.status = "rolled-back".into();
            cause.context("rolled every worker back")
        }
    }

    fn worker_record(&mut self, worker: Worker) -> &mut WorkerRecord {
        self.record
            .workers
            .iter_mut()
            .find(|w| w.worker == worker.name())
            .expect("preflight records every worker")
    }
}

/// The first failure among per-worker results, with every other failure named too.
fn failures(results: Vec<(Worker, Result<()>)>, doing: &str) -> Option<anyhow::Error> {
    let mut errors: Vec<(Worker, anyhow::Error)> = results
        .into_iter()
        .filter_map(|(worker, result)| result.err().map(|err| (worker, err)))
        .collect();
    if errors.is_empty() {
        return None;
    }
    let others: Vec<String> = errors[1..]
        .iter()
        .map(|(worker, err)| format!("{worker}: {err:#}"))
        .collect();
    let (worker, first) = errors.remove(0);
    let mut err = first.context(format!("{doing} {worker}"));
    if !others.is_empty() {
        err = err.context(format!("also failed: {}", others.join("; ")));
    }
    Some(err)
}

/// Migration files not yet recorded in `d1_migrations`, in order.
fn pending_migrations(configs: &Configs, applied: &[String]) -> Result<Vec<String>> {
    let dir = configs.migrations_dir(ENV)?;
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    files.sort();
    Ok(files.into_iter().filter(|f| !applied.contains(f)).collect())
}

/// `cargo xtask rollback --env production [--to RECORD]`.
pub async fn rollback_command(ws: &Workspace, args: &RollbackArgs) -> Result<()> {
    let account = Account::of(ENV)?;
    let configs = args.place.configs(ws)?;
    let dir = run_dir(&args.place.out(ws)?, "rollback", ENV.name())?;
    let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;
    let record = args.to.as_deref().map(Record::read).transpose()?;
    let target = |worker: Worker| Target {
        config: configs.worker(worker).path.clone(),
        env: Some(ENV.name().into()),
    };
    // Resolve every worker's destination first: all four go back, or none does.
    let resolved = each(&Worker::ALL, async |worker| match &record {
        Some(record) => record_target(record, worker),
        None => previous_deployment(&wrangler, &target(worker))
            .await
            .with_context(|| format!("finding {worker}'s previous deployment")),
    })
    .await;
    let mut plan = BTreeMap::new();
    for (worker, split) in resolved {
        plan.insert(worker, split?);
    }
    // Every destination is known: from here the rollback runs to its end, Ctrl-C or not.
    wrangler.finish_despite_interrupts();
    let results = each(&Worker::ALL, async |worker| {
        cloud::deploy_split(&wrangler, &target(worker), &plan[&worker], "rollback").await
    })
    .await;
    let mut failed = Vec::new();
    for (worker, result) in results {
        match result {
            Ok(()) => println!("✓ {worker} serves {}", plan[&worker].describe()),
            Err(err) => {
                eprintln!("✗ {worker}: {err:#}");
                failed.push(worker.name());
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "could not roll back: {} (logs in {})",
            failed.join(", "),
            dir.display()
        );
    }
    println!("✓ all four workers rolled back");
    Ok(())
}

fn record_target(record: &Record, worker: Worker) -> Result<Split> {
    let entry = record
        .workers
        .iter()
        .find(|w| w.worker == worker.name())
        .with_context(|| format!("the record has no entry for {worker}"))?;
    entry.before.clone().with_context(|| {
        format!(
            "{worker} had never been deployed before that record; there is nothing to go back to"
        )
    })
}

/// What served all of the worker's traffic before its last deploy began, whether that
/// deploy finished or stopped mid-split.
async fn previous_deployment(w: &Wrangler<'_>, t: &Target) -> Result<Split> {
    pre_deploy_split(&cloud::deployments(w, t).await?)
}

/// In a deployment history (oldest first): the newest deployment of one version at 100%
/// that does not serve the version the last deploy brought in — the version of the
/// current deployment that appeared last.
fn pre_deploy_split(history: &[Split]) -> Result<Split> {
    let current = history
        .last()
        .context("the worker has never been deployed")?;
    let first_seen = |version: &str| {
        history
            .iter()
            .position(|d| d.versions.iter().any(|s| s.version_id == version))
    };
    let newest = current
        .versions
        .iter()
        .max_by_key(|s| first_seen(&s.version_id))
        .map(|s| s.version_id.as_str())
        .context("the current deployment serves no version")?;
    history
        .iter()
        .rev()
        .find(|d| {
            matches!(d.versions.as_slice(), [only] if only.percentage == 100.0 && only.version_id != newest)
        })
        .cloned()
        .context("no earlier deployment served one version at 100%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::cloud::Share;

    fn split(shares: &[(&str, f64)]) -> Split {
        Split {
            versions: shares
                .iter()
                .map(|(id, percentage)| Share {
                    version_id: (*id).to_owned(),
                    percentage: *percentage,
                })
                .collect(),
        }
    }

    #[test]
    fn after_a_finished_deploy_the_version_before_it_is_restored() {
        let history = [
            split(&[("a", 100.0)]),
            split(&[("b", 10.0), ("a", 90.0)]),
            split(&[("b", 100.0)]),
        ];

        assert_eq!(pre_deploy_split(&history).unwrap(), split(&[("a", 100.0)]));
    }

    #[test]
    fn after_a_deploy_stopped_mid_split_the_version_before_it_is_restored() {
        let history = [
            split(&[("old", 100.0)]),
            split(&[("a", 100.0)]),
            split(&[("b", 10.0), ("a", 90.0)]),
        ];

        assert_eq!(pre_deploy_split(&history).unwrap(), split(&[("a", 100.0)]));
    }

    #[test]
    fn a_worker_deployed_once_has_nothing_to_go_back_to() {
        let err = pre_deploy_split(&[split(&[("a", 100.0)])]).unwrap_err();

        assert!(err.to_string().contains("no earlier deployment"), "{err}");
    }
}
