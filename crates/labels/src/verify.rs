//! Verifying a label online: what anyone scanning its QR code (or typing its short code) learns.
//!
//! The stored label's signature was checked with its key when its view was loaded; a scanned
//! link is then authentic only if it is exactly the link that was issued (product, serial,
//! certification, date, key and signature). So the busy path does no cryptography, and a link
//! changed by one character, or signed by anyone else, is not authentic.

use chrono::{DateTime, Utc};
use souk_cache::RateDecision;
use souk_db::{
    entities::labels,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};
use std::{sync::Arc, time::Duration};

use crate::{
    KeyStatus, Labels, LabelsError,
    fingerprint::{Device, Place},
    link::LabelLink,
    offline::NotAuthentic,
    sale,
    scans::{ScanRecord, Scanner},
    serial::Serial,
    view::{LabelState, LabelView, Maker},
};

/// What is being verified.
#[derive(Clone, Debug)]
pub enum Target {
    /// A scanned link (the QR code's URL).
    Link(LabelLink),
    /// A short code typed by hand: checks the serial, not a signature.
    Code(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Authentic,
    /// Issued by us, then revoked by the certifier.
    Revoked,
    NotAuthentic(NotAuthentic),
}

impl Verdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Authentic => "authentic",
            Verdict::Revoked => "revoked",
            Verdict::NotAuthentic(_) => "not_authentic",
        }
    }
}

/// "Registered to its buyer since": never who.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ownership {
    pub since: DateTime<Utc>,
    /// The scanner is the owner.
    pub yours: bool,
    /// This very scan registered them.
    pub registered_now: bool,
}

#[derive(Clone, Debug)]
pub struct Verification {
    /// The serial as asked (canonical when it is one of ours).
    pub serial: String,
    pub verdict: Verdict,
    /// The label's view when it is ours (also when the link scanned was tampered with: the
    /// page then shows what the real label is for).
    pub view: Option<Arc<LabelView>>,
    /// Its maker, as far as they agreed to be shown.
    pub maker: Option<Arc<Maker>>,
    pub state: Option<LabelState>,
    pub ownership: Option<Ownership>,
    /// The link that was scanned (none for a typed short code).
    pub scanned: Option<LabelLink>,
    /// Why the label looks cloned, if it does.
    pub suspect: Option<String>,
    pub key_status: Option<KeyStatus>,
}

impl Labels {
    /// Verifies a label for a scanner, records the scan, and registers the owner on the first
    /// scan by the buyer after delivery.
    pub async fn verify(
        &self,
        target: Target,
        scanner: &Scanner,
    ) -> Result<Verification, LabelsError> {
        let settings = &self.inner.settings;
        let bucket = ["label-verify:", &scanner.client_addr].concat();
        if let RateDecision::Limited { retry_after } = self.inner.cache.rate_limit_here(
            &bucket,
            settings.verify_per_minute,
            Duration::from_secs(60),
        ) {
            return Err(LabelsError::RateLimited { retry_after });
        }
        let (asked, scanned) = match target {
            Target::Link(link) => (link.serial.clone(), Some(link)),
            Target::Code(code) => (code, None),
        };
        let found = match Serial::parse(&asked) {
            Some(serial) => self.label_and_artisan(&serial).await?,
            None => None,
        };
        let Some((view, artisan)) = found else {
            let verification = Verification {
                serial: asked,
                verdict: Verdict::NotAuthentic(NotAuthentic::UnknownSerial),
                view: None,
                maker: None,
                state: None,
                ownership: None,
                scanned,
                suspect: None,
                key_status: None,
            };
            self.scan(&verification, scanner, self.identify(scanner), false, false);
            return Ok(verification);
        };
        let key_status = self.inner.keys.status(&view.key_id);
        let maker = self.inner.makers.of(&artisan);
        let verdict = match &scanned {
            Some(link) => self.judge_link(link, &view),
            None => Verdict::Authentic,
        };
        let verdict = match verdict {
            Verdict::Authentic if key_status.is_none() => {
                Verdict::NotAuthentic(NotAuthentic::UnknownKey)
            }
            Verdict::Authentic if !self.stored_signature_valid(&view) => {
                Verdict::NotAuthentic(NotAuthentic::BadSignature)
            }
            Verdict::Authentic if view.revoked_at.is_some() => Verdict::Revoked,
            other => other,
        };
        let sale = match view.fulfilment {
            Some(parcel) if view.revoked_at.is_none() => sale::sold(self.db(), parcel).await?,
            _ => None,
        };
        let state = match (view.revoked_at, sale) {
            (Some(at), _) => LabelState::Revoked {
                on: at.date_naive(),
            },
            (None, Some((_, on))) => LabelState::Sold { on },
            (None, None) => LabelState::Valid,
        };
        let (device, network) = self.identify(scanner);
        let scanner_account = scanner.principal.as_ref().map(|p| p.account_id);
        let ownership = match (view.owner, view.owned_since, sale) {
            (Some(owner), Some(since), _) => Some(Ownership {
                since,
                yours: scanner_account == Some(owner),
                registered_now: false,
            }),
            (None, _, Some((buyer, _)))
                if scanner_account == Some(buyer) && verdict == Verdict::Authentic =>
            {
                // In a task of its own: the registration and the dropping of the cached view
                // finish even if the phone goes away mid-request.
                let (labels, view, device) = (self.clone(), Arc::clone(&view), device.to_string());
                tokio::spawn(async move { labels.register_owner(&view, buyer, &device).await })
                    .await
                    .map_err(|e| LabelsError::Corrupt(format!("registration task: {e}")))??
            }
            _ => None,
        };
        // After delivery, scans by anyone but the owner (their account or the device they
        // registered from) count toward the clone rule.
        let after_sale = sale.is_some()
            && !ownership.is_some_and(|o| o.yours)
            && view
                .owner_device
                .as_deref()
                .is_none_or(|owner| owner != device.to_string());
        let counts =
            scanned.is_some() && verdict == Verdict::Authentic && view.suspect_reason.is_none();
        let verification = Verification {
            serial: view.serial.as_str().to_owned(),
            verdict,
            suspect: view.suspect_reason.clone(),
            view: Some(view),
            maker: Some(maker),
            state: Some(state),
            ownership,
            scanned,
            key_status,
        };
        self.scan(
            &verification,
            scanner,
            (device, network),
            after_sale,
            counts,
        );
        Ok(verification)
    }

