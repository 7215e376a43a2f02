//! PostgreSQL restarted under order traffic: no answer is a 500, no acknowledged order is lost,
//! and orders go through again within two seconds of the database being back, with the same
//! gateway (its pool finds new connections by itself).

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use souk_api_tests::{Env, TestApp};
use souk_testkit::{PostgresServer, TestDb};
use tokio::sync::Mutex;

use crate::orders::{order, place, workshop};

/// What the clients saw.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    /// Orders answered 201 or 200 (a retry that found its order), with when.
    acknowledged: Vec<(String, Instant)>,
}

/// One buyer placing orders one after the other, each retried with its key while the answer is
/// a 503, until `stop`.
async fn buyer_loop(
    app: Arc<TestApp>,
    token: String,
    product: String,
    client: usize,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let key = format!("restart-{client}-{n}");
        loop {
            let reply = place(
                &app,
                &token,
                &key,
                order(&[(&product, 1)], "cash_on_delivery"),
            )
            .await;
            let read = app.get(&format!("/v1/products/{product}")).await;
            let mut t = tally.lock().await;
            *t.statuses.entry(reply.status.as_u16()).or_default() += 1;
            *t.statuses.entry(read.status.as_u16()).or_default() += 1;
            if reply.status.is_success() {
                t.acknowledged.push((
                    reply.body["id"].as_str().unwrap_or_default().to_owned(),
                    Instant::now(),
                ));
                break;
            }
            drop(t);
            if reply.status != StatusCode::SERVICE_UNAVAILABLE || stop.load(Ordering::Relaxed) {
                break;
            }
            // A client honouring Retry-After would wait a second; a shorter pause measures the
            // recovery more finely.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn count(db: &souk_db::DatabaseConnection, sql: &str) -> i64 {
    use souk_db::sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await;
    row.ok()
        .flatten()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or_else(|| panic!("{sql}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_under_orders_answers_no_500_loses_no_order_and_recovers_within_two_seconds()
 {
    let Some(server) = PostgresServer::start().await else {
        return;
    };
    let env = Env::with(TestDb::postgres_on(&server.admin_url()).await, None).await;
    let app = Arc::new(env.spawn().await);
    let (_, product) = workshop(&app, "hassan@example.ma", 5_000, 100_000).await;
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut clients = Vec::new();
    for client in 0..6 {
        let token = app.buyer(&format!("buyer{client}@example.ma")).await;
        clients.push(tokio::spawn(buyer_loop(
            app.clone(),
            token,
            product.clone(),
            client,
            stop.clone(),
            tally.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = tally.lock().await.acknowledged.len();
    server.restart().await;
    let back = Instant::now();
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let _ = client.await;
    }

    // The test's own pool lost its connections too: check through a new one.
    let db = souk_db::connect(&souk_db::DbOptions::new(&env.db.url))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let tally = tally.lock().await;
    let recovered = tally
        .acknowledged
        .iter()
        .map(|(_, at)| *at)
        .filter(|at| *at > back)
        .min()
        .map(|at| at - back);
    let stored = count(&db, "SELECT COUNT(*) FROM orders").await;
    let acknowledged: std::collections::HashSet<&str> = tally
        .acknowledged
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    let mut missing = 0;
    for id in &acknowledged {
        if count(
            &db,
            &format!("SELECT COUNT(*) FROM orders WHERE id = '{id}'"),
        )
        .await
            != 1
        {
            missing += 1;
        }
    }
    println!(
        "PostgreSQL restart under load: answers by status {:?}; orders acknowledged {} ({} before the restart), stored {stored}, acknowledged but missing {missing}; first order after the database was back: {recovered:?}",
        tally.statuses,
        acknowledged.len(),
        before
    );
    assert_eq!(tally.statuses.get(&500), None, "{:?}", tally.statuses);
    assert!(
        tally.statuses.keys().all(|s| matches!(s, 200 | 201 | 503)),
        "{:?}",
        tally.statuses
    );
    assert_eq!(missing, 0);
    assert!(before > 0, "no order went through before the restart");
    assert!(
        recovered.is_some_and(|d| d < Duration::from_secs(2)),
        "{recovered:?}"
    );
}
