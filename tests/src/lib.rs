//! Starting the real gateway for black-box tests: on a random port, against a fresh database,
//! with the in-process cache (SQLite) or a real Redis (PostgreSQL), several replicas if asked.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use figment::providers::Serialized;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use souk_cache::Cache;
use souk_catalog::{Catalog, CatalogSettings};
use souk_gateway::{App, Settings, Sources};
use souk_testkit::TestDb;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// Runs a test once per backing: SQLite with the in-process cache, and PostgreSQL with Redis.
/// The body gets an [`Env`] named by the first argument.
#[macro_export]
macro_rules! app_test {
    ($(#[$meta:meta])* async fn $name:ident($env:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite_and_in_process_cache() {
                let $env = $crate::Env::sqlite().await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres_and_redis() {
                let Some($env) = $crate::Env::postgres_and_redis().await else { return };
                $body
            }
        }
    };
}

/// The services a test's gateways share: one database, and Redis or not.
pub struct Env {
    pub db: TestDb,
    pub redis_url: Option<String>,
    /// A cache namespace of this test's own, so tests sharing one Redis never meet.
    pub namespace: String,
    data_dir: tempfile::TempDir,
}

impl Env {
    pub async fn sqlite() -> Env {
        Self::with(TestDb::sqlite().await, None).await
    }

    /// PostgreSQL and the shared Redis; `None` (skipped) when either is missing outside CI.
    pub async fn postgres_and_redis() -> Option<Env> {
        let redis = souk_testkit::redis_url().await?;
        let db = TestDb::postgres().await?;
        Some(Self::with(db, Some(redis)).await)
    }

