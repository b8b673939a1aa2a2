//! Job runs: each cron's latest runs and how they ended, newest first, per worker.

use super::when;
use crate::chrome::{Chrome, Viewer};
use askama::Template;
use kbc_domain::db::{Database, DbResult};
use kbc_domain::jobs::{self, SCHEDULES};

/// How many runs of each worker the page lists.
const RUNS_PER_WORKER: u32 = 20;

/// One run as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub job: String,
    pub scheduled: String,
    pub outcome: String,
    pub took: String,
    pub detail: String,
}

/// A worker's schedule and its latest runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRuns {
    pub worker: &'static str,
    pub schedules: Vec<String>,
    pub runs: Vec<RunRow>,
}

#[derive(Template)]
#[template(path = "jobs.html")]
pub struct JobsPage {
    pub chrome: Chrome,
    pub workers: Vec<WorkerRuns>,
}

impl JobsPage {
    pub async fn load(db: &impl Database, viewer: Viewer) -> DbResult<Self> {
        let mut workers = Vec::new();
        for worker in ["analyzer", "facebook"] {
            let runs = jobs::recent(db, worker, RUNS_PER_WORKER).await?;
            workers.push(WorkerRuns {
                worker,
                schedules: SCHEDULES
                    .iter()
                    .filter(|s| s.worker == worker)
                    .map(|s| format!("{} at `{}` (UTC)", s.job, s.cron))
                    .collect(),
                runs: runs
                    .into_iter()
                    .map(|run| RunRow {
                        took: run.finished_at.map_or_else(
                            || "still running".to_owned(),
                            |end| format!("{} s", end - run.started_at),
                        ),
                        job: run.job,
                        scheduled: when(run.scheduled_at),
                        outcome: format!("{:?}", run.outcome).to_lowercase(),
                        detail: run.detail,
                    })
                    .collect(),
            });
        }
        Ok(Self {
            chrome: Chrome::new("Job runs", "jobs", Some(viewer)),
            workers,
        })
    }
}
