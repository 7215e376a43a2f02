//! Integrators' webhooks through HTTP: an admin registers an endpoint, an order's life reaches
//! it signed and in order, the log shows each delivery, and a replay sends one again.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{extract::State, http::HeaderMap, routing::post};
use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::app_test;
use souk_notify::webhook;

use crate::orders::{id, order, place, workshop};

type Seen = Arc<Mutex<Vec<(String, Value, String, Vec<u8>)>>>;

async fn record(
    State(seen): State<Seen>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> &'static str {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let json = serde_json::from_slice(&body).unwrap_or_default();
    if let Ok(mut seen) = seen.lock() {
        seen.push((
            header(webhook::EVENT_ID_HEADER),
            json,
            header(webhook::SIGNATURE_HEADER),
            body.to_vec(),
        ));
    }
    "ok"
}

/// A receiver on a random port: its URL and what it got.
async fn receiver() -> (String, Seen) {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/events", post(record))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/events",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn wait_for(seen: &Seen, count: usize) {
    for _ in 0..200 {
        if seen.lock().map(|s| s.len() >= count).unwrap_or(false) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

app_test!(async fn an_integrator_hears_an_orders_life_signed_and_in_order_and_can_replay(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (url, seen) = receiver().await;
    let registered = app
        .post("/v1/admin/webhooks", Some(&admin), json!({"url": url, "topics": ["order.*"]}))
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
    let secret = registered.body["secret"].as_str().unwrap_or_default().to_owned();
    let endpoint = id(&registered);
    let listed = app.get_as("/v1/admin/webhooks", &admin).await;
    assert_eq!(listed.body["items"][0]["secret"], Value::Null, "the secret is shown once");

    let (_, product) = workshop(&app, "potter@example.ma", 25_000, 5).await;
    let buyer = app.buyer("salma@example.ma").await;
    let placed = place(&app, &buyer, "k1", order(&[(&product, 1)], "cash_on_delivery")).await;
    let order_id = id(&placed);
    let confirmed = app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&admin), json!({})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    wait_for(&seen, 2).await;

    let got = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let types: Vec<&str> = got.iter().map(|(_, json, ..)| json["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(types, ["order.pending_confirmation", "order.confirmed"], "in the order they happened");
    for (event_id, json, signature, body) in &got {
        assert_eq!(json["id"].as_str(), Some(event_id.as_str()));
        assert_eq!(json["data"]["order_id"].as_str(), Some(order_id.as_str()));
        assert!(webhook::verify(&secret, signature, body, chrono::Utc::now().timestamp(), 300), "{signature}");
    }

    let log = app.get_as(&format!("/v1/admin/webhooks/{endpoint}/deliveries"), &admin).await;
    let items = log.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{}", log.body);
    assert!(items.iter().all(|d| d["status"] == "delivered" && d["last_code"] == 200), "{}", log.body);
    let first = items[1]["id"].as_str().unwrap_or_default().to_owned();
    let replayed = app.post(&format!("/v1/admin/deliveries/{first}/replay"), Some(&admin), json!({})).await;
    assert_eq!(replayed.status, StatusCode::OK, "{}", replayed.body);
    wait_for(&seen, 3).await;
    let again = seen.lock().map(|s| s.get(2).map(|(id, ..)| id.clone())).unwrap_or_default();
    assert_eq!(again, Some(got[0].0.clone()), "the same event id");

    // The relay's metrics: three deliveries (one replayed), nothing behind. (A round counts
    // its deliveries when it ends, a moment after the receiver has them.)
    let mut delivered = 0;
    for _ in 0..100 {
        delivered = app.metric("souk_relay_delivered_total").await;
        if delivered >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered >= 3, "{delivered}");
    assert_eq!(app.metric("souk_relay_dead_total").await, 0);

    // Only admins; topics must be patterns.
    app.post("/v1/admin/webhooks", Some(&buyer), json!({"url": url, "topics": ["*"]}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post("/v1/admin/webhooks", Some(&admin), json!({"url": url, "topics": ["orders"]}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.post("/v1/admin/deliveries/0190b5a0-0000-7000-8000-000000000000/replay", Some(&admin), json!({}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
});
