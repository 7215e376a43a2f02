//! The label's page in a real browser: headless Chromium driven by chromedriver over the W3C
//! WebDriver protocol. Screenshots are kept in `target/test-artifacts/`. A missing browser skips
//! on a laptop and fails under CI (`.ci/run` installs Debian's chromium and chromium-driver).

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct Browser {
    base: String,
    session: String,
    http: reqwest::Client,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A headless Chromium with a phone-sized window, or `None` when it is missing outside CI.
    pub(crate) async fn start() -> Option<Browser> {
        let probe = std::process::Command::new("chromedriver")
            .arg("--version")
            .output()
            .map_err(|e| e.to_string())
            .and_then(|o| {
                if o.status.success() {
                    Ok(())
                } else {
                    Err("chromedriver failed".into())
                }
            })
            .and_then(|()| {
                std::path::Path::new("/usr/bin/chromium")
                    .exists()
                    .then_some(())
                    .ok_or_else(|| "no /usr/bin/chromium".to_owned())
            });
        if !souk_testkit::require(
            "Chromium",
            "chromium + chromium-driver",
            probe,
            souk_testkit::ci(),
        ) {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let driver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let created: Value = http
            .post(format!("{base}/session"))
            .json(
                &json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}}),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("new session: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("new session: {e}"));
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        let browser = Browser {
            base,
            session,
            http,
            _driver: driver,
            _profile: profile,
        };
        // A phone's viewport, exactly (the window size flag alone leaves room for a frame).
        browser
            .command(
                "goog/cdp/execute",
                json!({"cmd": "Emulation.setDeviceMetricsOverride",
                "params": {"width": 412, "height": 915, "deviceScaleFactor": 1, "mobile": true}}),
            )
            .await;
        Some(browser)
    }

    /// A session command: POST with a body, or GET without; its answer's `value`.
    async fn send(&self, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}/{path}", self.base, self.session);
        let request = match body {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        let reply: Value = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        reply["value"].clone()
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        self.send(path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.send(path, None).await
    }

    pub(crate) async fn open(&self, url: &str) {
        self.command("url", json!({"url": url})).await;
    }

    pub(crate) async fn script(&self, script: &str) -> Value {
        self.command("execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// The text of the first element matching a CSS selector.
    pub(crate) async fn text(&self, selector: &str) -> String {
        let found = self
            .command(
                "element",
                json!({"using": "css selector", "value": selector}),
            )
            .await;
        let id = found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no {selector}: {found}"))
            .to_owned();
        self.get(&format!("element/{id}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Saves a screenshot of the page as `target/test-artifacts/<name>.png`; returns its bytes.
    pub(crate) async fn screenshot(&self, name: &str) -> Vec<u8> {
        use base64::Engine;
        let data = self.get("screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join(format!("{name}.png")), &png).unwrap_or_else(|e| panic!("{e}"));
        png
    }
}

impl Browser {
    /// Ends the session: Chromium exits, then the driver is killed with this value.
    pub(crate) async fn close(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}
