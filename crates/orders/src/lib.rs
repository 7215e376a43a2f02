//! Orders: a buyer's checkout that never sells the same piece twice, split into one fulfilment
//! per artisan, moved through a state machine whose every step is kept in a history, with an
//! outbox of events written in the same transaction as the change.
//!
//! * Placing an order is the only way one is created (never a payment callback). It is bound to
//!   the buyer's `Idempotency-Key`: the same key and body give the same order.
//! * Stock is reserved by conditional updates inside the order's transaction; an unpaid order's
//!   reservation lapses after a configurable time (see [`Orders::expire_due`]).
//! * Who may act on an order is decided here: the buyer, the artisans and their agents for their
//!   own fulfilments, and operators.

mod addresses;
mod books;
mod error;
mod expiry;
pub mod machine;
pub mod model;
pub mod notices;
mod place;
pub mod plan;
mod queries;
mod refunds;
pub mod shipping;
mod store;
mod transitions;

use std::time::Duration;

pub use addresses::SavedAddress;
pub use error::OrdersError;
pub use machine::{FulfilmentAction, FulfilmentStatus, OrderAction, OrderStatus, PaymentMethod};
pub use model::{
    Address, Fulfilment, FulfilmentView, HistoryEntry, Line, Order, OrderItem, PlaceOrder, Placed,
};
pub use queries::OrderFilter;
pub use refunds::{CardRefund, RefundMethod, RefundRequest};
pub use shipping::{ShippingRates, Zone, ZoneRates};
pub use transitions::{FulfilmentCommand, PaymentOutcome};

use souk_catalog::Catalog;
use souk_db::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct OrderSettings {
    /// How long a card order holds its stock while waiting for the payment.
    pub payment_window: Duration,
    /// How long a cash-on-delivery order holds its stock while waiting for confirmation by phone.
    pub confirmation_window: Duration,
    /// How long an `Idempotency-Key` is remembered.
    pub idempotency_ttl: Duration,
    pub max_lines: usize,
    pub max_quantity: u32,
    pub shipping: ShippingRates,
    /// Souk's commission on the price of every line, in basis points (1000 = 10%).
    pub platform_commission_bps: u32,
}

#[derive(Clone, Debug)]
pub struct Orders {
    db: DatabaseConnection,
    catalog: Catalog,
    settings: std::sync::Arc<OrderSettings>,
}

impl Orders {
    pub fn new(db: DatabaseConnection, catalog: Catalog, settings: OrderSettings) -> Self {
        Self {
            db,
            catalog,
            settings: std::sync::Arc::new(settings),
        }
    }

    pub fn settings(&self) -> &OrderSettings {
        &self.settings
    }
}

/// `chrono` arithmetic on a std duration, saturating far in the future.
fn after(at: chrono::DateTime<chrono::Utc>, d: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}
