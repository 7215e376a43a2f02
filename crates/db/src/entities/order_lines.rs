//! `order_lines`: one product of an order, its price and title as they were when it was placed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub fulfilment_id: Uuid,
    pub product_id: Uuid,
    pub artisan_id: Uuid,
    /// The agent who listed the product, when one did (their commission is due on it).
    pub listed_by_agent: Option<Uuid>,
    #[sea_orm(column_type = "Json")]
    pub title: Json,
    pub unit_price_minor: i64,
    pub quantity: i32,
    pub line_total_minor: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<i32>,
    pub weight_g: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
