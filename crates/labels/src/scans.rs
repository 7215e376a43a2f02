//! Scans and the clone rule. Every verification is a scan: when, a coarse place (the one the
//! scanner gave, cut to about 20 km, or the client's network), a device fingerprint, the
//! outcome. Place and device are hashed with the keyring's pepper (see [`crate::fingerprint`]):
//! no address, no install id, no location is kept.
//!
//! Only scans of a label's authentic link count toward the rule (a typed short code or a forged
//! link proves no copy of the QR code), and places are counted by the client's network, not by
//! what a client says: saying many places costs nothing.
//!
//! A scan costs the request nothing but a push onto this process's buffer. Every
//! `labels.flush_interval_ms` the buffer is flushed: the distinct devices and places of each
//! label are counted in the cache's sets (Redis, shared by every replica, or this process's),
//! the scans are written to the database in batches, and labels past the rule's thresholds are
//! marked suspect (and their cached views dropped everywhere).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use souk_auth::Principal;
use souk_db::{
    CopyRows,
    entities::{label_scans, labels},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
    },
};
use souk_kernel::LabelId;
use uuid::Uuid;

use crate::{
    Labels, LabelsError,
    fingerprint::{Device, Place},
};

/// Where a scan came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The page a QR code opens.
    Page,
    /// The JSON API (an app).
    Api,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Page => "page",
            Channel::Api => "api",
        }
    }
}

/// Who scans, as far as a scan may know.
#[derive(Clone, Debug)]
pub struct Scanner {
    /// A signed-in scanner (a buyer's app).
    pub principal: Option<Principal>,
    /// An app's install id (`X-Souk-Device`), when it sends one.
    pub device_hint: Option<String>,
    pub user_agent: String,
    /// The client's address (for the per-client limit and the coarse place).
    pub client_addr: String,
    /// A coarse place the scanner gave: a geohash, of which 4 characters (about 20 km) are kept.
    pub place_hint: Option<String>,
    pub channel: Channel,
}

/// One scan, waiting to be flushed.
#[derive(Clone, Debug)]
pub(crate) struct ScanRecord {
    pub label: Option<LabelId>,
    pub serial: String,
    pub at: DateTime<Utc>,
    pub place: Place,
    pub device: Device,
    pub outcome: &'static str,
    pub channel: Channel,
    /// The item was delivered and this scanner is not its owner.
    pub after_sale: bool,
    /// The client's network: what the places rule counts.
    pub network: Place,
    /// Counts toward the clone rule: an authentic link of a label not flagged yet.
    pub counts: bool,
    /// Flushes that failed to store it (it is dropped after a few).
    pub attempts: u8,
    /// Indexed by label (see `judge`).
    pub notable: bool,
}

/// Scans buffered before a flush; past this, the oldest are dropped (and said so in the log).
const MAX_PENDING: usize = 200_000;
/// Flushes a scan may fail in before it is dropped.
const MAX_ATTEMPTS: u8 = 3;
/// Scans per insert statement (9 columns a row).
const INSERT_CHUNK: usize = 1_000;
/// Scans per `COPY` on PostgreSQL.
const COPY_CHUNK: usize = 20_000;

/// Members this process already added to a label's sets recently: sent again, they would not
/// change a count, so they are not sent (a phone scanning its own label again costs Redis
/// nothing).
const COUNTED_MEMORY: usize = 500_000;
const COUNTED_FOR: Duration = Duration::from_secs(3600);

pub(crate) struct ScanBook {
    pending: Mutex<Vec<ScanRecord>>,
    /// When each member was counted.
    counted: quick_cache::sync::Cache<Memo, Instant>,
}

impl std::fmt::Debug for ScanBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanBook")
            .field("counted", &self.counted.len())
            .finish_non_exhaustive()
    }
}

/// Which of a label's sets a member was added to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SetKind {
    /// Devices (`lsd`).
    Devices,
    /// Networks (`lsp`).
    Places,
    /// Devices after the sale (`lsa`).
    AfterSale,
}

impl SetKind {
    const fn prefix(self) -> &'static str {
        match self {
            SetKind::Devices => "lsd",
            SetKind::Places => "lsp",
            SetKind::AfterSale => "lsa",
        }
    }
}

/// A member this process added to one of a label's sets: the label, the set, and the member's
/// first eight bytes (it is a hash already), so remembering a scan allocates nothing. Two
/// members of one label sharing those bytes would only be counted once: never, in practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Memo {
    label: Uuid,
    set: SetKind,
    member: u64,
}

impl Default for ScanBook {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            counted: quick_cache::sync::Cache::new(COUNTED_MEMORY),
        }
    }
}

impl ScanBook {
    fn counted_recently(&self, memo: &Memo) -> bool {
        self.counted
            .get(memo)
            .is_some_and(|at| at.elapsed() < COUNTED_FOR)
    }
}

