//! The crafts taxonomy: the public list, and the operators' changes (add, rename, retire).

use std::collections::BTreeMap;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_catalog::{Craft, NewCraft};
use souk_kernel::{CraftId, Lang, Localized, Page, PageRequest};
use utoipa::{IntoParams, ToSchema};

use crate::{
    dto::{List, all_languages, page_request},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, Language},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct CraftDto {
    pub id: CraftId,
    #[schema(example = "pottery")]
    pub slug: String,
    /// Slug of the broader craft, if any.
    pub parent: Option<String>,
    /// The name in the reader's language.
    pub name: Option<Localized>,
    /// The name in every language it has.
    #[schema(value_type = Object)]
    pub names: BTreeMap<Lang, String>,
    /// When an operator retired it (only in the operators' list): no new product or artisan may
    /// take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
}

fn craft_dto(craft: &Craft, crafts: &[Craft], state: &AppState, lang: Lang) -> CraftDto {
    CraftDto {
        id: craft.id,
        slug: craft.slug.clone(),
        parent: craft
            .parent
            .and_then(|id| crafts.iter().find(|c| c.id == id))
            .map(|c| c.slug.clone()),
        name: craft.name.localize(lang, state.http.default_lang),
        names: all_languages(&craft.name),
        retired_at: craft.retired_at,
    }
}

/// The crafts taxonomy, in display order, named in the reader's language. Retired crafts are
/// not listed.
#[utoipa::path(
    get,
    path = "/v1/crafts",
    tag = "catalog",
    params(("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language"), CraftPageParams),
    responses((status = 200, body = List<CraftDto>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
pub async fn list_crafts(
    State(state): State<AppState>,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<CraftPageParams>,
) -> Result<Json<List<CraftDto>>, ApiError> {
    let crafts = state.catalog.crafts().await?;
    let current: Vec<&Craft> = crafts.iter().filter(|c| c.retired_at.is_none()).collect();
    let page = Page::slice(current, &params.page()?, |c| (c.position, c.slug.clone()));
    Ok(Json(List::of(page, |c| {
        craft_dto(c, &crafts, &state, lang)
    })))
}

/// `cursor` and `limit` of the crafts (`lang`, read by the language extractor, may come along).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CraftPageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl CraftPageParams {
    fn page(&self) -> Result<PageRequest<(i32, String)>, ApiError> {
        page_request(self.cursor.as_deref(), self.limit)
    }
}

/// Every craft, retired ones too, with when they were retired. Admins only.
#[utoipa::path(
    get,
    path = "/v1/admin/crafts",
    tag = "admin",
    params(("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language"), CraftPageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<CraftDto>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_all_crafts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<CraftPageParams>,
) -> Result<Json<List<CraftDto>>, ApiError> {
    let crafts = state.catalog.all_crafts(&principal).await?;
    let page = Page::slice(crafts.iter().collect(), &params.page()?, |c| {
        (c.position, c.slug.clone())
    });
    Ok(Json(List::of(page, |c| {
        craft_dto(c, &crafts, &state, lang)
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCraftRequest {
    /// Lower-case letters, digits and `-`; never changes once given.
    #[schema(example = "tadelakt")]
    pub slug: String,
    /// The slug of the broader craft, if any.
    pub parent: Option<String>,
    /// Names by language (ar, fr, en, zgh); at least one.
    #[schema(value_type = Object)]
    pub name: BTreeMap<Lang, String>,
}

/// Adds a craft at the end of the taxonomy. Admins only; recorded in the audit trail.
#[utoipa::path(
    post,
    path = "/v1/admin/crafts",
    tag = "admin",
    request_body = NewCraftRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CraftDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "craft_exists"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_craft(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    ApiJson(body): ApiJson<NewCraftRequest>,
) -> Result<(StatusCode, Json<CraftDto>), ApiError> {
    let input = NewCraft {
        slug: body.slug,
        parent: body.parent,
        name: body.name,
    };
    let craft = state.catalog.add_craft(&principal, input).await?;
    let crafts = state.catalog.crafts().await?;
    Ok((
        StatusCode::CREATED,
        Json(craft_dto(&craft, &crafts, &state, lang)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CraftPatch {
    /// New names by language; languages left out keep their names.
    #[schema(value_type = Object)]
    pub name: BTreeMap<Lang, String>,
}

/// Renames a craft (in the languages given). Its products are found by the new names. Admins
/// only; recorded in the audit trail.
#[utoipa::path(
    patch,
    path = "/v1/admin/crafts/{slug}",
    tag = "admin",
    params(("slug" = String, Path)),
    request_body = CraftPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CraftDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rename_craft(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<CraftPatch>,
) -> Result<Json<CraftDto>, ApiError> {
    let craft = state
        .catalog
        .rename_craft(&principal, &slug, body.name)
        .await?;
    let crafts = state.catalog.crafts().await?;
    Ok(Json(craft_dto(&craft, &crafts, &state, lang)))
}

/// Retires a craft: the public taxonomy no longer lists it and no new product or artisan may
/// take it; products and artisans that have it keep it. Admins only; recorded in the audit trail.
#[utoipa::path(
    post,
    path = "/v1/admin/crafts/{slug}/retire",
    tag = "admin",
    params(("slug" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CraftDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn retire_craft(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<CraftDto>, ApiError> {
    let craft = state.catalog.retire_craft(&principal, &slug).await?;
    let crafts = state.catalog.crafts().await?;
    Ok(Json(craft_dto(&craft, &crafts, &state, lang)))
}
