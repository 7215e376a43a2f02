//! The outbox relay's benchmark driver (`scripts/bench-relay` runs it on PostgreSQL, in release
//! mode). Starts a webhook receiver, registers it for every topic, writes EVENTS outbox events
//! over EVENTS/10 orders, then runs RELAYS relays at once (as that many replicas would) until the
//! receiver has every event. Prints events/s, and checks each event arrived once (duplicates are
//! counted) and in order per order.
//!
//!   souk-bench-relay DATABASE_URL EVENTS RELAYS

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{extract::State, http::HeaderMap, routing::post};
use souk_db::{
    DbOptions,
    entities::outbox_events,
    sea_orm::{ActiveValue::Set, EntityTrait},
};
use souk_notify::{NewEndpoint, Relay, RelaySettings, webhook};
use uuid::Uuid;

type Error = Box<dyn std::error::Error + Send + Sync>;
/// Event ids as they arrived, with their order's id.
type Seen = Arc<Mutex<Vec<(Uuid, Uuid)>>>;

async fn receive(
    State(seen): State<Seen>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> &'static str {
    let id = headers
        .get(webhook::EVENT_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let order = json["data"]["order_id"]
        .as_str()
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_default();
    if let Ok(mut seen) = seen.lock() {
        seen.push((id, order));
    }
    "ok"
}

async fn receiver() -> Result<(String, Seen), Error> {
    let seen = Seen::default();
    let app = axum::Router::new()
        .route("/events", post(receive))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/events", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, seen))
}

/// Writes `events` outbox events, ten per order; returns each order's events in order.
async fn write_events(
    db: &souk_db::DatabaseConnection,
    events: usize,
) -> Result<HashMap<Uuid, Vec<Uuid>>, Error> {
    let mut orders: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut rows = Vec::new();
    let mut order = Uuid::now_v7();
    for n in 0..events {
        if n % 10 == 0 {
            order = Uuid::now_v7();
        }
        let id = Uuid::now_v7();
        orders.entry(order).or_default().push(id);
        rows.push(outbox_events::ActiveModel {
            id: Set(id),
            topic: Set("order.confirmed".into()),
            aggregate_id: Set(order),
            payload: Set(serde_json::json!({"order_id": order, "n": n})),
            created_at: Set(chrono::Utc::now()),
            published_at: Set(None),
        });
        if rows.len() == 1000 {
            outbox_events::Entity::insert_many(std::mem::take(&mut rows))
                .exec_without_returning(db)
                .await?;
        }
    }
    if !rows.is_empty() {
        outbox_events::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(orders)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, events, relays] = args.as_slice() else {
        return Err("usage: souk-bench-relay DATABASE_URL EVENTS RELAYS".into());
    };
    let (events, relays): (usize, usize) = (events.parse()?, relays.parse()?);
    let db = souk_db::connect(&DbOptions::new(url)).await?;
    let settings = RelaySettings {
        batch: 500,
        ..RelaySettings::default()
    };
    let relay = Relay::new(db.clone(), settings.clone())?;
    let (endpoint, seen) = receiver().await?;
    let admin = souk_auth::Principal {
        account_id: souk_kernel::AccountId::new(),
        role: souk_auth::Role::Admin,
    };
    relay
        .register(
            &admin,
            NewEndpoint {
                url: endpoint,
                topics: vec!["*".into()],
                secret: None,
            },
        )
        .await?;
    let orders = write_events(&db, events).await?;
    println!("wrote {events} outbox events over {} orders", orders.len());

    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..relays {
        let relay = Relay::new(db.clone(), settings.clone())?;
        let seen = seen.clone();
        workers.push(tokio::spawn(async move {
            while seen.lock().map(|s| s.len()).unwrap_or(0) < events
                && started.elapsed() < Duration::from_secs(300)
            {
                if let Err(e) = relay.run_once().await {
                    eprintln!("relay round: {e}");
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut arrived: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (id, order) in &seen {
        arrived.entry(*order).or_default().push(*id);
    }
    let distinct: std::collections::HashSet<Uuid> = seen.iter().map(|(id, _)| *id).collect();
    let out_of_order = orders
        .iter()
        .filter(|(order, ids)| arrived.get(order) != Some(ids))
        .count();
    println!(
        "RESULT relays={relays} events={events} delivered={} duplicates={} orders_out_of_order={out_of_order} seconds={elapsed:.2} events_per_s={:.0}",
        distinct.len(),
        seen.len() - distinct.len(),
        distinct.len() as f64 / elapsed,
    );
    if distinct.len() != events || out_of_order != 0 {
        return Err("not every event arrived once, in order".into());
    }
    Ok(())
}
