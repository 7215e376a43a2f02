//! Keeps a replica's index in step with the database, never the other way round.
//!
//! Product writes append the product's id to the change log in their transaction
//! ([`crate::store::changes`]). The feed reads the log in order from its position, re-reads those
//! products and writes their entries, and commits the new position with them (the commit's
//! stamp): a replica that restarts goes on from there. An empty index (or one of another version,
//! or older than the log's retention) is rebuilt from the products table first.
//!
//! A replica that made a write applies it before answering ([`SearchFeed::apply`]); the others
//! find it in the log at their next poll. Concurrent writers share commits: whoever holds the
//! index writes everything asked for so far.

use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use souk_db::DatabaseConnection;
use uuid::Uuid;

use super::{
    backend::{SearchBackend, Staged},
    document::Entry,
    engine::schema::VERSION,
    request::{Hit, SearchRequest},
};
use crate::{
    CatalogError,
    store::{self, changes::LogPosition},
};

/// Log rows read at a time.
const LOG_PAGE: u64 = 5_000;
/// Products read at a time while rebuilding.
const REBUILD_PAGE: u64 = 2_000;

/// What a commit records: where in the log the index is, for which index version, and when.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Stamp {
    version: u32,
    position: LogPosition,
    at: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    built: bool,
    position: LogPosition,
    /// Batches committed so far (the next batch's number).
    done: u64,
}

#[derive(Default)]
struct Pending {
    ids: BTreeSet<Uuid>,
    /// The number of the batch these ids will go in.
    batch: u64,
}

pub struct SearchFeed {
    db: DatabaseConnection,
    backend: Arc<dyn SearchBackend>,
    state: tokio::sync::Mutex<State>,
    pending: Mutex<Pending>,
    /// Searches running at once: as many as there are cores (more would only queue on them,
    /// each on a thread and its memory of its own).
    searching: tokio::sync::Semaphore,
    ready: AtomicBool,
    /// Names this process's index in cache keys (listings cached by one replica are not another's).
    instance: String,
    /// How long the log keeps changes; an index stamped longer ago than this is rebuilt.
    retention: Duration,
}

impl std::fmt::Debug for SearchFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchFeed")
            .field("instance", &self.instance)
            .field("ready", &self.ready)
            .finish_non_exhaustive()
    }
}

impl SearchFeed {
    pub(crate) fn new(
        db: DatabaseConnection,
        backend: Arc<dyn SearchBackend>,
        retention: Duration,
    ) -> SearchFeed {
        SearchFeed {
            db,
            backend,
            state: tokio::sync::Mutex::new(State::default()),
            pending: Mutex::new(Pending::default()),
            searching: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            ready: AtomicBool::new(false),
            instance: Uuid::now_v7().simple().to_string(),
            retention,
        }
    }

