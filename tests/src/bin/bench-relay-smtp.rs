//! The outbox relay's benchmark to SMTP (`scripts/bench-relay --smtp` runs it on PostgreSQL, in
//! release mode). Against a running `souk serve` whose own relay is idle, it signs up an artisan
//! with a product and BUYERS buyers (Arabic, French and English in turn), and places ORDERS
//! cash-on-delivery orders through the API: each order writes one outbox event, which calls for
//! one email to its buyer. Then RELAYS relays at once (as that many replicas would) relay them to
//! the SMTP server at SMTP_URL, which keeps each message in MAILDIR, until every email is
//! delivered. Prints events/s and the CPU the relays used, and checks the Maildir holds one
//! message per event, none twice.
//!
//!   souk-bench-relay-smtp seed BASE_URL ORDERS
//!   souk-bench-relay-smtp relay DATABASE_URL SMTP_URL MAILDIR RELAYS

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::{Value, json};
use souk_db::{
    ConnectionTrait, DbOptions,
    sea_orm::{DbBackend, Statement},
};
use souk_notify::{EmailSettings, EmailTransport, Relay, RelaySettings};

type Error = Box<dyn std::error::Error + Send + Sync>;

const BUYERS: usize = 64;

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Value,
    ) -> Result<Value, Error> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let answer = request.send().await?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("POST {path}: {status} {body}").into());
        }
        Ok(body)
    }

    async fn account(&self, email: &str, extra: Value) -> Result<String, Error> {
        let mut body = json!({"email": email, "password": "a long passphrase", "display_name": email, "role": "buyer"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.call("/v1/auth/register", None, None, body).await?;
        let login = json!({"email": email, "password": "a long passphrase"});
        let session = self.call("/v1/auth/login", None, None, login).await?;
        Ok(session["token"].as_str().unwrap_or_default().to_owned())
    }
}

/// The artisan, their product, the buyers, and `orders` orders placed 32 at a time.
async fn seed(api: &Api, orders: usize) -> Result<(), Error> {
    let artisan = api
        .account(
            "potter@bench.souk",
            json!({"role": "artisan", "artisan": {"name": {"ar": "خديجة", "fr": "Khadija"}, "commune": "Fès", "crafts": ["pottery"]}}),
        )
        .await?;
    let product = api
        .call(
            "/v1/products",
            Some(&artisan),
            None,
            json!({"craft": "pottery", "title": {"ar": "زلافة", "fr": "Bol"}, "price_minor": 15_000,
                   "stock": orders + 10, "weight_g": 700}),
        )
        .await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut buyers = Vec::new();
    for n in 0..BUYERS {
        let lang = ["ar", "fr", "en"][n % 3];
        buyers.push(
            api.account(&format!("buyer{n}@bench.souk"), json!({"lang": lang}))
                .await?,
        );
    }
    let address = json!({"name": "Salma", "phone": "+212661234567", "line1": "12 Derb Sidi Moussa", "city": "Fès", "country": "MA"});
    let placed = futures::stream::iter(0..orders)
        .map(|n| {
            let body = json!({"items": [{"product_id": product, "quantity": 1}], "payment_method": "cash_on_delivery", "shipping_address": address});
            let token = buyers[n % BUYERS].clone();
            async move { api.call("/v1/orders", Some(&token), Some(&format!("bench-{n}")), body).await }
        })
        .buffer_unordered(32);
    let results: Vec<Result<Value, Error>> = placed.collect().await;
    for r in results {
        r?;
    }
    Ok(())
}

async fn scalar(db: &souk_db::DatabaseConnection, sql: &str) -> Result<i64, Error> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await?
        .ok_or("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// CPU time this process has used (user and system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses: utime and stime are the 12th
    // and 13th of them, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The Message-IDs of the messages in the Maildir.
fn message_ids(maildir: &str) -> Result<Vec<String>, Error> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(format!("{maildir}/new"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap_or_default();
        ids.push(id.to_owned());
    }
    Ok(ids)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    match args.as_slice() {
        [_, mode, base, orders] if mode == "seed" => {
            let api = Api {
                base: base.clone(),
                http: reqwest::Client::new(),
            };
            let seeding = Instant::now();
            seed(&api, orders.parse()?).await?;
            println!(
                "placed {orders} orders in {:.1} s",
                seeding.elapsed().as_secs_f64()
            );
            Ok(())
        }
        [_, mode, url, smtp, maildir, relays] if mode == "relay" => {
            relay(url, smtp, maildir, relays.parse()?).await
        }
        _ => Err(USAGE.into()),
    }
}

const USAGE: &str = "usage: souk-bench-relay-smtp seed BASE_URL ORDERS\n       souk-bench-relay-smtp relay DATABASE_URL SMTP_URL MAILDIR RELAYS";

async fn relay(url: &str, smtp: &str, maildir: &str, relays: usize) -> Result<(), Error> {
    let db = souk_db::connect(&DbOptions::new(url)).await?;
    let events = scalar(
        &db,
        "SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL",
    )
    .await?;
    println!("{events} outbox events waiting");
    let settings = RelaySettings {
        batch: 500,
        email: EmailSettings {
            transport: EmailTransport::Smtp {
                url: smtp.to_owned(),
            },
            ..EmailSettings::default()
        },
        ..RelaySettings::default()
    };
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..relays {
        let relay = Relay::new(db.clone(), settings.clone())?;
        let db = db.clone();
        workers.push(tokio::spawn(async move {
            while started.elapsed() < Duration::from_secs(600) {
                if let Err(e) = relay.run_once().await {
                    eprintln!("relay round: {e}");
                }
                let done = scalar(
                    &db,
                    "SELECT COUNT(*) FROM deliveries WHERE status <> 'pending'",
                )
                .await;
                if done.is_ok_and(|d| d >= events) {
                    break;
                }
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let delivered = scalar(
        &db,
        "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND status = 'delivered'",
    )
    .await?;
    let ids = message_ids(maildir)?;
    let distinct: HashSet<&String> = ids.iter().collect();
    println!(
        "RESULT smtp relays={relays} events={events} emails_delivered={delivered} emails_received={} duplicates={} seconds={elapsed:.2} events_per_s={:.0} relay_cpu_s={cpu:.2}",
        ids.len(),
        ids.len() - distinct.len(),
        delivered as f64 / elapsed,
    );
    if delivered != events || ids.len() as i64 != events || distinct.len() != ids.len() {
        return Err("not every email arrived once".into());
    }
    Ok(())
}
