//! The blob storage seam for photos and other uploads: R2 on wasm32, a map natively.
//!
//! Keys are chosen by our code (never raw user input); content types are recorded at upload
//! so they can be served back with the right header.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobError(pub String);

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[allow(async_fn_in_trait)]
pub trait BlobStore {
    async fn get(&self, key: &str) -> Result<Option<Blob>, BlobError>;
    async fn put(&self, key: &str, blob: Blob) -> Result<(), BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

#[cfg(not(target_arch = "wasm32"))]
mod memory {
    use super::{Blob, BlobError, BlobStore};
    use std::{collections::HashMap, sync::Mutex};

    /// The native store: blobs in memory, for tests and native tools.
    #[derive(Default)]
    pub struct MemoryBlobStore(Mutex<HashMap<String, Blob>>);

    impl MemoryBlobStore {
        fn map(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Blob>>, BlobError> {
            self.0
                .lock()
                .map_err(|_| BlobError("blob store lock poisoned".into()))
        }
    }

    impl BlobStore for MemoryBlobStore {
        async fn get(&self, key: &str) -> Result<Option<Blob>, BlobError> {
            Ok(self.map()?.get(key).cloned())
        }

        async fn put(&self, key: &str, blob: Blob) -> Result<(), BlobError> {
            self.map()?.insert(key.to_owned(), blob);
            Ok(())
        }

        async fn delete(&self, key: &str) -> Result<(), BlobError> {
            self.map()?.remove(key);
            Ok(())
        }
    }
}
#[cfg(not(target_arch = "wasm32"))]
pub use memory::MemoryBlobStore;

#[cfg(target_arch = "wasm32")]
mod r2 {
    use super::{Blob, BlobError, BlobStore};
    use worker::{Bucket, HttpMetadata};

    /// Cloudflare R2 as the blob store.
    pub struct R2Store(pub Bucket);

    fn err(e: worker::Error) -> BlobError {
        BlobError(e.to_string())
    }

    impl BlobStore for R2Store {
        async fn get(&self, key: &str) -> Result<Option<Blob>, BlobError> {
            let Some(object) = self.0.get(key).execute().await.map_err(err)? else {
                return Ok(None);
            };
            let content_type = object
                .http_metadata()
                .content_type
                .unwrap_or_else(|| "application/octet-stream".into());
            let bytes = match object.body() {
                Some(body) => body.bytes().await.map_err(err)?,
                None => Vec::new(),
            };
            Ok(Some(Blob {
                bytes,
                content_type,
            }))
        }

        async fn put(&self, key: &str, blob: Blob) -> Result<(), BlobError> {
            let metadata = HttpMetadata {
                content_type: Some(blob.content_type),
                ..Default::default()
            };
            self.0
                .put(key, blob.bytes)
                .http_metadata(metadata)
                .execute()
                .await
                .map_err(err)?;
            Ok(())
        }

        async fn delete(&self, key: &str) -> Result<(), BlobError> {
            self.0.delete(key).await.map_err(err)
        }
    }
}
#[cfg(target_arch = "wasm32")]
pub use r2::R2Store;

#[cfg(test)]
mod tests {
    use super::*;
    use pollster::block_on;

    #[test]
    fn memory_store_round_trips_bytes_and_content_type_then_deletes() {
        let store = MemoryBlobStore::default();
        block_on(async {
            let blob = Blob {
                bytes: vec![1, 2, 3],
                content_type: "image/png".into(),
            };
            store.put("photos/1.png", blob.clone()).await.unwrap();
            assert_eq!(store.get("photos/1.png").await.unwrap(), Some(blob));
            store.delete("photos/1.png").await.unwrap();
            assert_eq!(store.get("photos/1.png").await.unwrap(), None);
        });
    }
}
