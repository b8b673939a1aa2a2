//! The api worker's read-through cache: answers under the edge copy of the cache generation
//! and the deployed git sha (see `kbc_domain::cache`), in KV, and — where `EDGE_CACHE=on`
//! (production, on our own domain) — in the location's Cache API in front of it, so a hot
//! answer costs no KV read at all. This isolate remembers the generation for
//! `GENERATION_MEMO_MS` (default one second), so under load a cached answer costs one cache
//! read and no D1 query.

use kbc_domain::cache::{self, ANSWER_TTL_SECONDS, Cache, GenerationMemo, KvCache, Outcome};
use kbc_domain::db::DbError;
use kbc_domain::db::d1::D1;
use kbc_edge::{GIT_SHA, runtime};
use std::future::Future;
use worker::{Context, Env, ResponseBuilder};

const DEFAULT_MEMO_MS: i64 = 1000;
/// Cache API keys are URLs; this host is never resolved, it only names our entries.
const EDGE_KEY_ORIGIN: &str = "https://answers.kbc.invalid/";

thread_local! {
    static GENERATION: GenerationMemo = GenerationMemo::default();
}

/// The body for `scope` and the parameters it reads: from the cache, or computed and stored
/// after answering. `KV_CACHE=off` bypasses caching.
pub async fn read_through<E, F>(
    env: &Env,
    ctx: &Context,
    db: &D1,
    scope: &str,
    params: &[(&str, &str)],
    compute: F,
) -> Result<(String, Outcome), E>
where
    E: From<DbError>,
    F: Future<Output = Result<String, E>>,
{
    let Some(kv) = runtime::cache(env) else {
        return Ok((compute.await?, Outcome::Bypass));
    };
    let memo_ms = runtime::var(env, "GENERATION_MEMO_MS")
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(DEFAULT_MEMO_MS);
    // The generation itself is read from KV only: the Cache API is per location and would
    // keep an old generation past its publication.
    let generation =
        GenerationMemo::generation(&GENERATION, &kv, db, runtime::now_ms(), memo_ms).await?;
    let key = cache::key(generation, GIT_SHA, scope, params);
    let layers = Layers {
        edge: runtime::var(env, "EDGE_CACHE").as_deref() == Some("on"),
        kv,
    };
    cache::read_through(&layers, &key, compute, |key, body| {
        // Store after answering: the visitor should not wait for the cache write.
        let store = Layers {
            edge: layers.edge,
            kv: KvCache(layers.kv.0.clone()),
        };
        ctx.wait_until(async move { store.put(&key, &body, ANSWER_TTL_SECONDS).await });
    })
    .await
}

/// The Cache API of this location (when enabled) in front of KV.
struct Layers {
    edge: bool,
    kv: KvCache,
}

fn edge_url(key: &str) -> String {
    format!("{EDGE_KEY_ORIGIN}{key}")
}

impl Layers {
    async fn edge_get(&self, key: &str) -> Option<String> {
        let mut response = worker::Cache::default()
            .get(edge_url(key), false)
            .await
            .ok()??;
        response.text().await.ok()
    }

    async fn edge_put(&self, key: &str, value: &str, ttl_seconds: u64) {
        let response = ResponseBuilder::new()
            .with_header("Cache-Control", &format!("public, max-age={ttl_seconds}"))
            .map(|builder| builder.fixed(value.as_bytes().to_vec()));
        if let Ok(response) = response {
            let _ = worker::Cache::default().put(edge_url(key), response).await;
        }
    }
}

impl Cache for Layers {
    async fn get(&self, key: &str) -> Option<String> {
        if self.edge
            && let Some(body) = self.edge_get(key).await
        {
            return Some(body);
        }
        let body = self.kv.get(key).await?;
        if self.edge {
            // First request for this answer at this location: keep it here too.
            self.edge_put(key, &body, ANSWER_TTL_SECONDS).await;
        }
        Some(body)
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) {
        if self.edge {
            self.edge_put(key, value, ttl_seconds).await;
        }
        self.kv.put(key, value, ttl_seconds).await;
    }
}
