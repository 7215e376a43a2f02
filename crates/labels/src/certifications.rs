//! Certifications: a product, or an artisan's product line in one craft, inspected against a
//! named standard and version by an inspector, with the result, the validity and the evidence.
//! A passed certification gives the products it covers the catalog's badge until it ends.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::{Principal, Role};
use souk_catalog::certified;
use souk_db::{
    begin_write,
    entities::{accounts, certifications, products},
    sea_orm::{ActiveValue::Set, EntityTrait},
};
use souk_kernel::{AccountId, ArtisanId, CertificationId, CraftId, ProductId};

use crate::{Labels, LabelsError, code};

/// What is certified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificationScope {
    Product(ProductId),
    /// Every product of the artisan in this craft (by slug), present and future.
    Line {
        artisan: ArtisanId,
        craft: String,
    },
}

/// A piece of evidence: a photo of the inspection, a lab report, a sample's reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// `photo`, `report`, `sample`, `document` or `other`.
    pub kind: String,
    /// Where it is: a URL or an archive reference.
    pub reference: String,
}

#[derive(Clone, Debug)]
pub struct CertificationInput {
    pub scope: CertificationScope,
    pub standard: String,
    pub standard_version: String,
    pub inspector: String,
    pub inspected_on: NaiveDate,
    pub passed: bool,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub evidence: Vec<Evidence>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    pub id: CertificationId,
    /// Short reference, printed (and signed) in its labels' links.
    pub code: String,
    /// The product certified, or `None` for a product line.
    pub product: Option<ProductId>,
    pub artisan: ArtisanId,
    /// The craft (slug) of a product line.
    pub craft: Option<String>,
    pub standard: String,
    pub standard_version: String,
    pub inspector: String,
    pub inspected_on: NaiveDate,
    pub passed: bool,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub evidence: Vec<Evidence>,
    pub notes: Option<String>,
    pub certifier: AccountId,
    /// The certifying body, as its account was named when it certified.
    pub certifier_name: String,
    pub created_at: DateTime<Utc>,
}

/// Where a certification stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificationStatus {
    /// The inspection did not pass.
    Failed,
    /// Passed, valid from a later day.
    Upcoming,
    /// Passed and within its validity.
    Current,
    /// Passed, past its validity.
    Expired,
}

impl Certification {
    /// Where it stands on `day` (lists filter by the same rule, in SQL: see `lists.rs`).
    pub fn status(&self, day: NaiveDate) -> CertificationStatus {
        if !self.passed {
            CertificationStatus::Failed
        } else if day < self.valid_from {
            CertificationStatus::Upcoming
        } else if day <= self.valid_until {
            CertificationStatus::Current
        } else {
            CertificationStatus::Expired
        }
    }

    /// Passed and within its validity on `day`: it may issue labels, and badges its products.
    pub fn is_current(&self, day: NaiveDate) -> bool {
        self.status(day) == CertificationStatus::Current
    }
}

const EVIDENCE_KINDS: [&str; 5] = ["photo", "report", "sample", "document", "other"];
const EVIDENCE_MAX: usize = 20;
const VALIDITY_MAX_DAYS: i64 = 10 * 366;

/// Only certifiers (the regional delegation) and operators certify and issue labels.
pub(crate) fn require_certifier(principal: &Principal) -> Result<(), LabelsError> {
    match principal.role {
        Role::Certifier | Role::Admin => Ok(()),
        _ => Err(LabelsError::Forbidden(
            "only certifiers and operators certify products and issue labels",
        )),
    }
}

fn line(field: &str, value: &str, max: usize) -> Result<String, LabelsError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(LabelsError::invalid(
            field,
            format!("1 to {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(LabelsError::invalid(field, "no control characters"));
    }
    Ok(value.to_owned())
}

/// Free text: at most `max` characters, line breaks allowed, no other control characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String, LabelsError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(LabelsError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(LabelsError::invalid(field, "no control characters"));
    }
    Ok(value.to_owned())
}

fn checked(input: &CertificationInput, today: NaiveDate) -> Result<(), LabelsError> {
    if input.inspected_on > today {
        return Err(LabelsError::invalid("inspected_on", "is in the future"));
    }
    if input.valid_from > today {
        // The badge is given when a certification is recorded: one starting later would need
        // something to give it on that day.
        return Err(LabelsError::invalid(
            "valid_from",
            "a certification starts today at the latest",
        ));
    }
    if input.valid_from < input.inspected_on {
        return Err(LabelsError::invalid(
            "valid_from",
            "is before the inspection",
        ));
    }
    if input.valid_until < input.valid_from {
        return Err(LabelsError::invalid("valid_until", "is before valid_from"));
    }
    if (input.valid_until - input.valid_from).num_days() > VALIDITY_MAX_DAYS {
        return Err(LabelsError::invalid("valid_until", "at most ten years"));
    }
    if input.evidence.len() > EVIDENCE_MAX {
        return Err(LabelsError::invalid(
            "evidence",
            format!("at most {EVIDENCE_MAX} items"),
        ));
    }
    for (i, e) in input.evidence.iter().enumerate() {
        if !EVIDENCE_KINDS.contains(&e.kind.as_str()) {
            return Err(LabelsError::invalid(
                format!("evidence[{i}].kind"),
                "photo, report, sample, document or other",
            ));
        }
        line(&format!("evidence[{i}].reference"), &e.reference, 500)?;
    }
    Ok(())
}

