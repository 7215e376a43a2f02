//! The search backend interface: what the catalog needs of a search engine. The feed
//! ([`super::feed`]) keeps it in step with the database; the listing asks it for pages. tantivy
//! is the engine ([`super::engine::TantivyIndex`]).

use uuid::Uuid;

use super::{
    document::Entry,
    request::{Hit, SearchRequest},
};
use crate::CatalogError;

/// A change staged for the next commit.
pub(crate) enum Staged {
    /// Forget every entry (a rebuild begins; parts are not merged until [`SearchBackend::compact`]).
    Reset,
    /// Remove these products' entries, then add these entries.
    Replace { remove: Vec<Uuid>, add: Vec<Entry> },
}

pub(crate) trait SearchBackend: Send + Sync + 'static {
    /// One page of a listing, in its order, after its position. Blocking.
    fn search(&self, request: &SearchRequest) -> Result<Vec<Hit>, CatalogError>;

    /// Stages a change: nothing is visible until [`SearchBackend::commit`]. Blocking.
    fn stage(&self, change: Staged) -> Result<(), CatalogError>;

    /// Makes the staged changes visible together with `stamp` (the feed's position), durably.
    /// Blocking.
    fn commit(&self, stamp: &str) -> Result<(), CatalogError>;

    /// Merges the index into as few parts as it can, and waits for it (after a rebuild, before
    /// the replica is ready). Blocking.
    fn compact(&self) -> Result<(), CatalogError>;

    /// The stamp of the last commit, if any.
    fn stamp(&self) -> Result<Option<String>, CatalogError>;

    /// Changes whenever what searches see changes (never repeats within a process).
    fn generation(&self) -> u64;
}
