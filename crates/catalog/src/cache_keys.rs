//! What the catalog caches, and the scopes a write invalidates.

use souk_kernel::{ArtisanId, ProductId};

pub(crate) const FAMILY_PRODUCT: &str = "product";
pub(crate) const FAMILY_ARTISAN: &str = "artisan";
pub(crate) const FAMILY_LISTING: &str = "listing";
pub(crate) const FAMILY_CRAFTS: &str = "crafts";

/// Every listing page: any product write changes what some listing shows.
pub(crate) const LISTINGS: &str = "listings";
pub(crate) const CRAFTS: &str = "crafts";

pub(crate) fn product(id: ProductId) -> String {
    format!("p:{id}")
}

pub(crate) fn artisan(id: ArtisanId) -> String {
    format!("a:{id}")
}
