//! Configuration: the built-in defaults (`config/default.toml`), the same file on disk if
//! present, `config/<SOUK_ENV>.toml`, then the environment (`DATABASE_URL`, `REDIS_URL`, then
//! `SOUK_...`, with `__` between section and key), then command-line flags. Unknown keys and bad
//! values stop start-up with a message naming the key.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use souk_kernel::Lang;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("configuration: {key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("configuration: SOUK_ENV={env} but {path} does not exist")]
    MissingEnvFile { env: String, path: String },
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        // One clause per problem: the key (as the config file spells it), what is wrong, and
        // where the value came from.
        let messages: Vec<String> = err
            .into_iter()
            .map(|e| {
                let key = e.path.join(".").to_lowercase();
                let source = e
                    .metadata
                    .as_ref()
                    .map(|m| format!(" (from {})", m.name))
                    .unwrap_or_default();
                if key.is_empty() {
                    format!("{}{source}", e.kind)
                } else {
                    format!("{key}: {}{source}", e.kind)
                }
            })
            .collect();
        ConfigError::Parse(messages.join("; "))
    }
}

/// A value that must never reach a log: it prints as `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_empty() {
            "\"\""
        } else {
            "[redacted]"
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseSettings,
    pub cache: CacheSettings,
    pub auth: AuthConfig,
    pub catalog: CatalogConfig,
    pub search: SearchConfig,
    pub photos: PhotoSettings,
    pub agents: AgentSettings,
    pub orders: OrdersConfig,
    pub payments: PaymentsConfig,
    pub labels: LabelsConfig,
    pub http: HttpSettings,
    pub notify: NotifySettings,
    pub work: WorkSettings,
    pub shutdown: ShutdownSettings,
    pub log: LogSettings,
    pub demo: DemoSettings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrateOnStart {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    pub migrate_on_start: MigrateOnStart,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    pub redis_url: Secret,
    pub namespace: String,
    pub ttl_seconds: u64,
    pub local_entries: u64,
    pub op_timeout_ms: u64,
    pub retry_after_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub token_ttl_hours: u64,
    pub login_limit_per_account: u64,
    pub login_limit_per_address: u64,
    pub login_window_seconds: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub reset_ttl_minutes: u64,
    pub verification_ttl_hours: u64,
    pub email_limit_per_account: u64,
    pub email_limit_per_address: u64,
    pub email_window_seconds: u64,
    pub links_url: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    pub page_size: u32,
    pub cache_listings: bool,
    pub default_lang: Lang,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// The replica's index folder; empty: `<data_dir>/search`.
    pub index_dir: String,
    pub writer_memory_mb: u64,
    pub poll_interval_ms: u64,
    /// Equivalent forms an operator adds to Souk's vocabulary; empty: none.
    pub vocabulary_file: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoStorage {
    Local,
    S3,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoSettings {
    pub storage: PhotoStorage,
    pub local_dir: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_endpoint: String,
    pub s3_access_key_id: Secret,
    pub s3_secret_access_key: Secret,
    pub s3_allow_http: bool,
    pub public_base_url: String,
    pub max_upload_bytes: usize,
    pub max_pixels: u64,
    pub max_side: u32,
    pub uploads_per_hour: u64,
}

/// The outbox relay (`souk_notify`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    pub relay_interval_ms: u64,
    pub batch: u64,
    pub max_attempts: i32,
    pub timeout_ms: u64,
    pub allow_private_targets: bool,
    /// The wait after a delivery's first failure; it doubles each time, up to an hour.
    pub first_backoff_ms: u64,
    /// `off`, `log` (written to the log, not sent) or `smtp`.
    pub email: String,
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://user:pass@host:465`.
    pub smtp_url: Secret,
    pub email_from: String,
    /// `off`, `log` or `kannel`.
    pub sms: String,
    /// Kannel's smsbox `sendsms` URL, and its `sendsms-user` account.
    pub kannel_url: String,
    pub kannel_username: String,
    pub kannel_password: Secret,
    /// The sender shown on the phone, where the operator allows one.
    pub sms_sender: String,
}

/// The heavy-work slots of a replica (`souk_kernel::WorkSlots`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkSettings {
    pub slots: usize,
    pub wait_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    pub sync_max_operations: usize,
    pub sync_max_bytes: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdersConfig {
    pub payment_window_seconds: u64,
    pub confirmation_window_seconds: u64,
    pub expiry_interval_ms: u64,
    pub idempotency_ttl_hours: u64,
    pub max_lines: usize,
    pub max_quantity: u32,
    pub shipping: souk_orders::ShippingRates,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsConfig {
    pub platform_commission_bps: u32,
    /// Empty: card payments are off.
    pub stripe_secret_key: Secret,
    pub stripe_webhook_secret: Secret,
    /// Empty: Stripe itself; a localstripe URL in tests.
    pub stripe_api_base: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsConfig {
    /// The brand's public address; empty: `http://<listen>`.
    pub base_url: String,
    pub brand_name: String,
    /// Empty: `<data_dir>/label-keys.json`.
    pub keyring: String,
    pub create_keyring: bool,
    pub max_batch: u32,
    pub verify_per_minute: u64,
    pub reports_per_hour: u64,
    pub flush_interval_ms: u64,
    /// Verification answers kept rendered in each process (and as many queries kept parsed).
    pub rendered_answers: u64,
    pub clone_max_devices: u64,
    pub clone_max_places: u64,
    pub clone_max_devices_after_sale: u64,
    pub clone_window_days: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// The whole request, its body and our answer; past it, 503 `request_timeout` (408
    /// `body_timeout` when it was the client's body we were still waiting for).
    pub request_timeout_ms: u64,
    /// The longest a client may pause while sending the body it announced: 408 `body_timeout`.
    pub body_timeout_ms: u64,
    pub body_limit_bytes: usize,
    pub trust_forwarded_for: bool,
    /// The web front ends allowed to call `/v1` from a browser, as browsers send their `Origin`
    /// (`https://souk.ma`, `http://localhost:5173`). Empty: no CORS headers at all.
    pub cors_origins: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownSettings {
    pub drain_ms: u64,
    pub grace_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub seed_on_first_run: bool,
}

/// Where configuration comes from, besides the environment.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The folder holding `default.toml` and `<env>.toml` (default `./config`).
    pub config_dir: Option<PathBuf>,
    /// The environment name (default: `SOUK_ENV`).
    pub env: Option<String>,
    /// `--listen` from the command line.
    pub listen: Option<SocketAddr>,
    /// `--data-dir` from the command line.
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// The orders' settings, as the orders crate takes them.
    pub fn order_settings(&self) -> souk_orders::OrderSettings {
        let o = &self.orders;
        souk_orders::OrderSettings {
            payment_window: Duration::from_secs(o.payment_window_seconds),
            confirmation_window: Duration::from_secs(o.confirmation_window_seconds),
            idempotency_ttl: Duration::from_secs(o.idempotency_ttl_hours.saturating_mul(3600)),
            max_lines: o.max_lines,
            max_quantity: o.max_quantity,
            shipping: o.shipping.clone(),
            platform_commission_bps: self.payments.platform_commission_bps,
        }
    }

    /// Stripe's settings, as the payments crate takes them.
    pub fn stripe_settings(&self) -> souk_payments::StripeSettings {
        let p = &self.payments;
        souk_payments::StripeSettings {
            secret_key: p.stripe_secret_key.expose().to_owned(),
            webhook_secret: p.stripe_webhook_secret.expose().to_owned(),
            api_base: p.stripe_api_base.clone(),
        }
    }

    /// The relay's settings, as the notify crate takes them.
    pub fn relay_settings(&self) -> souk_notify::RelaySettings {
        let n = &self.notify;
        souk_notify::RelaySettings {
            batch: n.batch,
            max_attempts: n.max_attempts,
            timeout: Duration::from_millis(n.timeout_ms),
            allow_private_targets: n.allow_private_targets,
            first_backoff: Duration::from_millis(n.first_backoff_ms),
            email: souk_notify::EmailSettings {
                transport: match n.email.as_str() {
                    "smtp" => souk_notify::EmailTransport::Smtp {
                        url: n.smtp_url.expose().trim().to_owned(),
                    },
                    "log" => souk_notify::EmailTransport::Log,
                    _ => souk_notify::EmailTransport::Off,
                },
                from: n.email_from.clone(),
            },
            sms: match n.sms.as_str() {
                "kannel" => souk_notify::SmsProvider::Kannel(souk_notify::KannelSettings {
                    url: n.kannel_url.trim().to_owned(),
                    username: n.kannel_username.clone(),
                    password: n.kannel_password.expose().to_owned(),
                    sender: n.sms_sender.clone(),
                }),
                "log" => souk_notify::SmsProvider::Log,
                _ => souk_notify::SmsProvider::Off,
            },
            ..souk_notify::RelaySettings::default()
        }
    }

    /// A replica's heavy-work slots: make them once and share the handle.
    pub fn work_slots(&self) -> souk_kernel::WorkSlots {
        souk_kernel::WorkSlots::new(self.work.slots, Duration::from_millis(self.work.wait_ms))
    }

    /// What a replica does after SIGTERM.
    pub fn shutdown_policy(&self) -> crate::lifecycle::ShutdownPolicy {
        crate::lifecycle::ShutdownPolicy {
            drain: Duration::from_millis(self.shutdown.drain_ms),
            grace: Duration::from_millis(self.shutdown.grace_ms),
        }
    }

    /// Where the label keyring is: `labels.keyring`, or `label-keys.json` in the data folder.
    pub fn label_keyring(&self) -> PathBuf {
        match self.labels.keyring.trim() {
            "" => self.data_dir.join("label-keys.json"),
            path => PathBuf::from(path),
        }
    }

    /// The labels' settings, as the labels crate takes them, with the replica's heavy-work slots.
    /// The brand's public address: `labels.base_url`, or `http://<listen>` when it is empty.
    fn public_base_url(&self) -> String {
        match self.labels.base_url.trim() {
            "" => {
                let mut listen = self.listen;
                if listen.ip().is_unspecified() {
                    listen.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{listen}")
            }
            url => url.trim_end_matches('/').to_owned(),
        }
    }

    /// Where the links of password-reset and verification emails point.
    pub fn account_links_url(&self) -> String {
        match self.auth.links_url.trim() {
            "" => format!("{}/account", self.public_base_url()),
            url => url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn label_settings(&self, work: souk_kernel::WorkSlots) -> souk_labels::LabelSettings {
        let l = &self.labels;
        souk_labels::LabelSettings {
            base_url: self.public_base_url(),
            brand_name: l.brand_name.clone(),
            keyring: self.label_keyring(),
            create_keyring: l.create_keyring,
            max_batch: l.max_batch,
            verify_per_minute: l.verify_per_minute,
            reports_per_hour: l.reports_per_hour,
            work,
            clones: souk_labels::CloneRule {
                max_devices: l.clone_max_devices,
                max_places: l.clone_max_places,
                max_devices_after_sale: l.clone_max_devices_after_sale,
                window: Duration::from_secs(l.clone_window_days.saturating_mul(86_400)),
            },
        }
    }

    /// Loads the settings from every source, in order of precedence.
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        Self::extract(Self::figment(sources)?)
    }

    /// The merged sources, before extraction; tests merge their own values on top.
    pub fn figment(sources: &Sources) -> Result<Figment, ConfigError> {
        let dir = sources
            .config_dir
            .clone()
            .or_else(|| std::env::var_os("SOUK_CONFIG_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("config"));
        let mut figment = Figment::new().merge(Toml::string(DEFAULTS));
        let on_disk = dir.join("default.toml");
        if on_disk.is_file() {
            figment = figment.merge(Toml::file(on_disk));
        }
        let env = sources
            .env
            .clone()
            .or_else(|| std::env::var("SOUK_ENV").ok())
            .filter(|e| !e.is_empty());
        if let Some(env) = env {
            let file = env_file(&dir, &env)?;
            figment = figment.merge(Toml::file(file));
        }
        figment = figment
            .merge(
                Env::raw()
                    .only(&["DATABASE_URL"])
                    .map(|_| "database.url".into()),
            )
            .merge(
                Env::raw()
                    .only(&["REDIS_URL"])
                    .map(|_| "cache.redis_url".into()),
            )
            .merge(
                // SOUK_ENV and SOUK_CONFIG_DIR choose files; SOUK_TEST_* belong to the tests.
                Env::prefixed("SOUK_")
                    .ignore(&[
                        "ENV",
                        "CONFIG_DIR",
                        "TEST_POSTGRES_URL",
                        "TEST_REDIS_URL",
                        "TEST_SKIPS",
                    ])
                    .split("__"),
            );
        if let Some(listen) = sources.listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        if let Some(dir) = &sources.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        Ok(figment)
    }

    pub fn extract(figment: Figment) -> Result<Settings, ConfigError> {
        let settings: Settings = figment.extract()?;
        settings.validate()?;
        Ok(settings)
    }

    fn check_account_links(&self) -> Result<(), ConfigError> {
        let a = &self.auth;
        let invalid = |key: &'static str, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.into(),
            })
        };
        if a.reset_ttl_minutes == 0 || a.verification_ttl_hours == 0 {
            return invalid("auth.reset_ttl_minutes", "links must work above 0");
        }
        if a.email_limit_per_account == 0
            || a.email_limit_per_address == 0
            || a.email_window_seconds == 0
        {
            return invalid(
                "auth.email_limit_per_account",
                "email limits must be above 0",
            );
        }
        let links = a.links_url.trim();
        if !(links.is_empty() || links.starts_with("https://") || links.starts_with("http://")) {
            return invalid("auth.links_url", "must start with https:// (or http://)");
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.into(),
            })
        };
        let db = self.database.url.expose().trim();
        if !db.is_empty() && souk_db::Backend::of_url(db).is_none() {
            return invalid(
                "database.url",
                "must start with postgres://, postgresql:// or sqlite:",
            );
        }
        if !(1..=1_000).contains(&self.database.max_connections) {
            return invalid("database.max_connections", "must be between 1 and 1000");
        }
        if self.database.acquire_timeout_ms == 0 {
            return invalid("database.acquire_timeout_ms", "must be above 0");
        }
        let o = &self.orders;
        if o.payment_window_seconds == 0 || o.confirmation_window_seconds == 0 {
            return invalid("orders.payment_window_seconds", "windows must be above 0");
        }
        if o.expiry_interval_ms < 10 {
            return invalid("orders.expiry_interval_ms", "must be at least 10");
        }
        if !(1..=1_000).contains(&o.max_lines) || !(1..=10_000).contains(&o.max_quantity) {
            return invalid(
                "orders.max_lines",
                "max_lines 1 to 1000 and max_quantity 1 to 10000",
            );
        }
        if self.payments.platform_commission_bps > 5_000 {
            return invalid("payments.platform_commission_bps", "at most 5000 (50%)");
        }
        let p = &self.payments;
        if !p.stripe_secret_key.is_empty() && p.stripe_webhook_secret.is_empty() {
            return invalid(
                "payments.stripe_webhook_secret",
                "needed with a Stripe key: without it no payment can be confirmed",
            );
        }
        if let Err(message) = o.shipping.validate() {
            return invalid("orders.shipping", &message);
        }
        let l = &self.labels;
        let base = l.base_url.trim();
        if !(base.is_empty() || base.starts_with("https://") || base.starts_with("http://")) {
            return invalid("labels.base_url", "must start with https:// (or http://)");
        }
        if base.is_empty() && !l.create_keyring {
            // Where replicas share a mounted keyring (production), printed labels must point at
            // the brand's domain, never at a replica's own address.
            return invalid(
                "labels.base_url",
                "must be the brand's public address where labels.create_keyring is off",
            );
        }
        if !(1..=100_000).contains(&l.max_batch) {
            return invalid("labels.max_batch", "must be between 1 and 100000");
        }
        if l.brand_name.trim().is_empty() || l.brand_name.chars().count() > 40 {
            return invalid("labels.brand_name", "1 to 40 characters");
        }
        if l.flush_interval_ms < 10 {
            return invalid("labels.flush_interval_ms", "must be at least 10");
        }
        if l.verify_per_minute == 0 || l.reports_per_hour == 0 {
            return invalid("labels.verify_per_minute", "limits must be above 0");
        }
        if l.clone_max_devices == 0
            || l.clone_max_places == 0
            || l.clone_max_devices_after_sale == 0
            || l.clone_window_days == 0
        {
            return invalid(
                "labels.clone_max_devices",
                "clone thresholds and window must be above 0",
            );
        }
        let n = &self.notify;
        if n.relay_interval_ms < 10 || !(1..=10_000).contains(&n.batch) {
            return invalid(
                "notify.relay_interval_ms",
                "at least 10 ms, and notify.batch 1 to 10000",
            );
        }
        if !(1..=1000).contains(&n.max_attempts) || n.timeout_ms == 0 {
            return invalid(
                "notify.max_attempts",
                "1 to 1000, and notify.timeout_ms above 0",
            );
        }
        if n.first_backoff_ms == 0 {
            return invalid("notify.first_backoff_ms", "must be above 0");
        }
        match n.email.as_str() {
            "off" | "log" => {}
            "smtp" => {
                let url = n.smtp_url.expose().trim();
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    return invalid(
                        "notify.smtp_url",
                        "must be an smtp:// or smtps:// URL when notify.email = \"smtp\"",
                    );
                }
            }
            _ => return invalid("notify.email", "must be off, log or smtp"),
        }
        match n.sms.as_str() {
            "off" | "log" => {}
            "kannel" => {
                let url = n.kannel_url.trim();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return invalid(
                        "notify.kannel_url",
                        "must be smsbox's http:// or https:// sendsms URL when notify.sms = \"kannel\"",
                    );
                }
                if n.kannel_username.trim().is_empty() || n.kannel_password.is_empty() {
                    return invalid(
                        "notify.kannel_username",
                        "notify.kannel_username and notify.kannel_password are required",
                    );
                }
            }
            _ => return invalid("notify.sms", "must be off, log or kannel"),
        }
        let redis = self.cache.redis_url.expose().trim();
        let redis_scheme = redis.starts_with("redis://") || redis.starts_with("rediss://");
        if !redis.is_empty() && !redis_scheme {
            return invalid("cache.redis_url", "must start with redis:// or rediss://");
        }
        let ns = &self.cache.namespace;
        if ns.is_empty()
            || ns.len() > 64
            || !ns
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return invalid(
                "cache.namespace",
                "1 to 64 letters, digits, '-', '_' or '.'",
            );
        }
        if self.cache.ttl_seconds == 0 {
            return invalid("cache.ttl_seconds", "must be above 0");
        }
        if self.cache.op_timeout_ms == 0 {
            return invalid("cache.op_timeout_ms", "must be above 0");
        }
        if self.auth.token_ttl_hours == 0 {
            return invalid("auth.token_ttl_hours", "must be above 0");
        }
        if self.auth.login_limit_per_account == 0 || self.auth.login_limit_per_address == 0 {
            return invalid(
                "auth.login_limit_per_account",
                "login limits must be above 0",
            );
        }
        if self.auth.login_window_seconds == 0 {
            return invalid("auth.login_window_seconds", "must be above 0");
        }
        self.check_account_links()?;
        if self.auth.argon2_memory_kib < 8 * self.auth.argon2_parallelism.max(1)
            || self.auth.argon2_iterations == 0
        {
            return invalid(
                "auth.argon2_memory_kib",
                "Argon2 needs at least 8 KiB per lane and 1 pass",
            );
        }
        if !(1..=100).contains(&self.catalog.page_size) {
            return invalid("catalog.page_size", "must be between 1 and 100");
        }
        if self.http.request_timeout_ms == 0 {
            return invalid("http.request_timeout_ms", "must be above 0");
        }
        if self.http.body_timeout_ms == 0 {
            return invalid("http.body_timeout_ms", "must be above 0");
        }
        for origin in &self.http.cors_origins {
            if let Err(why) = check_origin(origin) {
                return invalid("http.cors_origins", &format!("{origin:?}: {why}"));
            }
        }
        if !(1_024..=16 * 1024 * 1024).contains(&self.http.body_limit_bytes) {
            return invalid("http.body_limit_bytes", "must be between 1 KiB and 16 MiB");
        }
        if self.shutdown.drain_ms > 300_000 || !(1..=300_000).contains(&self.shutdown.grace_ms) {
            return invalid(
                "shutdown.grace_ms",
                "drain_ms 0 to 300000 and grace_ms 1 to 300000",
            );
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return invalid(
                "log.level",
                "is not a tracing filter (try \"info\" or \"warn\")",
            );
        }
        Ok(())
    }

    /// The database URL: the configured one, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        let url = self.database.url.expose().trim();
        if url.is_empty() {
            souk_db::DbOptions::sqlite_file(&self.data_dir.join("souk.db"))
        } else {
            url.to_owned()
        }
    }

    /// The replica's search index folder: `<data_dir>/search` unless configured otherwise.
    pub fn search_index_dir(&self) -> PathBuf {
        match self.search.index_dir.trim() {
            "" => self.data_dir.join("search"),
            dir => PathBuf::from(dir),
        }
    }

    /// Souk's vocabulary of the trade, with the operator's file when one is configured.
    pub fn search_vocabulary(&self) -> Result<souk_catalog::Vocabulary, ConfigError> {
        let mut vocabulary = souk_catalog::Vocabulary::built_in();
        let path = self.search.vocabulary_file.trim();
        if !path.is_empty() {
            let invalid = |why: String| ConfigError::Invalid {
                key: "search.vocabulary_file",
                message: format!("{path}: {why}"),
            };
            let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
            vocabulary.add(&text).map_err(invalid)?;
        }
        Ok(vocabulary)
    }

    /// Where photos are kept: a folder in `data_dir` unless configured otherwise.
    pub fn photo_storage(&self) -> souk_media::StorageConfig {
        let p = &self.photos;
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        match p.storage {
            PhotoStorage::Local => souk_media::StorageConfig::Local {
                dir: non_empty(&p.local_dir)
                    .map(PathBuf::from)
                    .unwrap_or_else(|| self.data_dir.join("photos")),
            },
            PhotoStorage::S3 => souk_media::StorageConfig::S3 {
                bucket: p.s3_bucket.trim().to_owned(),
                region: p.s3_region.trim().to_owned(),
                endpoint: non_empty(&p.s3_endpoint),
                access_key_id: non_empty(p.s3_access_key_id.expose()),
                secret_access_key: non_empty(p.s3_secret_access_key.expose()),
                allow_http: p.s3_allow_http,
            },
        }
    }

    pub fn photo_limits(&self) -> souk_media::PhotoLimits {
        souk_media::PhotoLimits {
            max_bytes: self.photos.max_upload_bytes,
            max_pixels: self.photos.max_pixels,
            max_side: self.photos.max_side,
            ..souk_media::PhotoLimits::default()
        }
    }

    pub fn redis_url(&self) -> Option<&str> {
        let url = self.cache.redis_url.expose().trim();
        (!url.is_empty()).then_some(url)
    }
}

