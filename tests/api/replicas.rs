//! Several gateway replicas on one PostgreSQL and one Redis: a write acknowledged by one is read
//! by every other at once, and found by their searches within a second (each replica's search
//! index follows the change log; the writer's has it before it answers). The in-process cache is
//! for a single process only, so this runs on PostgreSQL and Redis.

use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::{Env, TestApp};

async fn price_seen(app: &TestApp, path: &str) -> i64 {
    app.get(path).await.body["price"]["amount_minor"]
        .as_i64()
        .unwrap_or(-1)
}

async fn price_listed(app: &TestApp, q: &str) -> i64 {
    let reply = app
        .client
        .get(app.url("/v1/products"))
        .query(&[("q", q)])
        .send()
        .await;
    let reply = souk_api_tests::Reply::read(reply.unwrap_or_else(|e| panic!("{e}"))).await;
    reply.body["items"][0]["price"]["amount_minor"]
        .as_i64()
        .unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_on_one_redis_see_each_others_writes_at_once() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let a = env.spawn().await;
    let b = env.spawn().await;
    let (token, _) = a.artisan("hassan@example.ma").await;
    let id = a
        .product(
            &token,
            json!({"craft": "pottery", "title": {"fr": "Jarre verte"}, "price_minor": 10_000}),
        )
        .await;
    let path = format!("/v1/products/{id}");

    for round in 1..=20_i64 {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        // The reader has the product and the search cached...
        let before = price_seen(reader, &path).await;
        assert_eq!(price_seen(reader, &path).await, before);
        assert_eq!(price_listed(reader, "jarre").await, before);
        // ...the other replica changes it...
        let price = 10_000 + round;
        let changed = writer
            .patch(&path, Some(&token), json!({"price_minor": price}))
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        // ...the writer's search has it at once, the reader's very next read of the product
        // too, and the reader's search within a second.
        assert_eq!(
            price_listed(writer, "jarre").await,
            price,
            "round {round}: the writer's stale listing"
        );
        assert_eq!(
            price_seen(reader, &path).await,
            price,
            "round {round}: stale product"
        );
        let since = std::time::Instant::now();
        while price_listed(reader, "jarre").await != price {
            assert!(
                since.elapsed() < std::time::Duration::from_secs(1),
                "round {round}: stale listing after a second"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    // The reads above were served from the cache between writes, not all from the database.
    assert!(
        a.metric("souk_cache_hits_total").await > 0 && b.metric("souk_cache_hits_total").await > 0
    );
}
