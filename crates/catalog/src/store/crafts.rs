//! The crafts taxonomy.

use souk_db::{
    ConnectionTrait, DbErr,
    entities::crafts,
    sea_orm::{EntityTrait, QueryOrder, Set},
};
use souk_kernel::CraftId;

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
    })
    .exec_without_returning(conn)
    .await
    .map(|_| ())
}