impl ScanBook {
    pub(crate) fn push(&self, scan: ScanRecord) {
        if let Ok(mut pending) = self.pending.lock() {
            if pending.len() >= MAX_PENDING {
                let dropped = pending.len() / 10;
                pending.drain(..dropped);
                tracing::warn!(dropped, "scan buffer full: oldest scans dropped");
            }
            pending.push(scan);
        }
    }

    fn take(&self) -> Vec<ScanRecord> {
        self.pending
            .lock()
            .map(|mut p| {
                // The next batch is likely the size of this one: no regrowing it scan by scan.
                let capacity = p.len();
                std::mem::replace(&mut *p, Vec::with_capacity(capacity))
            })
            .unwrap_or_default()
    }

    /// Scans a flush could not store wait for the next one, a few times at most: a scan the
    /// database refuses must not hold up every later one.
    fn put_back(&self, scans: Vec<ScanRecord>) {
        let mut scans: Vec<ScanRecord> = scans
            .into_iter()
            .filter_map(|mut s| {
                s.attempts += 1;
                (s.attempts < MAX_ATTEMPTS).then_some(s)
            })
            .collect();
        if let Ok(mut pending) = self.pending.lock() {
            scans.append(&mut pending);
            scans.truncate(MAX_PENDING);
            *pending = scans;
        }
    }
}

/// What a flush did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flushed {
    pub scans: usize,
    /// Serials newly marked suspect.
    pub flagged: Vec<String>,
}

impl Labels {
    pub(crate) fn record_scan(&self, scan: ScanRecord) {
        self.inner.scans.push(scan);
    }

    /// Counts, stores and judges the scans buffered in this process. Every replica runs it on
    /// its own buffer; the counts they share are in the cache's sets.
    pub async fn flush_scans(&self) -> Result<Flushed, LabelsError> {
        let mut scans = self.inner.scans.take();
        if scans.is_empty() {
            return Ok(Flushed::default());
        }
        let flagged = self.judge(&mut scans).await;
        if let Err(e) = self.store_scans(&scans).await {
            self.inner.scans.put_back(scans);
            return Err(e);
        }
        let mut newly = Vec::new();
        for (reason, ids) in group_by_reason(&flagged) {
            let now = Utc::now();
            labels::Entity::update_many()
                .col_expr(labels::Column::Suspect, Expr::value(true))
                .col_expr(labels::Column::SuspectReason, Expr::value(reason))
                .col_expr(labels::Column::SuspectSince, Expr::value(now))
                .col_expr(labels::Column::UpdatedAt, Expr::value(now))
                .filter(labels::Column::Id.is_in(ids.iter().map(|(id, _)| *id)))
                .filter(labels::Column::Suspect.eq(false))
                .exec(self.db())
                .await?;
            for (_, serial) in ids {
                tracing::info!(serial, reason, "label marked suspect");
                self.forget_label(&serial).await;
                newly.push(serial);
            }
        }
        Ok(Flushed {
            scans: scans.len(),
            flagged: newly,
        })
    }

