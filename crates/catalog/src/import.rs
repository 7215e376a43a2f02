//! Bulk import of trusted data (the demo catalog, and large generated catalogs for benchmarks):
//! no per-item authorization, and products written in batches.

use souk_db::{
    begin_write,
    entities::{artisans, crafts, products},
    sea_orm::{EntityTrait, PaginatorTrait},
};
use souk_kernel::CraftId;

use crate::{
    Catalog, CatalogError, cache_keys,
    model::{Artisan, Craft, Product},
    store,
};

/// How many crafts, artisans and products the catalog holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub crafts: u64,
    pub artisans: u64,
    pub products: u64,
}

pub async fn counts(catalog: &Catalog) -> Result<Counts, CatalogError> {
    let db = catalog.db();
    Ok(Counts {
        crafts: crafts::Entity::find().count(db).await?,
        artisans: artisans::Entity::find().count(db).await?,
        products: products::Entity::find().count(db).await?,
    })
}

/// Adds the crafts whose slug is not there yet; returns the whole taxonomy.
pub async fn crafts(catalog: &Catalog, wanted: &[Craft]) -> Result<Vec<Craft>, CatalogError> {
    let existing = store::crafts::all(catalog.db()).await?;
    let tx = begin_write(catalog.db()).await?;
    for craft in wanted
        .iter()
        .filter(|c| !existing.iter().any(|e| e.slug == c.slug))
    {
        store::crafts::insert(&tx, craft).await?;
    }
    tx.commit().await?;
    catalog.cache_invalidate(&[cache_keys::CRAFTS]).await;
    store::crafts::all(catalog.db()).await
}

/// Adds artisans (with the ids of their crafts).
pub async fn artisans(
    catalog: &Catalog,
    artisans: &[(Artisan, Vec<CraftId>)],
) -> Result<(), CatalogError> {
    let tx = begin_write(catalog.db()).await?;
    for (artisan, crafts) in artisans {
        store::artisans::insert(&tx, artisan, crafts).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Adds products in one transaction. Each replica's search index finds them in the change log.
pub async fn products(
    catalog: &Catalog,
    crafts: &[Craft],
    batch: Vec<Product>,
) -> Result<(), CatalogError> {
    let mut rows = Vec::with_capacity(batch.len());
    for product in batch {
        let craft = crafts
            .iter()
            .find(|c| c.slug == product.craft)
            .ok_or_else(|| {
                CatalogError::invalid("craft", format!("unknown craft {}", product.craft))
            })?;
        rows.push((product, craft.id));
    }
    let tx = begin_write(catalog.db()).await?;
    store::products::insert_many(&tx, &rows).await?;
    tx.commit().await?;
    // An index already in use takes them now; one not built yet will read them when it is.
    if catalog.search_feed().is_ready() {
        catalog.search_feed().catch_up().await?;
    }
    Ok(())
}
