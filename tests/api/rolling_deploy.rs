//! A rolling deploy under load: HAProxy in front of three `souk serve` processes on one
//! PostgreSQL, one Redis and one S3-compatible server (moto). Buyers read, search and order
//! (with Idempotency-Keys) and artisans upload photos through the balancer while each replica in
//! turn gets SIGTERM and is started again. Nothing may fail, no acknowledged order may be
//! missing, and every photo must be served by every replica.
//!
//! Ignored by default (it runs the release binary and HAProxy); `.ci/run` runs it:
//!
//! ```text
//! DEPLOY_TEST_BINARY=target/release/souk cargo test --workspace --test api rolling_deploy -- --ignored --nocapture
//! ```
//!
//! `DEPLOY_TEST_BINARY` (absolute, or relative to the repository's root) defaults to `target/debug/souk`.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::{Env, TestApp};
use souk_media::fixtures;
use souk_testkit::{S3Server, free_port};
use tokio::{process::Child, sync::Mutex};

use crate::orders::{order, place, workshop};

const REPLICAS: usize = 3;
/// How long a replica keeps serving after SIGTERM while reporting not ready.
const DRAIN_MS: u64 = 1500;
/// HAProxy's health check interval; one failed check takes a replica out.
const CHECK_MS: u64 = 200;

/// `DEPLOY_TEST_BINARY` (relative to the repository's root), or the debug build.
fn souk_binary() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    std::env::var_os("DEPLOY_TEST_BINARY")
        .map_or_else(|| root.join("target/debug/souk"), |path| root.join(path))
}

/// One `souk serve` process on a fixed port, so that it comes back where HAProxy looks for it.
struct Replica {
    port: u16,
    child: Option<Child>,
}

