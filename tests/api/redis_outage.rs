//! Redis stopped in the middle of a test: reads still succeed from the database, writes still
//! land, and the cache is used again once Redis is back.

use figment::providers::Serialized;
use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::{Env, TestApp};
use souk_testkit::{RedisServer, TestDb};

async fn hits(app: &TestApp) -> u64 {
    app.metric("souk_cache_hits_total{family=\"product\"}")
        .await
}

async fn outage(db: TestDb) {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let env = Env::with(db, Some(redis.url())).await;
    let app = env
        .spawn_with(|f| {
            f.merge(Serialized::default("cache.op_timeout_ms", 200))
                .merge(Serialized::default("cache.retry_after_ms", 200))
        })
        .await;
    let (token, _) = app.artisan("hassan@example.ma").await;
    let id = app
        .product(
            &token,
            json!({"craft": "pottery", "title": {"fr": "Jarre"}, "price_minor": 10_000}),
        )
        .await;
    let path = format!("/v1/products/{id}");
    app.get(&path).await;
    app.get(&path).await;
    assert!(hits(&app).await >= 1);

    redis.stop().await;
    for _ in 0..5 {
        let read = app.get(&path).await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(read.body["price"]["amount_minor"], 10_000);
        assert_eq!(app.get("/v1/products?q=jarre").await.status, StatusCode::OK);
    }
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["cache"], "down");
    let changed = app
        .patch(&path, Some(&token), json!({"price_minor": 12_500}))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(app.get(&path).await.body["price"]["amount_minor"], 12_500);

    redis.restart().await;
    // Once the breaker lets Redis be tried again (200 ms here, later on a loaded machine), a
    // read is stored and the next one is a hit: within 5 s at most.
    let since = std::time::Instant::now();
    loop {
        assert_eq!(app.get(&path).await.body["price"]["amount_minor"], 12_500);
        let before = hits(&app).await;
        assert_eq!(app.get(&path).await.body["price"]["amount_minor"], 12_500);
        if hits(&app).await == before + 1 {
            break;
        }
        assert!(
            since.elapsed() < std::time::Duration::from_secs(5),
            "the cache was not used again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/health/ready").await.body["cache"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_test_on_sqlite() {
    outage(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_test_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    outage(db).await;
}
