//! The application state every handler can reach. Cheap to clone: every field is a handle.

use std::sync::Arc;

use souk_auth::AuthService;
use souk_cache::Cache;
use souk_catalog::Catalog;
use souk_db::DatabaseConnection;
use souk_kernel::Lang;

use crate::telemetry::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub catalog: Catalog,
    pub auth: AuthService,
    pub health: Health,
    pub metrics: Arc<Metrics>,
    pub http: HttpPolicy,
}

/// What the readiness probe checks.
#[derive(Clone)]
pub struct Health {
    pub db: DatabaseConnection,
    pub cache: Cache,
}

/// Request-level choices from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct HttpPolicy {
    pub default_lang: Lang,
    pub trust_forwarded_for: bool,
}
