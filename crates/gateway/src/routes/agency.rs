//! Selling through agents: onboarding artisans with their consent, the agent's own views, claim
//! codes, the artisan's private record (grants, payout) and the audit trail.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use souk_catalog::{
    AgentGrants, ArtisanInput, AuditEntry,
    agency::model::{ArtisanRecord, Consent, ConsentInput, ConsentMethod, OnboardInput, Payout},
};
use souk_kernel::{AccountId, ArtisanId, Lang, Page, PageRequest};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    dto::{List, PageParams, TextMap},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, Language},
    routes::{auth::AccountDto, products::ProductDto},
    state::AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDto {
    /// The day the artisan gave it.
    pub given_on: NaiveDate,
    /// `signed_form`, `thumbprint` or `oral`.
    #[schema(value_type = String, example = "signed_form")]
    pub method: ConsentMethod,
    /// Who saw it given.
    pub witness: String,
    /// The signed form's number, or the URL of its photo.
    pub reference: String,
}

/// An artisan onboarded in the field by their agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardRequest {
    #[schema(value_type = Object, example = json!({"ar": "فاطمة الزهراء", "fr": "Fatima Zahra"}))]
    pub name: TextMap,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub bio: TextMap,
    pub default_lang: Option<Lang>,
    pub commune: String,
    pub cooperative: Option<String>,
    /// Craft slugs.
    pub crafts: Vec<String>,
    /// `+212 6…` or `06…`.
    pub phone: String,
    /// `{"method": "bank_transfer", "holder", "rib"}`, `{"method": "mobile_wallet", "provider",
    /// "phone"}` or `{"method": "cash_via_agent"}`.
    #[schema(value_type = Option<Object>)]
    pub payout: Option<Payout>,
    /// Required: no consent on record, no listing.
    pub consent: Option<ConsentDto>,
    /// For admins: the agent who will represent them.
    pub agent_id: Option<AccountId>,
}

impl OnboardRequest {
    pub fn into_input(self) -> OnboardInput {
        OnboardInput {
            profile: ArtisanInput {
                name: self.name,
                bio: self.bio,
                default_lang: self.default_lang,
                commune: self.commune,
                cooperative: self.cooperative,
                crafts: self.crafts,
            },
            phone: self.phone,
            payout: self.payout,
            consent: self.consent.map(|c| ConsentInput {
                given_on: c.given_on,
                method: c.method,
                witness: c.witness,
                reference: c.reference,
            }),
            agent: self.agent_id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantsDto {
    /// List, edit and photograph products.
    pub products: bool,
    /// Change how the artisan is paid.
    pub payout: bool,
}

impl From<AgentGrants> for GrantsDto {
    fn from(g: AgentGrants) -> Self {
        Self {
            products: g.products,
            payout: g.payout,
        }
    }
}

impl From<GrantsDto> for AgentGrants {
    fn from(g: GrantsDto) -> Self {
        Self {
            products: g.products,
            payout: g.payout,
        }
    }
}

/// An artisan's whole record: for the artisan, their agent and admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArtisanRecordDto {
    pub id: ArtisanId,
    #[schema(value_type = Object)]
    pub name: TextMap,
    pub commune: String,
    pub cooperative: Option<String>,
    pub crafts: Vec<String>,
    pub phone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub payout: Option<Payout>,
    #[schema(value_type = Option<Object>)]
    pub consent: Option<Consent>,
    pub agent_id: Option<AccountId>,
    /// The artisan has taken over their own account.
    pub has_account: bool,
    /// What the agent may do, once the artisan has their account.
    pub agent_grants: Option<GrantsDto>,
    pub onboarded_by: Option<AccountId>,
    pub claim_pending: bool,
    pub claim_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn record_dto(r: &ArtisanRecord) -> ArtisanRecordDto {
    ArtisanRecordDto {
        id: r.artisan.id,
        name: crate::dto::all_languages(&r.artisan.name),
        commune: r.artisan.commune.clone(),
        cooperative: r.artisan.cooperative.clone(),
        crafts: r.artisan.crafts.clone(),
        phone: r.phone.clone(),
        payout: r.payout.clone(),
        consent: r.consent.clone(),
        agent_id: r.access.agent,
        has_account: r.access.account.is_some(),
        agent_grants: r.access.account.map(|_| r.access.grants.into()),
        onboarded_by: r.onboarded_by,
        claim_pending: r.claim_pending,
        claim_expires_at: r.claim_expires_at,
        created_at: r.artisan.created_at,
    }
}

/// An agent onboards an artisan who has no account, with their consent on record.
#[utoipa::path(
    post,
    path = "/v1/agent/artisans",
    tag = "agents",
    request_body = OnboardRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ArtisanRecordDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "validation_failed or consent_required"),
    )
)]
pub async fn onboard_artisan(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<OnboardRequest>,
) -> Result<Response, ApiError> {
    let record = state
        .catalog
        .onboard_artisan(&principal, body.into_input())
        .await?;
    Ok((StatusCode::CREATED, Json(record_dto(&record))).into_response())
}

