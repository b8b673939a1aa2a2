//! Local state directories (what `wrangler dev --persist-to` reads: D1, KV and R2 simulated
//! on disk by Miniflare): applying migrations with wrangler, finding the D1 SQLite file
//! inside, and wiping a directory to start over.

use crate::workspace::{Workspace, run};
use anyhow::{Context, Result, bail};
use kbc_domain::db::sqlite::SqliteDatabase;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Miniflare keeps D1 databases below a persist directory.
const D1_DIR: &str = "v3/d1/miniflare-D1DatabaseObject";

/// A `wrangler` command run from `wrangler/`, never prompting and sending no metrics.
pub fn wrangler(ws: &Workspace) -> Command {
    let mut command = Command::new(ws.node_bin("wrangler"));
    command
        .current_dir(ws.wrangler_dir())
        .env("WRANGLER_SEND_METRICS", "false");
    command
}

/// Applies pending migrations to the local D1 under `state`. All four wrangler configs bind
/// the same local database id, so applying through one config migrates it for all.
pub fn migrate(ws: &Workspace, state: &Path) -> Result<()> {
    std::fs::create_dir_all(state).with_context(|| format!("creating {}", state.display()))?;
    // stdin is null (see `run`), so wrangler treats the session as non-interactive and
    // never waits on a confirmation prompt.
    run(wrangler(ws)
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(state)
        .arg("-c")
        .arg(ws.wrangler_config("api")))
}

/// The D1 SQLite file wrangler created under `state` (after [`migrate`]).
pub fn d1_file(state: &Path) -> Result<PathBuf> {
    let dir = state.join(D1_DIR);
    let entries = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {} (migrated?)", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_database = path.extension().is_some_and(|ext| ext == "sqlite")
            && path
                .file_name()
                .is_some_and(|name| name != "metadata.sqlite");
        if is_database {
            files.push(path);
        }
    }
    match files.as_slice() {
        [file] => Ok(file.clone()),
        [] => bail!("no D1 database in {}", dir.display()),
        _ => bail!(
            "{} D1 databases in {}; expected one (delete the state directory to start over)",
            files.len(),
            dir.display()
        ),
    }
}

/// Opens the local D1 of a migrated state directory natively.
pub fn open_d1(state: &Path) -> Result<SqliteDatabase> {
    let file = d1_file(state)?;
    SqliteDatabase::open(&file).with_context(|| format!("opening {}", file.display()))
}

/// Deletes a state directory entirely. KV entries are keyed by the database's cache
/// generation, which restarts with a new database, so D1 is never reset alone.
pub fn wipe(state: &Path) -> Result<()> {
    if state.exists() {
        std::fs::remove_dir_all(state).with_context(|| format!("deleting {}", state.display()))?;
    }
    Ok(())
}
