//! What a verification shows of a label, loaded once and cached under the label's scope: the
//! label as issued (and whether its signature verifies), its item and its certification. Its
//! maker is the catalog's cached profile, cut down to what the artisan agreed to show
//! ([`Maker::of`]) before anything else sees it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use souk_cache::CacheKey;
use souk_catalog::{Artisan, agency::model::LabelDisclosure};
use souk_db::{
    ConnectionTrait,
    entities::{certifications, labels, products},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};
use souk_kernel::{
    AccountId, ArtisanId, CertificationId, FulfilmentId, LabelId, Lang, LocalizedText, ProductId,
};

use crate::{
    Labels, LabelsError,
    cache_keys::{self, FAMILY_LABEL},
    issue::link_of,
    serial::Serial,
};

/// The maker, as the label's page may show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maker {
    pub disclosure: LabelDisclosure,
    /// Shown unless they chose to stay anonymous.
    pub name: Option<LocalizedText>,
    pub default_lang: Lang,
    /// Their workshop's commune and cooperative, if they chose to show their workshop.
    pub commune: Option<String>,
    pub cooperative: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: ProductId,
    pub title: LocalizedText,
    pub default_lang: Lang,
    pub craft: String,
    pub craft_name: LocalizedText,
    pub photo: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificationFacts {
    pub id: CertificationId,
    pub code: String,
    pub standard: String,
    pub standard_version: String,
    pub certifier_name: String,
    pub inspected_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Certifies the artisan's whole line in the craft, not this product alone.
    pub line: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelView {
    pub id: LabelId,
    pub serial: Serial,
    pub product_key: String,
    pub certification_code: String,
    pub issued_on: NaiveDate,
    pub key_id: String,
    pub signature: String,
    /// Whether the stored signature verified with its key when this was loaded; `None` when the
    /// process that loaded it did not know the key (the verifying process then checks itself).
    pub signature_valid: Option<bool>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub attached: bool,
    pub fulfilment: Option<FulfilmentId>,
    pub owner: Option<AccountId>,
    pub owned_since: Option<DateTime<Utc>>,
    pub owner_device: Option<String>,
    pub suspect_reason: Option<String>,
    pub suspect_since: Option<DateTime<Utc>>,
    /// The maker: their profile (and what they agreed to show) is read from the catalog at each
    /// verification, so a change of their choice shows at once.
    pub artisan: ArtisanId,
    pub item: Item,
    pub certification: CertificationFacts,
}

/// Makers as shown, one per artisan profile this process holds: [`Maker::of`] copies names, so
/// it runs once per cached profile rather than once per scan. A profile loaded anew (after an
/// edit) is a new `Arc`, so its maker is made anew.
pub(crate) struct Makers(quick_cache::sync::Cache<ArtisanId, (Arc<Artisan>, Arc<Maker>)>);

/// Artisans whose makers are remembered.
const REMEMBERED_MAKERS: usize = 10_000;

impl Default for Makers {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(REMEMBERED_MAKERS))
    }
}

impl std::fmt::Debug for Makers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Makers").field(&self.0.len()).finish()
    }
}

impl Makers {
    pub(crate) fn of(&self, artisan: &Arc<Artisan>) -> Arc<Maker> {
        if let Some((held, maker)) = self.0.get(&artisan.id)
            && Arc::ptr_eq(&held, artisan)
        {
            return maker;
        }
        let maker = Arc::new(Maker::of(artisan));
        self.0
            .insert(artisan.id, (Arc::clone(artisan), Arc::clone(&maker)));
        maker
    }
}

impl Maker {
    /// What a label's page may show of this artisan.
    pub fn of(artisan: &souk_catalog::Artisan) -> Maker {
        let disclosure = artisan.label_disclosure;
        let workshop = disclosure == LabelDisclosure::Workshop;
        Maker {
            disclosure,
            name: (disclosure != LabelDisclosure::Anonymous).then(|| artisan.name.clone()),
            default_lang: artisan.default_lang,
            commune: workshop.then(|| artisan.commune.clone()),
            cooperative: if workshop {
                artisan.cooperative.clone()
            } else {
                None
            },
        }
    }
}

fn view_key(scope: &str) -> CacheKey<'_> {
    CacheKey {
        family: FAMILY_LABEL,
        scope,
        key: "",
    }
}

/// A label's state as a scanner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LabelState {
    /// Issued and not yet sold.
    Valid,
    /// Its item was delivered to a buyer on this day.
    Sold {
        on: NaiveDate,
    },
    Revoked {
        on: NaiveDate,
    },
}

impl Labels {
    /// The cached view of a label, or `None` if no label has this serial. Not a scan (the
    /// resolver's link lists read it too).
    pub async fn label(&self, serial: &Serial) -> Result<Option<Arc<LabelView>>, LabelsError> {
        let found = self.view_along(serial, |_| std::future::ready(())).await?;
        Ok(found.map(|(view, _)| view))
    }

