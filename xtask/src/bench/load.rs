//! A bounded closed-loop load generator: a fixed number of GET requests to a loopback
//! server, spread over a fixed number of threads, each thread with its own keep-alive
//! connection, every request's latency recorded.

use crate::supervise;
use anyhow::{Context, Result, anyhow};
use reqwest::blocking::Client;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How many failing requests are described in an error report.
const DESCRIBED_FAILURES: usize = 5;

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct Measured {
    pub requests: usize,
    /// Responses other than 200, and transport failures.
    pub errors: usize,
    /// The first few failures, as `GET path: what happened`.
    pub failures: Vec<String>,
    pub elapsed: Duration,
    /// Sorted ascending.
    latencies: Vec<Duration>,
}

impl Measured {
    /// A result of `requests` equal latencies over `elapsed`, for tests of what reads results.
    #[cfg(test)]
    pub fn fixed(requests: usize, elapsed: Duration) -> Self {
        Self {
            requests,
            errors: 0,
            failures: Vec::new(),
            elapsed,
            latencies: vec![elapsed; requests],
        }
    }

    /// The result of requests sent one at a time, each taking one of `latencies`.
    pub fn of(mut latencies: Vec<Duration>, elapsed: Duration) -> Self {
        latencies.sort();
        Self {
            requests: latencies.len(),
            errors: 0,
            failures: Vec::new(),
            elapsed,
            latencies,
        }
    }

    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile in milliseconds (`q` in 0..=1).
    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = (q * self.latencies.len() as f64).ceil().max(1.0) as usize;
        self.latencies[rank.min(self.latencies.len()) - 1].as_secs_f64() * 1000.0
    }
}

/// Sends `requests` GETs to `base` + `paths[i % paths.len()]` from `concurrency` threads,
/// as a tool (no `User-Agent`), which the site's analytics do not count.
pub fn run(base: &str, paths: &[String], requests: usize, concurrency: usize) -> Result<Measured> {
    run_as(base, paths, requests, concurrency, None)
}

/// [`run`] with a browser's `User-Agent`, so each page view is a visit the analytics count.
pub fn run_as(
    base: &str,
    paths: &[String],
    requests: usize,
    concurrency: usize,
    user_agent: Option<&str>,
) -> Result<Measured> {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new((0usize, Vec::new()));
    // One client per thread, so each keeps its own keep-alive connection.
    let clients: Vec<Client> = (0..concurrency)
        .map(|_| {
            let builder = Client::builder().timeout(Duration::from_secs(30));
            match user_agent {
                Some(agent) => builder.user_agent(agent),
                None => builder,
            }
            .build()
            .context("building the HTTP client")
        })
        .collect::<Result<_>>()?;
    let started = Instant::now();
    let per_thread: Vec<Vec<Duration>> = thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter()
            .map(|client| {
                scope.spawn(|| client_loop(client, base, paths, requests, &next, &failures))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().map_err(|_| anyhow!("a load thread panicked")))
            .collect::<Result<_>>()
    })?;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = per_thread.into_iter().flatten().collect();
    latencies.sort_unstable();
    let (errors, failures) = failures
        .into_inner()
        .map_err(|_| anyhow!("a load thread panicked"))?;
    Ok(Measured {
        requests,
        errors,
        failures,
        elapsed,
        latencies,
    })
}

fn client_loop(
    client: &Client,
    base: &str,
    paths: &[String],
    requests: usize,
    next: &AtomicUsize,
    failures: &Mutex<(usize, Vec<String>)>,
) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(requests);
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= requests || supervise::interrupted() {
            return latencies;
        }
        let path = &paths[index % paths.len()];
        let url = format!("{base}{path}");
        let sent = Instant::now();
        // The body is read to the end so the connection goes back to the pool.
        let failure = match client.get(&url).send() {
            Ok(response) => {
                let status = response.status();
                match response.bytes() {
                    Ok(_) if status == 200 => None,
                    Ok(_) => Some(format!("status {status}")),
                    Err(err) => Some(format!("reading the body: {err}")),
                }
            }
            Err(err) => Some(err.to_string()),
        };
        latencies.push(sent.elapsed());
        if let Some(what) = failure {
            let mut failures = failures
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            failures.0 += 1;
            if failures.1.len() < DESCRIBED_FAILURES {
                failures.1.push(format!("GET {path}: {what}"));
            }
        }
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters pass through).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(millis: &[u64]) -> Measured {
        let mut latencies: Vec<Duration> =
            millis.iter().map(|&m| Duration::from_millis(m)).collect();
        latencies.sort_unstable();
        Measured {
            requests: millis.len(),
            errors: 0,
            failures: Vec::new(),
            elapsed: Duration::from_secs(2),
            latencies,
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let m = measured(&(1..=100).collect::<Vec<_>>());
        assert_eq!(m.percentile_ms(0.5), 50.0);
        assert_eq!(m.percentile_ms(0.99), 99.0);
        assert_eq!(m.percentile_ms(1.0), 100.0);
        assert_eq!(measured(&[7]).percentile_ms(0.99), 7.0);
        assert_eq!(m.requests_per_second(), 50.0);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("bed and breakfast"), "bed%20and%20breakfast");
        assert_eq!(encode("de-queen"), "de-queen");
        assert_eq!(encode("a&b=c"), "a%26b%3Dc");
    }
}
