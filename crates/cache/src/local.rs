//! This process's layer of decoded values, each with the generation it was cached under and the
//! last epoch it was confirmed current in. Looked up on every cached read, so a lookup allocates
//! nothing: it is keyed by the borrowed scope and key (quick_cache's `Equivalent`), and a value
//! past the time to live reads as absent.

use std::{
    any::Any,
    hash::{Hash, Hasher},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use quick_cache::{Equivalent, sync::Cache};

/// A decoded value and the generation it was cached under.
#[derive(Clone)]
pub(crate) struct LocalEntry {
    pub generation: Arc<str>,
    pub value: Arc<dyn Any + Send + Sync>,
    stored: Instant,
    /// The epoch in which the value was last seen current (0: none).
    confirmed: Arc<AtomicU64>,
}

impl LocalEntry {
    /// The epoch in which the value was last seen current, if any.
    pub(crate) fn confirmed_in(&self) -> Option<u64> {
        Some(self.confirmed.load(Ordering::Acquire)).filter(|&e| e != 0)
    }

    /// The value was seen current in `epoch`.
    pub(crate) fn confirm(&self, epoch: Option<u64>) {
        self.confirmed
            .store(epoch.unwrap_or_default(), Ordering::Release);
    }
}

#[derive(Clone, PartialEq, Eq)]
struct Key {
    scope: Box<str>,
    key: Box<str>,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef {
            scope: &self.scope,
            key: &self.key,
        }
        .hash(state);
    }
}

/// A [`Key`] borrowed: hashes as the key it stands for.
struct KeyRef<'a> {
    scope: &'a str,
    key: &'a str,
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.scope.hash(state);
        self.key.hash(state);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *key.scope == *self.scope && *key.key == *self.key
    }
}

pub(crate) struct LocalValues {
    entries: Cache<Key, LocalEntry>,
    ttl: Duration,
}

impl LocalValues {
    pub(crate) fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            entries: Cache::new(usize::try_from(capacity).unwrap_or(usize::MAX)),
            ttl,
        }
    }

    /// The entry of `key` in `scope`, unless it is missing or older than the time to live.
    pub(crate) fn get(&self, scope: &str, key: &str) -> Option<LocalEntry> {
        let entry = self.entries.get(&KeyRef { scope, key })?;
        if entry.stored.elapsed() < self.ttl {
            return Some(entry);
        }
        self.entries.remove(&KeyRef { scope, key });
        None
    }

    pub(crate) fn insert(
        &self,
        scope: &str,
        key: &str,
        generation: &str,
        epoch: Option<u64>,
        value: Arc<dyn Any + Send + Sync>,
    ) {
        self.entries.insert(
            Key {
                scope: scope.into(),
                key: key.into(),
            },
            LocalEntry {
                generation: Arc::from(generation),
                value,
                stored: Instant::now(),
                confirmed: Arc::new(AtomicU64::new(epoch.unwrap_or_default())),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_found_by_its_scope_and_key_until_its_time_to_live_ends() {
        let local = LocalValues::new(10, Duration::from_millis(50));
        local.insert("product:1", "fr", "g1", Some(5), Arc::new(7_u32));
        let entry = local.get("product:1", "fr");
        let entry = entry.unwrap_or_else(|| panic!("stored entry not found"));
        assert_eq!(entry.confirmed_in(), Some(5));
        entry.confirm(Some(6));
        let again = local.get("product:1", "fr").and_then(|e| e.confirmed_in());
        assert_eq!(
            again,
            Some(6),
            "a confirmation is seen by every holder of the entry"
        );
        assert_eq!(&*entry.generation, "g1");
        assert_eq!(entry.value.downcast::<u32>().ok().as_deref(), Some(&7));
        assert!(local.get("product:1", "ar").is_none());
        assert!(local.get("product:", "1fr").is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(local.get("product:1", "fr").is_none());
    }
}
