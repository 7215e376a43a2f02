//! Products over HTTP: creating, reading, changing, and who may.

use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::app_test;

fn bowl() -> serde_json::Value {
    json!({
        "craft": "pottery",
        "title": {"ar": "زلافة زرقاء", "fr": "Bol bleu", "en": "Blue bowl"},
        "description": {"fr": "Bol émaillé, fait main à Fès."},
        "default_lang": "fr",
        "materials": ["argile", "émail"],
        "dimensions_mm": {"length": 160, "width": 160, "height": 70},
        "weight_g": 450,
        "price_minor": 12_000,
        "stock": 1
    })
}

app_test!(async fn an_artisan_lists_a_product_and_anyone_reads_it_in_their_language(env) {
    let app = env.spawn().await;
    let (token, artisan_id) = app.artisan("hassan@example.ma").await;
    let created = app.post("/v1/products", Some(&token), bowl()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(created.header("location"), format!("/v1/products/{id}"));
    assert_eq!(created.body["price"], json!({"amount_minor": 12_000, "currency": "MAD"}));
    assert_eq!(created.body["artisan"]["id"], artisan_id.as_str());
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["listed_on_behalf"], false);

    let arabic = app.client.get(app.url(&format!("/v1/products/{id}"))).header("accept-language", "ar-MA,fr;q=0.5").send().await;
    let arabic = souk_api_tests::Reply::read(arabic.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(arabic.status, StatusCode::OK);
    assert_eq!(arabic.body["title"], json!({"text": "زلافة زرقاء", "lang": "ar", "dir": "rtl"}));
    assert_eq!(arabic.header("content-language"), "ar");
    // No Arabic description: the fallback language answers, and says so.
    assert_eq!(arabic.body["description"]["lang"], "fr");

    let english = app.get(&format!("/v1/products/{id}?lang=en")).await;
    assert_eq!(english.body["title"]["text"], "Blue bowl");
    // Buyers get one language; editors ask for all of them.
    assert!(english.body.get("translations").is_none());
    assert_eq!(english.body["languages"], json!(["ar", "fr", "en"]));
    let all = app.get(&format!("/v1/products/{id}?include=translations")).await;
    assert_eq!(all.body["translations"]["title"]["en"], "Blue bowl");
    app.get(&format!("/v1/products/{id}?include=everything")).await.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
    app.get(&format!("/v1/products/{id}?lang=de")).await.assert_problem(StatusCode::BAD_REQUEST, "invalid_query");

    let profile = app.get(&format!("/v1/artisans/{artisan_id}?lang=ar")).await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["name"]["text"], "حسن بناني");
    assert_eq!(profile.body["crafts"], json!(["pottery"]));
});

