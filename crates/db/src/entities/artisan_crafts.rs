//! `artisan_crafts`: which crafts an artisan practises.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artisan_crafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artisan_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub craft_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
