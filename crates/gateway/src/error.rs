//! The one place errors become HTTP: `application/problem+json` (RFC 9457) with a stable `code`.
//! A 5xx says nothing of its cause to the client; the cause is logged.

use std::time::Duration;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use souk_agents::AgentsError;
use souk_auth::AuthError;
use souk_catalog::CatalogError;
use souk_labels::LabelsError;
use souk_media::MediaError;
use souk_orders::OrdersError;
use souk_payments::PaymentsError;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem report, as clients receive it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:souk:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable, machine-readable: clients branch on this.
    pub code: String,
    /// Which fields were refused and why (validation problems).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Vec<FieldProblem>,
    retry_after: Option<Duration>,
    /// The failure left nothing behind and a read may be tried again at once (see
    /// [`RetryOnce`]).
    retry_once: bool,
}

/// Marks an answer whose request failed because the database dropped its connection: a read
/// (GET or HEAD) is then run once more, on another connection, before anything is answered.
#[derive(Clone, Copy, Debug)]
pub struct RetryOnce;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Self {
        Self {
            status,
            code,
            title,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            retry_once: false,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldProblem {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// A failure of ours: logged with its cause, reported without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side",
        )
    }

    /// A service we depend on failed: 503 with `Retry-After`.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "a dependency is unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Temporarily unavailable, try again",
        )
        .retry_after(Duration::from_secs(1))
    }

    /// 429: the client went past a limit; `Retry-After` says when it may try again.
    pub fn rate_limited(title: &'static str, retry_after: Duration) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", title)
            .detail(format!("try again in {} s", retry_after.as_secs().max(1)))
            .retry_after(retry_after)
    }

    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request has invalid fields",
        )
        .field(field, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
            .detail(format!("no {what} with this id"))
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Sign in first")
            .detail("send a valid bearer token in the Authorization header")
    }

    /// A list's `cursor` that is not one the list gave out.
    pub fn invalid_cursor() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_cursor", "Invalid cursor")
            .detail("send the next_cursor of the previous page as it was given")
    }
}

impl ApiError {
    /// The problem report, for answers that carry several (a sync batch's operations).
    pub fn into_problem(self) -> Problem {
        Problem {
            kind: format!("urn:souk:problem:{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            errors: self.errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, retry_after, code) = (self.status, self.retry_after, self.code);
        let retry_once = self.retry_once;
        let problem = self.into_problem();
        let mut response = (status, Json(problem)).into_response();
        if retry_once {
            response.extensions_mut().insert(RetryOnce);
        }
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(after) = retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(after.as_secs().max(1)),
            );
        }
        if status == StatusCode::UNAUTHORIZED && code == "unauthenticated" {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn from_db(err: &souk_db::DbErr) -> ApiError {
    use souk_db::Outage;
    match souk_db::outage(err) {
        Some(Outage::Lost) => {
            return ApiError {
                retry_once: true,
                ..ApiError::unavailable(err)
            };
        }
        Some(Outage::Unreachable) => return ApiError::unavailable(err),
        None => {}
    }
    match err {
        _ if souk_db::is_unstorable_text(err) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "unstorable_text",
            "The request holds text that cannot be stored",
        )
        .detail("remove NUL (U+0000) characters"),
        _ => ApiError::internal(err),
    }
}

/// Every replica's heavy-work slots were taken for longer than a request waits.
impl From<souk_kernel::Busy> for ApiError {
    fn from(busy: souk_kernel::Busy) -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Busy, try again shortly",
        )
        .detail("busy with other heavy work (photos, label sheets, label batches)")
        .retry_after(busy.retry_after)
    }
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::Invalid { field, message } => ApiError::validation(field, message),
            CatalogError::NotFound(what) => ApiError::not_found(what),
            CatalogError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            CatalogError::VersionConflict { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                "Changed since you read it",
            )
            .detail(err.to_string()),
            CatalogError::ConsentRequired => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "consent_required",
                "The artisan's consent is not on record",
            )
            .detail(err.to_string()),
            CatalogError::InvalidClaimCode => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_claim_code",
                "Claim code not valid",
            )
            .detail(err.to_string()),
            CatalogError::AlreadyClaimed => ApiError::new(
                StatusCode::CONFLICT,
                "already_claimed",
                "The artisan has their own account",
            )
            .detail(err.to_string()),
            CatalogError::RateLimited { retry_after } => {
                ApiError::rate_limited("Too many uploads", retry_after)
            }
            CatalogError::Busy(busy) => busy.into(),
            CatalogError::CraftExists(_) => ApiError::new(
                StatusCode::CONFLICT,
                "craft_exists",
                "The craft exists already",
            )
            .detail(err.to_string()),
            CatalogError::Photo(photo) => photo.into(),
            CatalogError::InvalidCursor => ApiError::invalid_cursor(),
            CatalogError::Account(auth) => auth.into(),
            CatalogError::Db(db) => from_db(&db),
            CatalogError::SearchUnavailable(_) => ApiError::unavailable(&err),
            CatalogError::Corrupt(_) => ApiError::internal(&err),
        }
    }
}

