//! The relay of the outbox: integrators' webhook endpoints, and one delivery per event and
//! recipient, each with its attempts, its lease (which replica is sending it, until when) and its
//! outcome. New tables only, so replicas of the previous release keep working during the deploy.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Topics,
    Secret,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutboxEvents {
    Table,
    AggregateId,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Deliveries {
    Table,
    Id,
    EventId,
    AggregateId,
    Topic,
    Channel,
    Target,
    Status,
    Attempts,
    NextAttemptAt,
    LeasedUntil,
    LastCode,
    LastError,
    DeliveredAt,
    CreatedAt,
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
                    .table(WebhookEndpoints::Table)
                    .col(pk_uuid(WebhookEndpoints::Id))
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(json(WebhookEndpoints::Topics))
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(boolean(WebhookEndpoints::Active))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(pk_uuid(Deliveries::Id))
                    .col(uuid(Deliveries::EventId))
                    .col(uuid(Deliveries::AggregateId))
                    .col(string_len(Deliveries::Topic, 48))
                    .col(string_len(Deliveries::Channel, 16))
                    .col(string_len(Deliveries::Target, 320))
                    .col(string_len(Deliveries::Status, 16))
                    .col(integer(Deliveries::Attempts))
                    .col(timestamp_with_time_zone(Deliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Deliveries::LeasedUntil))
                    .col(integer_null(Deliveries::LastCode))
                    .col(string_len_null(Deliveries::LastError, 512))
                    .col(timestamp_with_time_zone_null(Deliveries::DeliveredAt))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // An event reaches each recipient of a channel once, whichever replica fans it out.
        manager
            .create_index(
                index(
                    "idx_deliveries_event_recipient",
                    Deliveries::Table,
                    &[Deliveries::EventId, Deliveries::Channel, Deliveries::Target],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // What is due, oldest first; and the earlier deliveries of one aggregate to one target.
        manager
            .create_index(index(
                "idx_deliveries_due",
                Deliveries::Table,
                &[Deliveries::Status, Deliveries::NextAttemptAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_deliveries_sequence",
                Deliveries::Table,
                &[
                    Deliveries::Target,
                    Deliveries::AggregateId,
                    Deliveries::EventId,
                ],
            ))
            .await?;
        // The outbox's earlier events of one aggregate (a delivery waits for them).
        manager
            .create_index(index(
                "idx_outbox_aggregate",
                OutboxEvents::Table,
                &[OutboxEvents::AggregateId, OutboxEvents::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_aggregate")
                    .table(OutboxEvents::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            Deliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
