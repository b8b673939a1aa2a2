//! The wasm32 side: bindings, clock, JSON answers, `/health`, and scheduled runs.

use crate::errors::ApiError;
use crate::log::{self, RequestLine, RunLine};
use kbc_domain::cache::KvCache;
use kbc_domain::db::d1::D1;
use kbc_domain::jobs::{self, Outcome, RunKey};
use kbc_domain::{DomainError, health};
use serde::Serialize;
use worker::{
    Env, Headers, Request, Response, ResponseBuilder, ScheduledEvent, console_error, console_log,
};

/// The D1 binding every worker shares.
pub const DATABASE_BINDING: &str = "DB";
/// The KV namespace of cached public answers (and the edge copy of the cache generation).
pub const CACHE_BINDING: &str = "CACHE";

pub fn database(env: &Env) -> Result<D1, ApiError> {
    binding(env).map(D1::Primary)
}

/// The database for a request that only reads public data: a read-replication session.
pub fn read_database(env: &Env) -> Result<D1, ApiError> {
    binding(env).map(D1::reading)
}

fn binding(env: &Env) -> Result<worker::D1Database, ApiError> {
    env.d1(DATABASE_BINDING).map_err(|_| {
        console_error!("binding {DATABASE_BINDING} is missing");
        ApiError::unavailable()
    })
}

/// The cache of public answers, unless it is switched off (`KV_CACHE=off`) or unbound.
pub fn cache(env: &Env) -> Option<KvCache> {
    if var(env, "KV_CACHE").as_deref() == Some("off") {
        return None;
    }
    env.kv(CACHE_BINDING).ok().map(KvCache)
}

/// Unix seconds now.
pub fn now() -> i64 {
    now_ms() / 1000
}

/// Unix milliseconds now. Inside a request the Workers clock moves only across I/O.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// A plain-text var from the environment, if configured.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty())
}

/// The public site's origin, for links to listings (the production domain by default).
pub fn site_origin(env: &Env) -> String {
    var(env, "SITE_ORIGIN").unwrap_or_else(|| "https://kiamichibizconnect.com".into())
}

/// A JSON answer with the given status.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    text_response(status, body, "application/json; charset=utf-8")
}

/// A body with a status and content type.
pub fn text_response(status: u16, body: String, content_type: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.into_bytes())
}

/// An answer with no body (204, 304).
pub fn empty(status: u16) -> Response {
    ResponseBuilder::new().with_status(status).empty()
}

/// The same answer without its body, for HEAD.
pub fn without_body(response: Response) -> Response {
    let status = response.status_code();
    let headers = response.headers().clone();
    ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .empty()
}

/// The JSON error answer, with `Allow`/`Retry-After` where they apply.
pub fn error(err: &ApiError) -> Response {
    if let Some(cause) = &err.cause {
        console_error!("{} {}: {cause}", err.status, err.code);
    }
    let response = json(err.status, &err.body());
    let headers = response.headers();
    let _ = headers.set("Cache-Control", "no-store");
    if let Some(allow) = err.allow {
        let _ = headers.set("Allow", allow);
    }
    if let Some(seconds) = err.retry_after {
        let _ = headers.set("Retry-After", &seconds.to_string());
    }
    response
}

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    worker: &'a str,
    version: &'a str,
    git_sha: &'static str,
    database: health::DatabaseHealth,
}

/// `GET /health`: 200 when the database answers, 503 when it does not.
pub async fn health(env: &Env, worker: &str, version: &str) -> Response {
    let database = match database(env) {
        Ok(db) => health::check(&db).await,
        Err(_) => health::DatabaseHealth {
            reachable: false,
            migrations_applied: 0,
        },
    };
    let ok = database.reachable;
    let body = Health {
        status: if ok { "ok" } else { "degraded" },
        worker,
        version,
        git_sha: crate::GIT_SHA,
        database,
    };
    let response = json(if ok { 200 } else { 503 }, &body);
    let _ = response.headers().set("Cache-Control", "no-store");
    response
}

