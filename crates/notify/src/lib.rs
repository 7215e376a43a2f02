//! The outbox relay. Every change that others must hear of writes an event to the outbox in its
//! own transaction; the relay, running in every replica, fans each event out into one delivery
//! per recipient (`fan_out`) and sends the deliveries that are due (`dispatch`): at least once, in
//! order per aggregate and recipient, retried with exponential backoff, and dead after
//! `max_attempts`. Replicas share the work through leases (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL). The channels: integrators' signed webhooks (`webhook`, `endpoints`), email to
//! buyers, artisans and agents (`email`), and short messages to artisans and agents (`sms`);
//! who hears of what, in which words, is `audience` and `messages`.

mod audience;
mod backoff;
mod dispatch;
pub mod email;
pub mod endpoints;
mod error;
mod fan_out;
pub mod log;
mod messages;
mod private;
pub mod sms;
mod sql;
mod stats;
pub mod targets;
pub mod webhook;

use std::{sync::Arc, time::Duration};

use souk_db::DatabaseConnection;

pub use dispatch::Dispatched;
pub use email::{EmailSettings, EmailTransport};
pub use endpoints::{Endpoint, NewEndpoint};
pub use error::NotifyError;
pub use log::{DeliveryFilter, DeliveryView};
pub use messages::{EmailMessage, SmsMessage};
pub use sms::{KannelSettings, SmsProvider};
pub use stats::RelayStats;

/// How the relay works.
#[derive(Clone, Debug)]
pub struct RelaySettings {
    /// Events fanned out, or deliveries sent, per round.
    pub batch: u64,
    /// How long a replica holds a delivery it is sending before another may take it.
    pub lease: Duration,
    /// Attempts before a delivery is dead (30 spread over about a day with the default backoff).
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles each time, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// A webhook endpoint may be on a loopback or private address (tests, and a first run on one
    /// machine); off in production, where it would let an admin probe the internal network.
    pub allow_private_targets: bool,
    /// How long a webhook receiver, an SMTP server or an SMS gateway has to answer.
    pub timeout: Duration,
    pub email: EmailSettings,
    pub sms: SmsProvider,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch: 100,
            lease: Duration::from_secs(30),
            max_attempts: 30,
            first_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            allow_private_targets: true,
            timeout: Duration::from_secs(10),
            email: EmailSettings::default(),
            sms: SmsProvider::Off,
        }
    }
}

/// The relay: the one entry point the gateway calls.
#[derive(Clone, Debug)]
pub struct Relay {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: DatabaseConnection,
    settings: RelaySettings,
    http: reqwest::Client,
    mailer: email::Mailer,
    sms: sms::SmsGateway,
    templates: messages::Templates,
    stats: stats::Stats,
}

impl Relay {
    pub fn new(db: DatabaseConnection, settings: RelaySettings) -> Result<Self, NotifyError> {
        let http = targets::client(&settings)?;
        let mailer = email::Mailer::new(&settings.email, settings.timeout)?;
        let sms = sms::SmsGateway::new(settings.sms.clone(), settings.timeout)?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                settings,
                http,
                mailer,
                sms,
                templates: messages::Templates::load()?,
                stats: stats::Stats::default(),
            }),
        })
    }

    pub fn settings(&self) -> &RelaySettings {
        &self.inner.settings
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn templates(&self) -> &messages::Templates {
        &self.inner.templates
    }

    /// The channels besides webhooks that are on.
    pub(crate) fn channels(&self) -> audience::Channels {
        audience::Channels {
            email: self.inner.mailer.is_on(),
            sms: self.inner.sms.is_on(),
        }
    }

    /// One round: fans out what the outbox holds, then sends what is due, then notes how far
    /// behind it is.
    pub async fn run_once(&self) -> Result<Dispatched, NotifyError> {
        loop {
            let fanned = self.fan_out().await?;
            self.inner.stats.fanned_out(fanned);
            if fanned < self.inner.settings.batch {
                break;
            }
        }
        let done = self.dispatch().await?;
        self.inner.stats.dispatched(done);
        let (event, due) = stats::oldest(self.db()).await?;
        let now = chrono::Utc::now();
        self.inner
            .stats
            .lags(stats::lag_ms(event, now), stats::lag_ms(due, now));
        Ok(done)
    }

    /// What the relay did since the process started, and its lag at the last round.
    pub fn stats(&self) -> RelayStats {
        self.inner.stats.read()
    }
}

/// An error and its causes, one after the other (reqwest's own message says only "error sending
/// request").
pub(crate) fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Webhooks and their deliveries are the admins' to manage.
pub(crate) fn require_admin(principal: &souk_auth::Principal) -> Result<(), NotifyError> {
    if principal.role == souk_auth::Role::Admin {
        Ok(())
    } else {
        Err(NotifyError::Forbidden(
            "only admins manage webhooks and their deliveries",
        ))
    }
}

#[cfg(test)]
mod tests;
