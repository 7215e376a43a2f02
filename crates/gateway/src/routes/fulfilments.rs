//! Fulfilments: what each artisan ships. Artisans, their agents and operators list them and move
//! them along: accepted, shipped with carrier and tracking number, delivered (with the cash, for
//! cash on delivery), refused at the door, cash remitted by the courier.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use souk_kernel::FulfilmentId;
use souk_orders::{FulfilmentCommand, FulfilmentView};
use utoipa::ToSchema;

use crate::{
    dto::List,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    routes::orders::{AddressDto, FulfilmentDto, ListParams, fulfilment_dto},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct FulfilmentViewDto {
    #[serde(flatten)]
    pub fulfilment: FulfilmentDto,
    pub order_status: String,
    pub payment_method: String,
    pub shipping_address: AddressDto,
    pub zone: String,
    /// Cash on delivery: what the courier collects (items and shipping).
    pub cash_due_minor: Option<i64>,
}

fn view_dto(v: &FulfilmentView) -> FulfilmentViewDto {
    FulfilmentViewDto {
        fulfilment: fulfilment_dto(&v.fulfilment),
        order_status: v.order_status.as_str().to_owned(),
        payment_method: v.payment_method.as_str().to_owned(),
        shipping_address: (&v.shipping_address).into(),
        zone: v.zone.as_str().to_owned(),
        cash_due_minor: v.cash_due_minor,
    }
}

/// The fulfilments the signed-in account handles: an artisan's own, an agent's artisans', or
/// all of them for an operator. Newest first.
#[utoipa::path(
    get,
    path = "/v1/fulfilments",
    tag = "orders",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<FulfilmentViewDto>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<List<FulfilmentViewDto>>, ApiError> {
    let views = state
        .orders
        .fulfilments(&principal, &params.filter()?)
        .await?;
    Ok(Json(List::of(views, |v| view_dto(&v))))
}

#[utoipa::path(
    get,
    path = "/v1/fulfilments/{id}",
    tag = "orders",
    params(("id" = FulfilmentId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = FulfilmentViewDto),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    let view = state.orders.fulfilment(&principal, id).await?;
    Ok(Json(view_dto(&view)))
}

async fn step(
    state: &AppState,
    principal: &souk_auth::Principal,
    id: FulfilmentId,
    command: FulfilmentCommand,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    let (orders, principal) = (state.orders.clone(), *principal);
    let view = state
        .lifecycle
        .detached(async move { orders.fulfil(&principal, id, command).await })
        .await?;
    Ok(Json(view_dto(&view)))
}

/// The artisan (or their agent) takes the fulfilment on, once the order is paid or confirmed.
#[utoipa::path(
    post,
    path = "/v1/fulfilments/{id}/accept",
    tag = "orders",
    params(("id" = FulfilmentId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = FulfilmentViewDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
    )
)]
pub async fn accept(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    step(&state, &principal, id, FulfilmentCommand::Accept).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    #[schema(example = "Amana")]
    pub carrier: String,
    pub tracking_number: String,
}

/// Handed to the carrier, with its tracking number.
#[utoipa::path(
    post,
    path = "/v1/fulfilments/{id}/ship",
    tag = "orders",
    params(("id" = FulfilmentId, Path)),
    request_body = ShipRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = FulfilmentViewDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
    )
)]
pub async fn ship(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
    ApiJson(body): ApiJson<ShipRequest>,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    let command = FulfilmentCommand::Ship {
        carrier: body.carrier,
        tracking_number: body.tracking_number,
    };
    step(&state, &principal, id, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverRequest {
    /// Cash on delivery: the cash the courier collected, exactly what was due.
    pub cash_collected_minor: Option<i64>,
}

/// Delivered to the buyer.
#[utoipa::path(
    post,
    path = "/v1/fulfilments/{id}/deliver",
    tag = "orders",
    params(("id" = FulfilmentId, Path)),
    request_body = DeliverRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = FulfilmentViewDto),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn deliver(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
    ApiJson(body): ApiJson<DeliverRequest>,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    let command = FulfilmentCommand::Deliver {
        cash_collected_minor: body.cash_collected_minor,
    };
    step(&state, &principal, id, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    /// Why the buyer refused the parcel at the door.
    pub reason: String,
}

/// Cash on delivery refused at the door: the goods come back into stock.
#[utoipa::path(
    post,
    path = "/v1/fulfilments/{id}/refuse",
    tag = "orders",
    params(("id" = FulfilmentId, Path)),
    request_body = RefuseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = FulfilmentViewDto),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
    )
)]
pub async fn refuse(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
    ApiJson(body): ApiJson<RefuseRequest>,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    let command = FulfilmentCommand::Refuse {
        reason: body.reason,
    };
    step(&state, &principal, id, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemitRequest {
    /// The courier's remittance slip or transfer reference.
    pub reference: String,
}

/// The courier remitted the cash collected (operators only).
#[utoipa::path(
    post,
    path = "/v1/fulfilments/{id}/remit",
    tag = "orders",
    params(("id" = FulfilmentId, Path)),
    request_body = RemitRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = FulfilmentViewDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
    )
)]
pub async fn remit(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
    ApiJson(body): ApiJson<RemitRequest>,
) -> Result<Json<FulfilmentViewDto>, ApiError> {
    let command = FulfilmentCommand::RemitCash {
        reference: body.reference,
    };
    step(&state, &principal, id, command).await
}