    /// A label's view and its maker's profile, both cached. A warm lookup waits for one check
    /// of the cache, not two in turn: the maker is asked for while the view this process holds
    /// is confirmed.
    pub(crate) async fn label_and_artisan(
        &self,
        serial: &Serial,
    ) -> Result<Option<(Arc<LabelView>, Arc<Artisan>)>, LabelsError> {
        let catalog = &self.inner.catalog;
        let found = self
            .view_along(serial, |held: Arc<LabelView>| async move {
                catalog.artisan(held.artisan).await
            })
            .await?;
        let Some((view, alongside)) = found else {
            return Ok(None);
        };
        let artisan = match alongside {
            Some(Ok(artisan)) => artisan,
            _ => catalog.artisan(view.artisan).await?,
        };
        Ok(Some((view, artisan)))
    }

    /// The cached view (see [`souk_cache::Cache::get_or_load_along`] for `along`), or `None`.
    async fn view_along<A, AFut>(
        &self,
        serial: &Serial,
        along: A,
    ) -> Result<Option<(Arc<LabelView>, Option<AFut::Output>)>, LabelsError>
    where
        A: FnOnce(Arc<LabelView>) -> AFut,
        AFut: std::future::Future,
    {
        let scope = cache_keys::label(serial.as_str());
        // Unknown serials are not cached (the loader's error passes through): a scan of a
        // fake serial costs a lookup by the unique index, and is rate limited.
        let loaded = self
            .inner
            .cache
            .get_or_load_along(
                view_key(&scope),
                || async {
                    self.load_view(self.db(), serial)
                        .await?
                        .ok_or(LabelsError::NotFound("label"))
                },
                along,
            )
            .await;
        match loaded {
            Ok(found) => Ok(Some(found)),
            Err(LabelsError::NotFound("label")) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn load_view(
        &self,
        conn: &impl ConnectionTrait,
        serial: &Serial,
    ) -> Result<Option<LabelView>, LabelsError> {
        let Some(row) = labels::Entity::find()
            .filter(labels::Column::Serial.eq(serial.as_str()))
            .one(conn)
            .await?
        else {
            return Ok(None);
        };
        // The product and the certification together: one round trip's wait, not two.
        let (product, cert) = tokio::join!(
            products::Entity::find_by_id(row.product_id).one(conn),
            certifications::Entity::find_by_id(row.certification_id).one(conn),
        );
        let product = product?
            .ok_or_else(|| LabelsError::Corrupt(format!("label {serial} has no product")))?;
        let cert = cert?
            .ok_or_else(|| LabelsError::Corrupt(format!("label {serial} has no certification")))?;
        let crafts = self.inner.catalog.crafts().await?;
        let craft = crafts
            .iter()
            .find(|c| c.id.into_uuid() == product.craft_id)
            .ok_or_else(|| LabelsError::Corrupt(format!("product {} has no craft", product.id)))?;
        let link = link_of(&row)?;
        let signature_valid = self.inner.keys.status(&row.key_id).map(|_| {
            link.claimed().is_some_and(|signed| {
                self.inner
                    .keys
                    .verifies(&row.key_id, &signed.message(), &row.signature)
            })
        });
        let corrupt =
            |what: &str, e: serde_json::Error| LabelsError::Corrupt(format!("{what}: {e}"));
        let photos: Vec<String> =
            serde_json::from_value(product.photos.clone()).map_err(|e| corrupt("photos", e))?;
        let lang = |code: &str| {
            Lang::from_tag(code).ok_or_else(|| LabelsError::Corrupt(format!("language {code}")))
        };
        Ok(Some(LabelView {
            id: LabelId::from_uuid(row.id),
            serial: serial.clone(),
            product_key: row.product_key,
            certification_code: row.certification_code,
            issued_on: row.issued_on,
            key_id: row.key_id,
            signature: row.signature,
            signature_valid,
            revoked_at: row.revoked_at,
            revoked_reason: row.revoked_reason,
            attached: row.status == "attached",
            fulfilment: row.fulfilment_id.map(FulfilmentId::from_uuid),
            owner: row.owner_id.map(AccountId::from_uuid),
            owned_since: row.owned_since,
            owner_device: row.owner_device,
            suspect_reason: row.suspect.then(|| row.suspect_reason.unwrap_or_default()),
            suspect_since: row.suspect_since,
            artisan: ArtisanId::from_uuid(product.artisan_id),
            item: Item {
                id: ProductId::from_uuid(product.id),
                title: serde_json::from_value(product.title)
                    .map_err(|e| corrupt("products.title", e))?,
                default_lang: lang(&product.default_lang)?,
                craft: craft.slug.clone(),
                craft_name: craft.name.clone(),
                photo: photos.into_iter().next(),
            },
            certification: CertificationFacts {
                id: CertificationId::from_uuid(cert.id),
                code: cert.code,
                standard: cert.standard,
                standard_version: cert.standard_version,
                certifier_name: cert.certifier_name,
                inspected_on: cert.inspected_on,
                valid_from: cert.valid_from,
                valid_until: cert.valid_until,
                line: cert.product_id.is_none(),
            },
        }))
    }

    /// Drops a label's cached view on every replica (after a committed change).
    pub(crate) async fn forget_label(&self, serial: &str) {
        let scope = cache_keys::label(serial);
        self.inner.cache.invalidate(&[&scope]).await;
    }
}
