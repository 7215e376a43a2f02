//! `label_reports`: "report a fake" from someone holding a labelled item, for the certifier.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "label_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub label_id: Option<Uuid>,
    pub serial: String,
    pub reason: String,
    pub details: Option<String>,
    pub place: String,
    pub device: String,
    /// How to reach the reporter, only if they chose to leave it.
    pub contact: Option<String>,
    pub status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
