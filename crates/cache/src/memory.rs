//! The in-process backend (moka), for a single gateway process such as the zero-setup default.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use moka::{Expiry, future::Cache as Moka};

use crate::{
    backend::{CacheBackend, CacheError, Lookup, new_generation},
    limiter::LocalLimiter,
};

/// How long an untouched generation is kept; dropping one only costs a miss.
const GENERATION_TTL: Duration = Duration::from_secs(24 * 3600);

type Entry = (Bytes, Duration);

/// Each value expires after the time to live it was stored with.
struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, value: &Entry, _now: Instant) -> Option<Duration> {
        Some(value.1)
    }
}

#[derive(Clone)]
pub struct MemoryBackend {
    generations: Moka<String, String>,
    values: Moka<String, Entry>,
    counters: Arc<LocalLimiter>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("values", &self.values.entry_count())
            .finish()
    }
}

impl MemoryBackend {
    /// A backend holding at most `max_bytes` of keys and values.
    pub fn new(max_bytes: u64) -> Self {
        let generations = Moka::builder()
            .max_capacity(1_000_000)
            .time_to_live(GENERATION_TTL)
            .build();
        let values = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, value: &Entry| {
                u32::try_from(key.len() + value.0.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        Self {
            generations,
            values,
            counters: Arc::new(LocalLimiter::default()),
        }
    }
}

fn value_key(scope: &str, generation: &str, key: &str) -> String {
    format!("{scope}:{generation}:{key}")
}

#[async_trait::async_trait]
impl CacheBackend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn lookup(&self, scope: &str, key: &str) -> Result<Lookup, CacheError> {
        let generation = self
            .generations
            .entry_by_ref(scope)
            .or_insert_with(async { new_generation() })
            .await
            .into_value();
        let value = self
            .values
            .get(&value_key(scope, &generation, key))
            .await
            .map(|e| e.0);
        Ok(Lookup { generation, value })
    }

    async fn store(
        &self,
        scope: &str,
        generation: &str,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        if self.generations.get(scope).await.as_deref() == Some(generation) {
            self.values
                .insert(value_key(scope, generation, key), (value, ttl))
                .await;
        }
        Ok(())
    }

    async fn invalidate(&self, scopes: &[String]) -> Result<(), CacheError> {
        for scope in scopes {
            self.generations.invalidate(scope).await;
        }
        Ok(())
    }

    async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        Ok(self.counters.count(key, window))
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}
