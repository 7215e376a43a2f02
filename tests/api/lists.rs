//! Every list follows one convention: `items` and `next_cursor`, an opaque cursor, `limit`
//! bounded. Each list is walked two rows a page while rows are added between pages: no row is
//! seen twice, and none that was there when the walk began is skipped.

use std::collections::BTreeSet;

use chrono::{Days, Utc};
use figment::providers::Serialized;
use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{TestApp, app_test};
use souk_media::fixtures;

use crate::orders::{address, order, place};

/// Who walks a list: a token, or nobody for public lists.
type Token<'a> = Option<&'a str>;

/// One page of `path`, checked for the convention.
async fn page(
    app: &TestApp,
    path: &str,
    token: Token<'_>,
    cursor: Option<&str>,
    limit: u32,
) -> (Vec<Value>, Option<String>) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}limit={limit}");
    if let Some(cursor) = cursor {
        url.push_str(&format!("&cursor={cursor}"));
    }
    let reply = app.call(reqwest::Method::GET, &url, token, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{url}: {}", reply.body);
    let body = reply
        .body
        .as_object()
        .unwrap_or_else(|| panic!("{url}: {}", reply.body));
    assert!(
        body.contains_key("next_cursor"),
        "{url}: no next_cursor in {}",
        reply.body
    );
    let items = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{url}: no items"))
        .clone();
    assert!(items.len() <= limit as usize, "{url}: more than the limit");
    (items, body["next_cursor"].as_str().map(str::to_owned))
}

/// Every row's key, all pages at once (100 a page).
async fn all(app: &TestApp, path: &str, token: Token<'_>, key: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut cursor = None;
    loop {
        let (items, next) = page(app, path, token, cursor.as_deref(), 100).await;
        keys.extend(items.iter().map(|i| i[key].to_string()));
        match next {
            Some(next) => cursor = Some(next),
            None => return keys,
        }
    }
}

/// Walks `path` two rows a page, calling `grow` after each page; checks that no row came twice
/// and that every row there before the walk came once.
async fn walk(app: &TestApp, path: &str, token: Token<'_>, key: &str, mut grow: impl AsyncFnMut()) {
    let before = all(app, path, token, key).await;
    assert!(
        before.len() >= 3,
        "{path}: seed at least 3 rows, has {}",
        before.len()
    );
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (items, next) = page(app, path, token, cursor.as_deref(), 2).await;
        seen.extend(items.iter().map(|i| i[key].to_string()));
        grow().await;
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(seen.len() < 1_000, "{path}: the walk does not end");
    }
    let distinct: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "{path}: a row came twice: {seen:?}"
    );
    let skipped: Vec<&String> = before.difference(&distinct).collect();
    assert!(skipped.is_empty(), "{path}: skipped {skipped:?}");
    let after = all(app, path, token, key).await;
    // Rows were added while it walked (but to a label batch: its labels are fixed when issued).
    let fixed = path.starts_with("/v1/label-batches/");
    assert!(
        after.len() > before.len() || fixed,
        "{path}: nothing was added"
    );
    assert!(
        distinct.is_subset(&after),
        "{path}: a row that is not in the list"
    );
    // A limit out of bounds and a cursor the list never gave are refused.
    for bad in ["limit=0", "limit=101", "cursor=not-a-cursor"] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let reply = app
            .call(
                reqwest::Method::GET,
                &format!("{path}{sep}{bad}"),
                token,
                None,
            )
            .await;
        assert!(
            reply.status == StatusCode::BAD_REQUEST
                || reply.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}?{bad}: {}",
            reply.status
        );
    }
}

/// A number no other call gave, for unique names and keys.
fn next() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(100);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn product(title: &str) -> Value {
    json!({"craft": "pottery", "title": {"fr": title}, "price_minor": 10_000, "stock": 1_000, "weight_g": 500})
}

