//! `refunds`: money paid back to a buyer, by whom and how.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    /// Lines and shipping together.
    pub amount_minor: i64,
    pub shipping_minor: i64,
    /// `cash`, `bank_transfer` or `mobile_wallet`.
    pub method: String,
    pub paid_back_by: String,
    pub reference: String,
    pub created_by: Uuid,
    pub posting_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
