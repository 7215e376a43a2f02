//! Payout batches: an operator pays every artisan what Souk owes them, each by the method on their
//! record (bank transfer, mobile wallet, or cash handed over by their agent against a receipt).
//! Making a batch settles the amounts in the ledger at once; its CSV is what the operator sends to
//! the bank and the wallet provider, and gives the agents. One batch is made at a time, so two
//! operators cannot pay the same money twice.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use souk_auth::Principal;
use souk_catalog::agency::model::Payout;
use souk_db::{
    ConnectionTrait,
    entities::{artisans, ledger_entries, outbox_events, payout_batches, payout_items},
    sea_orm::{
        ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
        sea_query::Expr,
    },
};
use souk_kernel::{AccountId, ArtisanId};
use souk_ledger::{Account, store::PostingMeta};
use uuid::Uuid;

use crate::{Payments, PaymentsError};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchItem {
    pub id: Uuid,
    pub artisan: ArtisanId,
    pub display_name: String,
    /// `bank_transfer`, `mobile_wallet` or `cash_via_agent`.
    pub method: String,
    /// The payout details as they were: holder and RIB, wallet provider and phone, or the agent.
    pub details: Value,
    pub amount_minor: i64,
    pub receipt_reference: Option<String>,
}

/// An artisan owed money but left out, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub artisan: ArtisanId,
    pub owed_minor: i64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Batch {
    pub id: Uuid,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    pub items: Vec<BatchItem>,
    /// Only in the answer that made the batch.
    pub skipped: Vec<Skipped>,
}

pub(crate) fn operators_only(principal: &Principal) -> Result<(), PaymentsError> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(PaymentsError::Forbidden("payouts are made by operators"))
    }
}

/// The name a payout file shows: French, else Arabic, else any.
fn display_name(name: &Value) -> String {
    ["fr", "ar", "en"]
        .iter()
        .find_map(|l| name.get(l).and_then(Value::as_str))
        .or_else(|| name.as_object()?.values().find_map(Value::as_str))
        .unwrap_or("")
        .to_owned()
}

fn item(row: payout_items::Model) -> BatchItem {
    BatchItem {
        id: row.id,
        artisan: ArtisanId::from_uuid(row.artisan_id),
        display_name: row.display_name,
        method: row.method,
        details: row.details,
        amount_minor: row.amount_minor,
        receipt_reference: row.receipt_reference,
    }
}

impl Payments {
    /// Pays every artisan who is owed money and has a payout method on record.
    pub async fn create_batch(&self, principal: &Principal) -> Result<Batch, PaymentsError> {
        operators_only(principal)?;
        let tx = souk_db::begin_write(&self.db).await?;
        if tx.get_database_backend() == DbBackend::Postgres {
            // One batch at a time (SQLite's write transactions already are one at a time).
            tx.execute_unprepared("SELECT pg_advisory_xact_lock(7720240001)")
                .await?;
        }
        let owed: Vec<(String, i64)> = ledger_entries::Entity::find()
            .select_only()
            .column(ledger_entries::Column::Account)
            .column_as(Expr::cust("CAST(SUM(amount_minor) AS BIGINT)"), "total")
            .filter(ledger_entries::Column::Account.like("artisan:%"))
            .group_by(ledger_entries::Column::Account)
            .order_by_asc(ledger_entries::Column::Account)
            .into_tuple()
            .all(&tx)
            .await?;
        let owed: Vec<(ArtisanId, i64)> = owed
            .into_iter()
            .filter(|(_, total)| *total < 0)
            .filter_map(|(code, total)| match Account::parse(&code) {
                Some(Account::ArtisanPayable(id)) => Some((id, -total)),
                _ => None,
            })
            .collect();
        let rows = artisans::Entity::find()
            .filter(artisans::Column::Id.is_in(owed.iter().map(|(id, _)| id.into_uuid())))
            .all(&tx)
            .await?;
        let now = Utc::now();
        let batch_id = Uuid::now_v7();
        let (mut items, mut skipped, mut total) = (Vec::new(), Vec::new(), 0_i64);
        // Each artisan paid hears of it (`payout.sent`, one event per artisan).
        let mut events = Vec::new();
        for (artisan, amount) in owed {
            let row = rows.iter().find(|r| r.id == artisan.into_uuid());
            let payout: Option<Payout> = row
                .and_then(|r| r.payout.clone())
                .and_then(|p| serde_json::from_value(p).ok());
            let (Some(row), Some(payout)) = (row, payout) else {
                skipped.push(Skipped {
                    artisan,
                    owed_minor: amount,
                    reason: "no payout method on record".into(),
                });
                continue;
            };
            let (method, details) = match &payout {
                Payout::BankTransfer { holder, rib } => {
                    ("bank_transfer", json!({"holder": holder, "rib": rib}))
                }
                Payout::MobileWallet { provider, phone } => (
                    "mobile_wallet",
                    json!({"provider": provider, "phone": phone}),
                ),
                Payout::CashViaAgent => ("cash_via_agent", json!({"agent_id": row.agent_id})),
            };
            let posting = souk_ledger::payout(Account::ArtisanPayable(artisan), amount)?;
            total += amount;
            let item_id = Uuid::now_v7();
            let posting_id = souk_ledger::store::record(
                &tx,
                &posting,
                &PostingMeta {
                    order: None,
                    fulfilment: None,
                    reference: Some(format!("payout batch {batch_id}")),
                },
                "MAD",
                now,
            )
            .await?;
            events.push(souk_db::outbox::event(
                "payout.sent",
                artisan.into_uuid(),
                json!({
                    "artisan_id": artisan,
                    "batch_id": batch_id,
                    "item_id": item_id,
                    "amount_minor": amount,
                    "currency": "MAD",
                    "method": method,
                }),
                now,
            ));
            items.push(payout_items::ActiveModel {
                id: Set(item_id),
                batch_id: Set(batch_id),
                artisan_id: Set(artisan.into_uuid()),
                display_name: Set(display_name(&row.name)),
                method: Set(method.to_owned()),
                details: Set(details),
                amount_minor: Set(amount),
                posting_id: Set(posting_id),
                receipt_reference: Set(None),
            });
        }
        if items.is_empty() {
            return Err(PaymentsError::NothingToPay);
        }
        payout_batches::Entity::insert(payout_batches::ActiveModel {
            id: Set(batch_id),
            created_by: Set(principal.account_id.into_uuid()),
            total_minor: Set(total),
            currency: Set("MAD".into()),
            created_at: Set(now),
        })
        .exec_without_returning(&tx)
        .await?;
        payout_items::Entity::insert_many(items)
            .exec_without_returning(&tx)
            .await?;
        outbox_events::Entity::insert_many(events)
            .exec_without_returning(&tx)
            .await?;
        tx.commit().await?;
        let mut batch = self.load_batch(batch_id).await?;
        batch.skipped = skipped;
        Ok(batch)
    }

