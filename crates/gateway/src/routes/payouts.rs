//! Payments: choosing how to pay an order (a Stripe PaymentIntent, or cash on delivery), Stripe's
//! webhook, what artisans are owed and were paid (statements), and payout batches made by an
//! operator, exported as CSV, with the receipts of cash handed over by agents.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_kernel::{AccountId, ArtisanId, OrderId};
use souk_orders::PaymentMethod;
use souk_payments::{Batch, BatchSummary, PaymentChoice, Statement};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    dto::{List, PageParams},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, RawBody},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementEntryDto {
    pub at: DateTime<Utc>,
    /// `payment`, `refund` or `payout`.
    pub kind: String,
    pub order_id: Option<Uuid>,
    pub fulfilment_id: Option<Uuid>,
    /// Earned (positive), or paid out / taken back by a refund (negative).
    pub amount_minor: i64,
    pub reference: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDto {
    pub artisan_id: ArtisanId,
    /// What Souk owes the artisan now.
    pub owed_minor: i64,
    pub paid_out_minor: i64,
    /// The latest 100 movements, newest first.
    pub entries: Vec<StatementEntryDto>,
}

fn statement_dto(s: &Statement) -> StatementDto {
    StatementDto {
        artisan_id: s.artisan,
        owed_minor: s.owed_minor,
        paid_out_minor: s.paid_out_minor,
        entries: s
            .entries
            .iter()
            .map(|e| StatementEntryDto {
                at: e.at,
                kind: e.kind.clone(),
                order_id: e.order,
                fulfilment_id: e.fulfilment,
                amount_minor: e.amount_minor,
                reference: e.reference.clone(),
            })
            .collect(),
    }
}

/// What an artisan is owed and was paid: for the artisan, their agent and operators.
#[utoipa::path(
    get,
    path = "/v1/artisans/{id}/statement",
    tag = "payments",
    params(("id" = ArtisanId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = StatementDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
) -> Result<Json<StatementDto>, ApiError> {
    let s = state.payments.statement(&principal, id, 100).await?;
    Ok(Json(statement_dto(&s)))
}

/// One artisan's payment in a payout batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutItemDto {
    pub id: Uuid,
    pub artisan_id: ArtisanId,
    pub name: String,
    /// `bank_transfer`, `mobile_wallet` or `cash_via_agent`.
    pub method: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub amount_minor: i64,
    /// Cash through the agent: the receipt the artisan signed.
    pub receipt_reference: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedArtisanDto {
    pub artisan_id: ArtisanId,
    pub owed_minor: i64,
    pub reason: String,
}

/// A payout batch: what was paid to whom, by which method.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutBatchDto {
    pub id: Uuid,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    pub items: Vec<PayoutItemDto>,
    /// Artisans owed money but left out (no payout method on record): only when the batch is made.
    pub skipped: Vec<SkippedArtisanDto>,
}

fn payout_batch_dto(b: &Batch) -> PayoutBatchDto {
    PayoutBatchDto {
        id: b.id,
        created_by: b.created_by,
        created_at: b.created_at,
        total_minor: b.total_minor,
        currency: b.currency.clone(),
        items: b
            .items
            .iter()
            .map(|i| PayoutItemDto {
                id: i.id,
                artisan_id: i.artisan,
                name: i.display_name.clone(),
                method: i.method.clone(),
                details: i.details.clone(),
                amount_minor: i.amount_minor,
                receipt_reference: i.receipt_reference.clone(),
            })
            .collect(),
        skipped: b
            .skipped
            .iter()
            .map(|s| SkippedArtisanDto {
                artisan_id: s.artisan,
                owed_minor: s.owed_minor,
                reason: s.reason.clone(),
            })
            .collect(),
    }
}

/// Pays every artisan what they are owed, by the method on their record; settles it in the
/// ledger at once.
#[utoipa::path(
    post,
    path = "/v1/admin/payout-batches",
    tag = "payments",
    security(("bearer" = [])),
    responses(
        (status = 201, body = PayoutBatchDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "nothing_to_pay"),
    )
)]
pub async fn create_batch(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Response, ApiError> {
    let payments = state.payments.clone();
    let batch = state
        .lifecycle
        .detached(async move { payments.create_batch(&principal).await })
        .await?;
    Ok((StatusCode::CREATED, Json(payout_batch_dto(&batch))).into_response())
}

/// A payout batch as the list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutBatchSummaryDto {
    pub id: Uuid,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    /// How many artisans it pays.
    pub payouts: u64,
}

