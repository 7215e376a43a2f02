//! `products`: the catalog's items.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub artisan_id: Uuid,
    pub listed_by: Option<Uuid>,
    pub craft_id: Uuid,
    #[sea_orm(column_type = "JsonBinary")]
    pub title: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub description: Json,
    pub default_lang: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub materials: Json,
    pub length_mm: Option<i32>,
    pub width_mm: Option<i32>,
    pub height_mm: Option<i32>,
    pub weight_g: Option<i32>,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i32,
    pub lead_time_days: Option<i32>,
    pub status: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub photos: Json,
    pub certified_until: Option<DateTimeUtc>,
    /// The GS1 trade item number, as 14 digits, when the product has one.
    pub gtin: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::artisans::Entity",
        from = "Column::ArtisanId",
        to = "super::artisans::Column::Id"
    )]
    Artisan,
}

impl Related<super::artisans::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Artisan.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
