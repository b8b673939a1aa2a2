//! The local D1 database of a `wrangler dev --persist-to DIR` state directory, opened
//! natively: Miniflare keeps each D1 database as one SQLite file.

use kbc_domain::cache::GENERATION_KEY;
use kbc_domain::db::sqlite::SqliteDatabase;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// A wrangler command run from `wrangler_dir` (where `npm ci` installed it), sending no
/// metrics. Node runs wrangler's CLI itself, with the flags wrangler's launcher would add:
/// that launcher is one more Node process per call (1.25 s instead of 0.84 s for a short
/// command here), and the deploy tests make hundreds of calls. `launch.cjs` adds a V8 code
/// cache of the CLI's bundle, which takes a call down to about 0.55 s.
pub fn wrangler(wrangler_dir: &Path) -> Command {
    let mut command = Command::new("node");
    command
        .args(["--no-warnings", "--experimental-vm-modules"])
        .arg(wrangler_dir.join("launch.cjs"))
        .arg(wrangler_dir.join("node_modules/wrangler/wrangler-dist/cli.js"))
        .current_dir(wrangler_dir)
        .env("WRANGLER_SEND_METRICS", "false");
    command
}

/// Drops the edge copy of the cache generation from the local KV under `state_dir` (what
/// `migrate`, `seed` and `deploy` do after changing data behind the workers' backs), so the
/// workers read the generation the database holds now. Uses wrangler from `wrangler_dir`.
pub fn drop_edge_generation(wrangler_dir: &Path, state_dir: &Path) -> Result<(), String> {
    let status = wrangler(wrangler_dir)
        .args([
            "kv",
            "key",
            "delete",
            GENERATION_KEY,
            "--binding",
            "CACHE",
            "--local",
        ])
        .arg("--persist-to")
        .arg(state_dir)
        .args(["-c", "api.toml"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running wrangler: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "wrangler kv key delete {GENERATION_KEY} failed: {status}"
        ))
    }
}

/// Puts an object into the local R2 bucket of the tests' state, through wrangler.
pub fn put_local_object(key: &str, bytes: &[u8], content_type: &str) {
    put_object(
        &env_path("KBC_WRANGLER_DIR"),
        &env_path("KBC_STATE_DIR"),
        key,
        bytes,
        content_type,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Puts an object into the local R2 bucket under `state`, with wrangler from `wrangler_dir`.
pub fn put_object(
    wrangler_dir: &Path,
    state: &Path,
    key: &str,
    bytes: &[u8],
    content_type: &str,
) -> Result<(), String> {
    let file = std::env::temp_dir().join(format!(
        "kbc-e2e-{}-{}",
        std::process::id(),
        key.replace('/', "_")
    ));
    std::fs::write(&file, bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let status = wrangler(wrangler_dir)
        .args([
            "r2",
            "object",
            "put",
            &format!("kbc-media-local/{key}"),
            "--local",
        ])
        .arg("--persist-to")
        .arg(state)
        .args(["--content-type", content_type, "--file"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running wrangler: {e}"))?;
    let _ = std::fs::remove_file(&file);
    if status.success() {
        Ok(())
    } else {
        Err(format!("uploading {key} to the local R2 failed: {status}"))
    }
}

fn env_path(variable: &str) -> PathBuf {
    std::env::var(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|_| panic!("{variable} is set by `cargo xtask test`"))
}

/// The same, for the tests' state, then a pause while each isolate still remembers the old
/// generation (`GENERATION_MEMO_MS`, one second by default).
pub fn publish_changes_behind_the_workers_backs() {
    drop_edge_generation(&env_path("KBC_WRANGLER_DIR"), &env_path("KBC_STATE_DIR"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

fn state_file() -> PathBuf {
    local_d1_file(&env_path("KBC_STATE_DIR")).unwrap_or_else(|e| panic!("{e}"))
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
