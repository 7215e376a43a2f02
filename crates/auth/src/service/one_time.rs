//! One-time tokens sent by email: a password reset, an email verification. Like session tokens,
//! only their SHA-256 is stored; each works once, until it expires. The email itself goes out
//! through the outbox, in the transaction that made the token, so it is sent once the token
//! exists and never for a token that was rolled back.

use chrono::{DateTime, Utc};
use serde_json::json;
use souk_db::{
    ConnectionTrait,
    entities::{account_tokens, outbox_events},
    outbox,
    sea_orm::{
        ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, sea_query::Expr,
    },
};
use souk_kernel::AccountId;

use super::Account;
use crate::{AuthError, token};

/// What a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    PasswordReset,
    EmailVerification,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailVerification => "email_verification",
        }
    }

    /// The outbox topic of the email that carries it (`account.*` topics are never sent to
    /// integrators' webhooks: their payloads hold secrets).
    fn topic(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "account.password_reset_requested",
            Purpose::EmailVerification => "account.verification_requested",
        }
    }

    /// The shop's page that takes it.
    fn page(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "reset-password",
            Purpose::EmailVerification => "verify-email",
        }
    }
}

/// Makes a token for `account` and queues the email that carries it, on `conn` (the caller's
/// transaction).
pub(super) async fn send(
    conn: &impl ConnectionTrait,
    account: &Account,
    purpose: Purpose,
    ttl: std::time::Duration,
    links_url: &str,
) -> Result<(), AuthError> {
    let now = Utc::now();
    let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1));
    let raw = token::random_token();
    account_tokens::ActiveModel {
        token_hash: Set(token::token_hash(&raw)),
        account_id: Set(account.id.into_uuid()),
        purpose: Set(purpose.as_str().to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    let link = format!(
        "{}/{}?token={raw}",
        links_url.trim_end_matches('/'),
        purpose.page()
    );
    let payload = json!({
        "account_id": account.id,
        "link": link,
        "expires_at": expires_at,
    });
    let event: outbox_events::ActiveModel =
        outbox::event(purpose.topic(), account.id.into_uuid(), payload, now);
    event.insert(conn).await?;
    Ok(())
}

/// The rows of a token that still works: of `purpose`, unused, unexpired.
fn live(raw: &str, purpose: Purpose, now: DateTime<Utc>) -> Result<Condition, AuthError> {
    if !raw.starts_with(token::PREFIX) || raw.len() > 128 {
        return Err(AuthError::TokenInvalid);
    }
    Ok(Condition::all()
        .add(account_tokens::Column::TokenHash.eq(token::token_hash(raw)))
        .add(account_tokens::Column::Purpose.eq(purpose.as_str()))
        .add(account_tokens::Column::UsedAt.is_null())
        .add(account_tokens::Column::ExpiresAt.gt(now)))
}

/// Refuses a token that does not work, without using it up (a cheap check before costly work).
pub(super) async fn check(
    conn: &impl ConnectionTrait,
    raw: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let found = account_tokens::Entity::find()
        .filter(live(raw, purpose, now)?)
        .one(conn)
        .await?;
    found.map(|_| ()).ok_or(AuthError::TokenInvalid)
}

/// Uses up a token: the account it was made for, if it is one of `purpose`, unused and
/// unexpired. Two requests with the same token: exactly one gets the account.
pub(super) async fn redeem(
    conn: &impl ConnectionTrait,
    raw: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<AccountId, AuthError> {
    let row = account_tokens::Entity::find()
        .filter(live(raw, purpose, now)?)
        .one(conn)
        .await?
        .ok_or(AuthError::TokenInvalid)?;
    let used = account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
        .filter(live(raw, purpose, now)?)
        .exec(conn)
        .await?;
    if used.rows_affected != 1 {
        return Err(AuthError::TokenInvalid);
    }
    Ok(AccountId::from_uuid(row.account_id))
}

/// Marks every unused token of `purpose` of this account used: a new password leaves no other
/// reset link working.
pub(super) async fn spend_all(
    conn: &impl ConnectionTrait,
    account: AccountId,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(now))
        .filter(account_tokens::Column::AccountId.eq(account.into_uuid()))
        .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(account_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
