//! Payments: card payments through Stripe (PaymentIntents, the signed webhook), statements (what an artisan is owed and was paid, from the ledger) and payout
//! batches (an operator pays everything owed in one run, exported as CSV for the bank, the wallet
//! provider and the agents who hand over cash).

mod card;
mod error;
pub mod payouts;
mod statements;
mod webhook;

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
    orders: Option<Orders>,
    /// `None` when no Stripe key is configured: card payments are off.
    stripe: Option<StripeProvider>,
}

impl Payments {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            orders: None,
            stripe: None,
        }
    }

    /// With the orders it takes payments for, and Stripe when configured.
    pub fn with(mut self, orders: Orders, stripe: Option<StripeProvider>) -> Self {
        self.orders = Some(orders);
        self.stripe = stripe;
        self
    }

    pub fn card_payments_enabled(&self) -> bool {
        self.stripe.is_some()
    }

    fn orders(&self) -> Result<&Orders, PaymentsError> {
        self.orders.as_ref().ok_or(PaymentsError::Provider(
            "payments were built without orders".into(),
        ))
    }
}
