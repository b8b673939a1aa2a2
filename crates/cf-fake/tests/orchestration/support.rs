//! What the orchestration tests share: a sandbox copy of the deploy configuration (the
//! real wrangler configs and migrations, the built bundles, probe URLs pointing at the
//! workers `cargo xtask test` runs in workerd), the two fakes, and running the real
//! `cargo xtask` binary against them.
//!
//! `cargo xtask test` runs these with `KBC_XTASK_BIN` (itself) and `KBC_<WORKER>_URL`
//! (the workers it serves) set.

use kbc_cf_fake::cloudflare::{ACCOUNT_ID, PREVIEW_ACCOUNT_ID, PREVIEW_TOKEN, TOKEN};
use kbc_cf_fake::{Accounts, Call, Cloudflare, GitHub, Server};
use kbc_domain::cache::GENERATION_KEY;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const WORKERS: [&str; 4] = ["api", "agent", "analyzer", "facebook"];

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where `cargo xtask test` serves `worker`.
pub fn worker_url(worker: &str) -> String {
    let variable = format!("KBC_{}_URL", worker.to_uppercase());
    std::env::var(&variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: run these tests through `cargo xtask test`")
    })
}

/// The git sha a running worker's `/health` reports (asking a few times: a worker busy
/// with other tests may answer 503 for a moment).
pub fn served_sha(worker: &str) -> String {
    let url = format!("{}/health", worker_url(worker));
    let mut last = String::new();
    for _ in 0..10 {
        match reqwest::blocking::get(&url).and_then(|response| response.error_for_status()) {
            Ok(response) => {
                let text = response.text().expect("/health has a body");
                let body: Value = serde_json::from_str(&text).expect("/health is JSON");
                return body["git_sha"]
                    .as_str()
                    .expect("/health names its git sha")
                    .to_owned();
            }
            Err(err) => last = err.to_string(),
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("{url} did not answer: {last}")
}

/// A copy of the deployment configuration plus the fakes it deploys to. Its directory is
/// `target/deploy-tests/<name>/`, emptied when the world is made and left afterwards, so
/// a failed test's records, backups and wrangler logs can be read.
pub struct World {
    dir: PathBuf,
    /// The production and preview accounts.
    pub cloudflare: Server<Accounts>,
    pub github: Server<GitHub>,
}

impl World {
    pub fn new(name: &str) -> Self {
        let root = root();
        let dir = root.join("target/deploy-tests").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        let wrangler = dir.join("wrangler");
        std::fs::create_dir_all(&wrangler).unwrap();
        for worker in WORKERS {
            let name = format!("{worker}.toml");
            std::fs::copy(root.join("wrangler").join(&name), wrangler.join(&name)).unwrap();
            let build = dir.join("crates").join(worker).join("build");
            std::fs::create_dir_all(&build).unwrap();
            for file in ["index.js", "index_bg.wasm"] {
                let from = root.join("crates").join(worker).join("build").join(file);
                std::fs::copy(&from, build.join(file)).unwrap_or_else(|e| {
                    panic!("copying {}: {e} (is the build tier done?)", from.display())
                });
            }
            std::fs::write(build.join("git-sha"), served_sha(worker)).unwrap();
        }
        let manifest = std::fs::read_to_string(root.join("wrangler/deploy.toml")).unwrap();
        std::fs::write(wrangler.join("deploy.toml"), sandbox_manifest(&manifest)).unwrap();
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
        }
        Self {
            dir,
            cloudflare: Accounts::start().expect("the Cloudflare fake starts"),
            github: GitHub::start().expect("the GitHub fake starts"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("wrangler")
    }

    pub fn out(&self) -> PathBuf {
        self.dir.join("out")
    }

    pub fn config(&self, worker: &str) -> String {
        std::fs::read_to_string(self.config_dir().join(format!("{worker}.toml"))).unwrap()
    }

    pub fn set_config(&self, worker: &str, text: &str) {
        std::fs::write(self.config_dir().join(format!("{worker}.toml")), text).unwrap();
    }

    /// Makes the bundle of `worker` claim another commit than the one it reports.
    pub fn restamp(&self, worker: &str, sha: &str) {
        let file = self.dir.join("crates").join(worker).join("build/git-sha");
        std::fs::write(file, sha).unwrap();
    }

    pub fn add_migration(&self, name: &str, sql: &str) {
        std::fs::write(self.dir.join("migrations").join(name), sql).unwrap();
    }

    /// Runs `cargo xtask ARGS` against the fakes and this sandbox.
    pub fn xtask(&self, args: &[&str]) -> Run {
        self.xtask_with(args, &[])
    }

    /// [`World::xtask`] with extra environment variables.
    pub fn xtask_with(&self, args: &[&str], env: &[(&str, &Path)]) -> Run {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        Run::new(args, command.output().expect("cargo xtask starts"))
    }

    /// Starts `cargo xtask ARGS` like [`World::xtask`], without waiting for it.
    pub fn spawn_xtask(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cargo xtask starts")
    }

    fn command(&self, args: &[&str]) -> Command {
        let bin = std::env::var("KBC_XTASK_BIN")
            .expect("KBC_XTASK_BIN is not set: run these tests through `cargo xtask test`");
        let mut command = Command::new(bin);
        command
            .args(args)
            .arg("--config-dir")
            .arg(self.config_dir())
            .arg("--out")
            .arg(self.out())
            .env(
                "CLOUDFLARE_API_BASE_URL",
                Cloudflare::api_base(self.cloudflare.base_url()),
            )
            .env("CLOUDFLARE_API_TOKEN", TOKEN)
            .env("CLOUDFLARE_ACCOUNT_ID", ACCOUNT_ID)
            .env("CLOUDFLARE_PREVIEW_API_TOKEN", PREVIEW_TOKEN)
            .env("CLOUDFLARE_PREVIEW_ACCOUNT_ID", PREVIEW_ACCOUNT_ID)
            .env("GITHUB_API_URL", self.github.base_url())
            .env("GITHUB_TOKEN", kbc_cf_fake::github::TOKEN)
            .env("GITHUB_REPOSITORY", "kiamichi/biz-connect")
            .env("RUST_BACKTRACE", "0")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_ACTIONS");
        command
    }

    /// `provision --env production`, plus what a live account has: the production
    /// secrets (api's salt, agent's Google client, Meta's app and the token keys), one
    /// earlier deployment of every worker, a database with data, migrated up to all but the
    /// newest migration (which the next deploy brings), and the api's edge copy of the cache
    /// generation.
    pub fn live_production(&self) {
        let run = self.xtask(&["provision", "--env", "production"]);
        run.assert_ok();
        let mut migrations: Vec<PathBuf> = std::fs::read_dir(self.dir.join("migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        migrations.sort();
        migrations.pop();
        self.cloudflare.with(|accounts| {
            let cf = &mut accounts.production;
            let db = "kbc-directory-production";
            cf.sql(db, MIGRATIONS_TABLE).unwrap();
            for file in &migrations {
                cf.sql(db, &std::fs::read_to_string(file).unwrap()).unwrap();
                let name = file.file_name().unwrap().to_string_lossy();
                cf.sql(
                    db,
                    &format!("INSERT INTO d1_migrations (name) VALUES ('{name}')"),
                )
                .unwrap();
            }
            cf.sql(db, SEED).unwrap();
            cf.put_kv_value(CACHE_NAMESPACE, GENERATION_KEY, b"41");
            for worker in WORKERS {
                cf.seed_worker(
                    &format!("kbc-{worker}"),
                    "0123456789abcdef0123456789abcdef01234567",
                );
            }
            cf.scripts
                .get_mut("kbc-api")
                .unwrap()
                .secrets
                .insert("CLIENT_HASH_SALT".into(), "s3cret-salt-value".into());
            let agent = &mut cf.scripts.get_mut("kbc-agent").unwrap().secrets;
            agent.insert(
                "GOOGLE_CLIENT_ID".into(),
                "1234-test.apps.googleusercontent.com".into(),
            );
            agent.insert("GOOGLE_SECRET".into(), "test-google-secret".into());
            agent.insert(
                "AI_ACCOUNT_ID".into(),
                "0123456789abcdef0123456789abcdef".into(),
            );
            agent.insert("AI_API_TOKEN".into(), "test-workers-ai-token".into());
            let meta = [
                ("FACEBOOK_APP_ID", "1234567890"),
                ("FACEBOOK_APP_SECRET", "test-facebook-app-secret"),
                (
                    "FACEBOOK_TOKEN_KEYS",
                    "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                ),
            ];
            for (name, value) in meta {
                agent.insert(name.into(), value.into());
            }
            agent.insert("FACEBOOK_VERIFY_TOKEN".into(), "test-verify-token".into());
            let facebook = &mut cf.scripts.get_mut("kbc-facebook").unwrap().secrets;
            for (name, value) in meta {
                facebook.insert(name.into(), value.into());
            }
            facebook.insert(
                "BROWSER_RENDERING_ACCOUNT_ID".into(),
                "0123456789abcdef0123456789abcdef".into(),
            );
            facebook.insert(
                "BROWSER_RENDERING_TOKEN".into(),
                "test-rendering-token".into(),
            );
        });
    }

    /// The version split each production worker serves, in [`WORKERS`] order.
    pub fn serving_all(&self) -> Vec<Vec<(String, f64)>> {
        WORKERS.iter().map(|w| self.serving(w)).collect()
    }

    /// The version split a production worker serves.
    pub fn serving(&self, worker: &str) -> Vec<(String, f64)> {
        self.cloudflare
            .with(|cf| cf.production.serving(&format!("kbc-{worker}")))
    }

    /// Whether production's api still holds an edge copy of the cache generation.
    pub fn holds_edge_generation(&self) -> bool {
        self.cloudflare.with(|cf| {
            cf.production
                .kv_value_in(CACHE_NAMESPACE, GENERATION_KEY)
                .is_some()
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.cloudflare.calls()
    }

    /// The record the last production deploy wrote.
    pub fn record(&self) -> Value {
        let dir = self.out().join("production");
        let mut runs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        runs.sort();
        let record = runs.last().expect("a deployment ran").join("record.json");
        serde_json::from_str(&std::fs::read_to_string(record).unwrap()).unwrap()
    }
}

/// The production KV namespace the api caches public answers in (bound as CACHE).
pub const CACHE_NAMESPACE: &str = "kbc-cache-production";

/// wrangler's migrations table, as `d1 migrations apply` creates it.
const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS d1_migrations(\
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, \
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)";

/// A listing's category, standing for the data production holds.
pub const SEED: &str = "INSERT INTO categories (slug, name, created_at, updated_at) \
    VALUES ('bakeries', 'Bakeries', 1767225600, 1767225600)";

/// The key pair the sandbox encrypts backups to (made for these tests only).
pub const BACKUP_IDENTITY: &str =
    "AGE-SECRET-KEY-12MQAGHLLG3QGADP853YH9V8CAZWCDCHXAW2UPMZJ79VM4PCU089SNMS0PM";
const BACKUP_RECIPIENT: &str = "age1mxw39el65qxyfrw3rtdnk0vpxkaj3r9xf2y7glwmjv8gz0pgdvkq0mjung";

/// The manifest with every probe URL pointed at the local workers, and backups encrypted to
/// the test recipient.
fn sandbox_manifest(manifest: &str) -> String {
    let mut kept = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            skipping = line.ends_with(".probe_urls]");
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let mut kept = kept.replace(
        "recipients = []",
        &format!("recipients = [\"{BACKUP_RECIPIENT}\"]"),
    );
    for env in ["production", "preview"] {
        kept.push_str(&format!("\n[{env}.probe_urls]\n"));
        for worker in WORKERS {
            kept.push_str(&format!("{worker} = \"{}\"\n", worker_url(worker)));
        }
    }
    kept
}

/// A finished `cargo xtask` run.
pub struct Run {
    pub command: String,
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn new(args: &[&str], output: Output) -> Self {
        Self {
            command: args.join(" "),
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn assert_ok(&self) {
        assert!(
            self.success,
            "`cargo xtask {}` failed\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.stdout, self.stderr
        );
    }

    pub fn assert_failed(&self) {
        assert!(
            !self.success,
            "`cargo xtask {}` should have failed\n--- stdout\n{}",
            self.command, self.stdout
        );
    }
}

/// The index of the first call matching `method` and a path containing `path`.
pub fn first(calls: &[Call], method: &str, path: &str) -> usize {
    calls
        .iter()
        .position(|c| c.method == method && c.path.contains(path))
        .unwrap_or_else(|| panic!("no {method} …{path} among {} calls", calls.len()))
}
