//! Souk's schema as sea-orm migrations. Each migration names its own tables and columns (no entity
//! imports), uses only types both PostgreSQL and SQLite have, and has a real `down`.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_accounts;
mod m20261129_000002_create_catalog;
mod m20261129_000003_create_search_index;
mod m20261129_000004_create_agency;
mod m20261129_000005_create_orders;
mod m20261129_000006_create_ledger;
mod m20261202_000007_create_labels;
mod m20261203_000008_index_notable_scans;
mod m20261207_000009_add_crafts_retired_at;
mod m20261207_000010_create_deliveries;
mod m20261207_000011_add_contacts;
mod m20261207_000012_account_life;
mod m20261207_000013_search_change_log;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_accounts::Migration),
            Box::new(m20261129_000002_create_catalog::Migration),
            Box::new(m20261129_000003_create_search_index::Migration),
            Box::new(m20261129_000004_create_agency::Migration),
            Box::new(m20261129_000005_create_orders::Migration),
            Box::new(m20261129_000006_create_ledger::Migration),
            Box::new(m20261202_000007_create_labels::Migration),
            Box::new(m20261203_000008_index_notable_scans::Migration),
            Box::new(m20261207_000009_add_crafts_retired_at::Migration),
            Box::new(m20261207_000010_create_deliveries::Migration),
            Box::new(m20261207_000011_add_contacts::Migration),
            Box::new(m20261207_000012_account_life::Migration),
            Box::new(m20261207_000013_search_change_log::Migration),
        ]
    }
}
