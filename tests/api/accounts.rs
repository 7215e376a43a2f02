//! An account's whole life through HTTP: signing out (on every replica at once), out everywhere,
//! changing a password, resetting it through a link read back from a real SMTP server
//! (aiosmtpd), verifying a new buyer's email, `GET/PATCH /v1/me` for every role, and a buyer's
//! address book used at checkout.

use std::time::Duration;

use figment::{Figment, providers::Serialized};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use souk_api_tests::{Env, TestApp, app_test};
use souk_testkit::SmtpServer;

use crate::{
    notifications::{emailing, mails},
    orders::{address, count, place},
};

/// Email through `smtp`, with links to the shop's account page.
fn mailing(smtp: &SmtpServer, figment: Figment) -> Figment {
    emailing(smtp, figment).merge(Serialized::default(
        "auth.links_url",
        "https://souk.ma/compte",
    ))
}

/// The subject and plain text of the emails sent to `to`, oldest first.
fn texts_to(smtp: &SmtpServer, to: &str) -> Vec<(String, String)> {
    mails(smtp)
        .into_iter()
        .filter(|m| m.to.contains(to))
        .map(|m| (m.subject, m.text))
        .collect()
}

/// The token of the last link to `page` sent to `to`, waiting for it up to 20 s.
async fn link_token(smtp: &SmtpServer, to: &str, page: &str, nth: usize) -> String {
    let marker = format!("https://souk.ma/compte/{page}?token=");
    for _ in 0..400 {
        let links: Vec<String> = texts_to(smtp, to)
            .iter()
            .filter_map(|(_, text)| {
                let start = text.find(&marker)? + marker.len();
                let token: String = text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .collect();
                Some(token)
            })
            .collect();
        if links.len() >= nth {
            return links[nth - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no link #{nth} to {page} reached {to}: {:#?}",
        texts_to(smtp, to)
    );
}

async fn delete(app: &TestApp, path: &str, token: &str) -> souk_api_tests::Reply {
    app.call(Method::DELETE, path, Some(token), None).await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> souk_api_tests::Reply {
    app.post(
        "/v1/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_on_one_replica_stops_the_token_on_another_at_once() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let a = env.spawn().await;
    let b = env.spawn().await;
    let token = a.buyer("salma@example.ma").await;
    let other = a.login("salma@example.ma").await;
    // B has the session cached (the second read is served from it)...
    for _ in 0..2 {
        assert_eq!(b.get_as("/v1/me", &token).await.status, StatusCode::OK);
    }
    // ...A signs it out, and B's very next request with it is refused.
    let out = a.post("/v1/auth/logout", Some(&token), json!({})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    b.get_as("/v1/me", &token)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    a.get_as("/v1/me", &token)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // The other session stays, until the account signs out everywhere (on B).
    assert_eq!(a.get_as("/v1/me", &other).await.status, StatusCode::OK);
    let third = b.login("salma@example.ma").await;
    let out = b
        .post("/v1/auth/logout-everywhere", Some(&third), json!({}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
    for session in [&other, &third] {
        a.get_as("/v1/me", session)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        b.get_as("/v1/me", session)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
}

app_test!(async fn a_changed_password_signs_out_the_other_sessions_but_this_one(env) {
    let app = env.spawn().await;
    let here = app.buyer("salma@example.ma").await;
    let phone = app.login("salma@example.ma").await;
    let change = |current: &str| json!({"current_password": current, "new_password": "a newer passphrase"});
    app.post("/v1/me/password", Some(&here), change("not the password"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "wrong_password");
    assert_eq!(app.get_as("/v1/me", &phone).await.status, StatusCode::OK, "a refused change ends nothing");
    let short = app
        .post("/v1/me/password", Some(&here), json!({"current_password": "a long passphrase", "new_password": "short"}))
        .await;
    short.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let changed = app.post("/v1/me/password", Some(&here), change("a long passphrase")).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    app.get_as("/v1/me", &phone).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(app.get_as("/v1/me", &here).await.status, StatusCode::OK);
    sign_in(&app, "salma@example.ma", "a long passphrase")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(sign_in(&app, "salma@example.ma", "a newer passphrase").await.status, StatusCode::OK);
});

app_test!(async fn a_reset_link_works_once_expires_and_tells_no_one_who_has_an_account(env) {
    let Some(smtp) = SmtpServer::start().await else { return };
    let app = env.spawn_with(|f| mailing(&smtp, f)).await;
    let session = app.buyer("salma@example.ma").await;

    // Asked for a known and an unknown address: the same answer.
    let known = app.post("/v1/auth/password-reset", None, json!({"email": "Salma@Example.ma"})).await;
    let unknown = app.post("/v1/auth/password-reset", None, json!({"email": "nobody@example.ma"})).await;
    assert_eq!((known.status, &known.body), (StatusCode::ACCEPTED, &Value::Null));
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
    let first = link_token(&smtp, "salma@example.ma", "reset-password", 1).await;
    assert!(texts_to(&smtp, "nobody@example.ma").is_empty());

    // A wrong token, then the right one: the password changes and every session ends.
    let confirm = |token: &str, password: &str| json!({"token": token, "password": password});
    app.post("/v1/auth/password-reset/confirm", None, confirm("souk_not-a-token", "a newer passphrase"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "token_invalid");
    let reset = app.post("/v1/auth/password-reset/confirm", None, confirm(&first, "a newer passphrase")).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
    app.get_as("/v1/me", &session).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(sign_in(&app, "salma@example.ma", "a newer passphrase").await.status, StatusCode::OK);
    // Once only.
    app.post("/v1/auth/password-reset/confirm", None, confirm(&first, "a third passphrase"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "token_invalid");

    // A link past its time does not work either.
    let again = app.post("/v1/auth/password-reset", None, json!({"email": "salma@example.ma"})).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let second = link_token(&smtp, "salma@example.ma", "reset-password", 2).await;
    let expire = "UPDATE account_tokens SET expires_at = created_at WHERE purpose = 'password_reset' AND used_at IS NULL";
    assert_eq!(execute(&env, expire).await, 1);
    app.post("/v1/auth/password-reset/confirm", None, confirm(&second, "a third passphrase"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "token_invalid");
    assert_eq!(sign_in(&app, "salma@example.ma", "a newer passphrase").await.status, StatusCode::OK);

    // Asking is limited per address asked for (3 an hour by default), known or not: salma's
    // has been asked for twice, nobody's once.
    for (email, expected) in [
        ("salma@example.ma", [StatusCode::ACCEPTED, StatusCode::TOO_MANY_REQUESTS, StatusCode::TOO_MANY_REQUESTS]),
        ("nobody@example.ma", [StatusCode::ACCEPTED, StatusCode::ACCEPTED, StatusCode::TOO_MANY_REQUESTS]),
    ] {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(app.post("/v1/auth/password-reset", None, json!({"email": email})).await.status);
        }
        assert_eq!(statuses, expected, "{email}");
    }
    // No link ever went to integrators' webhooks' topics: account events stay private. Once
    // sent, the links are forgotten: the database keeps their hashes only.
    assert_eq!(count(&env, "SELECT COUNT(*) FROM deliveries WHERE channel = 'webhook'").await, 0);
    let kept = "SELECT COUNT(*) FROM deliveries WHERE topic LIKE 'account.%' AND (status <> 'delivered' OR message IS NOT NULL)";
    let unsent = "SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL";
    link_token(&smtp, "salma@example.ma", "reset-password", 3).await;
    for _ in 0..100 {
        if count(&env, kept).await == 0 && count(&env, unsent).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&env, kept).await, 0, "{}", crate::notifications::dump(&env).await);
    let links = "SELECT COUNT(*) FROM outbox_events WHERE CAST(payload AS TEXT) LIKE '%token=%'";
    assert_eq!(count(&env, links).await, 0);
    assert!(count(&env, "SELECT COUNT(*) FROM outbox_events WHERE topic LIKE 'account.%'").await >= 3);
});

app_test!(async fn a_new_buyer_verifies_their_email_with_the_link_sent_at_sign_up(env) {
    let Some(smtp) = SmtpServer::start().await else { return };
    let app = env.spawn_with(|f| mailing(&smtp, f)).await;
    let signed_up = app
        .post("/v1/auth/register", None, json!({"email": "salma@example.ma", "password": "a long passphrase",
                                                 "display_name": "سلمى", "role": "buyer", "lang": "ar"}))
        .await;
    assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
    assert_eq!(signed_up.body["account"]["email_verified_at"], Value::Null);
    let token = app.login("salma@example.ma").await;
    let link = link_token(&smtp, "salma@example.ma", "verify-email", 1).await;
    let (subject, _) = texts_to(&smtp, "salma@example.ma").remove(0);
    assert_eq!(subject, "أكّد عنوان بريدك الإلكتروني", "in the buyer's language");

    let verified = app.post("/v1/auth/verify-email", None, json!({"token": link})).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(verified.body["email_verified_at"].is_string(), "{}", verified.body);
    let me = app.get_as("/v1/me", &token).await;
    assert_eq!(me.body["account"]["email_verified_at"], verified.body["email_verified_at"]);
    app.post("/v1/auth/verify-email", None, json!({"token": link}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "token_invalid");
    app.post("/v1/me/verification", Some(&token), json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "already_verified");
    // Artisans sign up without one (an agent or the cooperative vouches for them).
    app.artisan("hassan@example.ma").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(texts_to(&smtp, "hassan@example.ma").is_empty());
});

app_test!(async fn every_role_reads_and_changes_itself(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let certifier = env.appoint(&app, "cert@souk.ma", souk_auth::Role::Certifier).await;
    let (agent, _) = app.agent(&admin, "agent@souk.ma").await;
    let (artisan, artisan_id) = app.artisan("hassan@example.ma").await;
    let buyer = app.buyer("salma@example.ma").await;
    for (token, role, email) in [
        (&admin, "admin", "ops@souk.ma"),
        (&certifier, "certifier", "cert@souk.ma"),
        (&agent, "agent", "agent@souk.ma"),
        (&artisan, "artisan", "hassan@example.ma"),
        (&buyer, "buyer", "salma@example.ma"),
    ] {
        let me = app.get_as("/v1/me", token).await;
        assert_eq!(me.status, StatusCode::OK, "{role}: {}", me.body);
        assert_eq!((me.body["account"]["role"].as_str(), me.body["account"]["email"].as_str()), (Some(role), Some(email)));
        let artisan_of = if role == "artisan" { json!(artisan_id) } else { Value::Null };
        assert_eq!(me.body["artisan_id"], artisan_of, "{role}");
    }
    app.call(Method::GET, "/v1/me", None, None).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    let changed = app.patch("/v1/me", Some(&buyer), json!({"display_name": "Salma A.", "lang": "ar"})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!((changed.body["account"]["display_name"].as_str(), changed.body["account"]["lang"].as_str()), (Some("Salma A."), Some("ar")));
    assert_eq!(app.get_as("/v1/me", &buyer).await.body["account"]["lang"], "ar");
    app.patch("/v1/me", Some(&buyer), json!({"display_name": ""}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.patch("/v1/me", Some(&buyer), json!({"role": "admin"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(app.get_as("/v1/me", &buyer).await.body["account"]["role"], "buyer");
});

app_test!(async fn an_order_placed_with_a_saved_address_carries_it(env) {
    let app = env.spawn().await;
    let (potter, _) = app.artisan("hassan@example.ma").await;
    let vase = app
        .product(&potter, json!({"craft": "pottery", "title": {"fr": "Vase"}, "price_minor": 25_000, "stock": 3}))
        .await;
    let buyer = app.buyer("salma@example.ma").await;
    let other = app.buyer("karim@example.ma").await;

    let home = json!({"label": "الدار", "address": address("Meknès", "MA")});
    let saved = app.post("/v1/me/addresses", Some(&buyer), home).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let id = saved.body["id"].as_str().unwrap_or_default().to_owned();
    let mut paris = address("Paris", "FR");
    paris["line1"] = json!("5 rue des Potiers");
    let work = app.post("/v1/me/addresses", Some(&buyer), json!({"label": "Travail", "address": paris})).await;
    assert_eq!(work.status, StatusCode::CREATED, "{}", work.body);
    let bad = app.post("/v1/me/addresses", Some(&buyer), json!({"label": "x", "address": address("Fès", "ma")})).await;
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let listed = app.get_as("/v1/me/addresses", &buyer).await;
    let labels: Vec<&str> = listed.body["items"].as_array().into_iter().flatten().filter_map(|a| a["label"].as_str()).collect();
    assert_eq!(labels, ["Travail", "الدار"], "newest first");
    // Another buyer neither sees it nor orders with it.
    assert_eq!(app.get_as("/v1/me/addresses", &other).await.body["items"], json!([]));
    app.get_as(&format!("/v1/me/addresses/{id}"), &other).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let items = json!([{"product_id": vase, "quantity": 1}]);
    let theirs = json!({"items": items, "payment_method": "cash_on_delivery", "address_id": id});
    place(&app, &other, "k0", theirs).await.assert_problem(StatusCode::NOT_FOUND, "not_found");

    let body = json!({"items": items, "payment_method": "cash_on_delivery", "address_id": id});
    let placed = place(&app, &buyer, "k1", body).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    assert_eq!(placed.body["shipping_address"], address("Meknès", "MA").as_object().map(|a| {
        let mut a = a.clone();
        a.insert("line2".into(), Value::Null);
        a.insert("postal_code".into(), Value::Null);
        Value::Object(a)
    }).unwrap_or_default());
    // The same key and body after the buyer edited the saved address: the same order.
    let edited = app
        .put(&format!("/v1/me/addresses/{id}"), Some(&buyer), json!({"label": "الدار", "address": address("Sefrou", "MA")}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let again = json!({"items": items, "payment_method": "cash_on_delivery", "address_id": id});
    let replayed = place(&app, &buyer, "k1", again).await;
    assert_eq!((replayed.status, &replayed.body["id"]), (StatusCode::OK, &placed.body["id"]), "{}", replayed.body);
    // Both or neither is refused.
    let both = json!({"items": items, "payment_method": "cash_on_delivery", "address_id": id, "shipping_address": address("Fès", "MA")});
    place(&app, &buyer, "k2", both).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Changing or removing the saved address leaves the order's copy as it was.
    let moved = app
        .put(&format!("/v1/me/addresses/{id}"), Some(&buyer), json!({"label": "الدار", "address": address("Ifrane", "MA")}))
        .await;
    assert_eq!(moved.body["address"]["city"], "Ifrane", "{}", moved.body);
    assert_eq!(delete(&app, &format!("/v1/me/addresses/{id}"), &buyer).await.status, StatusCode::NO_CONTENT);
    delete(&app, &format!("/v1/me/addresses/{id}"), &buyer).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let order = app.get_as(&format!("/v1/orders/{}", placed.body["id"].as_str().unwrap_or_default()), &buyer).await;
    assert_eq!(order.body["shipping_address"]["city"], "Meknès");
});

async fn execute(env: &Env, sql: &str) -> u64 {
    use souk_db::sea_orm::ConnectionTrait;
    env.db
        .conn
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows_affected()
}
