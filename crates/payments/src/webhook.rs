//! Stripe's webhook: the signature checked (HMAC-SHA256 over `timestamp.body` with the endpoint's
//! secret, at most 5 minutes old), each event handled once (its id is stored), and an order marked
//! paid only when a verified `payment_intent.succeeded` names an order that exists, for exactly
//! its total in its currency. Duplicates and events arriving out of order change nothing more: the
//! event store and the order's state machine both refuse to do a thing twice.

use chrono::Utc;
use souk_db::{
    entities::{card_payments, stripe_events},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::OrderId;
use souk_orders::{OrderStatus, PaymentOutcome};
use stripe_webhook::{EventObject, Webhook, WebhookError};
use uuid::Uuid;

use crate::{Payments, PaymentsError};

/// What an event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled {
    pub event: String,
    /// `paid`, `already_paid`, `duplicate`, `amount_mismatch`, `unknown_order`,
    /// `paid_after_<status>`, `payment_failed`, `refund_noted`, `ignored`.
    pub outcome: String,
}

impl Payments {
    /// Handles one delivery of Stripe's webhook: `payload` is the raw body, `signature` the
    /// `Stripe-Signature` header.
    pub async fn stripe_webhook(
        &self,
        payload: &str,
        signature: &str,
    ) -> Result<Handled, PaymentsError> {
        let stripe = self
            .stripe
            .as_ref()
            .ok_or(PaymentsError::CardPaymentsDisabled)?;
        let event =
            Webhook::construct_event(payload, signature, &stripe.webhook_secret).map_err(|e| {
                match e {
                    WebhookError::BadParse(why) => PaymentsError::UnreadableEvent(why),
                    other => PaymentsError::BadSignature(other.to_string()),
                }
            })?;
        let id = event.id.to_string();
        let kind = event.type_.to_string();
        if stripe_events::Entity::find_by_id(id.clone())
            .one(&self.db)
            .await?
            .is_some()
        {
            return Ok(Handled {
                event: id,
                outcome: "duplicate".into(),
            });
        }
        let (order, outcome) = match event.data.object {
            EventObject::PaymentIntentSucceeded(intent) => {
                let order = self.order_of(intent.id.as_ref(), &intent.metadata).await?;
                let outcome = match order {
                    None => "unknown_order".to_owned(),
                    Some(order) => {
                        self.succeeded(
                            order,
                            intent.id.as_ref(),
                            intent.amount,
                            &intent.currency.to_string(),
                        )
                        .await?
                    }
                };
                (order, outcome)
            }
            EventObject::PaymentIntentPaymentFailed(intent) => {
                let order = self.order_of(intent.id.as_ref(), &intent.metadata).await?;
                // The buyer may try again with another card; the reservation lapses otherwise.
                (order, "payment_failed".to_owned())
            }
            EventObject::ChargeRefunded(_) => (None, "refund_noted".to_owned()),
            _ => (None, "ignored".to_owned()),
        };
        if outcome != "paid" && outcome != "ignored" {
            tracing::warn!(event = %id, kind = %kind, outcome = %outcome, "stripe event not applied");
        }
        let stored = stripe_events::Entity::insert(stripe_events::ActiveModel {
            id: Set(id.clone()),
            kind: Set(kind.chars().take(80).collect()),
            order_id: Set(order.map(OrderId::into_uuid)),
            outcome: Set(outcome.clone()),
            received_at: Set(Utc::now()),
        })
        .exec_without_returning(&self.db)
        .await;
        match stored {
            Ok(_) => {}
            // The same event delivered twice at once: the other delivery recorded it.
            Err(e) if souk_db::is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Handled { event: id, outcome })
    }

    /// The order an intent is for: named in its metadata, and the intent we created for it.
    async fn order_of(
        &self,
        intent: &str,
        metadata: &std::collections::HashMap<String, String>,
    ) -> Result<Option<OrderId>, PaymentsError> {
        let Some(order) = metadata
            .get("order_id")
            .and_then(|s| s.parse::<Uuid>().ok())
        else {
            return Ok(None);
        };
        let ours = card_payments::Entity::find()
            .filter(card_payments::Column::IntentId.eq(intent))
            .filter(card_payments::Column::OrderId.eq(order))
            .one(&self.db)
            .await?;
        Ok(ours.map(|_| OrderId::from_uuid(order)))
    }

    async fn succeeded(
        &self,
        id: OrderId,
        intent: &str,
        amount: i64,
        currency: &str,
    ) -> Result<String, PaymentsError> {
        Ok(
            match self
                .orders
                .record_payment(id, intent, amount, currency)
                .await?
            {
                PaymentOutcome::Paid => "paid".into(),
                PaymentOutcome::AmountMismatch => "amount_mismatch".into(),
                PaymentOutcome::UnknownOrder => "unknown_order".into(),
                PaymentOutcome::NotWaiting(
                    OrderStatus::Paid
                    | OrderStatus::Completed
                    | OrderStatus::PartiallyRefunded
                    | OrderStatus::Refunded,
                ) => "already_paid".into(),
                // Money arrived for an order that lapsed or was cancelled: an operator refunds it.
                PaymentOutcome::NotWaiting(other) => format!("paid_after_{}", other.as_str()),
            },
        )
    }
}
