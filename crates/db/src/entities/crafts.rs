//! `crafts`: the crafts taxonomy, named in several languages.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "crafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub parent_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub name: Json,
    pub position: i32,
    /// When the craft was retired (no new product or artisan may take it); `None` while in use.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
