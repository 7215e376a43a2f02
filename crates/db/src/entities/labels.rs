//! `labels`: one serialized, signed brand label, as issued, and what happened to it since.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "labels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub serial: String,
    pub batch_id: Uuid,
    pub certification_id: Uuid,
    /// The certification's code, as signed.
    pub certification_code: String,
    pub product_id: Uuid,
    /// The product identifier as signed: `01/<gtin>` or `p/<code>`.
    pub product_key: String,
    pub issued_on: Date,
    pub key_id: String,
    /// Ed25519 signature, base64url without padding.
    pub signature: String,
    /// `issued`, `attached` or `revoked`; "sold" is read from the fulfilment it went out with.
    pub status: String,
    pub fulfilment_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub owned_since: Option<DateTimeUtc>,
    /// Hashed fingerprint of the device the owner registered from.
    pub owner_device: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    pub revoked_reason: Option<String>,
    pub suspect: bool,
    pub suspect_reason: Option<String>,
    pub suspect_since: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
