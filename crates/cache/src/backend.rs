//! The interface both backends implement: generations per scope, and (for a shared backend)
//! values as bytes.

use std::{fmt::Debug, time::Duration};

use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    #[error("cache answered unexpectedly: {0}")]
    Protocol(String),
}

/// What a lookup found: the scope's current generation, and the value if the backend holds one
/// under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub generation: String,
    pub value: Option<Bytes>,
}

#[async_trait::async_trait]
pub trait CacheBackend: Send + Sync + Debug + 'static {
    fn kind(&self) -> &'static str;

    /// True when values are shared with other processes (as bytes); false when they live only
    /// in this process's memory.
    fn shares_values(&self) -> bool;

    /// The current generation of `scope`, if it has one. The cheapest call: a hit in this
    /// process's memory only needs this.
    async fn generation(&self, scope: &str) -> Result<Option<String>, CacheError>;

    /// Reads the generation of `scope` (starting a new one if it has none) and, for a shared
    /// backend, the value of `key` under it, in one step.
    async fn lookup(&self, scope: &str, key: &str) -> Result<Lookup, CacheError>;

    /// Stores `value` for `key` under `generation` unless the scope has moved on since; returns
    /// whether the generation was still current (and the value stored).
    async fn store(
        &self,
        scope: &str,
        generation: &str,
        key: &str,
        value: Option<Bytes>,
        ttl: Duration,
    ) -> Result<bool, CacheError>;

    /// Drops the generations of these scopes.
    async fn invalidate(&self, scopes: &[String]) -> Result<(), CacheError>;

    /// Adds one to the counter `key` in a fixed window; returns the count and the time until
    /// the window resets.
    async fn count(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError>;

    /// Adds each member to its set and returns each set's size afterwards. A set is dropped
    /// `ttl` after it was last added to. (Counts of distinct devices and places that scanned a
    /// label.)
    async fn add_to_sets(
        &self,
        members: &[(String, String)],
        ttl: Duration,
    ) -> Result<Vec<u64>, CacheError>;

    /// Drops these sets.
    async fn remove_sets(&self, keys: &[String]) -> Result<(), CacheError>;

    async fn ping(&self) -> Result<(), CacheError>;
}

/// A fresh generation token: random, so a generation is never reused even if the backend loses
/// its keys.
pub(crate) fn new_generation() -> String {
    format!("{:016x}", fastrand::u64(..))
}
