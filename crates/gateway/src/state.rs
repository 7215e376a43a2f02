//! The application state every handler can reach. Axum clones it for every extractor that
//! needs it, so it is one `Arc`: a clone is one atomic increment.

use std::{ops::Deref, sync::Arc};

use souk_agents::Agents;
use souk_auth::AuthService;
use souk_cache::Cache;
use souk_catalog::Catalog;
use souk_db::DatabaseConnection;
use souk_kernel::Lang;
use souk_labels::Labels;
use souk_orders::Orders;
use souk_payments::Payments;

use crate::{
    lifecycle::Lifecycle,
    routes::{label_answers::LabelAnswers, scanned_links::ScannedLinks},
    telemetry::Metrics,
};

#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    pub catalog: Catalog,
    pub agents: Agents,
    pub orders: Orders,
    pub payments: Payments,
    pub labels: Labels,
    pub relay: souk_notify::Relay,
    pub label_answers: LabelAnswers,
    pub scanned_links: ScannedLinks,
    pub auth: AuthService,
    pub health: Health,
    pub lifecycle: Arc<Lifecycle>,
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
