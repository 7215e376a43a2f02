//! Health, metrics, the OpenAPI document and the docs page.

use reqwest::StatusCode;
use souk_api_tests::app_test;

app_test!(async fn liveness_and_readiness_answer(env) {
    let app = env.spawn().await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.body["status"], "ok");
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["database"], "ok");
    let cache = if env.redis_url.is_some() { "ok" } else { "disabled" };
    assert_eq!(ready.body["cache"], cache);
    assert_eq!(ready.body["search"], "ok");
});

app_test!(async fn every_answer_carries_a_request_id(env) {
    let app = env.spawn().await;
    let reply = app.get("/v1/crafts").await;
    let id = reply.header("x-request-id");
    let parsed = uuid::Uuid::parse_str(id).unwrap_or_default();
    assert_eq!(parsed.get_version_num(), 7, "{id:?}");
});

app_test!(async fn metrics_count_requests_and_cache_hits_and_misses(env) {
    let app = env.spawn().await;
    app.get("/v1/crafts").await;
    app.get("/v1/crafts").await;
    let text = app.client.get(app.url("/metrics")).send().await.map(|r| r.text());
    let text = match text {
        Ok(body) => body.await.unwrap_or_default(),
        Err(e) => panic!("{e}"),
    };
    assert!(text.contains(r#"souk_http_requests_total{method="GET",route="/v1/crafts",status="200"} 2"#), "{text}");
    assert!(text.contains("souk_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains(r#"souk_cache_hits_total{family="crafts"} 1"#), "{text}");
    assert!(text.contains(r#"souk_cache_misses_total{family="crafts"} 1"#), "{text}");
});

app_test!(async fn the_openapi_document_describes_the_api_and_the_docs_page_is_served(env) {
    let app = env.spawn().await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap_or_default().starts_with("3."));
    for path in ["/v1/products", "/v1/products/{id}", "/v1/artisans/{id}", "/v1/crafts", "/v1/auth/login", "/health/ready"] {
        assert!(doc.body["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
    let page = app.client.get(app.url("/docs/")).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("swagger-ui"), "{html}");
    // The assets are embedded in the binary, not fetched from a CDN.
    let script = app.client.get(app.url("/docs/swagger-ui-bundle.js")).send().await;
    assert_eq!(script.map(|r| r.status()).ok(), Some(StatusCode::OK));
    assert!(!html.contains("cdn."), "the docs page loads assets from a CDN");
});

app_test!(async fn unknown_routes_and_methods_are_problems(env) {
    let app = env.spawn().await;
    app.get("/v1/nothing-here").await.assert_problem(StatusCode::NOT_FOUND, "route_not_found");
    let reply = app.call(reqwest::Method::DELETE, "/v1/crafts", None, None).await;
    reply.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
});
