//! The deployment record: a JSON document of what a production rollout did (versions
//! before and after per worker, the database bookmark, backup and migrations, probe
//! results, timings, any rollback) and its Markdown summary, which also goes to
//! `$GITHUB_STEP_SUMMARY` in GitHub Actions. `rollback --to RECORD` reads it back.

use super::cloud::Split;
use super::markdown::{code, text};
use super::probe;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub environment: String,
    /// `running`, `succeeded`, `failed` (nothing changed for visitors), `rolled-back`, or
    /// `rollback-incomplete` (some worker could not go back: look at `rollback`).
    pub status: String,
    pub failure: Option<String>,
    pub git_sha: String,
    pub message: String,
    /// False when the deploy ran with `--allow-dirty`.
    pub source_checks: bool,
    /// Unix seconds.
    pub started_at: i64,
    pub workers: Vec<WorkerRecord>,
    pub database: Option<DatabaseRecord>,
    #[serde(default)]
    pub probes: Vec<ProbeRecord>,
    #[serde(default)]
    pub timings: Vec<Timing>,
    pub rollback: Option<Vec<RollbackStep>>,
    /// What went wrong without failing the deploy (e.g. a stale cache copy left to expire).
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerRecord {
    pub worker: String,
    pub script: String,
    /// What it served before the rollout (`None`: it had never been deployed).
    pub before: Option<Split>,
    pub uploaded_version: Option<String>,
    /// What it serves at the end.
    pub after: Option<Split>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseRecord {
    pub name: String,
    pub id: String,
    pub bookmark: String,
    /// The encrypted `d1 export`: its R2 object, `BUCKET/KEY`.
    pub backup: Option<String>,
    pub backup_tables: Vec<String>,
    pub migrations_before: Vec<String>,
    pub migrations_applied: Vec<String>,
    /// Restores the database to `bookmark`.
    pub restore_command: String,
    pub restored: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeRecord {
    pub phase: String,
    pub rounds: u32,
    pub seconds: f64,
    pub failure: Option<String>,
    pub checks: Vec<CheckRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRecord {
    pub worker: String,
    /// The version the check pinned (both the new and the old one while traffic is split).
    #[serde(default)]
    pub version: Option<String>,
    pub url: String,
    pub ok: bool,
    pub detail: String,
    pub millis: u64,
}

impl ProbeRecord {
    pub fn new(phase: &str, report: &probe::Report) -> Self {
        Self {
            phase: phase.to_owned(),
            rounds: report.rounds,
            seconds: report.seconds,
            failure: report.failure.clone(),
            checks: report
                .checks
                .iter()
                .map(|c| CheckRecord {
                    worker: c.worker.to_owned(),
                    version: c.version.clone(),
                    url: c.url.clone(),
                    ok: c.ok,
                    detail: c.detail.clone(),
                    millis: c.millis,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Timing {
    pub phase: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RollbackStep {
    pub worker: String,
    pub to: Option<Split>,
    pub outcome: String,
}

impl Record {
    /// Reads a record written earlier (for `rollback --to`).
    pub fn read(path: &Path) -> Result<Self> {
        let file = if path.is_dir() {
            path.join(RECORD_FILE)
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", file.display()))
    }

    /// Writes `record.json` and `summary.md` into `dir`, and appends the summary to
    /// `$GITHUB_STEP_SUMMARY` when set. Returns the record's path.
    pub fn write(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(RECORD_FILE);
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(&path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        let summary = self.markdown();
        let summary_path = dir.join("summary.md");
        std::fs::write(&summary_path, &summary)
            .with_context(|| format!("writing {}", summary_path.display()))?;
        if let Some(step_summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&step_summary)
                .with_context(|| format!("opening {}", PathBuf::from(&step_summary).display()))?;
            file.write_all(summary.as_bytes())
                .context("writing the GitHub step summary")?;
        }
        Ok(path)
    }

    pub fn markdown(&self) -> String {
        let mark = match self.status.as_str() {
            "succeeded" => "✅",
            "rolled-back" => "↩️",
            _ => "❌",
        };
        let mut md = format!(
            "## {mark} {} deploy of {}: {}\n\n",
            self.environment,
            code(short_sha(&self.git_sha)),
            text(&self.status)
        );
        md.push_str(&format!(
            "> {}\n\n",
            text(self.message.lines().next().unwrap_or_default())
        ));
        if let Some(failure) = &self.failure {
            md.push_str(&format!("**Why:** {}\n\n", text(failure)));
        }
        if !self.source_checks {
            md.push_str("**Source checks were skipped (`--allow-dirty`).**\n\n");
        }
        md.push_str("| worker | before | uploaded | after |\n|---|---|---|---|\n");
        for w in &self.workers {
            let split = |s: &Option<Split>| s.as_ref().map_or("—".to_owned(), Split::describe);
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                text(&w.worker),
                split(&w.before),
                w.uploaded_version
                    .as_deref()
                    .map_or("—", super::cloud::short),
                split(&w.after)
            ));
        }
        if let Some(db) = &self.database {
            md.push_str(&format!(
                "\n**Database** {}: bookmark {}; backup {}; migrations applied: {}{}\n\nRestore: {}\n",
                code(&db.name),
                code(&db.bookmark),
                db.backup.as_deref().map_or("none (empty database)".to_owned(), code),
                if db.migrations_applied.is_empty() {
                    "none".to_owned()
                } else {
                    text(&db.migrations_applied.join(", "))
                },
                if db.restored { " (restored to the bookmark)" } else { "" },
                code(&db.restore_command)
            ));
        }
        for p in &self.probes {
            md.push_str(&format!(
                "\n**Probes ({})**: {} round(s) over {:.1} s, {}\n",
                p.phase,
                p.rounds,
                p.seconds,
                p.failure.as_deref().map_or("all passed".to_owned(), text)
            ));
        }
        if !self.warnings.is_empty() {
            md.push_str("\n**Warnings**\n\n");
            for warning in &self.warnings {
                md.push_str(&format!("- {}\n", text(warning)));
            }
        }
        if let Some(steps) = &self.rollback {
            md.push_str("\n**Rollback**\n\n");
            for step in steps {
                md.push_str(&format!(
                    "- {}: {}\n",
                    text(&step.worker),
                    text(&step.outcome)
                ));
            }
        }
        md.push_str("\n| phase | seconds |\n|---|---:|\n");
        for t in &self.timings {
            md.push_str(&format!("| {} | {:.1} |\n", t.phase, t.seconds));
        }
        md
    }
}

pub const RECORD_FILE: &str = "record.json";

fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) | cell";

    #[test]
    fn the_summary_shows_hostile_subjects_errors_and_probe_output_as_text() {
        let record = Record {
            environment: "production".into(),
            status: "rolled-back".into(),
            failure: Some(HOSTILE.into()),
            git_sha: "0123456789abcdef".into(),
            message: HOSTILE.into(),
            source_checks: true,
            started_at: 0,
            workers: Vec::new(),
            database: None,
            probes: vec![ProbeRecord {
                phase: "gradual".into(),
                rounds: 1,
                seconds: 1.0,
                failure: Some(HOSTILE.into()),
                checks: Vec::new(),
            }],
            timings: Vec::new(),
            rollback: Some(vec![RollbackStep {
                worker: "api".into(),
                to: None,
                outcome: format!("FAILED: {HOSTILE}"),
            }]),
            warnings: vec![format!("could not drop a key: {HOSTILE}")],
        };

        let md = record.markdown();

        assert!(!md.contains("<img"), "{md}");
        assert!(!md.contains("](javascript:"), "{md}");
        assert!(!md.contains(" | cell"), "a pipe stays escaped: {md}");
        assert_eq!(md.matches("&lt;img").count(), 5, "{md}");
    }
}
