//! Every replica keeps its own search index, fed from the database's change log: a product
//! listed through one replica is found there at once and through the others within a second, and
//! a replica started on an existing catalog builds its index and answers as the others do.

use std::time::{Duration, Instant};

use serde_json::json;
use souk_api_tests::{Env, Reply, TestApp};

const WRITES: usize = 200;
const NOUNS: [&str; 6] = ["Jarre", "Tajine", "Bol", "Tapis", "Plateau", "Lanterne"];
const COLOURS: [&str; 5] = ["verte", "bleue", "rouge", "ocre", "noire"];

async fn search(app: &TestApp, query: &[(&str, &str)]) -> Vec<String> {
    let reply = app
        .client
        .get(app.url("/v1/products"))
        .query(query)
        .send()
        .await;
    let reply = Reply::read(reply.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(reply.status, 200, "{query:?}: {}", reply.body);
    reply.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn finds(app: &TestApp, word: &str, id: &str) -> bool {
    search(app, &[("q", word)])
        .await
        .iter()
        .any(|found| found == id)
}

/// How long until `app` finds the product (5 s at most).
async fn found_after(app: &TestApp, word: &str, id: &str, since: Instant) -> Duration {
    while !finds(app, word, id).await {
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "{word} not found in 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    since.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_listed_through_one_replica_is_found_through_the_others_within_a_second() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let (a, b, c) = (env.spawn().await, env.spawn().await, env.spawn().await);
    let (token, _) = a.artisan("hassan@example.ma").await;
    let mut lags = Vec::with_capacity(WRITES);
    for i in 0..WRITES {
        let word = format!("piece{i:03}x");
        let title = format!(
            "{} {} {word}",
            NOUNS[i % NOUNS.len()],
            COLOURS[i % COLOURS.len()]
        );
        let price = 1_000 + i64::try_from(i * 37 % 500).unwrap_or(0) * 100;
        let body = json!({"craft": "pottery", "title": {"fr": title}, "price_minor": price});
        let id = a.product(&token, body).await;
        let acknowledged = Instant::now();
        assert!(
            finds(&a, &word, &id).await,
            "write {i}: the writer does not find it"
        );
        let (on_b, on_c) = tokio::join!(
            found_after(&b, &word, &id, acknowledged),
            found_after(&c, &word, &id, acknowledged)
        );
        lags.push(on_b.max(on_c));
    }
    lags.sort();
    let p50 = lags[WRITES / 2];
    let p99 = lags[WRITES * 99 / 100 - 1];
    println!(
        "found on the other replicas after a write: p50 {p50:?}, p99 {p99:?}, max {:?}",
        lags[WRITES - 1]
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}");

    // A replica started now builds its index from the products table, then answers the same
    // top 20 as the replicas that followed the log, for 100 queries of every kind.
    let d = env.spawn().await;
    let ready = Instant::now();
    while d.get("/health/ready").await.status != 200 {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "the new replica is not ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let queries = queries();
    assert_eq!(queries.len(), 100);
    let mut non_empty = 0;
    for query in &queries {
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let first = search(&a, &pairs).await;
        non_empty += usize::from(!first.is_empty());
        for (name, replica) in [("b", &b), ("c", &c), ("d", &d)] {
            assert_eq!(search(replica, &pairs).await, first, "{name}: {query:?}");
        }
    }
    assert!(non_empty >= 90, "only {non_empty} queries found something");
}

/// Words, pairs, prefixes, typos, price orders and filters, and pages after the first.
fn queries() -> Vec<Vec<(String, String)>> {
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let mut queries = Vec::new();
    for noun in NOUNS {
        queries.push(owned(&[("q", noun), ("limit", "20")]));
        queries.push(owned(&[("q", &noun[..3]), ("limit", "20")]));
        queries.push(owned(&[
            ("q", noun),
            ("sort", "price_asc"),
            ("limit", "20"),
        ]));
        queries.push(owned(&[("q", noun), ("sort", "newest"), ("limit", "20")]));
        queries.push(owned(&[
            ("q", noun),
            ("price_max", "30000"),
            ("limit", "20"),
        ]));
        for colour in COLOURS {
            queries.push(owned(&[
                ("q", &format!("{noun} {colour}")),
                ("limit", "20"),
            ]));
            // A typo in the colour: one letter changed.
            let typo: String = format!("{noun} {}x", &colour[..colour.len() - 1]);
            queries.push(owned(&[("q", &typo), ("limit", "20")]));
        }
        queries.push(owned(&[
            ("q", &format!("{} {}", noun.to_lowercase(), "piece0")),
            ("limit", "20"),
        ]));
    }
    for sort in ["price_asc", "price_desc", "newest"] {
        queries.push(owned(&[("sort", sort), ("limit", "20")]));
        queries.push(owned(&[
            ("sort", sort),
            ("price_min", "20000"),
            ("limit", "20"),
        ]));
    }
    queries.truncate(100);
    queries
}
