//! `cargo xtask config check`: every inconsistency between the wrangler configs, the
//! deploy manifest and the code (which vars and secrets it reads), as sentences naming the
//! file and the fix. The model itself is in the parent module.

use super::{Configs, DATABASE_BINDING, Environment, MANIFEST_FILE, WorkerConfig};
use crate::workers::Worker;
use anyhow::{Context, Result};
use kbc_domain::jobs::SCHEDULES;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The names of vars and secrets each worker's code reads: `runtime::var(env, "NAME")`,
/// `env.var("NAME")` and `env.secret("NAME")` in the worker's crate and in the crates
/// every worker shares (`kbc-edge`).
pub fn code_reads(root: &Path) -> Result<BTreeMap<Worker, BTreeSet<String>>> {
    let shared = names_in(&root.join("crates/edge/src"))?;
    let mut reads = BTreeMap::new();
    for worker in Worker::ALL {
        let mut names = names_in(&root.join("crates").join(worker.name()).join("src"))?;
        names.extend(shared.iter().cloned());
        reads.insert(worker, names);
    }
    Ok(reads)
}

fn names_in(dir: &Path) -> Result<BTreeSet<String>> {
    Ok(rust_sources(dir)?
        .iter()
        .flat_map(|(_, text)| names_read(text))
        .collect())
}

