//! `cargo xtask setup`: installs the toolchain the workers need, from the package
//! registries only, and only what is missing, so a second run takes seconds.
//!
//! - the `wasm32-unknown-unknown` rustup target;
//! - `worker-build` and `wasm-bindgen-cli` from crates.io (wasm-bindgen-cli at exactly the
//!   `wasm-bindgen` version in Cargo.lock, which its output format must match);
//! - wrangler, esbuild and binaryen from npm, pinned by `wrangler/package-lock.json`;
//! - for the browser tier: Debian's `chromium` (apt-get) and `playwright-core` from npm,
//!   pinned by `browser/package-lock.json`;
//! - for the conformance tier: Schemathesis from PyPI, pinned by
//!   `conformance/requirements.txt`, in its own virtual environment under `target/tools/`.

use crate::workspace::{self, Workspace, capture, run};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// Written into what an install filled (`node_modules/`, a venv): the hash of the pins it installed.
const LOCK_HASH_FILE: &str = ".kbc-lock-hash";
/// Where the browser tier looks for a Chromium when `KBC_CHROMIUM` names none: Debian's
/// `chromium` package (what setup installs), then Google Chrome (on GitHub's runners).
const CHROMIUMS: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/google-chrome"];

/// Everything `build`, `dev`, `test` and `bench` need.
pub fn all(ws: &Workspace) -> Result<()> {
    wasm_target()?;
    worker_build()?;
    wasm_bindgen(ws)?;
    node_tools(ws)
}

fn wasm_target() -> Result<()> {
    let installed = capture(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("… adding the {WASM_TARGET} target");
        run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    println!("✓ wasm32 target");
    Ok(())
}

fn worker_build() -> Result<()> {
    let bin = workspace::cargo_bin_dir()?.join("worker-build");
    if installed_version(&bin).as_deref() != Some(WORKER_BUILD_VERSION) {
        println!("… installing worker-build {WORKER_BUILD_VERSION} (takes ~5 min)");
        run(workspace::cargo().args([
            "install",
            "worker-build",
            "--version",
            WORKER_BUILD_VERSION,
            "--locked",
        ]))?;
    }
    println!("✓ worker-build {WORKER_BUILD_VERSION}");
    Ok(())
}

fn wasm_bindgen(ws: &Workspace) -> Result<()> {
    let lock = std::fs::read_to_string(ws.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let version = locked_version(&lock, "wasm-bindgen")
        .context("Cargo.lock has no wasm-bindgen package; is `worker` still a dependency?")?;
    let bin = workspace::cargo_bin_dir()?.join("wasm-bindgen");
    if installed_version(&bin).as_deref() != Some(version.as_str()) {
        println!("… installing wasm-bindgen-cli {version} (takes ~3 min)");
        // Without --locked: its lock file pins a webpki-roots release the registry no
        // longer serves, so a locked install cannot resolve.
        run(workspace::cargo().args(["install", "wasm-bindgen-cli", "--version", &version]))?;
    }
    println!("✓ wasm-bindgen {version}");
    Ok(())
}

/// wrangler, esbuild and wasm-opt, which `migrate` and `seed` need as well.
pub fn node_tools(ws: &Workspace) -> Result<()> {
    npm_ci(
        &ws.wrangler_dir(),
        "wrangler, esbuild and binaryen",
        &ws.node_bin("wrangler"),
    )?;
    for tool in ["wrangler", "esbuild", "wasm-opt"] {
        if !ws.node_bin(tool).exists() {
            bail!("npm ci finished but wrangler/node_modules/.bin/{tool} is missing");
        }
    }
    println!("✓ wrangler, esbuild, wasm-opt (npm)");
    Ok(())
}

/// What the browser tier needs: Chromium and the Playwright client that drives it.
pub fn browser_tools(ws: &Workspace) -> Result<()> {
    chromium()?;
    let dir = ws.browser_dir();
    npm_ci(
        &dir,
        "playwright-core",
        &dir.join("node_modules/playwright-core/package.json"),
    )?;
    println!("✓ playwright-core (npm)");
    Ok(())
}

/// Schemathesis in a virtual environment of its own, reinstalled only when
/// `conformance/requirements.txt` changes; returns its executable.
pub fn conformance_tools(ws: &Workspace) -> Result<PathBuf> {
    let requirements = ws.root.join("conformance/requirements.txt");
    let venv = ws.target_dir().join("tools/schemathesis");
    let bin = venv.join("bin/schemathesis");
    install_once(&requirements, &venv, &bin, "Schemathesis", || {
        run(Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv))
        .context("Python 3 with its venv module is needed for the conformance tier")?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements))
    })?;
    let version = capture(Command::new(&bin).arg("--version"))?;
    println!("✓ {}", version.trim());
    Ok(bin)
}

