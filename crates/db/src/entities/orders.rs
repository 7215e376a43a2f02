//! `orders`: what a buyer ordered, with the totals snapshotted when it was placed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_id: Uuid,
    pub status: String,
    pub payment_method: String,
    pub currency: String,
    pub items_total_minor: i64,
    pub shipping_total_minor: i64,
    pub total_minor: i64,
    pub refunded_minor: i64,
    #[sea_orm(column_type = "Json")]
    pub shipping_address: Json,
    pub zone: String,
    /// While unpaid (or unconfirmed): when the reservation of its stock lapses.
    pub expires_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
