//! Labels meet orders: the maker (or their agent) attaches a label to its item, and says which
//! labels go out with a parcel. A label is sold once that parcel is delivered; then the first
//! scan by the order's buyer registers them as its owner.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use souk_auth::Principal;
use souk_catalog::rights;
use souk_db::{
    ConnectionTrait, begin_write,
    entities::{fulfilments, labels, order_history, order_lines, orders},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr},
};
use souk_kernel::{AccountId, ArtisanId, FulfilmentId};
use uuid::Uuid;

use crate::{Labels, LabelsError, serial::Serial};

/// A parcel that will not reach its buyer: its labels may go with another one.
fn parcel_lost(status: &str) -> bool {
    matches!(status, "cancelled" | "refused")
}

fn parcel_delivered(status: &str) -> bool {
    matches!(status, "delivered" | "cash_remitted")
}

/// The buyer of the parcel and the day it was delivered, once it is.
pub(crate) async fn sold(
    conn: &impl ConnectionTrait,
    fulfilment: FulfilmentId,
) -> Result<Option<(AccountId, NaiveDate)>, LabelsError> {
    let Some(parcel) = fulfilments::Entity::find_by_id(fulfilment.into_uuid())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if !parcel_delivered(&parcel.status) {
        return Ok(None);
    }
    let order = orders::Entity::find_by_id(parcel.order_id)
        .one(conn)
        .await?
        .ok_or_else(|| LabelsError::Corrupt(format!("fulfilment {fulfilment} has no order")))?;
    let delivered: Option<chrono::DateTime<Utc>> = order_history::Entity::find()
        .select_only()
        .column(order_history::Column::At)
        .filter(order_history::Column::FulfilmentId.eq(parcel.id))
        .filter(order_history::Column::ToStatus.eq("delivered"))
        .order_by_desc(order_history::Column::At)
        .into_tuple()
        .one(conn)
        .await?;
    let on = delivered.unwrap_or(parcel.updated_at).date_naive();
    Ok(Some((AccountId::from_uuid(order.buyer_id), on)))
}

