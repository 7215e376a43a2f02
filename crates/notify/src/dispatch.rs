//! Dispatch: the deliveries that are due are leased (so no other replica sends them meanwhile),
//! sent, and their outcome recorded. A delivery waits while an earlier event of its aggregate
//! is still on its way to the same recipient, or not yet fanned out: each recipient hears of an
//! aggregate's events in order. A failure is tried again after a growing wait, and is dead after
//! `max_attempts`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use souk_db::{
    ConnectionTrait,
    entities::{deliveries, outbox_events},
    sea_orm::{
        ColumnTrait, EntityTrait, QueryFilter, Statement, Value,
        sea_query::{Expr, ExprTrait},
    },
};
use uuid::Uuid;

use crate::{NotifyError, Relay, backoff, endpoints, private, sql, targets, webhook};

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dispatched {
    pub delivered: u64,
    /// Failed, to be tried again.
    pub failed: u64,
    /// Failed for the last time.
    pub dead: u64,
}

/// A leased delivery.
struct Leased {
    id: Uuid,
    event: Uuid,
    topic: String,
    channel: String,
    target: String,
    /// An email's or a short message's words (webhooks send the event).
    message: Option<serde_json::Value>,
    attempts: i32,
    lease: DateTime<Utc>,
}

/// How a send ended.
enum Outcome {
    /// With the receiver's HTTP status, for webhooks.
    Delivered(Option<u16>),
    /// Not tried: too little of its lease was left to be sure of recording the outcome before
    /// another replica may take it. It is due again when the lease ends.
    NotTried,
    Failed(Failure),
}

/// Why a send failed, and whether trying again could help.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The receiver's HTTP status, for webhooks that answered.
    pub(crate) code: Option<u16>,
    pub(crate) message: String,
    /// Trying again cannot help (an address the mail server refuses outright).
    pub(crate) permanent: bool,
}

impl Failure {
    /// A failure that may pass: tried again later.
    pub(crate) fn passing(message: impl Into<String>) -> Failure {
        Failure {
            code: None,
            message: message.into(),
            permanent: false,
        }
    }
}

impl Outcome {
    fn failed(message: impl Into<String>) -> Outcome {
        Outcome::Failed(Failure::passing(message))
    }
}

/// What a round's deliveries need, read once for all of them: their events, and where each
/// endpoint is (`None` if it was removed or turned off).
struct Batch {
    events: HashMap<Uuid, outbox_events::Model>,
    destinations: HashMap<String, Option<(String, String)>>,
}

impl Batch {
    async fn load(db: &impl ConnectionTrait, leased: &[Leased]) -> Result<Batch, NotifyError> {
        let leased: Vec<&Leased> = leased.iter().filter(|d| d.channel == "webhook").collect();
        if leased.is_empty() {
            return Ok(Batch {
                events: HashMap::new(),
                destinations: HashMap::new(),
            });
        }
        let ids: Vec<Uuid> = leased.iter().map(|d| d.event).collect();
        let events = outbox_events::Entity::find()
            .filter(outbox_events::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let mut destinations = HashMap::new();
        for d in leased {
            if destinations.contains_key(&d.target) {
                continue;
            }
            let destination = match Uuid::parse_str(&d.target) {
                Ok(endpoint) => endpoints::destination(db, endpoint).await?,
                Err(_) => None,
            };
            destinations.insert(d.target.clone(), destination);
        }
        Ok(Batch {
            events,
            destinations,
        })
    }
}

/// What became of a failed delivery.
enum Recorded {
    Retry,
    Dead,
}

/// Deliveries sent at once by one replica.
pub(crate) const IN_FLIGHT: usize = 16;

impl Relay {
    /// Sends the deliveries that are due (a batch at most).
    pub async fn dispatch(&self) -> Result<Dispatched, NotifyError> {
        let leased = self.claim_due().await?;
        if leased.is_empty() {
            return Ok(Dispatched::default());
        }
        let batch = &Batch::load(self.db(), &leased).await?;
        // Outcomes are recorded as they come, a handful at a time: the deliveries among them
        // in one statement, failures one by one.
        let mut sent = futures::stream::iter(leased)
            .map(|d| async move {
                let outcome = self.send(&d, batch).await;
                (d, outcome)
            })
            .buffer_unordered(IN_FLIGHT)
            .ready_chunks(IN_FLIGHT);
        let mut done = Dispatched::default();
        while let Some(chunk) = sent.next().await {
            // What was sent is recorded first: an error recording a failure must not leave a
            // sent message unrecorded (it would go again once its lease ends).
            let delivered: Vec<(&Leased, Option<u16>)> = chunk
                .iter()
                .filter_map(|(d, outcome)| match outcome {
                    Outcome::Delivered(code) => Some((d, *code)),
                    _ => None,
                })
                .collect();
            self.record_delivered(&delivered).await?;
            done.delivered += delivered.len() as u64;
            for (d, outcome) in &chunk {
                if let Outcome::Failed(failure) = outcome {
                    match self.record_failure(d, failure).await? {
                        Recorded::Retry => done.failed += 1,
                        Recorded::Dead => done.dead += 1,
                    }
                }
            }
        }
        Ok(done)
    }

