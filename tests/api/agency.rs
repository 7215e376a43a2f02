//! Selling through agents over HTTP: who may act for whom, consent, the audit trail, and the
//! one-time claim code.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{TestApp, app_test, onboarding};
use uuid::Uuid;

fn product_for(artisan: &str) -> Value {
    json!({
        "artisan_id": artisan,
        "craft": "pottery",
        "title": {"ar": "طاجين صفرو", "fr": "Tajine de Sefrou"},
        "price_minor": 25_000,
        "stock": 1
    })
}

async fn sync(app: &TestApp, token: &str, operations: Vec<Value>) -> souk_api_tests::Reply {
    app.post(
        "/v1/agent/sync",
        Some(token),
        json!({"operations": operations}),
    )
    .await
}

fn photo() -> String {
    base64::engine::general_purpose::STANDARD.encode(souk_media::fixtures::png(40, 30, false))
}

app_test!(async fn an_agent_gets_403_on_every_write_path_for_an_artisan_not_theirs(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "admin@souk.ma").await;
    let (agent_a, _) = app.agent(&admin, "a@agents.ma").await;
    let (agent_b, _) = app.agent(&admin, "b@agents.ma").await;
    let artisan = app.onboard(&agent_a, "Fatima").await;
    let product = app.product(&agent_a, product_for(&artisan)).await;
    let (own_token, self_registered) = app.artisan("hassan@example.ma").await;
    let theirs = app.product(&own_token, json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 9_000})).await;

    // Direct API: list, edit, photograph, claim code, payout.
    for target in [&artisan, &self_registered] {
        app.post("/v1/products", Some(&agent_b), product_for(target)).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    app.post("/v1/products", Some(&agent_a), product_for(&self_registered)).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    for id in [&product, &theirs] {
        app.patch(&format!("/v1/products/{id}"), Some(&agent_b), json!({"price_minor": 1})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
        app.upload(&format!("/v1/products/{id}/photos"), &agent_b, &souk_media::fixtures::png(40, 30, false)).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    app.post(&format!("/v1/agent/artisans/{artisan}/claim-code"), Some(&agent_b), json!({})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.put(&format!("/v1/artisans/{artisan}/payout"), Some(&agent_b), json!({"method": "cash_via_agent"})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get_as(&format!("/v1/artisans/{artisan}/record"), &agent_b).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Sync: the same writes, each refused on its own.
    let ops = vec![
        json!({"id": Uuid::now_v7(), "type": "create_product", "product_id": Uuid::now_v7(), "data": product_for(&artisan)}),
        json!({"id": Uuid::now_v7(), "type": "update_product", "product_id": product, "base_version": 1, "data": {"price_minor": 1}}),
        json!({"id": Uuid::now_v7(), "type": "update_product", "product_id": theirs, "base_version": 1, "data": {"price_minor": 1}}),
        json!({"id": Uuid::now_v7(), "type": "attach_photo", "product_id": product, "data": {"content_base64": photo()}}),
    ];
    let reply = sync(&app, &agent_b, ops).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let results = reply.body["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 4);
    for result in &results {
        assert_eq!(result["status"], "rejected", "{result}");
        assert_eq!(result["problem"]["status"], 403, "{result}");
        assert_eq!(result["problem"]["code"], "forbidden", "{result}");
    }

    // Nothing changed, and nothing was stored.
    for id in [&product, &theirs] {
        let now = app.get(&format!("/v1/products/{id}")).await;
        assert_eq!(now.body["version"], 1, "{}", now.body);
        assert_eq!(now.body["photos"], json!([]));
    }
    assert!(env.photo_files().is_empty(), "{:?}", env.photo_files());
    let listed = app.get(&format!("/v1/products?artisan={artisan}")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));

    // The agent's own artisan: the same writes succeed, and the product says it was listed
    // through an agent while naming the artisan as its maker.
    let page = app.get(&format!("/v1/products/{product}")).await;
    assert_eq!(page.body["listed_through_agent"], true);
    assert_eq!(page.body["artisan"]["id"], artisan.as_str());
    let changed = app.patch(&format!("/v1/products/{product}"), Some(&agent_a), json!({"price_minor": 26_000, "version": 1})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
});

app_test!(async fn without_a_consent_record_there_is_no_listing(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "admin@souk.ma").await;
    let (agent, agent_id) = app.agent(&admin, "a@agents.ma").await;
    let mut body = onboarding("Khadija");
    body.as_object_mut().map(|o| o.remove("consent"));
    app.post("/v1/agent/artisans", Some(&agent), body.clone()).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "consent_required");
    let reply = sync(&app, &agent, vec![json!({"id": Uuid::now_v7(), "type": "onboard_artisan", "artisan_id": Uuid::now_v7(), "data": body})]).await;
    assert_eq!(reply.body["results"][0]["problem"]["code"], "consent_required", "{}", reply.body);
    let mine = app.get_as("/v1/agent/artisans", &agent).await;
    assert_eq!(mine.body["items"], json!([]), "nothing onboarded: {}", mine.body);

    // An artisan with neither an account nor a consent (imported before agents existed):
    // assigned to an agent, still nobody lists for them.
    let cache = souk_cache::Cache::in_process("seed", std::time::Duration::from_secs(1), 10);
    let catalog = souk_catalog::Catalog::new(env.db.conn.clone(), cache, souk_catalog::CatalogSettings::default());
    souk_demo::seed_demo(&catalog).await.unwrap_or_else(|e| panic!("{e}"));
    // Written by another process: this replica's search finds it in the change log within a second.
    let mut listed = app.get("/v1/products?limit=1").await;
    for _ in 0..100 {
        if listed.body["items"][0]["artisan"]["id"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        listed = app.get("/v1/products?limit=1").await;
    }
    let unconsented = listed.body["items"][0]["artisan"]["id"].as_str().unwrap_or_default().to_owned();
    let assigned = app.put(&format!("/v1/admin/artisans/{unconsented}/agent"), Some(&admin), json!({"agent_id": agent_id})).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    app.post("/v1/products", Some(&agent), product_for(&unconsented)).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "consent_required");
    app.post("/v1/products", Some(&admin), product_for(&unconsented)).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "consent_required");
});

app_test!(async fn the_audit_trail_records_actor_and_subject_of_every_write(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "admin@souk.ma").await;
    let (agent, agent_id) = app.agent(&admin, "a@agents.ma").await;
    let artisan = app.onboard(&agent, "Fatima").await;
    let product = app.product(&agent, product_for(&artisan)).await;
    let reply = sync(&app, &agent, vec![
        json!({"id": Uuid::now_v7(), "type": "update_product", "product_id": product, "base_version": 1, "data": {"price_minor": 27_500}}),
    ]).await;
    assert_eq!(reply.body["results"][0]["status"], "applied", "{}", reply.body);
    let uploaded = app.upload(&format!("/v1/products/{product}/photos"), &agent, &souk_media::fixtures::png(64, 48, false)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let code = app.post(&format!("/v1/agent/artisans/{artisan}/claim-code"), Some(&agent), json!({})).await;
    let claimed = app.post("/v1/artisans/claim", None, json!({"code": code.body["code"], "email": "fatima@example.ma", "password": "a long passphrase"})).await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.body);
    let artisan_account = claimed.body["account"]["id"].as_str().unwrap_or_default().to_owned();
    let own = app.login("fatima@example.ma").await;
    let paid = app.put(&format!("/v1/artisans/{artisan}/payout"), Some(&own), json!({"method": "mobile_wallet", "provider": "Orange Money", "phone": "0661234567"})).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);

    let trail = app.get_as(&format!("/v1/artisans/{artisan}/audit"), &admin).await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
    let entries: Vec<Value> = trail.body["items"].as_array().cloned().unwrap_or_default();
    let seen: Vec<(String, String, String, String, String)> = entries.iter().rev().map(|e| (
        e["action"].as_str().unwrap_or_default().to_owned(),
        e["actor_id"].as_str().unwrap_or_default().to_owned(),
        e["actor_role"].as_str().unwrap_or_default().to_owned(),
        e["subject_id"].as_str().unwrap_or_default().to_owned(),
        e["via"].as_str().unwrap_or_default().to_owned(),
    )).collect();
    let expect = |a: &str, actor: &str, role: &str, subject: &str, via: &str| (a.to_owned(), actor.to_owned(), role.to_owned(), subject.to_owned(), via.to_owned());
    assert_eq!(seen, vec![
        expect("artisan.onboarded", &agent_id, "agent", &artisan, "api"),
        expect("product.created", &agent_id, "agent", &product, "api"),
        expect("product.updated", &agent_id, "agent", &product, "sync"),
        expect("product.photo_added", &agent_id, "agent", &product, "api"),
        expect("artisan.claim_code_issued", &agent_id, "agent", &artisan, "api"),
        expect("artisan.claimed", &artisan_account, "artisan", &artisan, "api"),
        expect("artisan.payout_changed", &artisan_account, "artisan", &artisan, "api"),
    ], "{}", trail.body);
    for entry in &entries {
        assert_eq!(entry["artisan_id"], artisan.as_str());
    }
    // What changed, field by field; account numbers masked.
    let update = &entries[4];
    assert_eq!(update["changes"]["price_minor"], json!({"from": 25_000, "to": 27_500}), "{update}");
    let payout = &entries[0];
    assert_eq!(payout["changes"]["payout"]["to"]["phone"], "••••4567", "{payout}");

    // The artisan reads their own trail; their agent and other artisans do not.
    assert_eq!(app.get_as(&format!("/v1/artisans/{artisan}/audit"), &own).await.status, StatusCode::OK);
    app.get_as(&format!("/v1/artisans/{artisan}/audit"), &agent).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let (other, _) = app.artisan("other@example.ma").await;
    app.get_as(&format!("/v1/artisans/{artisan}/audit"), &other).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
});

