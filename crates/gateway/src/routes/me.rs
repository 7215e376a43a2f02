//! The signed-in account itself: who it is, its name and language, its password, the
//! verification of its email, and a buyer's address book.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::{AccountChanges, Role};
use souk_kernel::{ArtisanId, Lang};
use souk_orders::SavedAddress;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{auth::AccountDto, orders::AddressDto};
use crate::{
    dto::{List, PageParams},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, ClientAddr, SignedIn},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub account: AccountDto,
    /// The artisan profile of an artisan's account.
    pub artisan_id: Option<ArtisanId>,
}

/// The signed-in account, whatever its role.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = MeDto))
)]
pub async fn get_me(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<MeDto>, ApiError> {
    me(&state, principal.account_id, principal.role).await
}

async fn me(
    state: &AppState,
    id: souk_kernel::AccountId,
    role: Role,
) -> Result<Json<MeDto>, ApiError> {
    let account = state
        .auth
        .account(id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let artisan_id = match role {
        Role::Artisan => state.catalog.artisan_of_account(id).await?,
        _ => None,
    };
    Ok(Json(MeDto {
        account: account.into(),
        artisan_id,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeChanges {
    pub display_name: Option<String>,
    /// The language of the messages Souk sends them.
    pub lang: Option<Lang>,
}

/// Changes the signed-in account's name or language.
#[utoipa::path(
    patch,
    path = "/v1/me",
    tag = "auth",
    request_body = MeChanges,
    security(("bearer" = [])),
    responses((status = 200, body = MeDto))
)]
pub async fn update_me(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<MeChanges>,
) -> Result<Json<MeDto>, ApiError> {
    let changes = AccountChanges {
        display_name: body.display_name,
        lang: body.lang,
    };
    state.auth.update_account(&principal, changes).await?;
    me(&state, principal.account_id, principal.role).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 10 to 256 characters.
    pub new_password: String,
}

/// Changes the password, given the current one. Every other session of the account is signed
/// out; this one stays.
#[utoipa::path(
    post,
    path = "/v1/me/password",
    tag = "auth",
    request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "changed"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "wrong_password"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited"),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    if body.current_password.len() > 1_024 {
        return Err(souk_auth::AuthError::WrongPassword.into());
    }
    state
        .auth
        .change_password(
            &signed_in.principal,
            &signed_in.token,
            body.current_password,
            body.new_password,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a new link that verifies the account's email.
#[utoipa::path(
    post,
    path = "/v1/me/verification",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "a link is on its way"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already_verified"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited"),
    )
)]
pub async fn request_verification(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ClientAddr(client): ClientAddr,
) -> Result<StatusCode, ApiError> {
    state.auth.request_verification(&principal, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAddressDto {
    pub id: Uuid,
    /// The holder's own name for it: "Home", "الدار".
    pub label: String,
    pub address: AddressDto,
    pub created_at: DateTime<Utc>,
}

impl From<SavedAddress> for SavedAddressDto {
    fn from(a: SavedAddress) -> Self {
        SavedAddressDto {
            id: a.id,
            label: a.label,
            address: (&a.address).into(),
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveAddressRequest {
    /// 1 to 60 characters.
    pub label: String,
    pub address: AddressDto,
}

/// The signed-in account's saved addresses, newest first.
#[utoipa::path(
    get,
    path = "/v1/me/addresses",
    tag = "auth",
    params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = List<SavedAddressDto>))
)]
pub async fn list_addresses(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<SavedAddressDto>>, ApiError> {
    let page = state
        .orders
        .addresses(&principal, &params.request()?)
        .await?;
    Ok(Json(List::of(page, SavedAddressDto::from)))
}

/// Saves an address in the signed-in account's book (at most 20); checkout takes its id.
#[utoipa::path(
    post,
    path = "/v1/me/addresses",
    tag = "auth",
    request_body = SaveAddressRequest,
    security(("bearer" = [])),
    responses((status = 201, body = SavedAddressDto))
)]
pub async fn add_address(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<SaveAddressRequest>,
) -> Result<(StatusCode, Json<SavedAddressDto>), ApiError> {
    let saved = state
        .orders
        .save_address(&principal, body.label, body.address.into())
        .await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// One saved address.
#[utoipa::path(
    get,
    path = "/v1/me/addresses/{id}",
    tag = "auth",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = SavedAddressDto))
)]
pub async fn get_address(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SavedAddressDto>, ApiError> {
    Ok(Json(state.orders.address(&principal, id).await?.into()))
}

/// Replaces a saved address. Orders placed with it keep the address they were placed with.
#[utoipa::path(
    put,
    path = "/v1/me/addresses/{id}",
    tag = "auth",
    params(("id" = Uuid, Path)),
    request_body = SaveAddressRequest,
    security(("bearer" = [])),
    responses((status = 200, body = SavedAddressDto))
)]
pub async fn replace_address(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SaveAddressRequest>,
) -> Result<Json<SavedAddressDto>, ApiError> {
    let saved = state
        .orders
        .update_address(&principal, id, body.label, body.address.into())
        .await?;
    Ok(Json(saved.into()))
}

/// Removes a saved address.
#[utoipa::path(
    delete,
    path = "/v1/me/addresses/{id}",
    tag = "auth",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 204, description = "removed"))
)]
pub async fn delete_address(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.orders.delete_address(&principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
