//! Integrators' webhooks: admins register endpoints, read each one's delivery log, and replay a
//! delivery. The outbox relay (`souk_notify`) does the sending.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_kernel::Page;
use souk_notify::{DeliveryFilter, DeliveryView, Endpoint, NewEndpoint};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    dto::{List, PageParams, page_request},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    state::AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// Where deliveries are POSTed: http or https; a public address in production.
    #[schema(example = "https://accounting.example.ma/souk-events")]
    pub url: String,
    /// Topic patterns: `*`, `order.*`, `fulfilment.shipped`.
    #[schema(example = json!(["order.*", "fulfilment.*"]))]
    pub topics: Vec<String>,
    /// The signing secret (24 to 128 characters); made when left out.
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: Uuid,
    pub url: String,
    pub topics: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Only in the answer to the registration: keep it, it is not shown again. Deliveries carry
    /// `Souk-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<Endpoint> for WebhookDto {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            topics: e.topics,
            active: e.active,
            created_at: e.created_at,
            secret: e.secret,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    pub id: Uuid,
    /// The event's id, the same on every attempt and replay (`Souk-Event-Id`).
    pub event_id: Uuid,
    pub topic: String,
    /// `webhook`, `email` or `sms`.
    pub channel: String,
    /// The endpoint's id, the email address or the phone number.
    pub target: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    /// The receiver's last answer code, if it answered.
    pub last_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryView> for DeliveryDto {
    fn from(d: DeliveryView) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            topic: d.topic,
            channel: d.channel,
            target: d.target,
            status: d.status,
            attempts: d.attempts,
            last_code: d.last_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

/// Registers a webhook endpoint. Admins only. The answer carries the signing secret, once.
#[utoipa::path(
    post,
    path = "/v1/admin/webhooks",
    tag = "admin",
    request_body = NewWebhookRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WebhookDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register_webhook(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<NewWebhookRequest>,
) -> Result<(StatusCode, Json<WebhookDto>), ApiError> {
    let input = NewEndpoint {
        url: body.url,
        topics: body.topics,
        secret: body.secret,
    };
    let endpoint = state.relay.register(&principal, input).await?;
    Ok((StatusCode::CREATED, Json(endpoint.into())))
}

/// Every webhook endpoint, oldest first. Admins only.
#[utoipa::path(
    get,
    path = "/v1/admin/webhooks",
    tag = "admin",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<WebhookDto>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<WebhookDto>>, ApiError> {
    let endpoints = state.relay.endpoints(&principal).await?;
    let page = Page::slice(endpoints, &params.request()?, |e| e.id);
    Ok(Json(List::of(page, WebhookDto::from)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `pending`, `delivered` or `dead`.
    pub status: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryLogQuery {
    /// `webhook`, `email` or `sms`.
    pub channel: Option<String>,
    /// An endpoint's id, an email address or a phone number.
    pub target: Option<String>,
    /// `pending`, `delivered` or `dead`.
    pub status: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Every delivery of every channel (webhooks, emails, short messages), newest first, or those
/// the filters name. Admins only.
#[utoipa::path(
    get,
    path = "/v1/admin/deliveries",
    tag = "admin",
    params(DeliveryLogQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<DeliveryDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delivery_log(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(query): ApiQuery<DeliveryLogQuery>,
) -> Result<Json<List<DeliveryDto>>, ApiError> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let filter = DeliveryFilter {
        channel: query.channel,
        target: query.target,
        status: query.status,
    };
    let deliveries = state.relay.deliveries(&principal, &filter, &page).await?;
    Ok(Json(List::of(deliveries, DeliveryDto::from)))
}

/// An endpoint's deliveries, newest first: status, attempts, the receiver's last answer. Admins
/// only.
#[utoipa::path(
    get,
    path = "/v1/admin/webhooks/{id}/deliveries",
    tag = "admin",
    params(("id" = Uuid, Path), DeliveriesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<DeliveryDto>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Json<List<DeliveryDto>>, ApiError> {
    let page = page_request(query.cursor.as_deref(), query.limit)?;
    let filter = DeliveryFilter {
        channel: Some("webhook".to_owned()),
        target: Some(id.to_string()),
        status: query.status,
    };
    let deliveries = state.relay.deliveries(&principal, &filter, &page).await?;
    Ok(Json(List::of(deliveries, DeliveryDto::from)))
}

/// Sends a delivery again, at once, with the same event id. Admins only.
#[utoipa::path(
    post,
    path = "/v1/admin/deliveries/{id}/replay",
    tag = "admin",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = DeliveryDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replay_delivery(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DeliveryDto>, ApiError> {
    let delivery = state.relay.replay(&principal, id).await?;
    Ok(Json(delivery.into()))
}
