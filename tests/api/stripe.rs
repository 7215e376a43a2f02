//! Card payments end to end against localstripe (a stateful fake of Stripe's API): a card order,
//! its PaymentIntent, the buyer's browser confirming it at "Stripe", Stripe's signed webhook, the
//! order paid and the sale in the books. Then what must change nothing: the same events again,
//! out of order, forged, unsigned or stale.

use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{LocalStripe, STRIPE_WEBHOOK_SECRET, TestApp, app_test};
use stripe_webhook::Webhook;

use crate::orders::{count, id, ledger, order, place, workshop};

async fn deliver(app: &TestApp, payload: &str, signature: &str) -> souk_api_tests::Reply {
    let reply = app
        .client
        .post(app.url("/v1/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(payload.to_owned())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    souk_api_tests::Reply::read(reply).await
}

fn signed(payload: &str) -> String {
    Webhook::generate_test_header(payload, STRIPE_WEBHOOK_SECRET, None)
}

async fn status(app: &TestApp, token: &str, order: &str) -> String {
    app.get_as(&format!("/v1/orders/{order}"), token).await.body["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

app_test!(async fn a_card_order_is_paid_by_stripes_signed_event_and_only_so(env) {
    let Some(stripe) = LocalStripe::start().await else { return };
    let app = env.spawn_with(|f| stripe.settings(f)).await;
    stripe.send_webhooks_to(&app.url("/v1/webhooks/stripe")).await;
    let (_, pot) = workshop(&app, "potter@example.ma", 30_000, 5).await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let buyer = app.buyer("buyer@example.fr").await;
    let mut abroad = order(&[(&pot, 2)], "card");
    abroad["shipping_address"]["city"] = json!("Lyon");
    abroad["shipping_address"]["country"] = json!("FR");
    let placed = place(&app, &buyer, "k1", abroad).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let order_id = id(&placed);
    let total = placed.body["total_minor"].as_i64().unwrap_or(0);

    // The PaymentIntent: for the order's total in MAD, the same one however often asked.
    let pay = app.post(&format!("/v1/orders/{order_id}/payments"), Some(&buyer), json!({"method": "card"})).await;
    assert_eq!(pay.status, StatusCode::OK, "{}", pay.body);
    assert_eq!((pay.body["amount_minor"].as_i64(), pay.body["currency"].as_str()), (Some(total), Some("MAD")));
    let intent = pay.body["intent_id"].as_str().unwrap_or_default().to_owned();
    assert!(intent.starts_with("pi_") && pay.body["client_secret"].as_str().is_some_and(|s| s.contains("_secret_")));
    let again = app.post(&format!("/v1/orders/{order_id}/payments"), Some(&buyer), json!({"method": "card"})).await;
    assert_eq!(again.body["intent_id"], intent.as_str());
    // Someone else's order is not theirs to pay.
    let other = app.buyer("other@example.ma").await;
    app.post(&format!("/v1/orders/{order_id}/payments"), Some(&other), json!({"method": "card"}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(status(&app, &buyer, &order_id).await, "pending_payment", "asking to pay is not paying");

    // The buyer's browser confirms the card at Stripe; Stripe's signed event pays the order.
    stripe.call(&format!("/v1/payment_intents/{intent}"), &[("payment_method", "pm_card_visa")]).await;
    let confirmed = stripe.call(&format!("/v1/payment_intents/{intent}/confirm"), &[]).await;
    assert_eq!(confirmed["status"], "succeeded", "{confirmed}");
    let mut now = String::new();
    for _ in 0..100 {
        now = status(&app, &buyer, &order_id).await;
        if now == "paid" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(now, "paid");
    assert_eq!(ledger(&env, "stripe_clearing").await, total, "the sale is in the books");
    assert_eq!(ledger(&env, "%").await, 0);
    let history = count(&env, "SELECT COUNT(*) FROM order_history").await;
    let postings = count(&env, "SELECT COUNT(*) FROM ledger_postings").await;

    // Every event again, newest first (so out of order): each is a duplicate, nothing moves.
    let events = stripe.events().await;
    assert!(events.iter().any(|e| e["type"] == "payment_intent.succeeded"), "{events:?}");
    for event in &events {
        let payload = event.to_string();
        let r = deliver(&app, &payload, &signed(&payload)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["outcome"], "duplicate", "{}", r.body);
    }
    // The success event under a new id (a replay Stripe never sent): the order is already paid.
    let succeeded = events.iter().find(|e| e["type"] == "payment_intent.succeeded").cloned().unwrap_or_default();
    let mut replay = succeeded.clone();
    replay["id"] = json!("evt_replayed_0001");
    let payload = replay.to_string();
    assert_eq!(deliver(&app, &payload, &signed(&payload)).await.body["outcome"], "already_paid");
    // Bad signature, another secret, a stale timestamp: 400, nothing recorded.
    let mut forged = succeeded.clone();
    forged["id"] = json!("evt_forged_0001");
    let payload = forged.to_string();
    deliver(&app, &payload, "t=1,v1=deadbeef").await.assert_problem(StatusCode::BAD_REQUEST, "invalid_signature");
    deliver(&app, &payload, &Webhook::generate_test_header(&payload, "whsec_someone_else", None))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_signature");
    let stale = chrono::Utc::now().timestamp() - 600;
    deliver(&app, &payload, &Webhook::generate_test_header(&payload, STRIPE_WEBHOOK_SECRET, Some(stale)))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_signature");
    deliver(&app, "{not json", &signed("{not json")).await.assert_problem(StatusCode::BAD_REQUEST, "unreadable_event");
    assert_eq!(count(&env, "SELECT COUNT(*) FROM stripe_events WHERE id = 'evt_forged_0001'").await, 0);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM order_history").await, history);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM ledger_postings").await, postings);

    // A partial refund, to the card through Stripe: a tenth of one jar back; the books reverse it.
    let line = placed.body["fulfilments"][0]["lines"][0]["id"].as_str().unwrap_or_default().to_owned();
    let artisan = placed.body["fulfilments"][0]["artisan_id"].as_str().unwrap_or_default().to_owned();
    let refunded = app
        .post(&format!("/v1/orders/{order_id}/refunds"), Some(&admin),
              json!({"lines": [{"line_id": line, "amount_minor": 6_000}], "method": "card", "paid_back_by": "operator", "reference": "ticket 812"}))
        .await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.body);
    assert_eq!((refunded.body["status"].as_str(), refunded.body["refunded_minor"].as_i64()), (Some("partially_refunded"), Some(6_000)));
    let provider_refund = refunded.body["history"].as_array().and_then(|h| h.last()).map(|h| h["details"]["provider_refund"].clone()).unwrap_or_default();
    let at_stripe = stripe.get(&format!("/v1/refunds/{}", provider_refund.as_str().unwrap_or("none"))).await;
    assert_eq!((at_stripe["amount"].as_i64(), at_stripe["payment_intent"].as_str()), (Some(6_000), Some(intent.as_str())), "{at_stripe}");
    assert_eq!(ledger(&env, "stripe_clearing").await, total - 6_000);
    assert_eq!(ledger(&env, "platform_commission").await, -6_000 + 600, "10% of the refund comes back from Souk");
    assert_eq!(ledger(&env, &format!("artisan:{artisan}")).await, -54_000 + 5_400);
    assert_eq!(ledger(&env, "%").await, 0);
    // More than was paid for the line is refused, and nothing reaches Stripe.
    app.post(&format!("/v1/orders/{order_id}/refunds"), Some(&admin),
             json!({"lines": [{"line_id": line, "amount_minor": 54_001}], "method": "card", "paid_back_by": "operator", "reference": "t"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let refunds_at_stripe = stripe.get("/v1/refunds").await;
    assert_eq!(refunds_at_stripe["data"].as_array().map(Vec::len), Some(1), "{refunds_at_stripe}");

    // A second order: an event for the wrong amount is flagged, not accepted; one for an order
    // that does not exist creates nothing.
    let second = place(&app, &buyer, "k2", order(&[(&pot, 1)], "card")).await;
    let second_id = id(&second);
    let pay = app.post(&format!("/v1/orders/{second_id}/payments"), Some(&buyer), json!({"method": "card"})).await;
    let mut cheap = succeeded.clone();
    cheap["id"] = json!("evt_cheap_0001");
    cheap["data"]["object"]["id"] = pay.body["intent_id"].clone();
    cheap["data"]["object"]["metadata"] = json!({"order_id": second_id});
    cheap["data"]["object"]["amount"] = json!(100);
    let payload = cheap.to_string();
    assert_eq!(deliver(&app, &payload, &signed(&payload)).await.body["outcome"], "amount_mismatch");
    assert_eq!(status(&app, &buyer, &second_id).await, "pending_payment");
    let mut stranger = succeeded.clone();
    stranger["id"] = json!("evt_stranger_0001");
    stranger["data"]["object"]["metadata"] = json!({"order_id": uuid::Uuid::now_v7().to_string()});
    let payload = stranger.to_string();
    assert_eq!(deliver(&app, &payload, &signed(&payload)).await.body["outcome"], "unknown_order");
    assert_eq!(count(&env, "SELECT COUNT(*) FROM orders").await, 2, "a webhook never creates an order");

    // A paid order an operator cancels before it ships: the stock comes back, and the money
    // goes back to the card in full.
    let fourth = place(&app, &buyer, "k4", order(&[(&pot, 1)], "card")).await;
    let fourth_id = id(&fourth);
    let pay = app.post(&format!("/v1/orders/{fourth_id}/payments"), Some(&buyer), json!({"method": "card"})).await;
    let intent4 = pay.body["intent_id"].as_str().unwrap_or_default().to_owned();
    stripe.call(&format!("/v1/payment_intents/{intent4}"), &[("payment_method", "pm_card_visa")]).await;
    stripe.call(&format!("/v1/payment_intents/{intent4}/confirm"), &[]).await;
    for _ in 0..100 {
        if status(&app, &buyer, &fourth_id).await == "paid" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status(&app, &buyer, &fourth_id).await, "paid");
    app.post(&format!("/v1/orders/{fourth_id}/cancel"), Some(&buyer), json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let cancelled = app.post(&format!("/v1/orders/{fourth_id}/cancel"), Some(&admin), json!({"reason": "out of glaze"})).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.body);
    let line4 = fourth.body["fulfilments"][0]["lines"][0]["id"].as_str().unwrap_or_default().to_owned();
    let shipping4 = fourth.body["shipping_total_minor"].as_i64().unwrap_or(0);
    let back = app
        .post(&format!("/v1/orders/{fourth_id}/refunds"), Some(&admin),
              json!({"lines": [{"line_id": line4, "amount_minor": 30_000}], "shipping_minor": shipping4, "method": "card", "paid_back_by": "operator", "reference": "cancelled"}))
        .await;
    assert_eq!((back.status, back.body["status"].as_str()), (StatusCode::OK, Some("refunded")), "{}", back.body);
    // A cancelled order that was never paid has nothing to refund.
    let unpaid = id(&second);
    app.post(&format!("/v1/orders/{unpaid}/cancel"), Some(&buyer), json!({})).await;
    app.post(&format!("/v1/orders/{unpaid}/refunds"), Some(&admin), json!({"shipping_minor": 1, "method": "card", "paid_back_by": "operator", "reference": "x"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(ledger(&env, "%").await, 0);

    // Cash on delivery chosen instead of the card: the order waits for confirmation by phone.
    let third = place(&app, &buyer, "k3", order(&[(&pot, 1)], "card")).await;
    let cod = app.post(&format!("/v1/orders/{}/payments", id(&third)), Some(&buyer), json!({"method": "cash_on_delivery"})).await;
    assert_eq!(cod.body["order_status"], "pending_confirmation", "{}", cod.body);
});

app_test!(async fn without_a_stripe_key_card_payments_say_they_are_off(env) {
    let app = env.spawn().await;
    let (_, pot) = workshop(&app, "p@example.ma", 30_000, 5).await;
    let buyer = app.buyer("b@example.ma").await;
    let placed = place(&app, &buyer, "k", order(&[(&pot, 1)], "card")).await;
    app.post(&format!("/v1/orders/{}/payments", id(&placed)), Some(&buyer), json!({"method": "card"}))
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "card_payments_disabled");
    let payload = json!({"id": "evt_1"}).to_string();
    let r = deliver(&app, &payload, &signed(&payload)).await;
    r.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "card_payments_disabled");
    let _: Value = r.body;
});
