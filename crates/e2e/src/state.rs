//! The local D1 database of a `wrangler dev --persist-to DIR` state directory, opened
//! natively: Miniflare keeps each D1 database as one SQLite file.

use kbc_domain::db::sqlite::SqliteDatabase;
use std::path::{Path, PathBuf};

/// The SQLite file of the single D1 database persisted under `state_dir`.
pub fn local_d1_file(state_dir: &Path) -> Result<PathBuf, String> {
    let dir = state_dir.join("v3/d1/miniflare-D1DatabaseObject");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e} (run the migrations first)", dir.display()))?;
    let files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sqlite"))
        .filter(|path| path.file_stem().is_some_and(|stem| stem != "metadata"))
        .collect();
    match files.as_slice() {
        [file] => Ok(file.clone()),
        [] => Err(format!(
            "no D1 database under {} (run the migrations first)",
            dir.display()
        )),
        _ => Err(format!("more than one D1 database under {}", dir.display())),
    }
}

fn state_file() -> PathBuf {
    let dir = std::env::var("KBC_STATE_DIR").expect("KBC_STATE_DIR is set by `cargo xtask test`");
    local_d1_file(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"))
}

/// The database the workers under test use, read-only, so checking it never stalls them.
pub fn database() -> SqliteDatabase {
    let file = state_file();
    SqliteDatabase::open_read_only(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The same database for writing, to change data behind the workers' backs. Tests that use
/// it must not run while the workers write (see `tests/workers.rs`).
pub fn writable_database() -> SqliteDatabase {
    let file = state_file();
    SqliteDatabase::open(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}
