//! The `facebook` worker: social publishing on its crons — posts at 03:00, 15:00 and 22:00,
//! token refresh at 02:00 and 14:00, featured rotation at 00:00 UTC. Every run is claimed and
//! recorded in `job_runs`. The featured rotation is live; publishing and token refresh need
//! Facebook credentials and arrive with their own issue, and until then are recorded as
//! skipped, saying what is missing.
#![cfg(target_arch = "wasm32")]

use kbc_domain::jobs::Outcome;
use kbc_domain::{cache, featured};
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
        other => Ok((
            Outcome::Skipped,
            format!("{other}: Facebook publishing is not part of this release"),
        )),
    })
    .await;
}
