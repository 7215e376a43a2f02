//! The demo seed on real databases.

use std::time::Duration;

use souk_cache::Cache;
use souk_catalog::{Catalog, CatalogSettings, ListingQuery, import};
use souk_testkit::backend_test;

use super::*;

fn catalog(db: &souk_testkit::TestDb) -> Catalog {
    let cache = Cache::in_process("demo-test", Duration::from_secs(60), 1_000);
    Catalog::new(db.conn.clone(), cache, CatalogSettings::default())
}

backend_test!(async fn the_demo_seed_fills_an_empty_catalog_once(db) {
    let catalog = catalog(&db);
    let report = seed_demo(&catalog).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.products, DEMO_PRODUCTS);
    assert_eq!(report.artisans, DEMO_ARTISANS);
    assert!(report.crafts >= 12);
    assert_eq!(seed_demo(&catalog).await.unwrap_or_else(|e| panic!("{e}")), SeedReport::default());

    // The acceptance query: pottery in Arabic finds demo products.
    let query = ListingQuery { q: Some("فخار".into()), ..ListingQuery::default() };
    let page = catalog.list_products(query).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!page.items.is_empty());
    assert!(page.items.iter().all(|p| p.craft == "pottery"));
});

backend_test!(async fn generated_catalogs_add_the_products_asked_for(db) {
    let catalog = catalog(&db);
    let report = generate(&catalog, 2_345, 7, false).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.products, 2_345);
    assert_eq!(import::counts(&catalog).await.map(|c| c.products).unwrap_or(0), 2_345);
});
