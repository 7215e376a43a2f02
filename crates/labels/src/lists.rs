//! What certifiers and operators browse: certifications (by product, artisan, status), label
//! batches, and the labels of a product. Every list pages by its key (see `souk_kernel::Page`).

use chrono::NaiveDate;
use souk_auth::Principal;
use souk_db::{
    entities::{certifications, label_batches, labels},
    sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect},
};
use souk_kernel::{ArtisanId, CertificationId, Page, PageRequest, ProductId};

use crate::{
    BatchLabel, Labels, LabelsError,
    certifications::{CertificationStatus, from_row, require_certifier},
    issue::{Batch, batch_from_row},
};

/// Which certifications a list shows.
#[derive(Clone, Debug, Default)]
pub struct CertificationFilter {
    pub product: Option<ProductId>,
    pub artisan: Option<ArtisanId>,
    /// Their status on `day`.
    pub status: Option<CertificationStatus>,
}

/// Which label batches a list shows.
#[derive(Clone, Debug, Default)]
pub struct BatchFilter {
    pub certification: Option<CertificationId>,
    pub product: Option<ProductId>,
}

impl Labels {
    /// Certifications, newest first (certifiers and operators).
    pub async fn certifications(
        &self,
        principal: &Principal,
        filter: &CertificationFilter,
        day: NaiveDate,
        page: &PageRequest,
    ) -> Result<Page<crate::Certification>, LabelsError> {
        require_certifier(principal)?;
        let mut query = certifications::Entity::find()
            .order_by_desc(certifications::Column::Id)
            .limit(page.fetch());
        if let Some(product) = filter.product {
            query = query.filter(certifications::Column::ProductId.eq(product.into_uuid()));
        }
        if let Some(artisan) = filter.artisan {
            query = query.filter(certifications::Column::ArtisanId.eq(artisan.into_uuid()));
        }
        if let Some(status) = filter.status {
            query = query.filter(status.condition(day));
        }
        if let Some(after) = page.after {
            query = query.filter(certifications::Column::Id.lt(after));
        }
        let rows = query.all(self.db()).await?;
        let crafts = self.inner.catalog.crafts().await?;
        let rows = Page::of(rows, page.limit, |r| r.id);
        Ok(Page {
            items: rows
                .items
                .into_iter()
                .map(|r| from_row(r, &crafts))
                .collect::<Result<_, _>>()?,
            next_cursor: rows.next_cursor,
        })
    }

    /// Label batches, newest first (certifiers and operators).
    pub async fn batches(
        &self,
        principal: &Principal,
        filter: &BatchFilter,
        page: &PageRequest,
    ) -> Result<Page<Batch>, LabelsError> {
        require_certifier(principal)?;
        let mut query = label_batches::Entity::find()
            .order_by_desc(label_batches::Column::Id)
            .limit(page.fetch());
        if let Some(certification) = filter.certification {
            query =
                query.filter(label_batches::Column::CertificationId.eq(certification.into_uuid()));
        }
        if let Some(product) = filter.product {
            query = query.filter(label_batches::Column::ProductId.eq(product.into_uuid()));
        }
        if let Some(after) = page.after {
            query = query.filter(label_batches::Column::Id.lt(after));
        }
        let rows = query.all(self.db()).await?;
        Ok(Page::of(rows, page.limit, |r| r.id).map(batch_from_row))
    }

    /// A product's labels, every batch of it, in serial order: for whoever may print them.
    pub async fn product_labels(
        &self,
        principal: &Principal,
        product: ProductId,
        page: &PageRequest<String>,
    ) -> Result<Page<BatchLabel>, LabelsError> {
        self.require_printer(principal, product).await?;
        let mut query = labels::Entity::find()
            .filter(labels::Column::ProductId.eq(product.into_uuid()))
            .order_by_asc(labels::Column::Serial)
            .limit(page.fetch());
        if let Some(after) = &page.after {
            query = query.filter(labels::Column::Serial.gt(after.as_str()));
        }
        let rows = query.all(self.db()).await?;
        let rows = Page::of(rows, page.limit, |r| r.serial.clone());
        Ok(Page {
            items: rows
                .items
                .iter()
                .map(|row| self.batch_label(row))
                .collect::<Result<_, _>>()?,
            next_cursor: rows.next_cursor,
        })
    }
}

impl CertificationStatus {
    /// The rows of certifications in this status on `day` (the rule of
    /// [`crate::Certification::status`], in SQL).
    fn condition(self, day: NaiveDate) -> Condition {
        let passed = certifications::Column::Result.eq("passed");
        let from = certifications::Column::ValidFrom;
        let until = certifications::Column::ValidUntil;
        match self {
            CertificationStatus::Failed => {
                Condition::all().add(certifications::Column::Result.ne("passed"))
            }
            CertificationStatus::Upcoming => Condition::all().add(passed).add(from.gt(day)),
            CertificationStatus::Current => Condition::all()
                .add(passed)
                .add(from.lte(day))
                .add(until.gte(day)),
            CertificationStatus::Expired => Condition::all().add(passed).add(until.lt(day)),
        }
    }
}