app_test!(async fn the_catalogs_lists_page_without_a_row_twice_or_skipped(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (potter, _) = app.artisan("potter@example.ma").await;
    let vase = app.product(&potter, product("Vase 0")).await;
    for i in 1..4 {
        app.product(&potter, product(&format!("Vase {i}"))).await;
        let photo = app.upload(&format!("/v1/products/{vase}/photos"), &potter, &fixtures::jpeg(64, 48)).await;
        assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.body);
        let craft = json!({"slug": format!("craft-{i}"), "name": {"fr": format!("Métier {i}")}});
        assert_eq!(app.post("/v1/admin/crafts", Some(&admin), craft).await.status, StatusCode::CREATED);
        app.artisan(&format!("a{i}@example.ma")).await;
    }
    walk(&app, "/v1/products", None, "id", async || { app.product(&potter, product(&format!("Vase {}", next()))).await; }).await;
    walk(&app, &format!("/v1/products/{vase}/photos"), None, "id", async || {
        app.upload(&format!("/v1/products/{vase}/photos"), &potter, &fixtures::jpeg(64, 48)).await;
    }).await;
    walk(&app, "/v1/crafts", None, "slug", async || {
        let craft = json!({"slug": format!("craft-{}", next()), "name": {"fr": "Métier"}});
        app.post("/v1/admin/crafts", Some(&admin), craft).await;
    }).await;
    walk(&app, "/v1/admin/crafts", Some(&admin), "slug", async || {
        let craft = json!({"slug": format!("craft-{}", next()), "name": {"fr": "Métier"}});
        app.post("/v1/admin/crafts", Some(&admin), craft).await;
    }).await;
    walk(&app, "/v1/artisans", None, "id", async || { app.artisan(&format!("a{}@example.ma", next())).await; }).await;
    walk(&app, "/v1/artisans?commune=fes&craft=pottery", None, "id", async || { app.artisan(&format!("a{}@example.ma", next())).await; }).await;

    // Agents' own lists, and an artisan's audit trail.
    let (agent, _) = app.agent(&admin, "agent@souk.ma").await;
    let mut onboarded = Vec::new();
    for i in 0..3 {
        onboarded.push(app.onboard(&agent, &format!("Fatima {i}")).await);
    }
    let for_artisan = |title: String| json!({"artisan_id": onboarded[0], "craft": "pottery", "title": {"fr": title}, "price_minor": 9_000});
    for i in 0..3 {
        app.product(&agent, for_artisan(format!("Plat {i}"))).await;
    }
    walk(&app, "/v1/agent/artisans", Some(&agent), "id", async || { app.onboard(&agent, &format!("Zineb {}", next())).await; }).await;
    walk(&app, "/v1/agent/products", Some(&agent), "id", async || { app.product(&agent, for_artisan(format!("Plat {}", next()))).await; }).await;
    walk(&app, &format!("/v1/artisans/{}/audit", onboarded[0]), Some(&admin), "id", async || {
        app.product(&agent, for_artisan(format!("Plat {}", next()))).await;
    }).await;
});

