//! Product photos: checked, stripped of metadata and resized by `souk-media`, kept in the photo
//! store, and recorded with the product in one transaction.
//!
//! Order of work: rights first (cheap), then the image is processed on a blocking thread, then
//! the variants are stored, then the database transaction records them. A refused upload stores
//! nothing; a transaction that fails after the store deletes what it stored.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_audit::{AuditEntry, Subject, Via};
use souk_auth::Principal;
use souk_db::{
    DatabaseTransaction, begin_write,
    entities::product_photos,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set},
};
use souk_kernel::{ProductId, WorkSlots};
use souk_media::{MediaError, PhotoLimits, PhotoStore, StoredVariant};
use uuid::Uuid;

use crate::{
    Catalog, CatalogError, Stale, input,
    rights::{self, Scope},
    service::actor,
    store,
};

/// Where photos go and how they are served.
#[derive(Clone, Debug)]
pub struct Photos {
    pub store: PhotoStore,
    pub limits: PhotoLimits,
    /// Prefix of a stored key's public URL: `/media` when the gateway serves the store itself,
    /// or the public address of the bucket.
    pub public_base: String,
    /// The replica's heavy-work slots: a decode holds the whole picture in memory (up to 160
    /// MB for the largest allowed), so the slots bound the memory, not only the CPU.
    pub work: WorkSlots,
    /// Photos one account may upload in an hour.
    pub uploads_per_hour: u64,
}

impl Default for Photos {
    fn default() -> Self {
        Self {
            store: PhotoStore::in_memory(),
            limits: PhotoLimits::default(),
            public_base: "/media".into(),
            work: WorkSlots::default(),
            uploads_per_hour: 600,
        }
    }
}

impl Photos {
    pub fn url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_base.trim_end_matches('/'))
    }
}

/// One stored size of a photo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoVariant {
    pub name: String,
    pub key: String,
    pub url: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

/// A photo of a product, in its sizes (`full`, `medium`, `small`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Photo {
    pub id: Uuid,
    pub product: ProductId,
    pub variants: Vec<PhotoVariant>,
    pub created_at: DateTime<Utc>,
}

impl Catalog {
    /// Adds a photo to a product: its artisan, their agent (if granted) or an admin.
    pub async fn attach_photo(
        &self,
        principal: &Principal,
        product: ProductId,
        bytes: Bytes,
    ) -> Result<Photo, CatalogError> {
        // Refuse early, before the image is worked on; the transaction checks again.
        let crafts = self.crafts().await?;
        let current = store::products::get(self.db(), product, &crafts)
            .await?
            .ok_or(CatalogError::NotFound("product"))?;
        rights::act_for(principal, &current.access, Scope::Products)?;
        room_for_one_more(current.photos.len())?;
        self.count_upload(principal).await?;
        let stored = self.store_photo(Uuid::now_v7(), bytes).await?;
        let tx = begin_write(self.db()).await?;
        let recorded = self
            .record_photo_in(&tx, principal, Via::Api, product, &stored)
            .await;
        let committed = match recorded {
            Ok(done) => tx.commit().await.map(|()| done).map_err(CatalogError::from),
            Err(e) => Err(e),
        };
        match committed {
            Ok((photo, stale)) => {
                self.forget(stale).await;
                Ok(photo)
            }
            Err(e) => {
                self.discard(&stored).await;
                Err(e)
            }
        }
    }

    /// Processes and stores a photo's variants under `photo_id`. Nothing is stored if the
    /// image is refused.
    pub async fn store_photo(
        &self,
        photo_id: Uuid,
        bytes: Bytes,
    ) -> Result<StoredPhoto, CatalogError> {
        let photos = self.photos();
        let limits = photos.limits.clone();
        let slot = photos.work.take().await?;
        let processed = tokio::task::spawn_blocking(move || {
            let processed = souk_media::process(&bytes, &limits);
            drop(slot);
            processed
        })
        .await
        .map_err(|e| CatalogError::Corrupt(format!("photo processing stopped: {e}")))??;
        let variants = photos.store.put_photo(photo_id, &processed).await?;
        Ok(StoredPhoto {
            id: photo_id,
            variants,
        })
    }

    /// Counts an upload against the account's hourly allowance (shared by every replica).
    pub(crate) async fn count_upload(&self, principal: &Principal) -> Result<(), CatalogError> {
        let bucket = format!("photo-uploads:{}", principal.account_id);
        let limit = self.photos().uploads_per_hour;
        match self
            .cache()
            .rate_limit(&bucket, limit, Duration::from_secs(3600))
            .await
        {
            souk_cache::RateDecision::Allowed { .. } => Ok(()),
            souk_cache::RateDecision::Limited { retry_after } => {
                Err(CatalogError::RateLimited { retry_after })
            }
        }
    }

