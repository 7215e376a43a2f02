//! Field agents: people who sell for artisans who are offline. This crate keeps the agents'
//! records (with the commission they earn) and applies the batches of operations their phones
//! queue while offline, each exactly once.
//!
//! What an agent may do for an artisan (onboard, list, edit, photograph) is the catalog's rule;
//! this crate decides only who is an agent and how a batch is applied.

mod error;
mod records;
pub mod sync;

pub use error::AgentsError;
pub use records::{Agent, AgentInput, MAX_COMMISSION_BPS};
pub use sync::{Operation, OperationKind, Outcome, SyncSettings};

use souk_auth::AuthService;
use souk_catalog::Catalog;
use souk_db::DatabaseConnection;

#[derive(Clone, Debug)]
pub struct Agents {
    db: DatabaseConnection,
    catalog: Catalog,
    auth: AuthService,
    settings: SyncSettings,
}

impl Agents {
    pub fn new(
        db: DatabaseConnection,
        catalog: Catalog,
        auth: AuthService,
        settings: SyncSettings,
    ) -> Self {
        Self {
            db,
            catalog,
            auth,
            settings,
        }
    }

    pub fn settings(&self) -> &SyncSettings {
        &self.settings
    }
}

#[cfg(test)]
mod tests;
