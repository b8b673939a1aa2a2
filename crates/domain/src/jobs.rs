//! Background job bookkeeping: one `job_runs` row per scheduled run, claimed before the work
//! starts so a cron delivered twice for the same scheduled time runs once.

use crate::db::{Database, DbResult, Statement, fetch_all};
use serde::{Deserialize, Serialize};

/// One cron trigger of a worker and the job it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub worker: &'static str,
    pub cron: &'static str,
    pub job: &'static str,
}

/// Every cron trigger in production (UTC). The wrangler configs must declare exactly these;
/// a test holds them to it.
pub const SCHEDULES: &[Schedule] = &[
    Schedule {
        worker: "analyzer",
        cron: "0 2,14,20 * * *",
        job: "enrich_listings",
    },
    Schedule {
        worker: "facebook",
        cron: "0 3,15,22 * * *",
        job: "publish_posts",
    },
    Schedule {
        worker: "facebook",
        cron: "0 2,14 * * *",
        job: "refresh_tokens",
    },
    Schedule {
        worker: "facebook",
        cron: "0 0 * * *",
        job: "rotate_featured",
    },
];

/// The job a worker runs on a cron, if any.
pub fn job_for(worker: &str, cron: &str) -> Option<&'static str> {
    SCHEDULES
        .iter()
        .find(|s| s.worker == worker && s.cron == cron)
        .map(|s| s.job)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Running,
    Success,
    Failure,
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Skipped => "skipped",
        }
    }
}

/// Identifies one scheduled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey<'a> {
    pub worker: &'a str,
    pub job: &'a str,
    pub cron: &'a str,
    /// The time the run was scheduled for (seconds), the same on every redelivery.
    pub scheduled_at: i64,
}

/// Claims a run. `Some(id)` means this caller owns it and must [`finish`] it; `None` means
/// another delivery of the same scheduled run already claimed it.
pub async fn claim(db: &impl Database, key: &RunKey<'_>, now: i64) -> DbResult<Option<i64>> {
    let statement = Statement::new(
        "INSERT INTO job_runs (worker, job, cron, scheduled_at, started_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (worker, job, scheduled_at) DO NOTHING
         RETURNING id",
    )
    .bind(key.worker)
    .bind(key.job)
    .bind(key.cron)
    .bind(key.scheduled_at)
    .bind(now);
    let claimed = db.query(&statement).await?;
    Ok(claimed
        .first()
        .and_then(|row| row.get("id"))
        .and_then(serde_json::Value::as_i64))
}

/// Records how a claimed run ended. `detail` is for operators and must hold no secrets.
pub async fn finish(
    db: &impl Database,
    id: i64,
    outcome: Outcome,
    detail: &str,
    now: i64,
) -> DbResult<()> {
    let statement = Statement::new(
        "UPDATE job_runs SET outcome = ?2, detail = ?3, finished_at = ?4 WHERE id = ?1",
    )
    .bind(id)
    .bind(outcome.as_str())
    .bind(detail)
    .bind(now);
    db.execute(&statement).await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRun {
    pub id: i64,
    pub worker: String,
    pub job: String,
    pub cron: String,
    pub scheduled_at: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: Outcome,
    pub detail: String,
}

/// A worker's most recent runs, newest first.
pub async fn recent(db: &impl Database, worker: &str, limit: u32) -> DbResult<Vec<JobRun>> {
    fetch_all(
        db,
        &Statement::new(
            "SELECT id, worker, job, cron, scheduled_at, started_at, finished_at, outcome, detail FROM job_runs
              WHERE worker = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2",
        )
        .bind(worker)
        .bind(limit),
    )
    .await
}

/// Every worker's runs (or one worker's), newest first, one page at a time.
pub async fn page(
    db: &impl Database,
    worker: &str,
    page: crate::Page,
) -> DbResult<crate::Paged<JobRun>> {
    let items = fetch_all(
        db,
        &Statement::new(
            "SELECT id, worker, job, cron, scheduled_at, started_at, finished_at, outcome, detail FROM job_runs
              WHERE ?1 = '' OR worker = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        )
        .bind(worker)
        .bind(page.size)
        .bind(page.offset()),
    )
    .await?;
    let total = crate::db::fetch_integer(
        db,
        &Statement::new("SELECT count(*) FROM job_runs WHERE ?1 = '' OR worker = ?1").bind(worker),
    )
    .await?;
    Ok(crate::Paged { items, total, page })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use pollster::block_on;

    #[test]
    fn every_cron_maps_to_its_job_and_unknown_crons_to_none() {
        assert_eq!(
            job_for("analyzer", "0 2,14,20 * * *"),
            Some("enrich_listings")
        );
        assert_eq!(job_for("facebook", "0 0 * * *"), Some("rotate_featured"));
        assert_eq!(job_for("analyzer", "0 0 * * *"), None);
        assert_eq!(job_for("facebook", "* * * * *"), None);
    }

    const KEY: RunKey<'static> = RunKey {
        worker: "analyzer",
        job: "enrich",
        cron: "0 2 * * *",
        scheduled_at: 7200,
    };

    #[test]
    fn a_claimed_run_records_its_outcome() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = block_on(claim(&db, &KEY, 7201)).unwrap().unwrap();
        let running = block_on(recent(&db, "analyzer", 5)).unwrap();
        assert_eq!(running[0].outcome, Outcome::Running);
        block_on(finish(&db, id, Outcome::Success, "enriched 3", 7205)).unwrap();
        let done = &block_on(recent(&db, "analyzer", 5)).unwrap()[0];
        assert_eq!(
            (done.outcome, done.detail.as_str(), done.finished_at),
            (Outcome::Success, "enriched 3", Some(7205))
        );
        assert_eq!(
            (done.cron.as_str(), done.scheduled_at, done.started_at),
            ("0 2 * * *", 7200, 7201)
        );
    }

    #[test]
    fn the_same_scheduled_run_is_claimed_only_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        assert!(block_on(claim(&db, &KEY, 7201)).unwrap().is_some());
        assert_eq!(block_on(claim(&db, &KEY, 7202)).unwrap(), None);
        let next = RunKey {
            scheduled_at: 7200 + 86400,
            ..KEY
        };
        assert!(block_on(claim(&db, &next, 93601)).unwrap().is_some());
        assert_eq!(block_on(recent(&db, "analyzer", 10)).unwrap().len(), 2);
    }

    #[test]
    fn recent_is_per_worker_newest_first_and_limited() {
        let db = SqliteDatabase::in_memory().unwrap();
        for at in [1, 3, 2] {
            block_on(claim(
                &db,
                &RunKey {
                    scheduled_at: at,
                    ..KEY
                },
                at,
            ))
            .unwrap();
        }
        block_on(claim(
            &db,
            &RunKey {
                worker: "facebook",
                ..KEY
            },
            9,
        ))
        .unwrap();
        let runs = block_on(recent(&db, "analyzer", 2)).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.started_at).collect::<Vec<_>>(),
            [3, 2]
        );
    }
}