/// The artisans the signed-in agent represents.
#[utoipa::path(
    get,
    path = "/v1/agent/artisans",
    tag = "agents",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<ArtisanRecordDto>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_artisans(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<ArtisanRecordDto>>, ApiError> {
    let records = state
        .catalog
        .agent_artisans(&principal, principal.account_id, &params.request()?)
        .await?;
    Ok(Json(List::of(records, |r| record_dto(&r))))
}

/// The products of the signed-in agent's artisans, drafts included, newest first.
#[utoipa::path(
    get,
    path = "/v1/agent/products",
    tag = "agents",
    params(PageParams, ("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<ProductDto>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_products(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<ProductDto>>, ApiError> {
    let products = state
        .catalog
        .agent_products(&principal, principal.account_id, &params.request()?)
        .await?;
    let now = Utc::now();
    Ok(Json(List::of(products, |p| {
        crate::routes::products::product_dto(&p, lang, now, true)
    })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDto {
    pub id: AccountId,
    pub display_name: String,
    pub email: String,
    /// Where short messages reach them, in international form.
    #[schema(example = "+212612345678")]
    pub phone: Option<String>,
    /// Basis points of their artisans' sales (100 = 1%).
    pub commission_bps: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn agent_dto(a: souk_agents::Agent) -> AgentDto {
    AgentDto {
        id: a.id,
        display_name: a.display_name,
        email: a.email,
        phone: a.phone,
        commission_bps: a.commission_bps,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

/// The signed-in agent's own record, with their commission rate.
#[utoipa::path(
    get,
    path = "/v1/agent/me",
    tag = "agents",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AgentDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<AgentDto>, ApiError> {
    let agent = state.agents.agent(&principal, principal.account_id).await?;
    Ok(Json(agent_dto(agent)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimCodeDto {
    /// Hand it to the artisan; it is shown only once and works only once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// A one-time code for the artisan to take over their own account. Asking again replaces it.
#[utoipa::path(
    post,
    path = "/v1/agent/artisans/{id}/claim-code",
    tag = "agents",
    params(("id" = ArtisanId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 201, body = ClaimCodeDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already_claimed"),
    )
)]
pub async fn claim_code(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
) -> Result<Response, ApiError> {
    let code = state.catalog.issue_claim_code(&principal, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ClaimCodeDto {
            code: code.code,
            expires_at: code.expires_at,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// The code the agent handed over (case, spaces and dashes do not matter).
    pub code: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    /// What the agent may keep doing; default: products yes, payout no.
    pub agent_grants: Option<GrantsDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimedDto {
    pub account: AccountDto,
    pub artisan: ArtisanRecordDto,
}

/// An artisan takes over their record with the code their agent gave them. The code works once.
#[utoipa::path(
    post,
    path = "/v1/artisans/claim",
    tag = "agents",
    request_body = ClaimRequest,
    responses(
        (status = 201, body = ClaimedDto),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "email_taken"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid_claim_code or validation_failed"),
    )
)]
pub async fn claim(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ClaimRequest>,
) -> Result<Response, ApiError> {
    let account = souk_auth::NewAccount {
        display_name: body.display_name.unwrap_or_default(),
        email: body.email,
        password: body.password,
        role: souk_auth::Role::Artisan,
        lang: souk_kernel::Lang::Fr,
    };
    let (account, record) = state
        .catalog
        .claim_artisan(
            &state.auth,
            &body.code,
            account,
            body.agent_grants.map(Into::into),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ClaimedDto {
            account: account.into(),
            artisan: record_dto(&record),
        }),
    )
        .into_response())
}

/// An artisan's private record: for the artisan, their agent and admins.
#[utoipa::path(
    get,
    path = "/v1/artisans/{id}/record",
    tag = "agents",
    params(("id" = ArtisanId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ArtisanRecordDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
) -> Result<Json<ArtisanRecordDto>, ApiError> {
    let record = state.catalog.artisan_record(&principal, id).await?;
    Ok(Json(record_dto(&record)))
}

/// The artisan sets what their agent may do for them.
#[utoipa::path(
    put,
    path = "/v1/artisans/{id}/agent-grants",
    tag = "agents",
    params(("id" = ArtisanId, Path)),
    request_body = GrantsDto,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ArtisanRecordDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_grants(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
    ApiJson(body): ApiJson<GrantsDto>,
) -> Result<Json<ArtisanRecordDto>, ApiError> {
    let record = state
        .catalog
        .set_agent_grants(&principal, id, body.into())
        .await?;
    Ok(Json(record_dto(&record)))
}

/// Changes how the artisan is paid: the artisan, an admin, or their agent if granted.
#[utoipa::path(
    put,
    path = "/v1/artisans/{id}/payout",
    tag = "agents",
    params(("id" = ArtisanId, Path)),
    request_body(content = Object, description = "`{\"method\": \"bank_transfer\", \"holder\", \"rib\"}`, `{\"method\": \"mobile_wallet\", \"provider\", \"phone\"}` or `{\"method\": \"cash_via_agent\"}`"),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ArtisanRecordDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_payout(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
    ApiJson(body): ApiJson<Payout>,
) -> Result<Json<ArtisanRecordDto>, ApiError> {
    let record = state.catalog.set_payout(&principal, id, body).await?;
    Ok(Json(record_dto(&record)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<AccountId>,
    pub actor_role: String,
    pub artisan_id: Option<ArtisanId>,
    /// `artisan`, `product` or `agent`.
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub action: String,
    /// `api`, `sync` or `cli`.
    pub via: String,
    /// `{field: {from, to}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

fn audit_dto(e: AuditEntry) -> AuditEntryDto {
    let (subject_kind, subject_id) = e.subject.parts();
    AuditEntryDto {
        id: e.id,
        at: e.at,
        actor_id: e.actor.account,
        actor_role: e.actor.role,
        artisan_id: e.artisan,
        subject_kind: subject_kind.to_owned(),
        subject_id,
        action: e.action,
        via: e.via.as_str().to_owned(),
        changes: e.changes,
    }
}

/// An artisan's audit trail, newest first: for admins and the artisan concerned.
#[utoipa::path(
    get,
    path = "/v1/artisans/{id}/audit",
    tag = "agents",
    params(("id" = ArtisanId, Path), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<AuditEntryDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<AuditEntryDto>>, ApiError> {
    let page: PageRequest = params.request()?;
    let entries = state
        .catalog
        .audit_trail(&principal, id, page.after, page.fetch())
        .await?;
    let entries = Page::of(entries, page.limit, |e| e.id);
    Ok(Json(List::of(entries, audit_dto)))
}
