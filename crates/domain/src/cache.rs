//! The read-through cache seam: Workers KV on wasm32, a process-local map natively.
//!
//! Keys carry the database's cache generation (bumped by triggers whenever public data
//! changes), so a change invalidates every cached answer at once without listing keys.
//! Cache failures are never errors to the caller: a broken cache is a miss.

use crate::db::{Database, DbResult, Statement, fetch_integer};

#[allow(async_fn_in_trait)]
pub trait Cache {
    async fn get(&self, key: &str) -> Option<String>;
    async fn put(&self, key: &str, value: &str, ttl_seconds: u64);
}

/// The current cache generation from the database.
pub async fn generation(db: &impl Database) -> DbResult<i64> {
    fetch_integer(
        db,
        &Statement::new("SELECT generation FROM cache_generation WHERE id = 1"),
    )
    .await
}

/// A cache key for `scope` and its canonical request text under `generation`.
pub fn key(generation: i64, scope: &str, canonical: &str) -> String {
    // Hashing keeps keys short and within KV's 512-byte limit whatever the query was.
    let digest = crate::fingerprint::sha256_hex(canonical.as_bytes(), 16);
    format!("g{generation}:{scope}:{digest}")
}

#[cfg(not(target_arch = "wasm32"))]
mod memory {
    use super::Cache;
    use std::{collections::HashMap, sync::Mutex};

    /// The native cache: a map in memory, for tests and native tools.
    #[derive(Default)]
    pub struct MemoryCache(Mutex<HashMap<String, String>>);

    impl Cache for MemoryCache {
        async fn get(&self, key: &str) -> Option<String> {
            self.0.lock().ok()?.get(key).cloned()
        }

        async fn put(&self, key: &str, value: &str, _ttl_seconds: u64) {
            if let Ok(mut map) = self.0.lock() {
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
    use pollster::block_on;

    #[test]
    fn keys_differ_by_generation_scope_and_request() {
        let base = key(1, "search", "q=bbq");
        assert_ne!(base, key(2, "search", "q=bbq"));
        assert_ne!(base, key(1, "detail", "q=bbq"));
        assert_ne!(base, key(1, "search", "q=bbq&page=2"));
        assert!(base.starts_with("g1:search:") && base.len() < 100);
    }

    #[test]
    fn memory_cache_returns_what_was_put() {
        let cache = MemoryCache::default();
        block_on(async {
            assert_eq!(cache.get("k").await, None);
            cache.put("k", "v", 60).await;
            assert_eq!(cache.get("k").await.as_deref(), Some("v"));
        });
    }

    #[test]
    fn generation_starts_at_one_on_a_fresh_database() {
        let db = SqliteDatabase::in_memory().unwrap();
        assert_eq!(block_on(generation(&db)).unwrap(), 1);
    }
}
