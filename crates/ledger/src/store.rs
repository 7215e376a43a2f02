//! Postings in the database, written inside the caller's transaction (the change that caused
//! them commits with them), and balances read back.

use chrono::{DateTime, Utc};
use souk_db::{
    ConnectionTrait, DbErr,
    entities::{ledger_entries, ledger_postings},
    sea_orm::{
        ColumnTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set,
        sea_query::{Expr, InsertStatement},
    },
};
use uuid::Uuid;

use crate::{Account, Posting};

/// What a posting is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostingMeta {
    pub order: Option<Uuid>,
    pub fulfilment: Option<Uuid>,
    /// The provider's or courier's reference.
    pub reference: Option<String>,
}

/// Records a posting (one round trip on PostgreSQL). Returns its id.
pub async fn record(
    conn: &impl ConnectionTrait,
    posting: &Posting,
    meta: &PostingMeta,
    currency: &str,
    at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    record_with(conn, posting, meta, currency, at, Vec::new()).await
}

/// Records a posting and the caller's own inserts that go with it, in one round trip on
/// PostgreSQL.
pub async fn record_with(
    conn: &impl ConnectionTrait,
    posting: &Posting,
    meta: &PostingMeta,
    currency: &str,
    at: DateTime<Utc>,
    extra: Vec<InsertStatement>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let head = ledger_postings::Entity::insert(ledger_postings::ActiveModel {
        id: Set(id),
        kind: Set(posting.kind.as_str().to_owned()),
        order_id: Set(meta.order),
        fulfilment_id: Set(meta.fulfilment),
        reference: Set(meta.reference.clone()),
        created_at: Set(at),
    })
    .into_query();
    let entries = posting
        .entries()
        .iter()
        .map(|e| ledger_entries::ActiveModel {
            id: Set(Uuid::now_v7()),
            posting_id: Set(id),
            account: Set(e.account.code()),
            amount_minor: Set(e.amount_minor),
            currency: Set(currency.to_owned()),
            created_at: Set(at),
        });
    let mut inserts = vec![head];
    if !posting.entries().is_empty() {
        inserts.push(ledger_entries::Entity::insert_many(entries).into_query());
    }
    inserts.extend(extra);
    souk_db::insert_together(conn, inserts).await?;
    Ok(id)
}

/// The balance of one account: debits less credits (what Souk owes shows negative).
pub async fn balance(conn: &impl ConnectionTrait, account: Account) -> Result<i64, DbErr> {
    let sum: Option<Option<i64>> = ledger_entries::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"),
            "total",
        )
        .filter(ledger_entries::Column::Account.eq(account.code()))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// The sum of every entry ever written: zero in a sound ledger.
pub async fn total(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let sum: Option<Option<i64>> = ledger_entries::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"),
            "total",
        )
        .into_tuple()
        .one(conn)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}
