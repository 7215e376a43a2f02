//! Scans and the clone rule. Every verification is a scan: when, a coarse place (the one the
//! scanner gave, cut to about 20 km, or the client's network), a device fingerprint, the
//! outcome. Place and device are hashed with the keyring's pepper: no address, no install id, no
//! location is kept.
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

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
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

use crate::{Labels, LabelsError};

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
    pub place: String,
    pub device: String,
    pub outcome: &'static str,
    pub channel: Channel,
    /// The item was delivered and this scanner is not its owner.
    pub after_sale: bool,
    /// The client's network, hashed: what the places rule counts.
    pub network: String,
    /// Counts toward the clone rule: an authentic link of a label not flagged yet.
    pub counts: bool,
    /// Flushes that failed to store it (it is dropped after a few).
    pub attempts: u8,
}

/// Scans buffered before a flush; past this, the oldest are dropped (and said so in the log).
const MAX_PENDING: usize = 200_000;
/// Flushes a scan may fail in before it is dropped.
const MAX_ATTEMPTS: u8 = 3;
/// Scans per insert statement (8 columns a row).
const INSERT_CHUNK: usize = 1_000;
/// Scans per `COPY` on PostgreSQL.
const COPY_CHUNK: usize = 20_000;

/// Members this process already added to a label's sets recently: sent again, they would not
/// change a count, so they are not sent (a phone scanning its own label again costs Redis
/// nothing).
const COUNTED_MEMORY: u64 = 500_000;
const COUNTED_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug)]
pub(crate) struct ScanBook {
    pending: Mutex<Vec<ScanRecord>>,
    counted: moka::sync::Cache<Memo, ()>,
}

/// A member this process added to one of a label's sets: the label, and a hash of the set's
/// kind and the member (already a hash itself), so remembering a scan allocates nothing. Two
/// members of one label sharing a 64-bit hash would only be counted once: never, in practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Memo {
    label: Uuid,
    member: u64,
}

impl Memo {
    fn of(label: Uuid, set: &str, member: &str) -> Memo {
        use std::hash::{Hash, Hasher};
        let mut hash = std::hash::DefaultHasher::new();
        (set, member).hash(&mut hash);
        Memo {
            label,
            member: hash.finish(),
        }
    }
}

