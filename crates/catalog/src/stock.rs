//! Stock, as orders see it: what a product sells for, and reserving or releasing units inside the
//! caller's transaction. A reservation is one conditional `UPDATE` (`stock >= n`), so two buyers
//! of the last piece cannot both get it, on PostgreSQL or SQLite, on any number of replicas.

use std::collections::HashMap;

use souk_db::{
    ConnectionTrait, DbErr,
    entities::{agents, artisans, products},
    sea_orm::{
        ColumnTrait, EntityTrait, QueryFilter,
        sea_query::{Expr, ExprTrait},
    },
};
use souk_kernel::{AccountId, ArtisanId, Currency, LocalizedText, Money, ProductId};

use crate::{
    CatalogError, ProductStatus,
    store::{from_json, to_u32},
};

/// A product as an order line snapshots it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleItem {
    pub id: ProductId,
    pub artisan: ArtisanId,
    /// The agent who listed it for the artisan, when one did.
    pub listed_by_agent: Option<AccountId>,
    pub title: LocalizedText,
    pub price: Money,
    pub stock: u32,
    /// Set for made-to-order items: no stock limit, this many days to make.
    pub lead_time_days: Option<u16>,
    pub weight_g: Option<u32>,
    pub status: ProductStatus,
}

impl SaleItem {
    pub fn is_made_to_order(&self) -> bool {
        self.lead_time_days.is_some()
    }
}

/// The products of `ids` that exist, as they are now.
pub async fn sale_items(
    conn: &impl ConnectionTrait,
    ids: &[ProductId],
) -> Result<Vec<SaleItem>, CatalogError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Each product with its artisan (for the agent who may have listed it), in one query.
    let (rows, agent_of): (Vec<_>, HashMap<_, _>) = products::Entity::find()
        .filter(products::Column::Id.is_in(ids.iter().map(|id| id.into_uuid())))
        .find_also_related(artisans::Entity)
        .all(conn)
        .await?
        .into_iter()
        .map(|(p, a)| {
            let agent = (p.artisan_id, a.and_then(|a| a.agent_id));
            (p, agent)
        })
        .unzip();
    // Listers who are not the artisan's current agent: were they agents?
    let others: Vec<_> = rows
        .iter()
        .filter_map(|r| {
            r.listed_by
                .filter(|l| agent_of.get(&r.artisan_id) != Some(&Some(*l)))
        })
        .collect();
    let other_agents: Vec<_> = if others.is_empty() {
        Vec::new()
    } else {
        agents::Entity::find()
            .filter(agents::Column::AccountId.is_in(others))
            .all(conn)
            .await?
            .into_iter()
            .map(|a| a.account_id)
            .collect()
    };
    rows.into_iter()
        .map(|row| {
            let id = ProductId::from_uuid(row.id);
            let listed_by_agent = row
                .listed_by
                .filter(|l| {
                    agent_of.get(&row.artisan_id) == Some(&Some(*l)) || other_agents.contains(l)
                })
                .map(AccountId::from_uuid);
            let currency = Currency::parse(&row.currency).ok_or_else(|| {
                CatalogError::Corrupt(format!("product {id}: currency {:?}", row.currency))
            })?;
            Ok(SaleItem {
                id,
                artisan: ArtisanId::from_uuid(row.artisan_id),
                listed_by_agent,
                title: from_json("products.title", &row.title)?,
                price: Money {
                    amount_minor: row.price_minor,
                    currency,
                },
                stock: to_u32("products.stock", row.stock)?,
                lead_time_days: row
                    .lead_time_days
                    .map(|d| {
                        u16::try_from(d).map_err(|_| {
                            CatalogError::Corrupt(format!("products.lead_time_days: {d}"))
                        })
                    })
                    .transpose()?,
                weight_g: row
                    .weight_g
                    .map(|w| to_u32("products.weight_g", w))
                    .transpose()?,
                status: ProductStatus::parse(&row.status).ok_or_else(|| {
                    CatalogError::Corrupt(format!("products.status: {:?}", row.status))
                })?,
            })
        })
        .collect()
}

/// Takes `quantity` units of a product if that many are left. `false`: not enough stock, and
/// nothing was changed.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    product: ProductId,
    quantity: u32,
) -> Result<bool, DbErr> {
    let quantity = i64::from(quantity);
    // Logged first: the product's row stays locked only from the update to the commit. Nothing
    // is logged if the caller rolls back for want of stock.
    crate::store::changes::record(conn, &[product.into_uuid()]).await?;
    let result = products::Entity::update_many()
        .col_expr(
            products::Column::Stock,
            Expr::col(products::Column::Stock).sub(quantity),
        )
        .filter(products::Column::Id.eq(product.into_uuid()))
        .filter(products::Column::Stock.gte(quantity))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Puts `quantity` units back (a cancelled, expired or refused order).
pub async fn release(
    conn: &impl ConnectionTrait,
    product: ProductId,
    quantity: u32,
) -> Result<(), DbErr> {
    crate::store::changes::record(conn, &[product.into_uuid()]).await?;
    products::Entity::update_many()
        .col_expr(
            products::Column::Stock,
            Expr::col(products::Column::Stock).add(i64::from(quantity)),
        )
        .filter(products::Column::Id.eq(product.into_uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Units left of a product, if it exists.
pub async fn stock_of(
    conn: &impl ConnectionTrait,
    product: ProductId,
) -> Result<Option<u32>, CatalogError> {
    products::Entity::find_by_id(product.into_uuid())
        .one(conn)
        .await?
        .map(|r| to_u32("products.stock", r.stock))
        .transpose()
}
