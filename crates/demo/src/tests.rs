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

backend_test!(async fn the_demo_has_labels_that_verify(db) {
    let cache = Cache::in_process("demo-test", Duration::from_secs(60), 1_000);
    let catalog = Catalog::new(db.conn.clone(), cache.clone(), CatalogSettings::default());
    seed_demo(&catalog).await.unwrap_or_else(|e| panic!("{e}"));
    let auth = souk_auth::AuthService::new(db.conn.clone(), cache.clone(), souk_auth::AuthSettings {
        password: souk_auth::PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 },
        ..souk_auth::AuthSettings::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let labels = souk_labels::Labels::new(db.conn.clone(), cache, catalog.clone(), souk_labels::LabelSettings {
        base_url: "http://127.0.0.1:8080".into(),
        brand_name: "Fès-Meknès Handmade".into(),
        keyring: dir.path().join("keys.json"),
        create_keyring: true,
        max_batch: 100,
        verify_per_minute: 100,
        reports_per_hour: 10,
        clones: souk_labels::CloneRule {
            max_devices: 20,
            max_places: 5,
            max_devices_after_sale: 3,
            window: Duration::from_secs(86_400),
        },
        work: souk_kernel::WorkSlots::default(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let links = seed_labels(&catalog, &auth, &labels, 3).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(links.len(), 3);
    let (link, _) = souk_labels::link::LabelLink::parse(&links[0]).unwrap_or_else(|e| panic!("{e}"));
    let scanner = souk_labels::Scanner {
        principal: None,
        device_hint: None,
        user_agent: "test".into(),
        client_addr: "127.0.0.1".into(),
        place_hint: None,
        channel: souk_labels::Channel::Api,
    };
    let verified = labels.verify(souk_labels::Target::Link(link), &scanner).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verified.verdict, souk_labels::Verdict::Authentic);
});
