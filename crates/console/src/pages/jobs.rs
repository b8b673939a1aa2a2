//! Job runs: each cron's schedule, and every run with how it ended, newest first, one page
//! at a time, for all workers or one.

use super::{PAGE_SIZE, when};
use crate::chrome::{Chrome, Viewer};
use askama::Template;
use kbc_domain::Page;
use kbc_domain::db::{Database, DbResult};
use kbc_domain::jobs::{self, SCHEDULES};
use kbc_site::view::Pager;

/// The workers that run crons.
const CRON_WORKERS: [&str; 2] = ["analyzer", "facebook"];

/// One run as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub worker: String,
    pub job: String,
    pub scheduled: String,
    pub outcome: String,
    pub took: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "jobs.html")]
pub struct JobsPage {
    pub chrome: Chrome,
    /// Every cron: worker, job and its schedule.
    pub schedules: Vec<(&'static str, &'static str, &'static str)>,
    pub workers: [&'static str; 2],
    /// The worker shown (`""`: all).
    pub worker: String,
    pub runs: Vec<RunRow>,
    pub total: i64,
    pub pager: Pager,
}

impl JobsPage {
    pub async fn load(
        db: &impl Database,
        viewer: Viewer,
        worker: &str,
        page: Page,
    ) -> DbResult<Self> {
        let worker = if CRON_WORKERS.contains(&worker) {
            worker
        } else {
            ""
        };
        let paged = jobs::page(
            db,
            worker,
            Page {
                size: PAGE_SIZE,
                ..page
            },
        )
        .await?;
        let base = if worker.is_empty() {
            "/admin/jobs?".to_owned()
        } else {
            format!("/admin/jobs?worker={worker}&")
        };
        let pages = i64::from(paged.pages());
        Ok(Self {
            chrome: Chrome::new("Job runs", "jobs", Some(viewer)),
            schedules: SCHEDULES
                .iter()
                .map(|s| (s.worker, s.job, s.cron))
                .collect(),
            workers: CRON_WORKERS,
            worker: worker.to_owned(),
            total: paged.total,
            pager: Pager::new(&base, paged.page.number, pages),
            runs: paged
                .items
                .into_iter()
                .map(|run| RunRow {
                    took: run.finished_at.map_or_else(
                        || "still running".to_owned(),
                        |end| format!("{} s", end - run.started_at),
                    ),
                    worker: run.worker,
                    job: run.job,
                    scheduled: when(run.scheduled_at),
                    outcome: format!("{:?}", run.outcome).to_lowercase(),
                    detail: run.detail,
                })
                .collect(),
        })
    }
}
