//! Passwords: changed by their holder (other sessions end), or reset through a link sent by
//! email (every session ends).

use chrono::Utc;
use souk_db::{
    ConnectionTrait, begin_write,
    entities::accounts,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};
use souk_kernel::AccountId;

use super::{
    AuthService, Principal, account_from_row,
    one_time::{self, Purpose},
    sessions::end_sessions,
};
use crate::{AuthError, validate};

impl AuthService {
    /// Changes the signed-in account's password, given the current one; every other session of
    /// the account ends (the one of `bearer` stays), and so does every reset link sent to it.
    pub async fn change_password(
        &self,
        who: &Principal,
        bearer: &str,
        current: String,
        new: String,
    ) -> Result<(), AuthError> {
        let row = accounts::Entity::find_by_id(who.account_id.into_uuid())
            .one(&self.db)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let s = &self.settings;
        // A bucket of its own: others' failed sign-ins must not keep the holder from changing it.
        let bucket = format!("password:{}", who.account_id);
        self.limit(&[(bucket, s.login_limit_per_account)], s.login_window)
            .await?;
        if !self.hasher.verify(current, Some(row.password_hash)).await {
            return Err(AuthError::WrongPassword);
        }
        validate::password(&new)?;
        let hash = self.hasher.hash(new).await?;
        let keep = Self::session_of(bearer);
        let now = Utc::now();
        let tx = begin_write(&self.db).await?;
        set_password(&tx, who.account_id, hash, false).await?;
        one_time::spend_all(&tx, who.account_id, Purpose::PasswordReset, now).await?;
        let ended = end_sessions(&tx, who.account_id, Some(&keep)).await?;
        tx.commit().await?;
        self.forget_sessions(&ended).await;
        Ok(())
    }

    /// Sends a password-reset link to `email` if an account has it. Requests are limited per
    /// address asked for and per client; within the limits the answer comes before the address
    /// is looked up, and the link is made afterwards, so neither the answer's time nor a
    /// failure tells who has an account.
    pub async fn request_password_reset(&self, email: &str, client: &str) -> Result<(), AuthError> {
        let email = email.trim().to_lowercase();
        self.limit_emails(&email, client).await?;
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_reset(&email).await {
                tracing::warn!(error = %e, "a password-reset link could not be made");
            }
        });
        Ok(())
    }

    async fn send_reset(&self, email: &str) -> Result<(), AuthError> {
        let Ok(email) = validate::email(email) else {
            return Ok(());
        };
        let Some(row) = accounts::Entity::find()
            .filter(accounts::Column::Email.eq(&email))
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        let account = account_from_row(row)?;
        let s = &self.settings;
        let tx = begin_write(&self.db).await?;
        one_time::send(
            &tx,
            &account,
            Purpose::PasswordReset,
            s.reset_ttl,
            &s.links_url,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset token; the token is used up, the account's other reset
    /// links stop working, every session ends, and the email counts as verified (the link was
    /// read in its mailbox). Attempts are limited per client, and the token is checked before
    /// the new password is hashed, the costly part.
    pub async fn reset_password(
        &self,
        raw_token: &str,
        new: String,
        client: &str,
    ) -> Result<(), AuthError> {
        let s = &self.settings;
        let bucket = format!("reset:addr:{client}");
        self.limit(&[(bucket, s.login_limit_per_address)], s.login_window)
            .await?;
        validate::password(&new)?;
        one_time::check(&self.db, raw_token, Purpose::PasswordReset, Utc::now()).await?;
        let hash = self.hasher.hash(new).await?;
        let now = Utc::now();
        let tx = begin_write(&self.db).await?;
        let account = one_time::redeem(&tx, raw_token, Purpose::PasswordReset, now).await?;
        one_time::spend_all(&tx, account, Purpose::PasswordReset, now).await?;
        set_password(&tx, account, hash, true).await?;
        let ended = end_sessions(&tx, account, None).await?;
        tx.commit().await?;
        self.forget_sessions(&ended).await;
        Ok(())
    }

    /// Counts a request for an email to `email` from `client` against their limits.
    pub(super) async fn limit_emails(&self, email: &str, client: &str) -> Result<(), AuthError> {
        let s = &self.settings;
        self.limit(
            &[
                (format!("mail:addr:{client}"), s.email_limit_per_address),
                (format!("mail:acct:{email}"), s.email_limit_per_account),
            ],
            s.email_window,
        )
        .await
    }
}

async fn set_password(
    conn: &impl ConnectionTrait,
    account: AccountId,
    hash: String,
    verifies_email: bool,
) -> Result<(), AuthError> {
    accounts::Entity::update_many()
        .col_expr(accounts::Column::PasswordHash, Expr::value(hash))
        .filter(accounts::Column::Id.eq(account.into_uuid()))
        .exec(conn)
        .await?;
    if verifies_email {
        super::profile::mark_verified(conn, account).await?;
    }
    Ok(())
}
