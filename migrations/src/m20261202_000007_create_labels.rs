//! Certification and brand labels: certifications (of a product, or of an artisan's product line
//! in one craft), batches of serialized signed labels, the scans of each label, and the reports
//! of fakes. Products gain a GTIN (the label's product identifier when there is one); artisans
//! say what a label's page may show of them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Artisans {
    Table,
    Id,
    LabelDisclosure,
}

#[derive(DeriveIden, Clone, Copy)]
enum Products {
    Table,
    Id,
    Gtin,
}

#[derive(DeriveIden, Clone, Copy)]
enum Crafts {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Certifications {
    Table,
    Id,
    Code,
    ProductId,
    ArtisanId,
    CraftId,
    Standard,
    StandardVersion,
    Inspector,
    InspectedOn,
    Result,
    ValidFrom,
    ValidUntil,
    Evidence,
    Notes,
    CertifierId,
    CertifierName,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LabelBatches {
    Table,
    Id,
    CertificationId,
    ProductId,
    Count,
    KeyId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Labels {
    Table,
    Id,
    Serial,
    BatchId,
    CertificationId,
    CertificationCode,
    ProductId,
    ProductKey,
    IssuedOn,
    KeyId,
    Signature,
    Status,
    FulfilmentId,
    OwnerId,
    OwnedSince,
    OwnerDevice,
    RevokedAt,
    RevokedBy,
    RevokedReason,
    Suspect,
    SuspectReason,
    SuspectSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Fulfilments {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum LabelScans {
    Table,
    Id,
    LabelId,
    Serial,
    At,
    Place,
    Device,
    Outcome,
    Channel,
}

#[derive(DeriveIden, Clone, Copy)]
enum LabelReports {
    Table,
    Id,
    LabelId,
    Serial,
    Reason,
    Details,
    Place,
    Device,
    Contact,
    Status,
    CreatedAt,
}

fn index<T: IntoIden + Copy + 'static>(name: &str, table: T, cols: &[T]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for col in cols {
        index.col(*col);
    }
    index
}

fn foreign<T: IntoIden + Copy + 'static, U: IntoIden + Copy + 'static>(
    name: &str,
    from: (T, T),
    to: (U, U),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(string_len_null(Products::Gtin, 14))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_products_gtin",
                Products::Table,
                &[Products::Gtin],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Artisans::Table)
                    .add_column(
                        string_len(Artisans::LabelDisclosure, 16)
                            .default("workshop")
                            .check(Expr::col(Artisans::LabelDisclosure).is_in([
                                "workshop",
                                "name",
                                "anonymous",
                            ])),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certifications::Table)
                    .col(pk_uuid(Certifications::Id))
                    .col(string_len_uniq(Certifications::Code, 12))
                    .col(uuid_null(Certifications::ProductId))
                    .col(uuid(Certifications::ArtisanId))
                    .col(uuid_null(Certifications::CraftId))
                    .col(string_len(Certifications::Standard, 120))
                    .col(string_len(Certifications::StandardVersion, 40))
                    .col(string_len(Certifications::Inspector, 120))
                    .col(date(Certifications::InspectedOn))
                    .col(
                        string_len(Certifications::Result, 16)
                            .check(Expr::col(Certifications::Result).is_in(["passed", "failed"])),
                    )
                    .col(date(Certifications::ValidFrom))
                    .col(date(Certifications::ValidUntil))
                    .col(json(Certifications::Evidence))
                    .col(string_len_null(Certifications::Notes, 2000))
                    .col(uuid(Certifications::CertifierId))
                    .col(string_len(Certifications::CertifierName, 120))
                    .col(timestamp_with_time_zone(Certifications::CreatedAt))
                    .foreign_key(&mut foreign(
                        "fk_certifications_product",
                        (Certifications::Table, Certifications::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_certifications_artisan",
                        (Certifications::Table, Certifications::ArtisanId),
                        (Artisans::Table, Artisans::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_certifications_craft",
                        (Certifications::Table, Certifications::CraftId),
                        (Crafts::Table, Crafts::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_certifications_certifier",
                        (Certifications::Table, Certifications::CertifierId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_certifications_product",
                Certifications::Table,
                &[Certifications::ProductId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_certifications_line",
                Certifications::Table,
                &[Certifications::ArtisanId, Certifications::CraftId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LabelBatches::Table)
                    .col(pk_uuid(LabelBatches::Id))
                    .col(uuid(LabelBatches::CertificationId))
                    .col(uuid(LabelBatches::ProductId))
                    .col(integer(LabelBatches::Count).check(Expr::col(LabelBatches::Count).gt(0)))
                    .col(string_len(LabelBatches::KeyId, 16))
                    .col(uuid(LabelBatches::CreatedBy))
                    .col(timestamp_with_time_zone(LabelBatches::CreatedAt))
                    .foreign_key(&mut foreign(
                        "fk_label_batches_certification",
                        (LabelBatches::Table, LabelBatches::CertificationId),
                        (Certifications::Table, Certifications::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_label_batches_product",
                        (LabelBatches::Table, LabelBatches::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Labels::Table)
                    .col(pk_uuid(Labels::Id))
                    .col(string_len_uniq(Labels::Serial, 20))
                    .col(uuid(Labels::BatchId))
                    .col(uuid(Labels::CertificationId))
                    .col(string_len(Labels::CertificationCode, 12))
                    .col(uuid(Labels::ProductId))
                    .col(string_len(Labels::ProductKey, 40))
                    .col(date(Labels::IssuedOn))
                    .col(string_len(Labels::KeyId, 16))
                    .col(string_len(Labels::Signature, 100))
                    .col(
                        string_len(Labels::Status, 16).check(
                            Expr::col(Labels::Status).is_in(["issued", "attached", "revoked"]),
                        ),
                    )
                    .col(uuid_null(Labels::FulfilmentId))
                    .col(uuid_null(Labels::OwnerId))
                    .col(timestamp_with_time_zone_null(Labels::OwnedSince))
                    .col(string_len_null(Labels::OwnerDevice, 64))
                    .col(timestamp_with_time_zone_null(Labels::RevokedAt))
                    .col(uuid_null(Labels::RevokedBy))
                    .col(string_len_null(Labels::RevokedReason, 300))
                    .col(boolean(Labels::Suspect).default(false))
                    .col(string_len_null(Labels::SuspectReason, 32))
                    .col(timestamp_with_time_zone_null(Labels::SuspectSince))
                    .col(timestamp_with_time_zone(Labels::CreatedAt))
                    .col(timestamp_with_time_zone(Labels::UpdatedAt))
                    .foreign_key(&mut foreign(
                        "fk_labels_batch",
                        (Labels::Table, Labels::BatchId),
                        (LabelBatches::Table, LabelBatches::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_labels_certification",
                        (Labels::Table, Labels::CertificationId),
                        (Certifications::Table, Certifications::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_labels_product",
                        (Labels::Table, Labels::ProductId),
                        (Products::Table, Products::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_labels_fulfilment",
                        (Labels::Table, Labels::FulfilmentId),
                        (Fulfilments::Table, Fulfilments::Id),
                    ))
                    .foreign_key(&mut foreign(
                        "fk_labels_owner",
                        (Labels::Table, Labels::OwnerId),
                        (Accounts::Table, Accounts::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_labels_batch",
                Labels::Table,
                &[Labels::BatchId, Labels::Serial],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_labels_revoked",
                Labels::Table,
                &[Labels::Status, Labels::RevokedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_labels_fulfilment",
                Labels::Table,
                &[Labels::FulfilmentId],
            ))
            .await?;

        // Scans are many and written in batches; no foreign key, so a flush never waits on the
        // labels table (unknown serials are recorded too, with no label).
        manager
            .create_table(
                Table::create()
                    .table(LabelScans::Table)
                    .col(pk_uuid(LabelScans::Id))
                    .col(uuid_null(LabelScans::LabelId))
                    .col(string_len(LabelScans::Serial, 20))
                    .col(timestamp_with_time_zone(LabelScans::At))
                    .col(string_len(LabelScans::Place, 24))
                    .col(string_len(LabelScans::Device, 32))
                    .col(string_len(LabelScans::Outcome, 16))
                    .col(string_len(LabelScans::Channel, 8))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_label_scans_label",
                LabelScans::Table,
                &[LabelScans::LabelId, LabelScans::At],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LabelReports::Table)
                    .col(pk_uuid(LabelReports::Id))
                    .col(uuid_null(LabelReports::LabelId))
                    .col(string_len(LabelReports::Serial, 20))
                    .col(string_len(LabelReports::Reason, 24))
                    .col(string_len_null(LabelReports::Details, 2000))
                    .col(string_len(LabelReports::Place, 24))
                    .col(string_len(LabelReports::Device, 32))
                    .col(string_len_null(LabelReports::Contact, 200))
                    .col(string_len(LabelReports::Status, 16).default("open"))
                    .col(timestamp_with_time_zone(LabelReports::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_label_reports_status",
                LabelReports::Table,
                &[LabelReports::Status, LabelReports::Id],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LabelReports::Table.into_iden(),
            LabelScans::Table.into_iden(),
            Labels::Table.into_iden(),
            LabelBatches::Table.into_iden(),
            Certifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Artisans::Table)
                    .drop_column(Artisans::LabelDisclosure)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_products_gtin")
                    .table(Products::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::Gtin)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
