//! Running the migrations from `migrations/`.

use sea_orm::DatabaseConnection;
use souk_migrations::{Migrator, MigratorTrait};

use crate::DbError;

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None).await.map_err(DbError::Migrate)
}

/// Rolls back the last `steps` migrations (all of them when `None`).
pub async fn migrate_down(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbError> {
    Migrator::down(db, steps).await.map_err(DbError::Migrate)
}

/// Names of the migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbError> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(DbError::Migrate)?;
    Ok(pending.iter().map(|m| m.name().to_owned()).collect())
}

/// Names of the migrations applied.
pub async fn applied_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbError> {
    let applied = Migrator::get_applied_migrations(db)
        .await
        .map_err(DbError::Migrate)?;
    Ok(applied.iter().map(|m| m.name().to_owned()).collect())
}