    /// Leases the due deliveries that are next in their aggregate's order.
    async fn claim_due(&self) -> Result<Vec<Leased>, NotifyError> {
        let db = self.db();
        let backend = db.get_database_backend();
        let now = Utc::now();
        let lease = now
            + chrono::Duration::from_std(self.settings().lease)
                .unwrap_or(chrono::Duration::seconds(30));
        let text = format!(
            "UPDATE deliveries SET leased_until = ? WHERE id IN (\
               SELECT d.id FROM deliveries d \
               WHERE d.status = 'pending' AND d.next_attempt_at <= ? \
                 AND (d.leased_until IS NULL OR d.leased_until <= ?) \
                 AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.target = d.target \
                   AND e.aggregate_id = d.aggregate_id AND e.status = 'pending' \
                   AND e.event_id < d.event_id) \
                 AND NOT EXISTS (SELECT 1 FROM outbox_events o WHERE o.aggregate_id = d.aggregate_id \
                   AND o.published_at IS NULL AND o.id < d.event_id) \
               ORDER BY d.next_attempt_at, d.event_id LIMIT {}{}) \
             RETURNING id, event_id, topic, channel, target, message, attempts",
            self.settings().batch,
            sql::skip_locked(backend, "d"),
        );
        let values: Vec<Value> = vec![lease.into(), now.into(), now.into()];
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql::placeholders(backend, &text),
                values,
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Leased {
                    id: row.try_get("", "id")?,
                    event: row.try_get("", "event_id")?,
                    topic: row.try_get("", "topic")?,
                    channel: row.try_get("", "channel")?,
                    target: row.try_get("", "target")?,
                    message: row.try_get("", "message")?,
                    attempts: row.try_get("", "attempts")?,
                    lease,
                })
            })
            .collect::<Result<_, souk_db::DbErr>>()
            .map_err(NotifyError::from)
    }

    /// Sends one delivery by its channel, within the relay's timeout.
    async fn send(&self, d: &Leased, batch: &Batch) -> Outcome {
        let timeout = self.settings().timeout;
        let left = (d.lease - Utc::now()).to_std().unwrap_or_default();
        if left < timeout {
            return Outcome::NotTried;
        }
        let sending = async {
            match d.channel.as_str() {
                "webhook" => self.post_webhook(d, batch).await,
                "email" => self.send_email(d).await,
                "sms" => self.send_sms(d).await,
                other => Ok(Outcome::failed(format!("no channel {other:?}"))),
            }
        };
        // lettre's timeout covers only connecting: a server that goes silent mid-message
        // would otherwise hold this round for ever.
        match tokio::time::timeout(timeout, sending).await {
            Ok(sent) => sent.unwrap_or_else(|e| Outcome::failed(e.to_string())),
            Err(_) => Outcome::failed(format!("no answer within {} ms", timeout.as_millis())),
        }
    }

    async fn send_email(&self, d: &Leased) -> Result<Outcome, NotifyError> {
        let message: crate::EmailMessage = message_of(d)?;
        let id = d.id.to_string();
        Ok(
            match self.inner.mailer.send(&id, &d.target, &message).await {
                Ok(()) => Outcome::Delivered(None),
                Err(failure) => Outcome::Failed(failure),
            },
        )
    }

    async fn send_sms(&self, d: &Leased) -> Result<Outcome, NotifyError> {
        let message: crate::SmsMessage = message_of(d)?;
        Ok(match self.inner.sms.send(&d.target, &message.text).await {
            Ok(()) => Outcome::Delivered(None),
            Err(failure) => Outcome::Failed(failure),
        })
    }

    async fn post_webhook(&self, d: &Leased, batch: &Batch) -> Result<Outcome, NotifyError> {
        let Some(Some((url, secret))) = batch.destinations.get(&d.target) else {
            return Ok(Outcome::failed("the endpoint was removed"));
        };
        targets::check_url(url, self.settings().allow_private_targets)?;
        let event = batch
            .events
            .get(&d.event)
            .ok_or(NotifyError::NotFound("event"))?;
        let body = webhook::body(d.event, &d.topic, event.created_at, &event.payload);
        let secret = secret.as_str();
        let signature = webhook::signature(secret, Utc::now().timestamp(), &body);
        let sent = self
            .inner
            .http
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(webhook::EVENT_ID_HEADER, d.event.to_string())
            .header(webhook::SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        Ok(match sent {
            Ok(answer) if answer.status().is_success() => {
                Outcome::Delivered(Some(answer.status().as_u16()))
            }
            Ok(answer) => Outcome::Failed(Failure {
                code: Some(answer.status().as_u16()),
                ..Failure::passing(format!("answered {}", answer.status()))
            }),
            Err(e) => Outcome::failed(crate::causes(&e)),
        })
    }

    /// Records these deliveries as delivered, those whose lease this replica still holds: one
    /// statement per answer code (all leased in one round share their lease's end).
    async fn record_delivered(
        &self,
        delivered: &[(&Leased, Option<u16>)],
    ) -> Result<(), NotifyError> {
        let mut by_code: HashMap<Option<u16>, Vec<Uuid>> = HashMap::new();
        for (d, code) in delivered {
            by_code.entry(*code).or_default().push(d.id);
        }
        let Some((first, _)) = delivered.first() else {
            return Ok(());
        };
        let now = Utc::now();
        for (code, ids) in by_code {
            deliveries::Entity::update_many()
                .col_expr(
                    deliveries::Column::Attempts,
                    Expr::col(deliveries::Column::Attempts).add(1),
                )
                .col_expr(
                    deliveries::Column::LeasedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(deliveries::Column::Status, Expr::value("delivered"))
                .col_expr(deliveries::Column::DeliveredAt, Expr::value(now))
                .col_expr(
                    deliveries::Column::LastCode,
                    Expr::value(code.map(i32::from)),
                )
                .col_expr(
                    deliveries::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .filter(deliveries::Column::Id.is_in(ids))
                .filter(deliveries::Column::LeasedUntil.eq(first.lease))
                .exec(self.db())
                .await?;
        }
        let private: Vec<Uuid> = delivered
            .iter()
            .filter(|(d, _)| private::is_private(&d.topic))
            .map(|(d, _)| d.id)
            .collect();
        private::forget_messages(self.db(), private).await
    }

    /// Records a failed send, if this replica still holds the lease: tried again after a
    /// growing wait, or dead.
    async fn record_failure(&self, d: &Leased, failure: &Failure) -> Result<Recorded, NotifyError> {
        let Failure {
            code,
            message: error,
            permanent,
        } = failure;
        let attempts = d.attempts + 1;
        let settings = self.settings();
        let (status, recorded) = if *permanent || attempts >= settings.max_attempts {
            ("dead", Recorded::Dead)
        } else {
            ("pending", Recorded::Retry)
        };
        let wait = backoff::after(attempts, settings.first_backoff, settings.max_backoff);
        let next =
            Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
        tracing::info!(delivery = %d.id, channel = %d.channel, attempts, status, %error, "delivery failed");
        let error: String = error.chars().take(500).collect();
        deliveries::Entity::update_many()
            .col_expr(deliveries::Column::Attempts, Expr::value(attempts))
            .col_expr(
                deliveries::Column::LeasedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(deliveries::Column::Status, Expr::value(status))
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(next))
            .col_expr(
                deliveries::Column::LastCode,
                Expr::value(code.map(i32::from)),
            )
            .col_expr(deliveries::Column::LastError, Expr::value(Some(error)))
            .filter(deliveries::Column::Id.eq(d.id))
            .filter(deliveries::Column::LeasedUntil.eq(d.lease))
            .exec(self.db())
            .await?;
        if matches!(recorded, Recorded::Dead) {
            private::forget_messages(self.db(), vec![d.id]).await?;
        }
        Ok(recorded)
    }
}

/// The words an email or SMS delivery carries.
fn message_of<T: serde::de::DeserializeOwned>(d: &Leased) -> Result<T, NotifyError> {
    let message = d
        .message
        .clone()
        .ok_or_else(|| NotifyError::Corrupt(format!("delivery {} has no message", d.id)))?;
    serde_json::from_value(message)
        .map_err(|e| NotifyError::Corrupt(format!("delivery {}: {e}", d.id)))
}
