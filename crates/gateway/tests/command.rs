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
