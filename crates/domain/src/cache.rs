//! The read-through cache of public answers: Workers KV on wasm32, a process-local map
//! natively, behind one [`Cache`] seam.
//!
//! A cached answer must not cost a database round trip: D1 lives in one region, the cache at
//! every edge location. So the cache generation — the counter that triggers bump in D1
//! whenever public data changes — is mirrored into the cache itself under
//! [`GENERATION_KEY`]. Code that changes public data republishes it at once
//! ([`publish_generation`]); `migrate`, `seed` and `deploy` drop it so the next request
//! re-reads it; and it expires after [`GENERATION_TTL_SECONDS`], so even a change made
//! behind the code's back (a console query) shows within a minute. Keys carry that
//! generation and the deployed version, so a change or a deploy retires every cached
//! answer without listing keys, and no version ever serves what another one rendered.
//! Cache failures are never errors to the caller: a broken cache is a miss.

use crate::db::{Database, DbResult, Statement, fetch_integer};
use std::cell::Cell;
use std::thread::LocalKey;

#[allow(async_fn_in_trait)]
pub trait Cache {
    async fn get(&self, key: &str) -> Option<String>;
    async fn put(&self, key: &str, value: &str, ttl_seconds: u64);
}

/// Where the edge copy of the cache generation is kept.
pub const GENERATION_KEY: &str = "meta:generation";
/// How long the edge copy lives before it is read from the database again (KV's minimum).
pub const GENERATION_TTL_SECONDS: u64 = 60;
/// How long a cached answer is kept; the generation in its key retires it sooner.
pub const ANSWER_TTL_SECONDS: u64 = 3600;

/// Where an answer came from, for the `X-Cache` header and the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Hit,
    Miss,
    /// Caching is switched off (`KV_CACHE=off`) or has no binding.
    Bypass,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "HIT",
            Self::Miss => "MISS",
            Self::Bypass => "BYPASS",
        }
    }
}

/// The current cache generation from the database (the source of truth).
pub async fn generation(db: &impl Database) -> DbResult<i64> {
    fetch_integer(
        db,
        &Statement::new("SELECT generation FROM cache_generation WHERE id = 1"),
    )
    .await
}

/// The generation as the edge knows it; the database is asked only when the edge copy is
/// missing or expired, and its answer is published for the next requests.
pub async fn current_generation(cache: &impl Cache, db: &impl Database) -> DbResult<i64> {
    if let Some(generation) = cache
        .get(GENERATION_KEY)
        .await
        .and_then(|text| text.parse().ok())
    {
        return Ok(generation);
    }
    publish_generation(cache, db).await
}

/// Copies the database's generation to the edge; call it after changing public data.
pub async fn publish_generation(cache: &impl Cache, db: &impl Database) -> DbResult<i64> {
    let generation = generation(db).await?;
    cache
        .put(
            GENERATION_KEY,
            &generation.to_string(),
            GENERATION_TTL_SECONDS,
        )
        .await;
    Ok(generation)
}

/// The edge generation as one isolate remembers it for a moment (`memo_ms`), so that under
/// load a cached answer costs one cache read: its own.
#[derive(Debug, Default)]
pub struct GenerationMemo(Cell<Option<(i64, i64)>>);

impl GenerationMemo {
    /// The generation in `memo` while it is fresh, else read from the edge and remembered.
    pub async fn generation(
        memo: &'static LocalKey<Self>,
        cache: &impl Cache,
        db: &impl Database,
        now_ms: i64,
        memo_ms: i64,
    ) -> DbResult<i64> {
        let remembered = memo.with(|m| m.0.get());
        if let Some((generation, until)) = remembered
            && now_ms < until
        {
            return Ok(generation);
        }
        let generation = current_generation(cache, db).await?;
        memo.with(|m| m.0.set(Some((generation, now_ms + memo_ms))));
        Ok(generation)
    }
}

/// A cache key: the generation, the deployed version, the scope (an endpoint or a page) and
/// the parameters that answer reads, in the order given, each escaped so that no two
/// requests share a key.
pub fn key(generation: i64, version: &str, scope: &str, params: &[(&str, &str)]) -> String {
    let canonical = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    // Hashing keeps keys short and within KV's 512-byte limit whatever the query was.
    let digest = crate::fingerprint::sha256_hex(canonical.as_bytes(), 16);
    format!("g{generation}:{version}:{scope}:{digest}")
}

