//! `POST /v1/agent/sync`: the batch an agent's phone queued while offline.
//!
//! The body is bounded in bytes (read here, before anything is parsed) and in operations
//! (checked before anything is written). Each operation is read on its own: one that cannot
//! be read is answered as refused and the others go on.

use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use base64::Engine;
use http_body_util::{BodyExt, Limited};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use souk_agents::{AgentsError, Operation, OperationKind, Outcome};
use souk_kernel::{ArtisanId, ProductId};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{ApiError, Problem},
    extract::Authenticated,
    routes::{
        agency::OnboardRequest,
        products::{CreateProductRequest, UpdateProductRequest},
    },
    state::AppState,
};

/// A batch of queued operations, applied in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Each: `{"id": uuid, "type": ..., ...}`. Types: `onboard_artisan` (with `artisan_id` and
    /// `data` as for `POST /v1/agent/artisans`), `create_product` (with `product_id` and `data`
    /// as for `POST /v1/products`), `update_product` (with `product_id`, `base_version` and
    /// `data` as for `PATCH /v1/products/{id}`), `attach_photo` (with `product_id` and
    /// `data.content_base64`). New records take the UUIDv7 the phone gave them.
    #[schema(value_type = Vec<Object>)]
    pub operations: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    Applied,
    AlreadyApplied,
    Conflict,
    Rejected,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OperationResult {
    /// The operation's id (null when the operation had none that could be read).
    pub id: Option<Uuid>,
    pub status: OperationStatus,
    /// What was made or changed: ids and new versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Why it was refused, or the conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// On a conflict: the version now on the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResponse {
    /// One per operation, in the order sent.
    pub results: Vec<OperationResult>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    id: Uuid,
    #[serde(rename = "type")]
    kind: String,
    artisan_id: Option<Uuid>,
    product_id: Option<Uuid>,
    base_version: Option<i32>,
    #[serde(default)]
    data: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhotoData {
    content_base64: String,
}

/// Applies a batch of operations queued offline, each exactly once.
#[utoipa::path(
    post,
    path = "/v1/agent/sync",
    tag = "agents",
    request_body = SyncRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = SyncResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "batch_too_large"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sync(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SyncResponse>, ApiError> {
    let settings = state.agents.settings().clone();
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send application/json",
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            "Batch too large",
        )
        .detail(format!(
            "a sync batch is at most {} bytes; send the rest in another batch",
            settings.max_bytes
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > settings.max_bytes) {
        return Err(too_large());
    }
    let bytes = Limited::new(body, settings.max_bytes)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "body_unreadable", "Body cut off")
            }
        })?
        .to_bytes();
    let request: SyncRequest = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", "Malformed JSON")
            .detail(e.to_string())
    })?;
    if request.operations.len() > settings.max_operations {
        return Err(AgentsError::BatchTooLarge {
            count: request.operations.len(),
            max: settings.max_operations,
        }
        .into());
    }
    drop(bytes);
    let mut ids = Vec::with_capacity(request.operations.len());
    let mut operations = Vec::with_capacity(request.operations.len());
    let mut unidentified = Vec::new();
    for (index, value) in request.operations.into_iter().enumerate() {
        match read(value) {
            Ok(op) => {
                ids.push(Some(op.id));
                operations.push(op);
            }
            Err(problem) => {
                ids.push(None);
                unidentified.push((index, problem));
            }
        }
    }
    // The batch runs to its end even if the client goes away: its retry then finds every
    // operation applied instead of starting over.
    let agents = state.agents.clone();
    let outcomes = state
        .lifecycle
        .detached(async move { agents.sync(&principal, operations).await })
        .await?;
    let mut outcomes = outcomes.into_iter();
    let mut unidentified = unidentified.into_iter().peekable();
    let mut results = Vec::with_capacity(ids.len());
    for (index, id) in ids.into_iter().enumerate() {
        if id.is_none() {
            let problem = match unidentified.next_if(|(i, _)| *i == index) {
                Some((_, problem)) => *problem,
                None => ApiError::internal(&"sync answers out of step").into_problem(),
            };
            results.push(OperationResult {
                id: None,
                status: OperationStatus::Rejected,
                result: None,
                problem: Some(problem),
                current_version: None,
            });
            continue;
        }
        let outcome = outcomes
            .next()
            .ok_or_else(|| ApiError::internal(&"sync answered fewer operations than sent"))?;
        results.push(result(id, outcome));
    }
    Ok(Json(SyncResponse { results }))
}

