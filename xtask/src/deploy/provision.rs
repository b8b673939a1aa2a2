//! `cargo xtask provision --env ENV`: creates the D1 database, KV namespaces, R2 buckets
//! and queues an environment's configs name (and for production the backup bucket with its
//! expiry rule), skipping what exists, and records the D1 and
//! KV ids in those configs (the only ids wrangler configs carry). A second run finds
//! everything and rewrites nothing.

use super::account::Account;
use super::cloud;
use super::config::edit::set_in_entry;
use super::config::{Configs, Environment};
use super::wrangler::Wrangler;
use super::{ProvisionArgs, run_dir};
use crate::workspace::Workspace;
use anyhow::{Context, Result};
use std::collections::BTreeSet;

pub async fn run(ws: &Workspace, args: &ProvisionArgs) -> Result<()> {
    let env = args.env;
    let account = Account::of(env)?;
    let configs = args.place.configs(ws)?;
    let dir = run_dir(&args.place.out(ws)?, "provision", env.name())?;
    let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;
    let report = |what: &str, created: bool| {
        println!("{} {what}", if created { "+ created" } else { "✓ exists " });
    };
    // Previews get their database and cache per pull request (`cargo xtask preview`).
    if env == Environment::Production {
        let databases: BTreeSet<String> = configs
            .workers
            .iter()
            .flat_map(|w| w.d1(Some(env)))
            .map(|d| d.database_name)
            .collect();
        for name in databases {
            let (uuid, created) = cloud::ensure_d1(&wrangler, &name).await?;
            report(&format!("D1 {name} ({uuid})"), created);
            record(
                &configs,
                env,
                "d1_databases",
                "database_name",
                &name,
                "database_id",
                &uuid,
            )?;
        }
        let bindings: BTreeSet<String> = configs
            .workers
            .iter()
            .flat_map(|w| w.kv(Some(env)))
            .map(|k| k.binding)
            .collect();
        for binding in bindings {
            let title = super::config::KvBinding {
                binding: binding.clone(),
                id: None,
            }
            .title(env.name());
            let (id, created) = cloud::ensure_kv(&wrangler, &title).await?;
            report(&format!("KV {title} ({id})"), created);
            record(
                &configs,
                env,
                "kv_namespaces",
                "binding",
                &binding,
                "id",
                &id,
            )?;
        }
    }
    let buckets: BTreeSet<String> = configs
        .workers
        .iter()
        .flat_map(|w| w.r2(Some(env)))
        .map(|(_, bucket)| bucket)
        .collect();
    for bucket in buckets {
        report(
            &format!("R2 {bucket}"),
            cloud::ensure_bucket(&wrangler, &bucket).await?,
        );
    }
    // The private bucket of the encrypted database backups, which expire by rule.
    if let (Environment::Production, Some(backup)) = (env, &configs.manifest.backup) {
        report(
            &format!("R2 {} (backups)", backup.bucket),
            cloud::ensure_bucket(&wrangler, &backup.bucket).await?,
        );
        report(
            &format!(
                "lifecycle rule {}: delete backups after {} days",
                super::backup::EXPIRY_RULE,
                backup.retention_days
            ),
            cloud::ensure_expiry(
                &wrangler,
                &backup.bucket,
                super::backup::EXPIRY_RULE,
                backup.retention_days,
            )
            .await?,
        );
    }
    let queues: BTreeSet<String> = configs
        .workers
        .iter()
        .flat_map(|w| w.queues(Some(env)))
        .collect();
    for queue in queues {
        report(
            &format!("queue {queue}"),
            cloud::ensure_queue(&wrangler, &queue).await?,
        );
    }
    let after = Configs::load(&configs.dir)?;
    let missing = after.unprovisioned(env);
    anyhow::ensure!(
        missing.is_empty(),
        "still unprovisioned: {}",
        missing.join("; ")
    );
    println!(
        "✓ {env} provisioned; commit the ids recorded in {}",
        configs.dir.display()
    );
    Ok(())
}

/// Writes `key = value` into every config's `[[env.ENV.ARRAY]]` entry whose `match_key`
/// is `match_value`, leaving files that already say so untouched.
fn record(
    configs: &Configs,
    env: Environment,
    array: &str,
    match_key: &str,
    match_value: &str,
    key: &str,
    value: &str,
) -> Result<()> {
    let header = format!("env.{env}.{array}");
    for w in &configs.workers {
        let text = std::fs::read_to_string(&w.path)
            .with_context(|| format!("reading {}", w.path.display()))?;
        let Ok(updated) = set_in_entry(&text, &header, match_key, match_value, key, value) else {
            // This worker does not bind that resource.
            continue;
        };
        if updated != text {
            toml::from_str::<toml::Table>(&updated)
                .with_context(|| format!("the edited {} would not parse", w.path.display()))?;
            std::fs::write(&w.path, updated)
                .with_context(|| format!("writing {}", w.path.display()))?;
            println!("  recorded {key} in {}", w.path.display());
        }
    }
    Ok(())
}
