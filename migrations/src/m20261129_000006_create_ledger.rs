//! The ledger: postings (a payment, a refund, a remittance, a payout) and their entries, which
//! sum to zero per posting. Entries are only ever added. And payout batches: what was paid to
//! whom, how, in one run an operator exports for the bank. And what each paid order line owed
//! to whom (kept so a refund reverses the very split that was posted), and refunds.

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

#[derive(DeriveIden, Clone, Copy)]
enum PayoutBatches {
    Table,
    Id,
    CreatedBy,
    TotalMinor,
    Currency,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PayoutItems {
    Table,
    Id,
    BatchId,
    ArtisanId,
    DisplayName,
    Method,
    Details,
    AmountMinor,
    PostingId,
    ReceiptReference,
}

#[derive(DeriveIden, Clone, Copy)]
enum LineShares {
    Table,
    LineId,
    OrderId,
    ArtisanId,
    AgentId,
    Gross,
    Platform,
    AgentFee,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Refunds {
    Table,
    Id,
    OrderId,
    AmountMinor,
    ShippingMinor,
    Method,
    PaidBackBy,
    Reference,
    CreatedBy,
    PostingId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefundLines {
    Table,
    RefundId,
    LineId,
    AmountMinor,
}

#[derive(DeriveIden, Clone, Copy)]
enum CardPayments {
    Table,
    OrderId,
    IntentId,
    ClientSecret,
    AmountMinor,
    Currency,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    OrderId,
    Outcome,
    ReceivedAt,
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
        manager
            .create_table(
                Table::create()
                    .table(PayoutBatches::Table)
                    .col(pk_uuid(PayoutBatches::Id))
                    .col(uuid(PayoutBatches::CreatedBy))
                    .col(big_integer(PayoutBatches::TotalMinor))
                    .col(string_len(PayoutBatches::Currency, 3))
                    .col(timestamp_with_time_zone(PayoutBatches::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PayoutItems::Table)
                    .col(pk_uuid(PayoutItems::Id))
                    .col(uuid(PayoutItems::BatchId))
                    .col(uuid(PayoutItems::ArtisanId))
                    .col(string_len(PayoutItems::DisplayName, 200))
                    .col(string_len(PayoutItems::Method, 24))
                    .col(json(PayoutItems::Details))
                    .col(
                        big_integer(PayoutItems::AmountMinor)
                            .check(Expr::col(PayoutItems::AmountMinor).gt(0)),
                    )
                    .col(uuid(PayoutItems::PostingId))
                    .col(string_len_null(PayoutItems::ReceiptReference, 120))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payout_items_batch")
                            .from(PayoutItems::Table, PayoutItems::BatchId)
                            .to(PayoutBatches::Table, PayoutBatches::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payout_items_posting")
                            .from(PayoutItems::Table, PayoutItems::PostingId)
                            .to(LedgerPostings::Table, LedgerPostings::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payout_items_batch")
                    .table(PayoutItems::Table)
                    .col(PayoutItems::BatchId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LineShares::Table)
                    .col(pk_uuid(LineShares::LineId))
                    .col(uuid(LineShares::OrderId))
                    .col(uuid(LineShares::ArtisanId))
                    .col(uuid_null(LineShares::AgentId))
                    .col(big_integer(LineShares::Gross))
                    .col(big_integer(LineShares::Platform))
                    .col(big_integer(LineShares::AgentFee))
                    .col(timestamp_with_time_zone(LineShares::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_line_shares_order")
                    .table(LineShares::Table)
                    .col(LineShares::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(pk_uuid(Refunds::Id))
                    .col(uuid(Refunds::OrderId))
                    .col(
                        big_integer(Refunds::AmountMinor)
                            .check(Expr::col(Refunds::AmountMinor).gt(0)),
                    )
                    .col(big_integer(Refunds::ShippingMinor))
                    .col(string_len(Refunds::Method, 24))
                    .col(string_len(Refunds::PaidBackBy, 120))
                    .col(string_len(Refunds::Reference, 120))
                    .col(uuid(Refunds::CreatedBy))
                    .col(uuid(Refunds::PostingId))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refunds_posting")
                            .from(Refunds::Table, Refunds::PostingId)
                            .to(LedgerPostings::Table, LedgerPostings::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refunds_order")
                    .table(Refunds::Table)
                    .col(Refunds::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefundLines::Table)
                    .col(uuid(RefundLines::RefundId))
                    .col(uuid(RefundLines::LineId))
                    .col(big_integer(RefundLines::AmountMinor))
                    .primary_key(
                        Index::create()
                            .col(RefundLines::RefundId)
                            .col(RefundLines::LineId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refund_lines_refund")
                            .from(RefundLines::Table, RefundLines::RefundId)
                            .to(Refunds::Table, Refunds::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CardPayments::Table)
                    .col(pk_uuid(CardPayments::OrderId))
                    .col(string_len_uniq(CardPayments::IntentId, 255))
                    .col(string_len(CardPayments::ClientSecret, 255))
                    .col(big_integer(CardPayments::AmountMinor))
                    .col(string_len(CardPayments::Currency, 3))
                    .col(timestamp_with_time_zone(CardPayments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(string_len(StripeEvents::Id, 255).primary_key())
                    .col(string_len(StripeEvents::Kind, 80))
                    .col(uuid_null(StripeEvents::OrderId))
                    .col(string_len(StripeEvents::Outcome, 40))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StripeEvents::Table.into_iden(),
            CardPayments::Table.into_iden(),
            RefundLines::Table.into_iden(),
            Refunds::Table.into_iden(),
            LineShares::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(PayoutItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PayoutBatches::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LedgerEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LedgerPostings::Table).to_owned())
            .await?;
        Ok(())
    }
}
