//! `cargo xtask preview --pr N` and `preview cleanup --pr N`: every pull request gets its
//! own four workers (`kbc-<worker>-pr-N` on workers.dev) over its own D1 database, KV
//! namespace and R2 bucket, so two previews never share data or overwrite each other, and
//! removing one touches nothing of another's. Configs for a pull request are rendered from the
//! `[env.preview]` sections: same vars and bindings, the pull request's names and ids,
//! no crons, no routes, no secrets.

use super::account::Account;
use super::cloud::{self, Target, short};
use super::config::{Configs, DATABASE_BINDING, Environment, KvBinding};
use super::github::GitHub;
use super::markdown;
use super::probe;
use super::wrangler::Wrangler;
use super::{Place, PreviewArgs, bundle_dir, each, run_dir};
use crate::build;
use crate::workers::Worker;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::{Table, Value as Toml};

const ENV: Environment = Environment::Preview;

/// The names one pull request's preview uses.
pub struct Pr {
    pub number: u64,
}

impl Pr {
    pub fn new(number: u64) -> Self {
        Self { number }
    }

    fn scope(&self) -> String {
        format!("pr-{}", self.number)
    }

    pub fn script(&self, worker: Worker) -> String {
        format!("kbc-{worker}-{}", self.scope())
    }

    /// This pull request's name for one of `[env.preview]`'s resources:
    /// `kbc-directory-preview` → `kbc-directory-pr-7`.
    fn scoped(&self, preview_name: &str) -> String {
        let base = preview_name
            .strip_suffix("-preview")
            .unwrap_or(preview_name);
        format!("{base}-{}", self.scope())
    }

    fn database(&self, configs: &Configs) -> Result<String> {
        Ok(self.scoped(&configs.database(ENV)?.database_name))
    }

    /// This pull request's R2 buckets (photo keys are chosen by our code, so two
    /// previews sharing a bucket would overwrite each other's photos).
    fn buckets(&self, configs: &Configs) -> BTreeSet<String> {
        configs
            .workers
            .iter()
            .flat_map(|w| w.r2(Some(ENV)))
            .map(|(_, bucket)| self.scoped(&bucket))
            .collect()
    }

    fn kv_title(&self, binding: &KvBinding) -> String {
        binding.title(&self.scope())
    }

    /// Writes `worker`'s config for this pull request into `dir`: the top level's
    /// entry point and dates, `[env.preview]`'s vars and bindings, with this pull
    /// request's worker names, database and namespaces.
    fn render(&self, configs: &Configs, worker: Worker, ids: &Ids, dir: &Path) -> Result<PathBuf> {
        let config = configs.worker(worker);
        let env = config
            .table
            .get("env")
            .and_then(|e| e.get(ENV.name()))
            .and_then(Toml::as_table)
            .with_context(|| format!("{} has no [env.preview]", config.path.display()))?;
        let mut table = self.base(configs, worker)?;
        if let Some(vars) = env.get("vars") {
            table.insert("vars".into(), vars.clone());
        }
        let r2: Vec<Toml> = config
            .r2(Some(ENV))
            .into_iter()
            .map(|(binding, bucket)| {
                entry([
                    ("binding", binding.into()),
                    ("bucket_name", self.scoped(&bucket).into()),
                ])
            })
            .collect();
        if !r2.is_empty() {
            table.insert("r2_buckets".into(), Toml::Array(r2));
        }
        let d1: Vec<Toml> = config
            .d1(Some(ENV))
            .iter()
            .map(|d| {
                let mut database = d1_entry(&d.binding, &ids.database_name, &ids.database_id);
                if let (Some(migrations), Toml::Table(table)) = (&d.migrations_dir, &mut database) {
                    let absolute = configs.dir.join(migrations);
                    table.insert(
                        "migrations_dir".into(),
                        absolute.to_string_lossy().into_owned().into(),
                    );
                }
                database
            })
            .collect();
        table.insert("d1_databases".into(), Toml::Array(d1));
        let kv: Vec<Toml> = config
            .kv(Some(ENV))
            .iter()
            .map(|k| {
                entry([
                    ("binding", k.binding.clone().into()),
                    ("id", ids.kv[&k.binding].clone().into()),
                ])
            })
            .collect();
        table.insert("kv_namespaces".into(), Toml::Array(kv));
        let scripts: BTreeMap<String, String> = Worker::ALL
            .iter()
            .map(|&w| (configs.worker(w).script_name(ENV), self.script(w)))
            .collect();
        let services: Vec<Toml> = config
            .services(Some(ENV))
            .into_iter()
            .map(|(binding, service)| {
                let service = scripts.get(&service).cloned().unwrap_or(service);
                entry([("binding", binding.into()), ("service", service.into())])
            })
            .collect();
        if !services.is_empty() {
            table.insert("services".into(), Toml::Array(services));
        }
        table.insert(
            "triggers".into(),
            entry([("crons", Toml::Array(Vec::new()))]),
        );
        write_config(dir, worker, &table)
    }

