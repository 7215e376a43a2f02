//! Sign-up, sign-in and sign-out, and the links sent by email: password reset and email
//! verification.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::{Account, NewAccount, Role};
use souk_catalog::ArtisanInput;
use souk_kernel::{AccountId, ArtisanId, Lang};
use utoipa::ToSchema;

use crate::{
    dto::TextMap,
    error::{ApiError, Problem},
    extract::{ApiJson, Authenticated, ClientAddr, SignedIn},
    state::AppState,
};

/// Roles one can choose at sign-up.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SignUpRole {
    Buyer,
    Artisan,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "khadija@example.ma")]
    pub email: String,
    /// 10 to 256 characters.
    pub password: String,
    pub display_name: String,
    pub role: SignUpRole,
    /// The language of the messages Souk sends them (default: an artisan's `default_lang`,
    /// otherwise French).
    pub lang: Option<Lang>,
    /// Required for artisans: their public profile.
    pub artisan: Option<ArtisanProfileRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtisanProfileRequest {
    #[schema(value_type = Object, example = json!({"ar": "خديجة الفاسي", "fr": "Khadija El Fassi"}))]
    pub name: TextMap,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub bio: TextMap,
    pub default_lang: Option<Lang>,
    #[schema(example = "Sefrou")]
    pub commune: String,
    pub cooperative: Option<String>,
    /// Craft slugs, 1 to 10.
    #[schema(example = json!(["pottery"]))]
    pub crafts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    #[schema(value_type = String, example = "artisan")]
    pub role: Role,
    /// The language of the messages Souk sends them.
    pub lang: Lang,
    /// When they proved the email theirs (the link sent at sign-up); `null` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for AccountDto {
    fn from(a: Account) -> Self {
        Self {
            id: a.id,
            email: a.email,
            display_name: a.display_name,
            role: a.role,
            lang: a.lang,
            email_verified_at: a.email_verified_at,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub account: AccountDto,
    /// The artisan profile made with the account, for artisans.
    pub artisan_id: Option<ArtisanId>,
}

/// Creates a buyer or artisan account (with the artisan's public profile).
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = RegisterResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "email_taken"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    let role = match body.role {
        SignUpRole::Buyer => Role::Buyer,
        SignUpRole::Artisan => Role::Artisan,
    };
    let artisan_lang = body.artisan.as_ref().and_then(|a| a.default_lang);
    let account = NewAccount {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
        role,
        lang: souk_auth::account_lang(body.lang, artisan_lang),
    };
    let response = match (role, body.artisan) {
        (Role::Artisan, Some(profile)) => {
            let profile = ArtisanInput {
                name: profile.name,
                bio: profile.bio,
                default_lang: profile.default_lang,
                commune: profile.commune,
                cooperative: profile.cooperative,
                crafts: profile.crafts,
            };
            let (account, artisan) = state
                .catalog
                .register_artisan(&state.auth, account, profile)
                .await?;
            RegisterResponse {
                account: account.into(),
                artisan_id: Some(artisan.id),
            }
        }
        (Role::Artisan, None) => {
            return Err(ApiError::validation(
                "artisan",
                "is required to sign up as an artisan",
            ));
        }
        (_, Some(_)) => return Err(ApiError::validation("artisan", "is only for artisans")),
        (_, None) => RegisterResponse {
            account: state.auth.register(account).await?.into(),
            artisan_id: None,
        },
    };
    Ok((StatusCode::CREATED, Json(response)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub account: AccountDto,
}

/// Signs in and returns a bearer token. Attempts are limited per account and per client address.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "invalid_credentials"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if body.email.len() > 254 || body.password.len() > 1_024 {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Email or password is wrong",
        ));
    }
    let session = state
        .auth
        .login(&body.email, body.password, &client)
        .await?;
    Ok(Json(LoginResponse {
        token: session.token,
        token_type: "Bearer",
        expires_at: session.expires_at,
        account: session.account.into(),
    }))
}

/// Signs out: this token stops working at once, on every replica.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "signed out"))
)]
pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<StatusCode, ApiError> {
    state.auth.logout(&signed_in.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs out every session of the account, this one included (a lost phone).
#[utoipa::path(
    post,
    path = "/v1/auth/logout-everywhere",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "every session signed out"))
)]
pub async fn logout_everywhere(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<StatusCode, ApiError> {
    state.auth.logout_everywhere(principal.account_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// Sends a password-reset link to the address, if an account has it. The answer is the same
/// whether or not one does. Limited per address and per client.
#[utoipa::path(
    post,
    path = "/v1/auth/password-reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "if an account has this email, a link is on its way"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited"),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    if body.email.len() <= 254 {
        state
            .auth
            .request_password_reset(&body.email, &client)
            .await?;
    }
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasswordRequest {
    /// The token of the link sent by email.
    pub token: String,
    /// 10 to 256 characters.
    pub password: String,
}

/// Sets a new password with the token of a reset link. The link works once; every session of
/// the account is signed out.
#[utoipa::path(
    post,
    path = "/v1/auth/password-reset/confirm",
    tag = "auth",
    request_body = NewPasswordRequest,
    responses(
        (status = 204, description = "the new password is set; sign in with it"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "token_invalid"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited"),
    )
)]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<NewPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .auth
        .reset_password(&body.token, body.password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token of the link sent by email.
    pub token: String,
}

/// Verifies an account's email with the token of the link sent to it.
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email",
    tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, body = AccountDto),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "token_invalid"),
    )
)]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<Json<AccountDto>, ApiError> {
    let account = state.auth.verify_email(&body.token).await?;
    Ok(Json(account.into()))
}
