//! The fake Cloudflare REST API (`/client/v4`): two accounts, production and preview, each
//! reachable only with its own API token, each with Workers (versions,
//! percentage deployments, secrets, cron schedules, custom domains, workers.dev settings),
//! D1 (on SQLite, with Time Travel and export), KV namespaces, R2 buckets and queues (with
//! their Worker consumers). It
//! implements the calls wrangler 4 makes for the commands `cargo xtask` drives, with the
//! real envelope, error codes and pagination, and answers anything else with Cloudflare's
//! own "No route for that URI" error so an unexpected call fails loudly.

use crate::d1::Database;
use crate::http::{self, Handler, Reply, Request, Server};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The production account; pass it to wrangler as `CLOUDFLARE_ACCOUNT_ID`.
pub const ACCOUNT_ID: &str = "0123456789abcdef0123456789abcdef";
/// The only token the production account accepts.
pub const TOKEN: &str = "test-production-token";
/// The preview account (`CLOUDFLARE_PREVIEW_ACCOUNT_ID`).
pub const PREVIEW_ACCOUNT_ID: &str = "fedcba9876543210fedcba9876543210";
/// The only token the preview account accepts.
pub const PREVIEW_TOKEN: &str = "test-preview-token";
/// The account's workers.dev subdomain.
pub const SUBDOMAIN: &str = "kbc-fake";
/// The one zone of the account.
pub const ZONE: &str = "kiamichibizconnect.com";

/// One Worker (script) of the account.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub created_on: String,
    /// Oldest first.
    pub versions: Vec<Version>,
    /// Oldest first; the last one is what the Worker serves.
    pub deployments: Vec<Deployment>,
    pub secrets: BTreeMap<String, String>,
    pub schedules: Vec<String>,
    pub domains: Vec<String>,
    pub workers_dev: bool,
    pub previews_enabled: bool,
}

#[derive(Debug, Clone)]
pub struct Version {
    pub id: String,
    pub number: usize,
    pub created_on: String,
    pub tag: Option<String>,
    pub message: Option<String>,
    /// The `bindings` of the upload's metadata, as sent.
    pub bindings: Value,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub created_on: String,
    pub message: Option<String>,
    /// `(version id, percentage)`.
    pub versions: Vec<(String, f64)>,
}

/// Both accounts; reach them through [`Server::with`].
pub struct Accounts {
    pub production: Cloudflare,
    pub preview: Cloudflare,
}

impl Accounts {
    /// Starts two empty accounts on one loopback port; the zone belongs to production.
    pub fn start() -> std::io::Result<Server<Self>> {
        let mut production = Cloudflare::new(ACCOUNT_ID, TOKEN)?;
        production.zones.insert(
            ZONE.to_owned(),
            "f00dfeedf00dfeedf00dfeedf00dfeed".to_owned(),
        );
        let preview = Cloudflare::new(PREVIEW_ACCOUNT_ID, PREVIEW_TOKEN)?;
        Server::start(Self {
            production,
            preview,
        })
    }
}

impl Handler for Accounts {
    fn handle(&mut self, request: &Request, base_url: &str) -> Reply {
        if request.path.starts_with(EXPORTS) {
            let download = self.production.download(request);
            return if download.status == 200 {
                download
            } else {
                self.preview.download(request)
            };
        }
        let account = request
            .segments_after("/client/v4/accounts/")
            .and_then(|segments| segments.first().copied());
        let holder = match account {
            Some(PREVIEW_ACCOUNT_ID) => &mut self.preview,
            Some(ACCOUNT_ID) | None => &mut self.production,
            Some(_) => return error(403, 10000, "Authentication error"),
        };
        if request.header("authorization") != Some(&format!("Bearer {}", holder.token)) {
            return error(403, 10000, "Authentication error");
        }
        holder.handle(request, base_url)
    }
}

/// Where finished exports are downloaded (their signed URLs).
const EXPORTS: &str = "/__fake/exports/";

