//! Persistence: one connection pool on PostgreSQL or SQLite, chosen by the URL; the migrations;
//! and the sea-orm entities the domain crates query.

mod connect;
pub mod entities;
mod migrate;

pub use connect::{Backend, DbError, DbOptions, connect};
pub use migrate::{applied_migrations, migrate_down, migrate_up, pending_migrations};
pub use sea_orm::{self, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};

use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing with
/// "database is locked" when a read lock cannot be upgraded. PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// True when the error is a unique-constraint violation (a duplicate email, say).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Checks the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
