//! The relay against real databases (SQLite and PostgreSQL) and a real HTTP receiver on a
//! random port: signed deliveries, in order per aggregate, retried after failures, once per
//! endpoint with two relays at once, and dead after the last attempt.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post};
use chrono::Utc;
use souk_auth::{Principal, Role};
use souk_db::{
    entities::{deliveries, outbox_events},
    sea_orm::{ActiveValue::Set, EntityTrait},
};
use souk_kernel::AccountId;
use souk_testkit::{TestDb, backend_test};
use uuid::Uuid;

use crate::{NewEndpoint, Relay, RelaySettings, webhook};

/// What the receiver accepted, in the order it accepted it.
#[derive(Default)]
struct Received {
    accepted: Vec<(Uuid, serde_json::Value, String, Vec<u8>)>,
    refused: usize,
}

#[derive(Clone)]
struct Receiver {
    received: Arc<Mutex<Received>>,
    /// Answers 500 to this many requests first (usize::MAX: always).
    fail_first: Arc<AtomicUsize>,
}

async fn hook(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let failing = r
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let mut received = r
        .received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if failing {
        received.refused += 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = Uuid::parse_str(&header(webhook::EVENT_ID_HEADER)).unwrap_or_default();
    let json = serde_json::from_slice(&body).unwrap_or_default();
    received
        .accepted
        .push((id, json, header(webhook::SIGNATURE_HEADER), body.to_vec()));
    StatusCode::OK
}

/// A receiver on a random port: its URL and what it saw.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Received>>) {
    let state = Receiver {
        received: Arc::default(),
        fail_first: Arc::new(AtomicUsize::new(fail_first)),
    };
    let received = state.received.clone();
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/hook",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn quick(max_attempts: i32) -> RelaySettings {
    RelaySettings {
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(80),
        max_attempts,
        ..RelaySettings::default()
    }
}

fn admin() -> Principal {
    Principal {
        account_id: AccountId::new(),
        role: Role::Admin,
    }
}

/// Writes outbox events as the orders crate does; returns their ids in order.
async fn events(db: &TestDb, aggregate: Uuid, topics: &[&str]) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for topic in topics {
        let id = Uuid::now_v7();
        let row = outbox_events::ActiveModel {
            id: Set(id),
            topic: Set((*topic).to_owned()),
            aggregate_id: Set(aggregate),
            payload: Set(serde_json::json!({"order_id": aggregate, "to": topic})),
            created_at: Set(Utc::now()),
            published_at: Set(None),
        };
        outbox_events::Entity::insert(row)
            .exec_without_returning(&db.conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        ids.push(id);
    }
    ids
}

