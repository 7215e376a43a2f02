//! `payout_items`: what one artisan is paid in a batch, and how.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub batch_id: Uuid,
    pub artisan_id: Uuid,
    pub display_name: String,
    /// `bank_transfer`, `mobile_wallet` or `cash_via_agent`.
    pub method: String,
    /// The payout details as they were when the batch was made.
    #[sea_orm(column_type = "Json")]
    pub details: Json,
    pub amount_minor: i64,
    /// The ledger posting that settled what was owed.
    pub posting_id: Uuid,
    /// For cash through the agent: the receipt the artisan signed.
    pub receipt_reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
