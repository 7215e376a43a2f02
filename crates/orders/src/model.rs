//! Orders as the crate hands them out, and what placing one takes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_kernel::{AccountId, ArtisanId, FulfilmentId, LocalizedText, OrderId, ProductId};

use crate::{
    machine::{FulfilmentStatus, OrderStatus, PaymentMethod},
    shipping::Zone,
};

/// Where the parcel goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    /// The courier calls before delivering (and to confirm cash-on-delivery orders).
    pub phone: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, `MA` for Morocco.
    pub country: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub product: ProductId,
    pub quantity: u32,
}

/// An order as the buyer asks for it. Its serialized form is what an `Idempotency-Key` is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub items: Vec<OrderItem>,
    pub payment_method: PaymentMethod,
    pub shipping_address: Address,
    /// The saved address (`addresses.rs`) `shipping_address` was read from, if it was: the key
    /// is then bound to the id, so a retry after the buyer edited that address is the same
    /// request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_address: Option<uuid::Uuid>,
}

/// One product of an order, as it was sold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub id: Uuid,
    pub product: ProductId,
    pub artisan: ArtisanId,
    pub listed_by_agent: Option<AccountId>,
    pub title: LocalizedText,
    pub unit_price_minor: i64,
    pub quantity: u32,
    pub line_total_minor: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<u16>,
    pub weight_g: u32,
}

pub use uuid::Uuid;

/// The part of an order one artisan ships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfilment {
    pub id: FulfilmentId,
    pub order: OrderId,
    pub artisan: ArtisanId,
    pub status: FulfilmentStatus,
    pub weight_g: u32,
    pub items_total_minor: i64,
    pub shipping_fee_minor: i64,
    /// The longest lead time of its made-to-order lines.
    pub lead_time_days: Option<u16>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub cash_collected_minor: Option<i64>,
    pub refusal_reason: Option<String>,
    pub remittance_reference: Option<String>,
    pub lines: Vec<Line>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Fulfilment {
    /// What the courier collects at the door for this parcel (cash on delivery).
    pub fn amount_due_minor(&self) -> i64 {
        self.items_total_minor + self.shipping_fee_minor
    }
}

/// One status change, and who made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub fulfilment: Option<FulfilmentId>,
    pub from: Option<String>,
    pub to: String,
    /// `None` when Souk itself acted (a reservation that lapsed).
    pub actor: Option<AccountId>,
    pub actor_role: String,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub buyer: AccountId,
    pub status: OrderStatus,
    pub payment_method: PaymentMethod,
    pub currency: String,
    pub items_total_minor: i64,
    pub shipping_total_minor: i64,
    pub total_minor: i64,
    pub refunded_minor: i64,
    pub shipping_address: Address,
    pub zone: Zone,
    /// While the buyer has not paid (or confirmed): when the reservation lapses.
    pub expires_at: Option<DateTime<Utc>>,
    pub fulfilments: Vec<Fulfilment>,
    /// Oldest first; only filled for a single order.
    pub history: Vec<HistoryEntry>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A fulfilment as its artisan, their agent or an operator sees it: with where it goes and
/// how it is paid, but not the rest of the order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FulfilmentView {
    pub fulfilment: Fulfilment,
    pub order_status: OrderStatus,
    pub payment_method: PaymentMethod,
    pub shipping_address: Address,
    pub zone: Zone,
    /// For cash on delivery: what the courier collects.
    pub cash_due_minor: Option<i64>,
}

/// The answer to placing an order: the order, and whether it was placed before under the same
/// `Idempotency-Key`.
#[derive(Clone, Debug)]
pub struct Placed {
    pub order: Order,
    pub replayed: bool,
}
