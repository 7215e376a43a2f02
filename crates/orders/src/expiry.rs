//! Reservations that lapse: an order not paid (or, for cash on delivery, not confirmed) in time
//! gives its stock back. Every replica runs the worker; each order is expired by exactly one of
//! them, because expiring takes the order's lock and checks again under it.

use chrono::{DateTime, Utc};
use souk_db::{
    entities::{idempotency_keys, orders},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect},
};
use souk_kernel::OrderId;

use crate::{Orders, OrdersError, machine::OrderStatus};

impl Orders {
    /// Expires up to `limit` orders whose reservation lapsed before `now`; returns how many this
    /// call expired (those another worker took first are not counted).
    pub async fn expire_due(&self, now: DateTime<Utc>, limit: u64) -> Result<usize, OrdersError> {
        let due: Vec<OrderId> = orders::Entity::find()
            .filter(orders::Column::Status.is_in([
                OrderStatus::PendingPayment.as_str(),
                OrderStatus::PendingConfirmation.as_str(),
            ]))
            .filter(orders::Column::ExpiresAt.lte(now))
            .order_by_asc(orders::Column::ExpiresAt)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| OrderId::from_uuid(r.id))
            .collect();
        let mut expired = 0;
        for id in due {
            if self.expire_one(id, now).await? {
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// Forgets `Idempotency-Key`s past their time to live.
    pub async fn purge_idempotency_keys(&self, now: DateTime<Utc>) -> Result<u64, OrdersError> {
        let ttl = chrono::Duration::from_std(self.settings.idempotency_ttl)
            .unwrap_or(chrono::Duration::hours(24));
        let result = idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::CreatedAt.lt(now - ttl))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// One pass of the background worker: lapsed reservations, then stale keys.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<usize, OrdersError> {
        let mut total = 0;
        loop {
            let n = self.expire_due(now, 200).await?;
            total += n;
            if n < 200 {
                break;
            }
        }
        self.purge_idempotency_keys(now).await?;
        Ok(total)
    }
}
