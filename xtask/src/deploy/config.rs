//! The deployment configuration as one model: the four wrangler configs (their
//! `[env.preview]` and `[env.production]` sections) and the deploy manifest
//! (`wrangler/deploy.toml`: probe URLs, and which secret each worker needs in which
//! environment), plus `cargo xtask config check`, which proves them consistent with each
//! other and with what the code reads.
//!
//! wrangler does not inherit bindings, vars or triggers into an environment except
//! `triggers`, which it does inherit: so every environment section here spells out all
//! of them, and the checks hold it to that.

use crate::workers::Worker;
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use kbc_domain::jobs::SCHEDULES;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

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

    /// Queue names this worker produces to or consumes from.
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
            .filter_map(|q| q.get("queue").and_then(Value::as_str).map(str::to_owned))
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

/// The names of vars and secrets each worker's code reads: `runtime::var(env, "NAME")`,
/// `env.var("NAME")` and `env.secret("NAME")` in the worker's crate and in the crates
/// every worker shares (`kbc-edge`).
pub fn code_reads(root: &Path) -> Result<BTreeMap<Worker, BTreeSet<String>>> {
    let shared = names_in(&root.join("crates/edge/src"))?;
    let mut reads = BTreeMap::new();
    for worker in Worker::ALL {
        let mut names = names_in(&root.join("crates").join(worker.name()).join("src"))?;
        names.extend(shared.iter().cloned());
        reads.insert(worker, names);
    }
    Ok(reads)
}

fn names_in(dir: &Path) -> Result<BTreeSet<String>> {
    Ok(rust_sources(dir)?
        .iter()
        .flat_map(|(_, text)| names_read(text))
        .collect())
}

