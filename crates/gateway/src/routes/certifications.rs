//! Certifications: certifiers record an inspection of a product (or of an artisan's line in one
//! craft) against a standard, and issue batches of signed labels under it.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use souk_auth::{Principal, Role};
use souk_kernel::{AccountId, ArtisanId, CertificationId, LabelBatchId, ProductId};
use souk_labels::{
    Batch, Certification, CertificationFilter, CertificationInput, CertificationScope,
    CertificationStatus, Evidence,
};
use utoipa::{IntoParams, ToSchema};

use crate::{
    dto::{List, page_request},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, MaybeAuthenticated},
    state::AppState,
};

/// An artisan's line in one craft, as certified.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifiedLineDto {
    pub artisan_id: ArtisanId,
    #[schema(example = "pottery")]
    pub craft: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceDto {
    /// `photo`, `report`, `sample`, `document` or `other`.
    pub kind: String,
    /// A URL or an archive reference.
    pub reference: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ResultDto {
    Passed,
    Failed,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertifyRequest {
    /// The product certified; or `line` for all of an artisan's products in one craft.
    pub product_id: Option<ProductId>,
    pub line: Option<CertifiedLineDto>,
    #[schema(example = "Label régional Fès-Meknès — poterie")]
    pub standard: String,
    #[schema(example = "2026.1")]
    pub standard_version: String,
    pub inspector: String,
    pub inspected_on: NaiveDate,
    pub result: ResultDto,
    pub valid_from: NaiveDate,
    /// The last day it holds.
    pub valid_until: NaiveDate,
    #[serde(default)]
    pub evidence: Vec<EvidenceDto>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertifierDto {
    pub id: AccountId,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificationDto {
    pub id: CertificationId,
    /// Printed and signed in its labels' links.
    pub code: String,
    /// These three for certifiers and operators only: a label's page links here, and the
    /// public must learn no more of the maker than the label shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artisan_id: Option<ArtisanId>,
    /// The craft of a product line.
    pub craft: Option<String>,
    pub standard: String,
    pub standard_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
    pub inspected_on: NaiveDate,
    pub result: ResultDto,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Passed and within its validity today.
    pub current: bool,
    pub certifier: CertifierDto,
    /// For certifiers and operators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<EvidenceDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn is_certifier(principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| matches!(p.role, Role::Certifier | Role::Admin))
}

fn certification_dto(c: &Certification, full: bool) -> CertificationDto {
    CertificationDto {
        id: c.id,
        code: c.code.clone(),
        product_id: c.product.filter(|_| full),
        artisan_id: full.then_some(c.artisan),
        craft: c.craft.clone(),
        standard: c.standard.clone(),
        standard_version: c.standard_version.clone(),
        inspector: full.then(|| c.inspector.clone()),
        inspected_on: c.inspected_on,
        result: if c.passed {
            ResultDto::Passed
        } else {
            ResultDto::Failed
        },
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        current: c.is_current(Utc::now().date_naive()),
        certifier: CertifierDto {
            id: c.certifier,
            name: c.certifier_name.clone(),
        },
        evidence: full.then(|| {
            c.evidence
                .iter()
                .map(|e| EvidenceDto {
                    kind: e.kind.clone(),
                    reference: e.reference.clone(),
                })
                .collect()
        }),
        notes: if full { c.notes.clone() } else { None },
        created_at: c.created_at,
    }
}

/// Records a certification (certifiers and operators). A passed one gives the products it covers
/// the catalog's badge until it ends.
#[utoipa::path(
    post,
    path = "/v1/certifications",
    tag = "labels",
    request_body = CertifyRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CertificationDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn certify(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiJson(body): ApiJson<CertifyRequest>,
) -> Result<Response, ApiError> {
    let scope = match (body.product_id, body.line) {
        (Some(product), None) => CertificationScope::Product(product),
        (None, Some(line)) => CertificationScope::Line {
            artisan: line.artisan_id,
            craft: line.craft,
        },
        _ => {
            return Err(ApiError::validation(
                "product_id",
                "give either product_id or line",
            ));
        }
    };
    let input = CertificationInput {
        scope,
        standard: body.standard,
        standard_version: body.standard_version,
        inspector: body.inspector,
        inspected_on: body.inspected_on,
        passed: body.result == ResultDto::Passed,
        valid_from: body.valid_from,
        valid_until: body.valid_until,
        evidence: body
            .evidence
            .into_iter()
            .map(|e| Evidence {
                kind: e.kind,
                reference: e.reference,
            })
            .collect(),
        notes: body.notes,
    };
    let labels = state.labels.clone();
    let certification = state
        .lifecycle
        .detached(async move { labels.certify(&principal, input).await })
        .await?;
    created(
        &format!("/v1/certifications/{}", certification.id),
        Json(certification_dto(&certification, true)),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificationListParams {
    /// Only those of this product.
    pub product_id: Option<ProductId>,
    /// Only those of this artisan (their products and lines).
    pub artisan_id: Option<ArtisanId>,
    /// Only those in this status today.
    #[param(value_type = Option<String>, example = "current")]
    pub status: Option<CertificationStatus>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Certifications, newest first, with their evidence (certifiers and operators). `status` is
/// `failed`, `upcoming`, `current` or `expired`, as of today (UTC).
#[utoipa::path(
    get,
    path = "/v1/certifications",
    tag = "labels",
    params(CertificationListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<CertificationDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_certifications(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<CertificationListParams>,
) -> Result<Json<List<CertificationDto>>, ApiError> {
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let filter = CertificationFilter {
        product: params.product_id,
        artisan: params.artisan_id,
        status: params.status,
    };
    let today = Utc::now().date_naive();
    let found = state
        .labels
        .certifications(&principal, &filter, today, &page)
        .await?;
    Ok(Json(List::of(found, |c| certification_dto(&c, true))))
}

/// A certification: public (what a label's page links to); its evidence, notes, inspector,
/// product and artisan only for certifiers and operators.
#[utoipa::path(
    get,
    path = "/v1/certifications/{id}",
    tag = "labels",
    params(("id" = CertificationId, Path)),
    // A token is optional; one sent is checked.
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = CertificationDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_certification(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CertificationId>,
    MaybeAuthenticated(viewer): MaybeAuthenticated,
) -> Result<Json<CertificationDto>, ApiError> {
    let c = state.labels.certification(id).await?;
    Ok(Json(certification_dto(&c, is_certifier(viewer.as_ref()))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Required for a product line's certification; defaults to the certified product.
    pub product_id: Option<ProductId>,
    /// 1 to `labels.max_batch` (10,000).
    #[schema(example = 24)]
    pub count: u32,
}

/// A batch of labels issued under a certification.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelBatchDto {
    pub id: LabelBatchId,
    pub certification_id: CertificationId,
    pub product_id: ProductId,
    pub count: u32,
    /// The key that signed it.
    pub key_id: String,
    pub created_by: AccountId,
    pub created_at: DateTime<Utc>,
    /// The printable sheet (PDF).
    pub sheet_url: String,
    /// Its labels, page by page.
    pub labels_url: String,
}

pub(crate) fn label_batch_dto(b: &Batch) -> LabelBatchDto {
    LabelBatchDto {
        id: b.id,
        certification_id: b.certification,
        product_id: b.product,
        count: b.count,
        key_id: b.key_id.clone(),
        created_by: b.created_by,
        created_at: b.created_at,
        sheet_url: format!("/v1/label-batches/{}/sheet.pdf", b.id),
        labels_url: format!("/v1/label-batches/{}/labels", b.id),
    }
}

/// Issues a batch of serialized, signed labels under a passed, current certification.
#[utoipa::path(
    post,
    path = "/v1/certifications/{id}/labels",
    tag = "labels",
    params(("id" = CertificationId, Path)),
    request_body = IssueRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = LabelBatchDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "certification_not_current, validation_failed"),
    )
)]
pub async fn issue_labels(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<CertificationId>,
    ApiJson(body): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    let labels = state.labels.clone();
    let batch = state
        .lifecycle
        .detached(async move {
            labels
                .issue(&principal, id, body.product_id, body.count)
                .await
        })
        .await?;
    created(
        &format!("/v1/label-batches/{}", batch.id),
        Json(label_batch_dto(&batch)),
    )
}

fn created(location: &str, body: impl IntoResponse) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(location).map_err(|e| ApiError::internal(&e))?;
    let mut response = (StatusCode::CREATED, body).into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}
