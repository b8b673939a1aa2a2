//! The worker's entry points: `/health` and `POST /replay` (fetch), the enrichment cron
//! (scheduled) and the consumer of the analysis queue and of its dead-letter queue (queue).

use crate::analyze::{self, Job, Retry, Tools};
use futures_util::StreamExt;
use kbc_domain::analysis;
use kbc_domain::db::d1::D1;
use kbc_domain::jobs::Outcome;
use kbc_edge::model::ModelConfig;
use kbc_edge::{log, runtime};
use kbc_scrape::guard::Guard;
use std::time::Duration;
use worker::{
    Context, Env, Message, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Request, Response,
    Result, ScheduleContext, ScheduledEvent, console_error, event,
};

const WORKER: &str = analysis::WORKER;
/// The queue binding (producer) the cron and replays send to.
const QUEUE: &str = "ANALYZE";
/// Listings one run selects, unless `ANALYZER_RUN_LIMIT` says otherwise.
const RUN_LIMIT: u32 = 50;
/// How long reading one website may take, unless `ANALYZER_FETCH_TIMEOUT_MS` says otherwise.
const FETCH_TIMEOUT_MS: u64 = 10_000;
/// The first retry's delay, doubled for each further attempt (`ANALYZER_RETRY_BASE_SECONDS`).
const RETRY_BASE_SECONDS: u32 = 60;
/// Listings analyzed at once within one batch.
const CONCURRENCY: usize = 4;
/// The run that also writes with the model: the 14:00 UTC one.
const WRITING_HOUR: i64 = 14;

/// The analyzer's settings from its vars (each with a default; the allow-list exists only
/// locally, and `config check` refuses it in production).
struct Settings {
    run_limit: u32,
    fetch_timeout: Duration,
    retry_base_seconds: u32,
    allowed_origins: String,
}