/// One account's state.
pub struct Cloudflare {
    account_id: &'static str,
    token: &'static str,
    dir: tempfile::TempDir,
    counter: u64,
    pub scripts: BTreeMap<String, Script>,
    /// By uuid.
    pub databases: BTreeMap<String, Database>,
    /// Namespace id → title.
    pub kv_namespaces: BTreeMap<String, String>,
    /// (namespace id, key) → the value stored under it.
    pub kv_values: BTreeMap<(String, String), Vec<u8>>,
    /// Bucket name → creation date.
    pub buckets: BTreeMap<String, String>,
    /// (bucket, key) → the object's bytes.
    pub objects: BTreeMap<(String, String), Vec<u8>>,
    /// Bucket name → its lifecycle rules, as `PUT .../lifecycle` sent them.
    pub lifecycle: BTreeMap<String, Vec<Value>>,
    /// Queue id → name.
    pub queues: BTreeMap<String, String>,
    /// Queue id → its consumers, as the queue objects embed them.
    pub queue_consumers: BTreeMap<String, Vec<Value>>,
    /// Zone name → id: the zones custom domains may be attached in.
    pub zones: BTreeMap<String, String>,
    /// Finished exports, by the token in their download URL.
    exports: BTreeMap<String, String>,
}

impl Cloudflare {
    fn new(account_id: &'static str, token: &'static str) -> std::io::Result<Self> {
        Ok(Self {
            account_id,
            token,
            dir: tempfile::tempdir()?,
            counter: 0,
            scripts: BTreeMap::new(),
            databases: BTreeMap::new(),
            kv_namespaces: BTreeMap::new(),
            kv_values: BTreeMap::new(),
            buckets: BTreeMap::new(),
            objects: BTreeMap::new(),
            lifecycle: BTreeMap::new(),
            queues: BTreeMap::new(),
            queue_consumers: BTreeMap::new(),
            zones: BTreeMap::new(),
            exports: BTreeMap::new(),
        })
    }

    /// The `CLOUDFLARE_API_BASE_URL` for a fake served at `base_url`.
    pub fn api_base(base_url: &str) -> String {
        format!("{base_url}/client/v4")
    }

    /// A fresh id: 32 hex digits, or a hyphenated uuid.
    fn id(&mut self, hyphens: bool) -> String {
        self.counter += 1;
        let hex = format!("{:08x}{:024x}", self.counter, self.counter * 0x9e37_79b9);
        if hyphens {
            format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            )
        } else {
            hex
        }
    }

    /// A timestamp that orders as the calls did (one second apart per call).
    fn now(&mut self) -> String {
        self.counter += 1;
        let seconds = self.counter;
        format!(
            "2026-01-01T{:02}:{:02}:{:02}.000000Z",
            (seconds / 3600) % 24,
            (seconds / 60) % 60,
            seconds % 60
        )
    }

    /// The value under `key` in the KV namespace titled `title`, if any.
    pub fn kv_value_in(&self, title: &str, key: &str) -> Option<&[u8]> {
        let (id, _) = self.kv_namespaces.iter().find(|(_, t)| *t == title)?;
        self.kv_values
            .get(&(id.clone(), key.to_owned()))
            .map(Vec::as_slice)
    }

    /// Stores `value` under `key` in the KV namespace titled `title` (which must exist).
    pub fn put_kv_value(&mut self, title: &str, key: &str, value: &[u8]) {
        let id = self
            .kv_namespaces
            .iter()
            .find(|(_, t)| *t == title)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no KV namespace titled {title}"));
        self.kv_values.insert((id, key.to_owned()), value.to_vec());
    }

    /// The database named `name`, if any.
    pub fn database_named(&self, name: &str) -> Option<&Database> {
        self.databases.values().find(|db| db.name == name)
    }

    /// Runs SQL on the database named `name` (for tests to look at or change data).
    pub fn sql(&mut self, name: &str, sql: &str) -> Result<Vec<Value>, String> {
        let db = self
            .databases
            .values_mut()
            .find(|db| db.name == name)
            .ok_or_else(|| format!("no database {name}"))?;
        db.query(sql, &[])
    }

    /// The version split a Worker serves now (empty when it has none or does not exist).
    pub fn serving(&self, script: &str) -> Vec<(String, f64)> {
        self.scripts
            .get(script)
            .and_then(|s| s.deployments.last())
            .map(|d| d.versions.clone())
            .unwrap_or_default()
    }

    /// Adds a Worker serving one version at 100%, as if deployed earlier.
    pub fn seed_worker(&mut self, name: &str, tag: &str) -> String {
        let created_on = self.now();
        let version_id = self.id(true);
        let deployment_id = self.id(true);
        let script = self.scripts.entry(name.to_owned()).or_default();
        script.created_on = created_on.clone();
        script.versions.push(Version {
            id: version_id.clone(),
            number: script.versions.len() + 1,
            created_on: created_on.clone(),
            tag: Some(tag.to_owned()),
            message: Some("seeded".into()),
            bindings: json!([]),
        });
        script.deployments.push(Deployment {
            id: deployment_id,
            created_on,
            message: None,
            versions: vec![(version_id.clone(), 100.0)],
        });
        version_id
    }
}

