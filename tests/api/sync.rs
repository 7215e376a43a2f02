//! Offline batch sync: each operation applied exactly once, however the batch is retried.

use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{Reply, TestApp, app_test, onboarding};
use uuid::Uuid;

async fn sync(app: &TestApp, token: &str, operations: &[Value]) -> Reply {
    app.post(
        "/v1/agent/sync",
        Some(token),
        json!({"operations": operations}),
    )
    .await
}

fn statuses(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|o| o["status"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A day in the field: onboard an artisan, list two pieces, fix a price.
fn field_day() -> (Vec<Value>, String, [String; 2]) {
    let artisan = Uuid::now_v7().to_string();
    let products = [Uuid::now_v7().to_string(), Uuid::now_v7().to_string()];
    let product = |id: &str, fr: &str| {
        json!({
            "id": Uuid::now_v7(), "type": "create_product", "product_id": id,
            "data": {"artisan_id": artisan, "craft": "pottery", "title": {"fr": fr}, "price_minor": 15_000}
        })
    };
    let ops = vec![
        json!({"id": Uuid::now_v7(), "type": "onboard_artisan", "artisan_id": artisan, "data": onboarding("Aicha")}),
        product(&products[0], "Plat à couscous"),
        product(&products[1], "Jarre"),
        json!({"id": Uuid::now_v7(), "type": "update_product", "product_id": products[0], "base_version": 1, "data": {"price_minor": 17_500}}),
    ];
    (ops, artisan, products)
}

async fn setup(env: &souk_api_tests::Env) -> (TestApp, String) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "admin@souk.ma").await;
    let (agent, _) = app.agent(&admin, "a@agents.ma").await;
    (app, agent)
}

app_test!(async fn the_same_batch_sent_three_times_applies_once(env) {
    let (app, agent) = setup(&env).await;
    let (ops, artisan, products) = field_day();
    let first = sync(&app, &agent, &ops).await;
    assert_eq!(statuses(&first), vec!["applied"; 4]);
    for _ in 0..2 {
        let again = sync(&app, &agent, &ops).await;
        assert_eq!(statuses(&again), vec!["already_applied"; 4]);
        // The same answers as the first time.
        assert_eq!(again.body["results"][3]["result"], first.body["results"][3]["result"]);
    }
    let plate = app.get(&format!("/v1/products/{}", products[0])).await;
    assert_eq!(plate.body["version"], 2, "updated once: {}", plate.body);
    assert_eq!(plate.body["price"]["amount_minor"], 17_500);
    let listed = app.get(&format!("/v1/products?artisan={artisan}")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));
    let mine = app.get_as("/v1/agent/artisans", &agent).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
});

app_test!(async fn a_batch_cut_off_half_way_and_sent_again_applies_each_operation_once(env) {
    let (app, agent) = setup(&env).await;
    let (ops, artisan, products) = field_day();
    // The phone sent the batch; the server applied the first half; the answer never arrived.
    let half = sync(&app, &agent, &ops[..2]).await;
    assert_eq!(statuses(&half), vec!["applied"; 2]);
    let resent = sync(&app, &agent, &ops).await;
    assert_eq!(statuses(&resent), vec!["already_applied", "already_applied", "applied", "applied"]);
    let plate = app.get(&format!("/v1/products/{}", products[0])).await;
    assert_eq!(plate.body["version"], 2, "{}", plate.body);
    let listed = app.get(&format!("/v1/products?artisan={artisan}")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));

    // Two copies of a batch at once (a retry racing the original): still once each.
    let (more, _, more_products) = field_day();
    let (a, b) = tokio::join!(sync(&app, &agent, &more), sync(&app, &agent, &more));
    let (a, b) = (statuses(&a), statuses(&b));
    for i in 0..more.len() {
        let mut pair = [a[i].as_str(), b[i].as_str()];
        pair.sort_unstable();
        assert_eq!(pair, ["already_applied", "applied"], "operation {i}: {a:?} {b:?}");
    }
    let plate = app.get(&format!("/v1/products/{}", more_products[0])).await;
    assert_eq!(plate.body["version"], 2, "{}", plate.body);
});

