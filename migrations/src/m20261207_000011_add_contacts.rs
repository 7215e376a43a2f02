//! What notifications need: the language an account reads (`accounts.lang`: `ar`, `fr`, `en` or `zgh`),
//! an agent's phone for SMS (`agents.phone`), and the message a delivery carries (`deliveries.
//! message`: written once when the event is fanned out, so every attempt sends the same words).
//! Additive: a column with a default and two nullable ones, so replicas of the previous release
//! keep working during the deploy.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Lang,
}

#[derive(DeriveIden, Clone, Copy)]
enum Agents {
    Table,
    Phone,
}

#[derive(DeriveIden, Clone, Copy)]
enum Deliveries {
    Table,
    Message,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_len(Accounts::Lang, 3).default("fr"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .add_column(string_len_null(Agents::Phone, 20))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deliveries::Table)
                    .add_column(json_binary_null(Deliveries::Message))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deliveries::Table)
                    .drop_column(Deliveries::Message)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .drop_column(Agents::Phone)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::Lang)
                    .to_owned(),
            )
            .await
    }
}
