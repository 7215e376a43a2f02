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
use souk_kernel::{Page, PageRequest};
use uuid::Uuid;

use crate::{NotifyError, Relay, require_admin};

/// Which deliveries the log shows.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    /// `webhook`, `email` or `sms`.
    pub channel: Option<String>,
    /// An endpoint's id, an email address, a phone number.
    pub target: Option<String>,
    /// `pending`, `delivered` or `dead`.
    pub status: Option<String>,
}

/// One delivery as the log shows it.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub topic: String,
    /// `webhook`, `email` or `sms`.
    pub channel: String,
    /// The endpoint's id, the email address or the phone number.
    pub target: String,
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
            channel: d.channel,
            target: d.target,
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
    /// Deliveries of every channel, or those `filter` names, newest first (admins only).
    pub async fn deliveries(
        &self,
        principal: &Principal,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<DeliveryView>, NotifyError> {
        require_admin(principal)?;
        let mut query = deliveries::Entity::find()
            .order_by_desc(deliveries::Column::Id)
            .limit(page.fetch());
        if let Some(channel) = &filter.channel {
            query = query.filter(deliveries::Column::Channel.eq(channel.as_str()));
        }
        if let Some(target) = &filter.target {
            query = query.filter(deliveries::Column::Target.eq(target.as_str()));
        }
        if let Some(status) = &filter.status {
            query = query.filter(deliveries::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = page.after {
            query = query.filter(deliveries::Column::Id.lt(after));
        }
        let rows = query.all(self.db()).await?;
        Ok(Page::of(rows, page.limit, |r| r.id).map(DeliveryView::from))
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
