//! An artisan's statement: what Souk owes them now, what it paid them, and the entries behind it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_auth::Principal;
use souk_catalog::rights;
use souk_db::{
    entities::{ledger_entries, ledger_postings},
    sea_orm::{
        ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
        sea_query::{Expr, ExprTrait, Query},
    },
};
use souk_kernel::ArtisanId;
use souk_ledger::Account;
use uuid::Uuid;

use crate::{Payments, PaymentsError};

/// One movement on the artisan's account, from their side: positive when earned, negative when
/// paid out or taken back by a refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementEntry {
    pub at: DateTime<Utc>,
    /// `payment`, `refund`, `payout`.
    pub kind: String,
    pub order: Option<Uuid>,
    pub fulfilment: Option<Uuid>,
    pub amount_minor: i64,
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub artisan: ArtisanId,
    /// What Souk owes them now.
    pub owed_minor: i64,
    /// What was paid out to them, in all.
    pub paid_out_minor: i64,
    /// Newest first.
    pub entries: Vec<StatementEntry>,
}

impl Payments {
    /// The statement of an artisan: for them, their agent and operators.
    pub async fn statement(
        &self,
        principal: &Principal,
        artisan: ArtisanId,
        limit: u64,
    ) -> Result<Statement, PaymentsError> {
        let access = rights::access_of(&self.db, artisan).await?;
        if !rights::may_view(principal, &access) {
            return Err(PaymentsError::Forbidden(
                "only the artisan, their agent or an operator reads a statement",
            ));
        }
        let account = Account::ArtisanPayable(artisan).code();
        let owed = -souk_ledger::store::balance(&self.db, Account::ArtisanPayable(artisan)).await?;
        let rows = ledger_entries::Entity::find()
            .filter(ledger_entries::Column::Account.eq(account.as_str()))
            .order_by_desc(ledger_entries::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let posting_ids: Vec<Uuid> = rows.iter().map(|r| r.posting_id).collect();
        let postings = ledger_postings::Entity::find()
            .filter(ledger_postings::Column::Id.is_in(posting_ids))
            .all(&self.db)
            .await?;
        let payouts = Query::select()
            .column(ledger_postings::Column::Id)
            .from(ledger_postings::Entity)
            .and_where(Expr::col(ledger_postings::Column::Kind).eq("payout"))
            .to_owned();
        let paid_out: Option<Option<i64>> = ledger_entries::Entity::find()
            .select_only()
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT)"),
                "total",
            )
            .filter(ledger_entries::Column::Account.eq(account.as_str()))
            .filter(ledger_entries::Column::PostingId.in_subquery(payouts))
            .into_tuple()
            .one(&self.db)
            .await?;
        let paid_out = paid_out.flatten().unwrap_or(0);
        let entries = rows
            .into_iter()
            .map(|e| {
                let p = postings
                    .iter()
                    .find(|p| p.id == e.posting_id)
                    .ok_or_else(|| PaymentsError::Corrupt("an entry without its posting".into()))?;
                Ok(StatementEntry {
                    at: e.created_at,
                    kind: p.kind.clone(),
                    order: p.order_id,
                    fulfilment: p.fulfilment_id,
                    amount_minor: -e.amount_minor,
                    reference: p.reference.clone(),
                })
            })
            .collect::<Result<_, PaymentsError>>()?;
        Ok(Statement {
            artisan,
            owed_minor: owed,
            paid_out_minor: paid_out,
            entries,
        })
    }
}