    /// Labels these scans push past the clone rule: `(label, serial) -> reason`. Marks the
    /// scans that are notable: those that showed this process a member (device or network) of
    /// a label it had not counted, and those of one of our labels whose link was not authentic
    /// (scans of flagged and revoked labels are marked when recorded).
    async fn judge(&self, scans: &mut [ScanRecord]) -> HashMap<(Uuid, String), &'static str> {
        let rule = &self.inner.settings.clones;
        let mut members = Vec::new();
        let mut owners: Vec<(Uuid, String, &'static str, u64)> = Vec::new();
        let book = &self.inner.scans;
        let mut memos = std::collections::HashSet::new();
        for scan in scans.iter_mut() {
            let Some(label) = scan.label else { continue };
            scan.notable |= scan.outcome == "not_authentic";
            if !scan.counts {
                continue;
            }
            let id = label.into_uuid();
            let (device, network, serial) = (scan.device, scan.network, &scan.serial);
            let mut notable = false;
            // Sets are named only for members not counted yet: a scan already counted costs
            // two lookups and nothing else.
            let mut mark = |set: SetKind, member: u64, shown: &dyn Fn() -> String, reason, max| {
                let memo = Memo {
                    label: id,
                    set,
                    member,
                };
                if book.counted_recently(&memo) || !memos.insert(memo) {
                    return;
                }
                notable = true;
                members.push((format!("{}:{id}", set.prefix()), shown()));
                owners.push((id, serial.clone(), reason, max));
            };
            let shown_device = || device.to_string();
            mark(
                SetKind::Devices,
                device.to_u64(),
                &shown_device,
                "many_devices",
                rule.max_devices,
            );
            mark(
                SetKind::Places,
                network.hash().to_u64(),
                &|| network.to_string(),
                "many_places",
                rule.max_places,
            );
            if scan.after_sale {
                mark(
                    SetKind::AfterSale,
                    device.to_u64(),
                    &shown_device,
                    "scanned_after_sale",
                    rule.max_devices_after_sale,
                );
            }
            scan.notable |= notable;
        }
        let mut flagged = HashMap::new();
        if members.is_empty() {
            return flagged;
        }
        match self.inner.cache.count_distinct(&members, rule.window).await {
            Ok(sizes) => {
                // Remembered once counted: if the counters were unreachable, the next flush
                // sends them again.
                let now = Instant::now();
                for memo in memos {
                    book.counted.insert(memo, now);
                }
                for ((id, serial, reason, max), size) in owners.into_iter().zip(sizes) {
                    if size > max {
                        flagged.entry((id, serial)).or_insert(reason);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "scan counters unavailable: clone rule skipped for this flush")
            }
        }
        flagged
    }

    /// A certifier who checked a suspect label clears the flag; its counts start again.
    pub async fn clear_suspicion(
        &self,
        principal: &souk_auth::Principal,
        serial: &str,
    ) -> Result<(), LabelsError> {
        crate::certifications::require_certifier(principal)?;
        let serial = crate::Serial::parse(serial).ok_or(LabelsError::NotFound("label"))?;
        let id: Option<Uuid> = labels::Entity::find()
            .select_only()
            .column(labels::Column::Id)
            .filter(labels::Column::Serial.eq(serial.as_str()))
            .into_tuple()
            .one(self.db())
            .await?;
        let id = id.ok_or(LabelsError::NotFound("label"))?;
        let sets = [
            format!("lsd:{id}"),
            format!("lsp:{id}"),
            format!("lsa:{id}"),
        ];
        // What this process remembers having counted goes too, or it would not count again.
        self.inner.scans.counted.retain(|memo, _| memo.label != id);
        if let Err(e) = self.inner.cache.forget_distinct(&sets).await {
            tracing::warn!(error = %e, "scan counters not reset");
        }
        labels::Entity::update_many()
            .col_expr(labels::Column::Suspect, Expr::value(false))
            .col_expr(
                labels::Column::SuspectReason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                labels::Column::SuspectSince,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(labels::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(labels::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        self.forget_label(serial.as_str()).await;
        tracing::info!(%serial, "label's suspicion cleared");
        Ok(())
    }

    async fn store_scans(&self, scans: &[ScanRecord]) -> Result<(), LabelsError> {
        if souk_db::can_copy(self.db()) {
            return self.copy_scans(scans).await;
        }
        for chunk in scans.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|s| label_scans::ActiveModel {
                id: Set(Uuid::now_v7()),
                label_id: Set(s.label.map(LabelId::into_uuid)),
                serial: Set(s.serial.clone()),
                at: Set(s.at),
                place: Set(s.place.to_string()),
                device: Set(s.device.to_string()),
                outcome: Set(s.outcome.to_owned()),
                channel: Set(s.channel.as_str().to_owned()),
                notable: Set(s.notable),
            });
            label_scans::Entity::insert_many(rows)
                .exec_without_returning(self.db())
                .await?;
        }
        Ok(())
    }

    /// On PostgreSQL, scans are written with `COPY`, in chunks: a flush under load holds tens
    /// of thousands, and a multi-row insert costs the database several times as much.
    async fn copy_scans(&self, scans: &[ScanRecord]) -> Result<(), LabelsError> {
        const COLUMNS: [&str; 9] = [
            "id", "label_id", "serial", "at", "place", "device", "outcome", "channel", "notable",
        ];
        for chunk in scans.chunks(COPY_CHUNK) {
            let mut rows = CopyRows::with_capacity(chunk.len() * 160);
            for s in chunk {
                rows.uuid(Uuid::now_v7());
                match s.label {
                    Some(label) => rows.uuid(label.into_uuid()),
                    None => rows.null(),
                };
                rows.text(&s.serial)
                    .timestamp(s.at)
                    .hex(s.place.prefix(), s.place.hash().as_bytes())
                    .hex("", s.device.as_bytes())
                    .text(s.outcome)
                    .text(s.channel.as_str())
                    .text(if s.notable { "t" } else { "f" })
                    .end_row();
            }
            souk_db::copy_in(self.db(), "label_scans", &COLUMNS, rows).await?;
        }
        Ok(())
    }
}

fn group_by_reason(
    flagged: &HashMap<(Uuid, String), &'static str>,
) -> HashMap<&'static str, Vec<(Uuid, String)>> {
    let mut groups: HashMap<&'static str, Vec<(Uuid, String)>> = HashMap::new();
    for ((id, serial), reason) in flagged {
        groups
            .entry(reason)
            .or_default()
            .push((*id, serial.clone()));
    }
    groups
}
