//! Refunds: an operator pays a buyer back (part of a line, whole lines, shipping), records who
//! paid and how, and the books reverse each share in proportion. Never more than was paid, per
//! line and for shipping. A card order's refund goes back to the card through the payment
//! provider (the caller's `pay_back`), inside the order's lock, before anything is written.

use std::collections::HashMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use souk_auth::Principal;
use souk_db::{
    entities::{fulfilments, orders, refund_lines, refunds},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::OrderId;
use souk_ledger::{Account, LineRefund, Refunded, store::PostingMeta};
use uuid::Uuid;

use crate::{
    Orders, OrdersError, books,
    machine::{FulfilmentStatus, OrderAction, OrderStatus, PaymentMethod, order_step},
    model::Order,
    store::{self, Actor, Change},
};

/// How the buyer got their money back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    /// Back to the card it was paid with (card orders only).
    Card,
    Cash,
    BankTransfer,
    MobileWallet,
}

impl RefundMethod {
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundMethod::Card => "card",
            RefundMethod::Cash => "cash",
            RefundMethod::BankTransfer => "bank_transfer",
            RefundMethod::MobileWallet => "mobile_wallet",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    /// Order line ids and the amount of each paid back.
    pub lines: Vec<(Uuid, i64)>,
    pub shipping_minor: i64,
    pub method: RefundMethod,
    /// Who handed the money back: the operator, the agent, the courier...
    pub paid_back_by: String,
    /// The transfer's or receipt's reference.
    pub reference: String,
}

fn text(field: &str, value: &str) -> Result<String, OrdersError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 120 || v.chars().any(char::is_control) {
        return Err(OrdersError::invalid(field, "1 to 120 characters"));
    }
    Ok(v.to_owned())
}

/// A refund to send back to a card, for the payment provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRefund {
    pub order: OrderId,
    pub amount_minor: i64,
    /// The same for a retry of the same refund: the provider refunds once.
    pub idempotency_key: String,
}

impl Orders {
    /// A refund of a cash-on-delivery order (card orders need [`Orders::refund_with`]).
    pub async fn refund(
        &self,
        principal: &Principal,
        id: OrderId,
        request: RefundRequest,
    ) -> Result<Order, OrdersError> {
        self.refund_with(principal, id, request, |_| async {
            Err::<String, _>(OrdersError::CardRefundUnavailable)
        })
        .await
    }

