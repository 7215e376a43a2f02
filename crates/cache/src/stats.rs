//! Hit, miss and error counts per family of cached values, read by the metrics endpoint.

use std::{
    collections::BTreeMap,
    sync::{
        RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

/// A snapshot of one family's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FamilyCounts {
    pub hits: u64,
    pub misses: u64,
    pub errors: u64,
}

#[derive(Debug, Default)]
pub struct CacheStats {
    families: RwLock<BTreeMap<&'static str, Counters>>,
}

impl CacheStats {
    fn bump(&self, family: &'static str, pick: impl Fn(&Counters) -> &AtomicU64) {
        if let Ok(families) = self.families.read()
            && let Some(counters) = families.get(family)
        {
            pick(counters).fetch_add(1, Ordering::Relaxed);
            return;
        }
        if let Ok(mut families) = self.families.write() {
            pick(families.entry(family).or_default()).fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn hit(&self, family: &'static str) {
        self.bump(family, |c| &c.hits);
    }

    pub(crate) fn miss(&self, family: &'static str) {
        self.bump(family, |c| &c.misses);
    }

    pub(crate) fn error(&self, family: &'static str) {
        self.bump(family, |c| &c.errors);
    }

    /// Counts per family, sorted by family name.
    pub fn snapshot(&self) -> Vec<(&'static str, FamilyCounts)> {
        let Ok(families) = self.families.read() else {
            return Vec::new();
        };
        families
            .iter()
            .map(|(name, c)| {
                let counts = FamilyCounts {
                    hits: c.hits.load(Ordering::Relaxed),
                    misses: c.misses.load(Ordering::Relaxed),
                    errors: c.errors.load(Ordering::Relaxed),
                };
                (*name, counts)
            })
            .collect()
    }
}
