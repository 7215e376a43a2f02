//! Certification and brand labels through HTTP: certify, issue, print (QR codes and the PDF
//! sheet, decoded back), resolve as GS1 asks, verify by link, ownership after delivery, the
//! clone rule, revocation on every replica at once, what a label's page may show of the artisan,
//! and fake reports.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use souk_api_tests::{Env, Reply, TestApp, app_test};
use souk_auth::Role;

use crate::orders::{id, order, place};

/// A product of a new artisan (with this GTIN, if any), certified, and `count` labels issued for
/// it: (certifier's token, artisan's token, product id, certification id, batch id, links).
pub(crate) struct Labelled {
    pub certifier: String,
    pub artisan: String,
    pub product: String,
    pub certification: String,
    pub batch: String,
    pub links: Vec<String>,
}

pub(crate) fn certification(product: &str) -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({
        "product_id": product,
        "standard": "Label régional Fès-Meknès — poterie",
        "standard_version": "2026.1",
        "inspector": "Nadia Berrada",
        "inspected_on": today,
        "result": "passed",
        "valid_from": today,
        "valid_until": today + chrono::Days::new(730),
        "evidence": [{"kind": "report", "reference": "DRA-FM/2026/0412"}],
    })
}

pub(crate) async fn labelled(
    env: &Env,
    app: &TestApp,
    who: &str,
    gtin: Option<&str>,
    count: u32,
) -> Labelled {
    let certifier = env
        .appoint(
            app,
            &format!("certifier-{who}@artisanat.ma"),
            Role::Certifier,
        )
        .await;
    let (artisan, _) = app.artisan(&format!("{who}@example.ma")).await;
    let mut body = json!({"craft": "pottery", "title": {"fr": "Tajine émaillé de Fès", "ar": "طاجين فاسي مزجج"},
                          "price_minor": 45_000, "stock": 3, "weight_g": 800});
    if let Some(gtin) = gtin {
        body["gtin"] = json!(gtin);
    }
    let product = app.product(&artisan, body).await;
    let certified = app
        .post(
            "/v1/certifications",
            Some(&certifier),
            certification(&product),
        )
        .await;
    assert_eq!(certified.status, StatusCode::CREATED, "{}", certified.body);
    let certification = id(&certified);
    let issued = app
        .post(
            &format!("/v1/certifications/{certification}/labels"),
            Some(&certifier),
            json!({"count": count}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let batch = id(&issued);
    let page = app
        .get_as(
            &format!("/v1/label-batches/{batch}/labels?limit=100"),
            &certifier,
        )
        .await;
    let links = page.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|l| l["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    Labelled {
        certifier,
        artisan,
        product,
        certification,
        batch,
        links,
    }
}

/// The path and query of a link (its domain is the brand's, not the test server's).
pub(crate) fn path_of(link: &str) -> String {
    let after = link.split_once("://").map_or(link, |(_, rest)| rest);
    after
        .find('/')
        .map(|i| after[i..].to_owned())
        .unwrap_or_default()
}

pub(crate) fn serial_of(link: &str) -> String {
    path_of(link)
        .split("/21/")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .unwrap_or_default()
        .to_owned()
}

fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /v1/labels/{serial}?link=...` as a phone with this install id.
pub(crate) async fn scan(app: &TestApp, link: &str, token: Option<&str>, device: &str) -> Reply {
    let url = app.url(&format!(
        "/v1/labels/{}?link={}",
        serial_of(link),
        encoded(&path_of(link))
    ));
    let mut request = app.client.get(url).header("x-souk-device", device);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Reply::read(request.send().await.unwrap_or_else(|e| panic!("{e}"))).await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

app_test!(async fn a_certified_product_gets_labels_that_verify_print_and_resolve_as_gs1_asks(env) {
    let app = env.spawn().await;
    let l = labelled(&env, &app, "potter", Some("6111234567895"), 5).await;
    // The certification is the catalog's badge.
    let product = app.get(&format!("/v1/products/{}", l.product)).await;
    assert_eq!(product.body["certified"], true, "{}", product.body);
    assert_eq!(product.body["gtin"], "06111234567895");
    let listed = app.get("/v1/products?certified=true").await;
    assert_eq!(listed.body["items"][0]["id"], l.product.as_str());
    // Public reads of a certification leave its evidence out.
    let public = app.get(&format!("/v1/certifications/{}", l.certification)).await;
    assert_eq!(public.body["certifier"]["name"], "Délégation régionale de l'artisanat Fès-Meknès");
    assert_eq!(public.body["current"], true);
    for private in ["evidence", "artisan_id", "product_id", "inspector"] {
        assert!(public.body.get(private).is_none(), "{private}: {}", public.body);
    }
    let full = app.get_as(&format!("/v1/certifications/{}", l.certification), &l.certifier).await;
    assert_eq!(full.body["inspector"], "Nadia Berrada");
    assert_eq!(full.body["product_id"], l.product.as_str());
    // Only certifiers certify and issue.
    app.post("/v1/certifications", Some(&l.artisan), certification(&l.product))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(&format!("/v1/certifications/{}/labels", l.certification), Some(&l.artisan), json!({"count": 1}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(&format!("/v1/certifications/{}/labels", l.certification), Some(&l.certifier), json!({"count": 0}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // The batch, page by page.
    assert_eq!(l.links.len(), 5);
    let first = app.get_as(&format!("/v1/label-batches/{}/labels?limit=2", l.batch), &l.certifier).await;
    let cursor = first.body["next_cursor"].as_str().unwrap_or_default().to_owned();
    let rest = app.get_as(&format!("/v1/label-batches/{}/labels?limit=10&cursor={cursor}", l.batch), &l.certifier).await;
    assert_eq!(rest.body["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(rest.body["next_cursor"], Value::Null);
    let link = &l.links[0];
    assert!(path_of(link).starts_with("/01/06111234567895/21/"), "{link}");

    // Verification by link: authentic, with its item, maker and certification.
    let verified = scan(&app, link, None, "phone-1").await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert_eq!(verified.body["verdict"], "authentic", "{}", verified.body);
    assert_eq!(verified.body["status"], "valid");
    assert_eq!(verified.body["key_status"], "active");
    assert_eq!(verified.body["item"]["title"]["text"], "Tajine émaillé de Fès");
    assert_eq!(verified.body["maker"]["name"]["text"], "Hassan Bennani");
    assert_eq!(verified.body["certification"]["certifier"], "Délégation régionale de l'artisanat Fès-Meknès");
    assert_eq!(verified.body["item"]["product_id"], l.product.as_str(), "the maker shows their workshop");
    assert!(verified.body["page"].as_str().is_some_and(|p| p.contains(&path_of(link))));
    // Answers are kept rendered, per language: the same link in Arabic answers in Arabic, and
    // another phone in French gets the first answer.
    let arabic = app.get(&format!("/v1/labels/{}?link={}&lang=ar", serial_of(link), encoded(&path_of(link)))).await;
    assert_eq!(arabic.body["item"]["title"]["text"], "طاجين فاسي مزجج", "{}", arabic.body);
    assert!(arabic.body["page"].as_str().is_some_and(|p| p.ends_with("lang=ar")), "{}", arabic.body);
    assert_eq!(scan(&app, link, None, "phone-2").await.body, verified.body);
    let serial = serial_of(link);
    let forged = link.replace(&serial, &format!("{}{}", &serial[..9], if serial.ends_with('Z') { 'Y' } else { 'Z' }));
    let not_ours = scan(&app, &forged, None, "phone-1").await;
    assert_eq!(not_ours.body["verdict"], "not_authentic");
    assert_eq!(not_ours.body["page"], Value::Null);
    let resigned = format!("{}A", &link[..link.len() - 1]);
    let resigned = if resigned == *link { format!("{}B", &link[..link.len() - 1]) } else { resigned };
    let altered = scan(&app, &resigned, None, "phone-1").await;
    assert_eq!(altered.body["verdict"], "not_authentic");
    assert_eq!(altered.body["page"], Value::Null, "a forger is not handed the real link");
    // A short code typed by hand: the serial only, and no signed link in the answer.
    let typed = app.get(&format!("/v1/labels/{}", serial.to_lowercase())).await;
    assert_eq!(typed.body["verdict"], "authentic", "{}", typed.body);
    assert!(!typed.body.to_string().contains("&s="), "{}", typed.body);
    app.get(&format!("/v1/labels/{serial}?link=%2F01%2F123")).await.assert_problem(StatusCode::BAD_REQUEST, "invalid_label_link");

    // The resolver: the default link is the page in the reader's language, the query passed on.
    let client = no_redirects();
    let resolved = client.get(app.url(&path_of(link))).header("accept-language", "ar-MA,ar;q=0.9,fr;q=0.5").send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = resolved.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let query = path_of(link).split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
    assert_eq!(location, format!("/verify{}&lang=ar", path_of(link)), "{query}");
    assert!(resolved.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or_default().contains("rel=\"linkset\""));
    assert_eq!(resolved.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
    let french = client.get(app.url(&path_of(link))).header("accept-language", "fr").send().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(french.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().ends_with("lang=fr"));
    // linkType=all: every link of the item, as a linkset.
    let all = app.get(&format!("{}&linkType=all", path_of(link))).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.header("content-type"), "application/linkset+json");
    let item = &all.body["linkset"][0];
    assert_eq!(item["anchor"].as_str().map(|a| a.ends_with(&format!("/01/06111234567895/21/{serial}"))), Some(true), "{item}");
    let pages = item["https://ref.gs1.org/voc/pip"].as_array().cloned().unwrap_or_default();
    let langs: Vec<&str> = pages.iter().filter_map(|p| p["hreflang"][0].as_str()).collect();
    assert_eq!(langs, ["ar", "fr", "en"]);
    assert!(item["https://ref.gs1.org/voc/defaultLink"][0]["href"].is_string());
    let cert = client.get(app.url(&format!("{}&linkType=gs1:certificationInfo", path_of(link)))).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cert.headers().get("location").and_then(|v| v.to_str().ok()), Some(format!("/v1/certifications/{}", l.certification).as_str()));
    app.get(&format!("{}&linkType=gs1:recallStatus", path_of(link))).await.assert_problem(StatusCode::NOT_FOUND, "link_type_not_found");
    app.get("/01/06111234567895/21/ZZZZZZZZZZ?linkType=all").await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Syntax errors are 400s, never 200s: a wrong check digit, an extra part, a character out of
    // GS1's set; a well-formed link of no label (a GTIN alone, with a lot) is a 404.
    for well_formed in ["/01/06111234567895", "/01/06111234567895/10/LOT7/21/X"] {
        app.get(well_formed).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    for bad in ["/01/06111234567896/21/ABC", "/01/06111234567895/21/ABC/foo", "/01/06111234567895/21/A~B", "/01/06111234567895/21"] {
        let reply = app.get(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        let html = client.get(app.url(bad)).header("accept", "text/html").send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(html.status(), StatusCode::BAD_REQUEST, "{bad} as HTML");
    }
    let options = client.request(reqwest::Method::OPTIONS, app.url(&path_of(link))).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert!(options.headers().get("access-control-allow-methods").and_then(|v| v.to_str().ok()).unwrap_or_default().contains("OPTIONS"));
    let description = app.get("/.well-known/gs1resolver").await;
    assert_eq!(description.body["supportedPrimaryKeys"], json!(["01"]));

    // The page the redirect leads to, right to left in Arabic.
    let page = app.client.get(app.url(&location)).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("dir=\"rtl\"") && html.contains("أصلي") && html.contains("data-verdict=\"authentic\""), "{html}");

    // Public keys for offline verifiers.
    let keys = app.get("/.well-known/souk-label-keys.json").await;
    assert_eq!(keys.body["keys"][0]["alg"], "Ed25519");
    assert_eq!(keys.body["keys"][0]["status"], "active");
    let revocations = app.get("/.well-known/souk-label-revocations.json").await;
    assert_eq!(revocations.body["revoked"], json!([]));

    // QR codes, for those who may print them: the PNG decodes back to the link.
    let png = app.client.get(app.url(&format!("/v1/labels/{serial}/qr.png"))).bearer_auth(&l.certifier).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(png.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    let image = image::load_from_memory(&png.bytes().await.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}")).to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().map(|(_, s)| s).ok().as_deref(), Some(link.as_str()));
    let svg = app.client.get(app.url(&format!("/v1/labels/{serial}/qr.svg"))).bearer_auth(&l.artisan).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(svg.status(), StatusCode::OK);
    let (stranger, _) = app.artisan("stranger@example.ma").await;
    let theirs = app.get_as(&format!("/v1/labels/{serial}/qr.png"), &stranger).await;
    theirs.assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!("/v1/labels/{serial}/qr.png")).await.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // The sheet: a PDF that a real renderer opens, with one readable QR code per label.
    let sheet = app.client.get(app.url(&format!("/v1/label-batches/{}/sheet.pdf", l.batch))).bearer_auth(&l.artisan).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sheet.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let pdf = sheet.bytes().await.unwrap_or_default().to_vec();
    if let Some(mut decoded) = crate::render::qr_codes_on_sheet(&pdf).await {
        decoded.sort();
        let mut expected = l.links.clone();
        expected.sort();
        assert_eq!(decoded, expected);
    }
});

app_test!(async fn the_buyer_becomes_the_owner_on_the_first_scan_after_delivery(env) {
    let app = env.spawn_with(|f| f.merge(figment::providers::Serialized::default("labels.flush_interval_ms", 50))).await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let l = labelled(&env, &app, "potter", None, 4).await;
    let buyer = app.buyer("salma@example.ma").await;
    let placed = place(&app, &buyer, "k1", order(&[(&l.product, 2)], "cash_on_delivery")).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let order_id = id(&placed);
    let parcel = placed.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();
    let due = placed.body["fulfilments"][0]["items_total_minor"].as_i64().unwrap_or(0)
        + placed.body["fulfilments"][0]["shipping_fee_minor"].as_i64().unwrap_or(0);
    app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&admin), json!({})).await;
    app.post(&format!("/v1/fulfilments/{parcel}/accept"), Some(&l.artisan), json!({})).await;
    // The potter says which labels go in the parcel: two units, so two labels at most.
    let serials: Vec<String> = l.links.iter().map(|u| serial_of(u)).collect();
    let sent = app.post(&format!("/v1/fulfilments/{parcel}/labels"), Some(&l.artisan), json!({"serials": [serials[0], serials[1]]})).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    app.post(&format!("/v1/fulfilments/{parcel}/labels"), Some(&l.artisan), json!({"serials": [serials[2]]}))
        .await
        .assert_problem(StatusCode::CONFLICT, "label_unavailable");
    let other = labelled(&env, &app, "weaver", None, 1).await;
    app.post(&format!("/v1/fulfilments/{parcel}/labels"), Some(&l.artisan), json!({"serials": [serial_of(&other.links[0])]}))
        .await
        .assert_problem(StatusCode::CONFLICT, "label_unavailable");
    app.post(&format!("/v1/fulfilments/{parcel}/labels"), Some(&other.artisan), json!({"serials": [serials[0]]}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post(&format!("/v1/fulfilments/{parcel}/ship"), Some(&l.artisan), json!({"carrier": "Amana", "tracking_number": "AM-77"})).await;
    let link = &l.links[0];
    // On its way: not sold yet, and nobody owns it.
    let early = scan(&app, link, Some(&buyer), "salma-phone").await;
    assert_eq!((early.body["status"].as_str(), &early.body["ownership"]), (Some("valid"), &Value::Null), "{}", early.body);
    let delivered = app.post(&format!("/v1/fulfilments/{parcel}/deliver"), Some(&admin), json!({"cash_collected_minor": due})).await;
    assert_eq!(delivered.body["status"], "delivered", "{}", delivered.body);
    // Someone else's scan registers nobody.
    let neighbour = app.buyer("neighbour@example.ma").await;
    let theirs = scan(&app, link, Some(&neighbour), "neighbour-phone").await;
    assert_eq!(theirs.body["status"], "sold", "{}", theirs.body);
    assert_eq!(theirs.body["ownership"], Value::Null);
    // The buyer's first scan after delivery registers them.
    let mine = scan(&app, link, Some(&buyer), "salma-phone").await;
    assert_eq!(mine.body["ownership"]["yours"], true, "{}", mine.body);
    assert_eq!(mine.body["ownership"]["registered_now"], true);
    let again = scan(&app, link, Some(&buyer), "salma-phone").await;
    assert_eq!((again.body["ownership"]["yours"].as_bool(), again.body["ownership"]["registered_now"].as_bool()), (Some(true), Some(false)));
    // Others see that it is registered, and since when, never to whom.
    let anyone = scan(&app, link, None, "a-phone").await;
    assert_eq!(anyone.body["ownership"]["yours"], false);
    assert!(anyone.body["ownership"]["since"].is_string());
    assert!(!anyone.body.to_string().contains("salma"), "{}", anyone.body);
    assert_eq!(anyone.body["warning"], Value::Null);
    // The buyer scanning again and again changes nothing; other phones after the sale do.
    for _ in 0..10 {
        scan(&app, link, Some(&buyer), "salma-phone").await;
    }
    for phone in ["b-phone", "c-phone", "d-phone"] {
        scan(&app, link, None, phone).await;
    }
    let mut warning = Value::Null;
    for _ in 0..100 {
        warning = scan(&app, link, Some(&buyer), "salma-phone").await.body["warning"].clone();
        if !warning.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(warning, json!({"code": "suspected_clone", "reason": "scanned_after_sale"}));
    // The other label of the parcel went out with it too and is sold; the one left is not.
    assert_eq!(scan(&app, &l.links[1], None, "x").await.body["status"], "sold");
    assert_eq!(scan(&app, &l.links[2], None, "x").await.body["status"], "valid");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_label_is_reported_revoked_by_every_replica_at_once() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let a = env.spawn().await;
    let b = env.spawn().await;
    let l = labelled(&env, &a, "potter", None, 10).await;
    for (round, link) in l.links.iter().enumerate() {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        // The reader has the label cached...
        for _ in 0..2 {
            assert_eq!(
                scan(reader, link, None, "phone").await.body["verdict"],
                "authentic"
            );
        }
        // ...the other replica revokes it...
        let revoked = writer
            .post(
                &format!("/v1/labels/{}/revoke", serial_of(link)),
                Some(&l.certifier),
                json!({"reason": "stolen from the workshop"}),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
        // ...and the reader's very next answer says so.
        let after = scan(reader, link, None, "phone").await;
        assert_eq!(
            after.body["verdict"], "revoked",
            "round {round}: {}",
            after.body
        );
        assert_eq!(after.body["status"], "revoked");
        assert_eq!(after.body["revocation_reason"], "stolen from the workshop");
        let list = reader.get("/.well-known/souk-label-revocations.json").await;
        assert_eq!(
            list.body["revoked"].as_array().map(Vec::len),
            Some(round + 1),
            "round {round}"
        );
    }
    writer_cannot_revoke_twice(&a, &l).await;
    assert!(
        a.metric("souk_cache_hits_total{family=\"label\"").await > 0
            && b.metric("souk_cache_hits_total{family=\"label\"").await > 0
    );
}

async fn writer_cannot_revoke_twice(app: &TestApp, l: &Labelled) {
    app.post(
        &format!("/v1/labels/{}/revoke", serial_of(&l.links[0])),
        Some(&l.certifier),
        json!({"reason": "again"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "already_revoked");
    app.post(
        &format!("/v1/labels/{}/revoke", serial_of(&l.links[1])),
        Some(&l.artisan),
        json!({"reason": "mine"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

app_test!(async fn a_label_never_shows_more_of_the_artisan_than_they_agreed_to(env) {
    let app = env.spawn().await;
    let admin = env.admin(&app, "ops@souk.ma").await;
    let (agent, _) = app.agent(&admin, "agent@souk.ma").await;
    let artisan = app.onboard(&agent, "فاطمة الزهراء").await;
    let product = app
        .product(&agent, json!({"artisan_id": artisan, "craft": "pottery", "title": {"fr": "Jarre verte"}, "price_minor": 30_000}))
        .await;
    let certifier = env.appoint(&app, "delegation@artisanat.ma", Role::Certifier).await;
    let cert = id(&app.post("/v1/certifications", Some(&certifier), certification(&product)).await);
    let batch = id(&app.post(&format!("/v1/certifications/{cert}/labels"), Some(&certifier), json!({"count": 1})).await);
    let link = app.get_as(&format!("/v1/label-batches/{batch}/labels"), &agent).await.body["items"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let page = |link: String| {
        let app = &app;
        async move {
            let url = app.url(&format!("/verify{}", path_of(&link)));
            app.client.get(url).send().await.unwrap_or_else(|e| panic!("{e}")).text().await.unwrap_or_default()
        }
    };
    // By default, the workshop: name and commune (as the catalog shows). Never the phone, payout
    // or consent.
    let shown = scan(&app, &link, None, "p").await;
    assert_eq!(shown.body["maker"]["name"]["text"], "فاطمة الزهراء");
    assert_eq!(shown.body["maker"]["commune"], "Sefrou");
    let html = page(link.clone()).await;
    for private in ["612345678", "12 34 56 78", "thumbprint", "Moqaddem", "cash_via_agent"] {
        assert!(!shown.body.to_string().contains(private) && !html.contains(private), "{private} leaked");
    }
    // Only their name.
    let set = app.put(&format!("/v1/artisans/{artisan}/label-disclosure"), Some(&agent), json!({"label_disclosure": "name"})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let named = scan(&app, &link, None, "p").await;
    assert_eq!((named.body["maker"]["name"]["text"].as_str(), &named.body["maker"]["commune"]), (Some("فاطمة الزهراء"), &Value::Null));
    assert!(!page(link.clone()).await.contains("Sefrou"));
    // Nothing: an artisan of the region.
    app.put(&format!("/v1/artisans/{artisan}/label-disclosure"), Some(&agent), json!({"label_disclosure": "anonymous"})).await;
    let hidden = scan(&app, &link, None, "p").await;
    assert_eq!(hidden.body["maker"], json!({"name": null, "commune": null, "cooperative": null}));
    assert_eq!(hidden.body["item"]["product_id"], Value::Null, "its catalog page would name them");
    assert!(!path_of(&link).contains(&product), "the link names no catalog record");
    let certification = app.get(&format!("/v1/certifications/{}", hidden.body["certification"]["id"].as_str().unwrap_or_default())).await;
    assert!(certification.body.get("artisan_id").is_none() && certification.body.get("product_id").is_none());
    let html = page(link.clone()).await;
    assert!(!html.contains("فاطمة") && !html.contains("Sefrou"), "{html}");
    assert!(html.contains("Fès-Meknès"));
    // Nobody else decides it for them.
    let (other_agent, _) = app.agent(&admin, "other@souk.ma").await;
    app.put(&format!("/v1/artisans/{artisan}/label-disclosure"), Some(&other_agent), json!({"label_disclosure": "workshop"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.put(&format!("/v1/artisans/{artisan}/label-disclosure"), Some(&certifier), json!({"label_disclosure": "workshop"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
});

app_test!(async fn a_fake_reported_from_the_page_or_the_api_reaches_the_certifier(env) {
    let app = env.spawn().await;
    let l = labelled(&env, &app, "potter", None, 1).await;
    let serial = serial_of(&l.links[0]);
    let reported = app
        .post(&format!("/v1/labels/{serial}/reports"), None, json!({"reason": "suspected_fake", "details": "Sold in a market in Casablanca for 40 MAD"}))
        .await;
    assert_eq!(reported.status, StatusCode::CREATED, "{}", reported.body);
    assert_eq!(reported.body["known_label"], true);
    app.post(&format!("/v1/labels/{serial}/reports"), None, json!({"reason": "because"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let form = app
        .client
        .post(app.url("/verify/report"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("serial=ZZZZZ-ZZZZZ&reason=label_damaged&lang=ar&details=%D9%85%D8%B2%D9%88%D8%B1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(form.status(), StatusCode::CREATED);
    assert!(form.text().await.unwrap_or_default().contains("dir=\"rtl\""));
    let reports = app.get_as("/v1/label-reports", &l.certifier).await;
    let items = reports.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{}", reports.body);
    assert_eq!((items[0]["serial"].as_str(), items[0]["known_label"].as_bool()), (Some("ZZZZZZZZZZ"), Some(false)));
    assert_eq!(items[1]["details"], "Sold in a market in Casablanca for 40 MAD");
    app.get_as("/v1/label-reports", &l.artisan).await.assert_problem(StatusCode::FORBIDDEN, "forbidden");
});
