//! Souk's cache: one interface with two backends, Redis (shared by every gateway replica) and
//! in-process (moka, for a single process).
//!
//! Reads are cache-aside under a *generation*: every scope (one product, the listings, ...) has a
//! random generation token, and values are stored under `scope:generation:key`. Invalidating a
//! scope deletes its generation, so the next reader starts a new one and every value cached
//! before the write is unreachable. A reader that loaded the old row from the database just
//! before a write can only store it under the old generation, where no one looks any more: no
//! replica serves a stale value once the write has been acknowledged.
//!
//! The cache never fails a request: if the backend is down, reads go to the database, and
//! invalidations that could not be delivered are retried before this process reads from the
//! backend again.

mod backend;
mod breaker;
mod limiter;
mod memory;
mod redis_backend;
mod stats;

use std::{future::Future, sync::Arc, time::Duration};

use bytes::Bytes;
use serde::{Serialize, de::DeserializeOwned};

pub use backend::{CacheBackend, CacheError, Lookup};
pub use limiter::RateDecision;
pub use memory::MemoryBackend;
pub use redis_backend::{RedisBackend, RedisOptions};
pub use stats::{CacheStats, FamilyCounts};

use limiter::LocalLimiter;

/// Where a cached value lives: its family (for metrics), its scope (what a write invalidates),
/// and its key within the scope.
#[derive(Clone, Copy, Debug)]
pub struct CacheKey<'a> {
    pub family: &'static str,
    pub scope: &'a str,
    pub key: &'a str,
}

/// The cache a service holds. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    namespace: Arc<str>,
    default_ttl: Duration,
    stats: Arc<CacheStats>,
    /// Counts rate limits in this process when the shared backend is unreachable.
    local_limiter: Arc<LocalLimiter>,
}

impl Cache {
    pub fn new(backend: Arc<dyn CacheBackend>, namespace: &str, default_ttl: Duration) -> Self {
        Self {
            backend,
            namespace: Arc::from(namespace),
            default_ttl,
            stats: Arc::new(CacheStats::default()),
            local_limiter: Arc::new(LocalLimiter::default()),
        }
    }

    /// An in-process cache holding up to `max_bytes` of values.
    pub fn in_process(namespace: &str, default_ttl: Duration, max_bytes: u64) -> Self {
        Self::new(
            Arc::new(MemoryBackend::new(max_bytes)),
            namespace,
            default_ttl,
        )
    }

    /// Which backend this is: `redis` or `memory`.
    pub fn backend_kind(&self) -> &'static str {
        self.backend.kind()
    }

    pub fn stats(&self) -> &Arc<CacheStats> {
        &self.stats
    }

    fn scope_key(&self, scope: &str) -> String {
        format!("{}:{}", self.namespace, scope)
    }

    /// Returns the cached value of `key`, or loads it with `load`, caches it and returns it.
    /// A backend failure is counted and logged, never returned: the value is then loaded.
    pub async fn get_or_load<T, E, F, Fut>(&self, key: CacheKey<'_>, load: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let scope = self.scope_key(key.scope);
        let generation = match self.backend.lookup(&scope, key.key).await {
            Ok(Lookup {
                generation,
                value: Some(bytes),
            }) => {
                match serde_json::from_slice::<T>(&bytes) {
                    Ok(value) => {
                        self.stats.hit(key.family);
                        return Ok(value);
                    }
                    Err(err) => {
                        // A value of an older shape after a deploy: load it afresh.
                        tracing::debug!(family = key.family, error = %err, "cached value unreadable");
                        Some(generation)
                    }
                }
            }
            Ok(Lookup {
                generation,
                value: None,
            }) => Some(generation),
            Err(err) => {
                self.stats.error(key.family);
                tracing::debug!(family = key.family, error = %err, "cache lookup failed");
                None
            }
        };
        self.stats.miss(key.family);
        let value = load().await?;
        if let Some(generation) = generation {
            match serde_json::to_vec(&value) {
                Ok(bytes) => {
                    let stored = self
                        .backend
                        .store(
                            &scope,
                            &generation,
                            key.key,
                            Bytes::from(bytes),
                            self.default_ttl,
                        )
                        .await;
                    if let Err(err) = stored {
                        self.stats.error(key.family);
                        tracing::debug!(family = key.family, error = %err, "cache store failed");
                    }
                }
                Err(err) => {
                    tracing::warn!(family = key.family, error = %err, "value not cacheable")
                }
            }
        }
        Ok(value)
    }

    /// Invalidates every value cached under these scopes, in every process sharing the backend.
    /// Call it after the write has committed. If the backend is unreachable the invalidation is
    /// kept and delivered before this process reads from the backend again.
    pub async fn invalidate(&self, scopes: &[&str]) {
        let scopes: Vec<String> = scopes.iter().map(|s| self.scope_key(s)).collect();
        if let Err(err) = self.backend.invalidate(&scopes).await {
            tracing::warn!(error = %err, "cache invalidation deferred until the cache is back");
        }
    }

    /// Counts one event against `bucket` and says whether it stays within `limit` per `window`.
    /// The count is shared by every process using the backend; when the backend is unreachable,
    /// this process counts on its own, so limits still hold per replica.
    pub async fn rate_limit(&self, bucket: &str, limit: u64, window: Duration) -> RateDecision {
        let key = format!("{}:rl:{}", self.namespace, bucket);
        let (count, reset) = match self.backend.count(&key, window).await {
            Ok(counted) => counted,
            Err(err) => {
                tracing::debug!(error = %err, "shared rate limit unavailable, counting locally");
                self.local_limiter.count(&key, window)
            }
        };
        RateDecision::from_count(count, limit, reset)
    }

    /// Checks the backend answers, for the readiness probe.
    pub async fn ping(&self) -> Result<(), CacheError> {
        self.backend.ping().await
    }
}

#[cfg(test)]
mod tests;