    /// The config fields every rendered config has: name, entry point, dates, workers.dev.
    fn base(&self, configs: &Configs, worker: Worker) -> Result<Table> {
        let config = configs.worker(worker);
        let mut table = Table::new();
        table.insert("name".into(), self.script(worker).into());
        let main = bundle_dir(configs, worker)?.join("index.js");
        table.insert("main".into(), main.to_string_lossy().into_owned().into());
        for key in ["compatibility_date", "compatibility_flags"] {
            if let Some(value) = config.table.get(key) {
                table.insert(key.into(), value.clone());
            }
        }
        table.insert("workers_dev".into(), true.into());
        table.insert("preview_urls".into(), false.into());
        Ok(table)
    }

    /// A config that names this pull request's worker, for commands that act on the
    /// worker itself (status, delete).
    pub fn existing_target(&self, configs: &Configs, worker: Worker, dir: &Path) -> Result<Target> {
        let config = write_config(&dir.join("configs"), worker, &self.base(configs, worker)?)?;
        Ok(Target { config, env: None })
    }

    /// A config binding this pull request's database as `DB`, for reading it during
    /// cleanup (its workers are gone by then).
    fn database_target(&self, configs: &Configs, id: &str, dir: &Path) -> Result<Target> {
        let mut table = self.base(configs, Worker::Api)?;
        let database = d1_entry(DATABASE_BINDING, &self.database(configs)?, id);
        table.insert("d1_databases".into(), Toml::Array(vec![database]));
        let config = write_config(&dir.join("database"), Worker::Api, &table)?;
        Ok(Target { config, env: None })
    }
}

