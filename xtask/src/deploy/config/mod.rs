//! The deployment configuration as one model: the four wrangler configs (their
//! `[env.preview]` and `[env.production]` sections) and the deploy manifest
//! (`wrangler/deploy.toml`: probe URLs, which secret each worker needs in which
//! environment, the backup policy), read-only, with what follows from them (the database
//! of an environment, upload order from service bindings, what is not provisioned yet).
//! [`check`] proves them consistent (`cargo xtask config check`); [`edit`] records
//! provisioned ids in the files in place.
//!
//! wrangler does not inherit bindings, vars or triggers into an environment except
//! `triggers`, which it does inherit: so every environment section here spells out all
//! of them, and the checks hold it to that.

use crate::workers::Worker;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

pub mod check;
pub mod edit;

/// A deployment environment (the top level of each config is the local one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Environment {
    Production,
    Preview,
}

impl Environment {
    pub const ALL: [Environment; 2] = [Self::Production, Self::Preview];

    pub fn name(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Preview => "preview",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The binding every worker reads the directory database through.
pub const DATABASE_BINDING: &str = "DB";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1Binding {
    pub binding: String,
    pub database_name: String,
    /// `None` until `cargo xtask provision` recorded it.
    pub database_id: Option<String>,
    pub migrations_dir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvBinding {
    pub binding: String,
    pub id: Option<String>,
}

impl KvBinding {
    /// KV namespaces have no name in wrangler configs; ours are titled by binding and
    /// environment (`kbc-cache-production`), which is how provisioning finds them.
    pub fn title(&self, scope: &str) -> String {
        format!("kbc-{}-{scope}", self.binding.to_ascii_lowercase())
    }
}

/// One worker's wrangler config.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub worker: Worker,
    pub path: PathBuf,
    pub table: Table,
}

impl WorkerConfig {
    fn env(&self, env: Environment) -> Option<&Table> {
        self.table
            .get("env")
            .and_then(Value::as_table)
            .and_then(|envs| envs.get(env.name()))
            .and_then(Value::as_table)
    }

    fn section(&self, env: Option<Environment>) -> Option<&Table> {
        match env {
            Some(env) => self.env(env),
            None => Some(&self.table),
        }
    }

    /// The Worker's name on Cloudflare in `env` (wrangler's rule: the environment's
    /// `name`, else `<name>-<env>`).
    pub fn script_name(&self, env: Environment) -> String {
        let top = self
            .table
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.env(env)
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            .map_or_else(|| format!("{top}-{env}"), str::to_owned)
    }

    fn array(&self, env: Option<Environment>, key: &str) -> Vec<&Table> {
        self.section(env)
            .and_then(|t| t.get(key))
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_table).collect())
            .unwrap_or_default()
    }

