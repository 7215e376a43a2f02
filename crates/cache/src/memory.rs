//! The in-process backend, for a single gateway process such as the zero-setup default. It keeps
//! only generations: the values themselves stay decoded in the cache's local layer.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use moka::future::Cache as Moka;

use crate::{
    backend::{CacheBackend, CacheError, Lookup, new_generation},
    limiter::LocalLimiter,
};

/// How long an untouched generation is kept; dropping one only costs a miss.
const GENERATION_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct MemoryBackend {
    generations: Moka<String, String>,
    counters: Arc<LocalLimiter>,
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
            counters: Arc::new(LocalLimiter::default()),
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

    async fn generation(&self, scope: &str) -> Result<Option<String>, CacheError> {
        Ok(self.generations.get(scope).await)
    }

    async fn lookup(&self, scope: &str, _key: &str) -> Result<Lookup, CacheError> {
        let generation = self
            .generations
            .entry_by_ref(scope)
            .or_insert_with(async { new_generation() })
            .await
            .into_value();
        Ok(Lookup {
            generation,
            value: None,
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
