//! Product photos: upload (multipart), list, and the stored files themselves when the gateway
//! serves the photo store (local disk).

use axum::{
    Json,
    body::Bytes,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_catalog::Photo;
use souk_kernel::{Page, ProductId};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    dto::{List, PageParams},
    error::{ApiError, Problem},
    extract::{ApiPath, ApiQuery, Authenticated, MaybeAuthenticated},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoVariantDto {
    /// `full`, `medium` or `small`.
    pub name: String,
    pub url: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoDto {
    pub id: Uuid,
    pub product_id: ProductId,
    /// Full size first, then the two thumbnails.
    pub variants: Vec<PhotoVariantDto>,
    pub created_at: DateTime<Utc>,
}

fn photo_dto(p: Photo) -> PhotoDto {
    PhotoDto {
        id: p.id,
        product_id: p.product,
        variants: p
            .variants
            .into_iter()
            .map(|v| PhotoVariantDto {
                name: v.name,
                url: v.url,
                content_type: v.content_type,
                width: v.width,
                height: v.height,
                size: v.size,
            })
            .collect(),
        created_at: p.created_at,
    }
}

fn multipart_problem(detail: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_multipart",
        "Send the photo as multipart/form-data in a field named photo",
    )
    .detail(detail)
}

/// Reads the `photo` field. Its declared content type is ignored: the bytes decide.
async fn photo_field(multipart: Result<Multipart, MultipartRejection>) -> Result<Bytes, ApiError> {
    let mut multipart = multipart.map_err(|e| multipart_problem(e.body_text()))?;
    while let Some(field) = multipart.next_field().await.map_err(|e| upload_error(&e))? {
        if field.name() == Some("photo") {
            return field.bytes().await.map_err(|e| upload_error(&e));
        }
    }
    Err(multipart_problem("no field named photo"))
}

fn upload_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            "Photo too large",
        )
        .detail(e.body_text())
    } else {
        multipart_problem(e.body_text())
    }
}

/// Adds a photo to a product: JPEG, PNG or WebP, checked, stripped of all metadata (EXIF, GPS),
/// and stored in three sizes. Its artisan, their agent or an admin.
#[utoipa::path(
    post,
    path = "/v1/products/{id}/photos",
    tag = "catalog",
    params(("id" = ProductId, Path)),
    request_body(content_type = "multipart/form-data", description = "A field named `photo`"),
    security(("bearer" = [])),
    responses(
        (status = 201, body = PhotoDto),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_multipart"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "photo_too_large"),
        (status = 415, body = Problem, content_type = "application/problem+json", description = "not_an_image"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "photo_undecodable or photo_too_many_pixels"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "rate_limited: too many uploads this hour"),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ProductId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let bytes = photo_field(multipart).await?;
    let photo = state.catalog.attach_photo(&principal, id, bytes).await?;
    Ok((StatusCode::CREATED, Json(photo_dto(photo))).into_response())
}

/// A product's photos, oldest first, with their sizes.
#[utoipa::path(
    get,
    path = "/v1/products/{id}/photos",
    tag = "catalog",
    params(("id" = ProductId, Path), PageParams),
    // A token is optional; one sent is checked.
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = List<PhotoDto>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ProductId>,
    MaybeAuthenticated(viewer): MaybeAuthenticated,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<PhotoDto>>, ApiError> {
    let photos = state.catalog.product_photos(id, viewer.as_ref()).await?;
    let page = Page::slice(photos, &params.request()?, |p| p.id);
    Ok(Json(List::of(page, photo_dto)))
}

/// A stored photo file. Keys never change content, so it is cached for a year. A key that is
/// not UTF-8 once decoded (`%ff`) is a 400 problem, as every malformed path is.
pub async fn file(
    State(state): State<AppState>,
    ApiPath(key): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (bytes, content_type) = state.catalog.photo_file(&key).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