/// A body from the cache under `key`, or computed and then stored there (the store is
/// handed to `defer`, so the visitor does not wait for it).
pub async fn read_through<C, E, F>(
    cache: &C,
    key: &str,
    compute: F,
    defer: impl FnOnce(String, String),
) -> Result<(String, Outcome), E>
where
    C: Cache,
    F: Future<Output = Result<String, E>>,
{
    if let Some(body) = cache.get(key).await {
        return Ok((body, Outcome::Hit));
    }
    let body = compute.await?;
    defer(key.to_owned(), body.clone());
    Ok((body, Outcome::Miss))
}

#[cfg(not(target_arch = "wasm32"))]
mod memory {
    use super::Cache;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// The native cache: a map in memory, for tests and native tools. It counts its reads,
    /// so tests can tell how many storage calls an answer cost.
    #[derive(Default)]
    pub struct MemoryCache {
        entries: Mutex<HashMap<String, String>>,
        reads: AtomicU32,
    }

    impl MemoryCache {
        pub fn reads(&self) -> u32 {
            self.reads.load(Ordering::Relaxed)
        }

        /// Drops an entry, as `migrate` and `deploy` drop the edge generation.
        pub fn remove(&self, key: &str) {
            if let Ok(mut map) = self.entries.lock() {
                map.remove(key);
            }
        }
    }

    impl Cache for MemoryCache {
        async fn get(&self, key: &str) -> Option<String> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.entries.lock().ok()?.get(key).cloned()
        }

        async fn put(&self, key: &str, value: &str, _ttl_seconds: u64) {
            if let Ok(mut map) = self.entries.lock() {
                map.insert(key.to_owned(), value.to_owned());
            }
        }
    }
}
#[cfg(not(target_arch = "wasm32"))]
pub use memory::MemoryCache;

#[cfg(target_arch = "wasm32")]
mod kv {
    use super::Cache;

    /// Workers KV as the cache.
    pub struct KvCache(pub worker::kv::KvStore);

    impl Cache for KvCache {
        async fn get(&self, key: &str) -> Option<String> {
            self.0.get(key).text().await.ok().flatten()
        }

