//! What the payments crate refuses.

#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no {0} with this id")]
    NotFound(&'static str),
    #[error("no artisan is owed anything with a payout method on record")]
    NothingToPay,
    #[error(transparent)]
    Ledger(#[from] souk_ledger::LedgerError),
    #[error(transparent)]
    Catalog(#[from] souk_catalog::CatalogError),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
    #[error("stored payment data is unreadable: {0}")]
    Corrupt(String),
}
