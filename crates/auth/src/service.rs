//! The accounts service: sign up, and who an account is. Sessions, passwords, one-time
//! tokens sent by email and profile changes each have their own module below.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use souk_cache::{Cache, RateDecision};
use souk_db::{
    ConnectionTrait, DatabaseConnection, begin_write,
    entities::accounts,
    is_unique_violation,
    sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set},
};
use souk_kernel::{AccountId, Lang};

use crate::{AuthError, PasswordHasher, PasswordParams, Role, validate};

#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub token_ttl: Duration,
    pub login_limit_per_account: u64,
    pub login_limit_per_address: u64,
    pub login_window: Duration,
    pub password: PasswordParams,
    /// How long a password-reset link works.
    pub reset_ttl: Duration,
    /// How long an email-verification link works.
    pub verification_ttl: Duration,
    /// Password-reset and verification emails allowed per window, per address asked for and
    /// per client address.
    pub email_limit_per_account: u64,
    pub email_limit_per_address: u64,
    pub email_window: Duration,
    /// The page of the shop that takes the tokens sent by email:
    /// `<links_url>/reset-password?token=…` and `<links_url>/verify-email?token=…`.
    pub links_url: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(7 * 24 * 3600),
            login_limit_per_account: 10,
            login_limit_per_address: 30,
            login_window: Duration::from_secs(900),
            password: PasswordParams::default(),
            reset_ttl: Duration::from_secs(30 * 60),
            verification_ttl: Duration::from_secs(7 * 24 * 3600),
            email_limit_per_account: 3,
            email_limit_per_address: 20,
            email_window: Duration::from_secs(3600),
            links_url: "http://127.0.0.1:8080/account".to_owned(),
        }
    }
}

/// How long a replica trusts a cached session without the database.
const SESSION_TTL: Duration = Duration::from_secs(60);

/// The language messages are written in for an account that chose none, and none was chosen
/// for it (by the artisan profile it came with): French, the region's written lingua franca in
/// commerce.
pub const DEFAULT_LANG: Lang = Lang::Fr;

/// An account's language: the one chosen, else the one its profile reads (an artisan's
/// `default_lang`), else [`DEFAULT_LANG`].
pub fn account_lang(chosen: Option<Lang>, profile: Option<Lang>) -> Lang {
    chosen.or(profile).unwrap_or(DEFAULT_LANG)
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
    /// When they proved the email theirs; `None` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
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
    /// Who each live session is: the shared cache under a namespace of its own, so sign-outs
    /// never make cached catalog values be checked again; entries live a minute at most, which
    /// bounds how long a sign-out whose invalidation could not reach Redis goes unseen.
    sessions: Cache,
    hasher: PasswordHasher,
    settings: Arc<AuthSettings>,
}

impl AuthService {
    /// Counts one attempt against each bucket; the first one over its limit refuses it.
    async fn limit(&self, buckets: &[(String, u64)], window: Duration) -> Result<(), AuthError> {
        for (bucket, limit) in buckets {
            if let RateDecision::Limited { retry_after } =
                self.cache.rate_limit(bucket, *limit, window).await
            {
                return Err(AuthError::RateLimited { retry_after });
            }
        }
        Ok(())
    }

    pub fn new(
        db: DatabaseConnection,
        cache: Cache,
        settings: AuthSettings,
    ) -> Result<Self, AuthError> {
        let hasher = PasswordHasher::new(settings.password)?;
        Ok(Self {
            db,
            sessions: cache.sibling("sessions", SESSION_TTL, 100_000),
            cache,
            hasher,
            settings: Arc::new(settings),
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
            email_verified_at: Set(None),
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

    /// Self sign-up of a buyer or artisan account. A buyer is sent a link that verifies their
    /// email, in the same transaction.
    pub async fn register(&self, new: NewAccount) -> Result<Account, AuthError> {
        let prepared = self.prepare(new, false).await?;
        let tx = begin_write(&self.db).await?;
        let account = Self::insert(&tx, prepared).await?;
        if account.role == Role::Buyer {
            self.send_verification(&tx, &account).await?;
        }
        tx.commit().await?;
        Ok(account)
    }

    /// An operator creating an account of any role (the `souk accounts create` command).
    pub async fn appoint(&self, new: NewAccount) -> Result<Account, AuthError> {
        let prepared = self.prepare(new, true).await?;
        Self::insert(&self.db, prepared).await
    }
}

pub(crate) fn account_from_row(row: accounts::Model) -> Result<Account, AuthError> {
    let role = row
        .role
        .parse()
        .map_err(|e| AuthError::Db(souk_db::DbErr::Type(format!("accounts.role: {e}"))))?;
    Ok(Account {
        id: AccountId::from_uuid(row.id),
        email: row.email,
        display_name: row.display_name,
        role,
        // Written only from a `Lang`; anything else would be a hand edit: read it as the default.
        lang: row.lang.parse().unwrap_or(DEFAULT_LANG),
        email_verified_at: row.email_verified_at,
        created_at: row.created_at,
    })
}

mod one_time;
mod passwords;
mod profile;
mod roster;
mod sessions;
#[cfg(test)]
mod tests;

pub use profile::AccountChanges;
pub use roster::AccountFilter;
