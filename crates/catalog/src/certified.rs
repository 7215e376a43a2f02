//! The certification badge: a product is certified until the latest end of the passed
//! certifications that cover it (its own, or its artisan's line in its craft). Certification
//! records are the labels crate's; the date they give the product is kept here, on the product,
//! so listings filter on it without a join.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use souk_db::{
    ConnectionTrait,
    entities::{certifications, products},
    sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr},
};
use souk_kernel::{ArtisanId, CraftId, ProductId};
use uuid::Uuid;

use crate::{CatalogError, Stale};

/// A certification valid until `date` (inclusive) holds until the end of that day, UTC.
pub fn certified_until(valid_until: NaiveDate) -> DateTime<Utc> {
    let next = valid_until.succ_opt().unwrap_or(NaiveDate::MAX);
    next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The badge a new product of this artisan in this craft gets from their line's certifications.
pub(crate) async fn for_line(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    craft: CraftId,
) -> Result<Option<DateTime<Utc>>, CatalogError> {
    let latest: Option<Option<NaiveDate>> = certifications::Entity::find()
        .select_only()
        .column_as(certifications::Column::ValidUntil.max(), "latest")
        .filter(certifications::Column::Result.eq("passed"))
        .filter(certifications::Column::ProductId.is_null())
        .filter(certifications::Column::ArtisanId.eq(artisan.into_uuid()))
        .filter(certifications::Column::CraftId.eq(craft.into_uuid()))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(latest.flatten().map(certified_until))
}

/// Recomputes the badge of these products from the certifications on record, inside the
/// caller's transaction. The caller commits, then hands the [`Stale`] to `Catalog::forget`.
pub async fn refresh_in(
    conn: &impl ConnectionTrait,
    ids: &[ProductId],
) -> Result<Stale, CatalogError> {
    if ids.is_empty() {
        return Ok(Stale::default());
    }
    let uuids: Vec<Uuid> = ids.iter().map(|id| id.into_uuid()).collect();
    let rows: Vec<(Uuid, Uuid, Uuid)> = products::Entity::find()
        .select_only()
        .columns([
            products::Column::Id,
            products::Column::ArtisanId,
            products::Column::CraftId,
        ])
        .filter(products::Column::Id.is_in(uuids.clone()))
        .into_tuple()
        .all(conn)
        .await?;
    let artisans: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
    let certs = certifications::Entity::find()
        .filter(certifications::Column::Result.eq("passed"))
        .filter(
            Condition::any()
                .add(certifications::Column::ProductId.is_in(uuids))
                .add(
                    Condition::all()
                        .add(certifications::Column::ProductId.is_null())
                        .add(certifications::Column::ArtisanId.is_in(artisans)),
                ),
        )
        .all(conn)
        .await?;
    let mut latest: HashMap<Uuid, NaiveDate> = HashMap::new();
    for (id, artisan, craft) in &rows {
        for c in &certs {
            let covers = c.product_id == Some(*id)
                || (c.product_id.is_none()
                    && c.artisan_id == *artisan
                    && c.craft_id == Some(*craft));
            if covers {
                let entry = latest.entry(*id).or_insert(c.valid_until);
                *entry = (*entry).max(c.valid_until);
            }
        }
    }
    let mut stale = Stale::default();
    for (id, _, _) in &rows {
        let until = latest.get(id).copied().map(certified_until);
        products::Entity::update_many()
            .col_expr(products::Column::CertifiedUntil, Expr::value(until))
            .filter(products::Column::Id.eq(*id))
            .exec(conn)
            .await?;
        stale.merge(Stale::product(ProductId::from_uuid(*id)));
    }
    let ids: Vec<uuid::Uuid> = rows.iter().map(|(id, _, _)| *id).collect();
    crate::store::changes::record(conn, &ids).await?;
    Ok(stale)
}

/// A product's badge date as stored.
pub(crate) async fn of_product(
    conn: &impl ConnectionTrait,
    id: ProductId,
) -> Result<Option<DateTime<Utc>>, CatalogError> {
    let until: Option<Option<DateTime<Utc>>> = products::Entity::find_by_id(id.into_uuid())
        .select_only()
        .column(products::Column::CertifiedUntil)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(until.flatten())
}

/// The products of an artisan's line in a craft (the craft itself, not its narrower crafts: a
/// line is certified craft by craft).
pub async fn line_products(
    conn: &impl ConnectionTrait,
    artisan: ArtisanId,
    craft: CraftId,
) -> Result<Vec<ProductId>, CatalogError> {
    let ids: Vec<Uuid> = products::Entity::find()
        .select_only()
        .column(products::Column::Id)
        .filter(products::Column::ArtisanId.eq(artisan.into_uuid()))
        .filter(products::Column::CraftId.eq(craft.into_uuid()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids.into_iter().map(ProductId::from_uuid).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certification_holds_through_its_last_day() {
        let last = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap_or_default();
        let until = certified_until(last);
        assert_eq!(until.to_rfc3339(), "2027-07-01T00:00:00+00:00");
    }
}
