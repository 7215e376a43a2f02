//! Products.

use souk_db::{
    ConnectionTrait, DbErr,
    entities::{agents, products},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set},
};
use souk_kernel::{AccountId, CraftId, Currency, Money, ProductId};

use super::{artisans, from_json, lang, to_i32, to_json, to_u32};
use crate::{
    CatalogError,
    model::{Craft, Dimensions, Product, ProductStatus},
};

/// A product with its maker and craft, or `None`.
pub(crate) async fn get(
    conn: &impl ConnectionTrait,
    id: ProductId,
    crafts: &[Craft],
) -> Result<Option<Product>, CatalogError> {
    let Some(row) = products::Entity::find_by_id(id.into_uuid())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let artisan_id = row.artisan_id.into();
    let (artisan_row, artisan) = artisans::row(conn, artisan_id)
        .await?
        .ok_or_else(|| CatalogError::Corrupt(format!("product {id} has no artisan")))?;
    let craft = crafts
        .iter()
        .find(|c| c.id.into_uuid() == row.craft_id)
        .map(|c| c.slug.clone())
        .ok_or_else(|| CatalogError::Corrupt(format!("product {id} has an unknown craft")))?;
    let listed_by_agent = match row.listed_by {
        // Most listings on behalf are by the artisan's own agent: no need to ask.
        Some(account) if artisan_row.agent_id == Some(account) => true,
        Some(account) => agents::Entity::find_by_id(account)
            .one(conn)
            .await?
            .is_some(),
        None => false,
    };
    let opt_u32 = |column: &str, v: Option<i32>| v.map(|v| to_u32(column, v)).transpose();
    Ok(Some(Product {
        id,
        artisan,
        access: artisans::access(&artisan_row)?,
        listed_by: row.listed_by.map(AccountId::from_uuid),
        listed_by_agent,
        craft,
        title: from_json("products.title", &row.title)?,
        description: from_json("products.description", &row.description)?,
        default_lang: lang("products.default_lang", &row.default_lang)?,
        materials: from_json("products.materials", &row.materials)?,
        dimensions: Dimensions {
            length_mm: opt_u32("products.length_mm", row.length_mm)?,
            width_mm: opt_u32("products.width_mm", row.width_mm)?,
            height_mm: opt_u32("products.height_mm", row.height_mm)?,
        },
        weight_g: opt_u32("products.weight_g", row.weight_g)?,
        price: price(&row)?,
        stock: to_u32("products.stock", row.stock)?,
        lead_time_days: row
            .lead_time_days
            .map(|d| {
                u16::try_from(d).map_err(|_| CatalogError::Corrupt(format!("lead_time_days {d}")))
            })
            .transpose()?,
        status: ProductStatus::parse(&row.status)
            .ok_or_else(|| CatalogError::Corrupt(format!("products.status: {}", row.status)))?,
        photos: from_json("products.photos", &row.photos)?,
        certified_until: row.certified_until,
        gtin: row
            .gtin
            .as_deref()
            .map(|g| {
                g.parse()
                    .map_err(|e| CatalogError::Corrupt(format!("products.gtin {g}: {e}")))
            })
            .transpose()?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }))
}

pub(crate) fn price(row: &products::Model) -> Result<Money, CatalogError> {
    let currency = Currency::parse(&row.currency)
        .ok_or_else(|| CatalogError::Corrupt(format!("products.currency: {}", row.currency)))?;
    Ok(Money {
        amount_minor: row.price_minor,
        currency,
    })
}

fn active_model(product: &Product, craft: souk_kernel::CraftId) -> products::ActiveModel {
    let dims = product.dimensions;
    products::ActiveModel {
        id: Set(product.id.into_uuid()),
        artisan_id: Set(product.artisan.id.into_uuid()),
        listed_by: Set(product.listed_by.map(AccountId::into_uuid)),
        craft_id: Set(craft.into_uuid()),
        title: Set(to_json(&product.title)),
        description: Set(to_json(&product.description)),
        default_lang: Set(product.default_lang.code().to_owned()),
        materials: Set(to_json(&product.materials)),
        length_mm: Set(dims.length_mm.map(to_i32)),
        width_mm: Set(dims.width_mm.map(to_i32)),
        height_mm: Set(dims.height_mm.map(to_i32)),
        weight_g: Set(product.weight_g.map(to_i32)),
        price_minor: Set(product.price.amount_minor),
        currency: Set(product.price.currency.code().to_owned()),
        stock: Set(to_i32(product.stock)),
        lead_time_days: Set(product.lead_time_days.map(i32::from)),
        status: Set(product.status.as_str().to_owned()),
        photos: Set(to_json(&product.photos)),
        certified_until: Set(product.certified_until),
        gtin: Set(product.gtin.as_ref().map(|g| g.as_str().to_owned())),
        version: Set(product.version),
        created_at: Set(product.created_at),
        updated_at: Set(product.updated_at),
    }
}

pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    product: &Product,
    craft: souk_kernel::CraftId,
) -> Result<(), DbErr> {
    products::Entity::insert(active_model(product, craft))
        .exec_without_returning(conn)
        .await?;
    super::changes::record(conn, &[product.id.into_uuid()]).await
}

/// Many products in one statement per chunk (bulk import).
pub(crate) async fn insert_many(
    conn: &impl ConnectionTrait,
    products: &[(Product, souk_kernel::CraftId)],
) -> Result<(), DbErr> {
    // 24 columns a row: 1,000 rows stay under every backend's bound-parameter limit.
    for chunk in products.chunks(1_000) {
        let rows = chunk.iter().map(|(p, craft)| active_model(p, *craft));
        products::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    let ids: Vec<uuid::Uuid> = products.iter().map(|(p, _)| p.id.into_uuid()).collect();
    super::changes::record(conn, &ids).await
}

/// Writes `product` over the row if the row is still at `base_version`; false if it moved on.
pub(crate) async fn update_if_version(
    conn: &impl ConnectionTrait,
    product: &Product,
    craft: souk_kernel::CraftId,
    base_version: i32,
    stock_changed: bool,
) -> Result<bool, DbErr> {
    let mut model = active_model(product, craft);
    model.id = souk_db::sea_orm::ActiveValue::NotSet;
    model.created_at = souk_db::sea_orm::ActiveValue::NotSet;
    // Orders reserve and release stock without taking the product's version: an edit that did
    // not touch the stock must not write back the count it read, or it would undo them.
    if !stock_changed {
        model.stock = souk_db::sea_orm::ActiveValue::NotSet;
    }
    // Certifications set the badge's date, in their own transactions: an edit never writes it.
    model.certified_until = souk_db::sea_orm::ActiveValue::NotSet;
    let result = products::Entity::update_many()
        .set(model)
        .filter(products::Column::Id.eq(product.id.into_uuid()))
        .filter(products::Column::Version.eq(base_version))
        .exec(conn)
        .await?;
    if result.rows_affected != 1 {
        return Ok(false);
    }
    super::changes::record(conn, &[product.id.into_uuid()]).await?;
    Ok(true)
}

/// The current version of a product.
pub(crate) async fn version(
    conn: &impl ConnectionTrait,
    id: ProductId,
) -> Result<Option<i32>, DbErr> {
    Ok(products::Entity::find_by_id(id.into_uuid())
        .one(conn)
        .await?
        .map(|r| r.version))
}

/// The ids of every product of a craft.
pub(crate) async fn ids_in_craft(
    conn: &impl ConnectionTrait,
    craft: CraftId,
) -> Result<Vec<ProductId>, DbErr> {
    let ids: Vec<uuid::Uuid> = products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .filter(products::Column::CraftId.eq(craft.into_uuid()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().map(ProductId::from_uuid).collect())
}

/// The rows of these products (those that exist), for the search index.
pub(crate) async fn rows(
    conn: &impl ConnectionTrait,
    ids: &[uuid::Uuid],
) -> Result<Vec<products::Model>, DbErr> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        rows.extend(
            products::Entity::find()
                .filter(products::Column::Id.is_in(chunk.to_vec()))
                .all(conn)
                .await?,
        );
    }
    Ok(rows)
}

/// Active products after `after` in id order, `limit` of them: a rebuild's pages.
pub(crate) async fn active_after(
    conn: &impl ConnectionTrait,
    after: Option<uuid::Uuid>,
    limit: u64,
) -> Result<Vec<products::Model>, DbErr> {
    use souk_db::sea_orm::QueryOrder;
    let mut query = products::Entity::find()
        .filter(products::Column::Status.eq(crate::model::ProductStatus::Active.as_str()));
    if let Some(after) = after {
        query = query.filter(products::Column::Id.gt(after));
    }
    query
        .order_by_asc(products::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}
