//! Keyset pagination: walking a listing page by page while products are being added never skips
//! or repeats one that was there when the walk began.

use std::collections::HashSet;

use souk_kernel::{Lang, ProductId};
use souk_testkit::backend_test;

use super::fixture::Fixture;
use crate::{ListingQuery, Sort};

async fn walk_while_adding(
    f: &Fixture,
    who: &souk_auth::Principal,
    q: Option<&str>,
    sort: Sort,
    price_max: Option<i64>,
) {
    let before: HashSet<ProductId> = {
        let all = ListingQuery {
            q: q.map(Into::into),
            price_max,
            limit: Some(100),
            ..ListingQuery::default()
        };
        f.catalog
            .list_products(all)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .items
            .iter()
            .map(|p| p.id)
            .collect()
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut added = 0;
    loop {
        let query = ListingQuery {
            q: q.map(Into::into),
            sort: Some(sort),
            cursor,
            price_max,
            limit: Some(4),
            ..ListingQuery::default()
        };
        let page = f
            .catalog
            .list_products(query)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        seen.extend(page.items.iter().map(|p| p.id));
        // Between pages, others add products at every price.
        for price in [100, 15_000, 99_000] {
            added += 1;
            f.product(
                who,
                "pottery",
                &[(Lang::Fr, &format!("Bol nouveau {added}"))],
                &[],
                price,
            )
            .await;
        }
        match page.next_cursor.clone() {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let unique: HashSet<ProductId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an item was repeated ({sort:?})");
    assert!(before.is_subset(&unique), "an item was skipped ({sort:?})");
}

backend_test!(async fn pages_neither_skip_nor_repeat_while_products_are_added(db) {
    let f = Fixture::new(db).await;
    let who = f.artisan("a@example.ma").await;
    for i in 0..18 {
        let price = 1_000 + (i % 5) * 2_500; // repeated prices exercise the id tie-break
        f.product(&who, "pottery", &[(Lang::Fr, &format!("Bol ancien {i}"))], &[], price).await;
    }
    for sort in [Sort::Newest, Sort::PriceAsc, Sort::PriceDesc] {
        walk_while_adding(&f, &who, None, sort, None).await;
    }
    walk_while_adding(&f, &who, Some("bol"), Sort::Relevance, None).await;
    // A search with a filter pages the same way.
    walk_while_adding(&f, &who, Some("bol"), Sort::Relevance, Some(6_000)).await;
});

backend_test!(async fn a_cursor_from_another_order_is_refused(db) {
    let f = Fixture::new(db).await;
    let who = f.artisan("a@example.ma").await;
    for i in 0..3 {
        f.product(&who, "pottery", &[(Lang::Fr, &format!("Bol {i}"))], &[], 1_000).await;
    }
    let first = ListingQuery { limit: Some(1), ..ListingQuery::default() };
    let page = f.catalog.list_products(first).await.unwrap_or_else(|e| panic!("{e}"));
    let other = ListingQuery { sort: Some(Sort::PriceAsc), cursor: page.next_cursor.clone(), ..ListingQuery::default() };
    assert!(matches!(f.catalog.list_products(other).await, Err(crate::CatalogError::InvalidCursor)));
    let garbage = ListingQuery { cursor: Some("not-a-cursor".into()), ..ListingQuery::default() };
    assert!(matches!(f.catalog.list_products(garbage).await, Err(crate::CatalogError::InvalidCursor)));
});
