//! What the orders crate refuses.

use souk_catalog::CatalogError;
use souk_kernel::ProductId;

#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no {0} with this id")]
    NotFound(&'static str),
    /// Not enough stock left for the quantity asked (duplicate lines summed).
    #[error("product {product} has {available} left; {requested} asked")]
    OutOfStock {
        product: ProductId,
        requested: u32,
        available: u32,
    },
    /// The product cannot be ordered at all (not on sale, other currency).
    #[error("product {product} cannot be ordered: {why}")]
    ProductUnavailable { product: ProductId, why: String },
    #[error("no shipping rate covers this parcel: {0}")]
    NoShippingRate(String),
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// The state machine does not allow this action in the current status.
    #[error("cannot {action} a {subject} that is {status}")]
    IllegalTransition {
        subject: &'static str,
        action: &'static str,
        status: &'static str,
    },
    /// Card refunds go through the payment provider, and there is none (no Stripe key).
    #[error("card refunds go back through Stripe, and no Stripe key is configured")]
    CardRefundUnavailable,
    /// The payment provider refused or failed (a card refund).
    #[error("the payment provider failed: {0}")]
    Provider(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
    /// The books refused a posting: a bug, never the client's doing.
    #[error("ledger: {0}")]
    Ledger(#[from] souk_ledger::LedgerError),
    #[error("stored order data is unreadable: {0}")]
    Corrupt(String),
}

impl OrdersError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        OrdersError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