    async fn load_batch(&self, id: Uuid) -> Result<Batch, PaymentsError> {
        let head = payout_batches::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(PaymentsError::NotFound("payout batch"))?;
        let items = payout_items::Entity::find()
            .filter(payout_items::Column::BatchId.eq(id))
            .order_by_asc(payout_items::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(item)
            .collect();
        Ok(Batch {
            id,
            created_by: AccountId::from_uuid(head.created_by),
            created_at: head.created_at,
            total_minor: head.total_minor,
            currency: head.currency,
            items,
            skipped: Vec::new(),
        })
    }

    pub async fn batch(&self, principal: &Principal, id: Uuid) -> Result<Batch, PaymentsError> {
        operators_only(principal)?;
        self.load_batch(id).await
    }

    /// Records the receipt an artisan signed when their agent handed over the cash.
    pub async fn record_receipt(
        &self,
        principal: &Principal,
        batch: Uuid,
        item: Uuid,
        reference: &str,
    ) -> Result<Batch, PaymentsError> {
        operators_only(principal)?;
        let reference = reference.trim();
        if reference.is_empty() || reference.chars().count() > 120 {
            return Err(PaymentsError::Invalid {
                field: "reference".into(),
                message: "1 to 120 characters".into(),
            });
        }
        let row = payout_items::Entity::find_by_id(item)
            .one(&self.db)
            .await?
            .filter(|r| r.batch_id == batch)
            .ok_or(PaymentsError::NotFound("payout item"))?;
        if row.method != "cash_via_agent" {
            return Err(PaymentsError::Invalid {
                field: "reference".into(),
                message: "receipts are for cash handed over by an agent".into(),
            });
        }
        payout_items::Entity::update(payout_items::ActiveModel {
            id: Set(item),
            receipt_reference: Set(Some(reference.to_owned())),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        self.load_batch(batch).await
    }

    /// The batch as CSV: one row per payout, amounts in centimes and in dirhams.
    pub async fn batch_csv(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<String, PaymentsError> {
        let batch = self.batch(principal, id).await?;
        let mut out = csv::Writer::from_writer(Vec::new());
        let corrupt = |e: csv::Error| PaymentsError::Corrupt(e.to_string());
        out.write_record([
            "batch_id",
            "item_id",
            "artisan_id",
            "name",
            "method",
            "holder",
            "rib",
            "wallet_provider",
            "wallet_phone",
            "agent_id",
            "amount_minor",
            "amount",
            "currency",
            "receipt_reference",
        ])
        .map_err(corrupt)?;
        for i in &batch.items {
            let field = |k: &str| {
                i.details
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            out.write_record([
                batch.id.to_string(),
                i.id.to_string(),
                i.artisan.to_string(),
                i.display_name.clone(),
                i.method.clone(),
                field("holder"),
                field("rib"),
                field("provider"),
                field("phone"),
                field("agent_id"),
                i.amount_minor.to_string(),
                format!("{}.{:02}", i.amount_minor / 100, i.amount_minor % 100),
                batch.currency.clone(),
                i.receipt_reference.clone().unwrap_or_default(),
            ])
            .map_err(corrupt)?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| PaymentsError::Corrupt(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| PaymentsError::Corrupt(e.to_string()))
    }
}
