//! The `facebook` worker: social publishing on its crons — posts at 03:00, 15:00 and 22:00
//! (`posting`: fill the next day's slots, publish what is due exactly once, with share cards
//! from `cards`), token care at 02:00 and 14:00 (`tokens`; 02:00 also fetches the numbers of
//! recent posts, `insights`), and the daily featured rotation at 00:00 UTC. Every run is
//! claimed and recorded in `job_runs`, so a cron fired twice does its work once. Without
//! Facebook configured the Facebook jobs are recorded as skipped, saying what is missing.
#![cfg(target_arch = "wasm32")]

mod cards;
mod insights;
mod posting;
mod tokens;

use kbc_domain::jobs::Outcome;
use kbc_domain::{cache, featured};
use kbc_edge::graph::{self, Graph};
use kbc_edge::runtime;
use worker::{Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent, event};

const WORKER: &str = "facebook";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(runtime::health_only(&req, &env, WORKER, env!("CARGO_PKG_VERSION")).await)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    runtime::run_scheduled(&event, &env, WORKER, async |db, run| match run.job {
        "rotate_featured" => {
            // At the scheduled time, not the clock: terms then run midnight to midnight, and a
            // run starting a few seconds early next week still finds last week's slots ended.
            let rotation = featured::rotate(db, run.scheduled_at).await?;
            // The home page and search show featured listings: retire their cached copies.
            if let Some(kv) = runtime::cache(&env) {
                cache::publish_generation(&kv, db).await?;
            }
            Ok((
                Outcome::Success,
                format!(
                    "started {} slots; featured {}, unfeatured {}; {} featured now ({} locked by admins)",
                    rotation.started,
                    rotation.featured,
                    rotation.unfeatured,
                    rotation.now_featured,
                    rotation.locked
                ),
            ))
        }
        job => {
            let (graph, keys) = match (Graph::from_env(&env), graph::token_keys(&env)) {
                (Ok(graph), Ok(keys)) => (graph, keys),
                (Err(missing), _) | (_, Err(missing)) => {
                    return Ok((Outcome::Skipped, format!("{job}: {missing}")));
                }
            };
            let facebook = Facebook {
                graph,
                keys,
                env: &env,
            };
            match job {
                "publish_posts" => posting::run(db, &facebook, run).await,
                "refresh_tokens" => tokens::run(db, &facebook, run).await,
                other => Ok((
                    Outcome::Failure,
                    format!("{other}: not a job of this worker"),
                )),
            }
        }
    })
    .await;
}

/// What every Facebook job works with.
pub(crate) struct Facebook<'a> {
    pub graph: Graph,
    pub keys: kbc_meta::tokens::TokenKeys,
    pub env: &'a Env,
}
