//! What artisans are owed and were paid (statements), and payout batches: made by an operator,
//! exported as CSV, with the receipts of cash handed over by agents.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_kernel::{AccountId, ArtisanId};
use souk_payments::{Batch, Statement};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, Authenticated},
    routes::detached,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemDto {
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
pub struct SkippedDto {
    pub artisan_id: ArtisanId,
    pub owed_minor: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDto {
    pub id: Uuid,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    pub total_minor: i64,
    pub currency: String,
    pub items: Vec<BatchItemDto>,
    /// Artisans owed money but left out (no payout method on record): only when the batch is made.
    pub skipped: Vec<SkippedDto>,
}

fn batch_dto(b: &Batch) -> BatchDto {
    BatchDto {
        id: b.id,
        created_by: b.created_by,
        created_at: b.created_at,
        total_minor: b.total_minor,
        currency: b.currency.clone(),
        items: b
            .items
            .iter()
            .map(|i| BatchItemDto {
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
            .map(|s| SkippedDto {
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
        (status = 201, body = BatchDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "nothing_to_pay"),
    )
)]
pub async fn create_batch(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Response, ApiError> {
    let payments = state.payments.clone();
    let batch = detached(async move { payments.create_batch(&principal).await }).await?;
    Ok((StatusCode::CREATED, Json(batch_dto(&batch))).into_response())
}

#[utoipa::path(
    get,
    path = "/v1/admin/payout-batches/{id}",
    tag = "payments",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BatchDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_batch(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<BatchDto>, ApiError> {
    Ok(Json(batch_dto(
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
        (status = 200, body = BatchDto),
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
) -> Result<Json<BatchDto>, ApiError> {
    let batch = state
        .payments
        .record_receipt(&principal, id, item, &body.reference)
        .await?;
    Ok(Json(batch_dto(&batch)))
}