/// Whether `origin` is written as browsers send it in `Origin` (compared byte for byte):
/// `scheme://host[:port]`, lowercase, without a path, a trailing `/` or the scheme's default
/// port. `*` is refused: the origins are listed, so the operator sees who may call the API.
fn check_origin(origin: &str) -> Result<(), &'static str> {
    if origin == "*" {
        return Err("\"*\" is not allowed: list each web front end's origin");
    }
    let (scheme, authority) = origin
        .split_once("://")
        .ok_or("must be scheme://host[:port], as https://souk.ma")?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err("must start with https:// or http://"),
    };
    if authority.contains(['/', '?', '#', '@']) {
        return Err("an origin has no path, query or user (and no trailing /)");
    }
    let port = match authority.strip_prefix('[') {
        // An IPv6 address, as browsers write it: [::1]
        Some(v6) => {
            let (address, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
            let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c) || ":.".contains(c);
            if address.is_empty() || !address.chars().all(hex) {
                return Err("not an IPv6 address in lowercase");
            }
            match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or("junk after the ]")?),
            }
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let name = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c);
            if host.is_empty() || !host.chars().all(name) || host.split('.').any(str::is_empty) {
                return Err("the host must be a lowercase name or address (punycode for others)");
            }
            port
        }
    };
    if let Some(port) = port {
        let digits = !port.is_empty() && port.chars().all(|c| c.is_ascii_digit());
        if !digits || port.starts_with('0') || port.parse::<u16>().is_err() {
            return Err("the port must be a number from 1 to 65535");
        }
        if port == default_port {
            return Err("leave out the scheme's default port: browsers do");
        }
    }
    Ok(())
}

fn env_file(dir: &Path, env: &str) -> Result<PathBuf, ConfigError> {
    if env.is_empty()
        || !env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConfigError::Invalid {
            key: "SOUK_ENV",
            message: "letters, digits, '-' and '_' only".into(),
        });
    }
    let file = dir.join(format!("{env}.toml"));
    if !file.is_file() {
        return Err(ConfigError::MissingEnvFile {
            env: env.into(),
            path: file.display().to_string(),
        });
    }
    Ok(file)
}

#[cfg(test)]
mod tests;