/// The Chromium the browser tier drives: `KBC_CHROMIUM` when set, else the first of
/// [`CHROMIUMS`] present.
pub fn chromium_path() -> Result<PathBuf> {
    if let Some(chosen) = std::env::var_os("KBC_CHROMIUM").filter(|v| !v.is_empty()) {
        let chosen = PathBuf::from(chosen);
        if !chosen.exists() {
            bail!(
                "KBC_CHROMIUM names {}, which does not exist",
                chosen.display()
            );
        }
        return Ok(chosen);
    }
    CHROMIUMS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .with_context(|| {
            format!(
                "no Chromium at {}: run `cargo xtask setup`",
                CHROMIUMS.join(" or ")
            )
        })
}

/// A Chromium for the browser tier; when there is none, Debian's `chromium` package is
/// installed with apt-get (through `sudo` when not root, as on CI runners). Playwright
/// drives it over its DevTools pipe, so no chromedriver is needed.
fn chromium() -> Result<()> {
    if std::env::var_os("KBC_CHROMIUM").is_some_and(|v| !v.is_empty()) {
        // A wrong KBC_CHROMIUM is a mistake to report, not a reason to install another.
        chromium_path()?;
    } else if chromium_path().is_err() {
        if Command::new("apt-get").arg("--version").output().is_err() {
            bail!(
                "no Chromium found and apt-get is not available: the browser tests need \
                 Debian's `chromium` package, or KBC_CHROMIUM naming a Chromium or Chrome"
            );
        }
        println!("… installing chromium (apt-get)");
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let apt = |args: &[&str]| {
            let mut command = if root {
                Command::new("apt-get")
            } else {
                let mut sudo = Command::new("sudo");
                sudo.args([
                    "--non-interactive",
                    "--preserve-env=DEBIAN_FRONTEND",
                    "apt-get",
                ]);
                sudo
            };
            run(command.args(args).env("DEBIAN_FRONTEND", "noninteractive")).context(
                "installing Debian's chromium needs apt-get as root (or passwordless sudo)",
            )
        };
        apt(&["update"])?;
        apt(&["install", "-y", "chromium"])?;
    }
    let path = chromium_path()?;
    let version = capture(Command::new(&path).arg("--version"))?;
    println!("✓ {} ({})", version.trim(), path.display());
    Ok(())
}

/// `npm ci` in `dir` unless `node_modules` already holds what its lock file pins (a hash of
/// the lock file is kept there) and `installed` exists.
fn npm_ci(dir: &Path, what: &str, installed: &Path) -> Result<()> {
    let lock_file = dir.join("package-lock.json");
    install_once(
        &lock_file,
        &dir.join("node_modules"),
        installed,
        what,
        || {
            run(Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir))
            .with_context(|| format!("Node.js and npm are needed for {what}"))
        },
    )
}

/// Runs `install` unless `installed` exists and `into` records (in [`LOCK_HASH_FILE`]) that
/// it was installed from exactly this `pins` file; records it afterwards.
fn install_once(
    pins: &Path,
    into: &Path,
    installed: &Path,
    what: &str,
    install: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let pinned = std::fs::read(pins).with_context(|| format!("reading {}", pins.display()))?;
    let wanted = hex::encode(Sha256::digest(&pinned));
    let marker = into.join(LOCK_HASH_FILE);
    let current = std::fs::read_to_string(&marker).unwrap_or_default();
    if current.trim() != wanted || !installed.exists() {
        println!("… installing {what} from {}", pins.display());
        install()?;
        std::fs::write(&marker, &wanted)
            .with_context(|| format!("writing {}", marker.display()))?;
    }
    Ok(())
}

/// The version a tool reports for itself (`worker-build 0.8.7`, `wasm-bindgen 0.2.130` or
/// just `0.8.7`), or `None` when it is not installed or does not run.
fn installed_version(bin: &Path) -> Option<String> {
    let output = Command::new(bin).arg("--version").output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .last()
        .map(str::to_owned)
}

/// The version of package `name` recorded in a Cargo.lock.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|rest| rest.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_version_reads_the_exact_package() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "worker"), None);
    }
}
