//! The catalog: the crafts taxonomy, artisans' public profiles and their products.
//!
//! Multilingual text is a JSON object keyed by language. Money is integer minor units with its
//! currency beside it. `version` on products supports optimistic concurrency.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Crafts {
    Table,
    Id,
    Slug,
    ParentId,
    Name,
    Position,
}

#[derive(DeriveIden)]
enum Artisans {
    Table,
    Id,
    AccountId,
    Name,
    Bio,
    DefaultLang,
    Commune,
    Cooperative,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ArtisanCrafts {
    Table,
    ArtisanId,
    CraftId,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    ArtisanId,
    ListedBy,
    CraftId,
    Title,
    Description,
    DefaultLang,
    Materials,
    LengthMm,
    WidthMm,
    HeightMm,
    WeightG,
    PriceMinor,
    Currency,
    Stock,
    LeadTimeDays,
    Status,
    Photos,
    CertifiedUntil,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Crafts::Table)
                    .col(pk_uuid(Crafts::Id))
                    .col(string_len_uniq(Crafts::Slug, 64))
                    .col(uuid_null(Crafts::ParentId))
                    .col(json_binary(Crafts::Name))
                    .col(integer(Crafts::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_crafts_parent")
                            .from(Crafts::Table, Crafts::ParentId)
                            .to(Crafts::Table, Crafts::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Artisans::Table)
                    .col(pk_uuid(Artisans::Id))
                    .col(uuid_null(Artisans::AccountId).unique_key())
                    .col(json_binary(Artisans::Name))
                    .col(json_binary(Artisans::Bio))
                    .col(string_len(Artisans::DefaultLang, 3))
                    .col(string_len(Artisans::Commune, 80))
                    .col(string_len_null(Artisans::Cooperative, 120))
                    .col(timestamp_with_time_zone(Artisans::CreatedAt))
                    .col(timestamp_with_time_zone(Artisans::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_artisans_account")
                            .from(Artisans::Table, Artisans::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ArtisanCrafts::Table)
                    .col(uuid(ArtisanCrafts::ArtisanId))
                    .col(uuid(ArtisanCrafts::CraftId))
                    .primary_key(
                        Index::create()
                            .col(ArtisanCrafts::ArtisanId)
                            .col(ArtisanCrafts::CraftId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_artisan_crafts_artisan")
                            .from(ArtisanCrafts::Table, ArtisanCrafts::ArtisanId)
                            .to(Artisans::Table, Artisans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_artisan_crafts_craft")
                            .from(ArtisanCrafts::Table, ArtisanCrafts::CraftId)
                            .to(Crafts::Table, Crafts::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(uuid(Products::ArtisanId))
                    .col(uuid_null(Products::ListedBy))
                    .col(uuid(Products::CraftId))
                    .col(json_binary(Products::Title))
                    .col(json_binary(Products::Description))
                    .col(string_len(Products::DefaultLang, 3))
                    .col(json_binary(Products::Materials))
                    .col(integer_null(Products::LengthMm))
                    .col(integer_null(Products::WidthMm))
                    .col(integer_null(Products::HeightMm))
                    .col(integer_null(Products::WeightG))
                    .col(
                        big_integer(Products::PriceMinor)
                            .check(Expr::col(Products::PriceMinor).gte(0)),
                    )
                    .col(string_len(Products::Currency, 3))
                    .col(integer(Products::Stock).check(Expr::col(Products::Stock).gte(0)))
                    .col(integer_null(Products::LeadTimeDays))
                    .col(
                        string_len(Products::Status, 16).check(
                            Expr::col(Products::Status).is_in(["draft", "active", "archived"]),
                        ),
                    )
                    .col(json_binary(Products::Photos))
                    .col(timestamp_with_time_zone_null(Products::CertifiedUntil))
                    .col(integer(Products::Version))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_artisan")
                            .from(Products::Table, Products::ArtisanId)
                            .to(Artisans::Table, Artisans::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_craft")
                            .from(Products::Table, Products::CraftId)
                            .to(Crafts::Table, Crafts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_listed_by")
                            .from(Products::Table, Products::ListedBy)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;

        // The listing's orders: newest first (by id, which is time-ordered), and by price.
        for (name, cols) in [
            (
                "idx_products_status_id",
                vec![Products::Status, Products::Id],
            ),
            (
                "idx_products_status_price",
                vec![Products::Status, Products::PriceMinor, Products::Id],
            ),
            (
                "idx_products_artisan",
                vec![Products::ArtisanId, Products::Id],
            ),
            ("idx_products_craft", vec![Products::CraftId, Products::Id]),
        ] {
            let mut index = Index::create().name(name).table(Products::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Products::Table.into_iden(),
            ArtisanCrafts::Table.into_iden(),
            Artisans::Table.into_iden(),
            Crafts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
