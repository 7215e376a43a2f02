//! Issuing labels: a batch of serialized labels for one product under a passed, current
//! certification, each signed with the active key, all written in one transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::{Principal, Role};
use souk_db::{
    DatabaseTransaction, begin_write,
    entities::{certifications, label_batches, labels, products},
    is_unique_violation,
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect},
};
use souk_kernel::{AccountId, CertificationId, Gtin, LabelBatchId, LabelId, ProductId};

use crate::{
    Labels, LabelsError,
    certifications::{from_row, require_certifier},
    link::{LabelLink, ProductKey, Signed, SignedPart},
    serial::Serial,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub id: LabelBatchId,
    pub certification: CertificationId,
    pub product: ProductId,
    pub count: u32,
    pub key_id: String,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn batch_from_row(row: label_batches::Model) -> Batch {
    Batch {
        id: LabelBatchId::from_uuid(row.id),
        certification: CertificationId::from_uuid(row.certification_id),
        product: ProductId::from_uuid(row.product_id),
        count: u32::try_from(row.count).unwrap_or(0),
        key_id: row.key_id,
        created_by: AccountId::from_uuid(row.created_by),
        created_at: row.created_at,
    }
}

/// One label of a batch, as printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchLabel {
    pub serial: Serial,
    /// The link its QR code holds.
    pub url: String,
    pub status: String,
}

/// Labels inserted per statement: 23 columns a row stays under every backend's parameter bound.
const INSERT_CHUNK: usize = 1_000;