    /// Whether the index has been built (or found) and answers searches.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Names the index state a listing comes from: cached listings are keyed by it, so none
    /// outlives the state it was read from.
    pub(crate) fn state_tag(&self) -> String {
        format!("{}.{}", self.instance, self.backend.generation())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A page of a listing, once the index is ready.
    pub(crate) async fn search(&self, request: SearchRequest) -> Result<Vec<Hit>, CatalogError> {
        if !self.is_ready() {
            self.catch_up().await?;
        }
        let _turn = self
            .searching
            .acquire()
            .await
            .map_err(|e| CatalogError::SearchUnavailable(e.to_string()))?;
        let backend = Arc::clone(&self.backend);
        blocking(move || backend.search(&request)).await
    }

    /// Applies what the log holds beyond the index's position (building the index first if it
    /// must be).
    pub async fn catch_up(&self) -> Result<(), CatalogError> {
        self.apply(Vec::new()).await
    }

    /// Writes these products' entries as they are in the database now, with whatever the log
    /// holds, and returns once they are searchable.
    pub(crate) async fn apply(&self, ids: Vec<Uuid>) -> Result<(), CatalogError> {
        let mine = {
            let mut pending = self.pending();
            pending.ids.extend(ids);
            pending.batch
        };
        let mut state = self.state.lock().await;
        if state.done > mine {
            // Another caller committed the batch these ids went in.
            return Ok(());
        }
        self.ensure_built(&mut state).await?;
        let (ids, batch) = {
            let mut pending = self.pending();
            let ids = std::mem::take(&mut pending.ids);
            pending.batch += 1;
            (ids, pending.batch - 1)
        };
        match self.step(&mut state, &ids).await {
            Ok(()) => {
                state.done = batch + 1;
                Ok(())
            }
            Err(e) => {
                // Kept for the next attempt (the log has them too).
                self.pending().ids.extend(ids);
                Err(e)
            }
        }
    }

    /// Reads the log from the position, writes the entries of what it names and of `ids`, and
    /// commits them with the new position.
    async fn step(&self, state: &mut State, ids: &BTreeSet<Uuid>) -> Result<(), CatalogError> {
        let mut position = state.position;
        let mut changed = false;
        loop {
            let page = store::changes::after(&self.db, position, LOG_PAGE).await?;
            let Some((_, last)) = page.last() else { break };
            position = *last;
            let mut from_log: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
            from_log.sort_unstable();
            from_log.dedup();
            self.stage_products(from_log).await?;
            changed = true;
            if (page.len() as u64) < LOG_PAGE {
                break;
            }
        }
        if !ids.is_empty() {
            self.stage_products(ids.iter().copied().collect()).await?;
            changed = true;
        }
        if changed {
            self.commit(position).await?;
            state.position = position;
        }
        Ok(())
    }

    /// Stages the entries of these products as the database holds them (none for a product
    /// that is gone or not active).
    async fn stage_products(&self, ids: Vec<Uuid>) -> Result<(), CatalogError> {
        let rows = store::products::rows(&self.db, &ids).await?;
        let add = self.entries(&rows).await?;
        let backend = Arc::clone(&self.backend);
        blocking(move || backend.stage(Staged::Replace { remove: ids, add })).await
    }

    async fn entries(
        &self,
        rows: &[souk_db::entities::products::Model],
    ) -> Result<Vec<Entry>, CatalogError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let crafts = store::crafts::all(&self.db).await?;
        let mut artisan_ids: Vec<Uuid> = rows.iter().map(|r| r.artisan_id).collect();
        artisan_ids.sort_unstable();
        artisan_ids.dedup();
        let artisans = store::artisans::refs(&self.db, artisan_ids).await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let artisan = artisans.get(&row.artisan_id);
            let craft = crafts.iter().find(|c| c.id.into_uuid() == row.craft_id);
            let entry = match (artisan, craft) {
                (Some(artisan), Some(craft)) => Entry::of(row, artisan, craft),
                _ => Err(CatalogError::Corrupt("no artisan or no craft".into())),
            };
            match entry {
                Ok(entry) => entries.extend(entry),
                // One unreadable product must not hold back every change after it: it is left
                // out of the index (its page says what is wrong) and the feed goes on.
                Err(e) => tracing::error!(product = %row.id, error = %e, "product not indexed"),
            }
        }
        Ok(entries)
    }

    async fn commit(&self, position: LogPosition) -> Result<(), CatalogError> {
        let stamp = Stamp {
            version: VERSION,
            position,
            at: Utc::now(),
        };
        let stamp = serde_json::to_string(&stamp)
            .map_err(|e| CatalogError::Corrupt(format!("search stamp: {e}")))?;
        let backend = Arc::clone(&self.backend);
        blocking(move || backend.commit(&stamp)).await
    }

    /// Finds the index's position in its last commit, or rebuilds the index.
    async fn ensure_built(&self, state: &mut State) -> Result<(), CatalogError> {
        if state.built {
            return Ok(());
        }
        let backend = Arc::clone(&self.backend);
        let stamp = blocking(move || backend.stamp()).await?;
        let usable = stamp
            .as_deref()
            .and_then(|s| serde_json::from_str::<Stamp>(s).ok())
            .filter(|s| s.version == VERSION)
            .filter(|s| {
                let age = Utc::now().signed_duration_since(s.at);
                age.to_std().map_or(true, |age| age < self.retention)
            });
        match usable {
            Some(stamp) => state.position = stamp.position,
            None => state.position = self.rebuild().await?,
        }
        state.built = true;
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Rebuilds the index from the products table; returns the position it continues from.
    async fn rebuild(&self) -> Result<LogPosition, CatalogError> {
        let started = Instant::now();
        let horizon = store::changes::horizon(&self.db).await?;
        let backend = Arc::clone(&self.backend);
        blocking(move || backend.stage(Staged::Reset)).await?;
        let mut after = None;
        let mut count = 0;
        loop {
            let rows = store::products::active_after(&self.db, after, REBUILD_PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.id);
            count += rows.len();
            let add = self.entries(&rows).await?;
            let backend = Arc::clone(&self.backend);
            blocking(move || {
                backend.stage(Staged::Replace {
                    remove: Vec::new(),
                    add,
                })
            })
            .await?;
        }
        self.commit(horizon).await?;
        let backend = Arc::clone(&self.backend);
        blocking(move || backend.compact()).await?;
        tracing::info!(
            products = count,
            seconds = started.elapsed().as_secs_f64(),
            "search index built from the products table"
        );
        Ok(horizon)
    }

    /// Forgets log rows older than the retention; returns how many.
    pub async fn prune(&self) -> Result<u64, CatalogError> {
        let retention = chrono::Duration::from_std(self.retention)
            .unwrap_or_else(|_| chrono::Duration::days(7));
        Ok(store::changes::prune(&self.db, Utc::now() - retention).await?)
    }
}

/// Runs index work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CatalogError> + Send + 'static,
) -> Result<T, CatalogError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CatalogError::SearchUnavailable(format!("search task: {e}")))?
}
