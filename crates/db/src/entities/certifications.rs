//! `certifications`: a product, or an artisan's product line in one craft, inspected against a
//! named standard, with the result and how long it holds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short reference printed in labels' links (and signed with them).
    #[sea_orm(unique)]
    pub code: String,
    /// The product certified; `None` for a product line.
    pub product_id: Option<Uuid>,
    pub artisan_id: Uuid,
    /// The craft of a product line.
    pub craft_id: Option<Uuid>,
    pub standard: String,
    pub standard_version: String,
    pub inspector: String,
    pub inspected_on: Date,
    /// `passed` or `failed`.
    pub result: String,
    pub valid_from: Date,
    pub valid_until: Date,
    #[sea_orm(column_type = "Json")]
    pub evidence: Json,
    pub notes: Option<String>,
    pub certifier_id: Uuid,
    /// The certifying body as its account was named when it certified.
    pub certifier_name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