impl Labels {
    /// Issues `count` labels for `product` (default: the certified product) under a
    /// certification.
    pub async fn issue(
        &self,
        principal: &Principal,
        certification: CertificationId,
        product: Option<ProductId>,
        count: u32,
    ) -> Result<Batch, LabelsError> {
        require_certifier(principal)?;
        let max = self.inner.settings.max_batch;
        if count == 0 || count > max {
            return Err(LabelsError::invalid(
                "count",
                format!("between 1 and {max}"),
            ));
        }
        let _slot = self.inner.settings.work.take().await?;
        // A fresh set of serials per attempt: a clash with an existing label (50 random bits
        // each) is rare enough that trying again is the whole answer.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let tx = begin_write(self.db()).await?;
            match self
                .issue_in(&tx, principal, certification, product, count)
                .await
            {
                Ok(batch) => {
                    tx.commit().await?;
                    return Ok(batch);
                }
                Err(LabelsError::Db(e)) if is_unique_violation(&e) && attempts < 3 => {
                    tracing::warn!("a new serial clashed with an existing one; issuing again");
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn issue_in(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        certification: CertificationId,
        product: Option<ProductId>,
        count: u32,
    ) -> Result<Batch, LabelsError> {
        let crafts = self.inner.catalog.crafts().await?;
        let row = certifications::Entity::find_by_id(certification.into_uuid())
            .one(tx)
            .await?
            .ok_or(LabelsError::NotFound("certification"))?;
        let cert = from_row(row, &crafts)?;
        let today = Utc::now().date_naive();
        if !cert.passed {
            return Err(LabelsError::CertificationNotCurrent("it did not pass"));
        }
        if !cert.is_current(today) {
            return Err(LabelsError::CertificationNotCurrent(
                "today is outside its validity",
            ));
        }
        let product_id = match (cert.product, product) {
            (Some(certified), None) => certified,
            (Some(certified), Some(asked)) if certified == asked => certified,
            (Some(_), Some(_)) => {
                return Err(LabelsError::invalid(
                    "product_id",
                    "is not the product this certification covers",
                ));
            }
            (None, Some(asked)) => asked,
            (None, None) => {
                return Err(LabelsError::invalid(
                    "product_id",
                    "is required for a product line's certification",
                ));
            }
        };
        let product_row = products::Entity::find_by_id(product_id.into_uuid())
            .one(tx)
            .await?
            .ok_or_else(|| LabelsError::invalid("product_id", "no such product"))?;
        if cert.product.is_none() {
            let craft = crafts
                .iter()
                .find(|c| c.id.into_uuid() == product_row.craft_id)
                .map(|c| c.slug.as_str());
            if product_row.artisan_id != cert.artisan.into_uuid() || craft != cert.craft.as_deref()
            {
                return Err(LabelsError::invalid(
                    "product_id",
                    "is not in the certified product line",
                ));
            }
        }
        let key = match product_row.gtin.as_deref().map(str::parse::<Gtin>) {
            Some(Ok(gtin)) => ProductKey::Gtin(gtin),
            Some(Err(e)) => return Err(LabelsError::Corrupt(format!("products.gtin: {e}"))),
            // The product's brand code, from its earlier labels, or a new one.
            None => match brand_key_of(tx, product_id).await? {
                Some(key) => key,
                None => ProductKey::new_brand_code(),
            },
        };
        let now = Utc::now();
        let keys = &self.inner.keys;
        let batch = Batch {
            id: LabelBatchId::new(),
            certification,
            product: product_id,
            count,
            key_id: keys.active_kid().to_owned(),
            created_by: principal.account_id,
            created_at: now,
        };
        label_batches::Entity::insert(label_batches::ActiveModel {
            id: Set(batch.id.into_uuid()),
            certification_id: Set(certification.into_uuid()),
            product_id: Set(product_id.into_uuid()),
            count: Set(i32::try_from(count).unwrap_or(i32::MAX)),
            key_id: Set(batch.key_id.clone()),
            created_by: Set(principal.account_id.into_uuid()),
            created_at: Set(now),
        })
        .exec_without_returning(tx)
        .await?;
        let mut serials = HashSet::with_capacity(count as usize);
        while serials.len() < count as usize {
            serials.insert(Serial::random());
        }
        let mut serials: Vec<Serial> = serials.into_iter().collect();
        serials.sort();
        let rows: Vec<labels::ActiveModel> = serials
            .iter()
            .map(|serial| {
                let signed = Signed {
                    product: key.clone(),
                    serial: serial.as_str().to_owned(),
                    certification: cert.code.clone(),
                    issued_on: today,
                    key_id: batch.key_id.clone(),
                };
                let signature = keys.sign(&signed.message());
                label_row(&batch, &signed, signature, now)
            })
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            labels::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(tx)
                .await?;
        }
        tracing::info!(batch = %batch.id, count, certification = %certification, "labels issued");
        Ok(batch)
    }

    /// A batch, for its certifier, operators, and the maker (or their agent) who sticks the
    /// labels on.
    pub async fn batch(
        &self,
        principal: &Principal,
        id: LabelBatchId,
    ) -> Result<Batch, LabelsError> {
        let row = label_batches::Entity::find_by_id(id.into_uuid())
            .one(self.db())
            .await?
            .ok_or(LabelsError::NotFound("label batch"))?;
        self.require_printer(principal, ProductId::from_uuid(row.product_id))
            .await?;
        Ok(batch_from_row(row))
    }

    /// A page of a batch's labels in serial order, after `after`.
    pub async fn batch_labels(
        &self,
        principal: &Principal,
        id: LabelBatchId,
        after: Option<&Serial>,
        limit: u64,
    ) -> Result<Vec<BatchLabel>, LabelsError> {
        self.batch(principal, id).await?;
        self.labels_of_batch(id, after, limit).await
    }

    /// A batch's labels, for a caller that checked who may print them.
    pub(crate) async fn labels_of_batch(
        &self,
        id: LabelBatchId,
        after: Option<&Serial>,
        limit: u64,
    ) -> Result<Vec<BatchLabel>, LabelsError> {
        let mut query = labels::Entity::find()
            .filter(labels::Column::BatchId.eq(id.into_uuid()))
            .order_by_asc(labels::Column::Serial)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(labels::Column::Serial.gt(after.as_str()));
        }
        let rows = query.all(self.db()).await?;
        rows.iter().map(|row| self.batch_label(row)).collect()
    }

    /// A label as printed: its serial, the link its QR code holds, its status.
    pub(crate) fn batch_label(&self, row: &labels::Model) -> Result<BatchLabel, LabelsError> {
        Ok(BatchLabel {
            serial: Serial::parse(&row.serial)
                .ok_or_else(|| LabelsError::Corrupt(format!("serial {}", row.serial)))?,
            url: link_of(row)?.to_url(&self.inner.settings.base_url),
            status: row.status.clone(),
        })
    }

    /// Certifiers and operators print any label; artisans and agents those of their products.
    pub(crate) async fn require_printer(
        &self,
        principal: &Principal,
        product: ProductId,
    ) -> Result<(), LabelsError> {
        if matches!(principal.role, Role::Certifier | Role::Admin) {
            return Ok(());
        }
        let row = products::Entity::find_by_id(product.into_uuid())
            .one(self.db())
            .await?
            .ok_or(LabelsError::NotFound("product"))?;
        let access = souk_catalog::rights::access_of(
            self.db(),
            souk_kernel::ArtisanId::from_uuid(row.artisan_id),
        )
        .await?;
        if souk_catalog::rights::may_view(principal, &access) {
            Ok(())
        } else {
            // Someone else's labels are not theirs to print (a printed copy is a clone).
            Err(LabelsError::NotFound("label batch"))
        }
    }
}

/// The brand code a product's earlier labels carry, if any.
async fn brand_key_of(
    tx: &DatabaseTransaction,
    product: ProductId,
) -> Result<Option<ProductKey>, LabelsError> {
    let key: Option<String> = labels::Entity::find()
        .select_only()
        .column(labels::Column::ProductKey)
        .filter(labels::Column::ProductId.eq(product.into_uuid()))
        .filter(labels::Column::ProductKey.starts_with("p/"))
        .limit(1)
        .into_tuple()
        .one(tx)
        .await?;
    key.map(|k| {
        ProductKey::parse(&k).map_err(|e| LabelsError::Corrupt(format!("labels.product_key: {e}")))
    })
    .transpose()
}

fn label_row(
    batch: &Batch,
    signed: &Signed,
    signature: String,
    now: DateTime<Utc>,
) -> labels::ActiveModel {
    labels::ActiveModel {
        id: Set(LabelId::new().into_uuid()),
        serial: Set(signed.serial.clone()),
        batch_id: Set(batch.id.into_uuid()),
        certification_id: Set(batch.certification.into_uuid()),
        certification_code: Set(signed.certification.clone()),
        product_id: Set(batch.product.into_uuid()),
        product_key: Set(signed.product.path()),
        issued_on: Set(signed.issued_on),
        key_id: Set(signed.key_id.clone()),
        signature: Set(signature),
        status: Set("issued".into()),
        fulfilment_id: Set(None),
        owner_id: Set(None),
        owned_since: Set(None),
        owner_device: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
        revoked_reason: Set(None),
        suspect: Set(false),
        suspect_reason: Set(None),
        suspect_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// The link of a stored label, with its signature.
pub(crate) fn link_of(row: &labels::Model) -> Result<LabelLink, LabelsError> {
    Ok(LabelLink {
        product: ProductKey::parse(&row.product_key)
            .map_err(|e| LabelsError::Corrupt(format!("labels.product_key: {e}")))?,
        serial: row.serial.clone(),
        signed: Some(SignedPart {
            certification: row.certification_code.clone(),
            issued_on: row.issued_on,
            key_id: row.key_id.clone(),
            signature: row.signature.clone(),
        }),
    })
}
