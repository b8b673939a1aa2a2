//! The Cloudflare operations the deploy commands are made of, each one wrangler call on
//! one worker's config and environment, returning typed results: secrets present, the
//! version split a worker serves, uploads, percentage deployments, triggers, D1
//! (queries, Time Travel bookmarks and restores, exports, migrations) and KV keys.

use super::wrangler::{Failure, WORKER_NOT_FOUND, Wrangler, shown, target};
use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// One worker's config in one environment: the arguments every call starts from.
#[derive(Debug, Clone)]
pub struct Target {
    pub config: std::path::PathBuf,
    /// `None` for a rendered config that holds one environment only.
    pub env: Option<String>,
}

impl Target {
    fn args(&self, command: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = command.iter().map(|s| (*s).to_owned()).collect();
        match &self.env {
            Some(env) => args.extend(target(&self.config, env)),
            None => args.extend(["-c".to_owned(), self.config.to_string_lossy().into_owned()]),
        }
        args
    }
}

/// The versions a worker serves and their shares of traffic.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Split {
    pub versions: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Share {
    pub version_id: String,
    pub percentage: f64,
}

impl Split {
    pub fn only(version_id: &str) -> Self {
        Self {
            versions: vec![Share {
                version_id: version_id.to_owned(),
                percentage: 100.0,
            }],
        }
    }

    /// The version with the largest share: what "the old version" means when a new one
    /// is split in.
    pub fn main(&self) -> Option<&str> {
        self.versions
            .iter()
            .max_by(|a, b| a.percentage.total_cmp(&b.percentage))
            .map(|s| s.version_id.as_str())
    }

    /// `ID@P%` arguments for `wrangler versions deploy`.
    fn specs(&self) -> Vec<String> {
        self.versions
            .iter()
            .map(|s| format!("{}@{}%", s.version_id, s.percentage))
            .collect()
    }

