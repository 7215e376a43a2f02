//! The in-process backend, for a single gateway process such as the zero-setup default. It keeps
//! only generations: the values themselves stay decoded in the cache's local layer.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use moka::future::Cache as Moka;

use crate::{
    backend::{CacheBackend, CacheError, Current, Lookup, new_epoch, new_generation},
    limiter::LocalLimiter,
};

/// A set's members, and when it was last added to.
type Members = (HashSet<String>, Instant);

/// Sets kept before those past their time are swept out.
const SWEEP_SETS_ABOVE: usize = 100_000;

/// How long an untouched generation is kept; dropping one only costs a miss.
const GENERATION_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct MemoryBackend {
    generations: Moka<String, String>,
    /// Moved on by every invalidation (one per backend: the process has one cache).
    epoch: Arc<AtomicU64>,
    counters: Arc<LocalLimiter>,
    sets: Arc<Mutex<HashMap<String, Members>>>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("scopes", &self.generations.entry_count())
            .finish()
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBackend {
    pub fn new() -> Self {
        let generations = Moka::builder()
            .max_capacity(1_000_000)
            .time_to_live(GENERATION_TTL)
            .build();
        Self {
            generations,
            epoch: Arc::new(AtomicU64::new(new_epoch())),
            counters: Arc::new(LocalLimiter::default()),
            sets: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

#[async_trait::async_trait]
impl CacheBackend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn shares_values(&self) -> bool {
        false
    }

    async fn epoch(&self, _epoch_key: &Arc<str>) -> Result<Option<u64>, CacheError> {
        Ok(Some(self.epoch.load(Ordering::Acquire)))
    }

    async fn generation(&self, _epoch_key: &Arc<str>, scope: &str) -> Result<Current, CacheError> {
        // The epoch first: an invalidation drops the generation before it moves the epoch on,
        // so a generation read after an epoch is at least as new as that epoch.
        let epoch = self.epoch.load(Ordering::Acquire);
        Ok(Current {
            generation: self.generations.get(scope).await,
            epoch: Some(epoch),
        })
    }

    async fn lookup(
        &self,
        _epoch_key: &str,
        scope: &str,
        _key: &str,
    ) -> Result<Lookup, CacheError> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let generation = self
            .generations
            .entry_by_ref(scope)
            .or_insert_with(async { new_generation() })
            .await
            .into_value();
        Ok(Lookup {
            generation,
            value: None,
            epoch: Some(epoch),
        })
    }

    async fn store(
        &self,
        scope: &str,
        generation: &str,
        _key: &str,
        _value: Option<Bytes>,
        _ttl: Duration,
    ) -> Result<bool, CacheError> {
        Ok(self.generations.get(scope).await.as_deref() == Some(generation))
    }

    async fn invalidate(&self, _epoch_key: &str, scopes: &[String]) -> Result<(), CacheError> {
        for scope in scopes {
            self.generations.invalidate(scope).await;
        }
        // Any new value, not a count: see `new_epoch`.
        self.epoch.store(new_epoch(), Ordering::Release);
        Ok(())
    }

    async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        Ok(self.counters.count(key, window))
    }

    async fn add_to_sets(
        &self,
        members: &[(String, String)],
        ttl: Duration,
    ) -> Result<Vec<u64>, CacheError> {
        let now = Instant::now();
        let mut sets = self
            .sets
            .lock()
            .map_err(|_| CacheError::Unavailable("sets poisoned".into()))?;
        if sets.len() > SWEEP_SETS_ABOVE {
            sets.retain(|_, (_, touched)| now.duration_since(*touched) < ttl);
        }
        Ok(members
            .iter()
            .map(|(key, member)| {
                let (set, touched) = sets
                    .entry(key.clone())
                    .or_insert_with(|| (HashSet::new(), now));
                if now.duration_since(*touched) >= ttl {
                    set.clear();
                }
                *touched = now;
                set.insert(member.clone());
                set.len() as u64
            })
            .collect())
    }

    async fn remove_sets(&self, keys: &[String]) -> Result<(), CacheError> {
        let mut sets = self
            .sets
            .lock()
            .map_err(|_| CacheError::Unavailable("sets poisoned".into()))?;
        for key in keys {
            sets.remove(key);
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}
