//! Events whose payloads hold secrets: an account holder's one-time links (password reset,
//! email verification). They are never sent to integrators, their outbox payload keeps only the
//! account once the messages are written, and a message is forgotten once it was delivered or
//! given up on: after that the database holds the link's hash only (`account_tokens`).

use serde_json::json;
use souk_db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use souk_db::{
    ConnectionTrait,
    entities::{deliveries, outbox_events},
};
use uuid::Uuid;

use crate::{NotifyError, audience::Event};

/// The topics of such events.
const PREFIX: &str = "account.";

pub(crate) fn is_private(topic: &str) -> bool {
    topic.starts_with(PREFIX)
}

/// Cuts the fanned-out private events' payloads down to their account.
pub(crate) async fn forget_payloads(
    conn: &impl ConnectionTrait,
    events: &[Event],
) -> Result<(), NotifyError> {
    for event in events.iter().filter(|e| is_private(&e.topic)) {
        let kept = json!({"account_id": event.payload.get("account_id")});
        outbox_events::Entity::update_many()
            .col_expr(outbox_events::Column::Payload, Expr::value(kept))
            .filter(outbox_events::Column::Id.eq(event.id))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Forgets the words of these deliveries, those of private events, once they are done with.
pub(crate) async fn forget_messages(
    conn: &impl ConnectionTrait,
    done: Vec<Uuid>,
) -> Result<(), NotifyError> {
    if done.is_empty() {
        return Ok(());
    }
    deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::Message,
            Expr::value(Option::<serde_json::Value>::None),
        )
        .filter(deliveries::Column::Id.is_in(done))
        .filter(deliveries::Column::Topic.starts_with(PREFIX))
        .exec(conn)
        .await?;
    Ok(())
}