pub(crate) fn ok(result: Value) -> Reply {
    Reply::json(
        200,
        &json!({"success": true, "errors": [], "messages": [], "result": result}),
    )
}

/// One page of a list, as `?page=&per_page=` ask (clients page until a short page).
fn ok_list(request: &Request, items: Vec<Value>) -> Reply {
    let number = |key: &str, default: usize| {
        request
            .query
            .get(key)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(default)
    };
    let page = number("page", 1);
    let per_page = number("per_page", 20);
    let total = items.len();
    let items: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    Reply::json(
        200,
        &json!({
            "success": true, "errors": [], "messages": [], "result": items,
            "result_info": {
                "page": page, "per_page": per_page, "count": items.len(),
                "total_count": total, "total_pages": total.div_ceil(per_page),
            },
        }),
    )
}

/// Cloudflare's error envelope.
pub fn error(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
    )
}

pub(crate) fn no_route() -> Reply {
    error(
        404,
        7003,
        "Could not route to /client/v4, perhaps your object identifier is invalid?",
    )
}

fn script_not_found() -> Reply {
    error(404, 10007, "This Worker does not exist on your account.")
}

impl Cloudflare {
    /// A finished export, by the token in its signed URL.
    fn download(&self, request: &Request) -> Reply {
        let token = request.path.strip_prefix(EXPORTS).unwrap_or_default();
        match self.exports.get(token) {
            Some(dump) => Reply::bytes(200, "application/sql", dump.clone().into_bytes()),
            None => Reply::bytes(404, "text/plain", b"no such export".to_vec()),
        }
    }

    fn handle(&mut self, request: &Request, base_url: &str) -> Reply {
        if let Some(zones) = request.segments_after("/client/v4/zones") {
            return self.zone(request, &zones);
        }
        let Some(segments) = request.segments_after("/client/v4/accounts/") else {
            return no_route();
        };
        match segments.split_first() {
            Some((&account, rest)) if account == self.account_id => {
                let rest: Vec<&str> = rest.to_vec();
                self.account(request, &rest, base_url)
            }
            _ => error(403, 10000, "Authentication error"),
        }
    }
}

impl Cloudflare {
    fn account(&mut self, request: &Request, path: &[&str], base_url: &str) -> Reply {
        let method = request.method.as_str();
        match (method, path) {
            ("GET", ["workers", "subdomain"]) => ok(json!({"subdomain": SUBDOMAIN})),
            ("GET", ["workers", "services", name]) => self.service(name),
            ("DELETE", ["workers", "services", name]) => match self.scripts.remove(*name) {
                Some(_) => ok(json!(null)),
                None => error(404, 10090, "workers.api.error.service_not_found"),
            },
            ("PUT", ["workers", "scripts", name]) => self.upload_script(request, name),
            (_, ["workers", "scripts", name, rest @ ..]) => self.script(request, name, rest),
            ("GET", ["d1", "database"]) => self.d1_list(request),
            ("POST", ["d1", "database"]) => self.d1_create(request),
            (_, ["d1", "database", id, rest @ ..]) => self.d1(request, id, rest, base_url),
            ("GET", ["storage", "kv", "namespaces"]) => ok_list(
                request,
                self.kv_namespaces
                    .iter()
                    .map(|(id, title)| kv_json(id, title))
                    .collect(),
            ),
            ("POST", ["storage", "kv", "namespaces"]) => self.kv_create(request),
            (_, ["storage", "kv", "namespaces", id, "values", key @ ..]) if !key.is_empty() => {
                self.kv_value(request, id, &key.join("/"))
            }
            ("GET", ["storage", "kv", "namespaces", id]) => match self.kv_namespaces.get(*id) {
                Some(title) => ok(kv_json(id, title)),
                None => error(404, 10013, "namespace not found"),
            },
            ("DELETE", ["storage", "kv", "namespaces", id]) => {
                match self.kv_namespaces.remove(*id) {
                    Some(_) => {
                        self.kv_values.retain(|(namespace, _), _| namespace != id);
                        ok(json!({}))
                    }
                    None => error(404, 10013, "namespace not found"),
                }
            }
            ("GET", ["r2", "buckets"]) => ok(json!({
                "buckets": self
                    .buckets
                    .iter()
                    .map(|(name, created)| json!({"name": name, "creation_date": created}))
                    .collect::<Vec<_>>(),
            })),
            ("POST", ["r2", "buckets"]) => self.r2_create(request),
            ("GET", ["r2", "buckets", name]) => match self.buckets.get(*name) {
                Some(created) => ok(json!({
                    "name": name, "creation_date": created, "location": "ENAM", "storage_class": "Standard",
                })),
                None => error(404, 10006, "The specified bucket does not exist."),
            },
            ("DELETE", ["r2", "buckets", name]) => self.r2_delete(name),
            (_, ["r2", "buckets", name, "lifecycle"]) => self.r2_lifecycle(request, name),
            (_, ["r2", "buckets", bucket, "objects", key @ ..]) if !key.is_empty() => {
                self.r2_object(request, bucket, &key.join("/"))
            }
            // wrangler looks a queue up by name (`?name=`) and reads its embedded consumers.
            // Several `name`s ask for each of them (a deploy checks every queue it binds).
            ("GET", ["queues"]) => {
                let wanted: Vec<&str> = request
                    .query_pairs
                    .iter()
                    .filter(|(key, _)| key == "name")
                    .map(|(_, name)| name.as_str())
                    .collect();
                ok_list(
                    request,
                    self.queues
                        .iter()
                        .filter(|(_, name)| wanted.is_empty() || wanted.contains(&name.as_str()))
                        .map(|(id, name)| self.queue_json(id, name))
                        .collect(),
                )
            }
            ("POST", ["queues"]) => self.queue_create(request),
            ("GET", ["queues", id]) => match self.queues.get(*id) {
                Some(name) => ok(self.queue_json(id, name)),
                None => error(404, 11000, "Queue does not exist"),
            },
            ("POST", ["queues", id, "consumers"]) => self.consumer_put(request, id, None),
            ("PUT", ["queues", id, "consumers", consumer]) => {
                self.consumer_put(request, id, Some(consumer))
            }
            ("DELETE", ["queues", id]) => match self.queues.remove(*id) {
                Some(_) => ok(json!({})),
                None => error(404, 11000, "Queue does not exist"),
            },
            _ => no_route(),
        }
    }

