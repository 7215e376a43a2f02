//! The outbox: what a change tells the rest of the world, written in the change's own
//! transaction so that both commit or neither does. The relay (`souk-notify`) reads it.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use serde_json::Value;
use uuid::Uuid;

use crate::entities::outbox_events;

/// An unpublished event about `aggregate` (an order, a fulfilment, an artisan's payouts), to be
/// inserted with the change it reports. Events of one aggregate are relayed in the order of
/// their ids.
pub fn event(
    topic: impl Into<String>,
    aggregate: Uuid,
    payload: Value,
    at: DateTime<Utc>,
) -> outbox_events::ActiveModel {
    outbox_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        topic: Set(topic.into()),
        aggregate_id: Set(aggregate),
        payload: Set(payload),
        created_at: Set(at),
        published_at: Set(None),
    }
}
