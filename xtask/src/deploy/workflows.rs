//! The GitHub workflows, held to their rules: thin (every `run` step is exactly one
//! `cargo xtask` call, `exec`ed at most, every other step an allowed official action
//! pinned to a commit), tokens held only by the steps that use them, after every install,
//! and nothing allowed to fail silently (no `continue-on-error`, no `|| true`-style escapes, no `always()`
//! except to keep an artifact); preview never for forks and only in the preview account;
//! production only after CI succeeded, behind the `production` environment, one at a time.

use serde_yaml::Value;
use std::path::Path;

fn workflow(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.github/workflows")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parsing {name}: {e}"))
}

fn jobs(workflow: &Value) -> Vec<(String, &Value)> {
    workflow["jobs"]
        .as_mapping()
        .expect("a workflow has jobs")
        .iter()
        .map(|(name, job)| (name.as_str().unwrap_or_default().to_owned(), job))
        .collect()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_sequence().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => serde_yaml::to_string(other).unwrap_or_default(),
    }
}

const WORKFLOWS: [&str; 3] = ["ci.yml", "preview.yml", "deploy.yml"];
/// The actions a workflow may use, pinned to the commit of a release (a tag can be moved
/// to other code; a commit cannot), with the release it is.
const ALLOWED_ACTIONS: [(&str, &str); 3] = [
    (
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
        "v4.2.2",
    ),
    (
        "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020",
        "v4.4.0",
    ),
    (
        "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02",
        "v4.6.2",
    ),
];

/// The secrets that reach Cloudflare or GitHub.
const TOKENS: [&str; 3] = [
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_PREVIEW_API_TOKEN",
    "GITHUB_TOKEN",
];

#[test]
fn every_run_step_is_exactly_one_cargo_xtask_call() {
    for name in WORKFLOWS {
        let wf = workflow(name);
        for (job_name, job) in jobs(&wf) {
            for step in steps(job) {
                if let Some(run) = step.get("run") {
                    let run = text(run);
                    // `exec` only makes xtask the step's process (it then gets the signal
                    // of a cancelled job); it runs nothing else.
                    let line = run.trim();
                    let line = line.strip_prefix("exec ").unwrap_or(line);
                    assert!(
                        line.starts_with("cargo xtask ") && !line.contains('\n'),
                        "{name} {job_name}: `{line}` is not one cargo xtask call"
                    );
                    for escape in ["||", "&&", ";", "|", "$(", "`", "set +e"] {
                        assert!(
                            !line.contains(escape),
                            "{name} {job_name}: `{line}` contains {escape}"
                        );
                    }
                } else {
                    let uses = text(&step["uses"]);
                    assert!(
                        ALLOWED_ACTIONS.iter().any(|(pinned, _)| *pinned == uses),
                        "{name} {job_name}: step uses `{uses}`, not an allowed action pinned to its commit"
                    );
                }
                assert!(
                    step.get("shell").is_none(),
                    "{name} {job_name}: custom shell"
                );
            }
        }
    }
}

#[test]
fn every_pinned_action_names_its_release_beside_the_sha() {
    for name in WORKFLOWS {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../.github/workflows")
            .join(name);
        let raw = std::fs::read_to_string(path).unwrap();
        for line in raw.lines().filter(|l| l.contains("uses:")) {
            assert!(
                ALLOWED_ACTIONS.iter().any(|(pinned, release)| line
                    .trim_end()
                    .ends_with(&format!("{pinned} # {release}"))),
                "{name}: `{}` is not pinned with its release in a comment",
                line.trim()
            );
        }
    }
}

#[test]
fn tokens_are_held_only_by_the_steps_that_use_them_after_every_install() {
    for name in WORKFLOWS {
        let wf = workflow(name);
        assert!(
            TOKENS.iter().all(|t| wf["env"].get(*t).is_none()),
            "{name}: a token in the workflow's env"
        );
        for (job_name, job) in jobs(&wf) {
            assert!(
                TOKENS.iter().all(|t| job["env"].get(*t).is_none()),
                "{name} {job_name}: a token in the job's env reaches every step"
            );
            let steps = steps(job);
            let holding: Vec<usize> = (0..steps.len())
                .filter(|&i| TOKENS.iter().any(|t| steps[i]["env"].get(*t).is_some()))
                .collect();
            for &i in &holding {
                let run = text(&steps[i]["run"]);
                assert!(
                    ["deploy ", "preview "]
                        .iter()
                        .any(|c| run.contains(&format!("cargo xtask {c}"))),
                    "{name} {job_name}: `{run}` holds a token it does not need"
                );
                let installs_before = steps[..i].iter().any(|s| {
                    let run = text(&s["run"]);
                    run == "cargo xtask build" || run.starts_with("cargo xtask setup")
                });
                assert!(
                    installs_before,
                    "{name} {job_name}: `{run}` would install tools while holding its token"
                );
                if run.contains("cargo xtask deploy") || run.contains("cargo xtask preview --pr") {
                    assert!(
                        run.contains("--prebuilt"),
                        "{name} {job_name}: `{run}` rebuilds"
                    );
                }
            }
            for step in steps {
                if text(&step["uses"]).starts_with("actions/checkout@") {
                    assert_eq!(
                        text(&step["with"]["persist-credentials"]),
                        "false",
                        "{name} {job_name}: checkout leaves its token in .git/config"
                    );
                }
            }
        }
    }
}