/// Runs rounds of `relays` at once until `done` holds or 15 s pass.
async fn until(relays: &[Relay], done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        let rounds = relays.iter().map(|r| r.run_once());
        for round in futures::future::join_all(rounds).await {
            round.unwrap_or_else(|e| panic!("relay round: {e}"));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

const ORDER_LIFE: [&str; 4] = [
    "order.pending_confirmation",
    "order.confirmed",
    "order.shipped",
    "order.delivered",
];

backend_test!(async fn every_event_reaches_the_endpoint_signed_and_in_order_per_aggregate_after_failures(db) {
    let relay = Relay::new(db.conn.clone(), quick(30)).unwrap_or_else(|e| panic!("{e}"));
    let (url, received) = receiver(3).await;
    let endpoint = relay
        .register(&admin(), NewEndpoint { url, topics: vec!["order.*".into()], secret: None })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = endpoint.secret.clone().unwrap_or_default();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let first = events(&db, a, &ORDER_LIFE).await;
    let second = events(&db, b, &ORDER_LIFE).await;
    events(&db, Uuid::now_v7(), &["payout.paid"]).await;

    until(std::slice::from_ref(&relay), || received.lock().map(|r| r.accepted.len() >= 8).unwrap_or(false)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rows = deliveries::Entity::find().all(&db.conn).await.unwrap_or_else(|e| panic!("{e}"));
    let r = received.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    assert_eq!(r.refused, 3, "the receiver's first answers were failures");
    assert_eq!(r.accepted.len(), 8, "each subscribed event once, the payout not at all");
    for (id, json, signature, body) in &r.accepted {
        assert_eq!(json["id"], serde_json::json!(id));
        assert!(webhook::verify(&secret, signature, body, Utc::now().timestamp(), 300), "{signature}");
    }
    for aggregate in [&first, &second] {
        let seen: Vec<Uuid> = r.accepted.iter().map(|(id, ..)| *id).filter(|id| aggregate.contains(id)).collect();
        assert_eq!(&seen, aggregate, "in the order they happened");
    }
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|d| d.status == "delivered" && d.last_code == Some(200)));
    assert_eq!(rows.iter().map(|d| d.attempts).sum::<i32>(), 8 + 3, "three retries in all");
});

backend_test!(async fn two_relays_at_once_deliver_each_event_to_each_endpoint_once(db) {
    let one = Relay::new(db.conn.clone(), quick(30)).unwrap_or_else(|e| panic!("{e}"));
    let two = Relay::new(db.conn.clone(), quick(30)).unwrap_or_else(|e| panic!("{e}"));
    let (url, received) = receiver(0).await;
    let (other_url, other) = receiver(0).await;
    for url in [url, other_url] {
        one.register(&admin(), NewEndpoint { url, topics: vec!["*".into()], secret: None })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut all = Vec::new();
    for _ in 0..10 {
        all.extend(events(&db, Uuid::now_v7(), &ORDER_LIFE).await);
    }
    let count = |r: &Arc<Mutex<Received>>| r.lock().map(|r| r.accepted.len()).unwrap_or(0);
    until(&[one, two], || count(&received) >= 40 && count(&other) >= 40).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for r in [&received, &other] {
        let r = r.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut times = BTreeMap::<Uuid, usize>::new();
        for (id, ..) in &r.accepted {
            *times.entry(*id).or_default() += 1;
        }
        assert_eq!(times.len(), 40, "every event");
        assert!(times.values().all(|&n| n == 1), "once each: {times:?}");
    }
});

backend_test!(async fn a_delivery_is_dead_after_its_last_attempt_and_private_endpoints_are_refused_in_production(db) {
    let relay = Relay::new(db.conn.clone(), quick(3)).unwrap_or_else(|e| panic!("{e}"));
    let (url, received) = receiver(usize::MAX).await;
    relay
        .register(&admin(), NewEndpoint { url: url.clone(), topics: vec!["order.*".into()], secret: None })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    events(&db, Uuid::now_v7(), &["order.confirmed"]).await;
    let dead = || async {
        deliveries::Entity::find().all(&db.conn).await.map(|rows| rows.iter().any(|d| d.status == "dead")).unwrap_or(false)
    };
    for _ in 0..100 {
        relay.run_once().await.unwrap_or_else(|e| panic!("{e}"));
        if dead().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let rows = deliveries::Entity::find().all(&db.conn).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((rows[0].status.as_str(), rows[0].attempts, rows[0].last_code), ("dead", 3, Some(500)));
    assert_eq!(received.lock().map(|r| r.refused).unwrap_or(0), 3);

    let production = Relay::new(db.conn.clone(), RelaySettings { allow_private_targets: false, ..RelaySettings::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    for private in [url.as_str(), "http://10.0.0.8/hook"] {
        let refused = production
            .register(&admin(), NewEndpoint { url: private.into(), topics: vec!["*".into()], secret: None })
            .await;
        assert!(matches!(refused, Err(crate::NotifyError::Invalid { .. })), "{private}: {refused:?}");
    }
    let buyer = Principal { account_id: AccountId::new(), role: Role::Buyer };
    assert!(matches!(
        relay.register(&buyer, NewEndpoint { url, topics: vec!["*".into()], secret: None }).await,
        Err(crate::NotifyError::Forbidden(_))
    ));
});

backend_test!(async fn an_admin_reads_the_delivery_log_and_a_replay_sends_the_same_event_again(db) {
    let relay = Relay::new(db.conn.clone(), quick(30)).unwrap_or_else(|e| panic!("{e}"));
    let (url, received) = receiver(1).await;
    let endpoint = relay
        .register(&admin(), NewEndpoint { url, topics: vec!["order.*".into()], secret: None })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let event = events(&db, Uuid::now_v7(), &["order.confirmed"]).await[0];
    let count = || received.lock().map(|r| r.accepted.len()).unwrap_or(0);
    until(std::slice::from_ref(&relay), || count() >= 1).await;
    let of_endpoint = crate::DeliveryFilter { target: Some(endpoint.id.to_string()), ..Default::default() };
    let page = souk_kernel::PageRequest { after: None, limit: 50 };
    let log = relay.deliveries(&admin(), &of_endpoint, &page).await.unwrap_or_else(|e| panic!("{e}")).items;
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].event_id, log[0].status.as_str(), log[0].attempts, log[0].last_code), (event, "delivered", 2, Some(200)));

    let replayed = relay.replay(&admin(), log[0].id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((replayed.status.as_str(), replayed.attempts), ("pending", 0));
    until(std::slice::from_ref(&relay), || count() >= 2).await;
    let ids: Vec<Uuid> = received.lock().map(|r| r.accepted.iter().map(|(id, ..)| *id).collect()).unwrap_or_default();
    assert_eq!(ids, [event, event], "the same event id, so the receiver can tell");

    let buyer = Principal { account_id: AccountId::new(), role: Role::Buyer };
    assert!(matches!(relay.deliveries(&buyer, &of_endpoint, &page).await, Err(crate::NotifyError::Forbidden(_))));
    assert!(matches!(relay.replay(&admin(), Uuid::now_v7()).await, Err(crate::NotifyError::NotFound(_))));
});
