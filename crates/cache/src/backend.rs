//! The interface both backends implement.

use std::{fmt::Debug, time::Duration};

use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    #[error("cache answered unexpectedly: {0}")]
    Protocol(String),
}

/// What a lookup found: the scope's current generation, and the value if one is cached under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub generation: String,
    pub value: Option<Bytes>,
}

#[async_trait::async_trait]
pub trait CacheBackend: Send + Sync + Debug + 'static {
    fn kind(&self) -> &'static str;

    /// Reads the generation of `scope` (starting a new one if it has none) and the value of `key`
    /// under it, in one step.
    async fn lookup(&self, scope: &str, key: &str) -> Result<Lookup, CacheError>;

    /// Stores `value` for `key` under `generation`, unless the scope has moved on since.
    async fn store(
        &self,
        scope: &str,
        generation: &str,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<(), CacheError>;

    /// Drops the generations of these scopes.
    async fn invalidate(&self, scopes: &[String]) -> Result<(), CacheError>;

    /// Adds one to the counter `key` in a fixed window; returns the count and the time until
    /// the window resets.
    async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError>;

    async fn ping(&self) -> Result<(), CacheError>;
}

/// A fresh generation token: random, so a generation is never reused even if the backend loses
/// its keys.
pub(crate) fn new_generation() -> String {
    format!("{:016x}", fastrand::u64(..))
}
