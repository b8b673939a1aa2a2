//! Conventions that keep the codebase readable, checked on every file by the native tests:
//! each Rust module opens with a `//!` comment saying what it owns, SQL lives only in the
//! domain crate, and no line is longer than 120 characters. (A unit test of the xtask binary,
//! not an integration test: those would make `cargo test` rebuild the very binary that
//! `cargo xtask test` is running.)

use std::path::{Path, PathBuf};

const MAX_LINE: usize = 120;
/// The crates whose code runs in a worker or renders pages, which must hold no SQL.
const NO_SQL: [&str; 7] = [
    "edge", "site", "api", "agent", "analyzer", "facebook", "model",
];
const SQL_WORDS: [&str; 6] = [
    "SELECT ",
    "INSERT INTO",
    "DELETE FROM",
    "CREATE TABLE",
    "CREATE INDEX",
    "DROP TABLE",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Every `.rs` file of the workspace's crates, build outputs and dependencies aside.
fn rust_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !["target", "node_modules", "build", ".git"]
                    .contains(&name.to_str().unwrap_or(""))
                {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("crates"), &mut files);
    walk(&root().join("xtask"), &mut files);
    assert!(files.len() > 50, "found only {} Rust files", files.len());
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_module_opens_with_a_doc_comment_saying_what_it_owns() {
    let undocumented: Vec<String> = rust_files()
        .into_iter()
        .filter(|path| {
            let text = read(path);
            let first = text.lines().find(|line| !line.trim().is_empty());
            !first.is_some_and(|line| line.starts_with("//!"))
        })
        .map(|path| relative(&path))
        .collect();
    assert!(
        undocumented.is_empty(),
        "no `//!` doc at the top: {undocumented:#?}"
    );
}

#[test]
fn sql_is_written_only_in_the_domain_crate() {
    let sources: Vec<PathBuf> = NO_SQL
        .iter()
        .map(|krate| root().join("crates").join(krate).join("src"))
        .collect();
    let mut offenders = Vec::new();
    for path in rust_files() {
        if sources.iter().any(|src| path.starts_with(src)) {
            let text = read(&path);
            // Unit tests may quote SQL (to show a message never leaks it); the code may not.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (number, line) in code.lines().enumerate() {
                if SQL_WORDS.iter().any(|word| line.contains(word)) {
                    offenders.push(format!("{}:{}", relative(&path), number + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "SQL outside kbc-domain: {offenders:#?}"
    );
}

#[test]
fn no_line_is_longer_than_120_characters() {
    let mut long = Vec::new();
    for path in rust_files() {
        for (number, line) in read(&path).lines().enumerate() {
            if line.chars().count() > MAX_LINE {
                long.push(format!("{}:{}", relative(&path), number + 1));
            }
        }
    }
    assert!(
        long.is_empty(),
        "lines over {MAX_LINE} characters: {long:#?}"
    );
}
