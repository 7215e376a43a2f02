//! Demo data of the Fès-Meknès region: the crafts taxonomy, artisans from Fès, Sefrou, Moulay
//! Yacoub, Taounate, Boulemane and nearby, and products named in Arabic, French and English.
//! The same generator makes large catalogs (`souk seed --products 100000`) for benchmarks. And a
//! few demo labels to scan.

mod data;
mod generator;
mod labels;

pub use labels::{DEMO_CERTIFIER, seed_labels};

use indicatif::{ProgressBar, ProgressStyle};
use souk_catalog::{Catalog, CatalogError, import};

use generator::Generator;

/// Artisans and products of the demo catalog.
pub const DEMO_ARTISANS: usize = 36;
pub const DEMO_PRODUCTS: usize = 320;

/// Generated products per artisan in a large catalog.
const PRODUCTS_PER_ARTISAN: usize = 40;
/// Products written per transaction.
const BATCH: usize = 1_000;

/// What a seed added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub crafts: usize,
    pub artisans: usize,
    pub products: usize,
}

/// Seeds the demo catalog if the catalog has no products yet; otherwise adds nothing.
pub async fn seed_demo(catalog: &Catalog) -> Result<SeedReport, CatalogError> {
    if import::counts(catalog).await?.products > 0 {
        return Ok(SeedReport::default());
    }
    add(catalog, DEMO_ARTISANS, DEMO_PRODUCTS, 2026, None).await
}

/// Adds `products` generated products (and artisans for them), drawing a progress bar on the
/// terminal when `progress` is set.
pub async fn generate(
    catalog: &Catalog,
    products: usize,
    seed: u64,
    progress: bool,
) -> Result<SeedReport, CatalogError> {
    let artisans = products.div_ceil(PRODUCTS_PER_ARTISAN).max(1);
    let bar = progress.then(|| {
        let bar = ProgressBar::new(products as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} products ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let report = add(catalog, artisans, products, seed, bar.as_ref()).await;
    if let Some(bar) = bar {
        bar.finish();
    }
    report
}

async fn add(
    catalog: &Catalog,
    artisans: usize,
    products: usize,
    seed: u64,
    bar: Option<&ProgressBar>,
) -> Result<SeedReport, CatalogError> {
    let before = import::counts(catalog).await?;
    catalog.load_reference().await?;
    let crafts = catalog.crafts().await?.to_vec();
    let mut generator = Generator::new(seed, crafts.clone());
    let people: Vec<_> = (0..artisans).map(|i| generator.artisan(i)).collect();
    import::artisans(catalog, &people).await?;

    let mut made = 0;
    while made < products {
        let size = BATCH.min(products - made);
        let batch = (made..made + size)
            .map(|i| generator.product(&people[i % people.len()].0))
            .collect();
        import::products(catalog, &crafts, batch).await?;
        made += size;
        if let Some(bar) = bar {
            bar.inc(size as u64);
        }
    }
    let after = import::counts(catalog).await?;
    let added = |a: u64, b: u64| usize::try_from(a.saturating_sub(b)).unwrap_or(usize::MAX);
    Ok(SeedReport {
        crafts: added(after.crafts, before.crafts),
        artisans: added(after.artisans, before.artisans),
        products: added(after.products, before.products),
    })
}

#[cfg(test)]
mod tests;
