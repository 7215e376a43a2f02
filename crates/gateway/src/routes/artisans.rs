//! Artisans' public profiles, and their directory.

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_catalog::{Artisan, DirectoryFilter};
use souk_kernel::{ArtisanId, Lang, Localized};
use utoipa::{IntoParams, ToSchema};

use crate::{
    dto::{List, all_languages, page_request},
    error::{ApiError, Problem},
    extract::{ApiPath, ApiQuery, Language},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtisanDto {
    pub id: ArtisanId,
    pub name: Option<Localized>,
    #[schema(value_type = Object)]
    pub names: BTreeMap<Lang, String>,
    pub bio: Option<Localized>,
    pub commune: String,
    pub cooperative: Option<String>,
    /// Craft slugs.
    pub crafts: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// An artisan's public profile.
#[utoipa::path(
    get,
    path = "/v1/artisans/{id}",
    tag = "catalog",
    params(
        ("id" = ArtisanId, Path),
        ("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language"),
    ),
    responses(
        (status = 200, body = ArtisanDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_artisan(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ArtisanId>,
    Language(lang): Language,
) -> Result<Json<ArtisanDto>, ApiError> {
    let artisan = state.catalog.artisan(id).await?;
    Ok(Json(artisan_dto(&artisan, lang)))
}

fn artisan_dto(artisan: &Artisan, lang: Lang) -> ArtisanDto {
    ArtisanDto {
        id: artisan.id,
        name: artisan.name.localize(lang, artisan.default_lang),
        names: all_languages(&artisan.name),
        bio: artisan.bio.localize(lang, artisan.default_lang),
        commune: artisan.commune.clone(),
        cooperative: artisan.cooperative.clone(),
        crafts: artisan.crafts.clone(),
        created_at: artisan.created_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryParams {
    /// Words of their name, in any of its languages (accents, Arabic letter forms and one typo
    /// forgiven).
    pub q: Option<String>,
    /// A commune: `Fès`, `Sefrou`...
    pub commune: Option<String>,
    /// A craft's slug.
    pub craft: Option<String>,
    pub cooperative: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// The public directory of artisans, in the order they joined: by commune, craft and
/// cooperative, searched by name.
#[utoipa::path(
    get,
    path = "/v1/artisans",
    tag = "catalog",
    params(
        DirectoryParams,
        ("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language"),
    ),
    responses((status = 200, body = List<ArtisanDto>))
)]
pub async fn list_artisans(
    State(state): State<AppState>,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<DirectoryParams>,
) -> Result<Json<List<ArtisanDto>>, ApiError> {
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let filter = DirectoryFilter {
        commune: params.commune,
        craft: params.craft,
        cooperative: params.cooperative,
        q: params.q,
    };
    let found = state.catalog.directory(&filter, &page).await?;
    Ok(Json(List::of(found, |a| artisan_dto(&a, lang))))
}
