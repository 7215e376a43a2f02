//! The accounts service: sign up, sign in, and who a bearer token belongs to.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use souk_cache::{Cache, RateDecision};
use souk_db::{
    ConnectionTrait, DatabaseConnection,
    entities::{accounts, sessions},
    is_unique_violation,
    sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::{AccountId, Lang};

use crate::{AuthError, PasswordHasher, PasswordParams, Role, token, validate};

#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub token_ttl: Duration,
    pub login_limit_per_account: u64,
    pub login_limit_per_address: u64,
    pub login_window: Duration,
    pub password: PasswordParams,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(7 * 24 * 3600),
            login_limit_per_account: 10,
            login_limit_per_address: 30,
            login_window: Duration::from_secs(900),
            password: PasswordParams::default(),
        }
    }
}

/// What someone signing up gives.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub display_name: String,
    pub role: Role,
    /// The language messages to them are written in.
    pub lang: Lang,
}

/// A sign-up that passed its checks and has its password hashed, ready to insert (possibly in a
/// transaction with more, as an artisan's profile).
#[derive(Clone, Debug)]
pub struct PreparedAccount {
    id: AccountId,
    email: String,
    password_hash: String,
    display_name: String,
    role: Role,
    lang: Lang,
}

impl PreparedAccount {
    pub fn id(&self) -> AccountId {
        self.id
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub lang: Lang,
    pub created_at: DateTime<Utc>,
}

/// A signed-in session: the bearer token is only ever in this value, never stored.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: Account,
}

/// Who is making a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub account_id: AccountId,
    pub role: Role,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[derive(Clone, Debug)]
pub struct AuthService {
    db: DatabaseConnection,
    cache: Cache,
    hasher: PasswordHasher,
    settings: Arc<AuthSettings>,
    /// Sessions recently checked, by token hash: every authenticated request needs one, and a
    /// session never changes (no sign-out yet, roles are fixed at creation). Entries live a
    /// minute and never past the session's own expiry.
    sessions: moka::future::Cache<String, (Principal, chrono::DateTime<Utc>)>,
}

impl AuthService {
    pub fn new(
        db: DatabaseConnection,
        cache: Cache,
        settings: AuthSettings,
    ) -> Result<Self, AuthError> {
        let hasher = PasswordHasher::new(settings.password)?;
        Ok(Self {
            db,
            cache,
            hasher,
            settings: Arc::new(settings),
            sessions: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
        })
    }

    /// Checks a sign-up and hashes its password. `appointed` allows the roles that cannot be
    /// self-chosen (an operator creating an agent, certifier or admin).
    pub async fn prepare(
        &self,
        new: NewAccount,
        appointed: bool,
    ) -> Result<PreparedAccount, AuthError> {
        if !appointed && !new.role.is_self_assignable() {
            return Err(AuthError::RoleNotSelfAssignable);
        }
        let email = validate::email(&new.email)?;
        let display_name = validate::display_name(&new.display_name)?;
        validate::password(&new.password)?;
        let password_hash = self.hasher.hash(new.password).await?;
        Ok(PreparedAccount {
            id: AccountId::new(),
            email,
            password_hash,
            display_name,
            role: new.role,
            lang: new.lang,
        })
    }

    /// Inserts a prepared account on `conn` (a transaction, or the pool).
    pub async fn insert(
        conn: &impl ConnectionTrait,
        prepared: PreparedAccount,
    ) -> Result<Account, AuthError> {
        let now = Utc::now();
        let row = accounts::ActiveModel {
            id: Set(prepared.id.into_uuid()),
            email: Set(prepared.email),
            password_hash: Set(prepared.password_hash),
            role: Set(prepared.role.as_str().to_owned()),
            display_name: Set(prepared.display_name),
            lang: Set(prepared.lang.code().to_owned()),
            created_at: Set(now),
        };
        let row = row.insert(conn).await.map_err(|e| {
            if is_unique_violation(&e) {
                AuthError::EmailTaken
            } else {
                AuthError::Db(e)
            }
        })?;
        account_from_row(row)
    }

    /// An account by its id.
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, AuthError> {
        accounts::Entity::find_by_id(id.into_uuid())
            .one(&self.db)
            .await?
            .map(account_from_row)
            .transpose()
    }

    /// The accounts with these ids (those that exist), with their email and language: whom a
    /// notification goes to, and in which words.
    pub async fn contacts(
        conn: &impl ConnectionTrait,
        ids: &[AccountId],
    ) -> Result<std::collections::HashMap<AccountId, Account>, AuthError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        accounts::Entity::find()
            .filter(accounts::Column::Id.is_in(ids.iter().map(|id| id.into_uuid())))
            .all(conn)
            .await?
            .into_iter()
            .map(|row| account_from_row(row).map(|a| (a.id, a)))
            .collect()
    }

    /// Self sign-up of a buyer or artisan account.
    pub async fn register(&self, new: NewAccount) -> Result<Account, AuthError> {
        let prepared = self.prepare(new, false).await?;
        Self::insert(&self.db, prepared).await
    }

    /// An operator creating an account of any role (the `souk accounts create` command).
    pub async fn appoint(&self, new: NewAccount) -> Result<Account, AuthError> {
        let prepared = self.prepare(new, true).await?;
        Self::insert(&self.db, prepared).await
    }

    /// Signs in. Attempts are limited per client address and per account (shared by all
    /// replicas through the cache) before any password is checked.
    pub async fn login(
        &self,
        email: &str,
        password: String,
        client: &str,
    ) -> Result<Session, AuthError> {
        let email = email.trim().to_lowercase();
        let window = self.settings.login_window;
        let buckets = [
            (
                format!("login:addr:{client}"),
                self.settings.login_limit_per_address,
            ),
            (
                format!("login:acct:{email}"),
                self.settings.login_limit_per_account,
            ),
        ];
        for (bucket, limit) in buckets {
            if let RateDecision::Limited { retry_after } =
                self.cache.rate_limit(&bucket, limit, window).await
            {
                return Err(AuthError::RateLimited { retry_after });
            }
        }

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
        let account = account_from_row(row)?;

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
        let now = Utc::now();
        if let Some((principal, expires_at)) = self.sessions.get(&hash).await
            && expires_at > now
        {
            return Ok(principal);
        }
        // The session and its account in one query.
        let (session, account) = sessions::Entity::find_by_id(hash.clone())
            .find_also_related(accounts::Entity)
            .one(&self.db)
            .await?
            .filter(|(s, _)| s.expires_at > now)
            .ok_or(AuthError::Unauthenticated)?;
        let account = account.ok_or(AuthError::Unauthenticated)?;
        let account = account_from_row(account)?;
        let principal = Principal {
            account_id: account.id,
            role: account.role,
        };
        self.sessions
            .insert(hash, (principal, session.expires_at))
            .await;
        Ok(principal)
    }
}

fn account_from_row(row: accounts::Model) -> Result<Account, AuthError> {
    let role = row
        .role
        .parse()
        .map_err(|e| AuthError::Db(souk_db::DbErr::Type(format!("accounts.role: {e}"))))?;
    Ok(Account {
        id: AccountId::from_uuid(row.id),
        email: row.email,
        display_name: row.display_name,
        role,
        // Written only from a `Lang`; anything else would be a hand edit: read it as French.
        lang: row.lang.parse().unwrap_or(Lang::Fr),
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests;