impl Replica {
    async fn start(env: &Env, s3: &S3Server, port: u16) -> Replica {
        let mut command = env.command(&souk_binary().to_string_lossy());
        command
            .arg("serve")
            .env("SOUK_LISTEN", format!("127.0.0.1:{port}"))
            .env("SOUK_SHUTDOWN__DRAIN_MS", DRAIN_MS.to_string())
            .env("SOUK_SHUTDOWN__GRACE_MS", "20000")
            .envs(s3.process_env())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", souk_binary().display()));
        let mut replica = Replica {
            port,
            child: Some(child),
        };
        if !replica.ready_within(Duration::from_secs(30)).await {
            panic!(
                "replica on port {port} not ready within 30 s: {}",
                replica.stderr().await
            );
        }
        // Its log from now on is not read: let it go nowhere rather than fill the pipe.
        if let Some(stderr) = replica.child.as_mut().and_then(|c| c.stderr.take()) {
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut sink = stderr;
                let mut buffer = vec![0_u8; 8192];
                while sink.read(&mut buffer).await.is_ok_and(|n| n > 0) {}
            });
        }
        replica
    }

    /// What a replica that failed to start printed (it has exited, or is killed first).
    async fn stderr(&mut self) -> String {
        use tokio::io::AsyncReadExt;
        let Some(mut child) = self.child.take() else {
            return String::new();
        };
        let _ = child.start_kill();
        let mut text = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut text).await;
        }
        text
    }

    fn direct(&self) -> TestApp {
        TestApp::at(SocketAddr::from(([127, 0, 0, 1], self.port)))
    }

    async fn ready_within(&mut self, bound: Duration) -> bool {
        let app = self.direct();
        let started = Instant::now();
        while started.elapsed() < bound {
            if let Ok(reply) = app.client.get(app.url("/health/ready")).send().await
                && reply.status() == StatusCode::OK
            {
                return true;
            }
            let exited = self.child.as_mut().map(|c| c.try_wait());
            if matches!(exited, Some(Ok(Some(_)))) {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// SIGTERM, then waits for the process to exit by itself; returns how long it took.
    async fn terminate(&mut self) -> Duration {
        let mut child = self.child.take().unwrap_or_else(|| panic!("not running"));
        let pid = child.id().unwrap_or_else(|| panic!("no pid"));
        let started = Instant::now();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(status.success(), "kill -TERM {pid}");
        let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .unwrap_or_else(|_| panic!("replica {pid} still running 30 s after SIGTERM"))
            .unwrap_or_else(|e| panic!("wait: {e}"));
        assert!(exit.success(), "replica {pid} exited with {exit}");
        started.elapsed()
    }
}

/// HAProxy in front of the replicas, as deploy/compose/haproxy.cfg runs it (fixed addresses
/// instead of Docker's DNS, and a faster health check).
struct Balancer {
    _child: Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl Balancer {
    async fn start(replicas: &[Replica]) -> Balancer {
        let port = free_port();
        let servers: String = replicas
            .iter()
            .enumerate()
            .map(|(i, r)| format!("    server souk{i} 127.0.0.1:{}\n", r.port))
            .collect();
        let config = format!(
            "global\n    maxconn 2048\n\
             defaults\n    mode http\n    option http-server-close\n    timeout connect 3s\n\
             \x20   timeout client 60s\n    timeout server 60s\n    timeout http-request 10s\n\
             \x20   timeout queue 10s\n    retries 3\n    option redispatch 1\n\
             \x20   retry-on conn-failure empty-response\n\
             frontend http\n    bind 127.0.0.1:{port}\n    default_backend souk\n\
             backend souk\n    balance roundrobin\n    option httpchk\n\
             \x20   http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost\n\
             \x20   http-check expect status 200\n\
             \x20   default-server check inter {CHECK_MS} fall 1 rise 2\n{servers}"
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).unwrap_or_else(|e| panic!("{e}"));
        let child = tokio::process::Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("run haproxy (apt-get install haproxy): {e}"));
        let balancer = Balancer {
            _child: child,
            _dir: dir,
            port,
        };
        let app = balancer.app();
        for _ in 0..200 {
            if let Ok(reply) = app.client.get(app.url("/health/ready")).send().await
                && reply.status() == StatusCode::OK
            {
                return balancer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("HAProxy did not answer within 10 s");
    }

    fn app(&self) -> TestApp {
        TestApp::at(SocketAddr::from(([127, 0, 0, 1], self.port)))
    }
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    sent: BTreeMap<&'static str, u64>,
    failed: Vec<String>,
    /// Orders answered 201, with their buyer's token.
    orders: Vec<(String, String)>,
    /// The `full` variant of every photo answered 201.
    photos: Vec<String>,
}

struct Shop {
    products: Vec<String>,
    artisans: Vec<String>,
    buyers: Vec<String>,
}

async fn open_shop(app: &TestApp) -> Shop {
    let mut shop = Shop {
        products: Vec::new(),
        artisans: Vec::new(),
        buyers: Vec::new(),
    };
    for i in 0..3 {
        let (token, product) =
            workshop(app, &format!("potter{i}@example.ma"), 25_000, 100_000).await;
        shop.products.push(product);
        shop.artisans.push(token);
    }
    for i in 0..6 {
        shop.buyers
            .push(app.buyer(&format!("buyer{i}@example.ma")).await);
    }
    shop
}

/// One client's loop through the balancer: reads, searches, orders and a photo now and then.
async fn client_loop(
    app: Arc<TestApp>,
    shop: Arc<Shop>,
    worker: usize,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let photo = fixtures::jpeg_with_gps(640, 480);
    let mut n = 0_usize;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let product = &shop.products[n % shop.products.len()];
        let (kind, reply) = match n % 20 {
            0..=8 => ("read", app.get(&format!("/v1/products/{product}")).await),
            9..=12 => {
                let q = ["tajine", "fès", "طاجين", "taj"][n % 4];
                ("search", app.get(&format!("/v1/products?q={q}")).await)
            }
            13..=18 => {
                let buyer = &shop.buyers[worker % shop.buyers.len()];
                let key = format!("rolling-{worker}-{n}");
                let body = order(&[(product, 1)], "cash_on_delivery");
                ("order", place(&app, buyer, &key, body).await)
            }
            _ => {
                // A new listing with its photo (a product holds at most 12).
                let token = &shop.artisans[worker % shop.artisans.len()];
                let body = json!({"craft": "pottery", "title": {"fr": format!("Bol {worker}-{n}")},
                                  "price_minor": 9_000, "stock": 5});
                let listed = app.post("/v1/products", Some(token), body).await;
                let mut t = tally.lock().await;
                *t.sent.entry("listing").or_default() += 1;
                if listed.status != StatusCode::CREATED {
                    t.failed
                        .push(format!("listing: {} {}", listed.status, listed.body));
                    continue;
                }
                drop(t);
                let mine = listed.body["id"].as_str().unwrap_or_default();
                let path = format!("/v1/products/{mine}/photos");
                ("photo", app.upload(&path, token, &photo).await)
            }
        };
        let mut t = tally.lock().await;
        *t.sent.entry(kind).or_default() += 1;
        if !reply.status.is_success() {
            t.failed
                .push(format!("{kind}: {} {}", reply.status, reply.body));
            continue;
        }
        match kind {
            "order" => {
                let buyer = shop.buyers[worker % shop.buyers.len()].clone();
                let id = reply.body["id"].as_str().unwrap_or_default().to_owned();
                t.orders.push((id, buyer));
            }
            "photo" => {
                let full = reply.body["variants"][0]["url"]
                    .as_str()
                    .unwrap_or_default();
                t.photos.push(full.to_owned());
            }
            _ => {}
        }
    }
}

/// Acknowledged orders no replica knows, read through each replica in turn.
async fn missing_orders(replicas: &[Replica], orders: &[(String, String)]) -> usize {
    let direct: Vec<TestApp> = replicas.iter().map(Replica::direct).collect();
    let mut missing = 0;
    for (i, (id, buyer)) in orders.iter().enumerate() {
        let reply = direct[i % direct.len()]
            .get_as(&format!("/v1/orders/{id}"), buyer)
            .await;
        if reply.status != StatusCode::OK || reply.body["id"] != json!(id) {
            missing += 1;
        }
    }
    missing
}

/// Photos some replica cannot serve, or serves differently from the others.
async fn unreadable_photos(replicas: &[Replica], photos: &[String]) -> usize {
    let direct: Vec<TestApp> = replicas.iter().map(Replica::direct).collect();
    let mut unreadable = 0;
    for url in photos {
        let mut seen = Vec::new();
        for app in &direct {
            seen.push(app.bytes(url).await);
        }
        let served = seen
            .iter()
            .all(|(status, bytes)| *status == StatusCode::OK && *bytes == seen[0].1);
        if url.is_empty() || !served {
            unreadable += 1;
        }
    }
    unreadable
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs the release binary and HAProxy; .ci/run runs it"]
async fn every_replica_restarted_in_turn_under_load_loses_nothing() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(Replica::start(&env, &s3, free_port()).await);
    }
    let balancer = Balancer::start(&replicas).await;
    let app = Arc::new(balancer.app());
    let shop = Arc::new(open_shop(&app).await);

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let clients: Vec<_> = (0..8)
        .map(|worker| {
            tokio::spawn(client_loop(
                app.clone(),
                shop.clone(),
                worker,
                stop.clone(),
                tally.clone(),
            ))
        })
        .collect();

    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut stops = Vec::new();
    for replica in &mut replicas {
        stops.push(replica.terminate().await);
        *replica = Replica::start(&env, &s3, replica.port).await;
        // Back in HAProxy's rotation after `rise 2` checks, before the next one goes.
        tokio::time::sleep(Duration::from_millis(CHECK_MS * 4)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        if let Err(e) = client.await {
            // A request that got no HTTP answer at all panics its client.
            tally.lock().await.failed.push(format!("no answer: {e}"));
        }
    }
    let elapsed = started.elapsed();

    let t = tally.lock().await;
    let sent: u64 = t.sent.values().sum();
    let missing = missing_orders(&replicas, &t.orders).await;
    let unreadable = unreadable_photos(&replicas, &t.photos).await;
    println!(
        "rolling deploy of {REPLICAS} replicas behind HAProxy in {:.1} s (each stopped in {:?} after SIGTERM):\n  \
         requests sent: {sent} {:?}\n  failed requests: {}\n  \
         acknowledged orders: {}, missing afterwards: {missing}\n  \
         photos uploaded: {}, unreadable through another replica: {unreadable}",
        elapsed.as_secs_f64(),
        stops,
        t.sent,
        t.failed.len(),
        t.orders.len(),
        t.photos.len(),
    );
    for failure in t.failed.iter().take(10) {
        println!("  failure: {failure}");
    }
    assert!(t.failed.is_empty(), "{} failed requests", t.failed.len());
    assert_eq!(missing, 0, "acknowledged orders missing");
    assert_eq!(unreadable, 0, "photos unreadable through another replica");
    assert!(t.orders.len() > 10 && t.photos.len() > 3, "too little load");
}
