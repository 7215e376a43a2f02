//! Cash on delivery end to end, through the books: an order over two artisans (one paid by bank
//! transfer, one in cash through their agent), confirmed, shipped, delivered with the cash, the
//! courier's cash remitted, then a payout batch exported as CSV, and the statements that show it.

use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::app_test;

use crate::orders::{id, ledger, order, place};

app_test!(async fn cash_on_delivery_end_to_end_from_order_to_payout_csv(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    // Khadija signed up herself and is paid by bank transfer.
    let (khadija, khadija_id) = app.artisan("khadija@example.ma").await;
    let rib = "011780000012345678901296";
    let set = app
        .put(&format!("/v1/artisans/{khadija_id}/payout"), Some(&khadija),
             json!({"method": "bank_transfer", "holder": "Khadija Berrada", "rib": rib}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let bowl = app
        .product(&khadija, json!({"craft": "pottery", "title": {"fr": "Bol bleu de Fès"}, "price_minor": 25_000, "stock": 3, "weight_g": 600}))
        .await;
    // Fatima sells through her agent and is paid in cash by him.
    let (agent, agent_id) = app.agent(&admin, "youssef@agents.ma").await;
    let fatima_id = app.onboard(&agent, "Fatima Zahra").await;
    let rug = app
        .product(&agent, json!({"artisan_id": fatima_id, "craft": "pottery", "title": {"fr": "Plat de Sefrou"}, "price_minor": 90_000, "stock": 1, "weight_g": 2500}))
        .await;

    let buyer = app.buyer("salma@example.ma").await;
    let placed = place(&app, &buyer, "k", order(&[(&bowl, 2), (&rug, 1)], "cash_on_delivery")).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let order_id = id(&placed);
    let ok = |r: souk_api_tests::Reply| { assert_eq!(r.status, StatusCode::OK, "{}", r.body); r };
    ok(app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&agent), json!({"note": "buyer confirmed by phone"})).await);

    let mut cash = 0;
    for f in placed.body["fulfilments"].as_array().cloned().unwrap_or_default() {
        let fid = f["id"].as_str().unwrap_or_default().to_owned();
        let who = if f["artisan_id"] == khadija_id.as_str() { &khadija } else { &agent };
        ok(app.post(&format!("/v1/fulfilments/{fid}/accept"), Some(who), json!({})).await);
        let shipped = ok(app.post(&format!("/v1/fulfilments/{fid}/ship"), Some(who), json!({"carrier": "Amana", "tracking_number": format!("AM-{fid}")})).await);
        let due = shipped.body["cash_due_minor"].as_i64().unwrap_or(0);
        ok(app.post(&format!("/v1/fulfilments/{fid}/deliver"), Some(&admin), json!({"cash_collected_minor": due})).await);
        ok(app.post(&format!("/v1/fulfilments/{fid}/remit"), Some(&admin), json!({"reference": format!("AMANA-REM-{fid}")})).await);
        cash += due;
    }
    assert_eq!(app.get_as(&format!("/v1/orders/{order_id}"), &buyer).await.body["status"], "completed");
    assert_eq!(ledger(&env, "bank").await, cash, "all the cash reached the bank");
    assert_eq!(ledger(&env, "courier_cash").await, 0);
    assert_eq!(ledger(&env, "%").await, 0, "the books balance");

    // Statements: Khadija is owed 90% of 500 MAD; Fatima 85% of 900 MAD (her agent takes 5%).
    let mine = app.get_as(&format!("/v1/artisans/{khadija_id}/statement"), &khadija).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.body["owed_minor"], 45_000);
    assert_eq!(mine.body["entries"][0]["kind"], "payment");
    assert_eq!(mine.body["entries"][0]["order_id"], order_id.as_str());
    let hers = app.get_as(&format!("/v1/artisans/{fatima_id}/statement"), &agent).await;
    assert_eq!(hers.body["owed_minor"], 76_500, "{}", hers.body);
    assert_eq!(ledger(&env, &format!("agent:{agent_id}")).await, -4_500);
    app.get_as(&format!("/v1/artisans/{khadija_id}/statement"), &agent)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get_as(&format!("/v1/artisans/{khadija_id}/statement"), &buyer)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // The payout batch: operators only; each artisan by the method on their record.
    app.post("/v1/admin/payout-batches", Some(&agent), json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let batch = app.post("/v1/admin/payout-batches", Some(&admin), json!({})).await;
    assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);
    assert_eq!(batch.body["total_minor"], 45_000 + 76_500);
    let items = batch.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{}", batch.body);
    let bank = items.iter().find(|i| i["method"] == "bank_transfer").cloned().unwrap_or_default();
    assert_eq!((bank["amount_minor"].as_i64(), bank["details"]["rib"].as_str()), (Some(45_000), Some(rib)));
    let hand = items.iter().find(|i| i["method"] == "cash_via_agent").cloned().unwrap_or_default();
    assert_eq!(hand["details"]["agent_id"], agent_id.as_str());
    let batch_id = id(&batch);
    let receipt = app
        .put(&format!("/v1/admin/payout-batches/{batch_id}/items/{}/receipt", hand["id"].as_str().unwrap_or_default()),
             Some(&admin), json!({"reference": "REC-SEFROU-0042"}))
        .await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    app.put(&format!("/v1/admin/payout-batches/{batch_id}/items/{}/receipt", bank["id"].as_str().unwrap_or_default()),
            Some(&admin), json!({"reference": "x"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // The CSV export.
    let csv = app
        .client
        .get(app.url(&format!("/v1/admin/payout-batches/{batch_id}/csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
    let text = csv.text().await.unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("batch_id,item_id,artisan_id,name,method,holder,rib"), "{text}");
    assert!(lines.iter().any(|l| l.contains("bank_transfer") && l.contains(rib) && l.contains(",45000,450.00,MAD,")), "{text}");
    assert!(lines.iter().any(|l| l.contains("cash_via_agent") && l.contains(&agent_id) && l.contains(",76500,765.00,MAD,REC-SEFROU-0042")), "{text}");

    // Paid: nothing is owed any more, the statement shows the payout, the books still balance.
    let after = app.get_as(&format!("/v1/artisans/{khadija_id}/statement"), &khadija).await;
    assert_eq!((after.body["owed_minor"].as_i64(), after.body["paid_out_minor"].as_i64()), (Some(0), Some(45_000)));
    assert_eq!(after.body["entries"][0]["kind"], "payout");
    assert_eq!(ledger(&env, "%").await, 0);
    app.post("/v1/admin/payout-batches", Some(&admin), json!({}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_pay");
});
