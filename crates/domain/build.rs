//! Embeds the workspace `migrations/` directory into the native build, so the embedded
//! SQLite executor applies exactly the files wrangler applies to D1.

// A build script runs at compile time, never in a worker: failing loudly is its error path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("migrations directory")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    names.sort();
    let body: String = names
        .iter()
        .map(|name| {
            let path = dir.join(name).canonicalize().unwrap();
            println!("cargo:rerun-if-changed={}", path.display());
            format!(
                "    ({name:?}, include_str!({:?})),\n",
                path.display().to_string()
            )
        })
        .collect();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("migrations.rs");
    fs::write(out, format!("&[\n{body}]\n")).unwrap();
}
