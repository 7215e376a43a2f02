//! `line_shares`: what one paid order line owed to whom, as posted, so a refund reverses that
//! very split even if commission rates change later.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "line_shares")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_id: Uuid,
    pub order_id: Uuid,
    pub artisan_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub gross: i64,
    pub platform: i64,
    pub agent_fee: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