app_test!(async fn the_lists_of_orders_accounts_and_deliveries_page_without_a_row_twice_or_skipped(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (potter, _) = app.artisan("potter@example.ma").await;
    let vase = app.product(&potter, product("Vase")).await;
    let buyer = app.buyer("salma@example.ma").await;
    let hook = app.post("/v1/admin/webhooks", Some(&admin), json!({"url": "http://127.0.0.1:9/hook", "topics": ["order.*"]})).await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let hook = hook.body["id"].as_str().unwrap_or_default().to_owned();
    let key = || format!("k{}", next());
    let buy = async || {
        let placed = place(&app, &buyer, &key(), order(&[(&vase, 1)], "card")).await;
        assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    };
    for _ in 0..3 {
        buy().await;
        app.post("/v1/admin/webhooks", Some(&admin), json!({"url": "http://127.0.0.1:9/other", "topics": ["payout.*"]})).await;
        let home = json!({"label": "Maison", "address": address("Fès", "MA")});
        assert_eq!(app.post("/v1/me/addresses", Some(&buyer), home).await.status, StatusCode::CREATED);
    }
    walk(&app, "/v1/orders", Some(&buyer), "id", async || buy().await).await;
    walk(&app, "/v1/orders?status=pending_payment", Some(&admin), "id", async || buy().await).await;
    walk(&app, "/v1/fulfilments", Some(&admin), "id", async || buy().await).await;
    walk(&app, "/v1/fulfilments", Some(&potter), "id", async || buy().await).await;
    walk(&app, "/v1/admin/accounts", Some(&admin), "id", async || { app.buyer(&format!("{}@example.ma", key())).await; }).await;
    walk(&app, "/v1/admin/accounts?role=buyer&email=example", Some(&admin), "id", async || { app.buyer(&format!("{}@example.ma", key())).await; }).await;
    walk(&app, "/v1/me/addresses", Some(&buyer), "id", async || {
        app.post("/v1/me/addresses", Some(&buyer), json!({"label": "Travail", "address": address("Meknès", "MA")})).await;
    }).await;
    walk(&app, "/v1/admin/webhooks", Some(&admin), "id", async || {
        app.post("/v1/admin/webhooks", Some(&admin), json!({"url": "http://127.0.0.1:9/more", "topics": ["payout.*"]})).await;
    }).await;
    // Deliveries are written by the relay, a moment after each order: wait until the first
    // three are there, then walk while more orders make more.
    for _ in 0..100 {
        if all(&app, "/v1/admin/deliveries", Some(&admin), "id").await.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    walk(&app, "/v1/admin/deliveries", Some(&admin), "id", async || buy().await).await;
    walk(&app, &format!("/v1/admin/webhooks/{hook}/deliveries"), Some(&admin), "id", async || {
        buy().await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }).await;
});

app_test!(async fn the_lists_of_labels_and_payouts_page_without_a_row_twice_or_skipped(env) {
    let app = env.spawn_with(|f| f.merge(Serialized::default("labels.reports_per_hour", 1_000))).await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (potter, potter_id) = app.artisan("potter@example.ma").await;
    let paid_by = json!({"method": "bank_transfer", "holder": "Hassan Bennani", "rib": "011780000012345678901296"});
    let set = app.put(&format!("/v1/artisans/{potter_id}/payout"), Some(&potter), paid_by).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let vase = app.product(&potter, product("Vase")).await;
    let today = Utc::now().date_naive();
    let certify = async |from: chrono::NaiveDate| {
        let body = json!({"product_id": vase, "standard": "Label régional", "standard_version": "2026.1",
                          "inspector": "Inspecteur", "inspected_on": from.min(today), "result": "passed",
                          "valid_from": from, "valid_until": from + Days::new(365)});
        let certified = app.post("/v1/certifications", Some(&admin), body).await;
        assert_eq!(certified.status, StatusCode::CREATED, "{}", certified.body);
        certified.body["id"].as_str().unwrap_or_default().to_owned()
    };
    let certification = certify(today).await;
    let issue = async |count: u32| {
        let batch = app.post(&format!("/v1/certifications/{certification}/labels"), Some(&admin), json!({"count": count})).await;
        assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);
        batch.body["id"].as_str().unwrap_or_default().to_owned()
    };
    let batch = issue(5).await;
    for _ in 0..2 {
        certify(today).await;
        issue(1).await;
    }
    let serials: Vec<String> = page(&app, &format!("/v1/label-batches/{batch}/labels"), Some(&admin), None, 100).await.0
        .iter().filter_map(|l| l["serial"].as_str().map(str::to_owned)).collect();
    let report = async |i: usize| {
        let body = json!({"reason": "suspected_fake", "details": format!("Seen in a market, {i}")});
        let made = app.post(&format!("/v1/labels/{}/reports", serials[i % serials.len()]), None, body).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    };
    for i in 0..3 {
        report(i).await;
    }
    walk(&app, "/v1/certifications", Some(&admin), "id", async || { certify(today).await; }).await;
    walk(&app, &format!("/v1/certifications?product_id={vase}&status=current"), Some(&admin), "id", async || { certify(today).await; }).await;
    walk(&app, "/v1/label-batches", Some(&admin), "id", async || { issue(1).await; }).await;
    walk(&app, &format!("/v1/products/{vase}/labels"), Some(&admin), "serial", async || { issue(1).await; }).await;
    walk(&app, &format!("/v1/label-batches/{batch}/labels"), Some(&potter), "serial", async || {}).await;
    walk(&app, "/v1/label-reports", Some(&admin), "id", async || report(next() as usize).await).await;
    // An expired certification is not current, a future one not yet.
    let expired = certify(today - Days::new(400)).await;
    // The API certifies from today at the latest: one is moved to a later start by hand.
    let upcoming = certify(today).await;
    let later = today + Days::new(10);
    let moved = format!(
        "UPDATE certifications SET valid_from = '{later}' WHERE created_at = (SELECT MAX(created_at) FROM certifications)"
    );
    use souk_db::sea_orm::ConnectionTrait;
    env.db.conn.execute_unprepared(&moved).await.unwrap_or_else(|e| panic!("{e}"));
    let listed = |status: &'static str| { let app = &app; let admin = &admin; async move { all(app, &format!("/v1/certifications?status={status}"), Some(admin), "id").await } };
    assert!(listed("expired").await.contains(&json!(expired).to_string()));
    assert!(!listed("current").await.contains(&json!(expired).to_string()));
    assert!(listed("upcoming").await.contains(&json!(upcoming).to_string()));
    assert!(listed("failed").await.is_empty());

    // Payout batches: each pays the artisan the order delivered since the last one.
    let buyer = app.buyer("salma@example.ma").await;
    let payout = async || {
        let k = next();
        let placed = place(&app, &buyer, &format!("p{k}"), order(&[(&vase, 1)], "cash_on_delivery")).await;
        let id = placed.body["id"].as_str().unwrap_or_default().to_owned();
        let f = placed.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();
        let due = placed.body["fulfilments"][0]["items_total_minor"].as_i64().unwrap_or(0)
            + placed.body["fulfilments"][0]["shipping_fee_minor"].as_i64().unwrap_or(0);
        for (path, who, body) in [
            (format!("/v1/orders/{id}/confirm"), &admin, json!({})),
            (format!("/v1/fulfilments/{f}/accept"), &potter, json!({})),
            (format!("/v1/fulfilments/{f}/ship"), &potter, json!({"carrier": "Amana", "tracking_number": format!("AM{k}MA")})),
            (format!("/v1/fulfilments/{f}/deliver"), &potter, json!({"cash_collected_minor": due})),
        ] {
            let r = app.post(&path, Some(who), body).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        }
        let batch = app.post("/v1/admin/payout-batches", Some(&admin), json!({})).await;
        assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);
    };
    for _ in 0..3 {
        payout().await;
    }
    walk(&app, "/v1/admin/payout-batches", Some(&admin), "id", async || payout().await).await;
});