#[test]
fn nothing_is_allowed_to_fail_silently() {
    for name in WORKFLOWS {
        let wf = workflow(name);
        for (job_name, job) in jobs(&wf) {
            assert!(job.get("continue-on-error").is_none(), "{name} {job_name}");
            for step in steps(job) {
                assert!(
                    step.get("continue-on-error").is_none(),
                    "{name} {job_name}: {step:?}"
                );
                let condition = text(&step["if"]);
                if condition.contains("always()") || condition.contains("failure()") {
                    assert!(
                        text(&step["uses"]).starts_with("actions/upload-artifact@"),
                        "{name} {job_name}: only keeping an artifact may run after a failure"
                    );
                }
            }
        }
    }
}

#[test]
fn ci_checks_config_runs_the_test_command_builds_and_audits_dependencies() {
    let wf = workflow("ci.yml");
    let runs: Vec<String> = jobs(&wf)
        .iter()
        .flat_map(|(_, job)| steps(job).iter().map(|s| text(&s["run"])))
        .collect();
    for wanted in [
        "cargo xtask config check",
        "cargo xtask test",
        "cargo xtask build",
        "cargo xtask audit",
    ] {
        assert!(
            runs.iter().any(|r| r == wanted),
            "ci.yml lacks `{wanted}`: {runs:?}"
        );
    }
    let on = &wf["on"];
    assert!(on.get("pull_request").is_some() && on.get("push").is_some());
}

#[test]
fn previews_run_after_ci_never_for_forks_and_only_in_the_preview_account() {
    let wf = workflow("preview.yml");
    assert_eq!(text(&wf["on"]["workflow_run"]["workflows"][0]), "ci");
    for (job_name, job) in jobs(&wf) {
        let condition = text(&job["if"]);
        assert!(
            condition.contains("full_name == github.repository"),
            "preview {job_name} must exclude forks: {condition}"
        );
        let step = steps(job)
            .iter()
            .find(|s| text(&s["run"]).contains("cargo xtask preview"))
            .expect("a preview step");
        let env = &step["env"];
        assert_eq!(
            text(&env["CLOUDFLARE_PREVIEW_API_TOKEN"]),
            "${{ secrets.CLOUDFLARE_PREVIEW_API_TOKEN }}",
            "preview {job_name}"
        );
        assert_eq!(
            text(&env["CLOUDFLARE_PREVIEW_ACCOUNT_ID"]),
            "${{ vars.CLOUDFLARE_PREVIEW_ACCOUNT_ID }}",
            "preview {job_name}"
        );
        assert!(
            env.get("CLOUDFLARE_API_TOKEN").is_none(),
            "preview {job_name} must not hold the production token"
        );
    }
    let deploy = &wf["jobs"]["deploy"];
    assert!(text(&deploy["if"]).contains("conclusion == 'success'"));
}

#[test]
fn ci_gives_config_check_both_account_ids_to_compare() {
    let wf = workflow("ci.yml");
    let (_, job) = jobs(&wf).into_iter().next().expect("one job");
    let check = steps(job)
        .iter()
        .find(|s| text(&s["run"]) == "cargo xtask config check")
        .expect("a config check step");
    for id in ["CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_PREVIEW_ACCOUNT_ID"] {
        assert_eq!(text(&check["env"][id]), format!("${{{{ vars.{id} }}}}"));
    }
}

#[test]
fn production_deploys_only_after_ci_succeeded_behind_approval_one_at_a_time() {
    let wf = workflow("deploy.yml");
    let trigger = &wf["on"]["workflow_run"];
    assert_eq!(text(&trigger["workflows"][0]), "ci");
    assert_eq!(text(&trigger["branches"][0]), "main");
    assert_eq!(text(&wf["concurrency"]["cancel-in-progress"]), "false");
    let (_, job) = jobs(&wf).into_iter().next().expect("one job");
    assert_eq!(text(&job["environment"]), "production");
    let condition = text(&job["if"]);
    assert!(condition.contains("conclusion == 'success'") && condition.contains("'push'"));
    let runs: Vec<String> = steps(job).iter().map(|s| text(&s["run"])).collect();
    // `exec`, so that cancelling the job interrupts xtask itself, which rolls back.
    assert!(
        runs.iter()
            .any(|r| r == "exec cargo xtask deploy --env production --prebuilt"),
        "{runs:?}"
    );
    assert!(!runs.iter().any(|r| r.contains("--allow-dirty")));
}

#[test]
fn no_workflow_uploads_a_database_backup() {
    for name in WORKFLOWS {
        let wf = workflow(name);
        for (job_name, job) in jobs(&wf) {
            for step in steps(job) {
                if text(&step["uses"]).starts_with("actions/upload-artifact@") {
                    let path = text(&step["with"]["path"]);
                    assert!(
                        !path.contains("backup") && !path.contains(".sql"),
                        "{name} {job_name} uploads {path}"
                    );
                }
            }
        }
    }
}

#[test]
fn dependabot_watches_cargo_both_npm_locks_and_the_actions() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.github/dependabot.yml");
    let config: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let watched: Vec<(String, String)> = config["updates"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|u| (text(&u["package-ecosystem"]), text(&u["directory"])))
        .collect();
    for (ecosystem, directory) in [
        ("cargo", "/"),
        ("npm", "/wrangler"),
        ("npm", "/browser"),
        ("github-actions", "/"),
    ] {
        assert!(
            watched.contains(&(ecosystem.to_owned(), directory.to_owned())),
            "{ecosystem} in {directory}: {watched:?}"
        );
    }
}
