//! Sign-up and sign-in over HTTP.

use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::app_test;

app_test!(async fn a_buyer_signs_up_signs_in_and_a_token_is_required_to_list(env) {
    let app = env.spawn().await;
    let token = app.buyer("amina@example.ma").await;
    assert!(token.starts_with("souk_"));
    let body = json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 100});
    // A buyer cannot list products; nobody can without a token, or with a bad one.
    app.post("/v1/products", Some(&token), body.clone()).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let anonymous = app.post("/v1/products", None, body.clone()).await;
    anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(anonymous.header("www-authenticate"), "Bearer");
    let forged = app.post("/v1/products", Some("souk_forged"), body).await;
    forged.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
});

app_test!(async fn signing_up_twice_with_one_email_is_a_conflict(env) {
    let app = env.spawn().await;
    app.buyer("twice@example.ma").await;
    let again = json!({"email": "TWICE@example.ma", "password": "a long passphrase", "display_name": "B", "role": "buyer"});
    app.post("/v1/auth/register", None, again).await.assert_problem(StatusCode::CONFLICT, "email_taken");
});

app_test!(async fn appointed_roles_cannot_be_chosen_at_sign_up(env) {
    let app = env.spawn().await;
    let admin = json!({"email": "x@example.ma", "password": "a long passphrase", "display_name": "X", "role": "admin"});
    let reply = app.post("/v1/auth/register", None, admin).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
});

app_test!(async fn an_artisan_needs_a_profile_and_a_buyer_must_not_send_one(env) {
    let app = env.spawn().await;
    let bare = json!({"email": "a@example.ma", "password": "a long passphrase", "display_name": "A", "role": "artisan"});
    let reply = app.post("/v1/auth/register", None, bare).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "artisan");
    let unknown_craft = json!({
        "email": "b@example.ma", "password": "a long passphrase", "display_name": "B", "role": "artisan",
        "artisan": {"name": {"fr": "B"}, "commune": "Fès", "crafts": ["rocketry"]}
    });
    let reply = app.post("/v1/auth/register", None, unknown_craft).await;
    reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Nothing half-written: the email is still free.
    let (token, _) = app.artisan("b@example.ma").await;
    assert!(!token.is_empty());
});

app_test!(async fn signing_in_with_a_nul_in_the_email_is_refused_not_a_500(env) {
    let app = env.spawn().await;
    // What the fuzz test found: PostgreSQL's text holds no NUL, and the address was looked up.
    // A JSON array fills the fields in order, as serde reads a struct from a sequence.
    for body in [json!(["\u{0}\u{202e}", "__-a"]), json!({"email": "a\u{0}@example.ma", "password": "a long passphrase"})] {
        let reply = app.post("/v1/auth/login", None, body).await;
        reply.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
});

app_test!(async fn wrong_passwords_are_refused_and_then_rate_limited(env) {
    let app = env
        .spawn_with(|f| f.merge(figment::providers::Serialized::default("auth.login_limit_per_account", 3)))
        .await;
    app.buyer("limited@example.ma").await;
    let wrong = json!({"email": "limited@example.ma", "password": "not the passphrase"});
    // One attempt was the sign-in of `buyer`; two more wrong ones fill the window.
    for _ in 0..2 {
        app.post("/v1/auth/login", None, wrong.clone()).await.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let right = json!({"email": "limited@example.ma", "password": "a long passphrase"});
    let limited = app.post("/v1/auth/login", None, right).await;
    limited.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(limited.header("retry-after").parse::<u64>().unwrap_or(0) >= 1);
});

app_test!(async fn sign_in_is_limited_per_client_address(env) {
    let app = env
        .spawn_with(|f| f.merge(figment::providers::Serialized::default("auth.login_limit_per_address", 4)))
        .await;
    for n in 0..4 {
        let attempt = json!({"email": format!("nobody{n}@example.ma"), "password": "whatever pass"});
        app.post("/v1/auth/login", None, attempt).await.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let fifth = json!({"email": "other@example.ma", "password": "whatever pass"});
    app.post("/v1/auth/login", None, fifth).await.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
});
