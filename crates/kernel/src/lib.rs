//! The shared kernel of Souk: typed ids, money, languages and multilingual text, list cursors, and
//! the slots heavy work runs in.
//!
//! Everything here is plain data with its invariants checked at construction, so the domain crates
//! and the gateway parse input once, at the edge, and pass typed values around afterwards.

pub mod cursor;
pub mod gtin;
pub mod ids;
pub mod lang;
pub mod money;
pub mod percent;
pub mod slots;
pub mod text;

pub use cursor::{Cursor, CursorError, Page, PageRequest};
pub use gtin::{Gtin, GtinError};
pub use ids::{
    AccountId, ArtisanId, CertificationId, CraftId, FulfilmentId, LabelBatchId, LabelId, OrderId,
    ProductId,
};
pub use lang::{Direction, Lang, negotiate_accept_language};
pub use money::{Currency, Money, MoneyError};
pub use slots::{Busy, WorkSlot, WorkSlots};
pub use text::{Localized, LocalizedText, TextError};