app_test!(async fn a_stale_version_is_a_conflict_and_leaves_the_record_unchanged(env) {
    let (app, agent) = setup(&env).await;
    let (ops, _, products) = field_day();
    assert_eq!(statuses(&sync(&app, &agent, &ops).await), vec!["applied"; 4]);
    // Edited offline from version 1, but the server is at version 2.
    let stale = json!({"id": Uuid::now_v7(), "type": "update_product", "product_id": products[0], "base_version": 1, "data": {"price_minor": 1_000, "stock": 9}});
    let reply = sync(&app, &agent, std::slice::from_ref(&stale)).await;
    assert_eq!(statuses(&reply), vec!["conflict"]);
    assert_eq!(reply.body["results"][0]["current_version"], 2);
    assert_eq!(reply.body["results"][0]["problem"]["code"], "version_conflict");
    let plate = app.get(&format!("/v1/products/{}", products[0])).await;
    assert_eq!(plate.body["version"], 2);
    assert_eq!(plate.body["price"]["amount_minor"], 17_500);
    assert_eq!(plate.body["stock"], 1);
    // Not recorded as applied: the phone may rebase and send it again under a new id.
    assert_eq!(statuses(&sync(&app, &agent, &[stale]).await), vec!["conflict"]);
    // A reused id with a different operation is refused, not answered from the old one.
    let reused = json!({"id": ops[3]["id"], "type": "update_product", "product_id": products[0], "base_version": 2, "data": {"price_minor": 5}});
    let reply = sync(&app, &agent, &[reused]).await;
    assert_eq!(reply.body["results"][0]["problem"]["code"], "operation_id_reused", "{}", reply.body);
    // An operation that cannot be read is refused on its own; the rest go on.
    let unreadable = json!({"id": Uuid::now_v7(), "type": "teleport_product"});
    let fine = json!({"id": Uuid::now_v7(), "type": "update_product", "product_id": products[1], "base_version": 1, "data": {"stock": 2}});
    let reply = sync(&app, &agent, &[json!({"type": "no id"}), unreadable, fine]).await;
    assert_eq!(statuses(&reply), vec!["rejected", "rejected", "applied"]);
    assert_eq!(reply.body["results"][1]["problem"]["code"], "unsupported_operation");
});

app_test!(async fn a_thousand_operations_complete_and_an_oversized_batch_writes_nothing(env) {
    let (app, agent) = setup(&env).await;
    let artisan = app.onboard(&agent, "Rachid").await;
    let make = |n: usize| -> Vec<Value> {
        (0..n).map(|i| json!({
            "id": Uuid::now_v7(), "type": "create_product", "product_id": Uuid::now_v7(),
            "data": {"artisan_id": artisan, "craft": "pottery", "title": {"fr": format!("Pièce {i}")}, "price_minor": 10_000 + i}
        })).collect()
    };
    let thousand = make(1_000);
    let reply = sync(&app, &agent, &thousand).await;
    let done = statuses(&reply);
    assert_eq!(done.len(), 1_000);
    assert!(done.iter().all(|s| s == "applied"), "{:?}", done.iter().find(|s| *s != "applied"));
    let last = thousand[999]["product_id"].as_str().unwrap_or_default();
    assert_eq!(app.get(&format!("/v1/products/{last}")).await.status, StatusCode::OK);

    // One operation too many: refused whole, before anything is written.
    let too_many = make(1_001);
    sync(&app, &agent, &too_many).await.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large");
    let first = too_many[0]["product_id"].as_str().unwrap_or_default();
    app.get(&format!("/v1/products/{first}")).await.assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Too many bytes: refused before it is even read.
    let small = env.spawn_with(|f| f.merge(figment::providers::Serialized::default("agents.sync_max_bytes", 4_096))).await;
    let heavy = make(40);
    sync(&small, &agent, &heavy).await.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large");
    let first = heavy[0]["product_id"].as_str().unwrap_or_default();
    app.get(&format!("/v1/products/{first}")).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Only agents sync.
    let (artisan_token, _) = app.artisan("self@example.ma").await;
    sync(&app, &artisan_token, &make(1)).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
});
