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
//! under. A hit then costs a read of the cache's epoch, shared by every hit of the same moment
//! (to learn that no write invalidated anything since, in this process or another; after one
//! did, the value's own generation is read), and no transfer or decoding of the value.
//!
//! The cache never fails a request: if the backend is down, reads go to the database, and
//! invalidations that could not be delivered are retried before this process reads from the
//! backend again.

mod backend;
mod breaker;
mod limiter;
mod local;
mod memory;
mod redis_backend;
mod stats;

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use serde::{Serialize, de::DeserializeOwned};

pub use backend::{CacheBackend, CacheError, Current, Lookup};
pub use limiter::RateDecision;
pub use memory::MemoryBackend;
pub use redis_backend::{RedisBackend, RedisOptions};
pub use stats::{CacheStats, FamilyCounts};

use limiter::LocalLimiter;
use local::{LocalEntry, LocalValues};

/// Where a cached value lives: its family (for metrics), its scope (what a write invalidates),
/// and its key within the scope.
#[derive(Clone, Copy, Debug)]
pub struct CacheKey<'a> {
    pub family: &'static str,
    pub scope: &'a str,
    pub key: &'a str,
}

/// The cache a service holds. Cheap to clone.
#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    namespace: Arc<str>,
    default_ttl: Duration,
    stats: Arc<CacheStats>,
    local: Arc<LocalValues>,
    /// The key of the epoch (see [`backend`]), `<namespace>:epoch`.
    epoch_key: Arc<str>,
    /// The last epoch this process read (0: none).
    seen_epoch: Arc<AtomicU64>,
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
            local: Arc::new(LocalValues::new(local_entries, default_ttl)),
            epoch_key: Arc::from(format!("{namespace}:epoch")),
            seen_epoch: Arc::new(AtomicU64::new(0)),
            local_limiter: Arc::new(LocalLimiter::default()),
        }
    }

    /// A cache on the same backend under a namespace of its own (`<namespace>:<name>`), with its
    /// own epoch, so that its invalidations never make the other's values be checked again (and
    /// the other way round), and its own lifetime for entries. Rate limits and stats are shared.
    pub fn sibling(&self, name: &str, ttl: Duration, local_entries: u64) -> Self {
        let namespace = format!("{}:{name}", self.namespace);
        Self {
            backend: Arc::clone(&self.backend),
            epoch_key: Arc::from(format!("{namespace}:epoch")),
            namespace: Arc::from(namespace),
            default_ttl: ttl,
            stats: Arc::clone(&self.stats),
            local: Arc::new(LocalValues::new(local_entries, ttl)),
            seen_epoch: Arc::new(AtomicU64::new(0)),
            local_limiter: Arc::clone(&self.local_limiter),
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
        // Built by hand: this runs on every cached read, and `format!` costs several times more.
        let mut key = String::with_capacity(self.namespace.len() + 1 + scope.len());
        key.push_str(&self.namespace);
        key.push(':');
        key.push_str(scope);
        key
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
        // This process decoded it before: valid if no write moved the scope on since.
        let held = self.local.get(key.scope, key.key).and_then(|entry| {
            let value = Arc::clone(&entry.value).downcast::<T>().ok()?;
            Some((value, entry))
        });
        if let Some((value, entry)) = held {
            let (current, alongside) =
                tokio::join!(self.still_current(key.scope, &entry), along(value.clone()));
            match current {
                Ok(true) => {
                    self.stats.hit(key.family);
                    return Ok((value, Some(alongside)));
                }
                Ok(false) => {}
                Err(err) => {
                    let value = self.load_uncached(key.family, &err, load).await?;
                    return Ok((value, None));
                }
            }
        }

        let scope = self.scope_key(key.scope);
        let (generation, epoch) = match self.backend.lookup(&self.epoch_key, &scope, key.key).await
        {
            Ok(Lookup {
                generation,
                value: Some(bytes),
                epoch,
            }) => match serde_json::from_slice::<T>(&bytes) {
                Ok(value) => {
                    let value = Arc::new(value);
                    self.remember(key, &generation, epoch, value.clone());
                    self.stats.hit(key.family);
                    return Ok((value, None));
                }
                Err(err) => {
                    // A value of an older shape after a deploy: load it afresh.
                    tracing::debug!(family = key.family, error = %err, "cached value unreadable");
                    (generation, epoch)
                }
            },
            Ok(Lookup {
                generation,
                value: None,
                epoch,
            }) => (generation, epoch),
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
            Ok(true) => self.remember(key, &generation, epoch, value.clone()),
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
        key: CacheKey<'_>,
        generation: &str,
        epoch: Option<u64>,
        value: Arc<T>,
    ) {
        self.local
            .insert(key.scope, key.key, generation, epoch, value);
    }

    /// Whether a value this process holds is still current. While the epoch is the one the
    /// value was last seen current in, no invalidation happened since, so one shared read of
    /// the epoch answers every such check at once. Otherwise the scope's generation is read
    /// (with the epoch, which the value is then stamped with).
    async fn still_current(&self, scope: &str, entry: &LocalEntry) -> Result<bool, CacheError> {
        let seen = self.seen_epoch.load(Ordering::Relaxed);
        // When this process already saw a newer epoch, asking for it again would only say so.
        if let Some(confirmed) = entry.confirmed_in().filter(|&c| c == seen) {
            let epoch = self.backend.epoch(&self.epoch_key).await?;
            self.saw(epoch);
            if epoch == Some(confirmed) {
                return Ok(true);
            }
        }
        let current = self
            .backend
            .generation(&self.epoch_key, &self.scope_key(scope))
            .await?;
        self.saw(current.epoch);
        let same = current.generation.as_deref() == Some(&*entry.generation);
        if same {
            entry.confirm(current.epoch);
        }
        Ok(same)
    }

    fn saw(&self, epoch: Option<u64>) {
        self.seen_epoch
            .store(epoch.unwrap_or_default(), Ordering::Relaxed);
    }

    /// Invalidates every value cached under these scopes, in every process sharing the backend.
    /// Call it after the write has committed. If the backend is unreachable the invalidation is
    /// kept and delivered before this process reads from the backend again.
    pub async fn invalidate(&self, scopes: &[&str]) {
        let scopes: Vec<String> = scopes.iter().map(|s| self.scope_key(s)).collect();
        if let Err(err) = self.backend.invalidate(&self.epoch_key, &scopes).await {
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