    fn zone(&self, request: &Request, path: &[&str]) -> Reply {
        match (request.method.as_str(), path) {
            ("GET", []) => {
                let wanted = request.query.get("name");
                ok_list(
                    request,
                    self.zones
                        .iter()
                        .filter(|(name, _)| wanted.is_none_or(|w| w == *name))
                        .map(|(name, id)| json!({"id": id, "name": name, "status": "active"}))
                        .collect(),
                )
            }
            ("GET", [id, "workers", "routes"]) if self.zones.values().any(|z| z == id) => {
                ok_list(request, Vec::new())
            }
            _ => no_route(),
        }
    }

    /// `PUT /workers/scripts/NAME`: the upload `wrangler deploy` makes for a Worker that has
    /// no versions yet; it creates a version and deploys it at 100%.
    fn upload_script(&mut self, request: &Request, name: &str) -> Reply {
        let reply = self.upload_version(request, name);
        if reply.status != 200 {
            return reply;
        }
        let now = self.now();
        let deployment_id = self.id(true);
        let script = self
            .scripts
            .get_mut(name)
            .expect("the upload just created it");
        let version = script
            .versions
            .last()
            .expect("the upload just added it")
            .id
            .clone();
        script.deployments.push(Deployment {
            id: deployment_id,
            created_on: now,
            message: None,
            versions: vec![(version.clone(), 100.0)],
        });
        ok(json!({
            "id": name, "etag": format!("etag-{version}"), "handlers": ["fetch", "scheduled"],
            "deployment_id": version, "startup_time_ms": 5, "has_modules": true,
        }))
    }

    fn service(&self, name: &str) -> Reply {
        let Some(script) = self.scripts.get(name) else {
            return error(404, 10090, "workers.api.error.service_not_found");
        };
        let tag = format!("tag-{name}");
        ok(json!({
            "id": name,
            "created_on": script.created_on,
            "modified_on": script.created_on,
            "default_environment": {
                "environment": "production",
                "created_on": script.created_on,
                "modified_on": script.created_on,
                "script": {
                    "id": name, "tag": tag, "etag": tag, "handlers": ["fetch", "scheduled"],
                    "last_deployed_from": "wrangler",
                },
            },
        }))
    }