impl Default for ScanBook {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            counted: moka::sync::Cache::builder()
                .max_capacity(COUNTED_MEMORY)
                .time_to_live(COUNTED_FOR)
                .support_invalidation_closures()
                .build(),
        }
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
    /// The hashed fingerprint of a scanner's device: the app's install id, or the browser
    /// (User-Agent) on its network (a phone's address changes within its network).
    pub(crate) fn device_of(&self, scanner: &Scanner) -> String {
        let source = match scanner.device_hint.as_deref().map(str::trim) {
            Some(hint) if !hint.is_empty() => format!("app:{}", truncate(hint, 200)),
            _ => format!(
                "web:{}|{}",
                network(&scanner.client_addr),
                truncate(&scanner.user_agent, 300)
            ),
        };
        self.peppered("device", &source, 32)
    }

    /// The coarse place the scanner gave, hashed: a geohash cut to 4 characters (about 20 km).
    /// Without one, a scan's place is its network.
    pub(crate) fn place_of(&self, scanner: &Scanner) -> Option<String> {
        const GEOHASH: &str = "0123456789bcdefghjkmnpqrstuvwxyz";
        let hint = scanner.place_hint.as_deref()?.trim().to_ascii_lowercase();
        (hint.len() >= 2 && hint.chars().all(|c| GEOHASH.contains(c)))
            .then(|| format!("g:{}", self.peppered("place", truncate(&hint, 4), 12)))
    }

    /// The client's network (/16 for IPv4, /32 for IPv6), hashed.
    pub(crate) fn network_of(&self, scanner: &Scanner) -> String {
        format!(
            "n:{}",
            self.peppered("place", &network(&scanner.client_addr), 12)
        )
    }

    fn peppered(&self, purpose: &str, value: &str, len: usize) -> String {
        let mut hash = Sha256::new();
        hash.update(self.inner.keys.pepper());
        hash.update(purpose.as_bytes());
        hash.update([0]);
        hash.update(value.as_bytes());
        let mut hex = hex::encode(hash.finalize());
        hex.truncate(len);
        hex
    }

    pub(crate) fn record_scan(&self, scan: ScanRecord) {
        self.inner.scans.push(scan);
    }

    /// Counts, stores and judges the scans buffered in this process. Every replica runs it on
    /// its own buffer; the counts they share are in the cache's sets.
    pub async fn flush_scans(&self) -> Result<Flushed, LabelsError> {
        let scans = self.inner.scans.take();
        if scans.is_empty() {
            return Ok(Flushed::default());
        }
        let flagged = self.judge(&scans).await;
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

    /// Labels these scans push past the clone rule: `(label, serial) -> reason`.
    async fn judge(&self, scans: &[ScanRecord]) -> HashMap<(Uuid, String), &'static str> {
        let rule = &self.inner.settings.clones;
        let mut members = Vec::new();
        let mut owners: Vec<(Uuid, String, &'static str, u64)> = Vec::new();
        let counted = &self.inner.scans.counted;
        let mut memos = std::collections::HashSet::new();
        for scan in scans.iter().filter(|s| s.counts) {
            let Some(label) = scan.label else { continue };
            let id = label.into_uuid();
            // Sets are named only for members not counted yet: a scan already counted costs
            // two lookups and nothing else.
            let mut mark = |set: &str, member: &str, reason: &'static str, max: u64| {
                let memo = Memo::of(id, set, member);
                if counted.contains_key(&memo) || !memos.insert(memo) {
                    return;
                }
                members.push((format!("{set}:{id}"), member.to_owned()));
                owners.push((id, scan.serial.clone(), reason, max));
            };
            mark("lsd", &scan.device, "many_devices", rule.max_devices);
            mark("lsp", &scan.network, "many_places", rule.max_places);
            if scan.after_sale {
                mark(
                    "lsa",
                    &scan.device,
                    "scanned_after_sale",
                    rule.max_devices_after_sale,
                );
            }
        }
        let mut flagged = HashMap::new();
        if members.is_empty() {
            return flagged;
        }
        match self.inner.cache.count_distinct(&members, rule.window).await {
            Ok(sizes) => {
                // Remembered once counted: if the counters were unreachable, the next flush
                // sends them again.
                for memo in memos {
                    counted.insert(memo, ());
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
        if let Err(e) = self
            .inner
            .scans
            .counted
            .invalidate_entries_if(move |memo, _| memo.label == id)
        {
            tracing::warn!(error = %e, "counted scans not forgotten");
        }
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
                place: Set(s.place.clone()),
                device: Set(s.device.clone()),
                outcome: Set(s.outcome.to_owned()),
                channel: Set(s.channel.as_str().to_owned()),
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
        const COLUMNS: [&str; 8] = [
            "id", "label_id", "serial", "at", "place", "device", "outcome", "channel",
        ];
        for chunk in scans.chunks(COPY_CHUNK) {
            let mut rows = CopyRows::with_capacity(chunk.len() * 160);
            for s in chunk {
                rows.display(Uuid::now_v7());
                match s.label {
                    Some(label) => rows.display(label.into_uuid()),
                    None => rows.null(),
                };
                rows.text(&s.serial)
                    .display(s.at.format("%Y-%m-%d %H:%M:%S%.6f+00"))
                    .text(&s.place)
                    .text(&s.device)
                    .text(s.outcome)
                    .text(s.channel.as_str())
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

/// An address's network: the first two bytes of IPv4, the first 32 bits of IPv6.
fn network(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            let [a, b, ..] = ip.octets();
            format!("{a}.{b}")
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            let s = ip.segments();
            format!("{:x}:{:x}", s[0], s[1])
        }
        Err(_) => "unknown".to_owned(),
    }
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