/// The whole HTTP surface of a worker that has no routes of its own yet: `/health`, and a
/// JSON 404 or 405 for everything else; each request logged.
pub async fn health_only(req: &Request, env: &Env, worker: &str, version: &str) -> Response {
    let started = now_ms();
    let path = req.path();
    let method = req.inner().method();
    let response = match (method.as_str(), path.as_str()) {
        ("GET", "/health") => health(env, worker, version).await,
        ("HEAD", "/health") => without_body(health(env, worker, version).await),
        (_, "/health") => error(&ApiError::method_not_allowed("GET, HEAD")),
        // The path is not echoed: it could carry anything a client typed.
        _ => error(&ApiError::new(
            404,
            "not_found",
            "this worker answers only at /health",
        )),
    };
    let ray = req.headers().get("cf-ray").ok().flatten();
    log_request(&RequestLine {
        worker,
        version: crate::GIT_SHA,
        method: log::method(&method),
        route: if path == "/health" {
            "/health"
        } else {
            "unmatched"
        },
        status: response.status_code(),
        duration_ms: now_ms() - started,
        cache: None,
        ray: log::ray(ray.as_deref()),
    });
    response
}

/// Writes the request's log line (Workers Logs keeps what a worker logs).
pub fn log_request(line: &RequestLine) {
    console_log!("{}", log::json(line));
}

/// The run a scheduled job works for: its `job_runs` id (the work's own records name it),
/// the job, when it started and the time it was scheduled for.
#[derive(Debug, Clone, Copy)]
pub struct ScheduledRun {
    pub id: i64,
    pub job: &'static str,
    pub now: i64,
    pub scheduled_at: i64,
}

/// Runs the job scheduled on `event`'s cron for `worker` exactly once per scheduled time,
/// recording its `job_runs` row from claim to outcome. A cron with no job is recorded as a
/// failure so a misconfigured trigger is visible, never silent.
pub async fn run_scheduled(
    event: &ScheduledEvent,
    env: &Env,
    worker: &str,
    work: impl AsyncFnOnce(&D1, &ScheduledRun) -> Result<(Outcome, String), DomainError>,
) {
    let cron = event.cron();
    let Ok(db) = database(env) else { return };
    let started = now();
    let scheduled_at = (event.schedule() / 1000.0) as i64;
    let job = jobs::job_for(worker, &cron).unwrap_or("unscheduled");
    let key = RunKey {
        worker,
        job,
        cron: &cron,
        scheduled_at,
    };
    let started_ms = now_ms();
    let logged = |outcome: &str| {
        let line = RunLine {
            worker,
            version: crate::GIT_SHA,
            job,
            cron: &cron,
            scheduled_at,
            outcome,
            duration_ms: now_ms() - started_ms,
        };
        console_log!("{}", log::json(&line));
    };
    let id = match jobs::claim(&db, &key, started).await {
        Ok(Some(id)) => id,
        Ok(None) => return logged("duplicate"), // another delivery of this run owns it
        Err(err) => {
            console_error!("{worker}: could not claim {job} run: {err}");
            return logged("failure");
        }
    };
    let (outcome, detail) = if job == "unscheduled" {
        (
            Outcome::Failure,
            format!("no job is scheduled for {worker} on cron '{cron}'"),
        )
    } else {
        let run = ScheduledRun {
            id,
            job,
            now: started,
            scheduled_at,
        };
        match work(&db, &run).await {
            Ok(result) => result,
            Err(err) => {
                console_error!("{worker}: {job} failed: {err}");
                (Outcome::Failure, err.to_string())
            }
        }
    };
    if let Err(err) = jobs::finish(&db, id, outcome, &detail, now()).await {
        console_error!("{worker}: could not record the end of {job}: {err}");
    }
    logged(outcome.as_str());
}
