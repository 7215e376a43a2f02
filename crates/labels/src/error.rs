//! What the labels crate refuses.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no {0} with this id")]
    NotFound(&'static str),
    /// Labels are issued only under a passed certification, within its validity.
    #[error("the certification cannot issue labels: {0}")]
    CertificationNotCurrent(&'static str),
    #[error("the label is already revoked")]
    AlreadyRevoked,
    #[error("label {serial} cannot go with this parcel: {why}")]
    LabelUnavailable { serial: String, why: &'static str },
    #[error("not a label link: {0}")]
    Link(#[from] crate::link::LinkError),
    #[error("too many requests: try again in {} s", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Catalog(#[from] souk_catalog::CatalogError),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
    #[error(transparent)]
    Busy(#[from] souk_kernel::Busy),
    #[error("printing failed: {0}")]
    Print(String),
    #[error("stored label data is unreadable: {0}")]
    Corrupt(String),
}

impl LabelsError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        LabelsError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
