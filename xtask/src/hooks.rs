//! `cargo xtask hooks install`: a git pre-commit hook running the first checks CI runs
//! (`cargo fmt --check` and clippy with warnings denied), put where git looks for hooks
//! (`git rev-parse --git-path hooks`: `core.hooksPath` and worktrees respected).
//! Installing again changes nothing; a different hook already there is left alone.

use crate::workspace::capture;
use anyhow::{Context, Result, bail};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const PRE_COMMIT: &str = "#!/bin/sh
# Installed by `cargo xtask hooks install`: the checks CI runs first.
set -e
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
";

/// Installs the pre-commit hook of the repository at `root`; returns its path.
pub fn install(root: &Path) -> Result<PathBuf> {
    let hooks = capture(
        Command::new("git")
            .args(["rev-parse", "--git-path", "hooks"])
            .current_dir(root),
    )
    .context("installing hooks needs a git checkout")?;
    let hooks = root.join(hooks.trim());
    std::fs::create_dir_all(&hooks).with_context(|| format!("creating {}", hooks.display()))?;
    let hook = hooks.join("pre-commit");
    match std::fs::read_to_string(&hook) {
        Ok(existing) if existing == PRE_COMMIT => {}
        Ok(_) => bail!(
            "{} exists and is not ours; merge it with `cargo fmt --all --check` and clippy by hand",
            hook.display()
        ),
        Err(_) => std::fs::write(&hook, PRE_COMMIT)
            .with_context(|| format!("writing {}", hook.display()))?,
    }
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", hook.display()))?;
    Ok(hook)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        crate::workspace::run(
            Command::new("git")
                .args(["init", "-q"])
                .current_dir(dir.path()),
        )
        .unwrap();
        dir
    }

    #[test]
    fn installing_twice_leaves_one_executable_hook() {
        let repo = repository();

        let first = install(repo.path()).unwrap();
        let second = install(repo.path()).unwrap();

        assert_eq!(first, second);
        assert_eq!(first, repo.path().join(".git/hooks/pre-commit"));
        assert_eq!(std::fs::read_to_string(&first).unwrap(), PRE_COMMIT);
        let mode = std::fs::metadata(&first).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "executable");
    }

    #[test]
    fn the_hook_goes_where_core_hooks_path_says() {
        let repo = repository();
        crate::workspace::run(
            Command::new("git")
                .args(["config", "core.hooksPath", "tools/hooks"])
                .current_dir(repo.path()),
        )
        .unwrap();

        let hook = install(repo.path()).unwrap();

        assert_eq!(hook, repo.path().join("tools/hooks/pre-commit"));
    }

    #[test]
    fn someone_elses_hook_is_left_alone() {
        let repo = repository();
        let hook = repo.path().join(".git/hooks/pre-commit");
        std::fs::write(&hook, "#!/bin/sh\nmake lint\n").unwrap();

        let err = install(repo.path()).unwrap_err();

        assert!(err.to_string().contains("not ours"), "{err}");
        assert_eq!(
            std::fs::read_to_string(hook).unwrap(),
            "#!/bin/sh\nmake lint\n"
        );
    }
}
