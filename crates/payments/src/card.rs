//! Card payments through Stripe: a PaymentIntent per order, created once, whose client secret the
//! buyer's browser confirms with; the order becomes paid only on Stripe's signed event (see
//! `webhook`), never on what a client says.

use std::collections::HashMap;

use chrono::Utc;
use souk_auth::Principal;
use souk_db::{
    entities::card_payments,
    sea_orm::{EntityTrait, Set},
};
use souk_kernel::OrderId;
use souk_orders::{Order, OrderStatus, OrdersError, PaymentMethod, RefundRequest};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::{payment_intent::CreatePaymentIntent, refund::CreateRefund};

use crate::{Payments, PaymentsError};

/// Where Stripe is and the secrets to talk to it.
#[derive(Clone, Debug, Default)]
pub struct StripeSettings {
    pub secret_key: String,
    /// The signing secret of the webhook endpoint (`whsec_...`).
    pub webhook_secret: String,
    /// Stripe's API (empty: the real one); a localstripe in tests.
    pub api_base: String,
}

/// The Stripe client and the webhook secret.
#[derive(Clone)]
pub struct StripeProvider {
    pub(crate) client: Client,
    pub(crate) webhook_secret: String,
}

impl std::fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StripeProvider")
    }
}

impl StripeProvider {
    /// `None` when no secret key is configured: card payments are off.
    pub fn new(settings: &StripeSettings) -> Result<Option<Self>, PaymentsError> {
        if settings.secret_key.trim().is_empty() {
            return Ok(None);
        }
        // rustls cannot choose between the two providers compiled in; an error here only means
        // one was installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = ClientBuilder::new(settings.secret_key.trim());
        if !settings.api_base.trim().is_empty() {
            builder = builder.url(settings.api_base.trim());
        }
        let client = builder
            .build()
            .map_err(|e| PaymentsError::Provider(e.to_string()))?;
        Ok(Some(Self {
            client,
            webhook_secret: settings.webhook_secret.clone(),
        }))
    }
}

/// What the buyer's browser needs to confirm a card payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardPayment {
    pub intent_id: String,
    pub client_secret: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// The answer to choosing how to pay.
#[derive(Clone, Debug)]
pub enum PaymentChoice {
    Card(CardPayment),
    CashOnDelivery(Box<Order>),
}

impl Payments {
    /// Starts paying an order: by card (a PaymentIntent, the same one however often asked), or
    /// cash on delivery (the order then waits for confirmation by phone).
    pub async fn pay(
        &self,
        principal: &Principal,
        id: OrderId,
        method: PaymentMethod,
    ) -> Result<PaymentChoice, PaymentsError> {
        let orders = &self.orders;
        let order = orders.order(principal, id).await?;
        match method {
            PaymentMethod::CashOnDelivery => {
                let order = orders.choose_cash_on_delivery(principal, id).await?;
                Ok(PaymentChoice::CashOnDelivery(Box::new(order)))
            }
            PaymentMethod::Card => {
                let stripe = self
                    .stripe
                    .as_ref()
                    .ok_or(PaymentsError::CardPaymentsDisabled)?;
                if order.payment_method != PaymentMethod::Card {
                    return Err(PaymentsError::NotPayable("it is paid cash on delivery"));
                }
                if let Some(row) = card_payments::Entity::find_by_id(id.into_uuid())
                    .one(&self.db)
                    .await?
                {
                    return Ok(PaymentChoice::Card(card(row)));
                }
                if order.status != OrderStatus::PendingPayment {
                    return Err(PaymentsError::NotPayable("it is not waiting for a payment"));
                }
                let intent =
                    CreatePaymentIntent::new(order.total_minor, stripe_types::Currency::MAD)
                        .metadata(HashMap::from([("order_id".to_owned(), id.to_string())]))
                        .customize()
                        // Stripe answers a retry with the same intent: one intent per order.
                        .request_strategy(RequestStrategy::Idempotent(
                            IdempotencyKey::new(format!("souk-order-{id}"))
                                .map_err(|e| PaymentsError::Provider(e.to_string()))?,
                        ))
                        .send(&stripe.client)
                        .await
                        .map_err(|e| PaymentsError::Provider(e.to_string()))?;
                let row = card_payments::ActiveModel {
                    order_id: Set(id.into_uuid()),
                    intent_id: Set(intent.id.to_string()),
                    client_secret: Set(intent.client_secret.clone().unwrap_or_default()),
                    amount_minor: Set(intent.amount),
                    currency: Set(intent.currency.to_string().to_uppercase()),
                    created_at: Set(Utc::now()),
                };
                match card_payments::Entity::insert(row.clone())
                    .exec_without_returning(&self.db)
                    .await
                {
                    Ok(_) => {}
                    // Asked twice at once: the first one's intent stands.
                    Err(e) if souk_db::is_unique_violation(&e) => {
                        if let Some(row) = card_payments::Entity::find_by_id(id.into_uuid())
                            .one(&self.db)
                            .await?
                        {
                            return Ok(PaymentChoice::Card(card(row)));
                        }
                        return Err(e.into());
                    }
                    Err(e) => return Err(e.into()),
                }
                Ok(PaymentChoice::Card(CardPayment {
                    intent_id: intent.id.to_string(),
                    client_secret: intent.client_secret.unwrap_or_default(),
                    amount_minor: intent.amount,
                    currency: "MAD".into(),
                }))
            }
        }
    }
}

impl Payments {
    /// A refund (operators): a card order's goes back to the card through Stripe, with an
    /// idempotency key so a retry never refunds twice; a cash-on-delivery order's is recorded.
    pub async fn refund(
        &self,
        principal: &Principal,
        id: OrderId,
        request: RefundRequest,
    ) -> Result<Order, PaymentsError> {
        let orders = &self.orders;
        let stripe = self.stripe.clone();
        let db = self.db.clone();
        let order = orders
            .refund_with(principal, id, request, |refund| async move {
                let stripe = stripe.ok_or(OrdersError::CardRefundUnavailable)?;
                let intent = card_payments::Entity::find_by_id(refund.order.into_uuid())
                    .one(&db)
                    .await?
                    .ok_or_else(|| {
                        OrdersError::Provider("no PaymentIntent for this order".into())
                    })?;
                let key = IdempotencyKey::new(refund.idempotency_key)
                    .map_err(|e| OrdersError::Provider(e.to_string()))?;
                let done = CreateRefund::new()
                    .payment_intent(intent.intent_id)
                    .amount(refund.amount_minor)
                    .customize()
                    .request_strategy(RequestStrategy::Idempotent(key))
                    .send(&stripe.client)
                    .await
                    .map_err(|e| OrdersError::Provider(e.to_string()))?;
                Ok(done.id.to_string())
            })
            .await?;
        Ok(order)
    }
}

fn card(row: card_payments::Model) -> CardPayment {
    CardPayment {
        intent_id: row.intent_id,
        client_secret: row.client_secret,
        amount_minor: row.amount_minor,
        currency: row.currency,
    }
}