    fn script(&mut self, request: &Request, name: &str, rest: &[&str]) -> Reply {
        let method = request.method.as_str();
        if method == "DELETE" && rest.is_empty() {
            return match self.scripts.remove(name) {
                Some(_) => ok(json!(null)),
                None => script_not_found(),
            };
        }
        if method == "POST" && rest == ["versions"] {
            return self.upload_version(request, name);
        }
        let now = self.now();
        let new_id = self.id(true);
        let Some(script) = self.scripts.get_mut(name) else {
            return script_not_found();
        };
        match (method, rest) {
            ("GET", ["versions"]) => {
                let items: Vec<Value> = script.versions.iter().rev().map(version_json).collect();
                ok(json!({"items": items}))
            }
            ("GET", ["versions", id]) => match script.versions.iter().find(|v| v.id == *id) {
                Some(version) => ok(version_json(version)),
                None => error(404, 10220, "version not found"),
            },
            ("GET", ["deployments"]) => ok(json!({
                "deployments": script.deployments.iter().rev().map(deployment_json).collect::<Vec<_>>(),
            })),
            ("POST", ["deployments"]) => {
                let body = request.json();
                let mut versions = Vec::new();
                for entry in body["versions"].as_array().into_iter().flatten() {
                    let id = entry["version_id"].as_str().unwrap_or_default().to_owned();
                    if !script.versions.iter().any(|v| v.id == id) {
                        return error(400, 10220, &format!("version {id} not found"));
                    }
                    versions.push((id, entry["percentage"].as_f64().unwrap_or(0.0)));
                }
                let total: f64 = versions.iter().map(|(_, p)| p).sum();
                if versions.is_empty() || (total - 100.0).abs() > 1e-6 {
                    return error(400, 10221, "deployment percentages must add up to 100");
                }
                let deployment = Deployment {
                    id: new_id,
                    created_on: now,
                    message: body["annotations"]["workers/message"]
                        .as_str()
                        .map(str::to_owned),
                    versions,
                };
                let answer = deployment_json(&deployment);
                script.deployments.push(deployment);
                ok(answer)
            }
            ("PATCH", ["script-settings"]) | ("GET", ["script-settings"]) => ok(
                json!({"logpush": false, "tail_consumers": null, "observability": {"enabled": false}, "tags": []}),
            ),
            ("GET", ["settings"]) | ("PATCH", ["settings"]) => ok(json!({
                "bindings": script.versions.last().map_or(json!([]), |v| v.bindings.clone()),
                "compatibility_date": "2025-11-01", "compatibility_flags": [], "logpush": false,
                "placement": {}, "tail_consumers": [], "observability": {"enabled": false},
            })),
            ("GET", ["secrets"]) => ok_list(
                request,
                script
                    .secrets
                    .keys()
                    .map(|name| json!({"name": name, "type": "secret_text"}))
                    .collect(),
            ),
            ("PUT", ["secrets"]) => {
                let body = request.json();
                let Some(secret) = body["name"].as_str() else {
                    return error(400, 10021, "secret name missing");
                };
                script.secrets.insert(
                    secret.to_owned(),
                    body["text"].as_str().unwrap_or_default().to_owned(),
                );
                ok(json!({"name": secret, "type": "secret_text"}))
            }
            ("DELETE", ["secrets", secret]) => match script.secrets.remove(*secret) {
                Some(_) => ok(json!(null)),
                None => error(404, 10056, "secret not found"),
            },
            ("GET", ["schedules"]) => ok(schedules_json(&script.schedules, &script.created_on)),
            ("PUT", ["schedules"]) => {
                script.schedules = request
                    .json()
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["cron"].as_str().map(str::to_owned))
                    .collect();
                ok(schedules_json(&script.schedules, &script.created_on))
            }
            ("GET", ["subdomain"]) => ok(json!({
                "enabled": script.workers_dev, "previews_enabled": script.previews_enabled,
            })),
            ("POST", ["subdomain"]) => {
                let body = request.json();
                script.workers_dev = body["enabled"].as_bool().unwrap_or(false);
                script.previews_enabled = body["previews_enabled"]
                    .as_bool()
                    .unwrap_or(script.workers_dev);
                ok(
                    json!({"enabled": script.workers_dev, "previews_enabled": script.previews_enabled}),
                )
            }
            ("POST", ["domains", "changeset"]) => {
                ok(json!({"added": [], "removed": [], "updated": [], "conflicting": []}))
            }
            ("PUT", ["domains", "records"]) => {
                script.domains = request.json()["origins"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["hostname"].as_str().map(str::to_owned))
                    .collect();
                ok(json!(null))
            }
            ("GET", ["routes"]) => ok(json!([])),
            ("GET", ["references"]) => {
                ok(json!({"durable_objects": [], "dispatch_outbounds": [], "services": []}))
            }
            _ => no_route(),
        }
    }

    fn upload_version(&mut self, request: &Request, name: &str) -> Reply {
        let parts = http::multipart_parts(request);
        let Some(metadata) = parts
            .iter()
            .find(|(part, _)| part == "metadata")
            .and_then(|(_, content)| serde_json::from_slice::<Value>(content).ok())
        else {
            return error(400, 10021, "metadata part missing or not JSON");
        };
        let main = metadata["main_module"].as_str().unwrap_or_default();
        if main.is_empty() || !parts.iter().any(|(part, _)| part == main) {
            return error(400, 10021, "the main module was not uploaded");
        }
        let now = self.now();
        let id = self.id(true);
        let script = self
            .scripts
            .entry(name.to_owned())
            .or_insert_with(|| Script {
                created_on: now.clone(),
                ..Script::default()
            });
        let annotations = &metadata["annotations"];
        let version = Version {
            id,
            number: script.versions.len() + 1,
            created_on: now,
            tag: annotations["workers/tag"].as_str().map(str::to_owned),
            message: annotations["workers/message"].as_str().map(str::to_owned),
            bindings: metadata["bindings"].clone(),
        };
        let mut answer = version_json(&version);
        answer["resources"]["script"] =
            json!({"etag": format!("etag-{}", version.id), "handlers": ["fetch", "scheduled"]});
        answer["startup_time_ms"] = json!(5);
        script.versions.push(version);
        ok(answer)
    }

    fn d1_list(&self, request: &Request) -> Reply {
        let wanted = request.query.get("name");
        ok_list(
            request,
            self.databases
                .values()
                .filter(|db| wanted.is_none_or(|name| &db.name == name))
                .map(Database::info)
                .collect(),
        )
    }

    fn d1_create(&mut self, request: &Request) -> Reply {
        let body = request.json();
        let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
            return error(400, 7400, "name is required");
        };
        if self.database_named(name).is_some() {
            return error(400, 7502, "A database with that name already exists");
        }
        let uuid = self.id(true);
        let created = self.now();
        match Database::create(self.dir.path(), &uuid, name, &created) {
            Ok(db) => {
                let info = db.info();
                self.databases.insert(uuid, db);
                ok(info)
            }
            Err(err) => error(500, 7500, &err),
        }
    }

    fn d1(&mut self, request: &Request, id: &str, rest: &[&str], base_url: &str) -> Reply {
        let method = request.method.as_str();
        // The API takes a name where it takes a uuid.
        let uuid = match self.databases.get(id) {
            Some(_) => id.to_owned(),
            None => match self.database_named(id) {
                Some(db) => db.uuid.clone(),
                None => return error(404, 7404, "The database could not be found"),
            },
        };
        if method == "DELETE" && rest.is_empty() {
            self.databases.remove(&uuid);
            return ok(json!(null));
        }
        let token = self.id(false);
        let Some(db) = self.databases.get_mut(&uuid) else {
            return error(404, 7404, "The database could not be found");
        };
        match (method, rest) {
            ("GET", []) => ok(db.info()),
            ("POST", ["query"]) | ("POST", ["raw"]) => {
                let body = request.json();
                let statements: Vec<&Value> = match &body {
                    Value::Array(batch) => batch.iter().collect(),
                    single => vec![single],
                };
                let mut results = Vec::new();
                for statement in statements {
                    let sql = statement["sql"].as_str().unwrap_or_default();
                    let params = statement["params"].as_array().cloned().unwrap_or_default();
                    match db.query(sql, &params) {
                        Ok(mut r) => results.append(&mut r),
                        Err(err) => return error(400, 7500, &err),
                    }
                }
                if rest == ["raw"] {
                    results = results.into_iter().map(raw_result).collect();
                }
                ok(Value::Array(results))
            }
            ("GET", ["time_travel", "bookmark"]) => match db.bookmark() {
                Ok(bookmark) => ok(json!({"bookmark": bookmark})),
                Err(err) => error(500, 7500, &err),
            },
            ("POST", ["time_travel", "restore"]) => {
                let Some(bookmark) = request.query.get("bookmark") else {
                    return error(400, 7400, "bookmark or timestamp is required");
                };
                match db.restore(bookmark) {
                    Ok(previous) => ok(json!({
                        "bookmark": bookmark, "previous_bookmark": previous,
                        "message": "Database restored successfully",
                    })),
                    Err(err) => error(400, 7400, &err),
                }
            }
            ("POST", ["export"]) => {
                let body = request.json();
                let tables: Vec<String> = body["dump_options"]["tables"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect();
                match db.export(&tables, body["dump_options"]["no_schema"] == json!(true)) {
                    Ok(dump) => {
                        let at = db.bookmark().unwrap_or_default();
                        let filename = format!("{}-{at}.sql", db.name);
                        self.exports.insert(token.clone(), dump);
                        ok(json!({
                            "success": true, "type": "export", "at_bookmark": at, "status": "complete",
                            "messages": ["Generated export"], "error": null,
                            "result": {
                                "filename": filename,
                                "signed_url": format!("{base_url}/__fake/exports/{token}"),
                            },
                        }))
                    }
                    Err(err) => ok(json!({
                        "success": true, "type": "export", "status": "error", "error": err, "messages": [],
                    })),
                }
            }
            _ => no_route(),
        }
    }

    fn kv_create(&mut self, request: &Request) -> Reply {
        let Some(title) = request.json()["title"].as_str().map(str::to_owned) else {
            return error(400, 10019, "title is required");
        };
        if self.kv_namespaces.values().any(|t| *t == title) {
            return error(
                400,
                10014,
                "A namespace with this account ID and title already exists",
            );
        }
        let id = self.id(false);
        self.kv_namespaces.insert(id.clone(), title.clone());
        ok(kv_json(&id, &title))
    }

    /// One key's value, as `wrangler kv key get|delete --remote` reach it (the key is
    /// percent-encoded in the path). Deleting a key that is not there succeeds, as on
    /// Cloudflare.
    fn kv_value(&mut self, request: &Request, namespace: &str, key: &str) -> Reply {
        if !self.kv_namespaces.contains_key(namespace) {
            return error(404, 10013, "namespace not found");
        }
        let id = (namespace.to_owned(), key.to_owned());
        match request.method.as_str() {
            "GET" => match self.kv_values.get(&id) {
                Some(value) => Reply::bytes(200, "application/octet-stream", value.clone()),
                None => error(404, 10009, "get: 'key not found'"),
            },
            "DELETE" => {
                self.kv_values.remove(&id);
                ok(json!(null))
            }
            _ => no_route(),
        }
    }

    fn r2_create(&mut self, request: &Request) -> Reply {
        let Some(name) = request.json()["name"].as_str().map(str::to_owned) else {
            return error(400, 10005, "name is required");
        };
        if self.buckets.contains_key(&name) {
            return error(
                409,
                10004,
                "The bucket you tried to create already exists, and you own it.",
            );
        }
        let created = self.now();
        self.buckets.insert(name.clone(), created.clone());
        ok(json!({"name": name, "creation_date": created, "location": "ENAM"}))
    }

    fn r2_delete(&mut self, name: &str) -> Reply {
        if !self.buckets.contains_key(name) {
            return error(404, 10006, "The specified bucket does not exist.");
        }
        if self.objects.keys().any(|(bucket, _)| bucket == name) {
            return error(409, 10008, "The bucket you tried to delete is not empty.");
        }
        self.buckets.remove(name);
        ok(json!({}))
    }

    /// A bucket's lifecycle rules: read, or replaced whole (rule ids must be unique).
    fn r2_lifecycle(&mut self, request: &Request, bucket: &str) -> Reply {
        if !self.buckets.contains_key(bucket) {
            return error(404, 10006, "The specified bucket does not exist.");
        }
        match request.method.as_str() {
            "GET" => ok(json!({"rules": self.lifecycle.get(bucket).cloned().unwrap_or_default()})),
            "PUT" => {
                let rules = request.json()["rules"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
                ids.sort_unstable();
                if let Some(twice) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
                    let message = format!("Lifecycle rule ids must be unique: {}", twice[0]);
                    return error(400, 10040, &message);
                }
                self.lifecycle.insert(bucket.to_owned(), rules);
                ok(json!({}))
            }
            _ => no_route(),
        }
    }

    /// R2's object calls, as wrangler's `r2 object put|get|delete --remote` make them.
    fn r2_object(&mut self, request: &Request, bucket: &str, key: &str) -> Reply {
        if !self.buckets.contains_key(bucket) {
            return error(404, 10006, "The specified bucket does not exist.");
        }
        let id = (bucket.to_owned(), key.to_owned());
        match request.method.as_str() {
            "PUT" => {
                self.objects.insert(id, request.body.clone());
                ok(json!({"key": key, "size": request.body.len()}))
            }
            "GET" => match self.objects.get(&id) {
                Some(bytes) => Reply::bytes(200, "application/octet-stream", bytes.clone()),
                None => error(404, 10007, "The specified key does not exist."),
            },
            "DELETE" => {
                self.objects.remove(&id);
                ok(json!({}))
            }
            _ => no_route(),
        }
    }

    fn queue_create(&mut self, request: &Request) -> Reply {
        let Some(name) = request.json()["queue_name"].as_str().map(str::to_owned) else {
            return error(400, 11001, "queue_name is required");
        };
        if self.queues.values().any(|q| *q == name) {
            return error(409, 11009, "A queue with this name already exists");
        }
        let id = self.id(false);
        self.queues.insert(id.clone(), name.clone());
        ok(self.queue_json(&id, &name))
    }

    /// Attaches a Worker consumer to a queue (`consumer` none) or replaces one, as
    /// `wrangler triggers deploy` does; a queue takes one consumer.
    fn consumer_put(&mut self, request: &Request, queue: &str, consumer: Option<&str>) -> Reply {
        let Some(name) = self.queues.get(queue).cloned() else {
            return error(404, 11000, "Queue does not exist");
        };
        let body = request.json();
        let Some(script) = body["script_name"].as_str().map(str::to_owned) else {
            return error(400, 11001, "script_name is required");
        };
        let consumers = self.queue_consumers.entry(queue.to_owned()).or_default();
        let id = match consumer {
            Some(id) if consumers.iter().any(|c| c["consumer_id"] == id) => id.to_owned(),
            Some(_) => return error(404, 11000, "Consumer does not exist"),
            None if !consumers.is_empty() => {
                return error(409, 11005, "This queue already has a consumer");
            }
            None => format!("consumer-{queue}"),
        };
        consumers.retain(|c| c["consumer_id"] != id.as_str());
        let entry = json!({
            "consumer_id": id, "type": "worker", "script": script, "queue_name": name,
            "dead_letter_queue": body["dead_letter_queue"], "settings": body["settings"],
            "created_on": "2026-01-01T00:00:00Z",
        });
        consumers.push(entry.clone());
        ok(entry)
    }

    fn queue_json(&self, id: &str, name: &str) -> Value {
        let consumers = self.queue_consumers.get(id).cloned().unwrap_or_default();
        json!({
            "queue_id": id, "queue_name": name, "created_on": "2026-01-01T00:00:00Z",
            "modified_on": "2026-01-01T00:00:00Z", "producers": [], "producers_total_count": 0,
            "consumers_total_count": consumers.len(), "consumers": consumers,
        })
    }
}

