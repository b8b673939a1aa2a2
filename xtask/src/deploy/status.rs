//! `cargo xtask status --env ENV`: what each worker serves now — its versions, their
//! traffic shares and the git sha and message each was uploaded with.

use super::cloud::{self, Target, short};
use super::config::Environment;
use super::preview;
use super::wrangler::Wrangler;
use super::{StatusArgs, run_dir};
use crate::workers::Worker;
use crate::workspace::Workspace;
use anyhow::{Context, Result};
use serde_json::{Value, json};

pub async fn run(ws: &Workspace, args: &StatusArgs) -> Result<()> {
    let account = super::account::Account::of(args.env)?;
    let configs = args.place.configs(ws)?;
    let dir = run_dir(&args.place.out(ws)?, "status", args.env.name())?;
    let wrangler = Wrangler::new(ws, &account, &dir.join("wrangler"))?;
    let rendered;
    let targets: Vec<(Worker, String, Target)> = match (args.env, args.pr) {
        (Environment::Preview, Some(pr)) => {
            rendered = preview::Pr::new(pr);
            Worker::ALL
                .iter()
                .map(|&w| {
                    Ok((
                        w,
                        rendered.script(w),
                        rendered.existing_target(&configs, w, &dir)?,
                    ))
                })
                .collect::<Result<_>>()?
        }
        (Environment::Preview, None) => {
            anyhow::bail!(
                "previews are per pull request: `cargo xtask status --env preview --pr N`"
            )
        }
        (env, _) => Worker::ALL
            .iter()
            .map(|&w| {
                let config = configs.worker(w);
                (
                    w,
                    config.script_name(env),
                    Target {
                        config: config.path.clone(),
                        env: Some(env.name().into()),
                    },
                )
            })
            .collect(),
    };
    let mut rows = Vec::new();
    for (worker, script, target) in &targets {
        let serving = cloud::serving(&wrangler, target)
            .await
            .with_context(|| format!("reading what {worker} serves"))?;
        let versions = match &serving {
            Some(_) => cloud::versions(&wrangler, target).await?,
            None => Vec::new(),
        };
        let shares: Vec<Value> = serving
            .iter()
            .flat_map(|s| s.versions.iter())
            .map(|share| {
                let version = versions.iter().find(|v| v["id"] == share.version_id.as_str());
                let annotation = |key: &str| {
                    version
                        .and_then(|v| v["annotations"][key].as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                json!({
                    "version_id": share.version_id,
                    "percentage": share.percentage,
                    "git_sha": annotation("workers/tag"),
                    "message": annotation("workers/message"),
                    "created_on": version.and_then(|v| v["metadata"]["created_on"].as_str()).unwrap_or_default(),
                })
            })
            .collect();
        rows.push(json!({"worker": worker.name(), "script": script, "serving": shares}));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<9} {:<22} {:<9} {:>6}  {:<12} message",
        "worker", "script", "version", "share", "git sha"
    );
    for row in &rows {
        let shares = row["serving"].as_array().cloned().unwrap_or_default();
        if shares.is_empty() {
            println!(
                "{:<9} {:<22} (not deployed)",
                row["worker"].as_str().unwrap_or_default(),
                row["script"].as_str().unwrap_or_default()
            );
        }
        for share in shares {
            println!(
                "{:<9} {:<22} {:<9} {:>5}%  {:<12} {}",
                row["worker"].as_str().unwrap_or_default(),
                row["script"].as_str().unwrap_or_default(),
                short(share["version_id"].as_str().unwrap_or_default()),
                share["percentage"],
                short_sha(share["git_sha"].as_str().unwrap_or_default()),
                share["message"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