    pub fn describe(&self) -> String {
        self.versions
            .iter()
            .map(|s| format!("{} {}%", short(&s.version_id), s.percentage))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// The first 8 characters of an id, for progress lines.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}

/// Names of the secrets set on the worker, or `None` when the worker does not exist yet.
pub async fn secret_names(w: &Wrangler<'_>, t: &Target) -> Result<Option<BTreeSet<String>>> {
    match w
        .run(&t.args(&["secret", "list", "--format", "json"]))
        .await
    {
        Ok(output) => {
            let names = output
                .json()?
                .as_array()
                .context("secret list is not a JSON array")?
                .iter()
                .filter_map(|s| s["name"].as_str().map(str::to_owned))
                .collect();
            Ok(Some(names))
        }
        Err(err) if worker_missing(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

fn worker_missing(err: &anyhow::Error) -> bool {
    Failure::has_code(err, &WORKER_NOT_FOUND) || Failure::says(err, "not found")
}

/// What the worker serves now, or `None` when it does not exist or was never deployed.
pub async fn serving(w: &Wrangler<'_>, t: &Target) -> Result<Option<Split>> {
    match w.run(&t.args(&["deployments", "status", "--json"])).await {
        Ok(output) => {
            let status = output.json()?;
            let split: Split = serde_json::from_value(status.clone())
                .with_context(|| format!("unexpected deployment status: {status}"))?;
            Ok(Some(split))
        }
        Err(err) if worker_missing(&err) || Failure::says(&err, "has no deployments") => Ok(None),
        Err(err) => Err(err),
    }
}

/// Every deployment of the worker, oldest first.
pub async fn deployments(w: &Wrangler<'_>, t: &Target) -> Result<Vec<Split>> {
    let output = w.run(&t.args(&["deployments", "list", "--json"])).await?;
    serde_json::from_value(output.json()?).context("unexpected `deployments list` JSON")
}

/// Every version of the worker as `versions list --json` describes it (id, number,
/// annotations with the tag and message, metadata with the creation time).
pub async fn versions(w: &Wrangler<'_>, t: &Target) -> Result<Vec<Value>> {
    let output = w.run(&t.args(&["versions", "list", "--json"])).await?;
    Ok(output.json()?.as_array().cloned().unwrap_or_default())
}

/// Uploads a new version (not serving traffic yet) tagged with the git sha and message;
/// returns its id.
pub async fn upload(w: &Wrangler<'_>, t: &Target, tag: &str, message: &str) -> Result<String> {
    let output = w
        .run(&t.args(&["versions", "upload", "--tag", tag, "--message", message]))
        .await?;
    output.entry("version-upload")?["version_id"]
        .as_str()
        .map(str::to_owned)
        .context("the version-upload entry has no version_id")
}

/// Serves exactly `split`, then reads the deployment back to confirm it (wrangler's own
/// `version-deploy` entry does not carry the traffic it set).
pub async fn deploy_split(
    w: &Wrangler<'_>,
    t: &Target,
    split: &Split,
    message: &str,
) -> Result<()> {
    let mut args = vec!["versions".to_owned(), "deploy".to_owned()];
    args.extend(split.specs());
    args.extend([
        "--yes".to_owned(),
        "--message".to_owned(),
        message.to_owned(),
    ]);
    let mut full = t.args(&[]);
    args.append(&mut full);
    w.run(&args).await?.entry("version-deploy")?;
    let now = serving(w, t)
        .await?
        .context("the worker has no deployment after deploying")?;
    anyhow::ensure!(
        now == *split,
        "asked for {} but the worker serves {}",
        split.describe(),
        now.describe()
    );
    Ok(())
}

/// Applies the environment's crons, routes and custom domains.
pub async fn triggers(w: &Wrangler<'_>, t: &Target) -> Result<()> {
    w.run(&t.args(&["triggers", "deploy"])).await.map(drop)
}

/// `wrangler deploy` of a whole (rendered) config; returns the version id and the URLs
/// it serves on.
pub async fn deploy(w: &Wrangler<'_>, t: &Target, message: &str) -> Result<(String, Vec<String>)> {
    let output = w.run(&t.args(&["deploy", "--message", message])).await?;
    let entry = output.entry("deploy")?;
    let version = entry["version_id"]
        .as_str()
        .context("the deploy entry has no version_id")?
        .to_owned();
    let targets = entry["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    Ok((version, targets))
}

/// Deletes the worker; `false` when it did not exist.
pub async fn delete(w: &Wrangler<'_>, t: &Target) -> Result<bool> {
    match w.run(&t.args(&["delete", "--force"])).await {
        Ok(_) => Ok(true),
        Err(err) if worker_missing(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Deletes one key of the remote KV namespace bound as `binding` (deleting a key that does
/// not exist succeeds).
pub async fn kv_key_delete(w: &Wrangler<'_>, t: &Target, binding: &str, key: &str) -> Result<()> {
    w.run(&t.args(&["kv", "key", "delete", key, "--binding", binding, "--remote"]))
        .await
        .map(drop)
}

/// Runs one SQL command on the remote database bound as `binding`; returns its rows.
pub async fn query(w: &Wrangler<'_>, t: &Target, binding: &str, sql: &str) -> Result<Vec<Value>> {
    let output = w
        .run(&t.args(&[
            "d1",
            "execute",
            binding,
            "--remote",
            "--json",
            "--command",
            sql,
        ]))
        .await?;
    let results = output.json()?;
    Ok(results
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .collect())
}

/// A Time Travel bookmark for the database as it is now.
pub async fn bookmark(w: &Wrangler<'_>, t: &Target, binding: &str) -> Result<String> {
    let output = w
        .run(&t.args(&["d1", "time-travel", "info", binding, "--json"]))
        .await?;
    output.json()?["bookmark"]
        .as_str()
        .map(str::to_owned)
        .context("time-travel info printed no bookmark")
}

/// The arguments that restore the database to `bookmark` (also shown to people).
pub fn restore_args(t: &Target, binding: &str, bookmark: &str) -> Vec<String> {
    t.args(&[
        "d1",
        "time-travel",
        "restore",
        binding,
        &format!("--bookmark={bookmark}"),
    ])
}

pub async fn restore(w: &Wrangler<'_>, t: &Target, binding: &str, bookmark: &str) -> Result<()> {
    w.run(&restore_args(t, binding, bookmark)).await.map(drop)
}

/// `wrangler ...` as a person would type it, for messages.
pub fn command_line(args: &[String]) -> String {
    shown(args)
}

/// Exports the rows of `tables` of the remote database to `file` as SQL `INSERT`s. The
/// schema is left out on purpose: a restore applies the migrations (tables, triggers,
/// search index) and then imports these rows, whose triggers rebuild the index.
pub async fn export(
    w: &Wrangler<'_>,
    t: &Target,
    binding: &str,
    tables: &[String],
    file: &Path,
) -> Result<()> {
    let output = format!("--output={}", file.display());
    let mut args = t.args(&["d1", "export", binding, "--remote", "--no-schema", &output]);
    for table in tables {
        args.push("--table".into());
        args.push(table.clone());
    }
    w.run(&args).await.map(drop)
}

/// Applies the pending migrations of the remote database.
pub async fn migrate(w: &Wrangler<'_>, t: &Target, binding: &str) -> Result<()> {
    w.run(&t.args(&["d1", "migrations", "apply", binding, "--remote"]))
        .await
        .map(drop)
}

/// Names in the database's `d1_migrations` table (none when it has no such table yet).
pub async fn applied_migrations(
    w: &Wrangler<'_>,
    t: &Target,
    binding: &str,
) -> Result<Vec<String>> {
    texts(
        w,
        t,
        binding,
        ("d1_migrations", "name"),
        "SELECT name FROM d1_migrations ORDER BY id",
    )
    .await
}

/// The R2 keys of every listing photo the remote database records.
pub async fn photo_keys(w: &Wrangler<'_>, t: &Target, binding: &str) -> Result<Vec<String>> {
    texts(
        w,
        t,
        binding,
        ("business_photos", "object_key"),
        "SELECT object_key FROM business_photos",
    )
    .await
}

/// The R2 keys of every published page snapshot the remote database records.
pub async fn page_keys(w: &Wrangler<'_>, t: &Target, binding: &str) -> Result<Vec<String>> {
    texts(
        w,
        t,
        binding,
        ("page_snapshots", "object_key"),
        "SELECT object_key FROM page_snapshots",
    )
    .await
}

/// The text column of `sql`'s rows, or nothing when the remote database has no such table
/// yet (a fresh or half-migrated one).
async fn texts(
    w: &Wrangler<'_>,
    t: &Target,
    binding: &str,
    (table, column): (&str, &str),
    sql: &str,
) -> Result<Vec<String>> {
    let exists = format!(
        "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = '{}'",
        table.replace('\'', "''")
    );
    if query(w, t, binding, &exists)
        .await?
        .first()
        .and_then(|r| r["n"].as_i64())
        != Some(1)
    {
        return Ok(Vec::new());
    }
    Ok(query(w, t, binding, sql)
        .await?
        .iter()
        .filter_map(|r| r[column].as_str().map(str::to_owned))
        .collect())
}

/// The tables a `d1 export` can take: ordinary tables, not virtual ones (D1 refuses to
/// export FTS5 tables), their shadow tables, or SQLite's and Cloudflare's internal ones.
pub async fn exportable_tables(w: &Wrangler<'_>, t: &Target, binding: &str) -> Result<Vec<String>> {
    let rows = query(
        w,
        t,
        binding,
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY rowid",
    )
    .await?;
    let tables: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r["name"].as_str()?.to_owned(),
                r["sql"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    let virtual_tables: Vec<&str> = tables
        .iter()
        .filter(|(_, sql)| sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE"))
        .map(|(name, _)| name.as_str())
        .collect();
    Ok(tables
        .iter()
        .map(|(name, _)| name)
        .filter(|name| {
            !name.starts_with("sqlite_")
                && !name.starts_with("_cf_")
                && !virtual_tables
                    .iter()
                    .any(|v| *name == v || name.starts_with(&format!("{v}_")))
        })
        .cloned()
        .collect())
}

/// The uuid of the D1 database named `name`, if the account has one.
pub async fn d1_uuid(w: &Wrangler<'_>, name: &str) -> Result<Option<String>> {
    match w.run(&["d1", "info", name, "--json"]).await {
        Ok(output) => Ok(output.json()?["uuid"].as_str().map(str::to_owned)),
        Err(err) if Failure::says(&err, "Couldn't find DB") => Ok(None),
        Err(err) => Err(err),
    }
}

/// The uuid of the D1 database `name`, creating it when missing; `true` when created.
pub async fn ensure_d1(w: &Wrangler<'_>, name: &str) -> Result<(String, bool)> {
    if let Some(uuid) = d1_uuid(w, name).await? {
        return Ok((uuid, false));
    }
    w.run(&["d1", "create", name]).await?;
    let uuid = d1_uuid(w, name)
        .await?
        .with_context(|| format!("D1 {name} is missing right after its creation"))?;
    Ok((uuid, true))
}

/// Deletes the D1 database `name` (look it up with [`d1_uuid`] first: deleting one that
/// does not exist fails).
pub async fn d1_delete(w: &Wrangler<'_>, name: &str) -> Result<()> {
    w.run(&["d1", "delete", name, "--skip-confirmation"])
        .await
        .map(drop)
}

/// The id of the KV namespace titled `title`, if any.
pub async fn kv_id(w: &Wrangler<'_>, title: &str) -> Result<Option<String>> {
    let namespaces = w.run(&["kv", "namespace", "list"]).await?.json()?;
    Ok(namespaces
        .as_array()
        .into_iter()
        .flatten()
        .find(|ns| ns["title"] == title)
        .and_then(|ns| ns["id"].as_str().map(str::to_owned)))
}

/// The id of the KV namespace `title`, creating it when missing; `true` when created.
pub async fn ensure_kv(w: &Wrangler<'_>, title: &str) -> Result<(String, bool)> {
    if let Some(id) = kv_id(w, title).await? {
        return Ok((id, false));
    }
    w.run(&["kv", "namespace", "create", title]).await?;
    let id = kv_id(w, title)
        .await?
        .with_context(|| format!("KV {title} is missing right after its creation"))?;
    Ok((id, true))
}

pub async fn kv_delete(w: &Wrangler<'_>, title: &str) -> Result<bool> {
    let Some(id) = kv_id(w, title).await? else {
        return Ok(false);
    };
    w.run(&[
        "kv",
        "namespace",
        "delete",
        "--namespace-id",
        &id,
        "--skip-confirmation",
    ])
    .await?;
    Ok(true)
}

/// Cloudflare's "the specified bucket does not exist".
const NO_SUCH_BUCKET: u64 = 10006;

/// Creates the R2 bucket unless it exists; `true` when created.
pub async fn ensure_bucket(w: &Wrangler<'_>, name: &str) -> Result<bool> {
    /// Cloudflare's "you already own this bucket" (someone created it meanwhile).
    const BUCKET_EXISTS: u64 = 10004;
    match w.run(&["r2", "bucket", "info", name, "--json"]).await {
        Ok(_) => Ok(false),
        Err(err) if Failure::has_code(&err, &[NO_SUCH_BUCKET]) => {
            match w.run(&["r2", "bucket", "create", name]).await {
                Ok(_) => Ok(true),
                Err(err) if Failure::has_code(&err, &[BUCKET_EXISTS]) => Ok(false),
                Err(err) => Err(err),
            }
        }
        Err(err) => Err(err),
    }
}

/// Deletes one object of an R2 bucket (deleting an absent key succeeds).
pub async fn r2_object_delete(w: &Wrangler<'_>, bucket: &str, key: &str) -> Result<()> {
    w.run(&[
        "r2",
        "object",
        "delete",
        &format!("{bucket}/{key}"),
        "--remote",
    ])
    .await
    .map(drop)
}

/// Uploads `file` as an object of an R2 bucket.
pub async fn r2_object_put(w: &Wrangler<'_>, bucket: &str, key: &str, file: &Path) -> Result<()> {
    let object = format!("{bucket}/{key}");
    let file = file.to_string_lossy();
    w.run(&["r2", "object", "put", &object, "--file", &file, "--remote"])
        .await
        .map(drop)
}

/// Downloads an object of an R2 bucket into `file`.
pub async fn r2_object_get(w: &Wrangler<'_>, object: &str, file: &Path) -> Result<()> {
    let file = file.to_string_lossy();
    w.run(&["r2", "object", "get", object, "--file", &file, "--remote"])
        .await
        .map(drop)
}

/// Adds a lifecycle rule deleting every object of the bucket `days` after its upload, unless
/// a rule of that name exists; `true` when added.
pub async fn ensure_expiry(w: &Wrangler<'_>, bucket: &str, rule: &str, days: u32) -> Result<bool> {
    /// Cloudflare's "the lifecycle configuration is invalid" (here: the rule exists).
    const INVALID_LIFECYCLE: u64 = 10040;
    let days = days.to_string();
    let args = ["r2", "bucket", "lifecycle", "add", bucket, rule, ""];
    match w
        .run(&[&args[..], &["--expire-days", &days, "--force"]].concat())
        .await
    {
        Ok(_) => Ok(true),
        Err(err) if Failure::has_code(&err, &[INVALID_LIFECYCLE]) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Deletes an empty R2 bucket; `false` when it did not exist. A bucket still holding
/// objects is refused by Cloudflare, and the error says so.
pub async fn bucket_delete(w: &Wrangler<'_>, name: &str) -> Result<bool> {
    /// Cloudflare's "the bucket you tried to delete is not empty".
    const NOT_EMPTY: u64 = 10008;
    match w.run(&["r2", "bucket", "delete", name]).await {
        Ok(_) => Ok(true),
        Err(err) if Failure::has_code(&err, &[NO_SUCH_BUCKET]) => Ok(false),
        Err(err) if Failure::has_code(&err, &[NOT_EMPTY]) => Err(err.context(format!(
            "R2 bucket {name} still holds objects no listing photo records; \
             empty it in the Cloudflare dashboard and run the cleanup again"
        ))),
        Err(err) => Err(err),
    }
}

/// Creates the queue unless it exists; `true` when created. (`queues info` has no
/// machine output, so existence is learnt from the create call's error code.)
pub async fn ensure_queue(w: &Wrangler<'_>, name: &str) -> Result<bool> {
    /// Cloudflare's "a queue with this name already exists".
    const QUEUE_EXISTS: u64 = 11009;
    match w.run(&["queues", "create", name]).await {
        Ok(_) => Ok(true),
        Err(err) if Failure::has_code(&err, &[QUEUE_EXISTS]) => Ok(false),
        Err(err) => Err(err),
    }
}
