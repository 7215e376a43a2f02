//! Payments: card payments through Stripe (PaymentIntents, the signed webhook), statements (what an artisan is owed and was paid, from the ledger) and payout
//! batches (an operator pays everything owed in one run, exported as CSV for the bank, the wallet
//! provider and the agents who hand over cash).

mod batch_list;
mod card;
mod error;
pub mod payouts;
mod statements;
mod webhook;

pub use batch_list::BatchSummary;
pub use card::{CardPayment, PaymentChoice, StripeProvider, StripeSettings};
pub use error::PaymentsError;
pub use payouts::{Batch, BatchItem, Skipped};
pub use statements::{Statement, StatementEntry};
pub use webhook::Handled;

use souk_db::DatabaseConnection;
use souk_orders::Orders;

#[derive(Clone, Debug)]
pub struct Payments {
    db: DatabaseConnection,
    /// The orders it takes payments for.
    orders: Orders,
    /// `None` when no Stripe key is configured: card payments are off.
    stripe: Option<StripeProvider>,
}

impl Payments {
    pub fn new(db: DatabaseConnection, orders: Orders, stripe: Option<StripeProvider>) -> Self {
        Self { db, orders, stripe }
    }
}
