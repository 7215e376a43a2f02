//! The payout batches operators made, newest first, each with how many artisans it pays.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use souk_auth::Principal;
use souk_db::{
    entities::{payout_batches, payout_items},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect},
};
use souk_kernel::{AccountId, Page, PageRequest};
use uuid::Uuid;

use crate::{Payments, PaymentsError, payouts::operators_only};

/// A batch as a list shows it (its payouts: [`Payments::batch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSummary {
    pub id: Uuid,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    /// How many artisans it pays.
    pub payouts: u64,
}

impl Payments {
    /// Payout batches, newest first (operators).
    pub async fn batches(
        &self,
        principal: &Principal,
        page: &PageRequest,
    ) -> Result<Page<BatchSummary>, PaymentsError> {
        operators_only(principal)?;
        let mut query = payout_batches::Entity::find()
            .order_by_desc(payout_batches::Column::Id)
            .limit(page.fetch());
        if let Some(after) = page.after {
            query = query.filter(payout_batches::Column::Id.lt(after));
        }
        let rows = Page::of(query.all(&self.db).await?, page.limit, |r| r.id);
        let ids: Vec<Uuid> = rows.items.iter().map(|r| r.id).collect();
        let counts: HashMap<Uuid, i64> = payout_items::Entity::find()
            .select_only()
            .column(payout_items::Column::BatchId)
            .column_as(payout_items::Column::Id.count(), "n")
            .filter(payout_items::Column::BatchId.is_in(ids))
            .group_by(payout_items::Column::BatchId)
            .into_tuple::<(Uuid, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        Ok(rows.map(|r| BatchSummary {
            payouts: counts
                .get(&r.id)
                .map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
            id: r.id,
            created_by: AccountId::from_uuid(r.created_by),
            created_at: r.created_at,
            total_minor: r.total_minor,
            currency: r.currency,
        }))
    }
}
