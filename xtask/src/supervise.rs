//! Supervision of `wrangler dev` children for `dev`, `test` and `bench`: each worker runs in
//! its own process group, is waited on until `/health` answers, has its output streamed
//! with a prefix or written to a log file, and is stopped through its whole group.
//!
//! Killing only the wrangler (node) process would leave workerd holding the port, so a
//! [`Fleet`] signals process groups, SIGTERM first and SIGKILL after a grace period, and
//! does so from `Drop` too: whatever way a task ends, no workerd outlives it.

use crate::state;
use crate::workers::Worker;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Turns Ctrl-C (and SIGTERM) into a flag the long-running loops poll, so they can stop
/// their children before exiting. Children run in their own process groups and so do not
/// receive the terminal's SIGINT themselves.
/// Installing it again is a no-op.
pub fn handle_interrupts() -> Result<()> {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")
}

/// Whether Ctrl-C has been pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Fails once Ctrl-C has been pressed.
pub fn check_interrupted() -> Result<()> {
    if interrupted() {
        bail!("interrupted");
    }
    Ok(())
}

/// How one worker is started.
#[derive(Debug, Clone)]
pub struct Spec {
    pub worker: Worker,
    pub port: u16,
    /// `--var NAME:VALUE` overrides.
    pub vars: Vec<(&'static str, String)>,
}

impl Spec {
    pub fn new(worker: Worker, port: u16) -> Self {
        Self {
            worker,
            port,
            vars: Vec::new(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// workerd's devtools port. Each worker needs its own: left to the default (9229),
    /// workers starting together race for it and the losers fail to start.
    fn inspector_port(&self) -> u16 {
        self.port + 1_000
    }
}

/// Where the children's output goes.
#[derive(Debug, Clone)]
pub enum Logs {
    /// Streamed to our terminal, each line prefixed with the worker's name.
    Terminal,
    /// Written to `<dir>/<worker>.log`, shown (the tail) only when something fails.
    Files(PathBuf),
}

struct Running {
    spec: Spec,
    child: Child,
    /// The child's pid, which is also its process group id.
    group: libc::pid_t,
    log: Option<PathBuf>,
}

/// Running workers; stopping them (explicitly or on drop) kills every process group.
pub struct Fleet {
    running: Vec<Running>,
}

impl Fleet {
    /// Starts `wrangler dev` for each spec against the state directory `state_dir`, and
    /// returns once every worker answers `GET /health` with 200.
    pub fn start(ws: &Workspace, state_dir: &Path, specs: &[Spec], logs: &Logs) -> Result<Self> {
        for spec in specs {
            for port in [spec.port, spec.inspector_port()] {
                if !port_is_free(port) {
                    bail!(
                        "port {port} for {} is in use (is another `cargo xtask dev`, `test` or `bench` running?)",
                        spec.worker
                    );
                }
            }
        }
        if let Logs::Files(dir) = logs {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut fleet = Self {
            running: Vec::with_capacity(specs.len()),
        };
        // One at a time: workerd processes that open the shared D1 file together can hit
        // SQLITE_BUSY while starting, so each worker answers /health before the next starts.
        for spec in specs {
            fleet.running.push(spawn(ws, state_dir, spec, logs)?);
            fleet.wait_healthy(fleet.running.len() - 1, HEALTH_TIMEOUT)?;
        }
        Ok(fleet)
    }

    /// Waits until every worker from index `first` on answers `GET /health` with 200.
    fn wait_healthy(&mut self, first: usize, timeout: Duration) -> Result<()> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the HTTP client")?;
        let deadline = Instant::now() + timeout;
        let mut pending: Vec<usize> = (first..self.running.len()).collect();
        while !pending.is_empty() {
            check_interrupted()?;
            let mut still_pending = Vec::new();
            for index in pending {
                let running = &mut self.running[index];
                if let Some(status) = running.child.try_wait()? {
                    bail!(
                        "{} (wrangler dev) exited with {status} before answering /health{}",
                        running.spec.worker,
                        log_tail(running.log.as_deref())
                    );
                }
                let url = format!("{}/health", running.spec.url());
                match client.get(&url).send() {
                    Ok(response) if response.status() == 200 => {
                        println!(
                            "✓ {} healthy at {}",
                            running.spec.worker,
                            running.spec.url()
                        );
                    }
                    _ => still_pending.push(index),
                }
            }
            pending = still_pending;
            if !pending.is_empty() {
                if Instant::now() > deadline {
                    let names: Vec<String> = pending
                        .iter()
                        .map(|&i| {
                            let running = &self.running[i];
                            format!(
                                "{}{}",
                                running.spec.worker,
                                log_tail(running.log.as_deref())
                            )
                        })
                        .collect();
                    bail!(
                        "no healthy answer within {} s from: {}",
                        timeout.as_secs(),
                        names.join("; ")
                    );
                }
                thread::sleep(Duration::from_millis(250));
            }
        }
        Ok(())
    }

    /// Blocks until Ctrl-C (`Ok`) or until any worker exits on its own (an error naming it).
    pub fn watch(&mut self) -> Result<()> {
        loop {
            if interrupted() {
                println!("\n… Ctrl-C: stopping the workers");
                return Ok(());
            }
            for running in &mut self.running {
                if let Some(status) = running.child.try_wait()? {
                    bail!(
                        "{} (wrangler dev) exited with {status}",
                        running.spec.worker
                    );
                }
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops every worker's process group: SIGTERM, then SIGKILL for what is left after a
    /// grace period. Returns an error if a group survives even SIGKILL.
    pub fn stop(&mut self) -> Result<()> {
        for running in &self.running {
            signal_group(running.group, libc::SIGTERM);
        }
        let grace = Instant::now() + Duration::from_secs(5);
        while Instant::now() < grace && self.any_alive() {
            thread::sleep(Duration::from_millis(100));
        }
        if self.any_alive() {
            for running in &self.running {
                signal_group(running.group, libc::SIGKILL);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && self.any_alive() {
                thread::sleep(Duration::from_millis(100));
            }
        }
        let survivors: Vec<String> = self
            .running
            .iter_mut()
            .filter_map(|r| group_alive(r).then(|| r.spec.worker.to_string()))
            .collect();
        self.running.clear();
        if !survivors.is_empty() {
            bail!(
                "process groups still alive after SIGKILL: {}",
                survivors.join(", ")
            );
        }
        Ok(())
    }

    fn any_alive(&mut self) -> bool {
        self.running.iter_mut().any(group_alive)
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if !self.running.is_empty()
            && let Err(err) = self.stop()
        {
            eprintln!("✗ stopping workers: {err:#}");
        }
    }
}

/// wrangler dev needs a few seconds per worker, more when four start at once on two cores.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(120);

fn spawn(ws: &Workspace, state_dir: &Path, spec: &Spec, logs: &Logs) -> Result<Running> {
    let mut command = state::wrangler(ws);
    command
        .arg("dev")
        .arg("-c")
        .arg(ws.wrangler_config(spec.worker.name()))
        .arg("--persist-to")
        .arg(state_dir)
        .args(["--ip", "127.0.0.1", "--port", &spec.port.to_string()])
        .args(["--inspector-port", &spec.inspector_port().to_string()])
        .args(["--test-scheduled", "--show-interactive-dev-session=false"])
        // Service bindings (the agent's to the analyzer) connect through wrangler's dev
        // registry: one per state directory, so a `dev` stack and a test run side by side
        // never reach each other's workers of the same name.
        .env("WRANGLER_REGISTRY_PATH", state_dir.join("dev-registry"));
    for (name, value) in &spec.vars {
        command.arg("--var").arg(format!("{name}:{value}"));
    }
    command.stdin(Stdio::null()).process_group(0);
    let log = match logs {
        Logs::Terminal => {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            None
        }
        Logs::Files(dir) => {
            let path = dir.join(format!("{}.log", spec.worker));
            let file =
                File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            command.stdout(file.try_clone()?).stderr(file);
            Some(path)
        }
    };
    let mut child = command
        .spawn()
        .with_context(|| format!("starting wrangler dev for {}", spec.worker))?;
    let prefix = format!("[{:<8}]", spec.worker.name());
    if let Some(stdout) = child.stdout.take() {
        pump(stdout, prefix.clone());
    }
    if let Some(stderr) = child.stderr.take() {
        pump(stderr, prefix);
    }
    let group = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    Ok(Running {
        spec: spec.clone(),
        child,
        group,
        log,
    })
}

/// Copies a child's output to our stdout line by line, prefixed; ends with the stream.
fn pump(stream: impl Read + Send + 'static, prefix: String) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            match line {
                Ok(line) => println!("{prefix} {line}"),
                Err(_) => break,
            }
        }
    });
}

pub fn signal_group(group: libc::pid_t, signal: libc::c_int) {
    // SAFETY: killpg only sends a signal; a group that is already gone yields ESRCH, which
    // is exactly the state we want.
    unsafe {
        libc::killpg(group, signal);
    }
}

/// Reaps the direct child if it exited, then asks the kernel whether any process of the
/// group is left (signal 0 checks without sending).
fn group_alive(running: &mut Running) -> bool {
    // A zombie still counts as a group member, so reap the direct child first. Should
    // waitpid itself fail, the group check below still tells the truth.
    let _ = running.child.try_wait();
    // SAFETY: signal 0 performs only the existence and permission check.
    unsafe { libc::killpg(running.group, 0) == 0 }
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Waits until every port can be bound again; fails naming those that cannot.
pub fn wait_ports_free(ports: &[u16], timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let busy: Vec<u16> = ports
            .iter()
            .copied()
            .filter(|&port| !port_is_free(port))
            .collect();
        if busy.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("ports still in use after stopping the workers: {busy:?}");
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// The last lines of a log file, for error messages.
fn log_tail(log: Option<&Path>) -> String {
    let Some(path) = log else {
        return String::new();
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n    ");
            format!("\n  last lines of {}:\n    {tail}", path.display())
        }
        Err(err) => format!(" (could not read {}: {err})", path.display()),
    }
}
