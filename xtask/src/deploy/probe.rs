//! Health probes of deployed workers: each worker's `/health` must answer 200 with its own
//! name, status `ok` and the git sha being deployed, and the key public endpoints must
//! answer: the API with JSON, the site's home and search with whole HTML pages. During a
//! gradual rollout the probes pin each version with Cloudflare's
//! `Cloudflare-Workers-Version-Overrides` header: the new one, and the old one too, which
//! still serves most traffic and now runs on the new schema.

use crate::supervise;
use crate::workers::Worker;
use anyhow::{Context, Result, bail};
use reqwest::Client;
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, Instant};

/// One worker to probe.
#[derive(Debug, Clone)]
pub struct Target {
    pub worker: Worker,
    /// Its name on Cloudflare (what the version override header names).
    pub script: String,
    pub base_url: String,
    /// Pin this version with the override header (during a gradual rollout).
    pub version_id: Option<String>,
    /// The git sha `/health` must report (`None`: any; the old version's is its own).
    pub expected_sha: Option<String>,
}

/// The outcome of one request.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub worker: &'static str,
    /// The version pinned, if any.
    pub version: Option<String>,
    pub url: String,
    pub ok: bool,
    pub detail: String,
    pub millis: u64,
}

/// Everything one probe window saw.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rounds: u32,
    pub seconds: f64,
    /// The last round's checks (or the failing round's).
    pub checks: Vec<Check>,
    pub failure: Option<String>,
}

/// The pause before a failed check is tried once more.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// What a public endpoint must answer (with status 200).
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// A JSON document (the API).
    Json,
    /// A whole HTML page (the public site).
    Page,
}

/// Public endpoints each worker must answer besides `/health`: the API a client reads and
/// the pages a resident lands on (home and a search, which reach the database).
fn endpoints(worker: Worker) -> &'static [(&'static str, Answer)] {
    match worker {
        Worker::Api => &[
            ("/api/v1/categories", Answer::Json),
            ("/api/v1/businesses?per_page=1", Answer::Json),
            ("/", Answer::Page),
            ("/search?q=restaurant", Answer::Page),
        ],
        Worker::Agent | Worker::Analyzer | Worker::Facebook => &[],
    }
}

fn client() -> Result<Client> {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")
}

/// When a series of probe rounds ends (besides running out of time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// At the first failing check: watching versions that already serve traffic.
    Failure,
    /// At the first round that passes entirely: waiting for a fresh deployment to answer.
    Healthy,
}

/// Probes every target in rounds `interval` apart, for at most `limit` (at least one
/// round), until `until` says to stop. The report's `failure` is the last round's.
pub async fn rounds(
    targets: &[Target],
    limit: Duration,
    interval: Duration,
    until: Until,
) -> Result<Report> {
    let client = client()?;
    let started = Instant::now();
    let mut rounds = 0;
    loop {
        supervise::check_interrupted()?;
        rounds += 1;
        // One check at a time: the local stack's workers share one SQLite file, and
        // a burst of concurrent checks there only measures its locking.
        let mut checks: Vec<Check> = Vec::new();
        for target in targets {
            checks.extend(probe(&client, target).await);
        }
        let failure = checks.iter().find(|c| !c.ok).map(|c| match &c.version {
            Some(version) => format!("{} {} (version {version}): {}", c.worker, c.url, c.detail),
            None => format!("{} {}: {}", c.worker, c.url, c.detail),
        });
        let stop = match until {
            Until::Failure => failure.is_some(),
            Until::Healthy => failure.is_none(),
        };
        if stop || started.elapsed() + interval > limit {
            return Ok(Report {
                rounds,
                seconds: started.elapsed().as_secs_f64(),
                checks,
                failure,
            });
        }
        tokio::time::sleep(interval).await;
    }
}

/// Every check of one worker, once.
async fn probe(client: &Client, target: &Target) -> Vec<Check> {
    let mut checks = vec![
        request(client, target, "/health", |_, text| {
            let body = json(text)?;
            let want = [
                ("worker", Some(target.worker.name())),
                ("status", Some("ok")),
                ("git_sha", target.expected_sha.as_deref()),
            ];
            for (field, expected) in want {
                let Some(expected) = expected else {
                    continue;
                };
                let got = body[field].as_str().unwrap_or("(missing)");
                if got != expected {
                    bail!("{field} is '{got}', expected '{expected}'");
                }
            }
            Ok(())
        })
        .await,
    ];
    for &(path, answer) in endpoints(target.worker) {
        checks.push(
            request(client, target, path, |content_type, text| {
                match answer {
                    Answer::Json => {
                        if json(text)?.is_null() {
                            bail!("empty JSON body");
                        }
                    }
                    Answer::Page => {
                        if !content_type.starts_with("text/html") {
                            bail!("answered {content_type}, not an HTML page");
                        }
                        if !text.trim_end().ends_with("</html>") {
                            bail!("answered an incomplete page ({} bytes)", text.len());
                        }
                    }
                }
                Ok(())
            })
            .await,
        );
    }
    checks
}

fn json(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|err| anyhow::anyhow!("answered 200 without JSON ({err})"))
}

async fn request(
    client: &Client,
    target: &Target,
    path: &str,
    verify: impl Fn(&str, &str) -> Result<()>,
) -> Check {
    let url = format!("{}{path}", target.base_url);
    let started = Instant::now();
    let attempt = async || -> Result<()> {
        let mut call = client.get(&url).header("Cache-Control", "no-cache");
        if let Some(version) = &target.version_id {
            call = call.header(
                "Cloudflare-Workers-Version-Overrides",
                format!("{}=\"{version}\"", target.script),
            );
        }
        let response = call.send().await?;
        let status = response.status().as_u16();
        if status != 200 {
            bail!("answered {status}");
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)")
            .to_owned();
        let text = response.text().await?;
        verify(&content_type, &text)
    };
    // One failed request can be noise (a connection reset, one slow database answer); a
    // check fails when it fails twice in a row.
    let outcome = match attempt().await {
        Ok(()) => Ok(()),
        Err(_) => {
            tokio::time::sleep(RETRY_PAUSE).await;
            attempt().await
        }
    };
    Check {
        worker: target.worker.name(),
        version: target.version_id.clone(),
        url,
        ok: outcome.is_ok(),
        detail: match outcome {
            Ok(()) => "ok".into(),
            Err(err) => format!("{err:#}"),
        },
        millis: started.elapsed().as_millis() as u64,
    }
}
