//! Email over SMTP (lettre): off, to the log (a first run shows what it would send), or to an
//! SMTP server named by a URL (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`,
//! `smtps://user:pass@host:465`).

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::PoolConfig,
};

use crate::{NotifyError, dispatch::Failure, messages::EmailMessage};

/// Where email goes.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum EmailTransport {
    #[default]
    Off,
    /// Written to the log, not sent.
    Log,
    Smtp {
        url: String,
    },
}

/// The SMTP URL may hold a password: it is never printed.
impl std::fmt::Debug for EmailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmailTransport::Off => f.write_str("Off"),
            EmailTransport::Log => f.write_str("Log"),
            EmailTransport::Smtp { .. } => f.write_str("Smtp { url: [redacted] }"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailSettings {
    pub transport: EmailTransport,
    /// The sender, as `Name <address>`.
    pub from: String,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            transport: EmailTransport::Off,
            from: "Souk <no-reply@souk.ma>".into(),
        }
    }
}

/// SMTP connections a replica keeps open at most: one per delivery it sends at once.
const CONNECTIONS: u32 = crate::dispatch::IN_FLIGHT as u32;

#[derive(Clone)]
pub(crate) struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Off,
    Log,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match self.transport {
            Transport::Off => "off",
            Transport::Log => "log",
            Transport::Smtp(_) => "smtp",
        };
        write!(f, "Mailer({transport}, from {})", self.from)
    }
}

fn misconfigured(message: impl std::fmt::Display) -> NotifyError {
    NotifyError::Channel {
        channel: "email",
        message: message.to_string(),
    }
}

impl Mailer {
    pub(crate) fn new(settings: &EmailSettings, timeout: Duration) -> Result<Mailer, NotifyError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| misconfigured(format!("from {:?}: {e}", settings.from)))?;
        let transport = match &settings.transport {
            EmailTransport::Off => Transport::Off,
            EmailTransport::Log => Transport::Log,
            EmailTransport::Smtp { url } => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| misconfigured(format!("the SMTP URL: {e}")))?
                    .timeout(Some(timeout))
                    .pool_config(PoolConfig::new().max_size(CONNECTIONS))
                    .build(),
            ),
        };
        Ok(Mailer { from, transport })
    }

    pub(crate) fn is_on(&self) -> bool {
        !matches!(self.transport, Transport::Off)
    }

    /// Sends `message` to `to`. `id` becomes the Message-ID, the same on every attempt, so a
    /// mail system that received it twice can tell.
    pub(crate) async fn send(
        &self,
        id: &str,
        to: &str,
        message: &EmailMessage,
    ) -> Result<(), Failure> {
        let email = self.build(id, to, message).map_err(|message| Failure {
            permanent: true,
            ..Failure::passing(message)
        })?;
        match &self.transport {
            Transport::Off => Err(Failure::passing("email is off")),
            Transport::Log => {
                tracing::info!(to, subject = %message.subject, text = %message.text, "email (not sent: notify.email = \"log\")");
                Ok(())
            }
            Transport::Smtp(smtp) => smtp.send(email).await.map(|_| ()).map_err(|e| Failure {
                permanent: e.is_permanent(),
                ..Failure::passing(e.to_string())
            }),
        }
    }

    fn build(&self, id: &str, to: &str, message: &EmailMessage) -> Result<Message, String> {
        let address = to.parse().map_err(|e| format!("the address {to:?}: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(message.to_name.clone()), address))
            .subject(message.subject.clone())
            .message_id(Some(format!("<{id}@souk.invalid>")))
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| e.to_string())
    }
}
