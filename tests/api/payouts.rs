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

app_test!(async fn cash_on_delivery_refunds_reverse_the_split_and_never_exceed_what_was_paid(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (potter, potter_id) = app.artisan("potter@example.ma").await;
    let jar = app
        .product(&potter, json!({"craft": "pottery", "title": {"fr": "Jarre"}, "price_minor": 50_000, "stock": 2, "weight_g": 1500}))
        .await;
    let buyer = app.buyer("b@example.ma").await;
    let placed = place(&app, &buyer, "k", order(&[(&jar, 1)], "cash_on_delivery")).await;
    let order_id = id(&placed);
    let line = placed.body["fulfilments"][0]["lines"][0]["id"].as_str().unwrap_or_default().to_owned();
    let fid = placed.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();
    let refund = |body: serde_json::Value| {
        let app = &app;
        let admin = admin.clone();
        let path = format!("/v1/orders/{order_id}/refunds");
        async move { app.post(&path, Some(&admin), body).await }
    };
    // Nothing was paid yet: nothing to refund.
    refund(json!({"lines": [{"line_id": line, "amount_minor": 100}], "method": "cash", "paid_back_by": "operator", "reference": "R-0"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "illegal_transition");

    let ok = |r: souk_api_tests::Reply| { assert_eq!(r.status, StatusCode::OK, "{}", r.body); r };
    ok(app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&admin), json!({})).await);
    ok(app.post(&format!("/v1/fulfilments/{fid}/accept"), Some(&potter), json!({})).await);
    let shipped = ok(app.post(&format!("/v1/fulfilments/{fid}/ship"), Some(&potter), json!({"carrier": "CTM", "tracking_number": "1"})).await);
    let due = shipped.body["cash_due_minor"].as_i64().unwrap_or(0);
    ok(app.post(&format!("/v1/fulfilments/{fid}/deliver"), Some(&admin), json!({"cash_collected_minor": due})).await);
    ok(app.post(&format!("/v1/fulfilments/{fid}/remit"), Some(&admin), json!({"reference": "REM"})).await);
    let shipping = due - 50_000;

    app.post(&format!("/v1/orders/{order_id}/refunds"), Some(&potter), json!({"lines": [], "shipping_minor": 1, "method": "cash", "paid_back_by": "me", "reference": "x"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // A tenth of the jar back (it arrived chipped): 10% of that was Souk's, the rest the potter's.
    let part = ok(refund(json!({"lines": [{"line_id": line, "amount_minor": 10_000}], "method": "bank_transfer", "paid_back_by": "operator", "reference": "VIR-2026-11-29-1"})).await);
    assert_eq!(part.body["status"], "partially_refunded");
    assert_eq!(part.body["refunded_minor"], 10_000);
    assert_eq!(ledger(&env, &format!("artisan:{potter_id}")).await, -45_000 + 9_000);
    assert_eq!(ledger(&env, "platform_commission").await, -5_000 + 1_000);
    assert_eq!(ledger(&env, "bank").await, due - 10_000);
    // Never more than was paid, per line and for shipping.
    refund(json!({"lines": [{"line_id": line, "amount_minor": 40_001}], "method": "cash", "paid_back_by": "agent", "reference": "R-2"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    refund(json!({"shipping_minor": shipping + 1, "method": "cash", "paid_back_by": "agent", "reference": "R-3"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    refund(json!({"lines": [{"line_id": uuid::Uuid::now_v7(), "amount_minor": 1}], "method": "cash", "paid_back_by": "agent", "reference": "R-4"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // The rest, shipping included: every share back to zero, to the centime.
    let all = ok(refund(json!({"lines": [{"line_id": line, "amount_minor": 40_000}], "shipping_minor": shipping, "method": "cash", "paid_back_by": "Youssef (agent)", "reference": "RECU-77"})).await);
    assert_eq!(all.body["status"], "refunded");
    assert_eq!(all.body["refunded_minor"], due);
    for account in ["bank", "courier_cash", "platform_commission", "shipping_payable", "artisan:%", "%"] {
        assert_eq!(ledger(&env, account).await, 0, "{account}");
    }
    let history = all.body["history"].as_array().cloned().unwrap_or_default();
    let last = history.last().cloned().unwrap_or_default();
    assert_eq!((last["to"].as_str(), last["details"]["paid_back_by"].as_str()), (Some("refunded"), Some("Youssef (agent)")));
    refund(json!({"shipping_minor": 1, "method": "cash", "paid_back_by": "agent", "reference": "R-5"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "illegal_transition");
    let statement = app.get_as(&format!("/v1/artisans/{potter_id}/statement"), &potter).await;
    assert_eq!(statement.body["owed_minor"], 0);
    assert_eq!(statement.body["entries"][0]["kind"], "refund");
    assert_eq!(statement.body["entries"][0]["amount_minor"], -36_000);

    // A card order is refunded to the card, and only once paid.
    let card = place(&app, &buyer, "k2", order(&[(&jar, 1)], "card")).await;
    app.post(&format!("/v1/orders/{}/refunds", id(&card)), Some(&admin), json!({"shipping_minor": 1, "method": "cash", "paid_back_by": "x", "reference": "y"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.post(&format!("/v1/orders/{}/refunds", id(&card)), Some(&admin), json!({"shipping_minor": 1, "method": "card", "paid_back_by": "x", "reference": "y"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "illegal_transition");
});
