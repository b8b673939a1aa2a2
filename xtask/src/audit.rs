//! `cargo xtask audit`: known vulnerabilities in the dependencies — the Rust ones in
//! Cargo.lock against the RustSec advisory database (`cargo audit`, installed from
//! crates.io when missing; any advisory fails) and the npm packages of wrangler/ and
//! browser/ (`npm audit`; high severity or above fails). Every audit runs, whatever the
//! ones before found.

use crate::workspace::{Workspace, cargo, run};
use anyhow::{Result, bail};
use std::process::{Command, Stdio};

pub fn run_all(ws: &Workspace) -> Result<()> {
    let has_cargo_audit = cargo()
        .args(["audit", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let mut failed = Vec::new();
    let rust = if has_cargo_audit {
        Ok(())
    } else {
        println!("… installing cargo-audit (takes a few minutes)");
        run(cargo().args(["install", "cargo-audit", "--locked"]))
    }
    .and_then(|()| run(cargo().arg("audit").current_dir(&ws.root)));
    if let Err(err) = rust {
        eprintln!("✗ {err:#}");
        failed.push("Rust dependencies (cargo audit)");
    }
    for (dir, what) in [
        (ws.wrangler_dir(), "wrangler/ (npm audit)"),
        (ws.browser_dir(), "browser/ (npm audit)"),
    ] {
        let npm = run(Command::new("npm")
            .args(["audit", "--audit-level=high"])
            .current_dir(dir));
        if let Err(err) = npm {
            eprintln!("✗ {err:#}");
            failed.push(what);
        }
    }
    if !failed.is_empty() {
        bail!("vulnerable or unauditable: {}", failed.join(", "));
    }
    println!("✓ no known vulnerabilities (Rust: any; npm: high or above)");
    Ok(())
}
