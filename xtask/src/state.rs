//! Local state directories (what `wrangler dev --persist-to` reads: D1, KV and R2 simulated
//! on disk by Miniflare): applying migrations with wrangler, finding the D1 SQLite file
//! inside, and wiping a directory to start over.

use crate::workspace::{Workspace, run};
use anyhow::{Context, Result};
use kbc_domain::db::sqlite::SqliteDatabase;
use std::path::Path;
use std::process::Command;

/// A `wrangler` command run from `wrangler/`, never prompting (stdin is null, see `run`) and
/// sending no metrics.
pub fn wrangler(ws: &Workspace) -> Command {
    kbc_e2e::state::wrangler(&ws.wrangler_dir())
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
        .arg(ws.wrangler_config("api")))?;
    retire_cached_answers(ws, state)
}

/// After data changed behind the workers' backs (migrations, seeding): drop the edge copy of
/// the cache generation, so cached answers of the old data are not served.
pub fn retire_cached_answers(ws: &Workspace, state: &Path) -> Result<()> {
    kbc_e2e::state::drop_edge_generation(&ws.wrangler_dir(), state).map_err(anyhow::Error::msg)
}

/// Opens the local D1 of a migrated state directory natively.
pub fn open_d1(state: &Path) -> Result<SqliteDatabase> {
    let file = kbc_e2e::state::local_d1_file(state).map_err(anyhow::Error::msg)?;
    SqliteDatabase::open(&file).with_context(|| format!("opening {}", file.display()))
}

/// Deletes a state directory entirely. KV entries are keyed by the database's cache
/// generation (mirrored in KV), which restarts with a new database, so D1 is never reset
/// alone.
pub fn wipe(state: &Path) -> Result<()> {
    if state.exists() {
        std::fs::remove_dir_all(state).with_context(|| format!("deleting {}", state.display()))?;
    }
    Ok(())
}
