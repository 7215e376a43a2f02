//! The catalog: the crafts taxonomy, artisans' public profiles, and products in several
//! languages, with a search that forgives Arabic diacritics and letter variants, French accents,
//! unfinished words and small typos.
//!
//! Reads are cache-aside (one product, one artisan, the crafts, and listing pages); writes commit
//! in one transaction with their search index rows, then invalidate what they changed.

pub mod agency;
mod cache_keys;
pub mod certified;
mod crafts;
mod directory;
mod error;
pub mod import;
mod input;
mod model;
mod photos;
pub mod reference;
pub mod rights;
pub mod search;
mod service;
pub mod stock;
mod store;

pub use crafts::NewCraft;
pub use directory::DirectoryFilter;
pub use error::CatalogError;
pub use input::{ArtisanInput, ListingQuery, ProductInput, ProductPatch, Sort};
pub use model::{
    AgentGrants, Artisan, ArtisanAccess, ArtisanRef, Craft, Dimensions, Product, ProductStatus,
    ProductSummary,
};
pub use photos::{Photo, PhotoVariant, Photos, StoredPhoto};
pub use search::{engine::TantivyIndex, feed::SearchFeed, vocabulary::Vocabulary};
pub use service::{Catalog, CatalogSettings, Stale};
pub use souk_audit::{AuditEntry, Via};

#[cfg(test)]
mod tests;
