//! Random bodies, query strings and ids thrown at every catalog and auth endpoint: the answer
//! is never a 5xx, and every refusal is a problem report with a code.

use proptest::{
    collection::vec,
    prelude::*,
    test_runner::{Config, TestRunner},
};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use souk_api_tests::{Env, Reply, TestApp};

/// Field names the endpoints know, so random bodies often get past the first check.
const KEYS: &[&str] = &[
    "craft",
    "title",
    "description",
    "default_lang",
    "materials",
    "dimensions_mm",
    "length",
    "weight_g",
    "price_minor",
    "currency",
    "stock",
    "lead_time_days",
    "status",
    "photos",
    "version",
    "artisan_id",
    "email",
    "password",
    "display_name",
    "role",
    "artisan",
    "name",
    "commune",
    "crafts",
    "ar",
    "fr",
    "en",
];

const PARAMS: &[&str] = &[
    "q",
    "craft",
    "artisan",
    "certified",
    "price_min",
    "price_max",
    "sort",
    "cursor",
    "limit",
    "lang",
    "x",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-z_-]{0,12}",
        Just("فَخّار".to_owned()),
        Just("pottery".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("\u{0}\u{202e}".to_owned()),
        "[0-9a-f-]{36}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>()
            )),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        vec((prop::sample::select(PARAMS), text()), 0..6)
            .prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap_or_default()),
        // Raw, possibly broken percent-encoding.
        "[a-z=&%0-9A-F]{0,40}",
    ]
}

#[derive(Debug, Clone)]
enum Call {
    List(String),
    Crafts(String),
    Product(String),
    Artisan(String),
    Create(Value),
    Update(Value),
    Register(Value),
    Login(Value),
    RawCreate(Vec<u8>),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        query().prop_map(Call::List),
        query().prop_map(Call::Crafts),
        text().prop_map(Call::Product),
        text().prop_map(Call::Artisan),
        json_value().prop_map(Call::Create),
        json_value().prop_map(Call::Update),
        json_value().prop_map(Call::Register),
        json_value().prop_map(Call::Login),
        vec(any::<u8>(), 0..64).prop_map(Call::RawCreate),
    ]
}

async fn send(app: &TestApp, token: &str, product: &str, call: &Call) -> Reply {
    let client = &app.client;
    let request = match call {
        Call::List(q) => client.get(format!("{}?{q}", app.url("/v1/products"))),
        Call::Crafts(q) => client.get(format!("{}?{q}", app.url("/v1/crafts"))),
        Call::Product(id) => client.get(app.url(&format!("/v1/products/{}", urlencode(id)))),
        Call::Artisan(id) => client.get(app.url(&format!("/v1/artisans/{}", urlencode(id)))),
        Call::Create(body) => client
            .post(app.url("/v1/products"))
            .bearer_auth(token)
            .json(body),
        Call::Update(body) => client
            .request(Method::PATCH, app.url(&format!("/v1/products/{product}")))
            .bearer_auth(token)
            .json(body),
        Call::Register(body) => client.post(app.url("/v1/auth/register")).json(body),
        Call::Login(body) => client.post(app.url("/v1/auth/login")).json(body),
        Call::RawCreate(bytes) => client
            .post(app.url("/v1/products"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(bytes.clone()),
    };
    Reply::read(
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{call:?}: {e}")),
    )
    .await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn fuzz(postgres: bool) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let runtime = runtime.unwrap_or_else(|e| panic!("runtime: {e}"));
    let env = if postgres {
        runtime.block_on(Env::postgres_and_redis())
    } else {
        Some(runtime.block_on(Env::sqlite()))
    };
    let Some(env) = env else { return };
    let (app, token, product) = runtime.block_on(async {
        let app = env.spawn().await;
        let (token, _) = app.artisan("fuzz@example.ma").await;
        let product = app
            .product(
                &token,
                json!({"craft": "pottery", "title": {"fr": "Bol"}, "price_minor": 100}),
            )
            .await;
        (app, token, product)
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(400);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&call(), |call| {
        let reply = runtime.block_on(send(&app, &token, &product, &call));
        prop_assert!(
            reply.status.as_u16() < 500,
            "{call:?} gave {}: {}",
            reply.status,
            reply.body
        );
        if reply.status.is_client_error() {
            prop_assert_eq!(
                reply.header("content-type"),
                "application/problem+json",
                "{:?}",
                call
            );
            prop_assert!(reply.body["code"].is_string(), "{call:?}: {}", reply.body);
            prop_assert_eq!(
                reply.body["status"].as_u64(),
                Some(u64::from(reply.status.as_u16()))
            );
        } else {
            prop_assert!(
                reply.status == StatusCode::OK || reply.status == StatusCode::CREATED,
                "{call:?}: {}",
                reply.status
            );
        }
        Ok(())
    });
    runtime.block_on(async {
        drop(app);
        drop(env);
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn random_input_never_gets_a_5xx_on_sqlite() {
    fuzz(false);
}

#[test]
fn random_input_never_gets_a_5xx_on_postgres_and_redis() {
    fuzz(true);
}