impl From<MediaError> for ApiError {
    fn from(err: MediaError) -> Self {
        let (status, title) = match &err {
            MediaError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "Photo too large"),
            MediaError::NotAnImage => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Not a JPEG, PNG or WebP image",
            ),
            MediaError::TooManyPixels { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Photo has too many pixels",
            ),
            MediaError::Undecodable(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Photo is damaged or incomplete",
            ),
            MediaError::NotFound => return ApiError::not_found("photo"),
            MediaError::Storage(_) => return ApiError::unavailable(&err),
        };
        ApiError::new(status, err.code(), title).detail(err.to_string())
    }
}

impl From<AgentsError> for ApiError {
    fn from(err: AgentsError) -> Self {
        match err {
            AgentsError::Invalid { field, message } => ApiError::validation(field, message),
            AgentsError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            AgentsError::NotFound => ApiError::not_found("agent"),
            AgentsError::BatchTooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                "Too many operations in one batch",
            )
            .detail(err.to_string()),
            AgentsError::Unsupported(why) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_operation",
                "Operation not supported",
            )
            .detail(why),
            AgentsError::OperationIdReused => ApiError::new(
                StatusCode::CONFLICT,
                "operation_id_reused",
                "Operation id already used",
            )
            .detail(err.to_string()),
            AgentsError::Catalog(e) => e.into(),
            AgentsError::Account(e) => e.into(),
            AgentsError::Db(db) => from_db(&db),
        }
    }
}

impl From<OrdersError> for ApiError {
    fn from(err: OrdersError) -> Self {
        let problem = |status, code, title| ApiError::new(status, code, title);
        match err {
            OrdersError::Invalid { field, message } => ApiError::validation(field, message),
            OrdersError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            OrdersError::NotFound(what) => ApiError::not_found(what),
            OrdersError::OutOfStock { .. } => problem(
                StatusCode::CONFLICT,
                "out_of_stock",
                "Not enough left in stock",
            )
            .detail(err.to_string()),
            OrdersError::ProductUnavailable { .. } => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "product_unavailable",
                "A product cannot be ordered",
            )
            .detail(err.to_string()),
            OrdersError::NoShippingRate(_) => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_shipping_rate",
                "No shipping rate covers this parcel",
            )
            .detail(err.to_string()),
            OrdersError::IdempotencyKeyReused => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key already used for another request",
            )
            .detail(err.to_string()),
            OrdersError::IllegalTransition { .. } => problem(
                StatusCode::CONFLICT,
                "illegal_transition",
                "Not possible in the current status",
            )
            .detail(err.to_string()),
            OrdersError::CardRefundUnavailable => problem(
                StatusCode::CONFLICT,
                "card_refund_unavailable",
                "Card refunds are off",
            )
            .detail(err.to_string()),
            OrdersError::Provider(_) => ApiError::unavailable(&err),
            OrdersError::Catalog(e) => e.into(),
            OrdersError::Db(db) => from_db(&db),
            OrdersError::Corrupt(_) | OrdersError::Ledger(_) => ApiError::internal(&err),
        }
    }
}

