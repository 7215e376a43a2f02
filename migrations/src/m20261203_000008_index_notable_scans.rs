//! Label scans: the index by label keeps only the notable ones. Every scan is still recorded;
//! those that first showed a label's device or network (to the replica that recorded them,
//! within its memory of an hour) and those of a link that was not authentic are marked notable,
//! and only those are indexed by label. A certifier still finds at once which devices and places
//! scanned a suspect label, when, and every forged scan of it, while the index no longer grows
//! with every repeat scan: its random inserts cost the database more than the scan itself.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LabelScans {
    Table,
    LabelId,
    At,
    Notable,
}

const OLD_INDEX: &str = "idx_label_scans_label";
const NEW_INDEX: &str = "idx_label_scans_notables";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LabelScans::Table)
                    // Notable unless said otherwise: scans recorded before this migration (all
                    // in the old index) stay in a label's history, and so do those of a replica
                    // still on the previous release during a deploy. A constant default fills
                    // the existing rows without rewriting the table (PostgreSQL 11 and later).
                    .add_column(boolean(LabelScans::Notable).default(true))
                    .to_owned(),
            )
            .await?;
        // A partial index (both databases have them; the schema builder does not). Built in
        // the migration's transaction; on a very large table an operator can build it first
        // with `CREATE INDEX CONCURRENTLY` under this name, and it is then kept.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {NEW_INDEX} ON label_scans (label_id, at) WHERE notable"
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(OLD_INDEX)
                    .table(LabelScans::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD_INDEX)
                    .table(LabelScans::Table)
                    .col(LabelScans::LabelId)
                    .col(LabelScans::At)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(NEW_INDEX)
                    .table(LabelScans::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LabelScans::Table)
                    .drop_column(LabelScans::Notable)
                    .to_owned(),
            )
            .await
    }
}
