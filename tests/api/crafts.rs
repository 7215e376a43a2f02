//! The crafts taxonomy over HTTP: operators add, rename and retire crafts; the public list follows.

use reqwest::{Method, StatusCode};
use serde_json::json;
use souk_api_tests::app_test;

app_test!(async fn an_operator_adds_renames_and_retires_a_craft_and_the_public_list_follows(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@example.ma").await;
    let tadelakt = json!({"slug": "tadelakt", "parent": "pottery", "name": {"ar": "تادلاكت", "fr": "Tadelakt"}});
    let added = app.post("/v1/admin/crafts", Some(&admin), tadelakt.clone()).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!((added.body["slug"].as_str(), added.body["parent"].as_str()), (Some("tadelakt"), Some("pottery")));
    app.post("/v1/admin/crafts", Some(&admin), tadelakt).await.assert_problem(StatusCode::CONFLICT, "craft_exists");
    let listed = app.get("/v1/crafts?lang=ar").await;
    let names: Vec<&str> = listed.body["items"].as_array().into_iter().flatten().filter_map(|c| c["name"]["text"].as_str()).collect();
    assert!(names.contains(&"تادلاكت"), "{}", listed.body);

    let renamed = app.call(Method::PATCH, "/v1/admin/crafts/tadelakt?lang=en", Some(&admin), Some(json!({"name": {"en": "Tadelakt plaster"}}))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["names"], json!({"ar": "تادلاكت", "fr": "Tadelakt", "en": "Tadelakt plaster"}));

    let retired = app.post("/v1/admin/crafts/tadelakt/retire", Some(&admin), json!({})).await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.body);
    assert!(retired.body["retired_at"].is_string());
    let public = app.get("/v1/crafts").await;
    assert!(public.body["items"].as_array().into_iter().flatten().all(|c| c["slug"] != "tadelakt"));
    let everything = app.call(Method::GET, "/v1/admin/crafts", Some(&admin), None).await;
    let kept = everything.body["items"].as_array().into_iter().flatten().find(|c| c["slug"] == "tadelakt").cloned();
    assert!(kept.is_some_and(|c| c["retired_at"].is_string()), "{}", everything.body);

    // An artisan cannot sign up with it, nor can anyone but an operator change the taxonomy.
    let signup = json!({
        "email": "b@example.ma", "password": "a long passphrase", "display_name": "B", "role": "artisan",
        "artisan": {"name": {"fr": "B"}, "commune": "Fès", "crafts": ["tadelakt"]}
    });
    app.post("/v1/auth/register", None, signup).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (artisan, _) = app.artisan("hassan@example.ma").await;
    let other = json!({"slug": "other", "name": {"fr": "Autre"}});
    app.post("/v1/admin/crafts", Some(&artisan), other.clone()).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post("/v1/admin/crafts", None, other).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.call(Method::GET, "/v1/admin/crafts", Some(&artisan), None).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post("/v1/admin/crafts/rocketry/retire", Some(&admin), json!({})).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
});
