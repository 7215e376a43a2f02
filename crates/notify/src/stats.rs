//! What the relay has done since the process started, and how far behind it is: for metrics.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use souk_db::{
    ConnectionTrait,
    sea_orm::{DbErr, Statement},
};

/// Counters and lags, updated by the relay's rounds.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    fanned_out: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dead: AtomicU64,
    outbox_lag_ms: AtomicU64,
    delivery_lag_ms: AtomicU64,
}

/// A reading of the relay's counters and lags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Events fanned out into deliveries.
    pub fanned_out: u64,
    pub delivered: u64,
    /// Attempts that failed and will be tried again.
    pub failed: u64,
    /// Deliveries given up after their last attempt.
    pub dead: u64,
    /// Age of the oldest event not yet fanned out, at the last round (ms).
    pub outbox_lag_ms: u64,
    /// How long the most overdue delivery has been due, at the last round (ms).
    pub delivery_lag_ms: u64,
}

impl Stats {
    pub(crate) fn fanned_out(&self, n: u64) {
        self.fanned_out.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn dispatched(&self, done: crate::Dispatched) {
        self.delivered.fetch_add(done.delivered, Ordering::Relaxed);
        self.failed.fetch_add(done.failed, Ordering::Relaxed);
        self.dead.fetch_add(done.dead, Ordering::Relaxed);
    }

    pub(crate) fn lags(&self, outbox_ms: u64, delivery_ms: u64) {
        self.outbox_lag_ms.store(outbox_ms, Ordering::Relaxed);
        self.delivery_lag_ms.store(delivery_ms, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> RelayStats {
        RelayStats {
            fanned_out: self.fanned_out.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            dead: self.dead.load(Ordering::Relaxed),
            outbox_lag_ms: self.outbox_lag_ms.load(Ordering::Relaxed),
            delivery_lag_ms: self.delivery_lag_ms.load(Ordering::Relaxed),
        }
    }
}

/// The oldest unpublished event's time, and the earliest time a pending delivery was due.
pub(crate) async fn oldest(
    conn: &impl ConnectionTrait,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>), DbErr> {
    let backend = conn.get_database_backend();
    let event = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MIN(created_at) AS t FROM outbox_events WHERE published_at IS NULL",
        ))
        .await?
        .and_then(|r| r.try_get::<Option<DateTime<Utc>>>("", "t").ok().flatten());
    let due = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'",
        ))
        .await?
        .and_then(|r| r.try_get::<Option<DateTime<Utc>>>("", "t").ok().flatten());
    Ok((event, due))
}

/// Milliseconds from `since` to `now`, 0 if none or in the future.
pub(crate) fn lag_ms(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u64 {
    since.map_or(0, |t| {
        u64::try_from((now - t).num_milliseconds()).unwrap_or(0)
    })
}
