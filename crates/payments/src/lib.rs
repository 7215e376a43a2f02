//! Payments. So far: statements (what an artisan is owed and was paid, from the ledger) and payout
//! batches (an operator pays everything owed in one run, exported as CSV for the bank, the wallet
//! provider and the agents who hand over cash). Card payments through Stripe come next.

mod error;
pub mod payouts;
mod statements;

pub use error::PaymentsError;
pub use payouts::{Batch, BatchItem, Skipped};
pub use statements::{Statement, StatementEntry};

use souk_db::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct Payments {
    db: DatabaseConnection,
}

impl Payments {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}
