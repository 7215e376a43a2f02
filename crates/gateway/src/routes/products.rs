//! Products: the public listing and search, one product, and writes by artisans and admins.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_catalog::{
    ListingQuery, Product, ProductInput, ProductPatch, ProductStatus, ProductSummary, Sort,
};
use souk_kernel::{ArtisanId, Lang, Localized, Money, Page, ProductId};
use utoipa::{IntoParams, ToSchema};

use crate::{
    dto::{TextMap, all_languages, double_option},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, Language, MaybeAuthenticated},
    state::AppState,
};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortDto {
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
}

impl From<SortDto> for Sort {
    fn from(s: SortDto) -> Self {
        match s {
            SortDto::Relevance => Sort::Relevance,
            SortDto::Newest => Sort::Newest,
            SortDto::PriceAsc => Sort::PriceAsc,
            SortDto::PriceDesc => Sort::PriceDesc,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusDto {
    Draft,
    Active,
    Archived,
}

impl From<StatusDto> for ProductStatus {
    fn from(s: StatusDto) -> Self {
        match s {
            StatusDto::Draft => ProductStatus::Draft,
            StatusDto::Active => ProductStatus::Active,
            StatusDto::Archived => ProductStatus::Archived,
        }
    }
}

impl From<ProductStatus> for StatusDto {
    fn from(s: ProductStatus) -> Self {
        match s {
            ProductStatus::Draft => StatusDto::Draft,
            ProductStatus::Active => StatusDto::Active,
            ProductStatus::Archived => StatusDto::Archived,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProductsParams {
    /// Search words, in Arabic, French or English (at most 200 characters).
    pub q: Option<String>,
    /// A craft slug; its narrower crafts are included.
    pub craft: Option<String>,
    pub artisan: Option<ArtisanId>,
    /// Only products with (true) or without (false) a valid certification.
    pub certified: Option<bool>,
    /// Lowest price, in minor units (centimes).
    pub price_min: Option<i64>,
    /// Highest price, in minor units (centimes).
    pub price_max: Option<i64>,
    /// Default: relevance with `q`, newest without.
    #[param(inline)]
    pub sort: Option<SortDto>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArtisanRefDto {
    pub id: ArtisanId,
    pub name: Option<Localized>,
    pub commune: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSummaryDto {
    pub id: ProductId,
    pub title: Option<Localized>,
    pub craft: String,
    pub artisan: ArtisanRefDto,
    pub price: Money,
    /// In stock, or made to order.
    pub available: bool,
    pub made_to_order: bool,
    pub lead_time_days: Option<u16>,
    /// Holds a valid certification (the brand's badge).
    pub certified: bool,
    pub photo: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductSummaryDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DimensionsDto {
    pub length: Option<i64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Translations {
    #[schema(value_type = Object)]
    pub title: BTreeMap<Lang, String>,
    #[schema(value_type = Object)]
    pub description: BTreeMap<Lang, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDto {
    pub id: ProductId,
    pub title: Option<Localized>,
    pub description: Option<Localized>,
    /// Languages the title is written in (for a language switcher).
    pub languages: Vec<Lang>,
    /// Every language's title and description: with `include=translations`, and in the answers
    /// to writes (editors need them; buyers do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translations: Option<Translations>,
    pub default_lang: Lang,
    pub craft: String,
    pub artisan: ArtisanRefDto,
    /// True when someone other than the artisan listed it (an agent or an operator).
    pub listed_on_behalf: bool,
    /// True when the artisan's agent listed it: the artisan is the maker, the agent sells for
    /// them.
    pub listed_through_agent: bool,
    pub materials: Vec<String>,
    /// Millimetres.
    pub dimensions_mm: DimensionsDto,
    pub weight_g: Option<u32>,
    pub price: Money,
    pub stock: u32,
    pub available: bool,
    pub made_to_order: bool,
    pub lead_time_days: Option<u16>,
    pub status: StatusDto,
    pub photos: Vec<String>,
    pub certified: bool,
    pub certified_until: Option<DateTime<Utc>>,
    /// GS1 GTIN, as 14 digits.
    pub gtin: Option<String>,
    /// Send it back (as `version` or `If-Match`) to update without overwriting a newer change.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn artisan_ref(artisan: &souk_catalog::ArtisanRef, lang: Lang) -> ArtisanRefDto {
    ArtisanRefDto {
        id: artisan.id,
        name: artisan.name.localize(lang, artisan.default_lang),
        commune: artisan.commune.clone(),
    }
}

fn summary_dto(p: &ProductSummary, lang: Lang, now: DateTime<Utc>) -> ProductSummaryDto {
    ProductSummaryDto {
        id: p.id,
        title: p.title.localize(lang, p.default_lang),
        craft: p.craft.clone(),
        artisan: artisan_ref(&p.artisan, lang),
        price: p.price,
        available: p.is_available(),
        made_to_order: p.lead_time_days.is_some(),
        lead_time_days: p.lead_time_days,
        certified: p.is_certified(now),
        photo: p.photo.clone(),
    }
}

pub(crate) fn product_dto(
    p: &Product,
    lang: Lang,
    now: DateTime<Utc>,
    with_translations: bool,
) -> ProductDto {
    ProductDto {
        id: p.id,
        title: p.title.localize(lang, p.default_lang),
        description: p.description.localize(lang, p.default_lang),
        languages: p.title.languages().collect(),
        translations: with_translations.then(|| Translations {
            title: all_languages(&p.title),
            description: all_languages(&p.description),
        }),
        default_lang: p.default_lang,
        craft: p.craft.clone(),
        artisan: artisan_ref(&p.artisan, lang),
        listed_on_behalf: p.listed_by.is_some(),
        listed_through_agent: p.listed_by_agent,
        materials: p.materials.clone(),
        dimensions_mm: DimensionsDto {
            length: p.dimensions.length_mm.map(i64::from),
            width: p.dimensions.width_mm.map(i64::from),
            height: p.dimensions.height_mm.map(i64::from),
        },
        weight_g: p.weight_g,
        price: p.price,
        stock: p.stock,
        available: p.is_available(),
        made_to_order: p.lead_time_days.is_some(),
        lead_time_days: p.lead_time_days,
        status: p.status.into(),
        photos: p.photos.clone(),
        certified: p.is_certified(now),
        certified_until: p.certified_until,
        gtin: p.gtin.as_ref().map(|g| g.as_str().to_owned()),
        version: p.version,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// Adds the language the answer is in, and that it varies with `Accept-Language`.
fn with_language(mut response: Response, lang: Lang) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
    response
}

fn page_dto(page: &Page<ProductSummary>, lang: Lang) -> ProductPage {
    let now = Utc::now();
    ProductPage {
        items: page
            .items
            .iter()
            .map(|p| summary_dto(p, lang, now))
            .collect(),
        next_cursor: page.next_cursor.clone(),
    }
}

/// Lists and searches active products. Search forgives Arabic diacritics and letter variants,
/// French accents, unfinished words and one-letter typos; results are ranked by relevance.
#[utoipa::path(
    get,
    path = "/v1/products",
    tag = "catalog",
    params(
        ListProductsParams,
        ("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language"),
    ),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_query or invalid_cursor"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<ListProductsParams>,
) -> Result<Response, ApiError> {
    let query = ListingQuery {
        q: params.q,
        craft: params.craft,
        artisan: params.artisan,
        certified: params.certified,
        price_min: params.price_min,
        price_max: params.price_max,
        sort: params.sort.map(Into::into),
        cursor: params.cursor,
        limit: params.limit,
    };
    let page = state.catalog.list_products(query).await?;
    Ok(with_language(
        Json(page_dto(&page, lang)).into_response(),
        lang,
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Include {
    Translations,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetProductParams {
    /// `translations`: add every language's title and description.
    #[param(inline)]
    pub include: Option<Include>,
}

/// One product. Drafts and archived products are visible to their artisan and admins only.
#[utoipa::path(
    get,
    path = "/v1/products/{id}",
    tag = "catalog",
    params(
        ("id" = ProductId, Path),
        GetProductParams,
        ("lang" = Option<String>, Query, description = "ar, fr, en or zgh; else Accept-Language"),
    ),
    // A token is optional; one sent is checked.
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ProductDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_product(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ProductId>,
    Language(lang): Language,
    ApiQuery(params): ApiQuery<GetProductParams>,
    MaybeAuthenticated(viewer): MaybeAuthenticated,
) -> Result<Response, ApiError> {
    let product = state.catalog.product(id, viewer.as_ref()).await?;
    Ok(with_language(
        Json(product_dto(
            &product,
            lang,
            Utc::now(),
            params.include == Some(Include::Translations),
        ))
        .into_response(),
        lang,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    /// For admins: the artisan it is listed for. Artisans list for themselves.
    pub artisan_id: Option<ArtisanId>,
    #[schema(example = "pottery")]
    pub craft: String,
    #[schema(value_type = Object, example = json!({"ar": "طاجين مزخرف", "fr": "Tajine décoré"}))]
    pub title: TextMap,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub description: TextMap,
    /// The language to fall back to; default: the title's first.
    pub default_lang: Option<Lang>,
    #[serde(default)]
    pub materials: Vec<String>,
    #[serde(default)]
    pub dimensions_mm: DimensionsDto,
    pub weight_g: Option<i64>,
    /// Price in minor units (centimes).
    #[schema(example = 45000)]
    pub price_minor: i64,
    /// MAD only, for now.
    pub currency: Option<String>,
    /// Default 1: most pieces are one of a kind.
    pub stock: Option<i64>,
    /// Days to make it, for made-to-order items.
    pub lead_time_days: Option<i64>,
    /// Default active.
    pub status: Option<StatusDto>,
    #[serde(default)]
    pub photos: Vec<String>,
    /// GS1 GTIN (8, 12, 13 or 14 digits), if the product has one: its labels then carry it.
    pub gtin: Option<String>,
}

impl CreateProductRequest {
    pub fn into_input(self) -> ProductInput {
        let body = self;
        ProductInput {
            artisan_id: body.artisan_id,
            craft: body.craft,
            title: body.title,
            description: body.description,
            default_lang: body.default_lang,
            materials: body.materials,
            length_mm: body.dimensions_mm.length,
            width_mm: body.dimensions_mm.width,
            height_mm: body.dimensions_mm.height,
            weight_g: body.weight_g,
            price_minor: body.price_minor,
            currency: body.currency,
            stock: body.stock.unwrap_or(1),
            lead_time_days: body.lead_time_days,
            status: body.status.map(Into::into),
            photos: body.photos,
            gtin: body.gtin,
        }
    }
}

/// Lists a product. Artisans list their own; their agent and admins list for them.
#[utoipa::path(
    post,
    path = "/v1/products",
    tag = "catalog",
    request_body = CreateProductRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ProductDto, headers(("Location" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_product(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    ApiJson(body): ApiJson<CreateProductRequest>,
) -> Result<Response, ApiError> {
    let input = body.into_input();
    let product = state.catalog.create_product(&principal, input).await?;
    let location = HeaderValue::from_str(&format!("/v1/products/{}", product.id))
        .map_err(|e| ApiError::internal(&e))?;
    let mut response = (
        StatusCode::CREATED,
        Json(product_dto(&product, lang, Utc::now(), true)),
    )
        .into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(with_language(response, lang))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProductRequest {
    /// The version this change is based on; a newer version on the server is a 409.
    pub version: Option<i32>,
    pub craft: Option<String>,
    /// Languages given replace those languages; others are kept.
    #[schema(value_type = Option<Object>)]
    pub title: Option<TextMap>,
    #[schema(value_type = Option<Object>)]
    pub description: Option<TextMap>,
    pub default_lang: Option<Lang>,
    pub materials: Option<Vec<String>>,
    pub dimensions_mm: Option<DimensionsDto>,
    /// null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub weight_g: Option<Option<i64>>,
    pub price_minor: Option<i64>,
    pub stock: Option<i64>,
    /// null makes it a stocked item again.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub lead_time_days: Option<Option<i64>>,
    pub status: Option<StatusDto>,
    pub photos: Option<Vec<String>>,
    /// null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub gtin: Option<Option<String>>,
}

impl UpdateProductRequest {
    pub fn into_patch(self, expected_version: Option<i32>) -> ProductPatch {
        let body = self;
        let dims = body.dimensions_mm;
        ProductPatch {
            expected_version,
            craft: body.craft,
            title: body.title,
            description: body.description,
            default_lang: body.default_lang,
            materials: body.materials,
            length_mm: dims.as_ref().map(|d| d.length),
            width_mm: dims.as_ref().map(|d| d.width),
            height_mm: dims.as_ref().map(|d| d.height),
            weight_g: body.weight_g,
            price_minor: body.price_minor,
            stock: body.stock,
            lead_time_days: body.lead_time_days,
            status: body.status.map(Into::into),
            photos: body.photos,
            gtin: body.gtin,
        }
    }
}

/// The version in `If-Match` (`"3"` or `3`), if sent.
fn if_match_version(headers: &HeaderMap) -> Result<Option<i32>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_if_match",
                "If-Match must hold a product version",
            )
        })
}

/// Changes a product: only the fields sent. Its artisan, their agent or an admin only.
#[utoipa::path(
    patch,
    path = "/v1/products/{id}",
    tag = "catalog",
    params(("id" = ProductId, Path), ("If-Match" = Option<String>, Header, description = "The version the change is based on")),
    request_body = UpdateProductRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProductDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "version_conflict"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_product(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ProductId>,
    Authenticated(principal): Authenticated,
    Language(lang): Language,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateProductRequest>,
) -> Result<Response, ApiError> {
    let expected_version = match (if_match_version(&headers)?, body.version) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::validation(
                "version",
                "differs from the If-Match header",
            ));
        }
        (header, field) => header.or(field),
    };
    let patch = body.into_patch(expected_version);
    let product = state.catalog.update_product(&principal, id, patch).await?;
    Ok(with_language(
        Json(product_dto(&product, lang, Utc::now(), true)).into_response(),
        lang,
    ))
}
