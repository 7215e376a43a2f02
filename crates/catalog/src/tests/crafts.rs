//! Keeping the taxonomy: reference data, and operators adding, renaming and retiring crafts.

use souk_auth::{Principal, Role};
use souk_kernel::{AccountId, Lang};
use souk_testkit::backend_test;

use super::fixture::{Fixture, text};
use crate::{CatalogError, ListingQuery, NewCraft, ProductInput, ProductPatch};

fn operator() -> Principal {
    Principal {
        account_id: AccountId::new(),
        role: Role::Admin,
    }
}

async fn found(f: &Fixture, q: &str) -> usize {
    let query = ListingQuery {
        q: Some(q.into()),
        ..ListingQuery::default()
    };
    let page = f.catalog.list_products(query).await;
    page.unwrap_or_else(|e| panic!("{q}: {e}")).items.len()
}

backend_test!(async fn the_reference_taxonomy_is_added_once_and_leaves_operators_changes_alone(db) {
    let f = Fixture::new(db).await;
    let before = f.catalog.crafts().await.unwrap_or_else(|e| panic!("{e}")).len();
    // The fixture's five crafts share slugs with the reference (pottery, zellige, weaving, sabra).
    let added = f.catalog.load_reference().await.unwrap_or_else(|e| panic!("{e}"));
    let crafts = f.catalog.crafts().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(crafts.len(), before + added);
    for reference in crate::reference::CRAFTS {
        assert!(crafts.iter().any(|c| c.slug == reference.slug), "{} missing", reference.slug);
    }
    // The babouches sit under the leather that came with them.
    let leather = crafts.iter().find(|c| c.slug == "leather").map(|c| c.id);
    let babouches = crafts.iter().find(|c| c.slug == "babouches").and_then(|c| c.parent);
    assert!(leather.is_some() && babouches == leather);
    // The fixture's own French name for pottery is kept: only missing slugs are added.
    let pottery = crafts.iter().find(|c| c.slug == "pottery").and_then(|c| c.name.get(Lang::Fr));
    assert_eq!(pottery, Some("Poterie"));

    f.catalog.retire_craft(&operator(), "basketry").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.catalog.load_reference().await.unwrap_or_else(|e| panic!("{e}")), 0);
    let crafts = f.catalog.crafts().await.unwrap_or_else(|e| panic!("{e}"));
    let basketry = crafts.iter().find(|c| c.slug == "basketry");
    assert!(basketry.is_some_and(|c| c.retired_at.is_some()), "a retired craft stays retired");
});

backend_test!(async fn an_operator_adds_a_craft_under_another_and_a_slug_is_taken_once(db) {
    let f = Fixture::new(db).await;
    let tadelakt = NewCraft {
        slug: "tadelakt".into(),
        parent: Some("pottery".into()),
        name: text(&[(Lang::Ar, "تادلاكت"), (Lang::Fr, "Tadelakt"), (Lang::En, "Tadelakt plaster")]),
    };
    let craft = f.catalog.add_craft(&operator(), tadelakt.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    let crafts = f.catalog.crafts().await.unwrap_or_else(|e| panic!("{e}"));
    let pottery = crafts.iter().find(|c| c.slug == "pottery").map(|c| c.id);
    assert_eq!(craft.parent, pottery);
    assert!(crafts.iter().all(|c| c.slug == "tadelakt" || c.position < craft.position));
    assert!(matches!(
        f.catalog.add_craft(&operator(), tadelakt.clone()).await,
        Err(CatalogError::CraftExists(_))
    ));
    let artisan = f.artisan("hassan@example.ma").await;
    assert!(matches!(
        f.catalog.add_craft(&artisan, NewCraft { slug: "other".into(), ..tadelakt }).await,
        Err(CatalogError::Forbidden(_))
    ));
    let orphan = NewCraft {
        slug: "orphan".into(),
        parent: Some("rocketry".into()),
        name: text(&[(Lang::Fr, "Orphelin")]),
    };
    assert!(matches!(
        f.catalog.add_craft(&operator(), orphan).await,
        Err(CatalogError::Invalid { field, .. }) if field == "parent"
    ));
});

backend_test!(async fn a_renamed_craft_finds_its_products_by_the_new_name(db) {
    let f = Fixture::new(db).await;
    let artisan = f.artisan("hassan@example.ma").await;
    f.product(&artisan, "brass", &[(Lang::Fr, "Plateau ciselé")], &[], 45_000).await;
    assert_eq!(found(&f, "dinanderie").await, 1);
    let renamed = f
        .catalog
        .rename_craft(&operator(), "brass", text(&[(Lang::Fr, "Cuivrerie")]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(renamed.name.get(Lang::Fr), Some("Cuivrerie"));
    assert_eq!(renamed.name.get(Lang::Ar), Some("النحاس"), "other languages keep their names");
    assert_eq!(found(&f, "cuivrerie").await, 1);
    assert_eq!(found(&f, "dinanderie").await, 0);
    let crafts = f.catalog.crafts().await.unwrap_or_else(|e| panic!("{e}"));
    let brass = crafts.iter().find(|c| c.slug == "brass").and_then(|c| c.name.get(Lang::Fr));
    assert_eq!(brass, Some("Cuivrerie"), "the cached taxonomy was refreshed");
    assert!(matches!(
        f.catalog.rename_craft(&operator(), "rocketry", text(&[(Lang::Fr, "Fusées")])).await,
        Err(CatalogError::NotFound("craft"))
    ));
});

backend_test!(async fn a_retired_craft_stays_on_its_products_but_no_new_one_takes_it(db) {
    let f = Fixture::new(db).await;
    let artisan = f.artisan("hassan@example.ma").await;
    let bowl = f.product(&artisan, "zellige", &[(Lang::Fr, "Vasque en zellige")], &[], 90_000).await;
    f.catalog.retire_craft(&operator(), "zellige").await.unwrap_or_else(|e| panic!("{e}"));
    let again = f.catalog.retire_craft(&operator(), "zellige").await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again.retired_at.is_some());

    let new = ProductInput {
        craft: "zellige".into(),
        title: text(&[(Lang::Fr, "Table en zellige")]),
        price_minor: 100_000,
        stock: 1,
        ..ProductInput::default()
    };
    assert!(matches!(
        f.catalog.create_product(&artisan, new).await,
        Err(CatalogError::Invalid { field, .. }) if field == "craft"
    ));
    // The existing product keeps its craft, and can be edited (even naming it again).
    let patch = ProductPatch {
        craft: Some("zellige".into()),
        price_minor: Some(95_000),
        ..ProductPatch::default()
    };
    let edited = f
        .catalog
        .update_product(&artisan, bowl.id, patch)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((edited.craft.as_str(), edited.price.amount_minor), ("zellige", 95_000));
    let moved_back = ProductPatch {
        craft: Some("pottery".into()),
        ..ProductPatch::default()
    };
    f.catalog.update_product(&artisan, bowl.id, moved_back).await.unwrap_or_else(|e| panic!("{e}"));
    let to_retired = ProductPatch {
        craft: Some("zellige".into()),
        ..ProductPatch::default()
    };
    assert!(matches!(
        f.catalog.update_product(&artisan, bowl.id, to_retired).await,
        Err(CatalogError::Invalid { field, .. }) if field == "craft"
    ));
});
