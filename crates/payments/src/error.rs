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
    #[error("card payments are off: no Stripe key is configured (payments.stripe_secret_key)")]
    CardPaymentsDisabled,
    #[error("this order cannot be paid by card: {0}")]
    NotPayable(&'static str),
    #[error("the webhook's signature does not verify: {0}")]
    BadSignature(String),
    #[error("the event cannot be read: {0}")]
    UnreadableEvent(String),
    #[error("the payment provider failed: {0}")]
    Provider(String),
    #[error(transparent)]
    Orders(#[from] souk_orders::OrdersError),
    #[error(transparent)]
    Ledger(#[from] souk_ledger::LedgerError),
    #[error(transparent)]
    Catalog(#[from] souk_catalog::CatalogError),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
    #[error("stored payment data is unreadable: {0}")]
    Corrupt(String),
}
