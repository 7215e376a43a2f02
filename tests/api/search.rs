//! Search and listing over HTTP (the equivalences themselves are tested case by case in the
//! catalog crate, on both databases).

use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::app_test;

fn product(title: serde_json::Value, craft: &str, price: i64) -> serde_json::Value {
    json!({"craft": craft, "title": title, "price_minor": price})
}

app_test!(async fn searches_in_arabic_and_french_find_the_same_piece(env) {
    let app = env.spawn().await;
    let (token, _) = app.artisan("a@example.ma").await;
    let tajine = app.product(&token, product(json!({"ar": "طاجين فَخّار مزخرف", "fr": "Tajine en poterie décorée"}), "pottery", 30_000)).await;
    app.product(&token, product(json!({"fr": "Table en zellige"}), "zellige", 400_000)).await;
    for q in ["فخار", "فخـار", "طاجين", "poterie decoree", "POTERIE", "tajin", "tajinne"] {
        let found = app.client.get(app.url("/v1/products")).query(&[("q", q)]).send().await;
        let found = souk_api_tests::Reply::read(found.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(found.status, StatusCode::OK, "{q}");
        assert_eq!(found.body["items"][0]["id"], tajine.as_str(), "{q}: {}", found.body);
    }
});

app_test!(async fn listings_filter_sort_and_page(env) {
    let app = env.spawn().await;
    let (token, artisan) = app.artisan("a@example.ma").await;
    let (other, _) = app.artisan("b@example.ma").await;
    let mut ids = Vec::new();
    for (i, price) in [5_000, 1_000, 3_000, 4_000, 2_000].into_iter().enumerate() {
        ids.push(app.product(&token, product(json!({"fr": format!("Bol {i}")}), "pottery", price)).await);
    }
    app.product(&other, product(json!({"fr": "Tapis"}), "weaving", 90_000)).await;

    let cheap_first = app.get(&format!("/v1/products?artisan={artisan}&sort=price_asc&limit=2")).await;
    let prices: Vec<i64> = cheap_first.body["items"].as_array().into_iter().flatten().map(|p| p["price"]["amount_minor"].as_i64().unwrap_or(0)).collect();
    assert_eq!(prices, [1_000, 2_000]);
    let cursor = cheap_first.body["next_cursor"].as_str().unwrap_or_default().to_owned();
    let next = app.client.get(app.url("/v1/products")).query(&[("artisan", artisan.as_str()), ("sort", "price_asc"), ("limit", "2"), ("cursor", &cursor)]).send().await;
    let next = souk_api_tests::Reply::read(next.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(next.body["items"][0]["price"]["amount_minor"], 3_000);

    let in_range = app.get("/v1/products?craft=pottery&price_min=2000&price_max=4000").await;
    assert_eq!(in_range.body["items"].as_array().map(Vec::len), Some(3));
    let weaving = app.get("/v1/products?craft=weaving").await;
    assert_eq!(weaving.body["items"].as_array().map(Vec::len), Some(1));
    app.get("/v1/products?craft=rocketry").await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.get("/v1/products?price_min=5&price_max=1").await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.get("/v1/products?sort=relevance").await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.get("/v1/products?cursor=bogus").await.assert_problem(StatusCode::BAD_REQUEST, "invalid_cursor");
    app.get("/v1/products?limit=1000").await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let newest = app.get("/v1/products?limit=1").await;
    assert_eq!(newest.body["items"][0]["title"]["text"], "Tapis");
    let uncertified = app.get("/v1/products?certified=true").await;
    assert_eq!(uncertified.body["items"], json!([]));
});

app_test!(async fn an_operator_adds_forms_to_the_vocabulary_of_the_trade(env) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("vocabulary.txt");
    // A group of its own, and a form joining one of Souk's groups (tajine, tagine, tajin).
    std::fs::write(&file, "# the operator's words\nhanbel, handira\ntajine, طاجين\n").unwrap_or_else(|e| panic!("{e}"));
    let path = file.display().to_string();
    let app = env.spawn_with(|f| f.merge(figment::providers::Serialized::default("search.vocabulary_file", &path))).await;
    let (token, _) = app.artisan("a@example.ma").await;
    let handira = app.product(&token, product(json!({"fr": "Handira de mariage"}), "weaving", 90_000)).await;
    let tajine = app.product(&token, product(json!({"ar": "طاجين الفخار"}), "pottery", 30_000)).await;
    for (q, id) in [("hanbel", &handira), ("tagine", &tajine), ("tajine", &tajine)] {
        let found = app.client.get(app.url("/v1/products")).query(&[("q", q)]).send().await;
        let found = souk_api_tests::Reply::read(found.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(found.body["items"][0]["id"], id.as_str(), "{q}: {}", found.body);
    }
});
