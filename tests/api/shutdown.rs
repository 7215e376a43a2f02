//! A replica told to stop: not ready at once, still serving while it drains, then no new
//! connection, the request in flight answered and its order committed, and the process gone
//! within its bound.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use souk_api_tests::app_test;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::orders::{order, workshop};

app_test!(async fn a_stopping_replica_drains_then_answers_what_is_in_flight_and_exits_in_time(env) {
    let mut app = env
        .spawn_with(|f| {
            f.merge(("shutdown.drain_ms", 1_500))
                .merge(("shutdown.grace_ms", 5_000))
        })
        .await;
    let (_, product) = workshop(&app, "hassan@example.ma", 12_000, 3).await;
    let buyer = app.buyer("salma@example.ma").await;
    assert_eq!(app.get("/health/ready").await.status, StatusCode::OK);

    // An order whose body is still arriving when the replica closes.
    let body = order(&[(&product, 1)], "cash_on_delivery").to_string();
    let head = format!(
        "POST /v1/orders HTTP/1.1\r\nhost: souk\r\nauthorization: Bearer {buyer}\r\n\
         idempotency-key: in-flight-1\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut in_flight = TcpStream::connect(app.address).await.unwrap_or_else(|e| panic!("{e}"));
    let (first, rest) = body.split_at(body.len() / 2);
    in_flight.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    in_flight.write_all(first.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));

    let signalled = Instant::now();
    app.signal_shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.body);
    assert_eq!(ready.body["status"], "draining");
    // Draining: still serving, and asking clients to go elsewhere next time.
    let products = app.get("/v1/products").await;
    assert_eq!(products.status, StatusCode::OK);
    assert_eq!(products.header("connection"), "close");

    // Past the drain the replica takes no new connection; the request in flight finishes.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let late = reqwest::Client::new().get(app.url("/health/live")).send().await;
    assert!(late.is_err(), "a new request was served after the drain: {late:?}");
    in_flight.write_all(rest.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    assert!(app.stopped_within(Duration::from_secs(6)).await, "still running past drain + grace");
    assert!(signalled.elapsed() < Duration::from_millis(1_500 + 5_000 + 1_000));
    let placed = crate::orders::count(&env, "SELECT COUNT(*) FROM orders").await;
    assert_eq!(placed, 1, "the order answered 201 is in the database");
});
