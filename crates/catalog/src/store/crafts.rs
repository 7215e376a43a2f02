//! The crafts taxonomy.

use chrono::{DateTime, Utc};
use souk_db::{
    ConnectionTrait, DbErr,
    entities::crafts,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr},
};
use souk_kernel::{CraftId, LocalizedText};

use super::{from_json, to_json};
use crate::{CatalogError, model::Craft};

pub(crate) async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Craft>, CatalogError> {
    let rows = crafts::Entity::find()
        .order_by_asc(crafts::Column::Position)
        .order_by_asc(crafts::Column::Slug)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Craft {
                id: CraftId::from_uuid(row.id),
                slug: row.slug,
                parent: row.parent_id.map(CraftId::from_uuid),
                name: from_json("crafts.name", &row.name)?,
                position: row.position,
                retired_at: row.retired_at,
            })
        })
        .collect()
}

pub(crate) async fn insert(conn: &impl ConnectionTrait, craft: &Craft) -> Result<(), DbErr> {
    crafts::Entity::insert(crafts::ActiveModel {
        id: Set(craft.id.into_uuid()),
        slug: Set(craft.slug.clone()),
        parent_id: Set(craft.parent.map(CraftId::into_uuid)),
        name: Set(to_json(&craft.name)),
        position: Set(craft.position),
        retired_at: Set(craft.retired_at),
    })
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}

pub(crate) async fn rename(
    conn: &impl ConnectionTrait,
    id: CraftId,
    name: &LocalizedText,
) -> Result<(), DbErr> {
    crafts::Entity::update_many()
        .col_expr(crafts::Column::Name, Expr::value(to_json(name)))
        .filter(crafts::Column::Id.eq(id.into_uuid()))
        .exec(conn)
        .await
        .map(|_| ())
}

pub(crate) async fn retire(
    conn: &impl ConnectionTrait,
    id: CraftId,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    crafts::Entity::update_many()
        .col_expr(crafts::Column::RetiredAt, Expr::value(at))
        .filter(crafts::Column::Id.eq(id.into_uuid()))
        .exec(conn)
        .await
        .map(|_| ())
}