    fn stored_signature_valid(&self, view: &LabelView) -> bool {
        view.signature_valid.unwrap_or_else(|| {
            crate::link::ProductKey::parse(&view.product_key).is_ok_and(|product| {
                let signed = crate::link::Signed {
                    product,
                    serial: view.serial.to_string(),
                    certification: view.certification_code.clone(),
                    issued_on: view.issued_on,
                    key_id: view.key_id.clone(),
                };
                self.inner
                    .keys
                    .verifies(&view.key_id, &signed.message(), &view.signature)
            })
        })
    }

    /// Whether a scanned link is the one issued with this serial.
    fn judge_link(&self, link: &LabelLink, view: &LabelView) -> Verdict {
        let unsigned = Verdict::NotAuthentic(NotAuthentic::Unsigned);
        let Some(signed) = &link.signed else {
            return unsigned;
        };
        let same = link.serial == view.serial.as_str()
            && link.product.is_path(&view.product_key)
            && signed.certification == view.certification_code
            && signed.issued_on == view.issued_on
            && signed.key_id == view.key_id
            && signed.signature == view.signature;
        if same {
            return Verdict::Authentic;
        }
        // Not the issued link: why not (this path is rare, so it may allocate).
        let Some(claimed) = link.claimed() else {
            return unsigned;
        };
        let keys = &self.inner.keys;
        let signature = signed.signature.as_str();
        Verdict::NotAuthentic(if keys.status(&claimed.key_id).is_none() {
            NotAuthentic::UnknownKey
        } else if !keys.verifies(&claimed.key_id, &claimed.message(), signature) {
            NotAuthentic::BadSignature
        } else {
            // Signed by one of our keys, yet not what this serial was issued with.
            NotAuthentic::Mismatch
        })
    }

    async fn register_owner(
        &self,
        view: &LabelView,
        buyer: souk_kernel::AccountId,
        device: &str,
    ) -> Result<Option<Ownership>, LabelsError> {
        let now = Utc::now();
        let registered = labels::Entity::update_many()
            .col_expr(labels::Column::OwnerId, Expr::value(buyer.into_uuid()))
            .col_expr(labels::Column::OwnedSince, Expr::value(now))
            .col_expr(labels::Column::OwnerDevice, Expr::value(device))
            .col_expr(labels::Column::UpdatedAt, Expr::value(now))
            .filter(labels::Column::Id.eq(view.id.into_uuid()))
            .filter(labels::Column::OwnerId.is_null())
            .exec(self.db())
            .await?
            .rows_affected
            == 1;
        self.forget_label(view.serial.as_str()).await;
        if registered {
            tracing::info!(serial = %view.serial, "label registered to its buyer");
            return Ok(Some(Ownership {
                since: now,
                yours: true,
                registered_now: true,
            }));
        }
        // Registered by a scan a moment ago: read who.
        let row = labels::Entity::find_by_id(view.id.into_uuid())
            .one(self.db())
            .await?;
        Ok(row.and_then(|r| {
            Some(Ownership {
                since: r.owned_since?,
                yours: r.owner_id == Some(buyer.into_uuid()),
                registered_now: false,
            })
        }))
    }

    fn scan(
        &self,
        verification: &Verification,
        scanner: &Scanner,
        (device, network): (Device, Place),
        after_sale: bool,
        counts: bool,
    ) {
        let outcome = match verification.verdict {
            Verdict::NotAuthentic(NotAuthentic::UnknownSerial) => "unknown",
            v => v.as_str(),
        };
        // What was asked is stored as one of our serials, or cut to the characters a serial
        // may have: anything else a client sends stays out of the database.
        let serial = match &verification.view {
            Some(view) => view.serial.as_str().to_owned(),
            None => match Serial::parse(&verification.serial) {
                Some(serial) => serial.as_str().to_owned(),
                None => verification
                    .serial
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .take(20)
                    .collect(),
            },
        };
        self.record_scan(ScanRecord {
            label: verification.view.as_ref().map(|v| v.id),
            serial,
            at: Utc::now(),
            place: self.place_of(scanner).unwrap_or(network),
            network,
            device,
            outcome,
            channel: scanner.channel,
            after_sale,
            counts,
            attempts: 0,
            // Every scan of a label flagged or revoked is in its history: who still scans it is
            // what a certifier looks into. Others are marked when flushed (see `judge`).
            notable: verification
                .view
                .as_ref()
                .is_some_and(|v| v.suspect_reason.is_some() || v.revoked_at.is_some()),
        });
    }
}
