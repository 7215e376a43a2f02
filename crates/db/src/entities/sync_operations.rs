//! `sync_operations`: every operation an agent's phone sent that was applied, by its client id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_operations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agent_id: Uuid,
    pub kind: String,
    /// SHA-256 (hex) of the operation as sent, to tell a retry from a reused id.
    pub request_hash: String,
    /// What the operation answered when it was applied, answered again on a retry.
    #[sea_orm(column_type = "JsonBinary")]
    pub result: Json,
    pub applied_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
