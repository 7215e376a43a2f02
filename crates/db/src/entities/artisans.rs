//! `artisans`: public profiles of makers, with or without an account of their own.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artisans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub account_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub name: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub bio: Json,
    pub default_lang: String,
    pub commune: String,
    pub cooperative: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The agent account that represents this artisan, if any.
    pub agent_id: Option<Uuid>,
    /// The account that onboarded them, when an agent or an operator did.
    pub onboarded_by: Option<Uuid>,
    pub phone: Option<String>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub payout: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub consent: Option<Json>,
    /// What a claimed artisan lets their agent do; unclaimed artisans' agents act fully.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub agent_grants: Option<Json>,
    /// SHA-256 (hex) of the one-time claim code, while one is outstanding.
    pub claim_code_hash: Option<String>,
    pub claim_code_expires_at: Option<DateTimeUtc>,
    /// What a label's page shows of them: `workshop`, `name` or `anonymous`.
    pub label_disclosure: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