impl From<PaymentsError> for ApiError {
    fn from(err: PaymentsError) -> Self {
        match err {
            PaymentsError::Invalid { field, message } => ApiError::validation(field, message),
            PaymentsError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            PaymentsError::NotFound(what) => ApiError::not_found(what),
            PaymentsError::NothingToPay => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "nothing_to_pay",
                "Nobody to pay",
            )
            .detail(err.to_string()),
            PaymentsError::CardPaymentsDisabled => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "card_payments_disabled",
                "Card payments are off",
            )
            .detail(err.to_string()),
            PaymentsError::NotPayable(_) => ApiError::new(
                StatusCode::CONFLICT,
                "not_payable",
                "This order cannot be paid so",
            )
            .detail(err.to_string()),
            PaymentsError::BadSignature(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_signature",
                "The webhook's signature does not verify",
            )
            .detail(err.to_string()),
            PaymentsError::UnreadableEvent(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_event",
                "The event cannot be read",
            )
            .detail(err.to_string()),
            PaymentsError::Provider(_) => ApiError::unavailable(&err),
            PaymentsError::Orders(e) => e.into(),
            PaymentsError::Catalog(e) => e.into(),
            PaymentsError::Db(db) => from_db(&db),
            PaymentsError::Ledger(_) | PaymentsError::Corrupt(_) => ApiError::internal(&err),
        }
    }
}

impl From<souk_notify::NotifyError> for ApiError {
    fn from(err: souk_notify::NotifyError) -> Self {
        use souk_notify::NotifyError;
        match err {
            NotifyError::Invalid { field, message } => ApiError::validation(field, message),
            NotifyError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            NotifyError::NotFound(what) => ApiError::not_found(what),
            NotifyError::Db(db) => from_db(&db),
            NotifyError::Corrupt(_)
            | NotifyError::Client(_)
            | NotifyError::Template(_)
            | NotifyError::Channel { .. }
            | NotifyError::Domain(..) => ApiError::internal(&err),
        }
    }
}

impl From<LabelsError> for ApiError {
    fn from(err: LabelsError) -> Self {
        match err {
            LabelsError::Invalid { field, message } => ApiError::validation(field, message),
            LabelsError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            LabelsError::NotFound(what) => ApiError::not_found(what),
            LabelsError::CertificationNotCurrent(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "certification_not_current",
                "The certification cannot issue labels",
            )
            .detail(err.to_string()),
            LabelsError::AlreadyRevoked => ApiError::new(
                StatusCode::CONFLICT,
                "already_revoked",
                "The label is already revoked",
            )
            .detail(err.to_string()),
            LabelsError::LabelUnavailable { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "label_unavailable",
                "A label cannot go with this parcel",
            )
            .detail(err.to_string()),
            LabelsError::Link(souk_labels::link::LinkError::NotALabel) => {
                ApiError::not_found("label").detail(err.to_string())
            }
            LabelsError::Link(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_label_link",
                "Not a label link (GS1 Digital Link syntax)",
            )
            .detail(err.to_string()),
            LabelsError::RateLimited { retry_after } => {
                ApiError::rate_limited("Too many requests", retry_after)
            }
            LabelsError::Catalog(e) => e.into(),
            LabelsError::Busy(busy) => busy.into(),
            LabelsError::Db(db) => from_db(&db),
            LabelsError::Keys(_) | LabelsError::Print(_) | LabelsError::Corrupt(_) => {
                ApiError::internal(&err)
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Invalid { field, message } => ApiError::validation(field, message),
            AuthError::EmailTaken => ApiError::new(
                StatusCode::CONFLICT,
                "email_taken",
                "Email already registered",
            )
            .detail(err.to_string()),
            AuthError::RoleNotSelfAssignable => ApiError::new(
                StatusCode::FORBIDDEN,
                "role_not_allowed",
                "Role not available at sign-up",
            )
            .detail("agents, certifiers and admins are appointed by an operator"),
            AuthError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Email or password is wrong",
            ),
            AuthError::RateLimited { retry_after } => {
                ApiError::rate_limited("Too many attempts", retry_after)
            }
            AuthError::Unauthenticated => ApiError::unauthenticated(),
            AuthError::WrongPassword => ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_password",
                "The current password is wrong",
            ),
            AuthError::TokenInvalid => ApiError::new(
                StatusCode::BAD_REQUEST,
                "token_invalid",
                "This link is unknown, already used or expired",
            )
            .detail("ask for a new one"),
            AuthError::Forbidden(why) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(why)
            }
            AuthError::AlreadyVerified => ApiError::new(
                StatusCode::CONFLICT,
                "already_verified",
                "This email is already verified",
            ),
            AuthError::Db(db) => from_db(&db),
            AuthError::Hashing(_) => ApiError::internal(&err),
        }
    }
}
