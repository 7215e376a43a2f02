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
//! Decoded values are also kept in this process's memory with the generation they were cached
//! under. A hit then costs one `GET` of the generation (to learn that no write invalidated it,
//! in this process or another) and no transfer or decoding of the value.
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

use std::{any::Any, future::Future, sync::Arc, time::Duration};

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

/// A decoded value of this process and the generation it was cached under.
#[derive(Clone)]
struct LocalEntry {
    generation: Arc<str>,
    value: Arc<dyn Any + Send + Sync>,
}

/// The cache a service holds. Cheap to clone.
#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    namespace: Arc<str>,
    default_ttl: Duration,
    stats: Arc<CacheStats>,
    local: moka::sync::Cache<String, LocalEntry>,
    /// Counts rate limits in this process when the shared backend is unreachable.
    local_limiter: Arc<LocalLimiter>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("backend", &self.backend)
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl Cache {
    /// A cache on `backend`, keeping up to `local_entries` decoded values in this process.
    pub fn new(
        backend: Arc<dyn CacheBackend>,
        namespace: &str,
        default_ttl: Duration,
        local_entries: u64,
    ) -> Self {
        Self {
            backend,
            namespace: Arc::from(namespace),
            default_ttl,
            stats: Arc::new(CacheStats::default()),
            local: moka::sync::Cache::builder()
                .max_capacity(local_entries)
                .time_to_live(default_ttl)
                .build(),
            local_limiter: Arc::new(LocalLimiter::default()),
        }
    }

    /// A cache for a single process.
    pub fn in_process(namespace: &str, default_ttl: Duration, local_entries: u64) -> Self {
        Self::new(
            Arc::new(MemoryBackend::new()),
            namespace,
            default_ttl,
            local_entries,
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
    pub async fn get_or_load<T, E, F, Fut>(&self, key: CacheKey<'_>, load: F) -> Result<Arc<T>, E>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let (value, _) = self
            .get_or_load_along(key, load, |_| std::future::ready(()))
            .await?;
        Ok(value)
    }

    /// As [`Cache::get_or_load`]; and when this process holds a value for `key`, runs `along`
    /// on it while the backend is asked whether it is still current. Its result is returned if
    /// it was (say, a second cached value the first one names, fetched without waiting for the
    /// first), and `None` otherwise: the caller then works from the value returned.
    pub async fn get_or_load_along<T, E, F, Fut, A, AFut>(
        &self,
        key: CacheKey<'_>,
        load: F,
        along: A,
    ) -> Result<(Arc<T>, Option<AFut::Output>), E>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        A: FnOnce(Arc<T>) -> AFut,
        AFut: Future,
    {
        let scope = self.scope_key(key.scope);
        let local_key = format!("{scope}\u{1f}{}", key.key);

        // This process decoded it before: valid if no write moved the scope on since.
        let held = self
            .local
            .get(&local_key)
            .and_then(|entry| Some((entry.value.downcast::<T>().ok()?, entry.generation)));
        if let Some((value, generation)) = held {
            let (current, alongside) =
                tokio::join!(self.backend.generation(&scope), along(value.clone()));
            match current {
                Ok(Some(current)) if *current == *generation => {
                    self.stats.hit(key.family);
                    return Ok((value, Some(alongside)));
                }
                Ok(_) => {}
                Err(err) => {
                    let value = self.load_uncached(key.family, &err, load).await?;
                    return Ok((value, None));
                }
            }
        }

        let generation = match self.backend.lookup(&scope, key.key).await {
            Ok(Lookup {
                generation,
                value: Some(bytes),
            }) => match serde_json::from_slice::<T>(&bytes) {
                Ok(value) => {
                    let value = Arc::new(value);
                    self.remember(local_key, &generation, value.clone());
                    self.stats.hit(key.family);
                    return Ok((value, None));
                }
                Err(err) => {
                    // A value of an older shape after a deploy: load it afresh.
                    tracing::debug!(family = key.family, error = %err, "cached value unreadable");
                    generation
                }
            },
            Ok(Lookup {
                generation,
                value: None,
            }) => generation,
            Err(err) => {
                let value = self.load_uncached(key.family, &err, load).await?;
                return Ok((value, None));
            }
        };

        self.stats.miss(key.family);
        let value = Arc::new(load().await?);
        let bytes = if self.backend.shares_values() {
            match serde_json::to_vec(value.as_ref()) {
                Ok(bytes) => Some(Bytes::from(bytes)),
                Err(err) => {
                    tracing::warn!(family = key.family, error = %err, "value not cacheable");
                    return Ok((value, None));
                }
            }
        } else {
            None
        };
        match self
            .backend
            .store(&scope, &generation, key.key, bytes, self.default_ttl)
            .await
        {
            Ok(true) => self.remember(local_key, &generation, value.clone()),
            // A write moved the scope on while this was loading: what was loaded may be older
            // than the write, so it is not kept.
            Ok(false) => {}
            Err(err) => {
                self.stats.error(key.family);
                tracing::debug!(family = key.family, error = %err, "cache store failed");
            }
        }
        Ok((value, None))
    }

    async fn load_uncached<T, E, F, Fut>(
        &self,
        family: &'static str,
        err: &CacheError,
        load: F,
    ) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.stats.error(family);
        self.stats.miss(family);
        tracing::debug!(family, error = %err, "cache unavailable, loading");
        load().await.map(Arc::new)
    }

    fn remember<T: Send + Sync + 'static>(
        &self,
        local_key: String,
        generation: &str,
        value: Arc<T>,
    ) {
        self.local.insert(
            local_key,
            LocalEntry {
                generation: Arc::from(generation),
                value,
            },
        );
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

    /// Counts one event against `bucket` in this process only: a limit that costs no round trip,
    /// for the busiest public paths. With several replicas a client gets the limit per replica.
    pub fn rate_limit_here(&self, bucket: &str, limit: u64, window: Duration) -> RateDecision {
        let (count, reset) = self.local_limiter.count(bucket, window);
        RateDecision::from_count(count, limit, reset)
    }

    /// Adds each `(set, member)` and returns each set's number of distinct members afterwards.
    /// Shared by every process on the backend (Redis), or this process's own (in-process). A set
    /// lives `ttl` after its last addition.
    pub async fn count_distinct(
        &self,
        members: &[(String, String)],
        ttl: Duration,
    ) -> Result<Vec<u64>, CacheError> {
        let keyed: Vec<(String, String)> = members
            .iter()
            .map(|(set, member)| (format!("{}:set:{set}", self.namespace), member.clone()))
            .collect();
        self.backend.add_to_sets(&keyed, ttl).await
    }

    /// Forgets the members of these sets (as named to [`Cache::count_distinct`]).
    pub async fn forget_distinct(&self, sets: &[String]) -> Result<(), CacheError> {
        let keys: Vec<String> = sets
            .iter()
            .map(|set| format!("{}:set:{set}", self.namespace))
            .collect();
        self.backend.remove_sets(&keys).await
    }

    /// Checks the backend answers, for the readiness probe.
    pub async fn ping(&self) -> Result<(), CacheError> {
        self.backend.ping().await
    }
}

#[cfg(test)]
mod tests;
