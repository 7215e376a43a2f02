//! Sessions: sign in, who a bearer token belongs to, sign out (one session or all of them).
//!
//! Every authenticated request asks who its token belongs to, so the answer is cached, in the
//! shared cache under one scope per session. Ending a session deletes its row and invalidates
//! its scope: every replica refuses the token from the next request on (see `souk_cache`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use souk_cache::CacheKey;
use souk_db::{
    ConnectionTrait,
    entities::{accounts, sessions},
    sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set},
};
use souk_kernel::AccountId;

use super::{Account, AuthService, Principal, Session, account_from_row};
use crate::{AuthError, Role, token, validate};

/// What the cache keeps of a live session.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LiveSession {
    account_id: AccountId,
    role: Role,
    expires_at: DateTime<Utc>,
}

fn scope(hash: &str) -> String {
    format!("session:{hash}")
}

impl AuthService {
    /// Signs in. Attempts are limited per client address and per account (shared by all
    /// replicas through the cache) before any password is checked.
    pub async fn login(
        &self,
        email: &str,
        password: String,
        client: &str,
    ) -> Result<Session, AuthError> {
        let email = email.trim().to_lowercase();
        let s = &self.settings;
        self.limit(
            &[
                (format!("login:addr:{client}"), s.login_limit_per_address),
                (format!("login:acct:{email}"), s.login_limit_per_account),
            ],
            s.login_window,
        )
        .await?;

        // No account has an address that is not one (sign-up checks it), so none is looked up.
        let Ok(email) = validate::email(&email) else {
            return Err(AuthError::InvalidCredentials);
        };
        let row = accounts::Entity::find()
            .filter(accounts::Column::Email.eq(&email))
            .one(&self.db)
            .await?;
        let phc = row.as_ref().map(|r| r.password_hash.clone());
        if !self.hasher.verify(password, phc).await {
            return Err(AuthError::InvalidCredentials);
        }
        let Some(row) = row else {
            return Err(AuthError::InvalidCredentials);
        };
        let verified = row.password_hash.clone();
        let session = self.start_session(account_from_row(row)?).await?;
        self.still_valid(&session, &verified).await?;
        Ok(session)
    }

    /// Ends a session just started if the password it was started with changed meanwhile: a
    /// password change or reset ends every session it can see, and this one may have been
    /// written after it looked. On PostgreSQL the read waits for a change under way to commit.
    async fn still_valid(&self, session: &Session, verified: &str) -> Result<(), AuthError> {
        let current: Option<String> = accounts::Entity::find_by_id(session.account.id.into_uuid())
            .select_only()
            .column(accounts::Column::PasswordHash)
            .lock_shared()
            .into_tuple()
            .one(&self.db)
            .await?;
        if current.as_deref() == Some(verified) {
            return Ok(());
        }
        self.logout(&session.token).await?;
        Err(AuthError::InvalidCredentials)
    }

    /// A new session of `account`.
    async fn start_session(&self, account: Account) -> Result<Session, AuthError> {
        let now = Utc::now();
        let token = token::random_token();
        let ttl = chrono::Duration::from_std(self.settings.token_ttl)
            .unwrap_or(chrono::Duration::days(7));
        let expires_at = now + ttl;
        sessions::ActiveModel {
            token_hash: Set(token::token_hash(&token)),
            account_id: Set(account.id.into_uuid()),
            created_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(&self.db)
        .await?;
        // Housekeeping: this account's expired sessions go when it signs in again.
        sessions::Entity::delete_many()
            .filter(sessions::Column::AccountId.eq(account.id.into_uuid()))
            .filter(sessions::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?;
        Ok(Session {
            token,
            expires_at,
            account,
        })
    }

    /// Who holds this bearer token, if it is a live session's.
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError> {
        if !bearer.starts_with(token::PREFIX) || bearer.len() > 128 {
            return Err(AuthError::Unauthenticated);
        }
        let hash = token::token_hash(bearer);
        let scope = scope(&hash);
        let key = CacheKey {
            family: "session",
            scope: &scope,
            key: "live",
        };
        let live = self
            .sessions
            .get_or_load(key, || self.load_session(&hash))
            .await?;
        if live.expires_at <= Utc::now() {
            return Err(AuthError::Unauthenticated);
        }
        Ok(Principal {
            account_id: live.account_id,
            role: live.role,
        })
    }

    /// The session and its account, in one query.
    async fn load_session(&self, hash: &str) -> Result<LiveSession, AuthError> {
        let (session, account) = sessions::Entity::find_by_id(hash.to_owned())
            .find_also_related(accounts::Entity)
            .one(&self.db)
            .await?
            .filter(|(s, _)| s.expires_at > Utc::now())
            .ok_or(AuthError::Unauthenticated)?;
        let account = account_from_row(account.ok_or(AuthError::Unauthenticated)?)?;
        Ok(LiveSession {
            account_id: account.id,
            role: account.role,
            expires_at: session.expires_at,
        })
    }

    /// Signs this token's session out, on every replica. Signing out twice is not an error.
    pub async fn logout(&self, bearer: &str) -> Result<(), AuthError> {
        let hash = token::token_hash(bearer);
        sessions::Entity::delete_by_id(hash.clone())
            .exec(&self.db)
            .await?;
        self.sessions.invalidate(&[&scope(&hash)]).await;
        Ok(())
    }

    /// Signs out every session of this account.
    pub async fn logout_everywhere(&self, account: AccountId) -> Result<(), AuthError> {
        let ended = end_sessions(&self.db, account, None).await?;
        self.forget_sessions(&ended).await;
        Ok(())
    }

    /// Tells every replica that these sessions ended (after the commit that ended them).
    pub(super) async fn forget_sessions(&self, hashes: &[String]) {
        let scopes: Vec<String> = hashes.iter().map(|h| scope(h)).collect();
        let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
        self.sessions.invalidate(&scopes).await;
    }

    /// The hash of a bearer token, as sessions are stored.
    pub(super) fn session_of(bearer: &str) -> String {
        token::token_hash(bearer)
    }
}

/// Deletes the sessions of `account` but `keep`, and returns the hashes of those deleted (for
/// [`AuthService::forget_sessions`] once the change commits).
pub(super) async fn end_sessions(
    conn: &impl ConnectionTrait,
    account: AccountId,
    keep: Option<&str>,
) -> Result<Vec<String>, AuthError> {
    let mine = sessions::Column::AccountId.eq(account.into_uuid());
    let hashes: Vec<String> = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::TokenHash)
        .filter(mine.clone())
        .into_tuple()
        .all(conn)
        .await?;
    let ended: Vec<String> = hashes
        .into_iter()
        .filter(|h| Some(h.as_str()) != keep)
        .collect();
    if !ended.is_empty() {
        sessions::Entity::delete_many()
            .filter(mine)
            .filter(sessions::Column::TokenHash.is_in(ended.clone()))
            .exec(conn)
            .await?;
    }
    Ok(ended)
}
