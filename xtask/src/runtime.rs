//! The tokio runtime xtask's deploy commands run on: [`block_on`] runs a command's async
//! body, and [`interrupted`] is the future of Ctrl-C (or SIGTERM), fed by the flag
//! `supervise::handle_interrupts` sets, so synchronous loops and async tasks agree on it.

use crate::supervise;
use anyhow::{Context, Result};
use std::future::Future;
use std::time::Duration;

/// Runs `future` to completion on a fresh multi-threaded runtime (two threads: the work is
/// child processes and HTTP, waiting), with Ctrl-C caught: wrangler calls run in process
/// groups of their own, which the terminal's signal no longer reaches, so it is xtask that
/// stops them.
pub fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    supervise::handle_interrupts()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the tokio runtime")?
        .block_on(future)
}

/// Resolves once Ctrl-C (or SIGTERM) has been received.
pub async fn interrupted() {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while !supervise::interrupted() {
        tick.tick().await;
    }
}
