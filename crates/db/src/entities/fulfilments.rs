//! `fulfilments`: the part of an order one artisan ships.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fulfilments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub artisan_id: Uuid,
    pub status: String,
    pub weight_g: i32,
    pub items_total_minor: i64,
    pub shipping_fee_minor: i64,
    pub lead_time_days: Option<i32>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub cash_collected_minor: Option<i64>,
    pub refusal_reason: Option<String>,
    pub remittance_reference: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
