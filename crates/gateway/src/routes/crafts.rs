//! The crafts taxonomy.

use std::collections::BTreeMap;

use axum::{Json, extract::State};
use serde::Serialize;
use souk_kernel::{CraftId, Lang, Localized};
use utoipa::ToSchema;

use crate::{
    dto::{List, all_languages},
    error::{ApiError, Problem},
    extract::Language,
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
}

/// The crafts taxonomy, in display order, named in the reader's language.
#[utoipa::path(
    get,
    path = "/v1/crafts",
    tag = "catalog",
    params(("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language")),
    responses((status = 200, body = List<CraftDto>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
pub async fn list_crafts(
    State(state): State<AppState>,
    Language(lang): Language,
) -> Result<Json<List<CraftDto>>, ApiError> {
    let crafts = state.catalog.crafts().await?;
    let slug_of = |id: CraftId| crafts.iter().find(|c| c.id == id).map(|c| c.slug.clone());
    let items = crafts
        .iter()
        .map(|c| CraftDto {
            id: c.id,
            slug: c.slug.clone(),
            parent: c.parent.and_then(slug_of),
            name: c.name.localize(lang, state.http.default_lang),
            names: all_languages(&c.name),
        })
        .collect();
    Ok(Json(List { items }))
}
