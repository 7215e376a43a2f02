//! The OpenAPI document against the gateway it describes. schemathesis (PyPI) sends every
//! operation valid and invalid requests, as an admin and as a buyer, and each answer must be one
//! the document gives: its status, content type, headers and body. No `$ref` may lead nowhere,
//! no parameter may sit where the request does not carry it, and two types may not share one
//! schema. The checker is shown to catch a document that drifted from a handler.
//!
//! On SQLite only: the document and the answers' shapes do not depend on the backend, and one
//! run per token already takes most of a minute on two cores.

use std::{collections::BTreeSet, path::Path, time::Duration};

use chrono::{Days, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{Env, TestApp, app_test, card_payments_at};

use crate::orders::{order, place};

/// What is checked: the answers against the document. Not the API's own strictness
/// (`positive_data_acceptance` and the like): that is the handlers' business, not the document's.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_headers_conformance,response_schema_conformance";

/// Ending the session would leave the rest of a run signed out: these run on their own, last.
const SIGN_OUT: &str = "^/v1/auth/logout";

/// `schemathesis run`, from the Python that has it (its console script may not be on PATH).
const SCHEMATHESIS: &str =
    "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())";

/// True when schemathesis can run; `false` (the test is skipped) when it is not installed outside
/// CI; under `CI=true` a missing schemathesis fails the test.
async fn schemathesis_installed() -> bool {
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import schemathesis"])
        .output()
        .await
        .map_err(|e| format!("cannot run python3: {e}"))
        .and_then(|out| {
            if out.status.success() {
                Ok(())
            } else {
                Err("python3 cannot import schemathesis".to_owned())
            }
        });
    souk_testkit::require(
        "schemathesis",
        "python3 -m pip install schemathesis==4.32.5",
        probe,
        souk_testkit::ci(),
    )
}

/// What a schemathesis run said.
struct Run {
    passed: bool,
    output: String,
}

impl Run {
    /// How many operations it tested (its summary's `Tested: N`).
    fn tested(&self) -> usize {
        self.output
            .lines()
            .find_map(|line| line.trim().strip_prefix("Tested:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Runs `schemathesis run LOCATION` against `app` with the checks above, reproducibly (a fixed
/// seed, no example database), sending `token` if given.
async fn schemathesis(app: &TestApp, location: &str, token: Option<&str>, filter: &[&str]) -> Run {
    let workdir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
    let mut command = tokio::process::Command::new("python3");
    command
        .args(["-c", SCHEMATHESIS, "run", location])
        .arg("--url")
        .arg(app.url(""))
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing"])
        // Beyond the examples and the coverage phase (about 3,000 requests per token, most of the
        // run), a few random cases per operation.
        .args(["--max-examples", "5"])
        .args(["--seed", "1"])
        .args(["--generation-database", "none"])
        // The suite shares two cores: slowness is not what this test is about.
        .args(["--suppress-health-check", "all"])
        .args(["--request-timeout", "30"])
        .args(["--no-color", "--output-truncate", "false"])
        .args(filter)
        // Its reports and configuration file, if any, stay out of the repository.
        .current_dir(workdir.path())
        .kill_on_drop(true);
    if let Some(token) = token {
        command
            .arg("--header")
            .arg(format!("Authorization: Bearer {token}"));
    }
    let run = tokio::time::timeout(Duration::from_secs(600), command.output())
        .await
        .unwrap_or_else(|_| panic!("schemathesis ran for more than 10 minutes"))
        .unwrap_or_else(|e| panic!("cannot run schemathesis: {e}"));
    Run {
        passed: run.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        ),
    }
}

/// The gateway's document, as it serves it.
async fn document(app: &TestApp) -> Value {
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    doc.body
}

/// A gateway with card payments configured (towards a port where nothing listens: no test here
/// gets as far as Stripe), so Stripe's webhook checks signatures instead of answering 503.
async fn gateway(env: &Env) -> TestApp {
    env.spawn_with(|figment| card_payments_at("http://127.0.0.1:9", figment))
        .await
}

/// Something of each kind, so lists answer items and their schemas are checked too: an artisan
/// and their product, an agent and the artisan they onboarded, an order, a certification and
/// its labels, a webhook endpoint.
async fn some_of_everything(app: &TestApp, admin: &str, buyer: &str) {
    let (potter, _) = app.artisan("potter@conformance.test").await;
    let product = app
        .product(
            &potter,
            json!({"craft": "pottery", "title": {"fr": "Tajine de Fès", "ar": "طاجين فاسي"},
                   "price_minor": 25_000, "stock": 5, "weight_g": 800}),
        )
        .await;
    let (agent, _) = app.agent(admin, "agent@conformance.test").await;
    app.onboard(&agent, "Fatima Zahra").await;
    let placed = place(
        app,
        buyer,
        "conformance-1",
        order(&[(product.as_str(), 1)], "cash_on_delivery"),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let today = Utc::now().date_naive();
    let (from, until) = (today - Days::new(30), today + Days::new(365));
    let certified = app
        .post(
            "/v1/certifications",
            Some(admin),
            json!({"product_id": product, "standard": "Label régional Fès-Meknès",
                   "standard_version": "2026.1", "inspector": "Inspecteur", "inspected_on": from,
                   "result": "passed", "valid_from": from, "valid_until": until}),
        )
        .await;
    assert_eq!(certified.status, StatusCode::CREATED, "{}", certified.body);
    let certification = certified.body["id"].as_str().unwrap_or_default();
    let batch = app
        .post(
            &format!("/v1/certifications/{certification}/labels"),
            Some(admin),
            json!({"count": 3}),
        )
        .await;
    assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);
    let hook = app
        .post(
            "/v1/admin/webhooks",
            Some(admin),
            json!({"url": "http://127.0.0.1:9/souk", "topics": ["order.placed"],
                   "secret": "a webhook secret long enough"}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
}

/// Every `(method, path)` the document lists.
fn operations(doc: &Value) -> Vec<(String, String)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if item.get(method).is_some() {
                all.push((method.to_owned(), path.clone()));
            }
        }
    }
    all
}

/// Every `$ref` in `value`, with where it is.
fn references<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push((at.clone(), target.as_str())),
                    _ => references(inner, format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                references(inner, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// What a pointer to nothing finds.
static NOTHING: Value = Value::Null;

/// The schema `schema` names, following `$ref`s, a nullable `oneOf` and an array's items.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(target) = schema["$ref"].as_str() {
        let pointer = target.strip_prefix('#').unwrap_or(target);
        return resolve(doc, doc.pointer(pointer).unwrap_or(&NOTHING));
    }
    if let Some(some) = schema["oneOf"]
        .as_array()
        .and_then(|variants| variants.iter().find(|v| v["type"] != "null"))
    {
        return resolve(doc, some);
    }
    if schema["type"] == "array" {
        return resolve(doc, &schema["items"]);
    }
    schema
}

/// The property names of the schema at `pointer`.
fn properties(doc: &Value, pointer: &str) -> Vec<String> {
    let schema = resolve(doc, doc.pointer(pointer).unwrap_or(&NOTHING));
    schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn ok_schema(path: &str, method: &str) -> String {
    let path = path.replace('~', "~0").replace('/', "~1");
    format!("/paths/{path}/{method}/responses/200/content/application~1json/schema")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_to_an_admin_and_a_buyer_is_one_the_document_gives() {
    if !schemathesis_installed().await {
        return;
    }
    let env = Env::sqlite().await;
    let app = gateway(&env).await;
    let admin = env.admin(&app, "admin@conformance.test").await;
    let buyer = app.buyer("buyer@conformance.test").await;
    some_of_everything(&app, &admin, &buyer).await;
    let doc = document(&app).await;
    let all = operations(&doc).len();
    let signing_out = operations(&doc)
        .iter()
        .filter(|(_, path)| path.starts_with("/v1/auth/logout"))
        .count();
    let location = app.url("/openapi.json");
    for (who, token) in [("admin", admin.as_str()), ("buyer", buyer.as_str())] {
        let run = schemathesis(
            &app,
            &location,
            Some(token),
            &["--exclude-path-regex", SIGN_OUT],
        )
        .await;
        assert!(run.passed, "as {who}:\n{}", run.output);
        assert_eq!(run.tested(), all - signing_out, "as {who}:\n{}", run.output);
    }
    for (who, token) in [("admin", admin.as_str()), ("buyer", buyer.as_str())] {
        let run = schemathesis(
            &app,
            &location,
            Some(token),
            &["--include-path-regex", SIGN_OUT],
        )
        .await;
        assert!(run.passed, "signing out as {who}:\n{}", run.output);
        assert_eq!(run.tested(), signing_out, "as {who}:\n{}", run.output);
    }
}

// The document's own consistency needs no schemathesis: checked whatever is installed.
app_test!(async fn every_reference_resolves_and_every_parameter_is_where_requests_carry_it(env) {
    let app = env.spawn().await;
    let doc = document(&app).await;
    let mut found = Vec::new();
    references(&doc, String::new(), &mut found);
    assert!(!found.is_empty());
    let dangling: Vec<String> = found
        .iter()
        .filter(|(_, target)| target.strip_prefix('#').and_then(|p| doc.pointer(p)).is_none())
        .map(|(at, target)| format!("{at} -> {target}"))
        .collect();
    assert!(dangling.is_empty(), "dangling references: {dangling:#?}");

    for (method, path) in operations(&doc) {
        let in_template: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next())
            .collect();
        let parameters = doc["paths"][&path][&method]["parameters"].as_array();
        let in_path: BTreeSet<&str> = parameters
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(in_path, in_template, "{method} {path}: its path parameters");
    }

    // Two types of one name made one schema describe both: each is its own.
    let has = |pointer: &str, property: &str| {
        let found = properties(&doc, pointer);
        assert!(found.iter().any(|p| p == property), "{pointer}: {found:?}");
    };
    has(&ok_schema("/v1/label-batches/{id}", "get"), "sheet_url");
    has(&ok_schema("/v1/admin/payout-batches/{id}", "get"), "total_minor");
    has("/components/schemas/FulfilmentDto/properties/lines", "line_total_minor");
    has("/components/schemas/CertifyRequest/properties/line", "craft");
    has("/components/schemas/VerificationDto/properties/item", "craft_name");
    has("/components/schemas/PlaceOrderRequest/properties/items", "quantity");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_fails_when_the_document_drifts_from_a_handler() {
    if !schemathesis_installed().await {
        return;
    }
    let env = Env::sqlite().await;
    let app = gateway(&env).await;
    let mut doc = document(&app).await;
    // The crafts' list promises a field no handler sends...
    let crafts = ok_schema("/v1/crafts", "get");
    let promised = doc
        .pointer_mut(&crafts)
        .unwrap_or_else(|| panic!("{crafts}"));
    *promised = json!({"allOf": [promised.take(), {"type": "object", "required": ["never_sent"]}]});
    // ...and an artisan's profile forgets that an unknown id is a 404.
    let artisan = "/paths/~1v1~1artisans~1{id}/get/responses";
    let answers = doc.pointer_mut(artisan).and_then(Value::as_object_mut);
    let dropped = answers.and_then(|a| a.remove("404"));
    assert!(
        dropped.is_some(),
        "GET /v1/artisans/{{id}} documents no 404"
    );
    let folder = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
    let file = folder.path().join("drifted.json");
    std::fs::write(&file, doc.to_string()).unwrap_or_else(|e| panic!("write {file:?}: {e}"));

    let location = path_text(&file);
    let only = ["--include-path-regex", r"^/v1/(crafts|artisans/\{id\})$"];
    let run = schemathesis(&app, &location, None, &only).await;
    assert!(!run.passed, "the drifted document passed:\n{}", run.output);
    assert!(run.output.contains("never_sent"), "{}", run.output);
    assert!(
        run.output.contains("Undocumented status code"),
        "{}",
        run.output
    );
}

fn path_text(path: &Path) -> String {
    path.to_str()
        .unwrap_or_else(|| panic!("{path:?} is not UTF-8"))
        .to_owned()
}
