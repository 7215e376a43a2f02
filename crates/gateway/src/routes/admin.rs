//! Operators' routes: appointing agents, their commission, and which agent represents whom.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use souk_agents::AgentInput;
use souk_auth::{AccountFilter, NewAccount, Role};
use souk_kernel::{AccountId, ArtisanId};
use utoipa::{IntoParams, ToSchema};

use crate::{
    dto::{List, page_request},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated},
    routes::{
        agency::{AgentDto, ArtisanRecordDto, agent_dto, record_dto},
        auth::AccountDto,
    },
    state::AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentRequest {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// Basis points of their artisans' sales (100 = 1%), at most 5000.
    pub commission_bps: u32,
    /// Their phone, for short messages about their artisans' orders and payouts.
    #[schema(example = "0612345678")]
    pub phone: Option<String>,
    /// The language of the messages Souk sends them (default French).
    pub lang: Option<souk_kernel::Lang>,
}

/// Appoints an agent: their account and record. Admins only.
#[utoipa::path(
    post,
    path = "/v1/admin/agents",
    tag = "admin",
    request_body = NewAgentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = AgentDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "email_taken"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_agent(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<NewAgentRequest>,
) -> Result<Response, ApiError> {
    let agent = state
        .agents
        .create_agent(
            Some(&principal),
            AgentInput {
                account: NewAccount {
                    email: body.email,
                    password: body.password,
                    display_name: body.display_name,
                    role: Role::Agent,
                    lang: souk_auth::account_lang(body.lang, None),
                },
                commission_bps: body.commission_bps,
                phone: body.phone,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(agent_dto(agent))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    pub commission_bps: u32,
}

/// Changes an agent's commission. Admins only; recorded in the audit trail.
#[utoipa::path(
    patch,
    path = "/v1/admin/agents/{id}",
    tag = "admin",
    params(("id" = AccountId, Path)),
    request_body = AgentPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AgentDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_agent(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<AccountId>,
    ApiJson(body): ApiJson<AgentPatch>,
) -> Result<Json<AgentDto>, ApiError> {
    let agent = state
        .agents
        .set_commission(&principal, id, body.commission_bps)
        .await?;
    Ok(Json(agent_dto(agent)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The agent to represent the artisan; null to leave them without one.
    pub agent_id: Option<AccountId>,
}

/// Assigns an artisan to an agent, or moves them to another. Admins only.
#[utoipa::path(
    put,
    path = "/v1/admin/artisans/{id}/agent",
    tag = "admin",
    params(("id" = ArtisanId, Path)),
    request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ArtisanRecordDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn assign_agent(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
    ApiJson(body): ApiJson<AssignRequest>,
) -> Result<Json<ArtisanRecordDto>, ApiError> {
    let record = state
        .catalog
        .assign_agent(&principal, id, body.agent_id)
        .await?;
    Ok(Json(record_dto(&record)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountListParams {
    /// Only this role: buyer, artisan, agent, certifier or admin.
    #[param(value_type = Option<String>, example = "agent")]
    pub role: Option<Role>,
    /// A piece of their email, any case.
    pub email: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Every account, newest first, by role or a piece of the email. Admins only.
#[utoipa::path(
    get,
    path = "/v1/admin/accounts",
    tag = "admin",
    params(AccountListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<AccountDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<AccountListParams>,
) -> Result<Json<List<AccountDto>>, ApiError> {
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let filter = AccountFilter {
        role: params.role,
        email: params.email,
    };
    let accounts = state.auth.accounts(&principal, &filter, &page).await?;
    Ok(Json(List::of(accounts, AccountDto::from)))
}
