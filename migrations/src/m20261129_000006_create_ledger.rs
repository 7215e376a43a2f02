//! The ledger: postings (a payment, a refund, a remittance, a payout) and their entries, which
//! sum to zero per posting. Entries are only ever added.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum LedgerPostings {
    Table,
    Id,
    Kind,
    OrderId,
    FulfilmentId,
    Reference,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LedgerEntries {
    Table,
    Id,
    PostingId,
    Account,
    AmountMinor,
    Currency,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerPostings::Table)
                    .col(pk_uuid(LedgerPostings::Id))
                    .col(string_len(LedgerPostings::Kind, 16))
                    .col(uuid_null(LedgerPostings::OrderId))
                    .col(uuid_null(LedgerPostings::FulfilmentId))
                    .col(string_len_null(LedgerPostings::Reference, 200))
                    .col(timestamp_with_time_zone(LedgerPostings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_postings_order")
                    .table(LedgerPostings::Table)
                    .col(LedgerPostings::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(pk_uuid(LedgerEntries::Id))
                    .col(uuid(LedgerEntries::PostingId))
                    .col(string_len(LedgerEntries::Account, 64))
                    .col(big_integer(LedgerEntries::AmountMinor))
                    .col(string_len(LedgerEntries::Currency, 3))
                    .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ledger_entries_posting")
                            .from(LedgerEntries::Table, LedgerEntries::PostingId)
                            .to(LedgerPostings::Table, LedgerPostings::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_entries_account")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::Account)
                    .col(LedgerEntries::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LedgerEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LedgerPostings::Table).to_owned())
            .await?;
        Ok(())
    }
}
