//! The webhook benchmark's driver (`scripts/bench-webhooks` runs it against a release server on
//! PostgreSQL). Seeds card orders through the API and their PaymentIntents in the database, signs
//! one `payment_intent.succeeded` event per order with the endpoint's secret, delivers them from
//! many connections at once, then delivers them all again (every one a duplicate), and prints
//! events/s with latency percentiles for both passes. Checks every order ended paid, once.
//!
//!   souk-bench-webhooks BASE_URL DATABASE_URL EVENTS CONCURRENCY TEMPLATE.json WEBHOOK_SECRET

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use souk_db::{
    DbOptions,
    entities::card_payments,
    sea_orm::{ConnectionTrait, EntityTrait, Set, Statement},
};
use stripe_webhook::Webhook;
use tokio::sync::Mutex;

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
    key: Option<&str>,
) -> Result<Value, Error> {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let reply = request.send().await?;
    let status = reply.status();
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{url}: {status} {body}").into());
    }
    Ok(body)
}

async fn account(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    extra: Value,
) -> Result<(Value, String), Error> {
    let mut body = json!({"email": email, "password": "a long passphrase", "display_name": email});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let signed = post(
        client,
        &format!("{base}/v1/auth/register"),
        None,
        &body,
        None,
    )
    .await?;
    let login = post(
        client,
        &format!("{base}/v1/auth/login"),
        None,
        &json!({"email": email, "password": "a long passphrase"}),
        None,
    )
    .await?;
    Ok((
        signed,
        login["token"].as_str().unwrap_or_default().to_owned(),
    ))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Delivers every payload from `concurrency` connections; prints the figures of the pass.
async fn deliver(
    name: &str,
    client: &reqwest::Client,
    url: &str,
    events: Arc<Vec<String>>,
    secret: &str,
    concurrency: usize,
) -> Result<BTreeMap<String, usize>, Error> {
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, events, next, outcomes, secret) = (
            client.clone(),
            url.to_owned(),
            events.clone(),
            next.clone(),
            outcomes.clone(),
            secret.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(payload) = events.get(i) else { break };
                let signature = Webhook::generate_test_header(payload, &secret, None);
                let t = Instant::now();
                let reply = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("stripe-signature", signature)
                    .body(payload.clone())
                    .send()
                    .await;
                let outcome = match reply {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        v["outcome"].as_str().unwrap_or("?").to_owned()
                    }
                    Ok(r) => format!("http_{}", r.status().as_u16()),
                    Err(e) => format!("error: {e}"),
                };
                latencies.push(t.elapsed());
                *outcomes.lock().await.entry(outcome).or_default() += 1;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let outcomes = outcomes.lock().await.clone();
    println!(
        "{name}: events={} seconds={elapsed:.2} events_per_s={:.0} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} outcomes={outcomes:?}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
    );
    Ok(outcomes)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, database, events, concurrency, template, secret] = args.as_slice() else {
        return Err("usage: souk-bench-webhooks BASE_URL DATABASE_URL EVENTS CONCURRENCY TEMPLATE.json WEBHOOK_SECRET".into());
    };
    let (events, concurrency): (usize, usize) = (events.parse()?, concurrency.parse()?);
    let template: Value = serde_json::from_str(&std::fs::read_to_string(template)?)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let db = souk_db::connect(&DbOptions::new(database.clone())).await?;

    // Seed: one artisan's product, one buyer, EVENTS card orders placed through the API.
    let (_, artisan) = account(
        &client,
        base,
        "potter@bench.souk",
        json!({"role": "artisan",
        "artisan": {"name": {"fr": "Khadija"}, "commune": "Fès", "crafts": ["pottery"]}}),
    )
    .await?;
    let product = post(&client, &format!("{base}/v1/products"), Some(&artisan),
        &json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 15_000, "stock": 100_000, "weight_g": 700}), None).await?;
    let product = product["id"].as_str().unwrap_or_default().to_owned();
    let (_, buyer) = account(&client, base, "buyer@bench.souk", json!({"role": "buyer"})).await?;
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(32) {
        let (client, base, buyer, product, next) = (
            client.clone(),
            base.clone(),
            buyer.clone(),
            product.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut placed = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < events {
                let body = json!({"items": [{"product_id": product, "quantity": 1}], "payment_method": "card",
                    "shipping_address": {"name": "Salma", "phone": "0661234567", "line1": "12 Derb", "city": "Fès", "country": "MA"}});
                let key = uuid::Uuid::now_v7().to_string();
                let o = post(&client, &format!("{base}/v1/orders"), Some(&buyer), &body, Some(&key)).await?;
                placed.push((o["id"].as_str().unwrap_or_default().to_owned(), o["total_minor"].as_i64().unwrap_or(0)));
            }
            Ok::<_, Error>(placed)
        }));
    }
    let mut orders = Vec::new();
    for t in tasks {
        orders.extend(t.await??);
    }
    println!(
        "seeded {} card orders in {:.1} s",
        orders.len(),
        started.elapsed().as_secs_f64()
    );
    // Their PaymentIntents, as POST /v1/orders/{id}/payments would have stored them.
    for chunk in orders.chunks(1000) {
        let rows = chunk.iter().map(|(id, total)| card_payments::ActiveModel {
            order_id: Set(id.parse().unwrap_or_default()),
            intent_id: Set(format!("pi_bench_{}", id.replace('-', ""))),
            client_secret: Set(format!("pi_bench_{}_secret", id.replace('-', ""))),
            amount_minor: Set(*total),
            currency: Set("MAD".into()),
            created_at: Set(chrono::Utc::now()),
        });
        card_payments::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await?;
    }

    // One signed `payment_intent.succeeded` per order (signed when sent: Stripe's 5-minute window).
    let payloads: Vec<String> = orders
        .iter()
        .enumerate()
        .map(|(i, (id, total))| {
            let mut e = template.clone();
            let intent = format!("pi_bench_{}", id.replace('-', ""));
            e["id"] = json!(format!("evt_bench_{i:08}"));
            e["created"] = json!(chrono::Utc::now().timestamp());
            e["data"]["object"]["id"] = json!(intent);
            e["data"]["object"]["amount"] = json!(total);
            e["data"]["object"]["amount_received"] = json!(total);
            e["data"]["object"]["client_secret"] = json!(format!("{intent}_secret"));
            e["data"]["object"]["metadata"] = json!({"order_id": id});
            e["data"]["object"]["latest_charge"] = json!("ch_bench");
            e["data"]["object"]["charges"] = json!({"data": [], "has_more": false, "object": "list", "total_count": 0, "url": "/v1/charges"});
            e.to_string()
        })
        .collect();
    let payloads = Arc::new(payloads);
    let url = format!("{base}/v1/webhooks/stripe");
    let first = deliver(
        "first delivery",
        &client,
        &url,
        payloads.clone(),
        secret,
        concurrency,
    )
    .await?;
    let again = deliver(
        "every event again (duplicates)",
        &client,
        &url,
        payloads.clone(),
        secret,
        concurrency,
    )
    .await?;

    let backend = db.get_database_backend();
    let one = |sql: &str| Statement::from_string(backend, sql.to_owned());
    let paid = db
        .query_one_raw(one("SELECT COUNT(*) FROM orders WHERE status = 'paid'"))
        .await?
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(-1);
    let books = db
        .query_one_raw(one(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries",
        ))
        .await?
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(-1);
    let postings = db
        .query_one_raw(one(
            "SELECT COUNT(*) FROM ledger_postings WHERE kind = 'payment'",
        ))
        .await?
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(-1);
    println!(
        "check: orders paid {paid} of {}, payment postings {postings}, ledger sum {books}",
        orders.len()
    );
    let ok = first.get("paid") == Some(&orders.len())
        && again.get("duplicate") == Some(&orders.len())
        && paid == orders.len() as i64
        && postings == orders.len() as i64
        && books == 0;
    if !ok {
        return Err("the check failed: see the outcomes above".into());
    }
    println!("check: ok (each order paid once, every second delivery a duplicate, books balanced)");
    Ok(())
}
