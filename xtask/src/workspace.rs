//! Where things are and how child processes are run: the workspace root and its well-known
//! paths, the cargo binary, the git revision stamped into builds, and the one helper that
//! runs a command and turns any failure into an error naming that command.

use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Paths inside the workspace, resolved once from where this crate lives, so every
/// subcommand works from any current directory.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn locate() -> Result<Self> {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir
            .parent()
            .context("xtask must live one level below the workspace root")?
            .to_path_buf();
        Ok(Self { root })
    }

    pub fn wrangler_dir(&self) -> PathBuf {
        self.root.join("wrangler")
    }

    /// An executable installed by `npm ci` in `wrangler/` (wrangler, esbuild, wasm-opt).
    pub fn node_bin(&self, name: &str) -> PathBuf {
        self.wrangler_dir().join("node_modules/.bin").join(name)
    }

    /// The browser tier's Playwright tests and their pinned npm packages.
    pub fn browser_dir(&self) -> PathBuf {
        self.root.join("browser")
    }

    pub fn wrangler_config(&self, worker: &str) -> PathBuf {
        self.wrangler_dir().join(format!("{worker}.toml"))
    }

    pub fn crate_dir(&self, worker: &str) -> PathBuf {
        self.root.join("crates").join(worker)
    }

    pub fn target_dir(&self) -> PathBuf {
        self.root.join("target")
    }

    /// The state directory `dev` and the default `migrate`/`seed` use (gitignored).
    pub fn dev_state_dir(&self) -> PathBuf {
        self.root.join(".state")
    }

    /// Resolves a user-given directory against the current directory, so paths printed and
    /// handed to wrangler (which runs elsewhere) mean what the user typed.
    pub fn absolute(path: &Path) -> Result<PathBuf> {
        if path.is_absolute() {
            Ok(path.to_path_buf())
        } else {
            Ok(std::env::current_dir()
                .context("reading the current directory")?
                .join(path))
        }
    }

    /// The git revision builds are stamped with: `HEAD`, with `-dirty` when the tree has
    /// uncommitted changes, or `unknown` outside a git checkout or without git.
    pub fn git_sha(&self) -> Result<String> {
        let head = Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&self.root)
            .stderr(Stdio::null())
            .output();
        let head = match head {
            Ok(output) if output.status.success() => {
                String::from_utf8_lossy(&output.stdout).trim().to_owned()
            }
            // No git binary, or not a repository (a source tarball): nothing to stamp.
            _ => return Ok("unknown".to_owned()),
        };
        let status = capture(
            Command::new("git")
                .args(["status", "--porcelain"])
                .current_dir(&self.root),
        )?;
        Ok(if status.trim().is_empty() {
            head
        } else {
            format!("{head}-dirty")
        })
    }
}

/// The cargo that is running us (so nested builds use the same toolchain).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin_dir() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home).join("bin"));
    }
    let home = std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cargo/bin"))
}

/// `program arg1 arg2 ...` for messages. Environment values are never shown (they may hold
/// secrets).
pub fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy();
    let program = Path::new(program.as_ref())
        .file_name()
        .map_or(program.to_string(), |name| {
            name.to_string_lossy().into_owned()
        });
    std::iter::once(program)
        .chain(
            command
                .get_args()
                .map(|arg: &OsStr| arg.to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a command with inherited output and fails, naming it, unless it exits 0.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("could not start `{}`", describe(command)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs a command and returns its stdout; on failure the error names the command and
/// carries its stderr.
pub fn capture(command: &mut Command) -> Result<String> {
    let Output {
        status,
        stdout,
        stderr,
    } = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{}`", describe(command)))?;
    if !status.success() {
        bail!(
            "`{}` failed ({status}): {}",
            describe(command),
            String::from_utf8_lossy(&stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// Seconds with one decimal, for progress lines.
pub fn seconds(elapsed: std::time::Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The UTC calendar date of a Unix time, `YYYY-MM-DD`.
pub fn utc_date(unix: i64) -> String {
    let (year, month, day) = kbc_domain::hours::civil_from_days(unix.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_735_689_600), "2025-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
    }
}