impl Labels {
    /// Records a certification, and gives the products it covers their badge (or not, if it
    /// failed) in the same transaction.
    pub async fn certify(
        &self,
        principal: &Principal,
        input: CertificationInput,
    ) -> Result<Certification, LabelsError> {
        require_certifier(principal)?;
        let today = Utc::now().date_naive();
        checked(&input, today)?;
        let standard = line("standard", &input.standard, 120)?;
        let standard_version = line("standard_version", &input.standard_version, 40)?;
        let inspector = line("inspector", &input.inspector, 120)?;
        let notes = input
            .notes
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| text("notes", n, 2000))
            .transpose()?;
        let crafts = self.inner.catalog.crafts().await?;
        let tx = begin_write(self.db()).await?;
        let (product, artisan, craft): (Option<ProductId>, ArtisanId, Option<CraftId>) =
            match &input.scope {
                CertificationScope::Product(id) => {
                    let row = products::Entity::find_by_id(id.into_uuid())
                        .one(&tx)
                        .await?
                        .ok_or_else(|| LabelsError::invalid("product_id", "no such product"))?;
                    (Some(*id), ArtisanId::from_uuid(row.artisan_id), None)
                }
                CertificationScope::Line { artisan, craft } => {
                    let craft = crafts
                        .iter()
                        .find(|c| c.slug == *craft)
                        .ok_or_else(|| LabelsError::invalid("line.craft", "unknown craft"))?;
                    souk_catalog::rights::access_of(&tx, *artisan)
                        .await
                        .map_err(|_| LabelsError::invalid("line.artisan_id", "no such artisan"))?;
                    (None, *artisan, Some(craft.id))
                }
            };
        let certifier = accounts::Entity::find_by_id(principal.account_id.into_uuid())
            .one(&tx)
            .await?
            .ok_or(LabelsError::NotFound("account"))?;
        let certification = Certification {
            id: CertificationId::new(),
            code: code::random(8),
            product,
            artisan,
            craft: craft.and_then(|id| crafts.iter().find(|c| c.id == id).map(|c| c.slug.clone())),
            standard,
            standard_version,
            inspector,
            inspected_on: input.inspected_on,
            passed: input.passed,
            valid_from: input.valid_from,
            valid_until: input.valid_until,
            evidence: input.evidence,
            notes,
            certifier: principal.account_id,
            certifier_name: certifier.display_name,
            created_at: Utc::now(),
        };
        certifications::Entity::insert(certifications::ActiveModel {
            id: Set(certification.id.into_uuid()),
            code: Set(certification.code.clone()),
            product_id: Set(product.map(ProductId::into_uuid)),
            artisan_id: Set(artisan.into_uuid()),
            craft_id: Set(craft.map(CraftId::into_uuid)),
            standard: Set(certification.standard.clone()),
            standard_version: Set(certification.standard_version.clone()),
            inspector: Set(certification.inspector.clone()),
            inspected_on: Set(certification.inspected_on),
            result: Set(if certification.passed {
                "passed"
            } else {
                "failed"
            }
            .to_owned()),
            valid_from: Set(certification.valid_from),
            valid_until: Set(certification.valid_until),
            evidence: Set(serde_json::to_value(&certification.evidence)
                .map_err(|e| LabelsError::Corrupt(e.to_string()))?),
            notes: Set(certification.notes.clone()),
            certifier_id: Set(principal.account_id.into_uuid()),
            certifier_name: Set(certification.certifier_name.clone()),
            created_at: Set(certification.created_at),
        })
        .exec_without_returning(&tx)
        .await?;
        let covered = match (product, craft) {
            (Some(id), _) => vec![id],
            (None, Some(craft)) => certified::line_products(&tx, artisan, craft).await?,
            (None, None) => Vec::new(),
        };
        let stale = certified::refresh_in(&tx, &covered).await?;
        tx.commit().await?;
        self.inner.catalog.forget(stale).await;
        Ok(certification)
    }

    /// A certification by id.
    pub async fn certification(&self, id: CertificationId) -> Result<Certification, LabelsError> {
        let row = certifications::Entity::find_by_id(id.into_uuid())
            .one(self.db())
            .await?
            .ok_or(LabelsError::NotFound("certification"))?;
        let crafts = self.inner.catalog.crafts().await?;
        from_row(row, &crafts)
    }
}

pub(crate) fn from_row(
    row: certifications::Model,
    crafts: &[souk_catalog::Craft],
) -> Result<Certification, LabelsError> {
    Ok(Certification {
        id: CertificationId::from_uuid(row.id),
        code: row.code,
        product: row.product_id.map(ProductId::from_uuid),
        artisan: ArtisanId::from_uuid(row.artisan_id),
        craft: row.craft_id.and_then(|id| {
            crafts
                .iter()
                .find(|c| c.id.into_uuid() == id)
                .map(|c| c.slug.clone())
        }),
        standard: row.standard,
        standard_version: row.standard_version,
        inspector: row.inspector,
        inspected_on: row.inspected_on,
        passed: row.result == "passed",
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        evidence: serde_json::from_value(row.evidence)
            .map_err(|e| LabelsError::Corrupt(format!("certifications.evidence: {e}")))?,
        notes: row.notes,
        certifier: AccountId::from_uuid(row.certifier_id),
        certifier_name: row.certifier_name,
        created_at: row.created_at,
    })
}
