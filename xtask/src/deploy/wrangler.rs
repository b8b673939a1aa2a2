//! wrangler as the engine that talks to Cloudflare: every call is a child process whose
//! result is read from machine output only — the ND-JSON entries it writes to
//! `WRANGLER_OUTPUT_FILE_PATH` (`version-upload`, `version-deploy`, `deploy`,
//! `command-failed`) or the JSON its `--json` commands print — never from its pretty
//! output. Each call's full output is kept in a log file for the deployment artifact.
//!
//! Calls are tokio child processes, each in its own process group: one that outlives
//! [`CALL_TIMEOUT`], or is running when Ctrl-C (or SIGTERM) arrives, is killed with every
//! process it started, and fails. A rollback asks for its calls to run to the end
//! regardless of Ctrl-C ([`Wrangler::finish_despite_interrupts`]).

use super::account::Account;
use crate::workspace::{Workspace, describe};
use crate::{state, supervise};
use anyhow::{Context, Result};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// The longest one wrangler call may take (an upload, an export of a large database).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// A wrangler call that failed, with what its `command-failed` entry said.
#[derive(Debug)]
pub struct Failure {
    pub command: String,
    /// Cloudflare's API error code, when the failure came from the API.
    pub code: Option<u64>,
    pub message: String,
    pub log: PathBuf,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed", self.command)?;
        if let Some(code) = self.code {
            write!(f, " (Cloudflare error {code})")?;
        }
        write!(
            f,
            ": {} (full output in {})",
            self.message,
            self.log.display()
        )
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// Whether `err` is a wrangler failure with one of `codes` (e.g. "not found").
    pub fn has_code(err: &anyhow::Error, codes: &[u64]) -> bool {
        err.downcast_ref::<Failure>()
            .and_then(|f| f.code)
            .is_some_and(|code| codes.contains(&code))
    }

    /// Whether `err` is a wrangler failure whose message contains `text`.
    pub fn says(err: &anyhow::Error, text: &str) -> bool {
        err.downcast_ref::<Failure>()
            .is_some_and(|f| f.message.contains(text))
    }
}

/// Cloudflare's "this Worker does not exist" codes.
pub const WORKER_NOT_FOUND: [u64; 2] = [10007, 10090];

/// What one successful call produced.
#[derive(Debug)]
pub struct Output {
    /// Entries of the output file other than the session header.
    pub entries: Vec<Value>,
    pub stdout: String,
}

impl Output {
    /// The first entry of `kind` (`"version-upload"`, `"deploy"`, ...).
    pub fn entry(&self, kind: &str) -> Result<&Value> {
        self.entries
            .iter()
            .find(|e| e["type"] == kind)
            .with_context(|| format!("wrangler wrote no {kind} entry to its output file"))
    }

    /// The JSON a `--json` command printed.
    pub fn json(&self) -> Result<Value> {
        // With --json the document is all wrangler prints (its banner needs a TTY); start
        // at the first bracket anyway, and require the rest to be exactly one document.
        let start = self
            .stdout
            .find(['[', '{'])
            .context("wrangler printed no JSON")?;
        serde_json::from_str(&self.stdout[start..]).context("wrangler printed malformed JSON")
    }
}

/// Runs wrangler, logging every call under `log_dir`; shared by concurrent calls (one per
/// worker).
pub struct Wrangler<'a> {
    ws: &'a Workspace,
    account: &'a Account,
    log_dir: PathBuf,
    calls: AtomicU32,
    /// Set once a rollback runs: from then on Ctrl-C no longer stops a call.
    despite_interrupts: AtomicBool,
}

impl<'a> Wrangler<'a> {
    /// Calls run in `account`, with its credentials only.
    pub fn new(ws: &'a Workspace, account: &'a Account, log_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(log_dir)
            .with_context(|| format!("creating {}", log_dir.display()))?;
        Ok(Self {
            ws,
            account,
            log_dir: log_dir.to_path_buf(),
            calls: AtomicU32::new(0),
            despite_interrupts: AtomicBool::new(false),
        })
    }

    /// From now on calls run to their end even after Ctrl-C (a rollback must not stop
    /// half way); the timeout still applies.
    pub fn finish_despite_interrupts(&self) {
        self.despite_interrupts.store(true, Ordering::SeqCst);
    }

