//! Selling through agents: agents and their commission, the private side of an artisan's record
//! (who represents them, how they agreed, how they are paid, what they let their agent do), the
//! audit trail, the record of applied sync operations, and uploaded product photos.
//!
//! The artisan columns are added one `ALTER TABLE` at a time because SQLite takes one change per
//! statement. `agent_id` has no foreign key for the same reason (SQLite cannot add one to an
//! existing table); the catalog checks the agent exists before it assigns one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Agents {
    Table,
    AccountId,
    DisplayName,
    CommissionBps,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Artisans {
    Table,
    AgentId,
    OnboardedBy,
    Phone,
    Payout,
    Consent,
    AgentGrants,
    ClaimCodeHash,
    ClaimCodeExpiresAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorId,
    ActorRole,
    ArtisanId,
    SubjectKind,
    SubjectId,
    Action,
    Via,
    Changes,
}

#[derive(DeriveIden)]
enum SyncOperations {
    Table,
    Id,
    AgentId,
    Kind,
    RequestHash,
    Result,
    AppliedAt,
}

#[derive(DeriveIden)]
enum ProductPhotos {
    Table,
    Id,
    ProductId,
    Variants,
    Width,
    Height,
    UploadedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agents::Table)
                    .col(pk_uuid(Agents::AccountId))
                    .col(string_len(Agents::DisplayName, 120))
                    .col(
                        integer(Agents::CommissionBps).check(
                            Expr::col(Agents::CommissionBps)
                                .gte(0)
                                .and(Expr::col(Agents::CommissionBps).lte(10_000)),
                        ),
                    )
                    .col(timestamp_with_time_zone(Agents::CreatedAt))
                    .col(timestamp_with_time_zone(Agents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agents_account")
                            .from(Agents::Table, Agents::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;

        let columns = [
            uuid_null(Artisans::AgentId),
            uuid_null(Artisans::OnboardedBy),
            string_len_null(Artisans::Phone, 20),
            json_binary_null(Artisans::Payout),
            json_binary_null(Artisans::Consent),
            json_binary_null(Artisans::AgentGrants),
            string_len_null(Artisans::ClaimCodeHash, 64),
            timestamp_with_time_zone_null(Artisans::ClaimCodeExpiresAt),
        ];
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Artisans::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_artisans_agent")
                    .table(Artisans::Table)
                    .col(Artisans::AgentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_artisans_claim_code")
                    .table(Artisans::Table)
                    .col(Artisans::ClaimCodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::ActorRole, 16))
                    .col(uuid_null(AuditEvents::ArtisanId))
                    .col(string_len(AuditEvents::SubjectKind, 16))
                    .col(uuid(AuditEvents::SubjectId))
                    .col(string_len(AuditEvents::Action, 40))
                    .col(string_len(AuditEvents::Via, 8))
                    .col(json_binary(AuditEvents::Changes))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_audit_artisan",
                vec![AuditEvents::ArtisanId, AuditEvents::Id],
            ),
            (
                "idx_audit_subject",
                vec![
                    AuditEvents::SubjectKind,
                    AuditEvents::SubjectId,
                    AuditEvents::Id,
                ],
            ),
        ] {
            let mut index = Index::create()
                .name(name)
                .table(AuditEvents::Table)
                .to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(SyncOperations::Table)
                    .col(pk_uuid(SyncOperations::Id))
                    .col(uuid(SyncOperations::AgentId))
                    .col(string_len(SyncOperations::Kind, 32))
                    .col(string_len(SyncOperations::RequestHash, 64))
                    .col(json_binary(SyncOperations::Result))
                    .col(timestamp_with_time_zone(SyncOperations::AppliedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_operations_agent")
                            .from(SyncOperations::Table, SyncOperations::AgentId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProductPhotos::Table)
                    .col(pk_uuid(ProductPhotos::Id))
                    .col(uuid(ProductPhotos::ProductId))
                    .col(json_binary(ProductPhotos::Variants))
                    .col(integer(ProductPhotos::Width))
                    .col(integer(ProductPhotos::Height))
                    .col(uuid(ProductPhotos::UploadedBy))
                    .col(timestamp_with_time_zone(ProductPhotos::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_photos_product")
                            .from(ProductPhotos::Table, ProductPhotos::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_photos_product")
                    .table(ProductPhotos::Table)
                    .col(ProductPhotos::ProductId)
                    .col(ProductPhotos::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProductPhotos::Table.into_iden(),
            SyncOperations::Table.into_iden(),
            AuditEvents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for index in ["idx_artisans_claim_code", "idx_artisans_agent"] {
            manager
                .drop_index(Index::drop().name(index).table(Artisans::Table).to_owned())
                .await?;
        }
        for column in [
            Artisans::ClaimCodeExpiresAt,
            Artisans::ClaimCodeHash,
            Artisans::AgentGrants,
            Artisans::Consent,
            Artisans::Payout,
            Artisans::Phone,
            Artisans::OnboardedBy,
            Artisans::AgentId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Artisans::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Agents::Table).to_owned())
            .await?;
        Ok(())
    }
}