/// A TOML table of these fields, as one entry of a binding array.
fn entry<const N: usize>(fields: [(&str, Toml); N]) -> Toml {
    Toml::Table(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A `[[d1_databases]]` entry.
fn d1_entry(binding: &str, name: &str, id: &str) -> Toml {
    entry([
        ("binding", binding.into()),
        ("database_name", name.into()),
        ("database_id", id.into()),
    ])
}

/// How cleanup reports one resource.
fn removed(deleted: bool) -> &'static str {
    if deleted {
        "- deleted"
    } else {
        "✓ already gone"
    }
}

fn write_config(dir: &Path, worker: Worker, table: &Table) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{worker}.toml"));
    let text = toml::to_string(table).context("rendering a wrangler config")?;
    std::fs::write(
        &path,
        format!("# Rendered by cargo xtask preview; do not edit.\n{text}"),
    )
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The pull request's own resources.
struct Ids {
    database_name: String,
    database_id: String,
    /// Binding → namespace id.
    kv: BTreeMap<String, String>,
}

pub async fn deploy(ws: &Workspace, pr: u64, args: &PreviewArgs) -> Result<()> {
    let account = Account::of(ENV)?;
    let github = GitHub::from_env()?;
    // A run that starts after the pull request closed (its CI finished late, or it
    // replaced a queued cleanup) removes whatever preview is left instead.
    if let Some(github) = &github
        && !github.is_open(pr).await?
    {
        eprintln!("pull request #{pr} is closed: removing its preview instead");
        return cleanup(ws, pr, &args.place).await;
    }
    let configs = args.place.configs(ws)?;
    let problems = super::config_problems(ws, &configs)?;
    if !problems.is_empty() {
        bail!("config check failed:\n  {}", problems.join("\n  "));
    }
    let pr = Pr::new(pr);
    if !args.prebuilt {
        crate::setup::all(ws)?;
        build::build(ws, &Worker::ALL)?;
    }
    let sha = bundle_sha(&configs)?;
    let dir = run_dir(&args.place.out(ws)?, "preview", &pr.scope())?;
    let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;

    // Made here rather than left to wrangler, which would create a missing bucket
    // behind our back.
    for bucket in pr.buckets(&configs) {
        let created = cloud::ensure_bucket(&wrangler, &bucket).await?;
        eprintln!(
            "{} R2 {bucket}",
            if created { "+ created" } else { "✓ reusing" }
        );
    }
    let database_name = pr.database(&configs)?;
    let (database_id, created) = cloud::ensure_d1(&wrangler, &database_name).await?;
    eprintln!(
        "{} D1 {database_name}",
        if created { "+ created" } else { "✓ reusing" }
    );
    let mut kv = BTreeMap::new();
    for binding in configs.worker(Worker::Api).kv(Some(ENV)) {
        let title = pr.kv_title(&binding);
        let (id, created) = cloud::ensure_kv(&wrangler, &title).await?;
        eprintln!(
            "{} KV {title}",
            if created { "+ created" } else { "✓ reusing" }
        );
        kv.insert(binding.binding, id);
    }
    let ids = Ids {
        database_name,
        database_id,
        kv,
    };
    let rendered = dir.join("configs");
    let mut targets = BTreeMap::new();
    for worker in Worker::ALL {
        let config = pr.render(&configs, worker, &ids, &rendered)?;
        targets.insert(worker, Target { config, env: None });
    }
    cloud::migrate(&wrangler, &targets[&Worker::Api], DATABASE_BINDING)
        .await
        .context("migrating the preview database")?;
    eprintln!("✓ migrations applied to {}", ids.database_name);

    let message = format!("preview of pull request #{} at {}", pr.number, short(&sha));
    let mut deployed = Vec::new();
    for level in configs.dependency_levels(ENV)? {
        let results = each(&level, async |worker| {
            cloud::deploy(&wrangler, &targets[&worker], &message).await
        })
        .await;
        for (worker, result) in results {
            let (version, urls) =
                result.with_context(|| format!("deploying {}", pr.script(worker)))?;
            let url = urls
                .iter()
                .find(|u| u.contains("workers.dev"))
                .or(urls.first())
                .cloned()
                .with_context(|| format!("{} has no URL", pr.script(worker)))?;
            eprintln!("✓ {} → {url}", pr.script(worker));
            deployed.push((worker, version, url));
        }
    }
    let probe_targets: Vec<probe::Target> = deployed
        .iter()
        .map(|(worker, _, url)| probe::Target {
            worker: *worker,
            script: pr.script(*worker),
            base_url: configs
                .manifest
                .probe_urls
                .get(&(ENV, *worker))
                .cloned()
                .unwrap_or_else(|| url.clone()),
            version_id: None,
            expected_sha: Some(sha.clone()),
        })
        .collect();
    let report = probe::rounds(
        &probe_targets,
        Duration::from_secs(args.probe_seconds),
        Duration::from_secs(2),
        probe::Until::Healthy,
    )
    .await?;
    let workers: Vec<Value> = deployed
        .iter()
        .map(|(worker, version, url)| {
            let failures: Vec<&str> = report
                .checks
                .iter()
                .filter(|c| c.worker == worker.name() && !c.ok)
                .map(|c| c.detail.as_str())
                .collect();
            json!({
                "worker": worker.name(),
                "script": pr.script(*worker),
                "url": url,
                "version_id": version,
                "healthy": failures.is_empty(),
                "detail": if failures.is_empty() { "ok".to_owned() } else { failures.join("; ") },
            })
        })
        .collect();
    let summary =
        json!({"pr": pr.number, "git_sha": sha, "database": ids.database_name, "workers": workers});
    std::fs::write(
        dir.join("preview.json"),
        serde_json::to_string_pretty(&summary)? + "\n",
    )
    .context("writing preview.json")?;
    match &github {
        Some(github) if !github.is_open(pr.number).await? => {
            eprintln!(
                "pull request #{} closed while its preview was deployed: removing it",
                pr.number
            );
            return cleanup(ws, pr.number, &args.place).await;
        }
        Some(github) => {
            github.upsert_comment(pr.number, &comment(&summary)).await?;
            eprintln!("✓ pull request #{} comment updated", pr.number);
        }
        None => eprintln!("  (no GITHUB_TOKEN/GITHUB_REPOSITORY: not commenting)"),
    }
    // The only thing on stdout: the preview as JSON, for scripts to read.
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if let Some(failure) = &report.failure {
        bail!("the preview is not healthy: {failure}");
    }
    Ok(())
}

/// The sha all four bundles were built from (they must agree).
fn bundle_sha(configs: &Configs) -> Result<String> {
    let mut shas = std::collections::BTreeSet::new();
    for worker in Worker::ALL {
        let file = bundle_dir(configs, worker)?.join(build::STAMP_FILE);
        let sha = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}; run `cargo xtask build`", file.display()))?;
        shas.insert(sha.trim().to_owned());
    }
    if shas.len() != 1 {
        bail!("the bundles were built from different commits: {shas:?}");
    }
    Ok(shas.into_iter().next().expect("one sha"))
}