    /// A refund; for a card order `pay_back` sends the money back to the card and answers the
    /// provider's reference. It runs under the order's lock, after every check and before any
    /// write: a refused refund pays nothing back, and a failed one writes nothing.
    pub async fn refund_with<F, Fut>(
        &self,
        principal: &Principal,
        id: OrderId,
        request: RefundRequest,
        pay_back: F,
    ) -> Result<Order, OrdersError>
    where
        F: FnOnce(CardRefund) -> Fut,
        Fut: std::future::Future<Output = Result<String, OrdersError>>,
    {
        if !principal.is_admin() {
            return Err(OrdersError::Forbidden("refunds are made by operators"));
        }
        let paid_back_by = text("paid_back_by", &request.paid_back_by)?;
        let reference = text("reference", &request.reference)?;
        if request.shipping_minor < 0 || request.lines.iter().any(|(_, a)| *a <= 0) {
            return Err(OrdersError::invalid("lines", "amounts are positive"));
        }
        if request.lines.is_empty() && request.shipping_minor == 0 {
            return Err(OrdersError::invalid("lines", "nothing to refund"));
        }
        let tx = souk_db::begin_write(&self.db).await?;
        let row = store::lock_order(&tx, id).await?;
        let status = store::order_status(&row)?;
        let card = store::payment_method(&row)? == PaymentMethod::Card;
        if card != (request.method == RefundMethod::Card) {
            return Err(OrdersError::invalid(
                "method",
                if card {
                    "a card order is refunded to the card"
                } else {
                    "only card orders are refunded to a card"
                },
            ));
        }
        // Only paid (or completed, or partly refunded) orders are refunded.
        order_step(status, OrderAction::RefundPart)?;
        // What was paid: the lines that have a posted split, and the shipping (all of it for a
        // card; that of the parcels whose cash was collected for cash on delivery).
        let shares = books::posted_shares(&tx, row.id).await?;
        let shipping_paid: i64 = if card {
            // Paid with the order, if it was paid at all (a paid order has its split posted).
            if shares.is_empty() {
                0
            } else {
                row.shipping_total_minor
            }
        } else {
            fulfilments::Entity::find()
                .filter(fulfilments::Column::OrderId.eq(row.id))
                .all(&tx)
                .await?
                .iter()
                .filter(|f| {
                    matches!(
                        store::fulfilment_status(f),
                        Ok(FulfilmentStatus::Delivered | FulfilmentStatus::CashRemitted)
                    )
                })
                .map(|f| f.shipping_fee_minor)
                .sum()
        };
        let earlier = refunds::Entity::find()
            .filter(refunds::Column::OrderId.eq(row.id))
            .all(&tx)
            .await?;
        let mut before = Refunded {
            lines: HashMap::new(),
            shipping_minor: earlier.iter().map(|r| r.shipping_minor).sum(),
        };
        let earlier_ids: Vec<Uuid> = earlier.iter().map(|r| r.id).collect();
        if !earlier_ids.is_empty() {
            for l in refund_lines::Entity::find()
                .filter(refund_lines::Column::RefundId.is_in(earlier_ids))
                .all(&tx)
                .await?
            {
                *before.lines.entry(l.line_id).or_default() += l.amount_minor;
            }
        }
        let line_refunds: Vec<LineRefund> = request
            .lines
            .iter()
            .map(|(line, amount_minor)| LineRefund {
                line: *line,
                amount_minor: *amount_minor,
            })
            .collect();
        let from = if card {
            Account::StripeClearing
        } else {
            Account::Bank
        };
        let posting = souk_ledger::refund(
            from,
            &shares,
            &before,
            &line_refunds,
            shipping_paid,
            request.shipping_minor,
        )
        .map_err(|e| match e {
            souk_ledger::LedgerError::UnknownLine(line) => OrdersError::invalid(
                "lines",
                format!("line {line} is not a paid line of this order"),
            ),
            e @ (souk_ledger::LedgerError::RefundTooLarge { .. }
            | souk_ledger::LedgerError::ShippingRefundTooLarge { .. }) => {
                OrdersError::invalid("lines", format!("more than was paid: {e}"))
            }
            e => OrdersError::Ledger(e),
        })?;
        let amount = posting.amount(from).abs();
        let paid: i64 = shares.iter().map(|s| s.gross).sum::<i64>() + shipping_paid;
        let refunded = row.refunded_minor + amount;
        let action = if refunded >= paid {
            OrderAction::RefundAll
        } else {
            OrderAction::RefundPart
        };
        let to = order_step(status, action)?;
        let provider_ref = if card {
            Some(
                pay_back(CardRefund {
                    order: id,
                    amount_minor: amount,
                    idempotency_key: format!("souk-refund-{id}-{}-{amount}", earlier.len()),
                })
                .await?,
            )
        } else {
            None
        };
        let now = Utc::now();
        let posting_id = souk_ledger::store::record(
            &tx,
            &posting,
            &PostingMeta {
                order: Some(row.id),
                fulfilment: None,
                reference: Some(provider_ref.clone().unwrap_or_else(|| reference.clone())),
            },
            &row.currency,
            now,
        )
        .await?;
        let refund_id = Uuid::now_v7();
        refunds::Entity::insert(refunds::ActiveModel {
            id: Set(refund_id),
            order_id: Set(row.id),
            amount_minor: Set(amount),
            shipping_minor: Set(request.shipping_minor),
            method: Set(request.method.as_str().to_owned()),
            paid_back_by: Set(paid_back_by.clone()),
            reference: Set(reference.clone()),
            created_by: Set(principal.account_id.into_uuid()),
            posting_id: Set(posting_id),
            created_at: Set(now),
        })
        .exec_without_returning(&tx)
        .await?;
        if !request.lines.is_empty() {
            refund_lines::Entity::insert_many(request.lines.iter().map(|(line, amount)| {
                refund_lines::ActiveModel {
                    refund_id: Set(refund_id),
                    line_id: Set(*line),
                    amount_minor: Set(*amount),
                }
            }))
            .exec_without_returning(&tx)
            .await?;
        }
        orders::Entity::update(orders::ActiveModel {
            id: Set(row.id),
            status: Set(to.as_str().to_owned()),
            refunded_minor: Set(refunded),
            version: Set(row.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&tx)
        .await?;
        let details = json!({
            "amount_minor": amount,
            "shipping_minor": request.shipping_minor,
            "method": request.method.as_str(),
            "paid_back_by": paid_back_by,
            "reference": reference,
            "provider_refund": provider_ref,
        });
        let payload = json!({"buyer_id": row.buyer_id, "refunded_minor": refunded});
        store::record(
            &tx,
            &[Change {
                order: id,
                fulfilment: None,
                from: Some(status.as_str()),
                to: to.as_str(),
                actor: Actor(Some(*principal)),
                details,
                at: now,
                payload: &payload,
            }],
        )
        .await?;
        let order = self.load_in(&tx, id, true).await?;
        tx.commit().await?;
        debug_assert!(matches!(
            order.status,
            OrderStatus::PartiallyRefunded | OrderStatus::Refunded
        ));
        Ok(order)
    }
}
