//! Certification and brand labels. Certifiers certify a product (or an artisan's line in one
//! craft) against a named standard; under a passed, current certification they issue batches of
//! serialized labels, each signed with Ed25519 and printed as a QR code holding a GS1 Digital
//! Link. Anyone who scans one learns whether it is authentic, what the item is, who made it (as
//! far as the artisan agreed), under which certification, and whether it is sold, revoked or
//! looks cloned. Verification also works offline, with the published keys.

mod certifications;
mod code;
mod error;
mod fingerprint;
mod issue;
pub mod keys;
pub mod link;
mod lists;
pub mod offline;
mod print;
mod reports;
mod revoke;
mod sale;
mod scans;
mod serial;
mod verify;
mod view;

use std::{path::PathBuf, sync::Arc, time::Duration};

use souk_cache::Cache;
use souk_catalog::Catalog;
use souk_db::DatabaseConnection;

pub use certifications::{
    Certification, CertificationInput, CertificationScope, CertificationStatus, Evidence,
};
pub use error::LabelsError;
pub use issue::{Batch, BatchLabel};
pub use keys::{KeyStatus, Keyring, KeysDocument};
pub use lists::{BatchFilter, CertificationFilter};
pub use offline::{NotAuthentic, OfflineVerdict, RevocationList};
pub use print::QrFormat;
pub use reports::{Report, ReportInput};
pub use scans::{Channel, Flushed, Scanner};
pub use serial::Serial;
pub use verify::{Ownership, Target, Verdict, Verification};
pub use view::{LabelState, LabelView, Maker};

/// What the clone rule counts, and when it calls a label suspect.
#[derive(Clone, Debug)]
pub struct CloneRule {
    /// Distinct devices that scanned a label within the window.
    pub max_devices: u64,
    /// Distinct coarse places.
    pub max_places: u64,
    /// Distinct devices other than its owner's after the item was delivered to its buyer.
    pub max_devices_after_sale: u64,
    /// How long a scan counts.
    pub window: Duration,
}

#[derive(Clone, Debug)]
pub struct LabelSettings {
    /// The brand's address, which every printed link starts with (no trailing slash).
    pub base_url: String,
    /// Printed on every sticker.
    pub brand_name: String,
    /// Where the signing keys are kept.
    pub keyring: PathBuf,
    /// Make a keyring on first start when there is none (the zero-setup default).
    pub create_keyring: bool,
    pub max_batch: u32,
    /// Verifications per client address per minute (per replica).
    pub verify_per_minute: u64,
    /// Fake reports per client address per hour (per replica).
    pub reports_per_hour: u64,
    pub clones: CloneRule,
    /// The replica's heavy-work slots: issuing a batch and printing a sheet each take one.
    pub work: souk_kernel::WorkSlots,
}

/// The labels service: the one entry point the gateway calls.
#[derive(Clone, Debug)]
pub struct Labels {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    cache: Cache,
    catalog: Catalog,
    keys: Keyring,
    settings: LabelSettings,
    scans: scans::ScanBook,
    fingerprints: fingerprint::Fingerprints,
    makers: view::Makers,
}

impl Labels {
    /// Opens (or makes, if allowed) the keyring, and builds the service.
    pub fn new(
        db: DatabaseConnection,
        cache: Cache,
        catalog: Catalog,
        settings: LabelSettings,
    ) -> Result<Self, LabelsError> {
        let keys = Keyring::open(&settings.keyring, settings.create_keyring)?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                cache,
                catalog,
                keys,
                settings: LabelSettings {
                    base_url: settings.base_url.trim_end_matches('/').to_owned(),
                    ..settings
                },
                scans: scans::ScanBook::default(),
                fingerprints: fingerprint::Fingerprints::default(),
                makers: view::Makers::default(),
            }),
        })
    }

    pub fn settings(&self) -> &LabelSettings {
        &self.inner.settings
    }

    /// The public keys, as `/.well-known/souk-label-keys.json` publishes them.
    pub fn keys_document(&self) -> KeysDocument {
        self.inner.keys.document(&self.inner.settings.base_url)
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }
}

/// Cache families and scopes of this crate.
pub(crate) mod cache_keys {
    pub(crate) const FAMILY_LABEL: &str = "label";
    pub(crate) const FAMILY_REVOCATIONS: &str = "label_revocations";
    pub(crate) const REVOCATIONS: &str = "label-revocations";

    pub(crate) fn label(serial: &str) -> String {
        let mut scope = String::with_capacity(2 + serial.len());
        scope.push_str("l:");
        scope.push_str(serial);
        scope
    }
}

#[cfg(test)]
mod tests;