fn result(id: Option<Uuid>, outcome: Outcome) -> OperationResult {
    let (status, result, problem, current_version) = match outcome {
        Outcome::Applied(r) => (OperationStatus::Applied, Some(r), None, None),
        Outcome::AlreadyApplied(r) => (OperationStatus::AlreadyApplied, Some(r), None, None),
        Outcome::Conflict { expected, actual } => {
            let problem =
                ApiError::from(souk_catalog::CatalogError::VersionConflict { expected, actual })
                    .into_problem();
            (OperationStatus::Conflict, None, Some(problem), Some(actual))
        }
        Outcome::Rejected(e) => (
            OperationStatus::Rejected,
            None,
            Some(ApiError::from(e).into_problem()),
            None,
        ),
    };
    OperationResult {
        id,
        status,
        result,
        problem,
        current_version,
    }
}

/// Reads one operation. An operation without a readable id is refused outright; one with an id
/// but a bad body goes to the batch as unreadable, so it is answered under its id.
fn read(value: serde_json::Value) -> Result<Operation, Box<Problem>> {
    let fingerprint = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    let id = value
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok());
    let envelope: Envelope = match serde_json::from_value(value) {
        Ok(envelope) => envelope,
        Err(e) => {
            let error = AgentsError::invalid_operation(e.to_string());
            return match id {
                Some(id) => Ok(Operation {
                    id,
                    fingerprint,
                    kind: OperationKind::Unreadable(error),
                }),
                None => Err(Box::new(ApiError::from(error).into_problem())),
            };
        }
    };
    let kind = kind(&envelope).unwrap_or_else(OperationKind::Unreadable);
    Ok(Operation {
        id: envelope.id,
        fingerprint,
        kind,
    })
}

fn kind(e: &Envelope) -> Result<OperationKind, AgentsError> {
    let data = || e.data.clone();
    let parse_err = |err: serde_json::Error| AgentsError::invalid_operation(format!("data: {err}"));
    match e.kind.as_str() {
        "onboard_artisan" => {
            let request: OnboardRequest = serde_json::from_value(data()).map_err(parse_err)?;
            Ok(OperationKind::OnboardArtisan {
                artisan: ArtisanId::from_uuid(v7("artisan_id", e.artisan_id)?),
                input: request.into_input(),
            })
        }
        "create_product" => {
            let request: CreateProductRequest =
                serde_json::from_value(data()).map_err(parse_err)?;
            Ok(OperationKind::CreateProduct {
                product: ProductId::from_uuid(v7("product_id", e.product_id)?),
                input: request.into_input(),
            })
        }
        "update_product" => {
            let request: UpdateProductRequest =
                serde_json::from_value(data()).map_err(parse_err)?;
            let base = e.base_version.ok_or_else(|| {
                AgentsError::invalid(
                    "base_version",
                    "an offline update names the version it was based on",
                )
            })?;
            if request.version.is_some_and(|v| v != base) {
                return Err(AgentsError::invalid(
                    "data.version",
                    "differs from base_version",
                ));
            }
            let product = e
                .product_id
                .ok_or_else(|| AgentsError::invalid("product_id", "is required"))?;
            Ok(OperationKind::UpdateProduct {
                product: ProductId::from_uuid(product),
                patch: request.into_patch(Some(base)),
            })
        }
        "attach_photo" => {
            let photo: PhotoData = serde_json::from_value(data()).map_err(parse_err)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(photo.content_base64.as_bytes())
                .map_err(|err| AgentsError::invalid("data.content_base64", err.to_string()))?;
            let product = e
                .product_id
                .ok_or_else(|| AgentsError::invalid("product_id", "is required"))?;
            Ok(OperationKind::AttachPhoto {
                product: ProductId::from_uuid(product),
                bytes: bytes.into(),
            })
        }
        "fulfilment_handed_over" => Err(AgentsError::Unsupported(
            "fulfilments come with orders, which this server does not have yet".into(),
        )),
        other => Err(AgentsError::Unsupported(format!(
            "unknown operation type {:?}",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

/// Ids of new records come from the phone, and must be UUIDv7 like every id in Souk.
fn v7(field: &str, id: Option<Uuid>) -> Result<Uuid, AgentsError> {
    let id = id.ok_or_else(|| AgentsError::invalid(field, "is required"))?;
    if id.get_version_num() == 7 {
        Ok(id)
    } else {
        Err(AgentsError::invalid(field, "must be a UUIDv7"))
    }
}
