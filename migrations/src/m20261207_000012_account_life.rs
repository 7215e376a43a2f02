//! What an account's whole life needs: when its email was verified (`accounts.email_verified_at`),
//! one-time tokens for password resets and email verification (`account_tokens`, stored as
//! SHA-256 hashes like sessions), and a buyer's saved shipping addresses (`addresses`).
//! Additive: a nullable column and two new tables, so the previous release keeps working.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
    EmailVerifiedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountTokens {
    Table,
    TokenHash,
    AccountId,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Addresses {
    Table,
    Id,
    AccountId,
    Label,
    Name,
    Phone,
    Line1,
    Line2,
    City,
    PostalCode,
    Country,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(timestamp_with_time_zone_null(Accounts::EmailVerifiedAt))
                    .to_owned(),
            )
            .await?;
        create_account_tokens(manager).await?;
        create_addresses(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Addresses::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccountTokens::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::EmailVerifiedAt)
                    .to_owned(),
            )
            .await
    }
}

async fn create_account_tokens(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AccountTokens::Table)
                .col(string_len(AccountTokens::TokenHash, 64).primary_key())
                .col(uuid(AccountTokens::AccountId))
                .col(
                    string_len(AccountTokens::Purpose, 24).check(
                        Expr::col(AccountTokens::Purpose)
                            .is_in(["password_reset", "email_verification"]),
                    ),
                )
                .col(timestamp_with_time_zone(AccountTokens::CreatedAt))
                .col(timestamp_with_time_zone(AccountTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(AccountTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_account_tokens_account")
                        .from(AccountTokens::Table, AccountTokens::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_account_tokens_account")
                .table(AccountTokens::Table)
                .col(AccountTokens::AccountId)
                .col(AccountTokens::Purpose)
                .to_owned(),
        )
        .await
}

async fn create_addresses(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Addresses::Table)
                .col(pk_uuid(Addresses::Id))
                .col(uuid(Addresses::AccountId))
                .col(string_len(Addresses::Label, 60))
                .col(string_len(Addresses::Name, 120))
                .col(string_len(Addresses::Phone, 20))
                .col(string_len(Addresses::Line1, 200))
                .col(string_len_null(Addresses::Line2, 200))
                .col(string_len(Addresses::City, 80))
                .col(string_len_null(Addresses::PostalCode, 12))
                .col(string_len(Addresses::Country, 2))
                .col(timestamp_with_time_zone(Addresses::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_addresses_account")
                        .from(Addresses::Table, Addresses::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_addresses_account")
                .table(Addresses::Table)
                .col(Addresses::AccountId)
                .col(Addresses::Id)
                .to_owned(),
        )
        .await
}
