//! The search change log (`search_changes`, migration 13): product writes append to it in their
//! transaction; every replica's feed reads it in order.

use chrono::{DateTime, Utc};
use souk_db::{
    ConnectionTrait, DbErr,
    entities::search_changes,
    sea_orm::{
        ActiveValue::NotSet, ColumnTrait, DbBackend, EntityTrait, QueryFilter, Set, Statement,
    },
};
use uuid::Uuid;

use super::sql::Sql;

/// How far a feed has read: on PostgreSQL the writing transaction's id and the row's sequence
/// number; on SQLite the sequence number alone (`txid` 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LogPosition {
    pub txid: i64,
    pub seq: i64,
}

/// Rows per INSERT, well under both databases' bound-parameter limits.
const ROWS_PER_INSERT: usize = 5_000;

/// Appends the products to the log (call it in the transaction that writes them).
pub(crate) async fn record(conn: &impl ConnectionTrait, products: &[Uuid]) -> Result<(), DbErr> {
    let now = Utc::now();
    for chunk in products.chunks(ROWS_PER_INSERT) {
        let rows = chunk.iter().map(|id| search_changes::ActiveModel {
            seq: NotSet,
            product_id: Set(*id),
            // PostgreSQL fills it in (the transaction's id); SQLite leaves it empty.
            txid: NotSet,
            changed_at: Set(now),
        });
        search_changes::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// A position before which every change is reflected by a read of the products table that
/// starts now: the position a rebuilt index continues from.
pub(crate) async fn horizon(conn: &impl ConnectionTrait) -> Result<LogPosition, DbErr> {
    let backend = conn.get_database_backend();
    if backend == DbBackend::Postgres {
        // Every transaction below xmin has ended: its changes are in the products table.
        let sql = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS h";
        let h = one_i64(conn, Statement::from_string(backend, sql)).await?;
        Ok(LogPosition {
            txid: h - 1,
            seq: i64::MAX,
        })
    } else {
        let sql = "SELECT COALESCE(MAX(seq), 0) AS h FROM search_changes";
        let h = one_i64(conn, Statement::from_string(backend, sql)).await?;
        Ok(LogPosition { txid: 0, seq: h })
    }
}

async fn one_i64(conn: &impl ConnectionTrait, statement: Statement) -> Result<i64, DbErr> {
    let row = conn
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("no row".into()))?;
    row.try_get("", "h")
}

/// The next changes after `after`, in order, at most `limit`: each product id and the position
/// it ends at. On PostgreSQL only changes of transactions older than every running one are read,
/// so a change committed later can never land behind a position already passed.
pub(crate) async fn after(
    conn: &impl ConnectionTrait,
    after: LogPosition,
    limit: u64,
) -> Result<Vec<(Uuid, LogPosition)>, DbErr> {
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    if backend == DbBackend::Postgres {
        sql.push("SELECT seq, txid, product_id FROM search_changes WHERE (txid, seq) > (")
            .bind(after.txid)
            .push(", ")
            .bind(after.seq)
            .push(") AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            .push(" ORDER BY txid, seq LIMIT ")
            .bind(limit);
    } else {
        sql.push("SELECT seq, txid, product_id FROM search_changes WHERE seq > ")
            .bind(after.seq)
            .push(" ORDER BY seq LIMIT ")
            .bind(limit);
    }
    let rows = conn.query_all_raw(sql.build()).await?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("", "seq")?;
            let txid: Option<i64> = row.try_get("", "txid")?;
            let id: Uuid = row.try_get("", "product_id")?;
            Ok((
                id,
                LogPosition {
                    txid: txid.unwrap_or(0),
                    seq,
                },
            ))
        })
        .collect()
}

/// Forgets changes older than `before`; returns how many.
pub(crate) async fn prune(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = search_changes::Entity::delete_many()
        .filter(search_changes::Column::ChangedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
