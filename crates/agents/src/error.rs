//! What the agents crate refuses.

use souk_catalog::CatalogError;

#[derive(Debug, thiserror::Error)]
pub enum AgentsError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no agent with this id")]
    NotFound,
    #[error("a sync batch holds at most {max} operations; this one has {count}")]
    BatchTooLarge { count: usize, max: usize },
    #[error("{0}")]
    Unsupported(String),
    #[error("this operation id was already used for a different operation")]
    OperationIdReused,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Account(#[from] souk_auth::AuthError),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
}

impl AgentsError {
    /// An operation whose shape could not be read.
    pub fn invalid_operation(message: impl Into<String>) -> Self {
        Self::invalid("operation", message)
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AgentsError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
