//! Persistence: one connection pool on PostgreSQL or SQLite, chosen by the URL; the migrations;
//! and the sea-orm entities the domain crates query.

pub mod backup;
mod connect;
mod copy;
pub mod entities;
mod migrate;
pub mod outbox;

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

/// How the database failed a request when it was not the request's fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The connection broke under the query (a restart, a failover, a network cut). Nothing was
    /// committed unless it broke during `COMMIT` itself, which a client's retry with its
    /// idempotency key resolves; a read can be tried again at once on another connection.
    Lost,
    /// No connection could be had: the server refuses them, is too busy, or the pool waited too
    /// long.
    Unreachable,
}

/// Whether `err` is an outage of the database rather than a fault of the request or of ours.
pub fn outage(err: &DbErr) -> Option<Outage> {
    use sea_orm::{RuntimeErr, SqlxError};
    let e = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Some(Outage::Unreachable),
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    match e.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::Protocol(_)
        | SqlxError::WorkerCrashed => Some(Outage::Lost),
        SqlxError::PoolTimedOut | SqlxError::PoolClosed => Some(Outage::Unreachable),
        SqlxError::Database(db) => match db.code().as_deref() {
            // 08: connection exceptions; 57P01-57P03: the server is shutting down, crashed, or
            // is not yet accepting connections.
            Some(code) if code.starts_with("08") => Some(Outage::Lost),
            Some("57P01" | "57P02" | "57P03") => Some(Outage::Lost),
            Some("53300") => Some(Outage::Unreachable),
            _ => None,
        },
        _ => None,
    }
}

/// Checks the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}
