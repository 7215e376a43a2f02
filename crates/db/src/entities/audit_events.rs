//! `audit_events`: who changed what, for whom, when and how.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// UUIDv7: ordered by time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    /// The artisan the change concerns, so they can read it.
    pub artisan_id: Option<Uuid>,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub action: String,
    pub via: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub changes: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
