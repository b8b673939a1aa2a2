//! The api worker's read-through cache: answers in KV under the edge copy of the cache
//! generation and the deployed git sha (see `kbc_domain::cache`). This isolate remembers the
//! generation for `GENERATION_MEMO_MS` (default one second), so under load a cached answer
//! costs one KV read and no D1 query at all.

use kbc_domain::cache::{self, ANSWER_TTL_SECONDS, Cache, GenerationMemo, KvCache, Outcome};
use kbc_domain::db::DbError;
use kbc_domain::db::d1::D1;
use kbc_edge::{GIT_SHA, runtime};
use std::future::Future;
use worker::{Context, Env};

const DEFAULT_MEMO_MS: i64 = 1000;

thread_local! {
    static GENERATION: GenerationMemo = GenerationMemo::default();
}

/// The body for `scope` and the parameters it reads: from KV, or computed and stored after
/// answering. `KV_CACHE=off` bypasses the cache.
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
    let now_ms = runtime::now_ms();
    let generation = GenerationMemo::generation(&GENERATION, &kv, db, now_ms, memo_ms).await?;
    let key = cache::key(generation, GIT_SHA, scope, params);
    cache::read_through(&kv, &key, compute, |key, body| {
        // Store after answering: the visitor should not wait for the cache write.
        let store = KvCache(kv.0.clone());
        ctx.wait_until(async move { store.put(&key, &body, ANSWER_TTL_SECONDS).await });
    })
    .await
}
