//! `cargo xtask build`: compiles workers to wasm with `worker-build --release`, pointing it
//! at the local wasm-bindgen, esbuild and wasm-opt (it would otherwise download them), and
//! stamps the git revision in. Then reports bundle sizes and enforces the size budget.

use crate::workers::Worker;
use crate::workspace::{self, Workspace, run};
use anyhow::{Context, Result, bail};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

/// Cloudflare measures a worker by its gzip-compressed upload; we keep well under the limit.
pub const GZIP_BUDGET: u64 = 1024 * 1024;
/// Written next to each bundle: the git revision stamped into it, which `deploy
/// --prebuilt` and the deploy probes rely on.
pub const STAMP_FILE: &str = "git-sha";

/// One built worker's bundle, as uploaded.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub worker: Worker,
    pub wasm_raw: u64,
    pub wasm_gzip: u64,
    pub js_raw: u64,
    pub total_gzip: u64,
    pub build_time: Duration,
}

/// Builds `workers` one after another (the machines have two cores; parallel wasm builds
/// only thrash), prints the size table and fails if any bundle is over budget.
pub fn build(ws: &Workspace, workers: &[Worker]) -> Result<Vec<Bundle>> {
    let sha = ws.git_sha()?;
    let mut bundles = Vec::with_capacity(workers.len());
    for &worker in workers {
        println!("… building {worker} (git {sha})");
        let started = Instant::now();
        run(&mut worker_build(ws, worker, &sha)?)?;
        let dir = ws.crate_dir(worker.name()).join("build");
        std::fs::write(dir.join(STAMP_FILE), &sha)
            .with_context(|| format!("writing the build stamp of {worker}"))?;
        bundles.push(measure_dir(worker, &dir, started.elapsed())?);
    }
    print!("{}", size_table(&bundles));
    let over: Vec<String> = bundles
        .iter()
        .filter(|b| b.total_gzip > GZIP_BUDGET)
        .map(|b| format!("{} ({})", b.worker, human(b.total_gzip)))
        .collect();
    if !over.is_empty() {
        bail!(
            "over the {} gzip budget: {}",
            human(GZIP_BUDGET),
            over.join(", ")
        );
    }
    Ok(bundles)
}

fn worker_build(ws: &Workspace, worker: Worker, sha: &str) -> Result<Command> {
    let node_bin = ws.wrangler_dir().join("node_modules/.bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(node_bin).chain(std::env::split_paths(&path)))
        .context("building PATH")?;
    let cargo_bin = workspace::cargo_bin_dir()?;
    let mut command = Command::new(cargo_bin.join("worker-build"));
    command
        .arg("--release")
        .current_dir(ws.crate_dir(worker.name()))
        .env("WASM_BINDGEN_BIN", cargo_bin.join("wasm-bindgen"))
        .env("ESBUILD_BIN", ws.node_bin("esbuild"))
        .env("WASM_OPT_BIN", ws.node_bin("wasm-opt"))
        .env("PATH", path)
        .env("KBC_GIT_SHA", sha);
    Ok(command)
}

/// Sizes of the bundle built into `dir`.
pub fn measure_dir(worker: Worker, dir: &std::path::Path, build_time: Duration) -> Result<Bundle> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let wasm = read("index_bg.wasm")?;
    let js = read("index.js")?;
    let wasm_gzip = gzip_len(&wasm)?;
    Ok(Bundle {
        worker,
        wasm_raw: wasm.len() as u64,
        wasm_gzip,
        js_raw: js.len() as u64,
        total_gzip: wasm_gzip + gzip_len(&js)?,
        build_time,
    })
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

/// The size table, as printed and as written to docs/BENCHMARKS.md (markdown).
pub fn size_table(bundles: &[Bundle]) -> String {
    let mut table = String::from(
        "| worker | wasm raw | wasm gzip | js raw | total gzip | build |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for b in bundles {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            b.worker,
            human(b.wasm_raw),
            human(b.wasm_gzip),
            human(b.js_raw),
            human(b.total_gzip),
            workspace::seconds(b.build_time),
        ));
    }
    table
}

/// `812.4 KiB`, `1.23 MiB`.
pub fn human(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let bytes = bytes as f64;
    if bytes >= KIB * KIB {
        format!("{:.2} MiB", bytes / KIB / KIB)
    } else {
        format!("{:.1} KiB", bytes / KIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_kib_below_a_mib_and_mib_above() {
        assert_eq!(human(24_400), "23.8 KiB");
        assert_eq!(human(GZIP_BUDGET), "1.00 MiB");
    }

    #[test]
    fn gzip_shrinks_repetitive_input() {
        let input = vec![b'a'; 100_000];
        assert!(gzip_len(&input).unwrap() < 1_000);
    }
}