impl From<BatchSummary> for PayoutBatchSummaryDto {
    fn from(b: BatchSummary) -> Self {
        PayoutBatchSummaryDto {
            id: b.id,
            created_by: b.created_by,
            created_at: b.created_at,
            total_minor: b.total_minor,
            currency: b.currency,
            payouts: b.payouts,
        }
    }
}

/// The payout batches, newest first. Operators only.
#[utoipa::path(
    get,
    path = "/v1/admin/payout-batches",
    tag = "payments",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<PayoutBatchSummaryDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_batches(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<PayoutBatchSummaryDto>>, ApiError> {
    let batches = state
        .payments
        .batches(&principal, &params.request()?)
        .await?;
    Ok(Json(List::of(batches, PayoutBatchSummaryDto::from)))
}

#[utoipa::path(
    get,
    path = "/v1/admin/payout-batches/{id}",
    tag = "payments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PayoutBatchDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_batch(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PayoutBatchDto>, ApiError> {
    Ok(Json(payout_batch_dto(
        &state.payments.batch(&principal, id).await?,
    )))
}

/// The batch as CSV, for the bank, the wallet provider and the agents.
#[utoipa::path(
    get,
    path = "/v1/admin/payout-batches/{id}/csv",
    tag = "payments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn batch_csv(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let csv = state.payments.batch_csv(&principal, id).await?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"payouts-{id}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The number of the receipt the artisan signed.
    pub reference: String,
}

/// Records the receipt of cash an agent handed over to the artisan.
#[utoipa::path(
    put,
    path = "/v1/admin/payout-batches/{id}/items/{item_id}/receipt",
    tag = "payments",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path)),
    request_body = ReceiptRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PayoutBatchDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receipt(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath((id, item)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ReceiptRequest>,
) -> Result<Json<PayoutBatchDto>, ApiError> {
    let batch = state
        .payments
        .record_receipt(&principal, id, item, &body.reference)
        .await?;
    Ok(Json(payout_batch_dto(&batch)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// `card` (through Stripe) or `cash_on_delivery`.
    #[schema(value_type = String, example = "card")]
    pub method: PaymentMethod,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    pub method: String,
    /// Card: Stripe's PaymentIntent, confirmed by the buyer's browser with the client secret.
    pub intent_id: Option<String>,
    pub client_secret: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    /// The order's status after this call.
    pub order_status: Option<String>,
}

/// Starts paying an order: by card (a Stripe PaymentIntent for its total, the same one however
/// often asked; the order becomes paid on Stripe's signed event), or cash on delivery (the order
/// then waits for confirmation by phone).
#[utoipa::path(
    post,
    path = "/v1/orders/{id}/payments",
    tag = "payments",
    params(("id" = OrderId, Path)),
    request_body = PayRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PaymentDto),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "not_payable, illegal_transition"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "card_payments_disabled"),
    )
)]
pub async fn pay(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(body): ApiJson<PayRequest>,
) -> Result<Json<PaymentDto>, ApiError> {
    let payments = state.payments.clone();
    let choice = state
        .lifecycle
        .detached(async move { payments.pay(&principal, id, body.method).await })
        .await?;
    Ok(Json(match choice {
        PaymentChoice::Card(card) => PaymentDto {
            method: "card".into(),
            intent_id: Some(card.intent_id),
            client_secret: Some(card.client_secret),
            amount_minor: card.amount_minor,
            currency: card.currency,
            order_status: None,
        },
        PaymentChoice::CashOnDelivery(order) => PaymentDto {
            method: "cash_on_delivery".into(),
            intent_id: None,
            client_secret: None,
            amount_minor: order.total_minor,
            currency: order.currency.clone(),
            order_status: Some(order.status.as_str().to_owned()),
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    pub event: String,
    /// `paid`, `already_paid`, `duplicate`, `amount_mismatch`, `unknown_order`,
    /// `paid_after_<status>`, `payment_failed`, `refund_noted`, `ignored`.
    pub outcome: String,
}

/// Stripe's webhook. The `Stripe-Signature` header must verify against the raw body (5 minutes'
/// tolerance); each event is handled once.
#[utoipa::path(
    post,
    path = "/v1/webhooks/stripe",
    tag = "payments",
    request_body(content = String, content_type = "application/json"),
    responses(
        (status = 200, body = WebhookAnswer),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_signature, unreadable_event"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "card_payments_disabled"),
    )
)]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<WebhookAnswer>, ApiError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let payload = String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unreadable_event",
            "The event cannot be read",
        )
    })?;
    let payments = state.payments.clone();
    let handled = state
        .lifecycle
        .detached(async move { payments.stripe_webhook(&payload, &signature).await })
        .await?;
    Ok(Json(WebhookAnswer {
        event: handled.event,
        outcome: handled.outcome,
    }))
}
