//! Crafts can be retired: a retired craft stays on the products and artisans that have it (their
//! pages still name it), but no new product or artisan can take it and the public taxonomy no
//! longer lists it. Additive: a nullable column, so replicas of the previous release keep working
//! during the deploy.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Crafts {
    Table,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Crafts::Table)
                    .add_column(timestamp_with_time_zone_null(Crafts::RetiredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Crafts::Table)
                    .drop_column(Crafts::RetiredAt)
                    .to_owned(),
            )
            .await
    }
}
