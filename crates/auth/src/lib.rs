//! Accounts and sign-in: registration, Argon2id password hashes, opaque bearer tokens stored as
//! hashes, roles, and login rate limited per account and per client address.

mod error;
mod password;
mod role;
mod service;
mod token;
mod validate;

pub use error::AuthError;
pub use password::{PasswordHasher, PasswordParams};
pub use role::Role;
pub use service::{
    Account, AccountChanges, AccountFilter, AuthService, AuthSettings, DEFAULT_LANG, NewAccount,
    PreparedAccount, Principal, Session, account_lang,
};
