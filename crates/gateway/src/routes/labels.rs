//! Brand labels: printing them (batches, QR codes, the PDF sheet), verifying one (JSON), what
//! goes with a parcel, revocation, fake reports, and the public keys and revocation list for
//! offline verifiers.

use axum::{
    Json,
    extract::{RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use souk_catalog::agency::model::LabelDisclosure;
use souk_kernel::{
    ArtisanId, CertificationId, FulfilmentId, LabelBatchId, Lang, Localized, Page, PageRequest,
    ProductId, percent::decode_form,
};
use souk_labels::{
    BatchFilter, BatchLabel, KeyStatus, LabelState, QrFormat, RevocationList, Serial, Target,
    Verdict, Verification, link::LabelLink,
};
use utoipa::{IntoParams, ToSchema};

use crate::{
    dto::{List, PageParams, page_request},
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, Authenticated, LabelScanner, Language},
    routes::{
        certifications::{LabelBatchDto, label_batch_dto},
        scanned_links::ScanQuery,
    },
    state::AppState,
};

/// A batch of labels.
#[utoipa::path(
    get,
    path = "/v1/label-batches/{id}",
    tag = "labels",
    params(("id" = LabelBatchId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = LabelBatchDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_batch(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<LabelBatchId>,
) -> Result<Json<LabelBatchDto>, ApiError> {
    Ok(Json(label_batch_dto(
        &state.labels.batch(&principal, id).await?,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchLabelDto {
    pub serial: String,
    /// Printed beside the QR code.
    pub short_code: String,
    /// What the QR code holds.
    pub url: String,
    /// `issued`, `attached` or `revoked`.
    pub status: String,
    pub qr_png: String,
    pub qr_svg: String,
}

fn batch_label_dto(l: BatchLabel) -> BatchLabelDto {
    BatchLabelDto {
        short_code: l.serial.short_code(),
        qr_png: format!("/v1/labels/{}/qr.png", l.serial),
        qr_svg: format!("/v1/labels/{}/qr.svg", l.serial),
        serial: l.serial.to_string(),
        url: l.url,
        status: l.status,
    }
}

/// A batch's labels, in serial order.
#[utoipa::path(
    get,
    path = "/v1/label-batches/{id}/labels",
    tag = "labels",
    params(("id" = LabelBatchId, Path), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<BatchLabelDto>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn batch_labels(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<LabelBatchId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<BatchLabelDto>>, ApiError> {
    let page: PageRequest<String> = params.request()?;
    let after = match page.after.as_deref() {
        Some(serial) => Some(Serial::parse(serial).ok_or_else(ApiError::invalid_cursor)?),
        None => None,
    };
    let labels = state
        .labels
        .batch_labels(&principal, id, after.as_ref(), page.fetch())
        .await?;
    let labels = Page::of(labels, page.limit, |l| l.serial.to_string());
    Ok(Json(List::of(labels, batch_label_dto)))
}

/// A product's labels, every batch of it, in serial order: for certifiers, operators, and the
/// artisan (or their agent) who sticks them on.
#[utoipa::path(
    get,
    path = "/v1/products/{id}/labels",
    tag = "labels",
    params(("id" = ProductId, Path), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<BatchLabelDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn product_labels(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ProductId>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<BatchLabelDto>>, ApiError> {
    let labels = state
        .labels
        .product_labels(&principal, id, &params.request()?)
        .await?;
    Ok(Json(List::of(labels, batch_label_dto)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchListParams {
    /// Only the batches of this certification.
    pub certification_id: Option<CertificationId>,
    /// Only the batches of this product.
    pub product_id: Option<ProductId>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Label batches, newest first (certifiers and operators).
#[utoipa::path(
    get,
    path = "/v1/label-batches",
    tag = "labels",
    params(BatchListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<LabelBatchDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_batches(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<BatchListParams>,
) -> Result<Json<List<LabelBatchDto>>, ApiError> {
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let filter = BatchFilter {
        certification: params.certification_id,
        product: params.product_id,
    };
    let batches = state.labels.batches(&principal, &filter, &page).await?;
    Ok(Json(List::of(batches, |b| label_batch_dto(&b))))
}

fn file(content_type: &'static str, name: Option<String>, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Printable labels are copies of real ones: never kept by shared caches.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Some(name) = name
        && let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The batch's printable sheet: A4, 3 × 8 stickers of 70 × 37 mm, each with its QR code (about
/// 2 cm), short code and the brand's name.
#[utoipa::path(
    get,
    path = "/v1/label-batches/{id}/sheet.pdf",
    tag = "labels",
    params(("id" = LabelBatchId, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_sheet(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<LabelBatchId>,
) -> Result<Response, ApiError> {
    let pdf = state.labels.sheet(&principal, id).await?;
    Ok(file(
        "application/pdf",
        Some(format!("labels-{id}.pdf")),
        pdf,
    ))
}

/// A label's QR code as a PNG.
#[utoipa::path(
    get,
    path = "/v1/labels/{serial}/qr.png",
    tag = "labels",
    params(("serial" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "image/png", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn qr_png(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
) -> Result<Response, ApiError> {
    let png = state.labels.qr(&principal, &serial, QrFormat::Png).await?;
    Ok(file("image/png", None, png))
}

/// A label's QR code as an SVG.
#[utoipa::path(
    get,
    path = "/v1/labels/{serial}/qr.svg",
    tag = "labels",
    params(("serial" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn qr_svg(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
) -> Result<Response, ApiError> {
    let svg = state.labels.qr(&principal, &serial, QrFormat::Svg).await?;
    Ok(file("image/svg+xml", None, svg))
}

#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// The link the QR code holds (its URL, or its path and query): checked whole. Without it,
    /// the serial alone is checked, as for a short code typed by hand.
    pub link: Option<String>,
    /// A coarse place (geohash; 4 characters are kept).
    pub place: Option<String>,
}

impl VerifyParams {
    /// Reads `link` and `place` from a query string in one pass, decoding only their values:
    /// this runs on every scan, and a generic deserializer costs several times as much. Other
    /// parameters (`lang`) are left to their own extractors.
    fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut params = VerifyParams::default();
        for pair in query.unwrap_or_default().split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match &*decode_form(key) {
                "link" => &mut params.link,
                "place" => &mut params.place,
                _ => continue,
            };
            if slot.is_some() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "The query string is invalid",
                )
                .detail(format!("{} is given twice", decode_form(key))));
            }
            *slot = Some(decode_form(value).into_owned());
        }
        Ok(params)
    }
}

/// The labelled item.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelItemDto {
    /// Only when the maker shows their workshop (the product's page names them).
    pub product_id: Option<ProductId>,
    pub title: Option<Localized>,
    pub craft: String,
    pub craft_name: Option<Localized>,
    pub photo: Option<String>,
}

/// The maker, as far as they agreed to be shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct MakerDto {
    pub name: Option<Localized>,
    pub commune: Option<String>,
    pub cooperative: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabelCertificationDto {
    pub id: CertificationId,
    pub code: String,
    pub standard: String,
    pub standard_version: String,
    pub certifier: String,
    pub inspected_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// Within its validity today (labels issued under it stay valid after it ends).
    pub current: bool,
    /// Certifies the artisan's line in the craft.
    pub line: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnershipDto {
    /// Registered to its buyer since.
    pub since: DateTime<Utc>,
    /// The scanner is the owner.
    pub yours: bool,
    /// This scan registered them.
    pub registered_now: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarningDto {
    /// `suspected_clone`.
    pub code: &'static str,
    /// `many_devices`, `many_places` or `scanned_after_sale`.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationDto {
    pub serial: String,
    pub short_code: Option<String>,
    /// `authentic`, `not_authentic` or `revoked`.
    pub verdict: &'static str,
    /// Why not authentic: `malformed`, `unsigned`, `unknown_key`, `bad_signature`,
    /// `unknown_serial`, `mismatch`.
    pub reason: Option<&'static str>,
    /// `valid`, `sold` or `revoked`.
    pub status: Option<&'static str>,
    pub sold_on: Option<NaiveDate>,
    pub revoked_on: Option<NaiveDate>,
    pub revocation_reason: Option<String>,
    pub warning: Option<WarningDto>,
    pub ownership: Option<OwnershipDto>,
    pub item: Option<LabelItemDto>,
    pub maker: Option<MakerDto>,
    pub certification: Option<LabelCertificationDto>,
    pub issued_on: Option<NaiveDate>,
    pub key_id: Option<String>,
    /// `next` (staged), `active` or `retired` (a retired key's labels stay valid).
    pub key_status: Option<&'static str>,
    /// The page the QR code opens, in the reader's language.
    pub page: Option<String>,
}

/// The answer to a verification. `page` is the page of what was scanned, and only when it is
/// authentic: echoing the issued link to someone who typed a short code, or who scanned a
/// forgery, would hand them a printable copy of the real label.
pub(crate) fn verification_dto(v: &Verification, lang: Lang, base: &str) -> VerificationDto {
    let view = v.view.as_ref();
    let (status, sold_on, revoked_on) = match v.state {
        Some(LabelState::Valid) => (Some("valid"), None, None),
        Some(LabelState::Sold { on }) => (Some("sold"), Some(on), None),
        Some(LabelState::Revoked { on }) => (Some("revoked"), None, Some(on)),
        None => (None, None, None),
    };
    VerificationDto {
        serial: v.serial.clone(),
        short_code: view.map(|v| v.serial.short_code()),
        verdict: v.verdict.as_str(),
        reason: match v.verdict {
            Verdict::NotAuthentic(why) => Some(why.as_str()),
            _ => None,
        },
        status,
        sold_on,
        revoked_on,
        revocation_reason: view.and_then(|v| v.revoked_reason.clone()),
        warning: v.suspect.as_ref().map(|reason| WarningDto {
            code: "suspected_clone",
            reason: reason.clone(),
        }),
        ownership: v.ownership.map(|o| OwnershipDto {
            since: o.since,
            yours: o.yours,
            registered_now: o.registered_now,
        }),
        item: view.map(|view| LabelItemDto {
            // The product's catalog page names its maker: linked only if they show their
            // workshop on labels.
            product_id: v
                .maker
                .as_ref()
                .is_some_and(|m| m.disclosure == LabelDisclosure::Workshop)
                .then_some(view.item.id),
            title: view.item.title.localize(lang, view.item.default_lang),
            craft: view.item.craft.clone(),
            craft_name: view.item.craft_name.localize(lang, Lang::Fr),
            photo: view.item.photo.clone(),
        }),
        maker: v.maker.as_ref().map(|m| MakerDto {
            name: m
                .name
                .as_ref()
                .and_then(|n| n.localize(lang, m.default_lang)),
            commune: m.commune.clone(),
            cooperative: m.cooperative.clone(),
        }),
        certification: view.map(|v| {
            let c = &v.certification;
            let today = Utc::now().date_naive();
            LabelCertificationDto {
                id: c.id,
                code: c.code.clone(),
                standard: c.standard.clone(),
                standard_version: c.standard_version.clone(),
                certifier: c.certifier_name.clone(),
                inspected_on: c.inspected_on,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                current: c.valid_from <= today && today <= c.valid_until,
                line: c.line,
            }
        }),
        issued_on: view.map(|v| v.issued_on),
        key_id: view.map(|v| v.key_id.clone()),
        key_status: v.key_status.map(|s| match s {
            KeyStatus::Next => "next",
            KeyStatus::Active => "active",
            KeyStatus::Retired => "retired",
        }),
        page: match (v.verdict, &v.scanned) {
            (Verdict::Authentic, Some(link)) => Some(format!(
                "{base}/verify/{}?{}&lang={}",
                link.item_path(),
                link.signed_query(),
                lang.code()
            )),
            (Verdict::Authentic, None) => view.map(|view| {
                format!(
                    "{base}/verify?code={}&lang={}",
                    view.serial.short_code(),
                    lang.code()
                )
            }),
            _ => None,
        },
    }
}

/// Verifies a label: whether it is authentic, its item, maker and certification, whether it is
/// sold, revoked or looks cloned. Every call is a scan (recorded without personal data); a buyer
/// signed in whose parcel was delivered becomes its registered owner on their first scan.
#[utoipa::path(
    get,
    path = "/v1/labels/{serial}",
    tag = "labels",
    params(("serial" = String, Path), VerifyParams),
    // A token is optional; one sent is checked.
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = VerificationDto),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid_label_link"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    ApiPath(serial): ApiPath<String>,
    RawQuery(query): RawQuery,
    Language(lang): Language,
    LabelScanner(mut scanner): LabelScanner,
) -> Result<Response, ApiError> {
    let asked = state.scanned_links.parse(query.as_deref(), scan_query)?;
    scanner.place_hint = asked.place.clone();
    let target = match &asked.link {
        Some(link) => {
            if Serial::parse(&link.serial) != Serial::parse(&serial) {
                return Err(ApiError::validation(
                    "link",
                    "names another serial than the path",
                ));
            }
            Target::Link(link.clone())
        }
        None => Target::Code(serial),
    };
    let verification = state.labels.verify(target, &scanner).await?;
    let base = &state.labels.settings().base_url;
    let body = state.label_answers.answer(&verification, lang, || {
        verification_json(&verification_dto(&verification, lang, base))
    })?;
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A verification's query: its parameters, and the link parsed.
fn scan_query(query: Option<&str>) -> Result<ScanQuery, ApiError> {
    let params = VerifyParams::parse(query)?;
    let link = params
        .link
        .as_deref()
        .map(|link| LabelLink::parse(link).map(|(link, _)| link))
        .transpose()
        .map_err(souk_labels::LabelsError::from)?;
    Ok(ScanQuery {
        link,
        place: params.place,
    })
}

/// A verification as JSON, written into a buffer of about its size: axum's starts at 128 bytes
/// and would be regrown four times.
fn verification_json(dto: &VerificationDto) -> Result<bytes::Bytes, ApiError> {
    let mut body = Vec::with_capacity(2048);
    serde_json::to_writer(&mut body, dto).map_err(|e| ApiError::internal(&e))?;
    Ok(body.into())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    #[schema(example = "stolen from the workshop")]
    pub reason: String,
}

/// Revokes a label (certifiers and operators): every replica reports it revoked at once, and the
/// signed revocation list is made anew.
#[utoipa::path(
    post,
    path = "/v1/labels/{serial}/revoke",
    tag = "labels",
    params(("serial" = String, Path)),
    request_body = RevokeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = VerificationDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already_revoked"),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
    Language(lang): Language,
    ApiJson(body): ApiJson<RevokeRequest>,
) -> Result<Json<VerificationDto>, ApiError> {
    let labels = state.labels.clone();
    let view = state
        .lifecycle
        .detached(async move { labels.revoke(&principal, &serial, &body.reason).await })
        .await?;
    let verification = Verification {
        serial: view.serial.to_string(),
        verdict: Verdict::Revoked,
        state: view.revoked_at.map(|at| LabelState::Revoked {
            on: at.date_naive(),
        }),
        suspect: view.suspect_reason.clone(),
        key_status: None,
        ownership: None,
        maker: None,
        scanned: None,
        view: Some(std::sync::Arc::new(view)),
    };
    Ok(Json(verification_dto(
        &verification,
        lang,
        &state.labels.settings().base_url,
    )))
}

/// Clears a label's "suspected clone" flag once a certifier has checked it; its scan counts
/// start again (certifiers and operators).
#[utoipa::path(
    post,
    path = "/v1/labels/{serial}/clear-suspicion",
    tag = "labels",
    params(("serial" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn clear_suspicion(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let labels = state.labels.clone();
    state
        .lifecycle
        .detached(async move { labels.clear_suspicion(&principal, &serial).await })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks a label as stuck on its item (its maker, their agent, or an operator).
#[utoipa::path(
    post,
    path = "/v1/labels/{serial}/attach",
    tag = "labels",
    params(("serial" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn attach(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let labels = state.labels.clone();
    state
        .lifecycle
        .detached(async move { labels.attach(&principal, &serial).await })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendWithRequest {
    /// The labels on the items of this parcel.
    pub serials: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelLabelsDto {
    pub fulfilment_id: FulfilmentId,
    pub serials: Vec<String>,
}

/// Says which labels go out with a parcel (its artisan, their agent, or an operator). Once the
/// parcel is delivered they are sold, and the buyer's first scan registers them as the owner.
#[utoipa::path(
    post,
    path = "/v1/fulfilments/{id}/labels",
    tag = "labels",
    params(("id" = FulfilmentId, Path)),
    request_body = SendWithRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ParcelLabelsDto),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "label_unavailable"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send_with(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<FulfilmentId>,
    ApiJson(body): ApiJson<SendWithRequest>,
) -> Result<Json<ParcelLabelsDto>, ApiError> {
    let labels = state.labels.clone();
    let serials = state
        .lifecycle
        .detached(async move { labels.send_with(&principal, id, &body.serials).await })
        .await?;
    Ok(Json(ParcelLabelsDto {
        fulfilment_id: id,
        serials,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// `suspected_fake`, `label_damaged`, `item_differs`, `seller_suspicious` or `other`.
    pub reason: String,
    pub details: Option<String>,
    /// Only if the reporter wants to be reached.
    pub contact: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDto {
    pub id: uuid::Uuid,
    pub serial: String,
    pub known_label: bool,
    pub reason: String,
    pub details: Option<String>,
    pub contact: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

fn report_dto(r: &souk_labels::Report) -> ReportDto {
    ReportDto {
        id: r.id,
        serial: r.serial.clone(),
        known_label: r.known_label,
        reason: r.reason.clone(),
        details: r.details.clone(),
        contact: r.contact.clone(),
        status: r.status.clone(),
        created_at: r.created_at,
    }
}

/// Reports a label believed fake, for the certifier (anyone; rate limited).
#[utoipa::path(
    post,
    path = "/v1/labels/{serial}/reports",
    tag = "labels",
    params(("serial" = String, Path)),
    request_body = ReportRequest,
    // A token is optional; one sent is checked.
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = ReportDto),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    ApiPath(serial): ApiPath<String>,
    LabelScanner(scanner): LabelScanner,
    ApiJson(body): ApiJson<ReportRequest>,
) -> Result<Response, ApiError> {
    let report = state
        .labels
        .report(
            souk_labels::ReportInput {
                serial,
                reason: body.reason,
                details: body.details,
                contact: body.contact,
            },
            &scanner,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(report_dto(&report))).into_response())
}

/// The newest fake reports (certifiers and operators).
#[utoipa::path(
    get,
    path = "/v1/label-reports",
    tag = "labels",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = List<ReportDto>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_reports(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<List<ReportDto>>, ApiError> {
    let reports = state.labels.reports(&principal, &params.request()?).await?;
    Ok(Json(List::of(reports, |r| report_dto(&r))))
}

/// The public keys labels are signed with (staged, active and retired), for offline
/// verification.
#[utoipa::path(
    get,
    path = "/.well-known/souk-label-keys.json",
    tag = "labels",
    responses((status = 200, content_type = "application/json", body = Object))
)]
pub async fn get_keys(State(state): State<AppState>) -> Response {
    public_document(Json(state.labels.keys_document()), "public, max-age=3600")
}

/// A document for offline verifiers: readable from any page, cached as long as it may be.
fn public_document(body: impl IntoResponse, cache: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    super::resolver::with_cors(response)
}

/// Every revoked label, signed with the active key, for offline verifiers.
#[utoipa::path(
    get,
    path = "/.well-known/souk-label-revocations.json",
    tag = "labels",
    responses((status = 200, content_type = "application/json", body = Object))
)]
pub async fn get_revocations(State(state): State<AppState>) -> Result<Response, ApiError> {
    let list: std::sync::Arc<RevocationList> = state.labels.revocation_list().await?;
    Ok(public_document(
        Json(list.as_ref().clone()),
        "public, max-age=60",
    ))
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureDto {
    /// Name, commune and cooperative.
    Workshop,
    Name,
    Anonymous,
}

impl From<DisclosureDto> for LabelDisclosure {
    fn from(d: DisclosureDto) -> Self {
        match d {
            DisclosureDto::Workshop => LabelDisclosure::Workshop,
            DisclosureDto::Name => LabelDisclosure::Name,
            DisclosureDto::Anonymous => LabelDisclosure::Anonymous,
        }
    }
}

impl From<LabelDisclosure> for DisclosureDto {
    fn from(d: LabelDisclosure) -> Self {
        match d {
            LabelDisclosure::Workshop => DisclosureDto::Workshop,
            LabelDisclosure::Name => DisclosureDto::Name,
            LabelDisclosure::Anonymous => DisclosureDto::Anonymous,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRequest {
    pub label_disclosure: DisclosureDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureAnswer {
    pub artisan_id: ArtisanId,
    pub label_disclosure: DisclosureDto,
}

/// What a label's page shows of the artisan: their workshop (name, commune, cooperative), their
/// name only, or nothing. The artisan sets it (or their agent, before they take over their
/// account, or an operator).
#[utoipa::path(
    put,
    path = "/v1/artisans/{id}/label-disclosure",
    tag = "labels",
    params(("id" = ArtisanId, Path)),
    request_body = DisclosureRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = DisclosureAnswer),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_disclosure(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<ArtisanId>,
    ApiJson(body): ApiJson<DisclosureRequest>,
) -> Result<Json<DisclosureAnswer>, ApiError> {
    let record = state
        .catalog
        .set_label_disclosure(&principal, id, body.label_disclosure.into())
        .await?;
    Ok(Json(DisclosureAnswer {
        artisan_id: id,
        label_disclosure: record.artisan.label_disclosure.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_component_decodes_as_form_urlencoded_does() {
        for raw in [
            "%2Fp%2FAB%3Fc%3DX%26s%3Dy-z_",
            "a+b%20c",
            "%zz%4",
            "%C3%A9t%C3%A9",
            "%FF",
            "plain",
        ] {
            let expected = form_urlencoded::parse(format!("k={raw}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned());
            assert_eq!(Some(decode_form(raw).into_owned()), expected, "{raw}");
        }
    }

    #[test]
    fn verify_params_are_read_once_and_a_repeated_one_is_refused() {
        let params = VerifyParams::parse(Some("lang=ar&link=%2F01%2F1%2F21%2FX&place=sn5&x=1"));
        let params = params.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(params.link.as_deref(), Some("/01/1/21/X"));
        assert_eq!(params.place.as_deref(), Some("sn5"));
        assert!(VerifyParams::parse(None).is_ok_and(|p| p.link.is_none()));
        assert!(VerifyParams::parse(Some("link=a&l%69nk=b")).is_err());
    }
}