    /// Deletes stored variants whose recording failed (best effort: an orphan costs only space).
    pub async fn discard(&self, stored: &StoredPhoto) {
        let keys: Vec<String> = stored.variants.iter().map(|v| v.key.clone()).collect();
        if let Err(e) = self.photos().store.delete(&keys).await {
            tracing::warn!(error = %e, photo = %stored.id, "could not delete an unrecorded photo");
        }
    }

    /// Records a stored photo on a product inside the caller's transaction: the photo row, the
    /// product's photo list and version, and the audit entry.
    pub async fn record_photo_in(
        &self,
        tx: &DatabaseTransaction,
        principal: &Principal,
        via: Via,
        product_id: ProductId,
        stored: &StoredPhoto,
    ) -> Result<(Photo, Stale), CatalogError> {
        let crafts = self.crafts().await?;
        let mut product = store::products::get(tx, product_id, &crafts)
            .await?
            .ok_or(CatalogError::NotFound("product"))?;
        rights::act_for(principal, &product.access, Scope::Products)?;
        room_for_one_more(product.photos.len())?;
        let photos = self.photos();
        let variants: Vec<PhotoVariant> = stored
            .variants
            .iter()
            .map(|v| PhotoVariant {
                name: v.name.to_owned(),
                key: v.key.clone(),
                url: photos.url(&v.key),
                content_type: v.content_type.to_owned(),
                width: v.width,
                height: v.height,
                size: v.size,
            })
            .collect();
        let full = variants
            .first()
            .ok_or_else(|| CatalogError::Corrupt("a stored photo has no variants".into()))?;
        let now = Utc::now();
        product_photos::Entity::insert(product_photos::ActiveModel {
            id: Set(stored.id),
            product_id: Set(product_id.into_uuid()),
            variants: Set(store::to_json(&variants)),
            width: Set(store::to_i32(full.width)),
            height: Set(store::to_i32(full.height)),
            uploaded_by: Set(principal.account_id.into_uuid()),
            created_at: Set(now),
        })
        .exec_without_returning(tx)
        .await?;
        let base_version = product.version;
        let before = product.photos.clone();
        product.photos.push(full.url.clone());
        product.version = base_version + 1;
        product.updated_at = now;
        let craft = crafts
            .iter()
            .find(|c| c.slug == product.craft)
            .ok_or_else(|| CatalogError::Corrupt(format!("product {product_id} has no craft")))?;
        if !store::products::update_if_version(tx, &product, craft.id, base_version, false).await? {
            return Err(CatalogError::VersionConflict {
                expected: base_version,
                actual: store::products::version(tx, product_id)
                    .await?
                    .unwrap_or(base_version),
            });
        }
        let entry = AuditEntry::new(
            actor(principal),
            Some(product.artisan.id),
            Subject::Product(product_id.into_uuid()),
            "product.photo_added",
            via,
            serde_json::json!({
                "photos": {"from": before, "to": product.photos},
                "photo": {"to": {"id": stored.id, "width": full.width, "height": full.height}},
            }),
        );
        souk_audit::record(tx, &entry).await?;
        let photo = Photo {
            id: stored.id,
            product: product_id,
            variants,
            created_at: now,
        };
        Ok((photo, Stale::product(product_id)))
    }

    /// The photos of a product that the viewer may see, oldest first.
    pub async fn product_photos(
        &self,
        product: ProductId,
        viewer: Option<&Principal>,
    ) -> Result<Vec<Photo>, CatalogError> {
        self.product(product, viewer).await?;
        let rows = product_photos::Entity::find()
            .filter(product_photos::Column::ProductId.eq(product.into_uuid()))
            .order_by_asc(product_photos::Column::Id)
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Photo {
                    id: row.id,
                    product,
                    variants: store::from_json("product_photos.variants", &row.variants)?,
                    created_at: row.created_at,
                })
            })
            .collect()
    }

    /// A stored photo file and its content type, by key (as it appears in a photo's URL).
    pub async fn photo_file(&self, key: &str) -> Result<(Bytes, &'static str), CatalogError> {
        let content_type = souk_media::content_type_of(key)
            .filter(|_| souk_media::is_valid_key(key))
            .ok_or(CatalogError::NotFound("photo"))?;
        match self.photos().store.get(key).await {
            Ok(bytes) => Ok((bytes, content_type)),
            Err(MediaError::NotFound) => Err(CatalogError::NotFound("photo")),
            Err(e) => Err(e.into()),
        }
    }

    fn photos(&self) -> Arc<Photos> {
        self.photos_handle()
    }
}

/// A photo's variants in the store, not yet recorded.
#[derive(Clone, Debug)]
pub struct StoredPhoto {
    pub id: Uuid,
    pub variants: Vec<StoredVariant>,
}

fn room_for_one_more(count: usize) -> Result<(), CatalogError> {
    if count >= input::PHOTOS_MAX {
        Err(CatalogError::invalid(
            "photos",
            format!("a product has at most {} photos", input::PHOTOS_MAX),
        ))
    } else {
        Ok(())
    }
}