fn settings(env: &Env) -> Settings {
    fn parsed<T: std::str::FromStr>(value: Option<String>, default: T) -> T {
        value.and_then(|v| v.trim().parse().ok()).unwrap_or(default)
    }
    Settings {
        run_limit: parsed(runtime::var(env, "ANALYZER_RUN_LIMIT"), RUN_LIMIT),
        fetch_timeout: Duration::from_millis(parsed(
            runtime::var(env, "ANALYZER_FETCH_TIMEOUT_MS"),
            FETCH_TIMEOUT_MS,
        )),
        retry_base_seconds: parsed(
            runtime::var(env, "ANALYZER_RETRY_BASE_SECONDS"),
            RETRY_BASE_SECONDS,
        ),
        allowed_origins: runtime::var(env, "ANALYZER_ALLOWED_ORIGINS").unwrap_or_default(),
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.path() != "/replay" {
        return Ok(runtime::health_only(&req, &env, WORKER, env!("CARGO_PKG_VERSION")).await);
    }
    let started = runtime::now_ms();
    let method = req.inner().method();
    let response = if method != "POST" {
        runtime::error(&kbc_edge::errors::ApiError::method_not_allowed("POST"))
    } else {
        let replayed = match runtime::database(&env) {
            Ok(db) => replay(&env, &db).await,
            Err(_) => Err("the database binding is missing".to_owned()),
        };
        match replayed {
            Ok(sent) => runtime::json(200, &serde_json::json!({ "replayed": sent })),
            Err(err) => {
                console_error!("{WORKER}: replaying failed: {err}");
                runtime::error(&kbc_edge::errors::ApiError::new(
                    503,
                    "unavailable",
                    "replaying failed; try again",
                ))
            }
        }
    };
    runtime::log_request(&log::RequestLine {
        worker: WORKER,
        version: kbc_edge::GIT_SHA,
        method: log::method(&method),
        route: "/replay",
        status: response.status_code(),
        duration_ms: runtime::now_ms() - started,
        cache: None,
        ray: None,
    });
    Ok(response)
}

/// Sends every replay admins asked for (and nobody took yet) to the queue. Anyone may call
/// it: it acts only on requests recorded in D1 by an admin, each once; what the queue
/// refuses waits to be taken again.
async fn replay(env: &Env, db: &D1) -> std::result::Result<usize, String> {
    let queue = env.queue(QUEUE).map_err(|e| e.to_string())?;
    let now = runtime::now();
    let taken = analysis::take_replays(db, now)
        .await
        .map_err(|e| e.to_string())?;
    if taken.is_empty() {
        return Ok(0);
    }
    let jobs: Vec<Job> = taken
        .iter()
        .map(|replay| Job {
            business: replay.business_id,
            run: 0,
            describe: false,
        })
        .collect();
    if let Err(err) = queue.send_batch(jobs).await {
        analysis::release_replays(db, &taken)
            .await
            .map_err(|e| e.to_string())?;
        return Err(format!("the queue refused the replays: {err}"));
    }
    analysis::mark_queued(db, &taken, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(taken.len())
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    runtime::run_scheduled(&event, &env, WORKER, async |db, run| {
        let queue = env
            .queue(QUEUE)
            .map_err(|_| kbc_domain::DomainError::NotFound("the analysis queue binding".into()))?;
        // Replays an admin asked for while the analyzer could not be told go out now.
        if let Err(err) = replay(&env, db).await {
            console_error!("{WORKER}: replays wait for the next run: {err}");
        }
        let writing = (run.scheduled_at.rem_euclid(86_400)) / 3_600 == WRITING_HOUR;
        let model = ModelConfig::from_env(&env);
        let limit = settings(&env).run_limit;
        let selected = analysis::select_due(db, run.id, limit, run.now).await?;
        let jobs: Vec<Job> = selected
            .iter()
            .map(|&business| Job {
                business,
                run: run.id,
                describe: writing && model.is_some(),
            })
            .collect();
        for chunk in jobs.chunks(100) {
            if let Err(err) = queue.send_batch(chunk.to_vec()).await {
                // Not in flight after all: the next run may take them.
                analysis::release_run(db, run.id).await?;
                return Ok((
                    Outcome::Failure,
                    format!("queueing the selected listings failed: {err}"),
                ));
            }
        }
        let note = match (&model, writing) {
            (_, false) => "no writing on this run (the 14:00 run writes)".to_owned(),
            (None, true) => {
                "no model configured: descriptions and the blog draft skipped".to_owned()
            }
            (Some(config), true) => crate::writer::draft_weekly_post(db, config, run.now).await,
        };
        analysis::note_run(db, run.id, &note).await?;
        Ok((
            Outcome::Success,
            // The run's note (what the model did) is beside its counts on the analyzer's page.
            match selected.len() {
                1 => "1 listing queued for analysis".to_owned(),
                n => format!("{n} listings queued for analysis"),
            },
        ))
    })
    .await;
}

#[event(queue)]
async fn consume(batch: MessageBatch<Job>, env: Env, _ctx: Context) -> Result<()> {
    let dead_letters = batch.queue().ends_with("-dlq");
    let Ok(db) = runtime::database(&env) else {
        batch.retry_all();
        return Ok(());
    };
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(err) => {
            // Unreadable bodies are nobody's listing: acknowledged, logged.
            console_error!("{WORKER}: an unreadable batch was dropped: {err}");
            batch.ack_all();
            return Ok(());
        }
    };
    if dead_letters {
        for message in messages {
            let job = *message.body();
            let message_id = message.id();
            let letter = analysis::Letter {
                message_id: &message_id,
                business_id: job.business,
                run_id: job.run,
                attempts: attempts(&db, job.business).await,
            };
            match analysis::dead_letter(&db, &letter, runtime::now()).await {
                Ok(()) => message.ack(),
                Err(err) => {
                    console_error!("{WORKER}: recording a dead letter failed: {err}");
                    message.retry();
                }
            }
        }
        return Ok(());
    }
    let settings = settings(&env);
    let tools = Tools {
        guard: match Guard::from_list(&settings.allowed_origins) {
            Ok(guard) => guard,
            Err(err) => {
                console_error!("{WORKER}: ANALYZER_ALLOWED_ORIGINS is not valid: {err}");
                Guard::default()
            }
        },
        fetch_timeout: settings.fetch_timeout,
        model: ModelConfig::from_env(&env),
        cache: runtime::cache(&env),
    };
    let retry_base = settings.retry_base_seconds;
    futures_util::stream::iter(messages)
        .for_each_concurrent(CONCURRENCY, |message| {
            handle(&db, &tools, retry_base, message)
        })
        .await;
    Ok(())
}

/// How many attempts at listing `business` failed so far (for the backoff and the record).
async fn attempts(db: &D1, business: i64) -> i64 {
    analysis::attempts(db, business).await.unwrap_or(0)
}

async fn handle(db: &D1, tools: &Tools, retry_base: u32, message: Message<Job>) {
    let job = *message.body();
    let now = runtime::now();
    match analyze::analyze(db, tools, job, now).await {
        Ok(Some((ending, detail))) => {
            if let Err(err) =
                analysis::finish(db, job.business, job.run, ending, &detail, now).await
            {
                console_error!("{WORKER}: recording an analysis failed: {err}");
                return message.retry();
            }
            message.ack();
        }
        // The listing is gone (erased): nothing to do.
        Ok(None) => message.ack(),
        Err(Retry(why)) => {
            if let Err(err) = analysis::attempt_failed(db, job.business, &why).await {
                console_error!("{WORKER}: recording a failed attempt failed: {err}");
            }
            let failed = attempts(db, job.business).await.clamp(1, 10);
            let delay = retry_base.saturating_mul(1 << (failed - 1));
            message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build(),
            );
        }
    }
}