impl Labels {
    /// Marks a label as stuck on its item: its maker, their agent, or an operator.
    pub async fn attach(&self, principal: &Principal, serial: &str) -> Result<(), LabelsError> {
        let serial = Serial::parse(serial).ok_or(LabelsError::NotFound("label"))?;
        let tx = begin_write(self.db()).await?;
        // Locked (PostgreSQL; SQLite's write transactions are serial anyway), so a revocation
        // at the same moment comes wholly before or after this.
        let row = labels::Entity::find()
            .filter(labels::Column::Serial.eq(serial.as_str()))
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or(LabelsError::NotFound("label"))?;
        let artisan = self.artisan_of_product(&tx, row.product_id).await?;
        let access = rights::access_of(&tx, artisan).await?;
        if !rights::may_view(principal, &access) {
            return Err(LabelsError::NotFound("label"));
        }
        rights::may_fulfil(principal, &access)?;
        match row.status.as_str() {
            "revoked" => return Err(LabelsError::AlreadyRevoked),
            "attached" => return Ok(()),
            _ => {}
        }
        labels::Entity::update_many()
            .col_expr(labels::Column::Status, Expr::value("attached"))
            .col_expr(labels::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(labels::Column::Id.eq(row.id))
            .filter(labels::Column::Status.ne("revoked"))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        self.forget_label(serial.as_str()).await;
        Ok(())
    }

    /// Records which labels go out with a parcel (at most one per unit of each product in it).
    /// Assigning them again is harmless; a label already going out with another live parcel is
    /// refused. Returns the parcel's labels.
    pub async fn send_with(
        &self,
        principal: &Principal,
        fulfilment: FulfilmentId,
        serials: &[String],
    ) -> Result<Vec<String>, LabelsError> {
        if serials.is_empty() || serials.len() > 500 {
            return Err(LabelsError::invalid("serials", "1 to 500 serials"));
        }
        let tx = begin_write(self.db()).await?;
        let parcel = fulfilments::Entity::find_by_id(fulfilment.into_uuid())
            .one(&tx)
            .await?
            .ok_or(LabelsError::NotFound("fulfilment"))?;
        let access = rights::access_of(&tx, ArtisanId::from_uuid(parcel.artisan_id)).await?;
        if !rights::may_view(principal, &access) {
            return Err(LabelsError::NotFound("fulfilment"));
        }
        rights::may_fulfil(principal, &access)?;
        if parcel_lost(&parcel.status) {
            return Err(LabelsError::invalid(
                "fulfilment",
                "the parcel was cancelled or refused",
            ));
        }
        let mut room: HashMap<Uuid, i64> = HashMap::new();
        for line in order_lines::Entity::find()
            .filter(order_lines::Column::FulfilmentId.eq(parcel.id))
            .all(&tx)
            .await?
        {
            *room.entry(line.product_id).or_default() += i64::from(line.quantity);
        }
        let mut ids = Vec::new();
        let mut parsed = Vec::new();
        for (i, typed) in serials.iter().enumerate() {
            let serial = Serial::parse(typed)
                .ok_or_else(|| LabelsError::invalid(format!("serials[{i}]"), "not a serial"))?;
            if parsed.contains(&serial) {
                continue;
            }
            // Locked: of two parcels claiming a label at once, the second sees the first's.
            let row = labels::Entity::find()
                .filter(labels::Column::Serial.eq(serial.as_str()))
                .lock_exclusive()
                .one(&tx)
                .await?
                .ok_or_else(|| LabelsError::invalid(format!("serials[{i}]"), "no such label"))?;
            let unavailable = |why| LabelsError::LabelUnavailable {
                serial: serial.to_string(),
                why,
            };
            if row.status == "revoked" {
                return Err(unavailable("it is revoked"));
            }
            let left = room
                .get_mut(&row.product_id)
                .ok_or_else(|| unavailable("its product is not in this parcel"))?;
            if *left == 0 {
                return Err(unavailable("the parcel has more labels than units of it"));
            }
            *left -= 1;
            if let Some(other) = row.fulfilment_id.filter(|f| *f != parcel.id) {
                let other_status = fulfilments::Entity::find_by_id(other)
                    .one(&tx)
                    .await?
                    .map(|f| f.status)
                    .unwrap_or_default();
                if !parcel_lost(&other_status) {
                    return Err(unavailable("it goes out with another parcel"));
                }
            }
            ids.push(row.id);
            parsed.push(serial);
        }
        // Labels that were on this parcel before count against the units too.
        let already: Vec<(Uuid, String)> = labels::Entity::find()
            .select_only()
            .columns([labels::Column::ProductId, labels::Column::Serial])
            .filter(labels::Column::FulfilmentId.eq(parcel.id))
            .filter(labels::Column::Id.is_not_in(ids.clone()))
            .into_tuple()
            .all(&tx)
            .await?;
        for (product, serial) in &already {
            if let Some(left) = room.get_mut(product) {
                if *left == 0 {
                    return Err(LabelsError::LabelUnavailable {
                        serial: serial.clone(),
                        why: "the parcel has more labels than units of it",
                    });
                }
                *left -= 1;
            }
        }
        labels::Entity::update_many()
            .col_expr(labels::Column::FulfilmentId, Expr::value(parcel.id))
            .col_expr(labels::Column::Status, Expr::value("attached"))
            .col_expr(labels::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(labels::Column::Id.is_in(ids))
            .filter(labels::Column::Status.ne("revoked"))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        for serial in &parsed {
            self.forget_label(serial.as_str()).await;
        }
        let mut all: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        all.extend(already.into_iter().map(|(_, s)| s));
        all.sort();
        Ok(all)
    }

    async fn artisan_of_product(
        &self,
        conn: &impl ConnectionTrait,
        product: Uuid,
    ) -> Result<ArtisanId, LabelsError> {
        let artisan: Option<Uuid> = souk_db::entities::products::Entity::find_by_id(product)
            .select_only()
            .column(souk_db::entities::products::Column::ArtisanId)
            .into_tuple()
            .one(conn)
            .await?;
        artisan
            .map(ArtisanId::from_uuid)
            .ok_or_else(|| LabelsError::Corrupt(format!("label of missing product {product}")))
    }
}
