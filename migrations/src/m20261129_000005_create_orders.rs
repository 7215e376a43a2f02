//! Orders: the order with its price snapshot, one fulfilment per artisan, the lines, the stored
//! history of every status change, the idempotency keys of `POST /v1/orders`, and the outbox of
//! events written in the same transaction as the change they describe.
//!
//! The documents of these tables (address, title snapshot, history details, event payload) are
//! written once and read whole, never queried inside: plain `json`, cheaper to write than `jsonb`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Id,
    BuyerId,
    Status,
    PaymentMethod,
    Currency,
    ItemsTotalMinor,
    ShippingTotalMinor,
    TotalMinor,
    RefundedMinor,
    ShippingAddress,
    Zone,
    ExpiresAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Fulfilments {
    Table,
    Id,
    OrderId,
    ArtisanId,
    Status,
    WeightG,
    ItemsTotalMinor,
    ShippingFeeMinor,
    LeadTimeDays,
    Carrier,
    TrackingNumber,
    CashCollectedMinor,
    RefusalReason,
    RemittanceReference,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    FulfilmentId,
    ProductId,
    ArtisanId,
    ListedByAgent,
    Title,
    UnitPriceMinor,
    Quantity,
    LineTotalMinor,
    MadeToOrder,
    LeadTimeDays,
    WeightG,
}

#[derive(DeriveIden, Clone, Copy)]
enum OrderHistory {
    Table,
    Id,
    OrderId,
    FulfilmentId,
    FromStatus,
    ToStatus,
    ActorId,
    ActorRole,
    Details,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    AccountId,
    Key,
    RequestHash,
    OrderId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutboxEvents {
    Table,
    Id,
    Topic,
    AggregateId,
    Payload,
    CreatedAt,
    PublishedAt,
}

fn index<T: IntoIden + Copy + 'static>(name: &str, table: T, cols: &[T]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for col in cols {
        index.col(*col);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(uuid(Orders::BuyerId))
                    .col(string_len(Orders::Status, 24))
                    .col(string_len(Orders::PaymentMethod, 24))
                    .col(string_len(Orders::Currency, 3))
                    .col(
                        big_integer(Orders::ItemsTotalMinor)
                            .check(Expr::col(Orders::ItemsTotalMinor).gte(0)),
                    )
                    .col(
                        big_integer(Orders::ShippingTotalMinor)
                            .check(Expr::col(Orders::ShippingTotalMinor).gte(0)),
                    )
                    .col(
                        big_integer(Orders::TotalMinor).check(Expr::col(Orders::TotalMinor).gte(0)),
                    )
                    .col(big_integer(Orders::RefundedMinor).default(0))
                    .col(json(Orders::ShippingAddress))
                    .col(string_len(Orders::Zone, 16))
                    .col(timestamp_with_time_zone_null(Orders::ExpiresAt))
                    .col(integer(Orders::Version))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_buyer")
                            .from(Orders::Table, Orders::BuyerId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_orders_buyer",
                Orders::Table,
                &[Orders::BuyerId, Orders::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_orders_expiry",
                Orders::Table,
                &[Orders::Status, Orders::ExpiresAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Fulfilments::Table)
                    .col(pk_uuid(Fulfilments::Id))
                    .col(uuid(Fulfilments::OrderId))
                    .col(uuid(Fulfilments::ArtisanId))
                    .col(string_len(Fulfilments::Status, 24))
                    .col(integer(Fulfilments::WeightG))
                    .col(big_integer(Fulfilments::ItemsTotalMinor))
                    .col(big_integer(Fulfilments::ShippingFeeMinor))
                    .col(integer_null(Fulfilments::LeadTimeDays))
                    .col(string_len_null(Fulfilments::Carrier, 60))
                    .col(string_len_null(Fulfilments::TrackingNumber, 60))
                    .col(big_integer_null(Fulfilments::CashCollectedMinor))
                    .col(string_len_null(Fulfilments::RefusalReason, 300))
                    .col(string_len_null(Fulfilments::RemittanceReference, 120))
                    .col(integer(Fulfilments::Version))
                    .col(timestamp_with_time_zone(Fulfilments::CreatedAt))
                    .col(timestamp_with_time_zone(Fulfilments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_fulfilments_order")
                            .from(Fulfilments::Table, Fulfilments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_fulfilments_order",
                Fulfilments::Table,
                &[Fulfilments::OrderId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_fulfilments_artisan",
                Fulfilments::Table,
                &[Fulfilments::ArtisanId, Fulfilments::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(pk_uuid(OrderLines::Id))
                    .col(uuid(OrderLines::OrderId))
                    .col(uuid(OrderLines::FulfilmentId))
                    .col(uuid(OrderLines::ProductId))
                    .col(uuid(OrderLines::ArtisanId))
                    .col(uuid_null(OrderLines::ListedByAgent))
                    .col(json(OrderLines::Title))
                    .col(big_integer(OrderLines::UnitPriceMinor))
                    .col(integer(OrderLines::Quantity).check(Expr::col(OrderLines::Quantity).gt(0)))
                    .col(big_integer(OrderLines::LineTotalMinor))
                    .col(boolean(OrderLines::MadeToOrder))
                    .col(integer_null(OrderLines::LeadTimeDays))
                    .col(integer(OrderLines::WeightG))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_order")
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_lines_fulfilment")
                            .from(OrderLines::Table, OrderLines::FulfilmentId)
                            .to(Fulfilments::Table, Fulfilments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_order_lines_order",
                OrderLines::Table,
                &[OrderLines::OrderId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrderHistory::Table)
                    .col(pk_uuid(OrderHistory::Id))
                    .col(uuid(OrderHistory::OrderId))
                    .col(uuid_null(OrderHistory::FulfilmentId))
                    .col(string_len_null(OrderHistory::FromStatus, 24))
                    .col(string_len(OrderHistory::ToStatus, 24))
                    .col(uuid_null(OrderHistory::ActorId))
                    .col(string_len(OrderHistory::ActorRole, 16))
                    .col(json(OrderHistory::Details))
                    .col(timestamp_with_time_zone(OrderHistory::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_history_order")
                            .from(OrderHistory::Table, OrderHistory::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_order_history_order",
                OrderHistory::Table,
                &[OrderHistory::OrderId, OrderHistory::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::AccountId))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(uuid(IdempotencyKeys::OrderId))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::AccountId)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_idempotency_keys_created",
                IdempotencyKeys::Table,
                &[IdempotencyKeys::CreatedAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(pk_uuid(OutboxEvents::Id))
                    .col(string_len(OutboxEvents::Topic, 48))
                    .col(uuid(OutboxEvents::AggregateId))
                    .col(json(OutboxEvents::Payload))
                    .col(timestamp_with_time_zone(OutboxEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxEvents::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_outbox_unpublished",
                OutboxEvents::Table,
                &[OutboxEvents::PublishedAt, OutboxEvents::Id],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxEvents::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            OrderHistory::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Fulfilments::Table.into_iden(),
            Orders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
