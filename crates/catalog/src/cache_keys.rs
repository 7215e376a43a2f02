//! What the catalog caches, and the scopes a write invalidates.

use souk_kernel::{ArtisanId, ProductId};

pub(crate) const FAMILY_PRODUCT: &str = "product";
pub(crate) const FAMILY_ARTISAN: &str = "artisan";
pub(crate) const FAMILY_LISTING: &str = "listing";
pub(crate) const FAMILY_CRAFTS: &str = "crafts";

/// Every listing page. Never invalidated: its keys name the search index state they were read
/// from, which every product write moves on.
pub(crate) const LISTINGS: &str = "listings";
pub(crate) const CRAFTS: &str = "crafts";

pub(crate) fn product(id: ProductId) -> String {
    scope("p:", id.into_uuid())
}

pub(crate) fn artisan(id: ArtisanId) -> String {
    scope("a:", id.into_uuid())
}

/// `<prefix><id>`, built without the formatting machinery: a cached read names its scope on
/// every request.
fn scope(prefix: &str, id: uuid::Uuid) -> String {
    let mut buf = [0; uuid::fmt::Hyphenated::LENGTH];
    let id = id.hyphenated().encode_lower(&mut buf);
    let mut scope = String::with_capacity(prefix.len() + id.len());
    scope.push_str(prefix);
    scope.push_str(id);
    scope
}
