//! Backups: a marketplace with orders, a ledger, labels and photos is backed up (`souk backup`'s
//! code), restored into a fresh database, photo store and keyring (`souk restore`'s), and a
//! gateway on the restored copy verifies every label, keeps balanced books and serves every
//! photo. On SQLite with photos on disk, and on PostgreSQL with photos in an S3 bucket.

use figment::providers::Serialized;
use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::{Env, TestApp};
use souk_gateway::Settings;
use souk_media::fixtures;
use souk_testkit::{S3Server, TestDb};

use crate::labels::{labelled, scan};
use crate::orders::{count, id, order, place};

/// Where a test keeps photos: the data folder, or a bucket of its own.
fn photos(s3: Option<&S3Server>, figment: figment::Figment) -> figment::Figment {
    match s3 {
        Some(s3) => souk_api_tests::photos_on(s3, figment),
        None => figment,
    }
}

/// Orders, ledger entries, labels and photos: returns the label links and the photo URLs.
async fn a_day_of_trade(env: &Env, app: &TestApp) -> (Vec<String>, Vec<String>) {
    let admin = env.admin(app, "ops@souk.ma").await;
    let l = labelled(env, app, "potter", None, 6).await;
    let photo = app
        .upload(
            &format!("/v1/products/{}/photos", l.product),
            &l.artisan,
            &fixtures::jpeg_with_gps(800, 600),
        )
        .await;
    assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.body);
    let urls = photo.body["variants"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v| v["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    let buyer = app.buyer("salma@example.ma").await;
    let placed = place(
        app,
        &buyer,
        "k1",
        order(&[(&l.product, 2)], "cash_on_delivery"),
    )
    .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let parcel = placed.body["fulfilments"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let due = placed.body["fulfilments"][0]["items_total_minor"]
        .as_i64()
        .unwrap_or(0)
        + placed.body["fulfilments"][0]["shipping_fee_minor"]
            .as_i64()
            .unwrap_or(0);
    let order_id = id(&placed);
    app.post(
        &format!("/v1/orders/{order_id}/confirm"),
        Some(&admin),
        json!({}),
    )
    .await;
    app.post(
        &format!("/v1/fulfilments/{parcel}/accept"),
        Some(&l.artisan),
        json!({}),
    )
    .await;
    app.post(
        &format!("/v1/fulfilments/{parcel}/ship"),
        Some(&l.artisan),
        json!({"carrier": "Amana", "tracking_number": "AM1"}),
    )
    .await;
    let delivered = app
        .post(
            &format!("/v1/fulfilments/{parcel}/deliver"),
            Some(&admin),
            json!({"cash_collected_minor": due}),
        )
        .await;
    assert_eq!(delivered.body["status"], "delivered", "{}", delivered.body);
    (l.links, urls)
}

async fn backed_up_and_restored(env: Env, s3: Option<S3Server>) {
    let app = env.spawn_with(|f| photos(s3.as_ref(), f)).await;
    let (links, photo_urls) = a_day_of_trade(&env, &app).await;
    let entries = count(&env, "SELECT COUNT(*) FROM ledger_entries").await;
    assert!(entries > 0);
    let mut originals = Vec::new();
    for url in &photo_urls {
        originals.push(app.bytes(url).await.1);
    }
    let backup_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let backup_dir = backup_dir.path().join("souk-backup");
    let settings = env.settings(|f| photos(s3.as_ref(), f));
    let made = souk_gateway::backup::backup(&settings, &backup_dir)
        .await
        .unwrap_or_else(|e| panic!("backup: {e:#}"));
    assert_eq!((made.photos, made.keyring), (3, true), "{made:?}");
    app.stop().await;

    // A fresh database, data folder (keyring, local photos) and bucket.
    let fresh = match env.db.backend {
        souk_db::Backend::Postgres => TestDb::postgres_empty()
            .await
            .unwrap_or_else(|| panic!("PostgreSQL")),
        souk_db::Backend::Sqlite => TestDb::sqlite_empty().await,
    };
    let fresh_s3 = match s3 {
        Some(_) => Some(
            S3Server::start()
                .await
                .unwrap_or_else(|| panic!("moto_server")),
        ),
        None => None,
    };
    let fresh_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let restored_settings = |f: figment::Figment| {
        photos(fresh_s3.as_ref(), f)
            .merge(Serialized::default("database.url", &fresh.url))
            .merge(Serialized::default("data_dir", fresh_dir.path()))
            .merge(Serialized::default(
                "cache.namespace",
                format!("{}-restored", env.namespace),
            ))
    };
    let settings: Settings = env.settings(restored_settings);
    // The restore is the only one to use this database (a server would hold it open).
    fresh.conn.clone().close().await.ok();
    // Checked before anything is written: with another brand's keyring in place the restore
    // stops, writes nothing, and runs whole once that keyring is gone.
    let keyring = settings.label_keyring();
    souk_labels::Keyring::open(&keyring, true).unwrap_or_else(|e| panic!("{e}"));
    let refused = souk_gateway::backup::restore(&settings, &backup_dir).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| format!("{e:#}").contains("different keyring")),
        "{refused:?}"
    );
    souk_db::backup::ensure_empty(&fresh.url)
        .await
        .unwrap_or_else(|e| panic!("the database was written: {e}"));
    std::fs::remove_file(&keyring).unwrap_or_else(|e| panic!("{e}"));
    souk_gateway::backup::restore(&settings, &backup_dir)
        .await
        .unwrap_or_else(|e| panic!("restore: {e:#}"));
    // Never over live data.
    let again = souk_gateway::backup::restore(&settings, &backup_dir).await;
    assert!(
        again
            .as_ref()
            .is_err_and(|e| format!("{e:#}").contains("already has")),
        "{again:?}"
    );

    let restored = TestApp::start(&settings).await;
    for link in &links {
        let verified = scan(&restored, link, None, "phone-1").await;
        assert_eq!(
            verified.body["verdict"], "authentic",
            "{link}: {}",
            verified.body
        );
    }
    let restored_db = souk_db::connect(&souk_db::DbOptions::new(&fresh.url))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (balance, restored_entries) = ledger_of(&restored_db).await;
    assert_eq!(
        (balance, restored_entries),
        (0, entries),
        "the books balance, entry for entry"
    );
    for (url, original) in photo_urls.iter().zip(&originals) {
        let (status, bytes) = restored.bytes(url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert_eq!(&bytes, original, "{url}");
    }
    // Accounts came back too: the buyer signs in and finds her order.
    let mine = restored.login("salma@example.ma").await;
    let orders = restored.get_as("/v1/orders", &mine).await;
    assert_eq!(
        orders.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        orders.body
    );
}

async fn ledger_of(conn: &souk_db::DatabaseConnection) -> (i64, i64) {
    use souk_db::ConnectionTrait;
    let sql = "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS balance, COUNT(*) AS entries FROM ledger_entries";
    let row = conn
        .query_one_raw(souk_db::sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no row"));
    (
        row.try_get::<i64>("", "balance").unwrap_or(-1),
        row.try_get::<i64>("", "entries").unwrap_or(-1),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_on_sqlite_with_photos_on_disk_restores_whole() {
    backed_up_and_restored(Env::sqlite().await, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_on_postgres_with_photos_in_s3_restores_whole() {
    let Some(env) = Env::postgres_and_redis().await else {
        return;
    };
    let Some(s3) = S3Server::start().await else {
        return;
    };
    backed_up_and_restored(env, Some(s3)).await;
}
