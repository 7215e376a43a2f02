//! The delivery log admins read, and replay: a delivery sent again (same event id, so a receiver
//! that already has it can tell), for an endpoint that was down past the last attempt, or lost
//! what it received.

use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_auth::Principal;
use souk_db::{
    entities::deliveries,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr},
};
use uuid::Uuid;

use crate::{NotifyError, Relay, require_admin};

/// One delivery as the log shows it.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub topic: String,
    pub status: String,
    pub attempts: i32,
    pub last_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<deliveries::Model> for DeliveryView {
    fn from(d: deliveries::Model) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            topic: d.topic,
            status: d.status,
            attempts: d.attempts,
            last_code: d.last_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

impl Relay {
    /// An endpoint's deliveries, newest first (admins only).
    pub async fn deliveries(
        &self,
        principal: &Principal,
        endpoint: Uuid,
        limit: u64,
    ) -> Result<Vec<DeliveryView>, NotifyError> {
        require_admin(principal)?;
        let rows = deliveries::Entity::find()
            .filter(deliveries::Column::Channel.eq("webhook"))
            .filter(deliveries::Column::Target.eq(endpoint.to_string()))
            .order_by_desc(deliveries::Column::Id)
            .limit(limit.clamp(1, 200))
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(DeliveryView::from).collect())
    }

    /// Sends a delivery again, whatever became of it: due now, with its attempts counted from
    /// zero (admins only).
    pub async fn replay(
        &self,
        principal: &Principal,
        delivery: Uuid,
    ) -> Result<DeliveryView, NotifyError> {
        require_admin(principal)?;
        let updated = deliveries::Entity::update_many()
            .col_expr(deliveries::Column::Status, Expr::value("pending"))
            .col_expr(deliveries::Column::Attempts, Expr::value(0))
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(Utc::now()))
            .col_expr(
                deliveries::Column::LeasedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(deliveries::Column::Id.eq(delivery))
            .exec(self.db())
            .await?;
        if updated.rows_affected == 0 {
            return Err(NotifyError::NotFound("delivery"));
        }
        deliveries::Entity::find_by_id(delivery)
            .one(self.db())
            .await?
            .map(DeliveryView::from)
            .ok_or(NotifyError::NotFound("delivery"))
    }
}