app_test!(async fn a_claim_code_works_once_and_only_once(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "admin@souk.ma").await;
    let (agent, _) = app.agent(&admin, "a@agents.ma").await;
    let artisan = app.onboard(&agent, "Fatima").await;
    let product = app.product(&agent, product_for(&artisan)).await;
    let issued = app.post(&format!("/v1/agent/artisans/{artisan}/claim-code"), Some(&agent), json!({})).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let code = issued.body["code"].as_str().unwrap_or_default().to_owned();

    // Two claims at once with the same code: exactly one wins.
    let claim = |email: &'static str, code: String| {
        let app = &app;
        async move { app.post("/v1/artisans/claim", None, json!({"code": code, "email": email, "password": "a long passphrase"})).await }
    };
    let typed = code.to_lowercase().replace('-', " ");
    let (first, second) = tokio::join!(claim("fatima@example.ma", code.clone()), claim("imposter@example.ma", typed));
    let statuses = [first.status, second.status];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{} / {}", first.body, second.body);
    let loser = if first.status == StatusCode::CREATED { &second } else { &first };
    loser.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_claim_code");
    // Used: it never works again, and the losing email got no account.
    claim("third@example.ma", code.clone()).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_claim_code");
    let winner = if first.status == StatusCode::CREATED { "fatima@example.ma" } else { "imposter@example.ma" };
    let loser_email = if winner == "fatima@example.ma" { "imposter@example.ma" } else { "fatima@example.ma" };
    let login = app.post("/v1/auth/login", None, json!({"email": loser_email, "password": "a long passphrase"})).await;
    login.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    app.post(&format!("/v1/agent/artisans/{artisan}/claim-code"), Some(&agent), json!({})).await.assert_problem(StatusCode::CONFLICT, "already_claimed");

    // From now on the agent has what the artisan grants: products by default, not payouts.
    let own = app.login(winner).await;
    let edit = app.patch(&format!("/v1/products/{product}"), Some(&agent), json!({"stock": 2})).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    app.put(&format!("/v1/artisans/{artisan}/payout"), Some(&agent), json!({"method": "cash_via_agent"})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let own_edit = app.patch(&format!("/v1/products/{product}"), Some(&own), json!({"stock": 3})).await;
    assert_eq!(own_edit.status, StatusCode::OK, "{}", own_edit.body);
    let revoked = app.put(&format!("/v1/artisans/{artisan}/agent-grants"), Some(&own), json!({"products": false, "payout": false})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    app.patch(&format!("/v1/products/{product}"), Some(&agent), json!({"stock": 4})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.put(&format!("/v1/artisans/{artisan}/agent-grants"), Some(&agent), json!({"products": true, "payout": true})).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
});
