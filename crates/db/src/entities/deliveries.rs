//! `deliveries`: one outbox event on its way to one recipient of one channel, with its attempts,
//! its lease and its outcome.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub aggregate_id: Uuid,
    pub topic: String,
    /// `webhook` (later `email`, `sms`).
    pub channel: String,
    /// The endpoint's id, an email address or a phone number.
    pub target: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub leased_until: Option<DateTimeUtc>,
    pub last_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The message an email or SMS delivery sends (`None` for webhooks, which send the event).
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub message: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