fn kv_json(id: &str, title: &str) -> Value {
    json!({"id": id, "title": title, "supports_url_encoding": true})
}

fn version_json(version: &Version) -> Value {
    let mut annotations = json!({"workers/triggered_by": "upload"});
    if let Some(tag) = &version.tag {
        annotations["workers/tag"] = json!(tag);
    }
    if let Some(message) = &version.message {
        annotations["workers/message"] = json!(message);
    }
    json!({
        "id": version.id,
        "number": version.number,
        "metadata": {
            "author_email": "ci@example.com", "author_id": "fake", "created_on": version.created_on,
            "modified_on": version.created_on, "source": "wrangler", "hasPreview": false,
        },
        "annotations": annotations,
        "resources": {
            "bindings": version.bindings,
            "script": {"etag": format!("etag-{}", version.id), "handlers": ["fetch", "scheduled"]},
            "script_runtime": {
                "compatibility_date": "2025-11-01", "compatibility_flags": [], "usage_model": "standard",
            },
        },
    })
}

fn deployment_json(deployment: &Deployment) -> Value {
    let mut annotations = json!({});
    if let Some(message) = &deployment.message {
        annotations["workers/message"] = json!(message);
    }
    json!({
        "id": deployment.id,
        "source": "wrangler",
        "strategy": "percentage",
        "author_email": "ci@example.com",
        "created_on": deployment.created_on,
        "annotations": annotations,
        "versions": deployment
            .versions
            .iter()
            .map(|(id, p)| json!({"version_id": id, "percentage": p}))
            .collect::<Vec<_>>(),
    })
}

fn schedules_json(crons: &[String], created: &str) -> Value {
    let schedules: Vec<Value> = crons
        .iter()
        .map(|c| json!({"cron": c, "created_on": created, "modified_on": created}))
        .collect();
    json!({"schedules": schedules})
}

/// The `/raw` shape: columns and rows as arrays.
fn raw_result(result: Value) -> Value {
    let rows = result["results"].as_array().cloned().unwrap_or_default();
    let columns: Vec<String> = rows
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let values: Vec<Value> = rows
        .iter()
        .map(|row| Value::Array(columns.iter().map(|c| row[c].clone()).collect()))
        .collect();
    json!({"results": {"columns": columns, "rows": values}, "success": true, "meta": result["meta"]})
}