        async fn put(&self, key: &str, value: &str, ttl_seconds: u64) {
            // KV's minimum TTL is 60 seconds.
            if let Ok(builder) = self.0.put(key, value) {
                let _ = builder.expiration_ttl(ttl_seconds.max(60)).execute().await;
            }
        }
    }
}
#[cfg(target_arch = "wasm32")]
pub use kv::KvCache;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::db::{Database, Row};
    use pollster::block_on;

    /// The real SQLite database, counting the statements that reach it.
    struct Counted {
        db: SqliteDatabase,
        queries: Cell<u32>,
    }

    impl Database for Counted {
        async fn query(&self, statement: &Statement) -> DbResult<Vec<Row>> {
            self.queries.set(self.queries.get() + 1);
            self.db.query(statement).await
        }
        async fn execute(&self, statement: &Statement) -> DbResult<()> {
            self.queries.set(self.queries.get() + 1);
            self.db.execute(statement).await
        }
        async fn batch(&self, statements: &[Statement]) -> DbResult<()> {
            self.queries.set(self.queries.get() + 1);
            self.db.batch(statements).await
        }
    }

    fn counted() -> Counted {
        Counted {
            db: SqliteDatabase::in_memory().unwrap(),
            queries: Cell::new(0),
        }
    }

    async fn answer(cache: &MemoryCache, db: &Counted, page: &str) -> (String, Outcome) {
        let generation = current_generation(cache, db).await.unwrap();
        let key = key(generation, "sha1", "page", &[("path", page)]);
        let compute = async {
            let count = Statement::new("SELECT count(*) FROM businesses");
            Ok::<_, crate::db::DbError>(format!("{page}: {}", fetch_integer(db, &count).await?))
        };
        read_through(cache, &key, compute, |key, body| {
            block_on(cache.put(&key, &body, ANSWER_TTL_SECONDS))
        })
        .await
        .unwrap()
    }

    #[test]
    fn a_cache_hit_makes_no_database_query() {
        let (cache, db) = (MemoryCache::default(), counted());
        let first = block_on(answer(&cache, &db, "/"));
        assert_eq!(first.1, Outcome::Miss);
        let (queries, reads) = (db.queries.get(), cache.reads());
        let again = block_on(answer(&cache, &db, "/"));
        assert_eq!(again, (first.0, Outcome::Hit));
        assert_eq!(db.queries.get(), queries, "a hit reaches the database");
        assert_eq!(cache.reads() - reads, 2, "the generation and the answer");
    }

    thread_local! {
        static MEMO: GenerationMemo = GenerationMemo::default();
    }

    #[test]
    fn with_the_generation_remembered_a_hit_is_one_cache_read() {
        let (cache, db) = (MemoryCache::default(), counted());
        block_on(answer(&cache, &db, "/"));
        let remembered = block_on(GenerationMemo::generation(&MEMO, &cache, &db, 1_000, 500));
        assert_eq!(remembered.unwrap(), 1);
        let reads = cache.reads();
        let again = block_on(GenerationMemo::generation(&MEMO, &cache, &db, 1_400, 500));
        assert_eq!((again.unwrap(), cache.reads()), (1, reads), "still fresh");
        block_on(GenerationMemo::generation(&MEMO, &cache, &db, 1_500, 500)).unwrap();
        assert_eq!(cache.reads(), reads + 1, "read again once stale");
    }

    #[test]
    fn a_published_generation_retires_every_cached_answer() {
        let (cache, db) = (MemoryCache::default(), counted());
        block_on(answer(&cache, &db, "/"));
        block_on(db.execute(&Statement::new(
            "UPDATE cache_generation SET generation = generation + 1",
        )))
        .unwrap();
        assert_eq!(
            block_on(answer(&cache, &db, "/")).1,
            Outcome::Hit,
            "not yet published"
        );
        block_on(publish_generation(&cache, &db)).unwrap();
        assert_eq!(block_on(answer(&cache, &db, "/")).1, Outcome::Miss);
    }

    #[test]
    fn a_dropped_generation_is_read_again_from_the_database() {
        let (cache, db) = (MemoryCache::default(), counted());
        assert_eq!(block_on(current_generation(&cache, &db)).unwrap(), 1);
        block_on(db.execute(&Statement::new(
            "UPDATE cache_generation SET generation = 7",
        )))
        .unwrap();
        cache.remove(GENERATION_KEY);
        assert_eq!(block_on(current_generation(&cache, &db)).unwrap(), 7);
        assert_eq!(
            block_on(cache.get(GENERATION_KEY)).as_deref(),
            Some("7"),
            "published for the next requests"
        );
    }

    #[test]
    fn keys_differ_by_generation_version_scope_and_every_parameter() {
        let base = key(1, "abc", "search", &[("q", "bbq"), ("city", "")]);
        assert_ne!(base, key(2, "abc", "search", &[("q", "bbq"), ("city", "")]));
        assert_ne!(base, key(1, "def", "search", &[("q", "bbq"), ("city", "")]));
        assert_ne!(base, key(1, "abc", "page", &[("q", "bbq"), ("city", "")]));
        assert_ne!(
            base,
            key(1, "abc", "search", &[("q", "bbq&city="), ("city", "")])
        );
        assert_ne!(
            key(1, "abc", "search", &[("q", "a|b"), ("city", "c")]),
            key(1, "abc", "search", &[("q", "a"), ("city", "b|c")]),
            "separators inside values are escaped"
        );
        assert!(base.starts_with("g1:abc:search:") && base.len() < 100);
    }

    #[test]
    fn memory_cache_returns_what_was_put_until_removed() {
        let cache = MemoryCache::default();
        block_on(async {
            assert_eq!(cache.get("k").await, None);
            cache.put("k", "v", 60).await;
            assert_eq!(cache.get("k").await.as_deref(), Some("v"));
            cache.remove("k");
            assert_eq!(cache.get("k").await, None);
        });
    }

    #[test]
    fn generation_starts_at_one_on_a_fresh_database() {
        let db = SqliteDatabase::in_memory().unwrap();
        assert_eq!(block_on(generation(&db)).unwrap(), 1);
    }
}