app_test!(async fn an_artisan_editing_another_artisans_product_gets_403(env) {
    let app = env.spawn().await;
    let (owner, _) = app.artisan("owner@example.ma").await;
    let (other, _) = app.artisan("other@example.ma").await;
    let id = app.product(&owner, bowl()).await;
    let path = format!("/v1/products/{id}");
    app.patch(&path, Some(&other), json!({"price_minor": 1})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.patch(&path, None, json!({"price_minor": 1})).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let buyer = app.buyer("buyer@example.ma").await;
    app.patch(&path, Some(&buyer), json!({"price_minor": 1})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.get(&path).await.body["price"]["amount_minor"], 12_000);

    let changed = app.patch(&path, Some(&owner), json!({"price_minor": 15_000, "title": {"fr": "Bol bleu nuit"}})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["version"], 2);
    // Languages not sent are kept.
    assert_eq!(changed.body["translations"]["title"]["ar"], "زلافة زرقاء");
    assert_eq!(app.get(&path).await.body["price"]["amount_minor"], 15_000);
});

app_test!(async fn a_change_based_on_an_old_version_is_a_conflict(env) {
    let app = env.spawn().await;
    let (owner, _) = app.artisan("owner@example.ma").await;
    let id = app.product(&owner, bowl()).await;
    let path = format!("/v1/products/{id}");
    assert_eq!(app.patch(&path, Some(&owner), json!({"stock": 2, "version": 1})).await.status, StatusCode::OK);
    let stale = app.patch(&path, Some(&owner), json!({"stock": 5, "version": 1})).await;
    stale.assert_problem(StatusCode::CONFLICT, "version_conflict");
    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&owner)
        .header("if-match", "\"1\"")
        .json(&json!({"stock": 7}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    souk_api_tests::Reply::read(stale).await.assert_problem(StatusCode::CONFLICT, "version_conflict");
    assert_eq!(app.get(&path).await.body["stock"], 2);
});

app_test!(async fn drafts_are_hidden_from_the_public(env) {
    let app = env.spawn().await;
    let (owner, _) = app.artisan("owner@example.ma").await;
    let mut draft = bowl();
    draft["status"] = json!("draft");
    let id = app.product(&owner, draft).await;
    let path = format!("/v1/products/{id}");
    app.get(&path).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let own = app.call(reqwest::Method::GET, &path, Some(&owner), None).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["status"], "draft");
    let listing = app.get("/v1/products").await;
    assert_eq!(listing.body["items"], json!([]));
    // Published, it shows.
    app.patch(&path, Some(&owner), json!({"status": "active"})).await;
    assert_eq!(app.get("/v1/products").await.body["items"][0]["id"], id.as_str());
});

app_test!(async fn invalid_products_are_refused_with_the_field_named(env) {
    let app = env.spawn().await;
    let (owner, _) = app.artisan("owner@example.ma").await;
    for (change, field) in [
        (json!({"price_minor": 0}), "price_minor"),
        (json!({"stock": -3}), "stock"),
        (json!({"craft": "spaceships"}), "craft"),
        (json!({"weight_g": 5_000_000}), "weight_g"),
        (json!({"title": {"fr": ""}}), "title.fr"),
        (json!({"photos": ["javascript:alert(1)"]}), "photos[0]"),
        (json!({"materials": vec!["x"; 21]}), "materials"),
        (json!({"lead_time_days": 400}), "lead_time_days"),
        (json!({"currency": "EUR"}), "currency"),
    ] {
        let mut body = bowl();
        for (k, v) in change.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let reply = app.post("/v1/products", Some(&owner), body).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
    }
    let mut unknown_language = bowl();
    unknown_language["title"] = json!({"de": "Schale"});
    app.post("/v1/products", Some(&owner), unknown_language).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let mut unknown_field = bowl();
    unknown_field["colour"] = json!("blue");
    app.post("/v1/products", Some(&owner), unknown_field).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(app.get("/v1/products").await.body["items"], json!([]));
});

app_test!(async fn bodies_that_are_not_json_or_too_large_are_refused(env) {
    let app = env.spawn().await;
    let (owner, _) = app.artisan("owner@example.ma").await;
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client.post(app.url("/v1/products")).bearer_auth(&owner).header("content-type", content_type).body(body).send()
    };
    let reply = souk_api_tests::Reply::read(send(b"{not json".to_vec(), "application/json").await.unwrap_or_else(|e| panic!("{e}"))).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    let reply = souk_api_tests::Reply::read(send(b"{}".to_vec(), "text/plain").await.unwrap_or_else(|e| panic!("{e}"))).await;
    reply.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let reply = souk_api_tests::Reply::read(send(vec![0xff, 0xfe, 0x00], "application/json").await.unwrap_or_else(|e| panic!("{e}"))).await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    let mut huge = bowl();
    huge["description"] = json!({"fr": "x".repeat(200_000)});
    let reply = souk_api_tests::Reply::read(send(huge.to_string().into_bytes(), "application/json").await.unwrap_or_else(|e| panic!("{e}"))).await;
    reply.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
});
