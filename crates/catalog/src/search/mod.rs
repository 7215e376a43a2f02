//! Catalog search that works on PostgreSQL and SQLite alike, with the index in ordinary tables.
//!
//! Text is normalized the same way when indexed and when searched ([`normalize`]); each
//! product's terms are weighted by where they appear ([`index`]); a query's words are matched
//! exactly, as prefixes, or with one typo, and products are ranked by how well and where they
//! match ([`query`]).

pub mod index;
pub mod normalize;
pub mod query;

pub use normalize::tokens;
