//! `label_scans`: each verification of a label, with nothing personal: a coarse place and a
//! device fingerprint, both hashed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "label_scans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None` when the serial scanned is not a label of ours.
    pub label_id: Option<Uuid>,
    pub serial: String,
    pub at: DateTimeUtc,
    pub place: String,
    pub device: String,
    /// `authentic`, `not_authentic`, `revoked`, `unknown`.
    pub outcome: String,
    /// `page` (the QR code's page) or `api`.
    pub channel: String,
    /// It first showed the label's device or network (to the replica that recorded it), or its
    /// link was not authentic: the scans indexed by label.
    pub notable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
