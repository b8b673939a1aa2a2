//! The `analyzer` worker: enriches listings on its cron (02:00, 14:00, 20:00 UTC). Each run
//! is claimed and recorded in `job_runs`; the enrichment pipeline itself arrives with its
//! own issue, and until then a run is recorded as skipped, saying so.
#![cfg(target_arch = "wasm32")]

use kbc_domain::jobs::Outcome;
use kbc_edge::runtime;
use worker::{Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent, event};

const WORKER: &str = "analyzer";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(runtime::health_only(&req, &env, WORKER, env!("CARGO_PKG_VERSION")).await)
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    runtime::run_scheduled(&event, &env, WORKER, async |_db, job, _now| {
        Ok((
            Outcome::Skipped,
            format!("{job}: the enrichment pipeline is not part of this release"),
        ))
    })
    .await;
}