    /// Runs `wrangler ARGS` and returns its machine output, or a [`Failure`].
    pub async fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Output> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let mut command = state::wrangler(self.ws);
        command.args(args);
        self.account.apply(&mut command);
        let label = describe(&command);
        let slug: String = args
            .iter()
            .take(3)
            .map(|a| {
                a.as_ref()
                    .to_string_lossy()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "")
            })
            .filter(|a| !a.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let output_file = self.log_dir.join(format!("{n:03}-{slug}.ndjson"));
        let log = self.log_dir.join(format!("{n:03}-{slug}.log"));
        // A stale file would mix another call's entries in.
        if output_file.exists() {
            std::fs::remove_file(&output_file)
                .with_context(|| format!("removing {}", output_file.display()))?;
        }
        command
            .env("WRANGLER_OUTPUT_FILE_PATH", &output_file)
            .env("CI", "true")
            .env_remove("WRANGLER_OUTPUT_FILE_DIRECTORY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let interruptible = !self.despite_interrupts.load(Ordering::SeqCst);
        let result = finish(command, &label, &log, CALL_TIMEOUT, interruptible).await?;
        let stdout = String::from_utf8_lossy(&result.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&result.stderr);
        std::fs::write(&log, format!("$ {label}\n{stdout}\n--- stderr\n{stderr}"))
            .with_context(|| format!("writing {}", log.display()))?;
        let entries = read_entries(&output_file)?;
        if !result.status.success() {
            let failed = entries.iter().find(|e| e["type"] == "command-failed");
            let message = failed
                .and_then(|e| e["message"].as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| last_lines(&stderr, 5));
            return Err(Failure {
                command: label,
                code: failed.and_then(|e| e["code"].as_u64()),
                message,
                log,
            }
            .into());
        }
        let entries = entries
            .into_iter()
            .filter(|e| e["type"] != "wrangler-session")
            .collect();
        Ok(Output { entries, stdout })
    }
}

/// Waits for a call, unless it outlives `limit` or (when `interruptible`) Ctrl-C comes
/// first: then its whole process group (wrangler starts node, which may start more) is
/// killed, the log says why, and the call fails.
async fn finish(
    command: Command,
    label: &str,
    log: &Path,
    limit: Duration,
    interruptible: bool,
) -> Result<std::process::Output> {
    let mut command = tokio::process::Command::from(command);
    command.process_group(0).kill_on_drop(true);
    let child = command
        .spawn()
        .with_context(|| format!("could not start `{label}`"))?;
    let group = child
        .id()
        .and_then(|pid| libc::pid_t::try_from(pid).ok())
        .context("wrangler exited before it could be watched")?;
    let stopped = tokio::select! {
        output = child.wait_with_output() => {
            return output.with_context(|| format!("waiting for `{label}`"));
        }
        () = tokio::time::sleep(limit) => format!("timed out after {} s", limit.as_secs_f64()),
        () = crate::runtime::interrupted(), if interruptible => "stopped: interrupted".to_owned(),
    };
    supervise::signal_group(group, libc::SIGKILL);
    std::fs::write(log, format!("$ {label}\n{stopped}\n"))
        .with_context(|| format!("writing {}", log.display()))?;
    Err(Failure {
        command: label.to_owned(),
        code: None,
        message: stopped,
        log: log.to_path_buf(),
    }
    .into())
}

/// The entries of an output file; none when wrangler exited before writing any.
fn read_entries(path: &Path) -> Result<Vec<Value>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .with_context(|| format!("malformed entry in {}", path.display()))
        })
        .collect()
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// `-c CONFIG --env ENV`, the arguments that select one worker's environment.
pub fn target(config: &Path, env: &str) -> Vec<String> {
    vec![
        "-c".into(),
        config.to_string_lossy().into_owned(),
        "--env".into(),
        env.into(),
    ]
}

/// The command a person runs to do the same by hand, for messages.
pub fn shown<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let mut command = Command::new("wrangler");
    command.args(args);
    describe(&command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_call_that_outlives_its_time_is_killed_with_every_process_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("sleep 30 & echo $! > {}; wait", pid_file.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let log = dir.path().join("call.log");

        let err = runtime()
            .block_on(finish(
                command,
                "sh",
                &log,
                Duration::from_millis(300),
                true,
            ))
            .unwrap_err();

        assert!(err.to_string().contains("timed out after 0.3 s"), "{err}");
        let grandchild: libc::pid_t = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Gone, or a zombie nobody reaped yet: either way no longer running.
        let stat = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
        let alive = !stat.is_empty() && !stat.contains(") Z ");
        assert!(!alive, "the background sleep was killed too");
        assert!(std::fs::read_to_string(&log).unwrap().contains("timed out"));
    }

    #[test]
    fn a_call_within_its_time_returns_its_output() {
        let mut command = Command::new("echo");
        command
            .arg("done")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let dir = tempfile::tempdir().unwrap();

        let output = runtime()
            .block_on(finish(
                command,
                "echo",
                &dir.path().join("log"),
                Duration::from_secs(10),
                true,
            ))
            .unwrap();

        assert!(output.status.success());
        assert_eq!(String::from_utf8_lossy(&output.stdout), "done\n");
    }
}