    /// A database on either backend with a given Redis (a private server, say).
    pub async fn with(db: TestDb, redis_url: Option<String>) -> Env {
        let env = Env {
            db,
            redis_url,
            namespace: format!("test-{:016x}", fastrand::u64(..)),
            data_dir: tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}")),
        };
        // The crafts taxonomy; products are each test's own.
        let cache = Cache::in_process("seed", Duration::from_secs(1), 100);
        let catalog = Catalog::new(env.db.conn.clone(), cache, CatalogSettings::default());
        catalog
            .load_reference()
            .await
            .unwrap_or_else(|e| panic!("seed crafts: {e}"));
        env
    }

    /// Appoints an admin straight in the database (admins cannot sign up) and signs them in.
    pub async fn admin(&self, app: &TestApp, email: &str) -> String {
        self.appoint(app, email, souk_auth::Role::Admin).await
    }

    /// Appoints an account of any role (a certifier, say) straight in the database, and signs
    /// it in.
    pub async fn appoint(&self, app: &TestApp, email: &str, role: souk_auth::Role) -> String {
        let cache = Cache::in_process("admin", Duration::from_secs(1), 10);
        let settings = souk_auth::AuthSettings {
            password: souk_auth::PasswordParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..souk_auth::AuthSettings::default()
        };
        let auth = souk_auth::AuthService::new(self.db.conn.clone(), cache, settings)
            .unwrap_or_else(|e| panic!("{e}"));
        auth.appoint(souk_auth::NewAccount {
            email: email.into(),
            password: "a long passphrase".into(),
            display_name: match role {
                souk_auth::Role::Certifier => "Délégation régionale de l'artisanat Fès-Meknès",
                _ => "Operator",
            }
            .into(),
            role,
            lang: souk_kernel::Lang::Fr,
        })
        .await
        .unwrap_or_else(|e| panic!("appoint {role}: {e}"));
        app.login(email).await
    }

    /// Files under the photo store (the local default in `data_dir`).
    pub fn photo_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.data_dir.path().join("photos"), &mut files);
        files
    }

    /// A search index folder of its own for each gateway (replicas of one environment share its
    /// data folder, and an index folder is one replica's).
    pub fn search_dir(&self) -> PathBuf {
        self.data_dir
            .path()
            .join(format!("search-{:016x}", fastrand::u64(..)))
    }

    pub fn is_postgres(&self) -> bool {
        self.db.backend == souk_db::Backend::Postgres
    }

    /// The settings a gateway of this environment runs with, changed by `tweak`.
    pub fn settings(&self, tweak: impl FnOnce(figment::Figment) -> figment::Figment) -> Settings {
        let sources = Sources {
            config_dir: Some(config_dir()),
            env: Some("test".into()),
            ..Sources::default()
        };
        let figment = Settings::figment(&sources).unwrap_or_else(|e| panic!("{e}"));
        let figment = figment
            .merge(Serialized::default("listen", "127.0.0.1:0"))
            .merge(Serialized::default("data_dir", self.data_dir.path()))
            .merge(Serialized::default("search.index_dir", self.search_dir()))
            .merge(Serialized::default("database.url", &self.db.url))
            .merge(Serialized::default("database.migrate_on_start", "never"))
            .merge(Serialized::default(
                "cache.redis_url",
                self.redis_url.clone().unwrap_or_default(),
            ))
            .merge(Serialized::default("cache.namespace", &self.namespace))
            .merge(Serialized::default("demo.seed_on_first_run", false));
        Settings::extract(tweak(figment)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `binary` configured through the environment as in production, on this environment's
    /// database, Redis, data folder and cache namespace; stdout piped, killed when dropped.
    pub fn command(&self, binary: &str) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SOUK_ENV", "test")
            .env("SOUK_CONFIG_DIR", config_dir())
            .env("SOUK_LISTEN", "127.0.0.1:0")
            .env("SOUK_DATA_DIR", self.data_dir.path())
            .env("SOUK_SEARCH__INDEX_DIR", self.search_dir())
            .env("DATABASE_URL", &self.db.url)
            .env("SOUK_DATABASE__MIGRATE_ON_START", "never")
            .env("SOUK_CACHE__NAMESPACE", &self.namespace)
            .env("SOUK_DEMO__SEED_ON_FIRST_RUN", "false")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(redis) = &self.redis_url {
            command.env("REDIS_URL", redis);
        }
        command
    }

    /// A gateway in a process of its own (the real binary's start-up, its own pools and
    /// caches), configured through the environment as in production. `binary` is
    /// `env!("CARGO_BIN_EXE_souk-test-gateway")`, which only the test targets can name.
    /// `env` adds settings (`SOUK_AUTH__LOGIN_LIMIT_PER_ADDRESS`, say).
    pub async fn spawn_process(&self, binary: &str, env: &[(&str, &str)]) -> TestApp {
        use tokio::io::AsyncBufReadExt;
        let mut command = self.command(binary);
        command.envs(env.iter().copied());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start the gateway process: {e}"));
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("the gateway process has no stdout"));
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("the gateway process did not start in 60 s"))
            .unwrap_or_else(|e| panic!("read the gateway's address: {e}"))
            .unwrap_or_else(|| panic!("the gateway process exited before listening"));
        // Its log lines follow: read them so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let address: SocketAddr = first
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("the gateway printed {first:?}: {e}"));
        let app = TestApp {
            address,
            client: client(),
            shutdown: None,
            task: None,
            process: Some(child),
        };
        app.search_built().await;
        app
    }

    /// A gateway on a random port.
    pub async fn spawn(&self) -> TestApp {
        self.spawn_with(|f| f).await
    }

    pub async fn spawn_with(
        &self,
        tweak: impl FnOnce(figment::Figment) -> figment::Figment,
    ) -> TestApp {
        TestApp::start(&self.settings(tweak)).await
    }
}

/// Settings storing photos in `s3` instead of the local default: for `Env::spawn_with`.
pub fn photos_on(s3: &souk_testkit::S3Server, figment: figment::Figment) -> figment::Figment {
    use souk_testkit::S3Server;
    figment
        .merge(Serialized::default("photos.storage", "s3"))
        .merge(Serialized::default(
            "photos.s3_bucket",
            souk_testkit::S3_BUCKET,
        ))
        .merge(Serialized::default("photos.s3_region", "eu-west-3"))
        .merge(Serialized::default("photos.s3_endpoint", s3.endpoint()))
        .merge(Serialized::default("photos.s3_allow_http", true))
        .merge(Serialized::default(
            "photos.s3_access_key_id",
            S3Server::ACCESS_KEY_ID,
        ))
        .merge(Serialized::default(
            "photos.s3_secret_access_key",
            S3Server::SECRET_ACCESS_KEY,
        ))
}

/// The repository's config folder.
pub fn config_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../config"))
}

/// A running gateway.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// Set when the gateway runs as a process of its own; killed when this is dropped.
    process: Option<tokio::process::Child>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

impl TestApp {
    /// A gateway someone else runs (replicas behind a load balancer, say), reached at `address`.
    pub fn at(address: SocketAddr) -> TestApp {
        TestApp {
            address,
            client: client(),
            shutdown: None,
            task: None,
            process: None,
        }
    }

