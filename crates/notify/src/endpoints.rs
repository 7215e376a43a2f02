//! Integrators' webhook endpoints: registered by admins, each with its topics and the secret its
//! deliveries are signed with (shown once, when it is made).

use chrono::{DateTime, Utc};
use serde::Serialize;
use souk_auth::Principal;
use souk_db::{
    ConnectionTrait,
    entities::webhook_endpoints,
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder},
};
use uuid::Uuid;

use crate::{NotifyError, Relay, require_admin, targets};

/// What an admin registers.
#[derive(Clone, Debug, Default)]
pub struct NewEndpoint {
    pub url: String,
    /// `order.placed`, `fulfilment.*`, or `*`.
    pub topics: Vec<String>,
    /// At least 24 characters; made when absent.
    pub secret: Option<String>,
}

/// A registered endpoint. `secret` is there only in the answer to its registration.
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub topics: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Whether a topic pattern is well formed: `*`, `name.*` or `name.name` in `[a-z_]`.
fn valid_pattern(pattern: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    match pattern.split_once('.') {
        None => pattern == "*",
        Some((kind, "*")) => word(kind),
        Some((kind, what)) => word(kind) && word(what),
    }
}

/// Whether any of `patterns` takes `topic`. Private events (one-time links) are never sent to
/// integrators.
pub(crate) fn matches(patterns: &[String], topic: &str) -> bool {
    if crate::private::is_private(topic) {
        return false;
    }
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => topic.starts_with(prefix),
        None => p == topic,
    })
}

fn new_secret() -> Result<String, NotifyError> {
    let mut bytes = [0_u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| NotifyError::Client(e.to_string()))?;
    Ok(format!("whsec_{}", hex::encode(bytes)))
}

fn to_endpoint(row: webhook_endpoints::Model, secret: Option<String>) -> Endpoint {
    let topics = serde_json::from_value(row.topics).unwrap_or_default();
    Endpoint {
        id: row.id,
        url: row.url,
        topics,
        active: row.active,
        created_at: row.created_at,
        secret,
    }
}

impl Relay {
    /// Registers an endpoint (admins only). Its URL must be public unless private targets are
    /// allowed; its topics well formed.
    pub async fn register(
        &self,
        principal: &Principal,
        input: NewEndpoint,
    ) -> Result<Endpoint, NotifyError> {
        require_admin(principal)?;
        let url = targets::check_url(input.url.trim(), self.settings().allow_private_targets)?;
        if input.topics.is_empty() || !input.topics.iter().all(|t| valid_pattern(t)) {
            return Err(NotifyError::invalid(
                "topics",
                "one or more of `*`, `order.*`, `order.placed`",
            ));
        }
        let secret = match input.secret {
            Some(s) if s.len() >= 24 && s.len() <= 128 => s,
            Some(_) => return Err(NotifyError::invalid("secret", "24 to 128 characters")),
            None => new_secret()?,
        };
        let row = webhook_endpoints::ActiveModel {
            id: Set(Uuid::now_v7()),
            url: Set(url.to_string()),
            topics: Set(serde_json::json!(input.topics)),
            secret: Set(secret.clone()),
            active: Set(true),
            created_at: Set(Utc::now()),
        };
        let row = webhook_endpoints::Entity::insert(row)
            .exec_with_returning(self.db())
            .await?;
        Ok(to_endpoint(row, Some(secret)))
    }

    /// Every endpoint, oldest first (admins only).
    pub async fn endpoints(&self, principal: &Principal) -> Result<Vec<Endpoint>, NotifyError> {
        require_admin(principal)?;
        let rows = webhook_endpoints::Entity::find()
            .order_by_asc(webhook_endpoints::Column::Id)
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(|r| to_endpoint(r, None)).collect())
    }
}

/// The active endpoints and their topics.
pub(crate) async fn active(
    conn: &impl ConnectionTrait,
) -> Result<Vec<(Uuid, Vec<String>)>, NotifyError> {
    let rows = webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::Active.eq(true))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, serde_json::from_value(r.topics).unwrap_or_default()))
        .collect())
}

/// An endpoint's URL and secret, if it is still active.
pub(crate) async fn destination(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(String, String)>, NotifyError> {
    let row = webhook_endpoints::Entity::find_by_id(id).one(conn).await?;
    Ok(row.filter(|r| r.active).map(|r| (r.url, r.secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_take_what_they_name() {
        let patterns = vec!["order.*".to_owned(), "fulfilment.shipped".to_owned()];
        assert!(matches(&patterns, "order.placed"));
        assert!(matches(&patterns, "fulfilment.shipped"));
        assert!(!matches(&patterns, "fulfilment.accepted"));
        assert!(matches(&["*".to_owned()], "payout.paid"));
        // An account holder's one-time links are never an integrator's business.
        assert!(!matches(
            &["*".to_owned()],
            "account.password_reset_requested"
        ));
        assert!(!matches(
            &["account.*".to_owned()],
            "account.verification_requested"
        ));
        for ok in ["*", "order.*", "order.placed", "payout.paid_out"] {
            assert!(valid_pattern(ok), "{ok}");
        }
        for bad in [
            "",
            "order",
            "order.",
            ".placed",
            "Order.placed",
            "order.*.x",
            "**",
        ] {
            assert!(!valid_pattern(bad), "{bad}");
        }
    }
}
