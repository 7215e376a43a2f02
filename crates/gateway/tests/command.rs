//! The `souk` command as a newcomer runs it: no configuration, no services.

use std::{
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    time::Duration,
};

use tokio::process::Command as AsyncCommand;

const SOUK: &str = env!("CARGO_BIN_EXE_souk");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// `souk` in `dir`, with none of the caller's Souk settings.
fn souk(dir: &Path) -> Command {
    let mut command = Command::new(SOUK);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("SOUK_")) {
        command.env_remove(key);
    }
    command.env("SOUK_LOG__LEVEL", "warn");
    command
}

async fn wait_ready(base: &str) -> bool {
    for _ in 0..300 {
        if let Ok(reply) = reqwest::get(format!("{base}/health/ready")).await
            && reply.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn with_no_configuration_it_serves_the_demo_catalog_from_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let mut child = AsyncCommand::from(souk(dir.path()))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://127.0.0.1:{port}");
    assert!(wait_ready(&base).await, "the server did not become ready");
    let reply = reqwest::Client::new()
        .get(format!("{base}/v1/products"))
        .query(&[("q", "فخار")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body: serde_json::Value = reply.json().await.unwrap_or_default();
    let items = body["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "{body}");
    assert!(items.iter().all(|p| p["craft"] == "pottery"), "{body}");
    // Its files are under ./data.
    assert!(dir.path().join("data/souk.db").is_file());
    let _ = child.kill().await;
}

#[test]
fn a_bad_setting_stops_start_up_with_a_message_naming_the_key() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = souk(dir.path())
        .env("SOUK_CACHE__TTL_SECONDS", "soon")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cache.ttl_seconds"), "{stderr}");
    let output = souk(dir.path())
        .env("REDIS_URL", "http://not-redis")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cache.redis_url"));
}

#[tokio::test]
async fn on_postgres_the_server_waits_for_souk_migrate() {
    let Some(db) = souk_testkit::TestDb::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        souk(dir.path())
            .args(args)
            .env("DATABASE_URL", &db.url)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert!(run(&["migrate", "down", "--all"]).status.success());
    let refused = run(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("souk migrate"));
    let status = run(&["migrate", "status"]);
    assert!(
        String::from_utf8_lossy(&status.stdout)
            .contains("pending  m20261129_000001_create_accounts")
    );
    assert!(run(&["migrate"]).status.success());
    let seeded = run(&["seed"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("added 320 product(s)"));
}

#[test]
fn souk_label_verify_checks_a_label_offline_with_the_published_keys() {
    use souk_labels::{
        Keyring, RevocationList,
        link::{LabelLink, ProductKey, Signed, SignedPart},
        offline::Revoked,
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let keyring_path = dir.path().join("label-keys.json");
    let keys = Keyring::open(&keyring_path, true).unwrap_or_else(|e| panic!("{e}"));
    let signed = Signed {
        product: ProductKey::Gtin("6111234567895".parse().unwrap_or_else(|e| panic!("{e}"))),
        serial: "K7Q2M9XP3D".into(),
        certification: "C7K2M9XP".into(),
        issued_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
        key_id: keys.active_kid().to_owned(),
    };
    let link = |signature: String| {
        LabelLink {
            product: signed.product.clone(),
            serial: signed.serial.clone(),
            signed: Some(SignedPart {
                certification: signed.certification.clone(),
                issued_on: signed.issued_on,
                key_id: signed.key_id.clone(),
                signature,
            }),
        }
        .to_url("https://label.example.ma")
    };
    let signature = keys.sign(&signed.message());
    let genuine = link(signature.clone());
    let mut changed: Vec<char> = signature.chars().collect();
    changed[40] = if changed[40] == 'A' { 'B' } else { 'A' };
    let forged = link(changed.into_iter().collect());
    let published = dir.path().join("souk-label-keys.json");
    let document = serde_json::to_vec(&keys.document("https://label.example.ma"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&published, document).unwrap_or_else(|e| panic!("{e}"));
    let verify = |args: &[&str]| {
        souk(dir.path())
            .env("SOUK_LABELS__KEYRING", &keyring_path)
            .args(["label", "verify"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let keys_arg = published.to_string_lossy().into_owned();

    let ok = verify(&[&genuine, "--keys", &keys_arg]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("AUTHENTIC: label K7Q2M9XP3D"));
    // Without --keys: this server's own keyring.
    assert!(verify(&[&genuine]).status.success());
    let bad = verify(&[&forged, "--keys", &keys_arg]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NOT AUTHENTIC: bad_signature"));
    let garbage = verify(&["https://label.example.ma/01/123/21/X", "--keys", &keys_arg]);
    assert!(String::from_utf8_lossy(&garbage.stderr).contains("NOT AUTHENTIC: malformed"));

    // A signed revocation list catches a revoked label offline; an unsigned one is refused.
    let revoked = vec![Revoked {
        serial: signed.serial.clone(),
        revoked_at: "2026-12-02T10:00:00Z".into(),
    }];
    let (issuer, at, kid) = (
        "https://label.example.ma",
        "2026-12-02T10:05:00Z",
        keys.active_kid(),
    );
    let list = RevocationList {
        issuer: issuer.into(),
        issued_at: at.into(),
        kid: kid.into(),
        signature: keys.sign(&RevocationList::message(issuer, at, kid, &revoked)),
        revoked,
    };
    let list_path = dir.path().join("souk-label-revocations.json");
    std::fs::write(&list_path, serde_json::to_vec(&list).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let list_arg = list_path.to_string_lossy().into_owned();
    let out = verify(&[&genuine, "--keys", &keys_arg, "--revocations", &list_arg]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("REVOKED: label K7Q2M9XP3D"));
    let mut doctored = list.clone();
    doctored.revoked.clear();
    std::fs::write(
        &list_path,
        serde_json::to_vec(&doctored).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = verify(&[&genuine, "--keys", &keys_arg, "--revocations", &list_arg]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed by a published key"));
}

/// `souk` as production runs it: `SOUK_ENV=production` with the repository's config folder.
fn souk_production(dir: &Path, database_url: &str, keyring: &Path) -> Command {
    let mut command = souk(dir);
    command
        .env("SOUK_ENV", "production")
        .env(
            "SOUK_CONFIG_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config"),
        )
        .env("DATABASE_URL", database_url)
        .env("SOUK_LABELS__KEYRING", keyring)
        .env("SOUK_LABELS__BASE_URL", "https://label.example.ma");
    command
}

#[tokio::test]
async fn a_fresh_production_database_gets_the_crafts_without_demo_data_and_an_artisan_signs_up() {
    let Some(db) = souk_testkit::TestDb::postgres_empty().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let keyring = dir.path().join("label-keys.json");
    let run = |args: &[&str]| {
        let output = souk_production(dir.path(), &db.url, &keyring)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            output.status.success(),
            "souk {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run(&["label", "rotate-key"]);
    assert!(run(&["migrate"]).contains("applied 13 migration(s)"));
    assert!(run(&["seed", "--reference"]).contains("added 14 craft(s)"));
    // Every release runs it again: nothing is added twice.
    assert!(run(&["seed", "--reference"]).contains("added 0 craft(s)"));

    let port = free_port();
    let mut server = AsyncCommand::from(souk_production(dir.path(), &db.url, &keyring))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://127.0.0.1:{port}");
    assert!(wait_ready(&base).await, "the server did not become ready");
    let client = reqwest::Client::new();
    let signed_up = client
        .post(format!("{base}/v1/auth/register"))
        .json(&serde_json::json!({
            "email": "latifa@example.ma",
            "password": "a long passphrase",
            "display_name": "Latifa Bennani",
            "role": "artisan",
            "artisan": {
                "name": {"fr": "Latifa Bennani", "ar": "لطيفة بناني"},
                "commune": "Sefrou",
                "crafts": ["embroidery"]
            }
        }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = signed_up.status();
    assert_eq!(
        status,
        201,
        "{}",
        signed_up.text().await.unwrap_or_default()
    );
    let crafts: serde_json::Value = client
        .get(format!("{base}/v1/crafts"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(
        crafts["items"].as_array().map(Vec::len),
        Some(14),
        "{crafts}"
    );
    let products: serde_json::Value = client
        .get(format!("{base}/v1/products"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(products["items"], serde_json::json!([]), "{products}");
    use souk_db::sea_orm::{EntityTrait, PaginatorTrait};
    let stored = souk_db::entities::products::Entity::find()
        .count(&db.conn)
        .await
        .unwrap_or(u64::MAX);
    assert_eq!(stored, 0, "no demo product in production");
    let _ = server.kill().await;
}

/// `souk backup` then `souk restore` in another data folder: the demo database, the keyring,
/// and the same answers from the restored copy.
#[tokio::test]
async fn souk_backup_then_souk_restore_elsewhere_gives_the_same_marketplace() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        let output = souk(dir.path())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        (output.status.success(), text)
    };
    let (ok, text) = run(&["--data-dir", "first", "seed"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["--data-dir", "first", "label", "rotate-key"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["--data-dir", "first", "backup", "--to", "backup"]);
    assert!(ok && text.contains("the label keyring"), "{text}");
    let (ok, text) = run(&["--data-dir", "first", "backup", "--to", "backup"]);
    assert!(!ok && text.contains("not empty"), "{text}");
    let (ok, text) = run(&["--data-dir", "second", "restore", "--from", "backup"]);
    assert!(
        ok && text.contains("restored the sqlite database"),
        "{text}"
    );
    let (ok, text) = run(&["--data-dir", "second", "restore", "--from", "backup"]);
    assert!(!ok && text.contains("already has"), "{text}");
    let keys = |folder: &str| std::fs::read(dir.path().join(folder).join("label-keys.json")).ok();
    assert!(keys("second").is_some());
    assert_eq!(keys("first"), keys("second"));

    let mut answers = Vec::new();
    for folder in ["first", "second"] {
        let port = free_port();
        let mut child = AsyncCommand::from(souk(dir.path()))
            .args([
                "--data-dir",
                folder,
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let base = format!("http://127.0.0.1:{port}");
        assert!(wait_ready(&base).await, "{folder} did not become ready");
        let body: serde_json::Value = reqwest::get(format!("{base}/v1/products?limit=50"))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_default();
        answers.push(body["items"].clone());
        let _ = child.kill().await;
    }
    assert!(answers[0].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(answers[0], answers[1]);
}
