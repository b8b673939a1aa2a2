//! Embeds the workspace `migrations/` directory into the native build, so the embedded
//! SQLite executor applies exactly the files wrangler applies to D1.

use std::{env, error::Error, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let name = entry?
            .file_name()
            .into_string()
            .map_err(|name| format!("migration file name is not UTF-8: {name:?}"))?;
        if name.ends_with(".sql") {
            names.push(name);
        }
    }
    names.sort();
    let mut body = String::new();
    for name in &names {
        let path = dir.join(name).canonicalize()?;
        println!("cargo:rerun-if-changed={}", path.display());
        body.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    let out = PathBuf::from(env::var("OUT_DIR")?).join("migrations.rs");
    fs::write(out, format!("&[\n{body}]\n"))?;
    Ok(())
}
