//! What the catalog refuses, and why.

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no {0} with this id")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the product changed since version {expected}: it is now at version {actual}")]
    VersionConflict { expected: i32, actual: i32 },
    #[error("the artisan's consent to be listed through someone else is not on record")]
    ConsentRequired,
    #[error("this claim code is not valid: unknown, already used or expired")]
    InvalidClaimCode,
    #[error("the artisan already has an account of their own")]
    AlreadyClaimed,
    #[error("too many uploads: try again in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: std::time::Duration },
    #[error(transparent)]
    Busy(#[from] souk_kernel::Busy),
    #[error("a craft with the slug {0} exists already")]
    CraftExists(String),
    #[error("the cursor does not belong to this listing")]
    InvalidCursor,
    #[error(transparent)]
    Account(#[from] souk_auth::AuthError),
    #[error("search is unavailable: {0}")]
    SearchUnavailable(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Photo(#[from] souk_media::MediaError),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
}

impl CatalogError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CatalogError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
