//! Orders through HTTP: stock that never oversells, idempotent checkout, one fulfilment per
//! artisan with its shipping fee, the state machine with its history (card and cash on delivery),
//! cancellation and lapsed reservations giving stock back, and the outbox.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{Env, Reply, TestApp, app_test};
use souk_db::sea_orm::{ConnectionTrait, Statement};

pub(crate) fn address(city: &str, country: &str) -> Value {
    json!({"name": "Salma Alaoui", "phone": "+212 6 61 23 45 67", "line1": "12 Derb Sidi Moussa",
           "city": city, "country": country})
}

pub(crate) fn order(items: &[(&str, u32)], method: &str) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(id, q)| json!({"product_id": id, "quantity": q}))
        .collect();
    json!({"items": items, "payment_method": method, "shipping_address": address("Fès", "MA")})
}

pub(crate) async fn place(app: &TestApp, token: &str, key: &str, body: Value) -> Reply {
    app.post_with("/v1/orders", Some(token), &[("idempotency-key", key)], body)
        .await
}

async fn stock(app: &TestApp, product: &str) -> i64 {
    let reply = app.get(&format!("/v1/products/{product}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["stock"].as_i64().unwrap_or(-1)
}

/// The outbox's events but those of accounts (a new buyer's verification link).
const ORDER_EVENTS: &str = "SELECT COUNT(*) FROM outbox_events WHERE topic NOT LIKE 'account.%'";

/// How many rows a table has (the outbox: its events about orders).
fn rows_of(table: &str) -> String {
    match table {
        "outbox_events" => ORDER_EVENTS.to_owned(),
        _ => format!("SELECT COUNT(*) FROM {table}"),
    }
}

pub(crate) async fn count(env: &Env, sql: &str) -> i64 {
    let backend = env.db.conn.get_database_backend();
    let row = env
        .db
        .conn
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"));
    row.try_get_by_index::<i64>(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The balance of a ledger account (debits less credits).
pub(crate) async fn ledger(env: &Env, account: &str) -> i64 {
    count(env, &format!("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE account LIKE '{account}'")).await
}

/// An artisan with one product of `stock` units at `price` centimes (800 g each).
pub(crate) async fn workshop(
    app: &TestApp,
    email: &str,
    price: i64,
    stock: i64,
) -> (String, String) {
    let (token, _) = app.artisan(email).await;
    let product = app
        .product(
            &token,
            json!({"craft": "pottery", "title": {"fr": "Tajine de Fès", "ar": "طاجين فاسي"},
                   "price_minor": price, "stock": stock, "weight_g": 800}),
        )
        .await;
    (token, product)
}

pub(crate) fn id(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

app_test!(async fn an_order_reserves_stock_splits_per_artisan_and_snapshots_prices(env) {
    let app = env.spawn().await;
    let (potter, vase) = workshop(&app, "potter@example.ma", 25_000, 3).await;
    let (weaver, _) = app.artisan("weaver@example.ma").await;
    let rug = app
        .product(
            &weaver,
            json!({"craft": "pottery", "title": {"fr": "Zellige sur commande"}, "price_minor": 120_000,
                   "stock": 0, "lead_time_days": 21, "weight_g": 3000}),
        )
        .await;
    let buyer = app.buyer("salma@example.ma").await;

    // The same product on two lines is summed before the stock check: 2 + 2 > 3.
    let twice = place(&app, &buyer, "k-dup", order(&[(&vase, 2), (&vase, 2)], "card")).await;
    twice.assert_problem(StatusCode::CONFLICT, "out_of_stock");
    assert_eq!(stock(&app, &vase).await, 3);

    let placed = place(&app, &buyer, "k-1", order(&[(&vase, 1), (&rug, 1), (&vase, 1)], "cash_on_delivery")).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let o = &placed.body;
    assert_eq!(o["status"], "pending_confirmation");
    assert_eq!(o["zone"], "fes");
    let fulfilments = o["fulfilments"].as_array().cloned().unwrap_or_default();
    assert_eq!(fulfilments.len(), 2, "one per artisan: {o}");
    let pots = &fulfilments[0];
    assert_eq!(pots["lines"][0]["quantity"], 2);
    assert_eq!(pots["lines"][0]["unit_price_minor"], 25_000);
    assert_eq!(pots["weight_g"], 1600);
    // config/default.toml: Fès, up to 2 kg: 20 MAD; up to 5 kg: 30 MAD.
    assert_eq!(pots["shipping_fee_minor"], 2000);
    let made = &fulfilments[1];
    assert_eq!(made["lines"][0]["made_to_order"], true);
    assert_eq!(made["lead_time_days"], 21);
    assert_eq!(made["shipping_fee_minor"], 3000);
    assert_eq!(o["items_total_minor"], 170_000);
    assert_eq!(o["shipping_total_minor"], 5000);
    assert_eq!(o["total_minor"], 175_000);
    assert_eq!(o["history"][0]["to"], "pending_confirmation");
    assert_eq!(stock(&app, &vase).await, 1, "two reserved");

    // A price change later does not touch the order.
    let changed = app
        .patch(&format!("/v1/products/{vase}"), Some(&potter), json!({"price_minor": 99_000}))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    // ...and an edit that does not set the stock leaves the reservation alone.
    assert_eq!(stock(&app, &vase).await, 1);
    let order_id = id(&placed);
    let seen = app.get_as(&format!("/v1/orders/{order_id}"), &buyer).await;
    assert_eq!(seen.body["fulfilments"][0]["lines"][0]["unit_price_minor"], 25_000);
    assert_eq!(seen.body["total_minor"], 175_000);

    // Buyers see their own orders only; each artisan sees their own fulfilment only.
    let other = app.buyer("other@example.ma").await;
    app.get_as(&format!("/v1/orders/{order_id}"), &other)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let mine = app.get_as("/v1/orders", &buyer).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.get_as("/v1/orders", &other).await.body["items"].as_array().map(Vec::len), Some(0));
    let theirs = app.get_as("/v1/fulfilments", &potter).await;
    let items = theirs.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", theirs.body);
    assert_eq!(items[0]["id"], pots["id"]);
    assert_eq!(items[0]["cash_due_minor"], 52_000);
    assert_eq!(items[0]["shipping_address"]["city"], "Fès");
    app.get_as(&format!("/v1/fulfilments/{}", made["id"].as_str().unwrap_or_default()), &potter)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get_as("/v1/fulfilments", &buyer)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Operators see every order and every fulfilment.
    let other_order = place(&app, &other, "k-o", order(&[(&rug, 1)], "card")).await;
    assert_eq!(other_order.status, StatusCode::CREATED, "{}", other_order.body);
    let admin = env.admin(&app, "ops@souk.ma").await;
    let all = app.get_as("/v1/orders", &admin).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2), "{}", all.body);
    let all = app.get_as("/v1/fulfilments?limit=10", &admin).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(3), "{}", all.body);
    let page = app.get_as("/v1/fulfilments?limit=2", &admin).await;
    let next = page.body["next_cursor"].as_str().unwrap_or_default().to_owned();
    let rest = app.get_as(&format!("/v1/fulfilments?limit=2&cursor={next}"), &admin).await;
    assert_eq!(rest.body["items"].as_array().map(Vec::len), Some(1), "pages follow on");
    assert_eq!(rest.body["next_cursor"], serde_json::Value::Null, "the last page says so");
    app.get_as("/v1/orders?limit=0", &admin)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // A quote (cart) gives the same split without reserving anything.
    let quote = app.post("/v1/orders/quote", None, order(&[(&vase, 1)], "card")).await;
    assert_eq!(quote.status, StatusCode::OK, "{}", quote.body);
    assert_eq!(quote.body["total_minor"], 99_000 + 2000);
    assert_eq!(stock(&app, &vase).await, 1);

    // International parcels are priced by weight.
    let mut abroad = order(&[(&vase, 1)], "card");
    abroad["shipping_address"] = address("Lyon", "FR");
    let quote = app.post("/v1/orders/quote", None, abroad).await;
    assert_eq!(quote.body["zone"], "international");
    assert_eq!(quote.body["shipping_total_minor"], 18_000, "800 g: the 1 kg bracket");
});

app_test!(async fn agents_see_and_ship_the_fulfilments_of_their_artisans(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (agent, agent_id) = app.agent(&admin, "agent@souk.ma").await;
    let (other_agent, _) = app.agent(&admin, "agent2@souk.ma").await;
    let artisan = app.onboard(&agent, "Fatima Zahra").await;
    let product = app
        .product(
            &agent,
            json!({"artisan_id": artisan, "craft": "pottery", "title": {"fr": "Plat de Safi"},
                   "price_minor": 40_000, "stock": 2}),
        )
        .await;
    let buyer = app.buyer("b@example.ma").await;
    let placed = place(&app, &buyer, "k", order(&[(&product, 1)], "cash_on_delivery")).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    assert_eq!(placed.body["fulfilments"][0]["lines"][0]["listed_through_agent"], true);
    let order_id = id(&placed);
    let fid = placed.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();

    let listed = app.get_as("/v1/fulfilments", &agent).await;
    assert_eq!(listed.body["items"][0]["id"], fid.as_str(), "{}", listed.body);
    let none = app.get_as("/v1/fulfilments", &other_agent).await;
    assert_eq!(none.body["items"].as_array().map(Vec::len), Some(0));

    // Another agent can neither confirm nor ship it.
    app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&other_agent), json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let confirmed = app
        .post(&format!("/v1/orders/{order_id}/confirm"), Some(&agent), json!({"note": "called, OK"}))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body["status"], "confirmed");
    app.post(&format!("/v1/fulfilments/{fid}/accept"), Some(&other_agent), json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let accepted = app.post(&format!("/v1/fulfilments/{fid}/accept"), Some(&agent), json!({})).await;
    assert_eq!(accepted.body["status"], "accepted", "{}", accepted.body);
    let shipped = app
        .post(&format!("/v1/fulfilments/{fid}/ship"), Some(&agent), json!({"carrier": "Amana", "tracking_number": "AM123456789MA"}))
        .await;
    assert_eq!(shipped.body["status"], "shipped", "{}", shipped.body);
    assert_eq!(shipped.body["tracking_number"], "AM123456789MA");
    let due = shipped.body["cash_due_minor"].as_i64().unwrap_or(0);
    let delivered = app
        .post(&format!("/v1/fulfilments/{fid}/deliver"), Some(&agent), json!({"cash_collected_minor": due}))
        .await;
    assert_eq!(delivered.body["status"], "delivered", "{}", delivered.body);
    // Listed through the agent (500 bps): 5% to them, 10% to Souk, 85% to the artisan.
    assert_eq!(ledger(&env, &format!("agent:{agent_id}")).await, -2_000);
    assert_eq!(ledger(&env, "platform_commission").await, -4_000);
    assert_eq!(ledger(&env, &format!("artisan:{artisan}")).await, -34_000);
    assert_eq!(ledger(&env, "courier_cash").await, due);
    assert_eq!(ledger(&env, "%").await, 0);
});

