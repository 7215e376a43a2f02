//! What the relay refuses or fails at.

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no {0} with this id")]
    NotFound(&'static str),
    #[error("stored relay data is unreadable: {0}")]
    Corrupt(String),
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
    #[error("a message template failed: {0}")]
    Template(String),
    #[error("the {channel} channel is misconfigured: {message}")]
    Channel {
        channel: &'static str,
        message: String,
    },
    /// What another domain answered when asked who hears of an event.
    #[error("reading {0}: {1}")]
    Domain(&'static str, String),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
}

impl NotifyError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        NotifyError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
