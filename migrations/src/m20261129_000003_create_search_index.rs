//! The catalog's search index, kept in the database so it works the same on PostgreSQL and SQLite.
//!
//! `product_terms` is the inverted index: each normalized term of a product and how much it weighs
//! there (a title word counts more than a description word). `search_keys` maps lookup keys to the
//! vocabulary: a term itself, its prefixes (for search-as-you-type) and its one-letter deletions
//! (to forgive a typo, as SymSpell does). `kind` is a bit set: 1 exact, 2 prefix, 4 deletion.
//!
//! The primary key of `product_terms` is (term, weight, product): scoring a search reads the
//! index alone (an index-only scan), and the best products of a term are the end of its range.
//! Only active products are indexed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductTerms {
    Table,
    Term,
    ProductId,
    Weight,
}

#[derive(DeriveIden)]
enum SearchKeys {
    Table,
    Key,
    Term,
    Kind,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProductTerms::Table)
                    .col(string_len(ProductTerms::Term, 64))
                    .col(uuid(ProductTerms::ProductId))
                    .col(small_integer(ProductTerms::Weight))
                    .primary_key(
                        Index::create()
                            .col(ProductTerms::Term)
                            .col(ProductTerms::Weight)
                            .col(ProductTerms::ProductId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_terms_product")
                            .from(ProductTerms::Table, ProductTerms::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_product_terms_product")
                    .table(ProductTerms::Table)
                    .col(ProductTerms::ProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchKeys::Table)
                    .col(string_len(SearchKeys::Key, 64))
                    .col(string_len(SearchKeys::Term, 64))
                    .col(small_integer(SearchKeys::Kind))
                    .primary_key(Index::create().col(SearchKeys::Key).col(SearchKeys::Term))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProductTerms::Table).to_owned())
            .await
    }
}