/// Every `.rs` file under `dir` (none when it does not exist), with its text.
pub fn rust_sources(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut sources = Vec::new();
    if !dir.exists() {
        return Ok(sources);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            sources.extend(rust_sources(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            sources.push((path, text));
        }
    }
    Ok(sources)
}

/// The string literals passed as names to the var and secret readers in `source`.
pub fn names_read(source: &str) -> BTreeSet<String> {
    const CALLS: [&str; 4] = ["var(env, \"", ".var(\"", ".secret(\"", "secret(env, \""];
    let mut names = BTreeSet::new();
    for call in CALLS {
        for (at, _) in source.match_indices(call) {
            let rest = &source[at + call.len()..];
            if let Some(end) = rest.find('"') {
                let name = &rest[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
}

/// `cargo xtask config check`: every inconsistency found, as sentences naming the file
/// and the fix. Empty means consistent.
pub fn problems(configs: &Configs, code: &BTreeMap<Worker, BTreeSet<String>>) -> Vec<String> {
    let mut problems = Vec::new();
    for env in Environment::ALL {
        for w in &configs.workers {
            if w.env(env).is_none() {
                problems.push(format!("{}: has no [env.{env}] section", file(w)));
            }
        }
        check_shared_resources(configs, env, &mut problems);
        check_services(configs, env, &mut problems);
        check_secrets(configs, code, env, &mut problems);
        check_probe_urls(configs, env, &mut problems);
    }
    check_preview_isolation(configs, &mut problems);
    check_backup(configs, &mut problems);
    check_crons(configs, &mut problems);
    check_routes(configs, &mut problems);
    check_production_logs(configs, &mut problems);
    check_identity_provider(configs, &mut problems);
    check_model_endpoints(configs, &mut problems);
    check_allow_lists(configs, &mut problems);
    check_meta(configs, &mut problems);
    for (worker, names) in &configs.manifest.optional {
        for name in names {
            if !code[worker].contains(name) {
                problems.push(format!(
                    "{MANIFEST_FILE}: optional.{worker} lists {name}, which the {worker} code never reads"
                ));
            }
        }
    }
    problems
}

fn file(w: &WorkerConfig) -> String {
    format!("wrangler/{}.toml", w.worker)
}

fn check_shared_resources(configs: &Configs, env: Environment, problems: &mut Vec<String>) {
    let api = configs.worker(Worker::Api);
    let expected_db = api.database(env);
    let expected_kv = api.kv(Some(env));
    let expected_r2 = api.r2(Some(env));
    for w in &configs.workers {
        if expected_db.is_none() {
            break;
        }
        if w.database(env) != expected_db {
            problems.push(format!(
                "{}: [env.{env}] binds {DATABASE_BINDING} to {:?}, but wrangler/api.toml binds {:?}; \
                 every worker of an environment must bind the same database",
                file(w),
                w.database(env).map(|d| (d.database_name, d.database_id)),
                expected_db.as_ref().map(|d| (&d.database_name, &d.database_id)),
            ));
        }
        if w.kv(Some(env)) != expected_kv {
            problems.push(format!(
                "{}: [env.{env}] KV namespaces differ from wrangler/api.toml's",
                file(w)
            ));
        }
        if w.r2(Some(env)) != expected_r2 {
            problems.push(format!(
                "{}: [env.{env}] R2 buckets differ from wrangler/api.toml's",
                file(w)
            ));
        }
    }
    if expected_db.is_none() && api.env(env).is_some() {
        problems.push(format!(
            "wrangler/api.toml: [env.{env}] binds no {DATABASE_BINDING} database"
        ));
    }
}

fn check_services(configs: &Configs, env: Environment, problems: &mut Vec<String>) {
    let scripts: BTreeSet<String> = configs.workers.iter().map(|w| w.script_name(env)).collect();
    for w in &configs.workers {
        for (binding, target) in w.services(Some(env)) {
            if !scripts.contains(&target) {
                problems.push(format!(
                    "{}: [env.{env}] service binding {binding} points at '{target}', which is not a {env} worker ({})",
                    file(w),
                    scripts.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    if let Err(err) = configs.dependency_order(env) {
        problems.push(err.to_string());
    }
}

fn check_preview_isolation(configs: &Configs, problems: &mut Vec<String>) {
    let production = configs.resources(Environment::Production);
    let production_scripts: BTreeSet<String> = configs
        .workers
        .iter()
        .map(|w| w.script_name(Environment::Production))
        .collect();
    for w in &configs.workers {
        let env = Some(Environment::Preview);
        let mut used: Vec<(String, String)> = Vec::new();
        for d in w.d1(env) {
            used.push((format!("D1 {}", d.binding), d.database_name));
            used.extend(d.database_id.map(|id| (format!("D1 {} id", d.binding), id)));
        }
        used.extend(
            w.kv(env)
                .into_iter()
                .filter_map(|k| k.id.map(|id| (format!("KV {}", k.binding), id))),
        );
        used.extend(
            w.r2(env)
                .into_iter()
                .map(|(b, bucket)| (format!("R2 {b}"), bucket)),
        );
        used.extend(w.queues(env).into_iter().map(|q| ("queue".to_owned(), q)));
        for (what, value) in used {
            if production.contains(&value) {
                problems.push(format!(
                    "{}: [env.preview] {what} is '{value}', a production resource; \
                     previews must never touch production data",
                    file(w)
                ));
            }
        }
        if w.script_name(Environment::Preview) == w.script_name(Environment::Production)
            || production_scripts.contains(&w.script_name(Environment::Preview))
        {
            problems.push(format!(
                "{}: [env.preview] is named like a production worker",
                file(w)
            ));
        }
        match w.own_crons(env) {
            Some(crons) if crons.is_empty() => {}
            Some(crons) => problems.push(format!(
                "{}: [env.preview] has cron triggers {crons:?}; previews must have none",
                file(w)
            )),
            None => problems.push(format!(
                "{}: [env.preview] must say `triggers = {{ crons = [] }}` \
                 (wrangler would inherit the top level's crons otherwise)",
                file(w)
            )),
        }
        if !w.routes(env).is_empty() {
            problems.push(format!(
                "{}: [env.preview] has routes; previews must have none",
                file(w)
            ));
        }
        if let Some(vars) = w.env(Environment::Preview).map(|_| w.vars(env))
            && vars.get("ENVIRONMENT").map(String::as_str) != Some("preview")
        {
            problems.push(format!(
                "{}: [env.preview.vars] must set ENVIRONMENT = \"preview\"",
                file(w)
            ));
        }
    }
}

/// Backups hold residents' contact details: a bucket no worker binds (so no code, least of
/// all a preview's, can read it), a retention rule, and recipients that parse.
fn check_backup(configs: &Configs, problems: &mut Vec<String>) {
    let Some(backup) = &configs.manifest.backup else {
        problems.push(format!(
            "{MANIFEST_FILE}: [backup] is missing (bucket, retention_days, recipients)"
        ));
        return;
    };
    for w in &configs.workers {
        for env in [
            None,
            Some(Environment::Production),
            Some(Environment::Preview),
        ] {
            if w.r2(env).iter().any(|(_, bucket)| *bucket == backup.bucket) {
                problems.push(format!(
                    "{}: binds the backup bucket {}; no worker may read the backups",
                    file(w),
                    backup.bucket
                ));
            }
        }
    }
    if !(1..=3650).contains(&backup.retention_days) {
        problems.push(format!(
            "{MANIFEST_FILE}: backup.retention_days must be between 1 and 3650"
        ));
    }
    for recipient in &backup.recipients {
        if recipient.parse::<age::x25519::Recipient>().is_err() {
            problems.push(format!(
                "{MANIFEST_FILE}: backup.recipients has '{recipient}', \
                 which is not an age x25519 recipient (age1...)"
            ));
        }
    }
}

fn check_crons(configs: &Configs, problems: &mut Vec<String>) {
    for w in &configs.workers {
        let mut expected: Vec<String> = SCHEDULES
            .iter()
            .filter(|s| s.worker == w.worker.name())
            .map(|s| s.cron.to_owned())
            .collect();
        expected.sort();
        let mut production = w.effective_crons(Environment::Production);
        production.sort();
        if production != expected {
            problems.push(format!(
                "{}: [env.production] crons are {production:?} but kbc_domain::jobs::SCHEDULES has {expected:?}",
                file(w)
            ));
        }
        let mut local = w.own_crons(None).unwrap_or_default();
        local.sort();
        if local != expected {
            problems.push(format!(
                "{}: local crons are {local:?} but kbc_domain::jobs::SCHEDULES has {expected:?}",
                file(w)
            ));
        }
    }
}

fn check_routes(configs: &Configs, problems: &mut Vec<String>) {
    let mut claimed: BTreeMap<String, Worker> = BTreeMap::new();
    for w in &configs.workers {
        for route in w.routes(Some(Environment::Production)) {
            if let Some(other) = claimed.insert(route.clone(), w.worker) {
                problems.push(format!(
                    "route {route} is claimed by both {other} and {}",
                    w.worker
                ));
            }
        }
        if !w.routes(None).is_empty() {
            problems.push(format!(
                "{}: the local top level must have no routes",
                file(w)
            ));
        }
    }
}

/// Workers Logs on in production (a failing worker must leave a trace), with invocation
/// logs off: they record each request's raw URL, query string included, which holds what
/// residents searched for and typed.
fn check_production_logs(configs: &Configs, problems: &mut Vec<String>) {
    for w in &configs.workers {
        let logs = w.logs(Environment::Production);
        if logs.workers_logs != Some(true) {
            problems.push(format!(
                "{}: [env.production.observability] must say `enabled = true` (Workers Logs; \
                 wrangler does not inherit it from the top level)",
                file(w)
            ));
        }
        if logs.invocation_logs != Some(false) {
            problems.push(format!(
                "{}: [env.production.observability.logs] must say `invocation_logs = false`: \
                 invocation logs record raw URLs with their query strings (personal data)",
                file(w)
            ));
        }
    }
}

/// Production signs people in with Google and nothing else: its issuer is Google's, its own
/// origin is the app's domain, and no var points at a machine's loopback (a local fake).
fn check_identity_provider(configs: &Configs, problems: &mut Vec<String>) {
    let agent = configs.worker(Worker::Agent);
    let vars = agent.vars(Some(Environment::Production));
    let expected = [("OIDC_ISSUER", GOOGLE_ISSUER), ("APP_ORIGIN", APP_ORIGIN)];
    for (name, value) in expected {
        if vars.get(name).map(String::as_str) != Some(value) {
            problems.push(format!(
                "{}: [env.production.vars] must set {name} = \"{value}\"",
                file(agent)
            ));
        }
    }
    for w in &configs.workers {
        for (name, value) in w.vars(Some(Environment::Production)) {
            let local = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0"];
            if local.iter().any(|host| value.contains(host)) {
                problems.push(format!(
                    "{}: [env.production.vars] {name} points at this machine ({value}); \
                     local fakes never serve production",
                    file(w)
                ));
            }
        }
    }
}

/// A production model endpoint carries the provider's token and the owners' words: it must be
/// reached over TLS (the loopback rule above already keeps the local fake out).
fn check_model_endpoints(configs: &Configs, problems: &mut Vec<String>) {
    for w in &configs.workers {
        for (name, value) in w.vars(Some(Environment::Production)) {
            if MODEL_ENDPOINT_VARS.contains(&name.as_str()) && !value.starts_with("https://") {
                problems.push(format!(
                    "{}: [env.production.vars] {name} is {value}; a model endpoint must be https://",
                    file(w)
                ));
            }
        }
    }
}

/// The analyzer's URL guard lets an allow-listed origin past its rules (loopback, ports):
/// only the local fakes may be on such a list, so no deployed environment sets one, as a var
/// or as a secret.
fn check_allow_lists(configs: &Configs, problems: &mut Vec<String>) {
    for env in [Environment::Production, Environment::Preview] {
        for w in &configs.workers {
            let secrets = configs
                .manifest
                .secrets
                .get(&(env, w.worker))
                .cloned()
                .unwrap_or_default();
            let names = w.vars(Some(env)).into_keys().chain(secrets);
            for name in names.filter(|n| n.ends_with("_ALLOWED_ORIGINS")) {
                problems.push(format!(
                    "{}: {env} sets {name}, an allow-list past the URL guard's rules; \
                     only the local environment may have one",
                    file(w)
                ));
            }
        }
    }
}

/// Where production reaches Meta and Cloudflare's Browser Rendering: their own hosts only.
const META_HOSTS: [(&str, &str); 3] = [
    ("FACEBOOK_GRAPH_BASE", "https://graph.facebook.com"),
    ("FACEBOOK_DIALOG_BASE", "https://www.facebook.com"),
    (
        "BROWSER_RENDERING_BASE",
        "https://api.cloudflare.com/client/v4",
    ),
];
/// The oldest Graph API version production may call (older ones are retired by Meta).
const GRAPH_MIN_MAJOR: u32 = 25;

/// The vars naming where a worker sends its model requests.
const MODEL_ENDPOINT_VARS: [&str; 2] = ["AI_API_BASE", "MODEL_BASE_URL"];

/// Google's OpenID issuer, the only one production trusts.
const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// Where the agent worker answers in production (its sign-in callback lives there).
const APP_ORIGIN: &str = "https://app.kiamichibizconnect.com";

/// Production talks to Meta's Graph API, login dialog and Cloudflare's Browser Rendering at
/// their real hosts, on a Graph API version Meta still serves: wherever a production config
/// sets one of these, it must be the real one (the facebook worker and the agent must set
/// the Graph base and version, which the code has no default for).
fn check_meta(configs: &Configs, problems: &mut Vec<String>) {
    for w in &configs.workers {
        let vars = w.vars(Some(Environment::Production));
        for (name, expected) in META_HOSTS {
            if let Some(value) = vars.get(name)
                && value.trim_end_matches('/') != expected
            {
                problems.push(format!(
                    "{}: [env.production.vars] {name} is {value}; production must use {expected}",
                    file(w)
                ));
            }
        }
        if !matches!(w.worker, Worker::Agent | Worker::Facebook) {
            continue;
        }
        for name in ["FACEBOOK_GRAPH_BASE", "FACEBOOK_DIALOG_BASE"] {
            if !vars.contains_key(name) {
                problems.push(format!(
                    "{}: [env.production.vars] must set {name} (Meta's host)",
                    file(w)
                ));
            }
        }
        let version = vars.get("FACEBOOK_GRAPH_VERSION");
        let major = version
            .and_then(|v| v.strip_prefix('v'))
            .and_then(|v| v.split_once('.'))
            .filter(|(_, minor)| minor.parse::<u32>().is_ok())
            .and_then(|(major, _)| major.parse::<u32>().ok());
        if major.is_none_or(|major| major < GRAPH_MIN_MAJOR) {
            problems.push(format!(
                "{}: [env.production.vars] FACEBOOK_GRAPH_VERSION must be a current Graph API version \
                 like \"v{GRAPH_MIN_MAJOR}.0\" or later (found {})",
                file(w),
                version.map_or("none", String::as_str)
            ));
        }
    }
}

fn check_secrets(
    configs: &Configs,
    code: &BTreeMap<Worker, BTreeSet<String>>,
    env: Environment,
    problems: &mut Vec<String>,
) {
    for w in &configs.workers {
        let vars = w.vars(Some(env));
        let secrets = configs
            .manifest
            .secrets
            .get(&(env, w.worker))
            .cloned()
            .unwrap_or_default();
        let optional = configs
            .manifest
            .optional
            .get(&w.worker)
            .cloned()
            .unwrap_or_default();
        let reads = &code[&w.worker];
        for name in reads {
            if !vars.contains_key(name) && !secrets.contains(name) && !optional.contains(name) {
                problems.push(format!(
                    "the {} code reads {name}, but [env.{env}] neither sets it in {} vars \
                     nor lists it under {env}.secrets.{} or optional.{} in {MANIFEST_FILE}",
                    w.worker,
                    file(w),
                    w.worker,
                    w.worker
                ));
            }
        }
        for name in &secrets {
            if !reads.contains(name) {
                problems.push(format!(
                    "{MANIFEST_FILE}: {env}.secrets.{} lists {name}, which the {} code never reads",
                    w.worker, w.worker
                ));
            }
            if vars.contains_key(name) {
                problems.push(format!(
                    "{}: {name} is a {env} secret and also a plain [env.{env}.vars] entry \
                     (vars are committed in clear text)",
                    file(w)
                ));
            }
        }
    }
}

fn check_probe_urls(configs: &Configs, env: Environment, problems: &mut Vec<String>) {
    if env != Environment::Production {
        return;
    }
    for w in &configs.workers {
        if !configs.manifest.probe_urls.contains_key(&(env, w.worker)) {
            problems.push(format!(
                "{MANIFEST_FILE}: production.probe_urls.{} is missing; the rollout cannot probe that worker",
                w.worker
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{repository_configs, repository_root, section};
    use super::*;
    use toml::{Table, Value};

    fn repository() -> (Configs, BTreeMap<Worker, BTreeSet<String>>) {
        let code = code_reads(&repository_root()).expect("the code is readable");
        (repository_configs(), code)
    }

    fn first_entry<'a>(table: &'a mut Table, array: &str) -> &'a mut Table {
        table
            .get_mut(array)
            .and_then(Value::as_array_mut)
            .and_then(|a| a.first_mut())
            .and_then(Value::as_table_mut)
            .unwrap()
    }

    fn problems_mentioning(
        configs: &Configs,
        code: &BTreeMap<Worker, BTreeSet<String>>,
        text: &str,
    ) -> Vec<String> {
        problems(configs, code)
            .into_iter()
            .filter(|p| p.contains(text))
            .collect()
    }
    #[test]
    fn the_repository_configs_pass_the_check() {
        let (configs, code) = repository();
        assert_eq!(problems(&configs, &code), Vec::<String>::new());
    }

    #[test]
    fn a_preview_bound_to_a_production_database_id_is_caught() {
        let (mut configs, code) = repository();
        let production = first_entry(
            section(&mut configs, Worker::Agent, Environment::Production),
            "d1_databases",
        );
        production.insert("database_id".into(), "6f0c-production-id".into());
        let preview = first_entry(
            section(&mut configs, Worker::Agent, Environment::Preview),
            "d1_databases",
        );
        preview.insert("database_id".into(), "6f0c-production-id".into());

        let found = problems_mentioning(&configs, &code, "a production resource");

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("wrangler/agent.toml") && found[0].contains("6f0c-production-id")
        );
    }

    #[test]
    fn a_preview_without_its_own_empty_crons_inherits_production_crons_and_is_caught() {
        let (mut configs, code) = repository();
        section(&mut configs, Worker::Analyzer, Environment::Preview).remove("triggers");

        assert_eq!(
            problems_mentioning(&configs, &code, "triggers = { crons = [] }").len(),
            1
        );
    }

    #[test]
    fn production_crons_must_equal_the_schedule_of_record() {
        let (mut configs, code) = repository();
        let triggers = section(&mut configs, Worker::Facebook, Environment::Production)
            .get_mut("triggers")
            .and_then(Value::as_table_mut)
            .unwrap();
        triggers.insert("crons".into(), Value::Array(vec!["0 3 * * *".into()]));

        assert_eq!(problems_mentioning(&configs, &code, "SCHEDULES").len(), 1);
    }

    #[test]
    fn workers_of_one_environment_must_bind_the_same_database() {
        let (mut configs, code) = repository();
        let db = first_entry(
            section(&mut configs, Worker::Facebook, Environment::Production),
            "d1_databases",
        );
        db.insert("database_name".into(), "kbc-directory-other".into());

        assert_eq!(
            problems_mentioning(&configs, &code, "must bind the same database").len(),
            1
        );
    }

    #[test]
    fn a_service_binding_into_another_environment_is_caught() {
        let (mut configs, code) = repository();
        let mut binding = Table::new();
        binding.insert("binding".into(), "ANALYZER".into());
        binding.insert("service".into(), "kbc-analyzer".into());
        section(&mut configs, Worker::Agent, Environment::Preview)
            .insert("services".into(), Value::Array(vec![Value::Table(binding)]));

        let found = problems_mentioning(&configs, &code, "service binding ANALYZER");

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("[env.preview]"));
    }

    #[test]
    fn a_name_the_code_reads_must_be_a_var_a_declared_secret_or_optional() {
        let (configs, mut code) = repository();
        code.get_mut(&Worker::Agent)
            .unwrap()
            .insert("GOOGLE_CLIENT_SECRET".into());

        let found = problems_mentioning(&configs, &code, "GOOGLE_CLIENT_SECRET");

        assert_eq!(found.len(), 2, "production and preview: {found:?}");
    }

    #[test]
    fn a_declared_secret_the_code_never_reads_is_caught() {
        let (mut configs, code) = repository();
        configs
            .manifest
            .secrets
            .get_mut(&(Environment::Production, Worker::Analyzer))
            .unwrap()
            .insert("STALE_TOKEN".into());

        assert_eq!(problems_mentioning(&configs, &code, "STALE_TOKEN").len(), 1);
    }

    #[test]
    fn a_worker_bound_to_the_backup_bucket_is_caught() {
        let (mut configs, code) = repository();
        let bucket = configs.manifest.backup.clone().unwrap().bucket;
        let media = first_entry(
            section(&mut configs, Worker::Api, Environment::Preview),
            "r2_buckets",
        );
        media.insert("bucket_name".into(), bucket.into());

        assert_eq!(
            problems_mentioning(&configs, &code, "no worker may read the backups").len(),
            1
        );
    }

    #[test]
    fn a_backup_recipient_that_is_no_age_key_is_caught() {
        let (mut configs, code) = repository();
        let backup = configs.manifest.backup.as_mut().unwrap();
        backup.recipients = vec!["ssh-rsa AAAA maintainer".into()];

        assert_eq!(
            problems_mentioning(&configs, &code, "not an age x25519 recipient").len(),
            1
        );
    }

    #[test]
    fn a_production_config_without_workers_logs_is_caught() {
        let (mut configs, code) = repository();
        section(&mut configs, Worker::Analyzer, Environment::Production).remove("observability");

        let found = problems_mentioning(&configs, &code, "[env.production.observability");

        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("wrangler/analyzer.toml") && found[0].contains("`enabled = true`")
        );
        assert!(
            found[1].contains("wrangler/analyzer.toml")
                && found[1].contains("`invocation_logs = false`")
        );
    }

    #[test]
    fn production_invocation_logs_are_caught_because_they_record_query_strings() {
        let (mut configs, code) = repository();
        let observability = section(&mut configs, Worker::Api, Environment::Production)
            .get_mut("observability")
            .and_then(Value::as_table_mut)
            .unwrap();
        observability.remove("logs");

        let found = problems_mentioning(&configs, &code, "invocation_logs = false");

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("wrangler/api.toml") && found[0].contains("query strings"));
    }

    #[test]
    fn production_must_sign_in_with_google_not_a_local_fake() {
        let (mut configs, code) = repository();
        section(&mut configs, Worker::Agent, Environment::Production)
            .get_mut("vars")
            .and_then(Value::as_table_mut)
            .unwrap()
            .insert(
                "OIDC_ISSUER".into(),
                Value::String("http://127.0.0.1:8791".into()),
            );

        let found = problems_mentioning(&configs, &code, "OIDC_ISSUER");

        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("must set OIDC_ISSUER = \"https://accounts.google.com\""));
        assert!(found[1].contains("points at this machine"));
    }

    fn set_production_var(configs: &mut Configs, worker: Worker, name: &str, value: &str) {
        section(configs, worker, Environment::Production)
            .get_mut("vars")
            .and_then(Value::as_table_mut)
            .unwrap()
            .insert(name.into(), Value::String(value.into()));
    }

    #[test]
    fn a_production_model_endpoint_must_be_https_and_not_this_machine() {
        let (mut configs, code) = repository();
        set_production_var(
            &mut configs,
            Worker::Agent,
            "AI_API_BASE",
            "http://127.0.0.1:8792/client/v4",
        );
        set_production_var(
            &mut configs,
            Worker::Analyzer,
            "MODEL_BASE_URL",
            "http://models.example.com/v1",
        );

        let base = problems_mentioning(&configs, &code, "AI_API_BASE");
        let other = problems_mentioning(&configs, &code, "MODEL_BASE_URL");

        assert_eq!(base.len(), 2, "{base:?}");
        assert!(base.iter().any(|p| p.contains("points at this machine")));
        assert!(base.iter().any(|p| p.contains("must be https://")));
        assert_eq!(other.len(), 1, "{other:?}");
        assert!(
            other[0].contains("wrangler/analyzer.toml") && other[0].contains("must be https://")
        );
    }

    #[test]
    fn an_allow_list_past_the_url_guard_is_refused_outside_local() {
        let (mut configs, code) = repository();
        set_production_var(
            &mut configs,
            Worker::Analyzer,
            "ANALYZER_ALLOWED_ORIGINS",
            "https://sites.example.org",
        );

        let found = problems_mentioning(&configs, &code, "ANALYZER_ALLOWED_ORIGINS");

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("wrangler/analyzer.toml") && found[0].contains("only the local"));
    }

    #[test]
    fn production_must_reach_meta_at_its_own_hosts_on_a_current_graph_version() {
        let (mut configs, code) = repository();
        set_production_var(
            &mut configs,
            Worker::Facebook,
            "FACEBOOK_GRAPH_BASE",
            "https://graph.example.com",
        );
        set_production_var(
            &mut configs,
            Worker::Agent,
            "FACEBOOK_GRAPH_VERSION",
            "v19.0",
        );

        let base = problems_mentioning(&configs, &code, "FACEBOOK_GRAPH_BASE");
        let version = problems_mentioning(&configs, &code, "FACEBOOK_GRAPH_VERSION");

        assert_eq!(base.len(), 1, "{base:?}");
        assert!(
            base[0].contains("wrangler/facebook.toml")
                && base[0].contains("https://graph.facebook.com")
        );
        assert_eq!(version.len(), 1, "{version:?}");
        assert!(version[0].contains("wrangler/agent.toml") && version[0].contains("v19.0"));
    }

    #[test]
    fn the_code_scan_finds_var_and_secret_reads() {
        let source = r#"
            let salt = runtime::var(env, "CLIENT_HASH_SALT");
            let key = env.secret("AI_API_KEY")?;
            let mode = env.var("KV_CACHE");
            let not_a_read = format!("var(env, {name})");
        "#;

        let names: Vec<String> = names_read(source).into_iter().collect();

        assert_eq!(names, ["AI_API_KEY", "CLIENT_HASH_SALT", "KV_CACHE"]);
    }
}
