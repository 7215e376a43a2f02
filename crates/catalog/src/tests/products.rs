//! Writing products: ownership, versions, visibility, and reads that follow writes.

use souk_auth::{Principal, Role};
use souk_kernel::{AccountId, Lang};
use souk_testkit::backend_test;

use super::fixture::{Fixture, text};
use crate::{CatalogError, ProductInput, ProductPatch, ProductStatus};

backend_test!(async fn an_artisan_cannot_change_another_artisans_product(db) {
    let f = Fixture::new(db).await;
    let owner = f.artisan("owner@example.ma").await;
    let other = f.artisan("other@example.ma").await;
    let product = f.product(&owner, "pottery", &[(Lang::Fr, "Bol")], &[], 9_000).await;
    let patch = ProductPatch { price_minor: Some(1), ..ProductPatch::default() };
    let refused = f.catalog.update_product(&other, product.id, patch).await;
    assert!(matches!(refused, Err(CatalogError::Forbidden(_))), "{refused:?}");
    let unchanged = f.catalog.product(product.id, None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unchanged.price.amount_minor, 9_000);
});

backend_test!(async fn an_artisan_cannot_list_for_someone_else(db) {
    let f = Fixture::new(db).await;
    let owner = f.artisan("owner@example.ma").await;
    let other = f.artisan("other@example.ma").await;
    let mine = f.product(&owner, "pottery", &[(Lang::Fr, "Bol")], &[], 9_000).await;
    let input = ProductInput {
        artisan_id: Some(mine.artisan.id),
        craft: "pottery".into(),
        title: text(&[(Lang::Fr, "Faux")]),
        price_minor: 100,
        ..ProductInput::default()
    };
    assert!(matches!(f.catalog.create_product(&other, input).await, Err(CatalogError::Forbidden(_))));
    let buyer = Principal { account_id: AccountId::new(), role: Role::Buyer };
    let input = ProductInput { craft: "pottery".into(), title: text(&[(Lang::Fr, "X")]), price_minor: 1, ..ProductInput::default() };
    assert!(matches!(f.catalog.create_product(&buyer, input).await, Err(CatalogError::Forbidden(_))));
});

backend_test!(async fn a_change_is_seen_by_the_next_read_and_the_next_search(db) {
    let f = Fixture::new(db).await;
    let owner = f.artisan("owner@example.ma").await;
    let product = f.product(&owner, "pottery", &[(Lang::Fr, "Bol vert")], &[], 9_000).await;
    // Warm the caches.
    let _ = f.catalog.product(product.id, None).await;
    let query = || crate::ListingQuery { q: Some("rouge".into()), ..crate::ListingQuery::default() };
    assert!(f.catalog.list_products(query()).await.map(|p| p.items.is_empty()).unwrap_or(false));

    let patch = ProductPatch {
        title: Some(text(&[(Lang::Fr, "Bol rouge")])),
        price_minor: Some(12_000),
        expected_version: Some(1),
        ..ProductPatch::default()
    };
    let updated = f.catalog.update_product(&owner, product.id, patch).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(updated.version, 2);
    let read = f.catalog.product(product.id, None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read.price.amount_minor, 12_000);
    assert_eq!(read.title.get(Lang::Fr), Some("Bol rouge"));
    let found = f.catalog.list_products(query()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.items.iter().map(|p| p.id).collect::<Vec<_>>(), vec![product.id]);
});

backend_test!(async fn a_stale_version_is_a_conflict_and_changes_nothing(db) {
    let f = Fixture::new(db).await;
    let owner = f.artisan("owner@example.ma").await;
    let product = f.product(&owner, "pottery", &[(Lang::Fr, "Bol")], &[], 9_000).await;
    let first = ProductPatch { stock: Some(3), expected_version: Some(1), ..ProductPatch::default() };
    assert!(f.catalog.update_product(&owner, product.id, first).await.is_ok());
    let stale = ProductPatch { stock: Some(7), expected_version: Some(1), ..ProductPatch::default() };
    let refused = f.catalog.update_product(&owner, product.id, stale).await;
    assert!(matches!(refused, Err(CatalogError::VersionConflict { expected: 1, actual: 2 })), "{refused:?}");
    let read = f.catalog.product(product.id, None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read.stock, 3);
});

backend_test!(async fn drafts_are_visible_only_to_their_artisan_and_never_listed(db) {
    let f = Fixture::new(db).await;
    let owner = f.artisan("owner@example.ma").await;
    let input = ProductInput {
        craft: "pottery".into(),
        title: text(&[(Lang::Fr, "Brouillon")]),
        price_minor: 100,
        status: Some(ProductStatus::Draft),
        ..ProductInput::default()
    };
    let draft = f.catalog.create_product(&owner, input).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(f.catalog.product(draft.id, Some(&owner)).await.is_ok());
    assert!(matches!(f.catalog.product(draft.id, None).await, Err(CatalogError::NotFound(_))));
    let page = f.catalog.list_products(crate::ListingQuery::default()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(page.items.is_empty());
});

backend_test!(async fn invalid_fields_are_refused_with_their_name(db) {
    let f = Fixture::new(db).await;
    let owner = f.artisan("owner@example.ma").await;
    let base = ProductInput {
        craft: "pottery".into(),
        title: text(&[(Lang::Fr, "Bol")]),
        price_minor: 100,
        ..ProductInput::default()
    };
    for (input, field) in [
        (ProductInput { craft: "rockets".into(), ..base.clone() }, "craft"),
        (ProductInput { price_minor: 0, ..base.clone() }, "price_minor"),
        (ProductInput { stock: -1, ..base.clone() }, "stock"),
        (ProductInput { title: text(&[(Lang::Fr, " ")]), ..base.clone() }, "title.fr"),
        (ProductInput { default_lang: Some(Lang::Ar), ..base.clone() }, "default_lang"),
        (ProductInput { photos: vec!["file:///etc/passwd".into()], ..base.clone() }, "photos[0]"),
    ] {
        match f.catalog.create_product(&owner, input).await {
            Err(CatalogError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
});
