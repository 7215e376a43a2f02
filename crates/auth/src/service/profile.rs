//! What an account holder changes of their own account, and the proof that its email is theirs.

use chrono::Utc;
use souk_db::{
    ConnectionTrait, begin_write,
    entities::accounts,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};
use souk_kernel::{AccountId, Lang};

use super::{
    Account, AuthService, Principal,
    one_time::{self, Purpose},
};
use crate::{AuthError, validate};

/// A change to one's own account; fields left `None` stay as they are.
#[derive(Clone, Debug, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    /// The language of the messages Souk sends them.
    pub lang: Option<Lang>,
}

impl AuthService {
    /// Changes the signed-in account's name or language.
    pub async fn update_account(
        &self,
        who: &Principal,
        changes: AccountChanges,
    ) -> Result<Account, AuthError> {
        let mut update = accounts::Entity::update_many()
            .filter(accounts::Column::Id.eq(who.account_id.into_uuid()));
        let changed = changes.display_name.is_some() || changes.lang.is_some();
        if let Some(name) = changes.display_name {
            let name = validate::display_name(&name)?;
            update = update.col_expr(accounts::Column::DisplayName, Expr::value(name));
        }
        if let Some(lang) = changes.lang {
            update = update.col_expr(accounts::Column::Lang, Expr::value(lang.code()));
        }
        if changed {
            update.exec(&self.db).await?;
        }
        self.account(who.account_id)
            .await?
            .ok_or(AuthError::Unauthenticated)
    }

    /// Queues the email that verifies `account`'s address, on `conn` (the caller's transaction).
    pub(super) async fn send_verification(
        &self,
        conn: &impl ConnectionTrait,
        account: &Account,
    ) -> Result<(), AuthError> {
        let s = &self.settings;
        one_time::send(
            conn,
            account,
            Purpose::EmailVerification,
            s.verification_ttl,
            &s.links_url,
        )
        .await
    }

    /// Sends the signed-in account a new verification link (limited as reset links are).
    pub async fn request_verification(
        &self,
        who: &Principal,
        client: &str,
    ) -> Result<(), AuthError> {
        let account = self
            .account(who.account_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if account.email_verified_at.is_some() {
            return Err(AuthError::AlreadyVerified);
        }
        self.limit_emails(&account.email, client).await?;
        let tx = begin_write(&self.db).await?;
        self.send_verification(&tx, &account).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks the email of the token's account verified; the token is used up.
    pub async fn verify_email(&self, raw_token: &str) -> Result<Account, AuthError> {
        let tx = begin_write(&self.db).await?;
        let id = one_time::redeem(&tx, raw_token, Purpose::EmailVerification, Utc::now()).await?;
        mark_verified(&tx, id).await?;
        tx.commit().await?;
        self.account(id).await?.ok_or(AuthError::TokenInvalid)
    }
}

/// Records the account's email as verified now, unless it already was.
pub(super) async fn mark_verified(
    conn: &impl ConnectionTrait,
    account: AccountId,
) -> Result<(), AuthError> {
    accounts::Entity::update_many()
        .col_expr(accounts::Column::EmailVerifiedAt, Expr::value(Utc::now()))
        .filter(accounts::Column::Id.eq(account.into_uuid()))
        .filter(accounts::Column::EmailVerifiedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
