//! What orders write in the ledger: a sale when money is received (a card payment for the whole
//! order, or a parcel's cash collected at the door) and the courier's cash reaching the bank.
//! Always in the transaction of the change that moved the money.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use souk_db::{
    DatabaseTransaction,
    entities::{agents, line_shares, order_lines},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait, Set},
};
use souk_kernel::{AccountId, ArtisanId};
use souk_ledger::{Account, LineShare, SaleLine, store::PostingMeta};

use crate::OrdersError;

/// Money received for a sale.
pub(crate) struct Received<'a> {
    /// Where it is now: Stripe's balance, or the courier's pocket.
    pub into: Account,
    /// The shipping part of it, owed to the carriers.
    pub shipping_minor: i64,
    pub currency: &'a str,
    pub at: DateTime<Utc>,
}

/// Posts the sale of `lines` (and their shipping) as received.
pub(crate) async fn post_sale(
    tx: &DatabaseTransaction,
    lines: &[order_lines::Model],
    received: Received<'_>,
    meta: PostingMeta,
    platform_bps: u32,
) -> Result<(), OrdersError> {
    // Each listing agent's commission as it is now, when the money comes in.
    let listers: Vec<_> = lines.iter().filter_map(|l| l.listed_by_agent).collect();
    let rates: HashMap<_, _> = if listers.is_empty() {
        HashMap::new()
    } else {
        agents::Entity::find()
            .filter(agents::Column::AccountId.is_in(listers))
            .all(tx)
            .await?
            .into_iter()
            .map(|a| (a.account_id, u32::try_from(a.commission_bps).unwrap_or(0)))
            .collect()
    };
    let sale: Vec<SaleLine> = lines
        .iter()
        .map(|l| SaleLine {
            line: l.id,
            artisan: ArtisanId::from_uuid(l.artisan_id),
            agent: l
                .listed_by_agent
                .map(|a| (AccountId::from_uuid(a), rates.get(&a).copied().unwrap_or(0))),
            gross: l.line_total_minor,
        })
        .collect();
    let shares = souk_ledger::shares(&sale, platform_bps);
    let posting = souk_ledger::payment(received.into, &shares, received.shipping_minor)?;
    // The split as posted, for refunds to reverse exactly it: in the posting's round trip.
    let rows = shares
        .iter()
        .zip(lines)
        .map(|(s, l)| line_shares::ActiveModel {
            line_id: Set(s.line),
            order_id: Set(l.order_id),
            artisan_id: Set(s.artisan.into_uuid()),
            agent_id: Set(s.agent.map(AccountId::into_uuid)),
            gross: Set(s.gross),
            platform: Set(s.platform),
            agent_fee: Set(s.agent_fee),
            created_at: Set(received.at),
        });
    let extra = if shares.is_empty() {
        Vec::new()
    } else {
        vec![line_shares::Entity::insert_many(rows).into_query()]
    };
    souk_ledger::store::record_with(tx, &posting, &meta, received.currency, received.at, extra)
        .await?;
    Ok(())
}

/// The split posted for these lines (only lines that were paid have one).
pub(crate) async fn posted_shares(
    tx: &DatabaseTransaction,
    order: uuid::Uuid,
) -> Result<Vec<LineShare>, OrdersError> {
    Ok(line_shares::Entity::find()
        .filter(line_shares::Column::OrderId.eq(order))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| LineShare {
            line: r.line_id,
            artisan: ArtisanId::from_uuid(r.artisan_id),
            agent: r.agent_id.map(AccountId::from_uuid),
            gross: r.gross,
            platform: r.platform,
            agent_fee: r.agent_fee,
        })
        .collect())
}

/// Posts cash collected at the door reaching the bank.
pub(crate) async fn post_remittance(
    tx: &DatabaseTransaction,
    amount_minor: i64,
    meta: PostingMeta,
    currency: &str,
    at: DateTime<Utc>,
) -> Result<(), OrdersError> {
    let posting = souk_ledger::remittance(amount_minor)?;
    souk_ledger::store::record(tx, &posting, &meta, currency, at).await?;
    Ok(())
}