    pub async fn start(settings: &Settings) -> TestApp {
        let app = App::build(settings)
            .await
            .unwrap_or_else(|e| panic!("gateway did not build: {e}"));
        let listener = TcpListener::bind(settings.listen)
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("address: {e}"));
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = app.serve(listener, shutdown).await {
                panic!("gateway stopped: {e}");
            }
        });
        let app = TestApp {
            address,
            client: client(),
            shutdown: Some(tx),
            task: Some(task),
            process: None,
        };
        app.search_built().await;
        app
    }

    /// Waits (30 s at most) until the replica's search index is built, as a load balancer waits
    /// for readiness. Only the index is waited for: a test may start a replica whose database
    /// or cache is down on purpose.
    pub async fn search_built(&self) {
        let since = std::time::Instant::now();
        while since.elapsed() < Duration::from_secs(30) {
            let ready = self.client.get(self.url("/health/ready")).send().await;
            let building = match ready {
                Ok(reply) => {
                    let body: Value = reply.json().await.unwrap_or_default();
                    body["search"] == "building"
                }
                Err(_) => true,
            };
            if !building {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Sends a request and returns the status, headers and JSON body (`Null` if none or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::read(
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None, None).await
    }

    /// A POST with extra headers (an `Idempotency-Key`, say).
    pub async fn post_with(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Reply {
        let mut request = self.client.post(self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::read(
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Signs up an artisan (making pottery in Fès) and signs them in; returns the token and
    /// their artisan id.
    pub async fn artisan(&self, email: &str) -> (String, String) {
        let signed_up = self
            .post(
                "/v1/auth/register",
                None,
                json!({
                    "email": email,
                    "password": "a long passphrase",
                    "display_name": "Hassan",
                    "role": "artisan",
                    "artisan": {"name": {"ar": "حسن بناني", "fr": "Hassan Bennani"}, "commune": "Fès", "crafts": ["pottery"]}
                }),
            )
            .await;
        assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
        let artisan_id = signed_up.body["artisan_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (self.login(email).await, artisan_id)
    }

    pub async fn buyer(&self, email: &str) -> String {
        let body = json!({"email": email, "password": "a long passphrase", "display_name": "Buyer", "role": "buyer"});
        let signed_up = self.post("/v1/auth/register", None, body).await;
        assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
        self.login(email).await
    }

    pub async fn login(&self, email: &str) -> String {
        let reply = self
            .post(
                "/v1/auth/login",
                None,
                json!({"email": email, "password": "a long passphrase"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["token"].as_str().unwrap_or_default().to_owned()
    }

    /// An admin appoints an agent; returns the agent's token and account id.
    pub async fn agent(&self, admin: &str, email: &str) -> (String, String) {
        let body = json!({"email": email, "password": "a long passphrase", "display_name": "Agent", "commission_bps": 500});
        let reply = self.post("/v1/admin/agents", Some(admin), body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let id = reply.body["id"].as_str().unwrap_or_default().to_owned();
        (self.login(email).await, id)
    }

    /// An agent onboards an artisan (with consent); returns the artisan's id.
    pub async fn onboard(&self, agent: &str, name: &str) -> String {
        let reply = self
            .post("/v1/agent/artisans", Some(agent), onboarding(name))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// Uploads a file as `multipart/form-data` in a field named `photo`.
    pub async fn upload(&self, path: &str, token: &str, bytes: &[u8]) -> Reply {
        let boundary = "souk-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        Reply::read(response).await
    }

    /// The raw bytes at a path.
    pub async fn bytes(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status();
        (status, response.bytes().await.unwrap_or_default().to_vec())
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    /// Lists a product and returns its id.
    pub async fn product(&self, token: &str, body: Value) -> String {
        let reply = self.post("/v1/products", Some(token), body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The sum of the `/metrics` samples whose line starts with `series` (a name, or a name and
    /// the start of its labels).
    pub async fn metric(&self, series: &str) -> u64 {
        let reply = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let text = reply.text().await.unwrap_or_default();
        text.lines()
            .filter(|line| line.starts_with(series))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// Stops the gateway and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(mut child) = self.process.take() {
            let _ = child.kill().await;
        }
    }
}

impl TestApp {
    /// The process id of a gateway running as a process of its own.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(tokio::process::Child::id)
    }

    /// Sends the shutdown signal (what SIGTERM does to `souk serve`) and returns at once.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for an in-process gateway to stop after [`TestApp::signal_shutdown`]; false if it
    /// had not stopped within `bound`.
    pub async fn stopped_within(&mut self, bound: Duration) -> bool {
        match self.task.take() {
            Some(task) => tokio::time::timeout(bound, task).await.is_ok(),
            None => true,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// An artisan onboarded in the field, with their consent on record.
pub fn onboarding(name: &str) -> Value {
    json!({
        "name": {"ar": name, "fr": name},
        "commune": "Sefrou",
        "crafts": ["pottery"],
        "phone": "06 12 34 56 78",
        "payout": {"method": "cash_via_agent"},
        "consent": {
            "given_on": "2026-11-20",
            "method": "thumbprint",
            "witness": "Moqaddem of the douar",
            "reference": "form FM-2026-0142"
        }
    })
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a problem report with this status and code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{}",
            self.body
        );
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status.as_u16());
    }
}

/// A localstripe (PyPI) of this test's own, as Stripe for the gateway: started from
/// `scripts/localstripe-server.py` on a free port, killed when dropped. `None` (skipped) when
/// localstripe is not installed, outside CI; under `CI=true` a missing localstripe fails the test.
pub struct LocalStripe {
    pub url: String,
    client: reqwest::Client,
    _process: tokio::process::Child,
}

/// The test key any localstripe accepts, and the webhook secret the tests sign with.
pub const STRIPE_KEY: &str = "sk_test_souk";

/// Card payments on, with the test keys, against the Stripe API at `api_base`.
pub fn card_payments_at(api_base: &str, figment: figment::Figment) -> figment::Figment {
    figment
        .merge(Serialized::default(
            "payments.stripe_secret_key",
            STRIPE_KEY,
        ))
        .merge(Serialized::default(
            "payments.stripe_webhook_secret",
            STRIPE_WEBHOOK_SECRET,
        ))
        .merge(Serialized::default("payments.stripe_api_base", api_base))
}
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_souk_test_secret";

impl LocalStripe {
    pub async fn start() -> Option<LocalStripe> {
        use tokio::io::AsyncBufReadExt;
        let probe = tokio::process::Command::new("python3")
            .args(["-c", "import localstripe"])
            .output()
            .await
            .map_err(|e| e.to_string())
            .and_then(|out| {
                if out.status.success() {
                    Ok(())
                } else {
                    Err(
                        "python3 cannot import localstripe (pip install localstripe==1.15.10)"
                            .into(),
                    )
                }
            });
        if !souk_testkit::require(
            "localstripe",
            "python3 -m localstripe",
            probe,
            souk_testkit::ci(),
        ) {
            return None;
        }
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/localstripe-server.py"
        );
        let mut child = tokio::process::Command::new("python3")
            .args([script, "0"])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start localstripe: {e}"));
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("localstripe has no stdout"));
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("localstripe did not start in 30 s"))
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("localstripe exited before listening"));
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let url = format!("http://127.0.0.1:{}", port.trim());
        let local = LocalStripe {
            url,
            client: client(),
            _process: child,
        };
        // It answers once aiohttp is up.
        for _ in 0..100 {
            if local
                .client
                .get(format!("{}/v1/events", local.url))
                .basic_auth(STRIPE_KEY, Some(""))
                .send()
                .await
                .is_ok()
            {
                return Some(local);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("localstripe at {} never answered", local.url);
    }

    /// Settings that point a gateway at this localstripe.
    pub fn settings(&self, figment: figment::Figment) -> figment::Figment {
        card_payments_at(&self.url, figment)
    }

    /// Has localstripe sign and send its events to `url`.
    pub async fn send_webhooks_to(&self, url: &str) {
        let reply = self
            .client
            .post(format!("{}/_config/webhooks/souk", self.url))
            .form(&[("url", url), ("secret", STRIPE_WEBHOOK_SECRET)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            reply.status().is_success(),
            "register the webhook: {}",
            reply.status()
        );
    }

    /// A call to localstripe's API, as the buyer's browser (Stripe.js) would make it.
    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let reply = self
            .client
            .post(format!("{}{path}", self.url))
            .basic_auth(STRIPE_KEY, Some(""))
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        reply.json().await.unwrap_or(Value::Null)
    }

    /// A read from localstripe's API.
    pub async fn get(&self, path: &str) -> Value {
        let reply = self
            .client
            .get(format!("{}{path}", self.url))
            .basic_auth(STRIPE_KEY, Some(""))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        reply.json().await.unwrap_or(Value::Null)
    }

    /// Every event localstripe has, newest first.
    pub async fn events(&self) -> Vec<Value> {
        let reply = self
            .client
            .get(format!("{}/v1/events?limit=100", self.url))
            .basic_auth(STRIPE_KEY, Some(""))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let body: Value = reply.json().await.unwrap_or(Value::Null);
        body["data"].as_array().cloned().unwrap_or_default()
    }
}
