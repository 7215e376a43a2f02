//! The catalog search moves out of the database into an index each replica keeps (tantivy), fed
//! from the database: `search_changes` is the change log it tails. Every write that changes what a
//! product's search entry holds appends the product's id here in the same transaction; a replica
//! reads the log in order and re-reads those products.
//!
//! On PostgreSQL each row also carries the id of the transaction that wrote it (`txid`, from
//! `pg_current_xact_id()`): `seq` values are handed out before commit, so a reader ordering by
//! `seq` alone could step past a row whose transaction commits later. A reader takes only rows of
//! transactions older than every one still running (`pg_snapshot_xmin`), in `(txid, seq)` order.
//! SQLite has one writer at a time, so `seq` order is commit order and `txid` stays empty.
//!
//! The SQL postings tables of the previous search (`product_terms`, `search_keys`, migration 3)
//! go. `down` gives them back empty, as migration 3 made them.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::m20261129_000003_create_search_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SearchChanges {
    Table,
    Seq,
    ProductId,
    Txid,
    ChangedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProductTerms {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum SearchKeys {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let mut txid = ColumnDef::new(SearchChanges::Txid);
        txid.big_integer();
        if postgres {
            txid.not_null()
                .default(Expr::cust("(pg_current_xact_id()::text::bigint)"));
        } else {
            txid.null();
        }
        manager
            .create_table(
                Table::create()
                    .table(SearchChanges::Table)
                    .col(
                        big_integer(SearchChanges::Seq)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(uuid(SearchChanges::ProductId))
                    .col(&mut txid)
                    .col(
                        timestamp_with_time_zone(SearchChanges::ChangedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await?;
        if postgres {
            manager
                .create_index(
                    Index::create()
                        .name("idx_search_changes_txid_seq")
                        .table(SearchChanges::Table)
                        .col(SearchChanges::Txid)
                        .col(SearchChanges::Seq)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_search_changes_changed_at")
                    .table(SearchChanges::Table)
                    .col(SearchChanges::ChangedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SearchKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProductTerms::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchChanges::Table).to_owned())
            .await?;
        m20261129_000003_create_search_index::Migration
            .up(manager)
            .await
    }
}
