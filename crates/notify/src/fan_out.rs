//! Fan-out: unpublished outbox events, oldest first, become one delivery per recipient, and are
//! marked published, in one transaction. Replicas running it at once take different events
//! (`SKIP LOCKED`); a delivery that exists already is not made twice (unique per event,
//! channel and recipient).

use chrono::Utc;
use souk_db::{
    ConnectionTrait,
    entities::{deliveries, outbox_events},
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, QueryFilter, Statement,
        sea_query::{Expr, OnConflict},
    },
};
use uuid::Uuid;

use crate::{
    NotifyError, Relay,
    audience::{self, Event, Notice},
    endpoints, private, sql,
};

impl Relay {
    /// Fans out up to a batch of events; returns how many.
    pub async fn fan_out(&self) -> Result<u64, NotifyError> {
        let tx = souk_db::begin_write(self.db()).await?;
        let events = claim_events(&tx, self.settings().batch).await?;
        if events.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let endpoints = endpoints::active(&tx).await?;
        let now = Utc::now();
        let mut rows: Vec<deliveries::ActiveModel> = events
            .iter()
            .flat_map(|e| {
                endpoints
                    .iter()
                    .filter(|(_, topics)| endpoints::matches(topics, &e.topic))
                    .map(move |(endpoint, _)| {
                        delivery(e, "webhook", endpoint.to_string(), None, now)
                    })
            })
            .collect();
        let channels = self.channels();
        if channels.email || channels.sms {
            let by_id: std::collections::HashMap<Uuid, &Event> =
                events.iter().map(|e| (e.id, e)).collect();
            let notices = audience::notices(&tx, self.templates(), channels, &events).await?;
            rows.extend(notices.into_iter().filter_map(|n: Notice| {
                let event = by_id.get(&n.event)?;
                Some(delivery(event, n.channel, n.target, Some(n.message), now))
            }));
        }
        if !rows.is_empty() {
            let insert = deliveries::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        deliveries::Column::EventId,
                        deliveries::Column::Channel,
                        deliveries::Column::Target,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&tx)
                .await
                .map(|_| ());
            sql::nothing_inserted_is_fine(insert)?;
        }
        private::forget_payloads(&tx, &events).await?;
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        outbox_events::Entity::update_many()
            .col_expr(outbox_events::Column::PublishedAt, Expr::value(now))
            .filter(outbox_events::Column::Id.is_in(ids))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(events.len() as u64)
    }
}

fn delivery(
    event: &Event,
    channel: &str,
    target: String,
    message: Option<serde_json::Value>,
    now: chrono::DateTime<Utc>,
) -> deliveries::ActiveModel {
    deliveries::ActiveModel {
        id: Set(Uuid::now_v7()),
        event_id: Set(event.id),
        aggregate_id: Set(event.aggregate),
        topic: Set(event.topic.clone()),
        channel: Set(channel.into()),
        target: Set(target),
        message: Set(message),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        leased_until: Set(None),
        last_code: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}

/// The oldest unpublished events no other replica is fanning out, locked until the commit.
async fn claim_events(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Event>, NotifyError> {
    let backend = conn.get_database_backend();
    let text = format!(
        "SELECT id, topic, aggregate_id, payload FROM outbox_events WHERE published_at IS NULL \
         ORDER BY id LIMIT {limit}{}",
        sql::skip_locked(backend, "outbox_events")
    );
    let rows = conn
        .query_all_raw(Statement::from_string(backend, text))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Event {
                id: row.try_get("", "id")?,
                topic: row.try_get("", "topic")?,
                aggregate: row.try_get("", "aggregate_id")?,
                payload: row.try_get("", "payload")?,
            })
        })
        .collect::<Result<_, souk_db::DbErr>>()
        .map_err(NotifyError::from)
}
