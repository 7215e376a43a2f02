//! Artisans' public profiles.

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_kernel::{ArtisanId, Lang, Localized};
use utoipa::ToSchema;

use crate::{
    dto::all_languages,
    error::{ApiError, Problem},
    extract::{ApiPath, Language},
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
    Ok(Json(ArtisanDto {
        id: artisan.id,
        name: artisan.name.localize(lang, artisan.default_lang),
        names: all_languages(&artisan.name),
        bio: artisan.bio.localize(lang, artisan.default_lang),
        commune: artisan.commune.clone(),
        cooperative: artisan.cooperative.clone(),
        crafts: artisan.crafts.clone(),
        created_at: artisan.created_at,
    }))
}