    pub fn d1(&self, env: Option<Environment>) -> Vec<D1Binding> {
        self.array(env, "d1_databases")
            .into_iter()
            .map(|t| D1Binding {
                binding: text(t, "binding"),
                database_name: text(t, "database_name"),
                database_id: t
                    .get("database_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                migrations_dir: t
                    .get("migrations_dir")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
            .collect()
    }

    pub fn kv(&self, env: Option<Environment>) -> Vec<KvBinding> {
        self.array(env, "kv_namespaces")
            .into_iter()
            .map(|t| KvBinding {
                binding: text(t, "binding"),
                id: t.get("id").and_then(Value::as_str).map(str::to_owned),
            })
            .collect()
    }

    /// `(binding, bucket name)`.
    pub fn r2(&self, env: Option<Environment>) -> Vec<(String, String)> {
        self.array(env, "r2_buckets")
            .into_iter()
            .map(|t| (text(t, "binding"), text(t, "bucket_name")))
            .collect()
    }

    /// Queue names this worker produces to or consumes from, and the dead-letter queues its
    /// consumers send what keeps failing to (provisioning creates those too).
    pub fn queues(&self, env: Option<Environment>) -> BTreeSet<String> {
        let Some(queues) = self
            .section(env)
            .and_then(|t| t.get("queues"))
            .and_then(Value::as_table)
        else {
            return BTreeSet::new();
        };
        ["producers", "consumers"]
            .iter()
            .filter_map(|kind| queues.get(*kind).and_then(Value::as_array))
            .flatten()
            .flat_map(|q| {
                ["queue", "dead_letter_queue"]
                    .into_iter()
                    .filter_map(|key| q.get(key).and_then(Value::as_str).map(str::to_owned))
            })
            .collect()
    }

    /// `(binding, target Worker name)`.
    pub fn services(&self, env: Option<Environment>) -> Vec<(String, String)> {
        self.array(env, "services")
            .into_iter()
            .map(|t| (text(t, "binding"), text(t, "service")))
            .collect()
    }

    /// The cron triggers this section declares itself (`None`: it declares none, and an
    /// environment then inherits the top level's).
    pub fn own_crons(&self, env: Option<Environment>) -> Option<Vec<String>> {
        self.section(env)
            .and_then(|t| t.get("triggers"))
            .and_then(Value::as_table)
            .and_then(|t| t.get("crons"))
            .and_then(Value::as_array)
            .map(|crons| {
                crons
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
    }

    /// The crons wrangler deploys for `env`, inheritance included.
    pub fn effective_crons(&self, env: Environment) -> Vec<String> {
        self.own_crons(Some(env))
            .or_else(|| self.own_crons(None))
            .unwrap_or_default()
    }

    /// Route patterns (plain and custom domains).
    pub fn routes(&self, env: Option<Environment>) -> Vec<String> {
        let section = self.section(env);
        let routes = section
            .and_then(|t| t.get("routes"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let single = section.and_then(|t| t.get("route")).cloned();
        routes
            .into_iter()
            .chain(single)
            .filter_map(|r| match r {
                Value::String(pattern) => Some(pattern),
                Value::Table(t) => t.get("pattern").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect()
    }

    pub fn vars(&self, env: Option<Environment>) -> BTreeMap<String, String> {
        self.section(env)
            .and_then(|t| t.get("vars"))
            .and_then(Value::as_table)
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first database bound as `DB` in `env`.
    pub fn database(&self, env: Environment) -> Option<D1Binding> {
        self.d1(Some(env))
            .into_iter()
            .find(|d| d.binding == DATABASE_BINDING)
    }

    /// What `[observability]` and `[observability.logs]` say in `env` (unset is `None`).
    pub fn logs(&self, env: Environment) -> LogSettings {
        let observability = self
            .env(env)
            .and_then(|t| t.get("observability"))
            .and_then(Value::as_table);
        let flag = |table: Option<&Table>, key: &str| table?.get(key)?.as_bool();
        LogSettings {
            workers_logs: flag(observability, "enabled"),
            invocation_logs: flag(
                observability
                    .and_then(|o| o.get("logs"))
                    .and_then(Value::as_table),
                "invocation_logs",
            ),
        }
    }
}

/// A worker's Workers Logs settings in one environment, as its config spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    /// `[observability] enabled`: the worker's own log lines are kept.
    pub workers_logs: Option<bool>,
    /// `[observability.logs] invocation_logs`: one entry per request, raw URL included
    /// (Cloudflare's default is on).
    pub invocation_logs: Option<bool>,
}

fn text(table: &Table, key: &str) -> String {
    table
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `wrangler/deploy.toml`: what deploying needs beyond the wrangler configs.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Per environment and worker: the base URL its health and endpoint probes use.
    pub probe_urls: BTreeMap<(Environment, Worker), String>,
    /// Per environment and worker: the secrets that must be set before a deploy.
    pub secrets: BTreeMap<(Environment, Worker), BTreeSet<String>>,
    /// Per worker: names the code reads that may stay unset (the code has a default).
    pub optional: BTreeMap<Worker, BTreeSet<String>>,
    /// Where and for whom production database backups are kept.
    pub backup: Option<BackupPolicy>,
}

/// `[backup]`: the private production R2 bucket backups go to, how long they are kept,
/// and the age x25519 recipients (maintainers' public keys) they are encrypted to.
#[derive(Debug, Clone, Default)]
pub struct BackupPolicy {
    pub bucket: String,
    pub retention_days: u32,
    pub recipients: Vec<String>,
}

/// The configs of all four workers and the manifest, read from one directory.
#[derive(Debug, Clone)]
pub struct Configs {
    pub dir: PathBuf,
    pub workers: Vec<WorkerConfig>,
    pub manifest: Manifest,
}

pub const MANIFEST_FILE: &str = "deploy.toml";

impl Configs {
    pub fn load(dir: &Path) -> Result<Self> {
        let mut workers = Vec::new();
        for worker in Worker::ALL {
            let path = dir.join(format!("{worker}.toml"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let table: Table =
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            workers.push(WorkerConfig {
                worker,
                path,
                table,
            });
        }
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let manifest = parse_manifest(&text)
            .with_context(|| format!("parsing {}", manifest_path.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            workers,
            manifest,
        })
    }

    pub fn worker(&self, worker: Worker) -> &WorkerConfig {
        self.workers
            .iter()
            .find(|w| w.worker == worker)
            .expect("every worker's config is loaded")
    }

    /// The database every worker of `env` binds as `DB` (the check proves they agree).
    pub fn database(&self, env: Environment) -> Result<D1Binding> {
        self.worker(Worker::Api).database(env).with_context(|| {
            format!("wrangler/api.toml binds no {DATABASE_BINDING} in [env.{env}]")
        })
    }

    /// Workers in upload order, as levels: a worker other workers bind to (service
    /// bindings) is in an earlier level than they are; the workers of one level are
    /// independent of each other, so they may be deployed together.
    pub fn dependency_levels(&self, env: Environment) -> Result<Vec<Vec<Worker>>> {
        let by_script: BTreeMap<String, Worker> = self
            .workers
            .iter()
            .map(|w| (w.script_name(env), w.worker))
            .collect();
        let mut placed: Vec<Worker> = Vec::new();
        let mut levels = Vec::new();
        while placed.len() < self.workers.len() {
            let level: Vec<Worker> = self
                .workers
                .iter()
                .filter(|w| {
                    !placed.contains(&w.worker)
                        && w.services(Some(env)).iter().all(|(_, target)| {
                            by_script
                                .get(target)
                                .is_none_or(|dep| placed.contains(dep) || *dep == w.worker)
                        })
                })
                .map(|w| w.worker)
                .collect();
            if level.is_empty() {
                bail!("the service bindings of [env.{env}] form a cycle");
            }
            placed.extend(&level);
            levels.push(level);
        }
        Ok(levels)
    }

    /// The migrations directory of `env`'s database.
    pub fn migrations_dir(&self, env: Environment) -> Result<PathBuf> {
        let db = self.database(env)?;
        Ok(self
            .dir
            .join(db.migrations_dir.as_deref().unwrap_or("migrations")))
    }

    /// Every worker, dependencies first.
    pub fn dependency_order(&self, env: Environment) -> Result<Vec<Worker>> {
        Ok(self.dependency_levels(env)?.concat())
    }

    /// Every id or name of a resource `env` uses, for isolation checks.
    fn resources(&self, env: Environment) -> BTreeSet<String> {
        let mut all = BTreeSet::new();
        for w in &self.workers {
            for d in w.d1(Some(env)) {
                all.insert(d.database_name);
                all.extend(d.database_id);
            }
            all.extend(w.kv(Some(env)).into_iter().filter_map(|k| k.id));
            all.extend(w.r2(Some(env)).into_iter().map(|(_, bucket)| bucket));
            all.extend(w.queues(Some(env)));
        }
        all
    }

    /// What `env` still lacks before it can be deployed: ids provisioning records.
    /// Previews have none to lack: their database and cache are made per pull request.
    pub fn unprovisioned(&self, env: Environment) -> Vec<String> {
        let mut missing = Vec::new();
        if env == Environment::Preview {
            return missing;
        }
        for w in &self.workers {
            for d in w.d1(Some(env)) {
                if d.database_id.is_none() {
                    missing.push(format!(
                        "{}: D1 {} has no database_id",
                        w.worker, d.database_name
                    ));
                }
            }
            for k in w.kv(Some(env)) {
                if k.id.is_none() {
                    missing.push(format!("{}: KV {} has no id", w.worker, k.binding));
                }
            }
        }
        missing
    }
}

fn parse_manifest(text: &str) -> Result<Manifest> {
    let table: Table = toml::from_str(text)?;
    let mut manifest = Manifest::default();
    let worker_named = |name: &str| {
        Worker::ALL
            .into_iter()
            .find(|w| w.name() == name)
            .with_context(|| format!("unknown worker '{name}'"))
    };
    let names = |value: &Value, what: &str| -> Result<BTreeSet<String>> {
        value
            .as_array()
            .with_context(|| format!("{what} must be a list of names"))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .with_context(|| format!("{what} must hold strings"))
            })
            .collect()
    };
    for (key, value) in &table {
        let section = value
            .as_table()
            .with_context(|| format!("[{key}] must be a table"))?;
        if key == "backup" {
            let text = |field: &str| {
                section
                    .get(field)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            manifest.backup = Some(BackupPolicy {
                bucket: text("bucket").context("backup.bucket must name an R2 bucket")?,
                retention_days: section
                    .get("retention_days")
                    .and_then(Value::as_integer)
                    .and_then(|days| u32::try_from(days).ok())
                    .context("backup.retention_days must be a number of days")?,
                recipients: names(
                    section
                        .get("recipients")
                        .unwrap_or(&Value::Array(Vec::new())),
                    "backup.recipients",
                )?
                .into_iter()
                .collect(),
            });
            continue;
        }
        if key == "optional" {
            for (worker, list) in section {
                manifest.optional.insert(
                    worker_named(worker)?,
                    names(list, &format!("optional.{worker}"))?,
                );
            }
            continue;
        }
        let env = Environment::from_str(key, false).map_err(|_| {
            anyhow::anyhow!("unknown section [{key}] (production, preview, backup or optional)")
        })?;
        for (part, value) in section {
            let workers = value
                .as_table()
                .with_context(|| format!("[{key}.{part}] must be a table"))?;
            for (worker, item) in workers {
                let worker = worker_named(worker)?;
                match part.as_str() {
                    "probe_urls" => {
                        let url = item
                            .as_str()
                            .with_context(|| format!("{key}.probe_urls.{worker} must be a URL"))?;
                        manifest
                            .probe_urls
                            .insert((env, worker), url.trim_end_matches('/').to_owned());
                    }
                    "secrets" => {
                        manifest.secrets.insert(
                            (env, worker),
                            names(item, &format!("{key}.secrets.{worker}"))?,
                        );
                    }
                    other => bail!("unknown table [{key}.{other}] (probe_urls or secrets)"),
                }
            }
        }
    }
    Ok(manifest)
}

#[cfg(test)]
mod test_support {
    //! The repository's own configs, for tests that edit a copy and look at the outcome.

    use super::{Configs, Environment};
    use crate::workers::Worker;
    use std::path::{Path, PathBuf};
    use toml::{Table, Value};

    pub fn repository_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    pub fn repository_configs() -> Configs {
        Configs::load(&repository_root().join("wrangler")).expect("the configs load")
    }

    /// The `[env.ENV]` table of `worker`'s config.
    pub fn section(configs: &mut Configs, worker: Worker, env: Environment) -> &mut Table {
        configs
            .workers
            .iter_mut()
            .find(|w| w.worker == worker)
            .unwrap()
            .table
            .get_mut("env")
            .and_then(|e| e.get_mut(env.name()))
            .and_then(Value::as_table_mut)
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{repository_configs, section};
    use super::*;

    #[test]
    fn service_bindings_order_uploads_dependencies_first() {
        let mut configs = repository_configs();
        let mut binding = Table::new();
        binding.insert("binding".into(), "AGENT".into());
        binding.insert("service".into(), "kbc-agent".into());
        section(&mut configs, Worker::Api, Environment::Production)
            .insert("services".into(), Value::Array(vec![Value::Table(binding)]));

        let levels = configs.dependency_levels(Environment::Production).unwrap();

        // The repository's own: the agent binds the analyzer (replays of dead letters).
        assert_eq!(
            levels,
            [
                vec![Worker::Analyzer, Worker::Facebook],
                vec![Worker::Agent],
                vec![Worker::Api]
            ]
        );
    }
}