/// The pull-request comment: every value from outside escaped (probe answers can hold
/// anything a pull request's code chooses to answer).
fn comment(summary: &Value) -> String {
    let field = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut body = format!(
        "### Preview of this pull request\n\nCommit {}, database {} (this pull request's own).\n\n\
         | worker | URL | health |\n|---|---|---|\n",
        markdown::code(&field(&summary["git_sha"])),
        markdown::code(&field(&summary["database"]))
    );
    for w in summary["workers"].as_array().into_iter().flatten() {
        body.push_str(&format!(
            "| {} | {} | {} |\n",
            markdown::text(&field(&w["worker"])),
            markdown::link(&field(&w["url"])),
            if w["healthy"] == true {
                "✅ healthy".to_owned()
            } else {
                format!("❌ {}", markdown::text(&field(&w["detail"])))
            }
        ));
    }
    body
}

pub async fn cleanup(ws: &Workspace, pr: u64, place: &Place) -> Result<()> {
    let account = Account::of(ENV)?;
    let github = GitHub::from_env()?;
    let configs = place.configs(ws)?;
    let pr = Pr::new(pr);
    let dir = run_dir(
        &place.out(ws)?,
        "preview",
        &format!("{}-cleanup", pr.scope()),
    )?;
    let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;
    let mut levels = configs.dependency_levels(ENV)?;
    // Dependents go first, so nothing is left bound to a deleted worker.
    levels.reverse();
    for level in levels {
        let targets: BTreeMap<Worker, Target> = level
            .iter()
            .map(|&w| Ok((w, pr.existing_target(&configs, w, &dir)?)))
            .collect::<Result<_>>()?;
        for (worker, deleted) in each(&level, async |worker| {
            cloud::delete(&wrangler, &targets[&worker]).await
        })
        .await
        {
            let deleted = deleted.with_context(|| format!("deleting {}", pr.script(worker)))?;
            eprintln!("{} {}", removed(deleted), pr.script(worker));
        }
    }
    // Photos and published pages first, while the database still says which objects are
    // this preview's:
    // Cloudflare deletes only empty buckets.
    let database = pr.database(&configs)?;
    let database_id = cloud::d1_uuid(&wrangler, &database).await?;
    let photos = match &database_id {
        Some(id) => {
            let target = pr.database_target(&configs, id, &dir)?;
            let mut keys = cloud::photo_keys(&wrangler, &target, DATABASE_BINDING).await?;
            keys.extend(cloud::page_keys(&wrangler, &target, DATABASE_BINDING).await?);
            keys
        }
        None => Vec::new(),
    };
    let mut kept = Vec::new();
    for bucket in pr.buckets(&configs) {
        for key in &photos {
            cloud::r2_object_delete(&wrangler, &bucket, key)
                .await
                .with_context(|| format!("deleting {key} from R2 {bucket}"))?;
        }
        match cloud::bucket_delete(&wrangler, &bucket).await {
            Ok(deleted) => eprintln!(
                "{} R2 {bucket} ({} photo(s))",
                removed(deleted),
                photos.len()
            ),
            // The rest still goes; the cleanup fails at the end, naming what is left.
            Err(err) => {
                eprintln!("✗ {err:#}");
                kept.push(format!("{err:#}"));
            }
        }
    }
    if database_id.is_some() {
        cloud::d1_delete(&wrangler, &database).await?;
    }
    eprintln!("{} D1 {database}", removed(database_id.is_some()));
    for binding in configs.worker(Worker::Api).kv(Some(ENV)) {
        let title = pr.kv_title(&binding);
        let deleted = cloud::kv_delete(&wrangler, &title).await?;
        eprintln!("{} KV {title}", removed(deleted));
    }
    if !kept.is_empty() {
        bail!(
            "the preview of pull request #{} is removed except: {}",
            pr.number,
            kept.join("; ")
        );
    }
    if let Some(github) = &github {
        github.upsert_comment(
            pr.number,
            "### Preview of this pull request\n\nRemoved: its workers, database, cache and photos are deleted.",
        ).await?;
    }
    eprintln!("✓ preview of pull request #{} removed", pr.number);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_probe_output_stays_inside_its_table_cell_as_text() {
        let summary = json!({
            "git_sha": "0123abcd", "database": "kbc-directory-pr-7",
            "workers": [{
                "worker": "api", "url": "https://kbc-api-pr-7.kbc-fake.workers.dev", "healthy": false,
                "detail": "answered <img src=x onerror=alert(1)> | [x](javascript:alert(1))",
            }],
        });

        let body = comment(&summary);

        let row = body.lines().last().unwrap();
        assert!(
            !body.contains("<img") && !body.contains("](javascript:"),
            "{body}"
        );
        assert_eq!(
            row.matches('|').count() - row.matches("\\|").count(),
            4,
            "{row}"
        );
        assert!(
            row.contains("<https://kbc-api-pr-7.kbc-fake.workers.dev>"),
            "{row}"
        );
    }
}
