//! The interface both backends implement: generations per scope, the epoch, and (for a shared
//! backend) values as bytes.
//!
//! The epoch is one token per cache that every invalidation replaces. A value this process
//! confirmed current under an epoch is still current while the epoch is the same, so a busy
//! process asks for one key, whatever it holds, instead of one generation per value read.

use std::{fmt::Debug, sync::Arc, time::Duration};

use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    #[error("cache answered unexpectedly: {0}")]
    Protocol(String),
}

/// What a lookup found: the scope's current generation, the value if the backend holds one
/// under it, and the epoch read with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub generation: String,
    pub value: Option<Bytes>,
    pub epoch: Option<u64>,
}

/// A scope's generation and the epoch, read together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub generation: Option<String>,
    pub epoch: Option<u64>,
}

#[async_trait::async_trait]
pub trait CacheBackend: Send + Sync + Debug + 'static {
    fn kind(&self) -> &'static str;

    /// True when values are shared with other processes (as bytes); false when they live only
    /// in this process's memory.
    fn shares_values(&self) -> bool;

    /// The epoch kept under `epoch_key`, if there is one. The cheapest call: a hit in this
    /// process's memory needs only this while no invalidation happened.
    async fn epoch(&self, epoch_key: &Arc<str>) -> Result<Option<u64>, CacheError>;

    /// The current generation of `scope`, if it has one, and the epoch, read in one step.
    async fn generation(&self, epoch_key: &Arc<str>, scope: &str) -> Result<Current, CacheError>;

    /// Reads the generation of `scope` (starting a new one if it has none), the epoch and, for
    /// a shared backend, the value of `key` under the generation, in one step.
    async fn lookup(&self, epoch_key: &str, scope: &str, key: &str) -> Result<Lookup, CacheError>;

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

    /// Drops the generations of these scopes and replaces the epoch, in one step.
    async fn invalidate(&self, epoch_key: &str, scopes: &[String]) -> Result<(), CacheError>;

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

/// A fresh epoch: random for the same reason (an epoch lost with Redis's keys and counted up
/// again must not meet an old one), and never 0, which stands for "none" in this process.
pub(crate) fn new_epoch() -> u64 {
    fastrand::u64(1..)
}
