//! What can go wrong signing up, signing in, or presenting a token.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("this role cannot be chosen at registration")]
    RoleNotSelfAssignable,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("too many sign-in attempts")]
    RateLimited { retry_after: Duration },
    #[error("missing, unknown or expired token")]
    Unauthenticated,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("this link is unknown, already used or expired")]
    TokenInvalid,
    #[error("this email is already verified")]
    AlreadyVerified,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] souk_db::DbErr),
}

impl AuthError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AuthError::Invalid {
            field,
            message: message.into(),
        }
    }
}