app_test!(async fn cash_on_delivery_runs_from_confirmation_to_cash_remitted_with_its_history(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (potter, pot) = workshop(&app, "p@example.ma", 30_000, 5).await;
    let (_, bowl) = workshop(&app, "q@example.ma", 10_000, 5).await;
    let buyer = app.buyer("b@example.ma").await;
    let placed = place(&app, &buyer, "k", order(&[(&pot, 2), (&bowl, 1)], "cash_on_delivery")).await;
    let order_id = id(&placed);
    let f_pot = placed.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();
    let f_bowl = placed.body["fulfilments"][1]["id"].as_str().unwrap_or_default().to_owned();
    let due_pot = placed.body["fulfilments"][0]["items_total_minor"].as_i64().unwrap_or(0)
        + placed.body["fulfilments"][0]["shipping_fee_minor"].as_i64().unwrap_or(0);

    let confirmed = app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&admin), json!({})).await;
    assert_eq!(confirmed.body["status"], "confirmed", "{}", confirmed.body);
    assert_eq!(confirmed.body["expires_at"], Value::Null, "confirmed orders no longer lapse");
    for (f, who) in [(&f_pot, &potter), (&f_bowl, &admin)] {
        let r = app.post(&format!("/v1/fulfilments/{f}/accept"), Some(who), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .post(&format!("/v1/fulfilments/{f}/ship"), Some(who), json!({"carrier": "CTM", "tracking_number": "CTM-1"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // The courier collects exactly what is due.
    app.post(&format!("/v1/fulfilments/{f_pot}/deliver"), Some(&admin), json!({"cash_collected_minor": due_pot - 1}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let delivered = app
        .post(&format!("/v1/fulfilments/{f_pot}/deliver"), Some(&admin), json!({"cash_collected_minor": due_pot}))
        .await;
    assert_eq!(delivered.body["status"], "delivered", "{}", delivered.body);
    assert_eq!(delivered.body["order_status"], "confirmed", "one parcel still on its way");
    // The parcel's sale is in the books: the cash is with the courier; 10% is Souk's, the
    // shipping is the carrier's, the rest is the potter's.
    assert_eq!(ledger(&env, "courier_cash").await, due_pot);
    assert_eq!(ledger(&env, "platform_commission").await, -6_000);
    assert_eq!(ledger(&env, "shipping_payable").await, -2_000);
    assert_eq!(ledger(&env, "artisan:%").await, -54_000);
    assert_eq!(ledger(&env, "%").await, 0, "the books balance");

    // The other parcel is refused at the door: its stock comes back, and the order completes.
    let refused = app
        .post(&format!("/v1/fulfilments/{f_bowl}/refuse"), Some(&admin), json!({"reason": "buyer not at home twice"}))
        .await;
    assert_eq!(refused.body["status"], "refused", "{}", refused.body);
    assert_eq!(refused.body["order_status"], "completed");
    assert_eq!(stock(&app, &bowl).await, 5);
    assert_eq!(stock(&app, &pot).await, 3);

    // Only an operator records the courier's remittance.
    app.post(&format!("/v1/fulfilments/{f_pot}/remit"), Some(&potter), json!({"reference": "REM-1"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let remitted = app
        .post(&format!("/v1/fulfilments/{f_pot}/remit"), Some(&admin), json!({"reference": "AMANA-REM-2026-11-29"}))
        .await;
    assert_eq!(remitted.body["status"], "cash_remitted", "{}", remitted.body);
    assert_eq!(ledger(&env, "courier_cash").await, 0, "the refused parcel brought no cash");
    assert_eq!(ledger(&env, "bank").await, due_pot);
    assert_eq!(ledger(&env, "%").await, 0);

    let full = app.get_as(&format!("/v1/orders/{order_id}"), &buyer).await;
    assert_eq!(full.body["status"], "completed");
    let steps: Vec<String> = full.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| format!("{}:{}", if h["fulfilment_id"].is_null() { "order" } else { "parcel" }, h["to"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        steps,
        [
            "order:pending_confirmation", "order:confirmed",
            "parcel:accepted", "parcel:shipped", "parcel:accepted", "parcel:shipped",
            "parcel:delivered", "parcel:refused", "order:completed", "parcel:cash_remitted",
        ],
        "{}",
        full.body["history"]
    );
    let events = count(&env, ORDER_EVENTS).await;
    assert_eq!(events, steps.len() as i64, "one outbox event per change");
});

app_test!(async fn illegal_transitions_are_refused_with_a_problem_code_and_change_nothing(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (potter, pot) = workshop(&app, "p@example.ma", 30_000, 5).await;
    let buyer = app.buyer("b@example.ma").await;
    let card = id(&place(&app, &buyer, "k1", order(&[(&pot, 1)], "card")).await);
    let card_f = app.get_as(&format!("/v1/orders/{card}"), &buyer).await.body["fulfilments"][0]["id"]
        .as_str().unwrap_or_default().to_owned();
    let illegal = |r: Reply| r.assert_problem(StatusCode::CONFLICT, "illegal_transition");

    // Unpaid: nothing may ship; a card order is not confirmed by phone.
    illegal(app.post(&format!("/v1/fulfilments/{card_f}/accept"), Some(&potter), json!({})).await);
    illegal(app.post(&format!("/v1/fulfilments/{card_f}/ship"), Some(&potter), json!({"carrier": "x", "tracking_number": "y"})).await);
    illegal(app.post(&format!("/v1/orders/{card}/confirm"), Some(&admin), json!({})).await);
    // Cancelled twice.
    let cancelled = app.post(&format!("/v1/orders/{card}/cancel"), Some(&buyer), json!({"reason": "changed my mind"})).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.body);
    assert_eq!(cancelled.body["fulfilments"][0]["status"], "cancelled");
    illegal(app.post(&format!("/v1/orders/{card}/cancel"), Some(&buyer), json!({})).await);
    illegal(app.post(&format!("/v1/fulfilments/{card_f}/accept"), Some(&admin), json!({})).await);
    assert_eq!(stock(&app, &pot).await, 5, "cancelling gave the stock back");

    // Cash on delivery: no shipping before acceptance, no cancelling after shipping, no cash
    // remitted before delivery, no delivering twice.
    let cod = place(&app, &buyer, "k2", order(&[(&pot, 1)], "cash_on_delivery")).await;
    let cod_id = id(&cod);
    let f = cod.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();
    let ok = |r: Reply| assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    ok(app.post(&format!("/v1/orders/{cod_id}/confirm"), Some(&admin), json!({})).await);
    illegal(app.post(&format!("/v1/orders/{cod_id}/confirm"), Some(&admin), json!({})).await);
    illegal(app.post(&format!("/v1/fulfilments/{f}/ship"), Some(&potter), json!({"carrier": "x", "tracking_number": "y"})).await);
    ok(app.post(&format!("/v1/fulfilments/{f}/accept"), Some(&potter), json!({})).await);
    illegal(app.post(&format!("/v1/fulfilments/{f}/accept"), Some(&potter), json!({})).await);
    illegal(app.post(&format!("/v1/fulfilments/{f}/remit"), Some(&admin), json!({"reference": "r"})).await);
    ok(app.post(&format!("/v1/fulfilments/{f}/ship"), Some(&potter), json!({"carrier": "x", "tracking_number": "y"})).await);
    illegal(app.post(&format!("/v1/orders/{cod_id}/cancel"), Some(&admin), json!({})).await);
    let before = app.get_as(&format!("/v1/orders/{cod_id}"), &buyer).await;
    let due = before.body["total_minor"].clone();
    ok(app.post(&format!("/v1/fulfilments/{f}/deliver"), Some(&potter), json!({"cash_collected_minor": due})).await);
    illegal(app.post(&format!("/v1/fulfilments/{f}/deliver"), Some(&potter), json!({"cash_collected_minor": due})).await);
    illegal(app.post(&format!("/v1/fulfilments/{f}/refuse"), Some(&potter), json!({"reason": "late"})).await);
    let after = app.get_as(&format!("/v1/orders/{cod_id}"), &buyer).await;
    assert_eq!(after.body["status"], "completed");
    assert_eq!(after.body["history"].as_array().map(Vec::len), Some(6), "{}", after.body["history"]);

    // A card order is never refused at the door and has no cash to collect.
    let card2 = place(&app, &buyer, "k3", order(&[(&pot, 1)], "card")).await;
    let id2 = card2.body["id"].as_str().unwrap_or_default().to_owned();
    app.post(&format!("/v1/orders/{id2}/cancel"), Some(&potter), json!({}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let unknown = format!("/v1/orders/{}/cancel", uuid::Uuid::now_v7());
    app.post(&unknown, Some(&admin), json!({})).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post("/v1/orders/not-an-id/cancel", Some(&admin), json!({})).await.assert_problem(StatusCode::BAD_REQUEST, "invalid_path");
});

app_test!(async fn the_same_idempotency_key_gives_the_same_order_even_at_once(env) {
    let app = env.spawn().await;
    let (_, pot) = workshop(&app, "p@example.ma", 30_000, 50).await;
    let buyer = app.buyer("b@example.ma").await;
    let body = order(&[(&pot, 2)], "card");

    let replies = futures::future::join_all(
        (0..12).map(|_| place(&app, &buyer, "checkout-7f3a", body.clone())),
    )
    .await;
    let ids: HashSet<String> = replies.iter().map(|r| {
        assert!(r.status == StatusCode::CREATED || r.status == StatusCode::OK, "{}", r.body);
        id(r)
    }).collect();
    assert_eq!(ids.len(), 1, "twelve concurrent retries, one order");
    assert_eq!(replies.iter().filter(|r| r.status == StatusCode::CREATED).count(), 1);
    assert!(replies.iter().filter(|r| r.status == StatusCode::OK).all(|r| r.header("idempotent-replayed") == "true"));
    assert_eq!(stock(&app, &pot).await, 48, "reserved once");

    // Same key, another body: refused, nothing reserved.
    place(&app, &buyer, "checkout-7f3a", order(&[(&pot, 3)], "card"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    assert_eq!(stock(&app, &pot).await, 48);
    // Keys are per buyer: another buyer's same key is their own.
    let other = app.buyer("o@example.ma").await;
    assert_eq!(place(&app, &other, "checkout-7f3a", body.clone()).await.status, StatusCode::CREATED);
    // No key, no order.
    app.post("/v1/orders", Some(&buyer), body.clone())
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "idempotency_key_required");

    // After 24 hours the key is forgotten: the same key places a new order.
    env.db.conn.execute_unprepared(&format!(
        "UPDATE idempotency_keys SET created_at = '{}'",
        (chrono::Utc::now() - chrono::Duration::hours(25)).format("%Y-%m-%dT%H:%M:%S+00:00")
    )).await.unwrap_or_else(|e| panic!("{e}"));
    let again = place(&app, &buyer, "checkout-7f3a", order(&[(&pot, 3)], "card")).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert!(!ids.contains(&id(&again)));
});

app_test!(async fn a_refused_order_leaves_no_order_no_event_and_no_stock_taken(env) {
    let app = env.spawn().await;
    let (_, plenty) = workshop(&app, "p@example.ma", 30_000, 5).await;
    let (_, none) = workshop(&app, "q@example.ma", 30_000, 0).await;
    let buyer = app.buyer("b@example.ma").await;
    // The first line's reservation succeeds, the second fails: the whole order rolls back.
    let refused = place(&app, &buyer, "k", order(&[(&plenty, 2), (&none, 1)], "card")).await;
    refused.assert_problem(StatusCode::CONFLICT, "out_of_stock");
    assert_eq!(stock(&app, &plenty).await, 5);
    assert_eq!(count(&env, ORDER_EVENTS).await, 0);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM idempotency_keys").await, 0, "the key is free for a retry");
    // Bad input is a clear problem, never a 500.
    for (body, code) in [
        (order(&[], "card"), "validation_failed"),
        (order(&[(&plenty, 0)], "card"), "validation_failed"),
        (order(&[(&plenty, 1)], "bitcoin"), "invalid_body"),
        (order(&[(&uuid::Uuid::now_v7().to_string(), 1)], "card"), "product_unavailable"),
        (json!({"items": [{"product_id": plenty, "quantity": 1}], "payment_method": "card",
                "shipping_address": address("Fès", "Morocco")}), "validation_failed"),
        (json!({"items": [{"product_id": plenty, "quantity": 1}], "payment_method": "card",
                "shipping_address": {"name": "x", "phone": "12", "line1": "y", "city": "Fès", "country": "MA"}}), "validation_failed"),
        (order(&[(&plenty, 1_000_000)], "card"), "validation_failed"),
    ] {
        let r = place(&app, &buyer, &format!("k-{}", uuid::Uuid::now_v7()), body).await;
        assert!(r.status.is_client_error(), "{}", r.body);
        assert_eq!(r.body["code"], code, "{}", r.body);
    }
    let ok = place(&app, &buyer, "k", order(&[(&plenty, 2)], "card")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM outbox_events WHERE topic = 'order.pending_payment'").await, 1);
});

/// The order, its lines and its event are written before the stock is taken; when taking it
/// fails, all of it rolls back. The test holds the product's row so that the order reads one unit
/// left, writes itself, then finds none when its reservation runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_written_then_short_of_stock_leaves_no_row_and_no_event_on_postgres() {
    use souk_db::sea_orm::TransactionTrait;
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let app = env.spawn().await;
    let (_, last) = workshop(&app, "p@example.ma", 30_000, 1).await;
    let buyer = app.buyer("b@example.ma").await;
    let holder = env.db.conn.begin().await.unwrap_or_else(|e| panic!("{e}"));
    holder
        .execute_unprepared("UPDATE products SET stock = 0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let attempt = {
        let url = app.url("/v1/orders");
        let client = app.client.clone();
        let body = order(&[(&last, 1)], "card");
        tokio::spawn(async move {
            let sent = client
                .post(url)
                .bearer_auth(buyer)
                .header("idempotency-key", "k")
                .json(&body)
                .send()
                .await;
            Reply::read(sent.unwrap_or_else(|e| panic!("{e}"))).await
        })
    };
    // Let the order read the one unit, write itself and queue on the product's row.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(count(&env, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").await, 1, "the order waits on the row");
    holder.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let refused = attempt.await.unwrap_or_else(|e| panic!("{e}"));
    refused.assert_problem(StatusCode::CONFLICT, "out_of_stock");
    for table in [
        "orders",
        "fulfilments",
        "order_lines",
        "order_history",
        "outbox_events",
        "idempotency_keys",
    ] {
        assert_eq!(count(&env, &rows_of(table)).await, 0, "{table}");
    }
}

app_test!(async fn two_expiry_workers_release_each_lapsed_reservation_exactly_once(env) {
    let app = env.spawn().await;
    let (_, pot) = workshop(&app, "p@example.ma", 30_000, 40).await;
    let buyer = app.buyer("b@example.ma").await;
    for n in 0..20 {
        let r = place(&app, &buyer, &format!("k{n}"), order(&[(&pot, 2)], if n % 2 == 0 { "card" } else { "cash_on_delivery" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert_eq!(stock(&app, &pot).await, 0);
    // A paid order's stock is not released: pay one before the workers run.
    let paid = app.get_as("/v1/orders?status=pending_payment&limit=1", &buyer).await.body["items"][0]["id"]
        .as_str().unwrap_or_default().parse().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (orders_service(&env), orders_service(&env));
    let paid = a.mark_paid(paid, "pi_test").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ledger(&env, "stripe_clearing").await, paid.total_minor, "the card payment is in the books");
    assert_eq!(ledger(&env, "%").await, 0);

    // Both workers sweep at once, as every replica does, "later than" every reservation.
    let later = chrono::Utc::now() + chrono::Duration::days(3);
    let (x, y) = tokio::join!(a.expire_due(later, 100), b.expire_due(later, 100));
    let (x, y) = (x.unwrap_or_else(|e| panic!("{e}")), y.unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(x + y, 19, "each lapsed order expired once ({x} + {y})");
    // Read from the database: these two services are not the gateway and share no cache with it.
    let left = count(&env, "SELECT CAST(stock AS BIGINT) FROM products").await;
    assert_eq!(left, 38, "19 orders of 2 back, the paid one kept");
    assert_eq!(count(&env, "SELECT COUNT(*) FROM outbox_events WHERE topic = 'order.expired'").await, 19);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM order_history WHERE to_status = 'expired'").await, 19);
    // Another sweep finds nothing left.
    assert_eq!(a.expire_due(later, 100).await.unwrap_or_else(|e| panic!("{e}")), 0);
});

fn orders_service(env: &Env) -> souk_orders::Orders {
    let settings = env.settings(|f| f);
    let cache = souk_cache::Cache::in_process("orders-test", std::time::Duration::from_secs(1), 10);
    let catalog = souk_catalog::Catalog::new(
        env.db.conn.clone(),
        cache,
        souk_catalog::CatalogSettings::default(),
    );
    souk_orders::Orders::new(env.db.conn.clone(), catalog, settings.order_settings())
}

app_test!(async fn a_gateway_releases_an_unpaid_reservation_when_its_window_lapses(env) {
    let app = env
        .spawn_with(|f| {
            f.merge(figment::providers::Serialized::default("orders.payment_window_seconds", 1))
                .merge(figment::providers::Serialized::default("orders.expiry_interval_ms", 100))
        })
        .await;
    let (_, pot) = workshop(&app, "p@example.ma", 30_000, 1).await;
    let buyer = app.buyer("b@example.ma").await;
    let placed = place(&app, &buyer, "k", order(&[(&pot, 1)], "card")).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    assert_eq!(stock(&app, &pot).await, 0);
    let path = format!("/v1/orders/{}", id(&placed));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = app.get_as(&path, &buyer).await.body["status"].clone();
        if status == "expired" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "expired");
    assert_eq!(stock(&app, &pot).await, 1, "the piece is for sale again");
});

const GATEWAY: &str = env!("CARGO_BIN_EXE_souk-test-gateway");
/// Two hundred buyers sign in from one test address.
const SIGN_INS: &[(&str, &str)] = &[("SOUK_AUTH__LOGIN_LIMIT_PER_ADDRESS", "1000")];

/// The acceptance race: the last units of a product, many buyers at once, over several gateway
/// processes. Exactly `units` orders succeed; every other buyer gets `out_of_stock`.
async fn race(env: &Env, gateways: &[TestApp], buyers: usize, units: i64) {
    let first = &gateways[0];
    let (_, product) = workshop(first, "last-pieces@example.ma", 45_000, units).await;
    let mut tokens = Vec::with_capacity(buyers);
    for n in 0..buyers {
        tokens.push(first.buyer(&format!("buyer{n}@example.ma")).await);
    }
    let attempts = tokens.iter().enumerate().map(|(n, token)| {
        let app = &gateways[n % gateways.len()];
        let body = order(&[(&product, 1)], "card");
        async move { place(app, token, &format!("race-{n}"), body).await }
    });
    let replies = futures::future::join_all(attempts).await;
    let won = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    for r in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        r.assert_problem(StatusCode::CONFLICT, "out_of_stock");
    }
    assert_eq!(won as i64, units, "exactly {units} orders succeed");
    for g in gateways {
        assert_eq!(stock(g, &product).await, 0);
    }
    // The only product and the only order lines of this test's database.
    assert_eq!(count(env, "SELECT COUNT(*) FROM order_lines").await, units);
    let min_stock = count(env, "SELECT CAST(MIN(stock) AS BIGINT) FROM products").await;
    assert_eq!(min_stock, 0, "never below zero");
    // The losers wrote nothing that survived: no order, no event, no key.
    for table in ["orders", "outbox_events", "idempotency_keys"] {
        assert_eq!(count(env, &rows_of(table)).await, units, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_on_three_gateway_processes_buy_the_last_ten_units_on_postgres() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let gateways = vec![
        env.spawn_process(GATEWAY, SIGN_INS).await,
        env.spawn_process(GATEWAY, SIGN_INS).await,
        env.spawn_process(GATEWAY, SIGN_INS).await,
    ];
    race(&env, &gateways, 200, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_on_one_gateway_buy_the_last_ten_units_on_sqlite() {
    let env = Env::sqlite().await;
    let gateways = vec![env.spawn_process(GATEWAY, SIGN_INS).await];
    race(&env, &gateways, 200, 10).await;
}
