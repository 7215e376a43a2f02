//! Orders: a quote for a cart, placing an order under an `Idempotency-Key`, the buyer's orders,
//! and the order-level steps (confirmation of cash on delivery, cancellation).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::Principal;
use souk_kernel::{AccountId, ArtisanId, FulfilmentId, OrderId, ProductId};
use souk_orders::{
    Address, Fulfilment, HistoryEntry, Line, Order, OrderFilter, OrderItem, PaymentMethod,
    PlaceOrder, RefundMethod, RefundRequest, plan::Plan,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    dto::{List, TextMap, all_languages, page_request},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, MaybeAuthenticated},
    state::AppState,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressDto {
    pub name: String,
    /// The courier calls it; cash-on-delivery orders are confirmed on it.
    pub phone: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2: `MA`, `FR`...
    #[schema(example = "MA")]
    pub country: String,
}

impl From<AddressDto> for Address {
    fn from(a: AddressDto) -> Self {
        Address {
            name: a.name,
            phone: a.phone,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

impl From<&Address> for AddressDto {
    fn from(a: &Address) -> Self {
        AddressDto {
            name: a.name.clone(),
            phone: a.phone.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemDto {
    pub product_id: ProductId,
    #[schema(minimum = 1)]
    pub quantity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderRequest {
    /// Products and quantities; the same product twice counts once with the quantities summed.
    pub items: Vec<ItemDto>,
    /// `card` or `cash_on_delivery`.
    #[schema(value_type = String, example = "cash_on_delivery")]
    pub payment_method: PaymentMethod,
    /// Where it goes; or `address_id`, one of the buyer's saved addresses (not both).
    pub shipping_address: Option<AddressDto>,
    /// An address of the signed-in buyer's book (`/v1/me/addresses`).
    pub address_id: Option<Uuid>,
}

impl PlaceOrderRequest {
    /// The order's input, with a saved address looked up in the caller's book.
    async fn into_input(
        self,
        state: &AppState,
        caller: Option<&Principal>,
    ) -> Result<PlaceOrder, ApiError> {
        let shipping_address = match (self.shipping_address, self.address_id) {
            (Some(address), None) => address.into(),
            (None, Some(id)) => {
                let who = caller.ok_or_else(ApiError::unauthenticated)?;
                state.orders.address(who, id).await?.address
            }
            _ => {
                return Err(ApiError::validation(
                    "shipping_address",
                    "send either shipping_address or address_id",
                ));
            }
        };
        Ok(PlaceOrder {
            items: self
                .items
                .into_iter()
                .map(|i| OrderItem {
                    product: i.product_id,
                    quantity: i.quantity,
                })
                .collect(),
            payment_method: self.payment_method,
            shipping_address,
            saved_address: self.address_id,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineDto {
    /// The line's id (refunds name it).
    pub id: Uuid,
    pub product_id: ProductId,
    /// The title when the order was placed, in every language it had.
    #[schema(value_type = Object)]
    pub title: TextMap,
    pub unit_price_minor: i64,
    pub quantity: u32,
    pub line_total_minor: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<u16>,
    pub weight_g: u32,
    pub listed_through_agent: bool,
}

impl From<&Line> for LineDto {
    fn from(l: &Line) -> Self {
        LineDto {
            id: l.id,
            product_id: l.product,
            title: all_languages(&l.title),
            unit_price_minor: l.unit_price_minor,
            quantity: l.quantity,
            line_total_minor: l.line_total_minor,
            made_to_order: l.made_to_order,
            lead_time_days: l.lead_time_days,
            weight_g: l.weight_g,
            listed_through_agent: l.listed_by_agent.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FulfilmentDto {
    pub id: FulfilmentId,
    pub order_id: OrderId,
    pub artisan_id: ArtisanId,
    /// `pending`, `accepted`, `shipped`, `delivered`, `refused`, `cash_remitted`, `cancelled`.
    pub status: String,
    pub weight_g: u32,
    pub items_total_minor: i64,
    pub shipping_fee_minor: i64,
    pub lead_time_days: Option<u16>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub cash_collected_minor: Option<i64>,
    pub refusal_reason: Option<String>,
    pub remittance_reference: Option<String>,
    pub lines: Vec<LineDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn fulfilment_dto(f: &Fulfilment) -> FulfilmentDto {
    FulfilmentDto {
        id: f.id,
        order_id: f.order,
        artisan_id: f.artisan,
        status: f.status.as_str().to_owned(),
        weight_g: f.weight_g,
        items_total_minor: f.items_total_minor,
        shipping_fee_minor: f.shipping_fee_minor,
        lead_time_days: f.lead_time_days,
        carrier: f.carrier.clone(),
        tracking_number: f.tracking_number.clone(),
        cash_collected_minor: f.cash_collected_minor,
        refusal_reason: f.refusal_reason.clone(),
        remittance_reference: f.remittance_reference.clone(),
        lines: f.lines.iter().map(LineDto::from).collect(),
        version: f.version,
        created_at: f.created_at,
        updated_at: f.updated_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    /// Set when the change was to one fulfilment.
    pub fulfilment_id: Option<FulfilmentId>,
    pub from: Option<String>,
    pub to: String,
    /// None when Souk itself acted (a reservation that lapsed).
    pub actor_id: Option<AccountId>,
    pub actor_role: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl From<&HistoryEntry> for HistoryDto {
    fn from(h: &HistoryEntry) -> Self {
        HistoryDto {
            fulfilment_id: h.fulfilment,
            from: h.from.clone(),
            to: h.to.clone(),
            actor_id: h.actor,
            actor_role: h.actor_role.clone(),
            details: h.details.clone(),
            at: h.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    pub id: OrderId,
    pub buyer_id: AccountId,
    /// `pending_payment`, `pending_confirmation`, `paid`, `confirmed`, `completed`,
    /// `cancelled`, `expired`, `refused`, `partially_refunded`, `refunded`.
    pub status: String,
    pub payment_method: String,
    pub currency: String,
    pub items_total_minor: i64,
    pub shipping_total_minor: i64,
    pub total_minor: i64,
    pub refunded_minor: i64,
    pub shipping_address: AddressDto,
    /// `fes`, `morocco` or `international`.
    pub zone: String,
    /// While unpaid or unconfirmed: when the reservation of its stock lapses.
    pub expires_at: Option<DateTime<Utc>>,
    pub fulfilments: Vec<FulfilmentDto>,
    /// Every status change, oldest first (single-order answers only).
    pub history: Vec<HistoryDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn order_dto(o: &Order) -> OrderDto {
    OrderDto {
        id: o.id,
        buyer_id: o.buyer,
        status: o.status.as_str().to_owned(),
        payment_method: o.payment_method.as_str().to_owned(),
        currency: o.currency.clone(),
        items_total_minor: o.items_total_minor,
        shipping_total_minor: o.shipping_total_minor,
        total_minor: o.total_minor,
        refunded_minor: o.refunded_minor,
        shipping_address: (&o.shipping_address).into(),
        zone: o.zone.as_str().to_owned(),
        expires_at: o.expires_at,
        fulfilments: o.fulfilments.iter().map(fulfilment_dto).collect(),
        history: o.history.iter().map(HistoryDto::from).collect(),
        version: o.version,
        created_at: o.created_at,
        updated_at: o.updated_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteLineDto {
    pub product_id: ProductId,
    pub quantity: u32,
    pub unit_price_minor: i64,
    pub line_total_minor: i64,
    pub made_to_order: bool,
    pub lead_time_days: Option<u16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteFulfilmentDto {
    pub artisan_id: ArtisanId,
    pub lines: Vec<QuoteLineDto>,
    pub weight_g: u32,
    pub items_total_minor: i64,
    pub shipping_fee_minor: i64,
    pub lead_time_days: Option<u16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteDto {
    pub zone: String,
    pub currency: String,
    pub fulfilments: Vec<QuoteFulfilmentDto>,
    pub items_total_minor: i64,
    pub shipping_total_minor: i64,
    pub total_minor: i64,
}

fn quote_dto(p: &Plan) -> QuoteDto {
    QuoteDto {
        zone: p.zone.as_str().to_owned(),
        currency: p.currency.code().to_owned(),
        fulfilments: p
            .fulfilments
            .iter()
            .map(|f| QuoteFulfilmentDto {
                artisan_id: f.artisan,
                lines: f
                    .lines
                    .iter()
                    .map(|l| QuoteLineDto {
                        product_id: l.item.id,
                        quantity: l.quantity,
                        unit_price_minor: l.item.price.amount_minor,
                        line_total_minor: l.line_total_minor,
                        made_to_order: l.item.is_made_to_order(),
                        lead_time_days: l.item.lead_time_days,
                    })
                    .collect(),
                weight_g: f.weight_g,
                items_total_minor: f.items_total_minor,
                shipping_fee_minor: f.shipping_fee_minor,
                lead_time_days: f.lead_time_days,
            })
            .collect(),
        items_total_minor: p.items_total_minor,
        shipping_total_minor: p.shipping_total_minor,
        total_minor: p.total_minor,
    }
}

/// What an order would come to (a cart): split per artisan, shipping, totals. Reserves nothing.
#[utoipa::path(
    post,
    path = "/v1/orders/quote",
    tag = "orders",
    request_body = PlaceOrderRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = QuoteDto),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "address_id is not in the caller's address book"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "out_of_stock"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "validation_failed, product_unavailable, no_shipping_rate"),
    )
)]
pub async fn quote(
    State(state): State<AppState>,
    MaybeAuthenticated(caller): MaybeAuthenticated,
    ApiJson(body): ApiJson<PlaceOrderRequest>,
) -> Result<Json<QuoteDto>, ApiError> {
    let input = body.into_input(&state, caller.as_ref()).await?;
    let plan = state.orders.quote(&input).await?;
    Ok(Json(quote_dto(&plan)))
}

/// Places an order. `Idempotency-Key` is required: the same key with the same body answers the
/// same order (200, `Idempotent-Replayed: true`); with another body it is a 422. Keys are kept
/// 24 hours. Stock is reserved at once; an unpaid order's reservation lapses.
#[utoipa::path(
    post,
    path = "/v1/orders",
    tag = "orders",
    request_body = PlaceOrderRequest,
    params(("Idempotency-Key" = String, Header, description = "A unique key per checkout attempt (a UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = OrderDto, description = "placed"),
        (status = 200, body = OrderDto, description = "placed before with this key and body"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "idempotency_key_required"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "address_id is not in the caller's address book"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "out_of_stock"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "validation_failed, product_unavailable, no_shipping_rate, idempotency_key_reused"),
    )
)]
pub async fn place(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PlaceOrderRequest>,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency_key_required",
                "Send an Idempotency-Key header",
            )
            .detail("a unique key per checkout attempt (a UUID), so a retry never orders twice")
        })?
        .to_str()
        .map_err(|_| ApiError::validation("Idempotency-Key", "visible ASCII characters"))?
        .to_owned();
    let input = body.into_input(&state, Some(&principal)).await?;
    let orders = state.orders.clone();
    let placed = state
        .lifecycle
        .detached(async move { orders.place(&principal, &key, input).await })
        .await?;
    let status = if placed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (status, Json(order_dto(&placed.order))).into_response();
    let h = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/orders/{}", placed.order.id)) {
        h.insert(header::LOCATION, location);
    }
    if placed.replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this status.
    pub status: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl ListParams {
    pub(crate) fn filter(self) -> Result<OrderFilter, ApiError> {
        Ok(OrderFilter {
            page: page_request(self.cursor.as_deref(), self.limit)?,
            status: self.status,
        })
    }
}

/// The signed-in buyer's orders (every order, for an operator), newest first.
#[utoipa::path(
    get,
    path = "/v1/orders",
    tag = "orders",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<OrderDto>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<List<OrderDto>>, ApiError> {
    let orders = state.orders.orders(&principal, &params.filter()?).await?;
    Ok(Json(List::of(orders, |o| order_dto(&o))))
}

/// One order with its fulfilments and history: for its buyer and operators.
#[utoipa::path(
    get,
    path = "/v1/orders/{id}",
    tag = "orders",
    params(("id" = OrderId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<OrderDto>, ApiError> {
    let order = state.orders.order(&principal, id).await?;
    Ok(Json(order_dto(&order)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// What the buyer said on the phone, say.
    pub note: Option<String>,
}

/// Confirms a cash-on-delivery order after calling the buyer: an operator, or the agent of one
/// of the order's artisans.
#[utoipa::path(
    post,
    path = "/v1/orders/{id}/confirm",
    tag = "orders",
    params(("id" = OrderId, Path)),
    request_body = NoteRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(body): ApiJson<NoteRequest>,
) -> Result<Json<OrderDto>, ApiError> {
    let orders = state.orders.clone();
    let order = state
        .lifecycle
        .detached(async move { orders.confirm(&principal, id, body.note).await })
        .await?;
    Ok(Json(order_dto(&order)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: Option<String>,
}

/// Cancels an order that has not shipped and gives its stock back: the buyer until it is paid,
/// an operator at any time before shipping.
#[utoipa::path(
    post,
    path = "/v1/orders/{id}/cancel",
    tag = "orders",
    params(("id" = OrderId, Path)),
    request_body = CancelRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(body): ApiJson<CancelRequest>,
) -> Result<Json<OrderDto>, ApiError> {
    let orders = state.orders.clone();
    let order = state
        .lifecycle
        .detached(async move { orders.cancel(&principal, id, body.reason).await })
        .await?;
    Ok(Json(order_dto(&order)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLineDto {
    pub line_id: Uuid,
    pub amount_minor: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequestDto {
    /// Parts of paid lines to pay back.
    #[serde(default)]
    pub lines: Vec<RefundLineDto>,
    /// Shipping to pay back.
    #[serde(default)]
    pub shipping_minor: i64,
    /// `card` (card orders: back to the card, through Stripe), or for cash on delivery `cash`,
    /// `bank_transfer` or `mobile_wallet`.
    #[schema(value_type = String, example = "bank_transfer")]
    pub method: RefundMethod,
    /// Who handed the money back (the operator, the agent, the courier).
    pub paid_back_by: String,
    /// The transfer's or receipt's reference.
    pub reference: String,
}

/// Pays a buyer back (operators): parts of paid lines and shipping, never more than was paid; a
/// card order's refund goes back to the card through Stripe; the books reverse each share in
/// proportion.
#[utoipa::path(
    post,
    path = "/v1/orders/{id}/refunds",
    tag = "payments",
    params(("id" = OrderId, Path)),
    request_body = RefundRequestDto,
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "illegal_transition, card_refund_unavailable"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refund(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(body): ApiJson<RefundRequestDto>,
) -> Result<Json<OrderDto>, ApiError> {
    let request = RefundRequest {
        lines: body
            .lines
            .iter()
            .map(|l| (l.line_id, l.amount_minor))
            .collect(),
        shipping_minor: body.shipping_minor,
        method: body.method,
        paid_back_by: body.paid_back_by,
        reference: body.reference,
    };
    let payments = state.payments.clone();
    let order = state
        .lifecycle
        .detached(async move { payments.refund(&principal, id, request).await })
        .await?;
    Ok(Json(order_dto(&order)))
}
