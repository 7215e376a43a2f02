//! Catalog search: an embedded index (tantivy) on every replica, fed from the database.
//!
//! Text is normalized the same way when indexed and when searched ([`normalize`], plugged into
//! tantivy as a tokenizer); a product's words are weighted by where they appear ([`document`]); a
//! query's words are matched exactly, as prefixes, with typos, or through the trade's
//! [`vocabulary`], and products are ranked by how well and where they match ([`query`]). The
//! [`backend`] interface is what the catalog asks of an engine; [`engine`] is tantivy behind it,
//! and [`feed`] keeps it in step with the change log.

pub(crate) mod backend;
pub(crate) mod document;
pub mod engine;
pub mod feed;
pub mod normalize;
pub mod query;
pub(crate) mod request;
pub mod vocabulary;

pub use normalize::tokens;
