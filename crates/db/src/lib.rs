//! Persistence: one connection pool on PostgreSQL or SQLite, chosen by the URL; the migrations;
//! and the sea-orm entities the domain crates query.

mod connect;
mod copy;
pub mod entities;
mod migrate;

pub use connect::{Backend, DbError, DbOptions, connect};
pub use copy::{CopyRows, can_copy, copy_in};
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

/// Runs several inserts as one round trip on PostgreSQL (a statement of data-modifying CTEs:
/// `WITH s0 AS (INSERT ...), s1 AS (INSERT ...) INSERT ...`), one after the other elsewhere.
/// Foreign keys between them hold: PostgreSQL checks them at the end of the statement. Worth it
/// on hot write paths, where the round trips, not the rows, are the cost.
pub async fn insert_together(
    conn: &impl ConnectionTrait,
    inserts: Vec<sea_orm::sea_query::InsertStatement>,
) -> Result<(), DbErr> {
    use std::fmt::Write;

    use sea_orm::sea_query::{PostgresQueryBuilder, SqlWriterValues};

    if conn.get_database_backend() != sea_orm::DbBackend::Postgres || inserts.len() < 2 {
        for insert in &inserts {
            conn.execute(insert).await?;
        }
        return Ok(());
    }
    let mut sql = SqlWriterValues::new("$", true);
    let last = inserts.len() - 1;
    for (i, insert) in inserts.iter().enumerate() {
        // Writing to a String cannot fail.
        let _ = match i {
            0 => write!(sql, "WITH s0 AS ("),
            i if i == last => write!(sql, ") "),
            i => write!(sql, "), s{i} AS ("),
        };
        insert.build_collect_any_into(&PostgresQueryBuilder, &mut sql);
    }
    let (text, values) = sql.into_parts();
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        text,
        values,
    ))
    .await?;
    Ok(())
}

/// True when the error is a unique-constraint violation (a duplicate email, say).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// True when the database refused text it cannot store: PostgreSQL's `text` holds no NUL
/// character (SQLSTATE 22021, `character_not_in_repertoire`). Input checks refuse control
/// characters first; this is the net for a field that slipped past them, so the client hears a
/// 400 and not a 500.
pub fn is_unstorable_text(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let (DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    e.as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "22021")
}

/// Checks the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