/// Every `.rs` file under `dir` (none when it does not exist), with its text.
pub fn rust_sources(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut sources = Vec::new();
    if !dir.exists() {
        return Ok(sources);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            sources.extend(rust_sources(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            sources.push((path, text));
        }
    }
    Ok(sources)
}

/// The string literals passed as names to the var and secret readers in `source`.
pub fn names_read(source: &str) -> BTreeSet<String> {
    const CALLS: [&str; 4] = ["var(env, \"", ".var(\"", ".secret(\"", "secret(env, \""];
    let mut names = BTreeSet::new();
    for call in CALLS {
        for (at, _) in source.match_indices(call) {
            let rest = &source[at + call.len()..];
            if let Some(end) = rest.find('"') {
                let name = &rest[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
}

/// `cargo xtask config check`: every inconsistency found, as sentences naming the file
/// and the fix. Empty means consistent.
pub fn check(configs: &Configs, code: &BTreeMap<Worker, BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    for env in Environment::ALL {
        for w in &configs.workers {
            if w.env(env).is_none() {
                problems.push(format!("{}: has no [env.{env}] section", file(w)));
            }
        }
        check_shared_resources(configs, env, &mut problems);
        check_services(configs, env, &mut problems);
        check_secrets(configs, code, env, &mut problems);
        check_probe_urls(configs, env, &mut problems);
    }
    check_preview_isolation(configs, &mut problems);
    check_backup(configs, &mut problems);
    check_crons(configs, &mut problems);
    check_routes(configs, &mut problems);
    for (worker, names) in &configs.manifest.optional {
        for name in names {
            if !code[worker].contains(name) {
                problems.push(format!(
                    "{MANIFEST_FILE}: optional.{worker} lists {name}, which the {worker} code never reads"
                ));
            }
        }
    }
    problems
}

fn file(w: &WorkerConfig) -> String {
    format!("wrangler/{}.toml", w.worker)
}

fn check_shared_resources(configs: &Configs, env: Environment, problems: &mut Vec<String>) {
    let api = configs.worker(Worker::Api);
    let expected_db = api.database(env);
    let expected_kv = api.kv(Some(env));
    let expected_r2 = api.r2(Some(env));
    for w in &configs.workers {
        if expected_db.is_none() {
            break;
        }
        if w.database(env) != expected_db {
            problems.push(format!(
                "{}: [env.{env}] binds {DATABASE_BINDING} to {:?}, but wrangler/api.toml binds {:?}; every worker of an environment must bind the same database",
                file(w),
                w.database(env).map(|d| (d.database_name, d.database_id)),
                expected_db.as_ref().map(|d| (&d.database_name, &d.database_id)),
            ));
        }
        if w.kv(Some(env)) != expected_kv {
            problems.push(format!(
                "{}: [env.{env}] KV namespaces differ from wrangler/api.toml's",
                file(w)
            ));
        }
        if w.r2(Some(env)) != expected_r2 {
            problems.push(format!(
                "{}: [env.{env}] R2 buckets differ from wrangler/api.toml's",
                file(w)
            ));
        }
    }
    if expected_db.is_none() && api.env(env).is_some() {
        problems.push(format!(
            "wrangler/api.toml: [env.{env}] binds no {DATABASE_BINDING} database"
        ));
    }
}

fn check_services(configs: &Configs, env: Environment, problems: &mut Vec<String>) {
    let scripts: BTreeSet<String> = configs.workers.iter().map(|w| w.script_name(env)).collect();
    for w in &configs.workers {
        for (binding, target) in w.services(Some(env)) {
            if !scripts.contains(&target) {
                problems.push(format!(
                    "{}: [env.{env}] service binding {binding} points at '{target}', which is not a {env} worker ({})",
                    file(w),
                    scripts.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    if let Err(err) = configs.dependency_order(env) {
        problems.push(err.to_string());
    }
}

fn check_preview_isolation(configs: &Configs, problems: &mut Vec<String>) {
    let production = configs.resources(Environment::Production);
    let production_scripts: BTreeSet<String> = configs
        .workers
        .iter()
        .map(|w| w.script_name(Environment::Production))
        .collect();
    for w in &configs.workers {
        let env = Some(Environment::Preview);
        let mut used: Vec<(String, String)> = Vec::new();
        for d in w.d1(env) {
            used.push((format!("D1 {}", d.binding), d.database_name));
            used.extend(d.database_id.map(|id| (format!("D1 {} id", d.binding), id)));
        }
        used.extend(
            w.kv(env)
                .into_iter()
                .filter_map(|k| k.id.map(|id| (format!("KV {}", k.binding), id))),
        );
        used.extend(
            w.r2(env)
                .into_iter()
                .map(|(b, bucket)| (format!("R2 {b}"), bucket)),
        );
        used.extend(w.queues(env).into_iter().map(|q| ("queue".to_owned(), q)));
        for (what, value) in used {
            if production.contains(&value) {
                problems.push(format!(
                    "{}: [env.preview] {what} is '{value}', a production resource; previews must never touch production data",
                    file(w)
                ));
            }
        }
        if w.script_name(Environment::Preview) == w.script_name(Environment::Production)
            || production_scripts.contains(&w.script_name(Environment::Preview))
        {
            problems.push(format!(
                "{}: [env.preview] is named like a production worker",
                file(w)
            ));
        }
        match w.own_crons(env) {
            Some(crons) if crons.is_empty() => {}
            Some(crons) => problems.push(format!(
                "{}: [env.preview] has cron triggers {crons:?}; previews must have none",
                file(w)
            )),
            None => problems.push(format!(
                "{}: [env.preview] must say `triggers = {{ crons = [] }}` (wrangler would inherit the top level's crons otherwise)",
                file(w)
            )),
        }
        if !w.routes(env).is_empty() {
            problems.push(format!(
                "{}: [env.preview] has routes; previews must have none",
                file(w)
            ));
        }
        if let Some(vars) = w.env(Environment::Preview).map(|_| w.vars(env))
            && vars.get("ENVIRONMENT").map(String::as_str) != Some("preview")
        {
            problems.push(format!(
                "{}: [env.preview.vars] must set ENVIRONMENT = \"preview\"",
                file(w)
            ));
        }
    }
}

/// Backups hold residents' contact details: a bucket no worker binds (so no code, least of
/// all a preview's, can read it), a retention rule, and recipients that parse.
fn check_backup(configs: &Configs, problems: &mut Vec<String>) {
    let Some(backup) = &configs.manifest.backup else {
        problems.push(format!(
            "{MANIFEST_FILE}: [backup] is missing (bucket, retention_days, recipients)"
        ));
        return;
    };
    for w in &configs.workers {
        for env in [
            None,
            Some(Environment::Production),
            Some(Environment::Preview),
        ] {
            if w.r2(env).iter().any(|(_, bucket)| *bucket == backup.bucket) {
                problems.push(format!(
                    "{}: binds the backup bucket {}; no worker may read the backups",
                    file(w),
                    backup.bucket
                ));
            }
        }
    }
    if !(1..=3650).contains(&backup.retention_days) {
        problems.push(format!(
            "{MANIFEST_FILE}: backup.retention_days must be between 1 and 3650"
        ));
    }
    for recipient in &backup.recipients {
        if recipient.parse::<age::x25519::Recipient>().is_err() {
            problems.push(format!(
                "{MANIFEST_FILE}: backup.recipients has '{recipient}', \
                 which is not an age x25519 recipient (age1...)"
            ));
        }
    }
}

fn check_crons(configs: &Configs, problems: &mut Vec<String>) {
    for w in &configs.workers {
        let mut expected: Vec<String> = SCHEDULES
            .iter()
            .filter(|s| s.worker == w.worker.name())
            .map(|s| s.cron.to_owned())
            .collect();
        expected.sort();
        let mut production = w.effective_crons(Environment::Production);
        production.sort();
        if production != expected {
            problems.push(format!(
                "{}: [env.production] crons are {production:?} but kbc_domain::jobs::SCHEDULES has {expected:?}",
                file(w)
            ));
        }
        let mut local = w.own_crons(None).unwrap_or_default();
        local.sort();
        if local != expected {
            problems.push(format!(
                "{}: local crons are {local:?} but kbc_domain::jobs::SCHEDULES has {expected:?}",
                file(w)
            ));
        }
    }
}

fn check_routes(configs: &Configs, problems: &mut Vec<String>) {
    let mut claimed: BTreeMap<String, Worker> = BTreeMap::new();
    for w in &configs.workers {
        for route in w.routes(Some(Environment::Production)) {
            if let Some(other) = claimed.insert(route.clone(), w.worker) {
                problems.push(format!(
                    "route {route} is claimed by both {other} and {}",
                    w.worker
                ));
            }
        }
        if !w.routes(None).is_empty() {
            problems.push(format!(
                "{}: the local top level must have no routes",
                file(w)
            ));
        }
    }
}

fn check_secrets(
    configs: &Configs,
    code: &BTreeMap<Worker, BTreeSet<String>>,
    env: Environment,
    problems: &mut Vec<String>,
) {
    for w in &configs.workers {
        let vars = w.vars(Some(env));
        let secrets = configs
            .manifest
            .secrets
            .get(&(env, w.worker))
            .cloned()
            .unwrap_or_default();
        let optional = configs
            .manifest
            .optional
            .get(&w.worker)
            .cloned()
            .unwrap_or_default();
        let reads = &code[&w.worker];
        for name in reads {
            if !vars.contains_key(name) && !secrets.contains(name) && !optional.contains(name) {
                problems.push(format!(
                    "the {} code reads {name}, but [env.{env}] neither sets it in {} vars nor lists it under {env}.secrets.{} or optional.{} in {MANIFEST_FILE}",
                    w.worker,
                    file(w),
                    w.worker,
                    w.worker
                ));
            }
        }
        for name in &secrets {
            if !reads.contains(name) {
                problems.push(format!(
                    "{MANIFEST_FILE}: {env}.secrets.{} lists {name}, which the {} code never reads",
                    w.worker, w.worker
                ));
            }
            if vars.contains_key(name) {
                problems.push(format!(
                    "{}: {name} is a {env} secret and also a plain [env.{env}.vars] entry (vars are committed in clear text)",
                    file(w)
                ));
            }
        }
    }
}

fn check_probe_urls(configs: &Configs, env: Environment, problems: &mut Vec<String>) {
    if env != Environment::Production {
        return;
    }
    for w in &configs.workers {
        if !configs.manifest.probe_urls.contains_key(&(env, w.worker)) {
            problems.push(format!(
                "{MANIFEST_FILE}: production.probe_urls.{} is missing; the rollout cannot probe that worker",
                w.worker
            ));
        }
    }
}

/// Sets `key = "value"` in the `[[env.ENV.ARRAY]]` entry whose `match_key` is
/// `match_value`, editing the text in place so comments and layout survive. Used by
/// provisioning to record ids where the configs read them.
pub fn set_in_entry(
    text: &str,
    header: &str,
    match_key: &str,
    match_value: &str,
    key: &str,
    value: &str,
) -> Result<String> {
    let lines: Vec<&str> = text.lines().collect();
    let wanted_header = format!("[[{header}]]");
    let mut start = 0;
    while start < lines.len() {
        if lines[start].trim() != wanted_header {
            start += 1;
            continue;
        }
        let end = (start + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with('['))
            .unwrap_or(lines.len());
        let entry = &lines[start + 1..end];
        let assigned = |line: &str, k: &str| {
            line.trim_start()
                .strip_prefix(k)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        };
        let quoted = format!("\"{match_value}\"");
        if entry
            .iter()
            .any(|l| assigned(l, match_key) && l.contains(&quoted))
        {
            let new_line = format!("{key} = \"{value}\"");
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            match (start + 1..end).find(|&i| assigned(lines[i], key)) {
                Some(i) => out[i] = new_line,
                None => {
                    let after = (start + 1..end)
                        .rev()
                        .find(|&i| !lines[i].trim().is_empty())
                        .unwrap_or(start);
                    out.insert(after + 1, new_line);
                }
            }
            let mut joined = out.join("\n");
            if text.ends_with('\n') {
                joined.push('\n');
            }
            return Ok(joined);
        }
        start = end;
    }
    bail!("no [[{header}]] entry with {match_key} = \"{match_value}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> (Configs, BTreeMap<Worker, BTreeSet<String>>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let configs = Configs::load(&root.join("wrangler")).expect("the configs load");
        (configs, code_reads(&root).expect("the code is readable"))
    }

    fn section(configs: &mut Configs, worker: Worker, env: Environment) -> &mut Table {
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

    fn first_entry<'a>(table: &'a mut Table, array: &str) -> &'a mut Table {
        table
            .get_mut(array)
            .and_then(Value::as_array_mut)
            .and_then(|a| a.first_mut())
            .and_then(Value::as_table_mut)
            .unwrap()
    }

    fn problems_mentioning(
        configs: &Configs,
        code: &BTreeMap<Worker, BTreeSet<String>>,
        text: &str,
    ) -> Vec<String> {
        check(configs, code)
            .into_iter()
            .filter(|p| p.contains(text))
            .collect()
    }

    #[test]
    fn the_repository_configs_pass_the_check() {
        let (configs, code) = repository();
        assert_eq!(check(&configs, &code), Vec::<String>::new());
    }

    #[test]
    fn a_preview_bound_to_a_production_database_id_is_caught() {
        let (mut configs, code) = repository();
        let production = first_entry(
            section(&mut configs, Worker::Agent, Environment::Production),
            "d1_databases",
        );
        production.insert("database_id".into(), "6f0c-production-id".into());
        let preview = first_entry(
            section(&mut configs, Worker::Agent, Environment::Preview),
            "d1_databases",
        );
        preview.insert("database_id".into(), "6f0c-production-id".into());

        let found = problems_mentioning(&configs, &code, "a production resource");

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("wrangler/agent.toml") && found[0].contains("6f0c-production-id")
        );
    }

    #[test]
    fn a_preview_without_its_own_empty_crons_inherits_production_crons_and_is_caught() {
        let (mut configs, code) = repository();
        section(&mut configs, Worker::Analyzer, Environment::Preview).remove("triggers");

        assert_eq!(
            problems_mentioning(&configs, &code, "triggers = { crons = [] }").len(),
            1
        );
    }

    #[test]
    fn production_crons_must_equal_the_schedule_of_record() {
        let (mut configs, code) = repository();
        let triggers = section(&mut configs, Worker::Facebook, Environment::Production)
            .get_mut("triggers")
            .and_then(Value::as_table_mut)
            .unwrap();
        triggers.insert("crons".into(), Value::Array(vec!["0 3 * * *".into()]));

        assert_eq!(problems_mentioning(&configs, &code, "SCHEDULES").len(), 1);
    }

    #[test]
    fn workers_of_one_environment_must_bind_the_same_database() {
        let (mut configs, code) = repository();
        let db = first_entry(
            section(&mut configs, Worker::Facebook, Environment::Production),
            "d1_databases",
        );
        db.insert("database_name".into(), "kbc-directory-other".into());

        assert_eq!(
            problems_mentioning(&configs, &code, "must bind the same database").len(),
            1
        );
    }

    #[test]
    fn a_service_binding_into_another_environment_is_caught() {
        let (mut configs, code) = repository();
        let mut binding = Table::new();
        binding.insert("binding".into(), "ANALYZER".into());
        binding.insert("service".into(), "kbc-analyzer".into());
        section(&mut configs, Worker::Agent, Environment::Preview)
            .insert("services".into(), Value::Array(vec![Value::Table(binding)]));

        let found = problems_mentioning(&configs, &code, "service binding ANALYZER");

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("[env.preview]"));
    }

    #[test]
    fn a_name_the_code_reads_must_be_a_var_a_declared_secret_or_optional() {
        let (configs, mut code) = repository();
        code.get_mut(&Worker::Agent)
            .unwrap()
            .insert("GOOGLE_CLIENT_SECRET".into());

        let found = problems_mentioning(&configs, &code, "GOOGLE_CLIENT_SECRET");

        assert_eq!(found.len(), 2, "production and preview: {found:?}");
    }

    #[test]
    fn a_declared_secret_the_code_never_reads_is_caught() {
        let (mut configs, code) = repository();
        configs
            .manifest
            .secrets
            .get_mut(&(Environment::Production, Worker::Analyzer))
            .unwrap()
            .insert("STALE_TOKEN".into());

        assert_eq!(problems_mentioning(&configs, &code, "STALE_TOKEN").len(), 1);
    }

    #[test]
    fn a_worker_bound_to_the_backup_bucket_is_caught() {
        let (mut configs, code) = repository();
        let bucket = configs.manifest.backup.clone().unwrap().bucket;
        let media = first_entry(
            section(&mut configs, Worker::Api, Environment::Preview),
            "r2_buckets",
        );
        media.insert("bucket_name".into(), bucket.into());

        assert_eq!(
            problems_mentioning(&configs, &code, "no worker may read the backups").len(),
            1
        );
    }

    #[test]
    fn a_backup_recipient_that_is_no_age_key_is_caught() {
        let (mut configs, code) = repository();
        let backup = configs.manifest.backup.as_mut().unwrap();
        backup.recipients = vec!["ssh-rsa AAAA maintainer".into()];

        assert_eq!(
            problems_mentioning(&configs, &code, "not an age x25519 recipient").len(),
            1
        );
    }

    #[test]
    fn the_code_scan_finds_var_and_secret_reads() {
        let source = r#"
            let salt = runtime::var(env, "CLIENT_HASH_SALT");
            let key = env.secret("AI_API_KEY")?;
            let mode = env.var("KV_CACHE");
            let not_a_read = format!("var(env, {name})");
        "#;

        let names: Vec<String> = names_read(source).into_iter().collect();

        assert_eq!(names, ["AI_API_KEY", "CLIENT_HASH_SALT", "KV_CACHE"]);
    }

    #[test]
    fn service_bindings_order_uploads_dependencies_first() {
        let (mut configs, _) = repository();
        let mut binding = Table::new();
        binding.insert("binding".into(), "AGENT".into());
        binding.insert("service".into(), "kbc-agent".into());
        section(&mut configs, Worker::Api, Environment::Production)
            .insert("services".into(), Value::Array(vec![Value::Table(binding)]));

        let levels = configs.dependency_levels(Environment::Production).unwrap();

        assert_eq!(
            levels,
            [
                vec![Worker::Agent, Worker::Analyzer, Worker::Facebook],
                vec![Worker::Api]
            ]
        );
    }

    #[test]
    fn recording_an_id_edits_only_its_entry_and_twice_is_once() {
        let text = "# production\n[[env.production.d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"kbc-directory-production\"\n\n[[env.preview.d1_databases]]\nbinding = \"DB\"\ndatabase_name = \"kbc-directory-preview\"\n";
        let header = "env.production.d1_databases";
        let set = |t: &str| {
            set_in_entry(
                t,
                header,
                "database_name",
                "kbc-directory-production",
                "database_id",
                "uuid-1",
            )
            .unwrap()
        };

        let once = set(text);

        assert_eq!(set(&once), once);
        let table: Table = toml::from_str(&once).unwrap();
        let production = &table["env"]["production"]["d1_databases"][0];
        assert_eq!(production["database_id"].as_str(), Some("uuid-1"));
        assert!(
            table["env"]["preview"]["d1_databases"][0]
                .get("database_id")
                .is_none()
        );
        assert!(once.starts_with("# production\n"));
    }
}
