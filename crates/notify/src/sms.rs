//! Short messages, behind one provider-neutral interface: [`SmsGateway::send`] takes a phone
//! number in international form and a text, and says whether the provider accepted it. The
//! first provider is Kannel's HTTP `sendsms` interface; another (an operator's HTTP API, SMPP
//! through Kannel) is one more variant of [`SmsProvider`] and one more arm in `send`.

use std::time::Duration;

use crate::{NotifyError, dispatch::Failure};

/// Where short messages go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SmsProvider {
    #[default]
    Off,
    /// Written to the log, not sent.
    Log,
    Kannel(KannelSettings),
}

/// Kannel's smsbox: its `sendsms` URL and a `sendsms-user` account.
#[derive(Clone, PartialEq, Eq)]
pub struct KannelSettings {
    /// `http://host:13013/cgi-bin/sendsms`
    pub url: String,
    pub username: String,
    pub password: String,
    /// The sender name or number shown on the phone (`from`), if the operator allows one.
    pub sender: String,
}

impl std::fmt::Debug for KannelSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KannelSettings")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("sender", &self.sender)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct SmsGateway {
    provider: SmsProvider,
    /// A client of its own: Kannel sits on the operator's private network, which webhook
    /// endpoints may not reach.
    http: reqwest::Client,
}

impl SmsGateway {
    pub(crate) fn new(provider: SmsProvider, timeout: Duration) -> Result<SmsGateway, NotifyError> {
        if let SmsProvider::Kannel(k) = &provider {
            url::Url::parse(&k.url).map_err(|e| NotifyError::Channel {
                channel: "sms",
                message: format!("the Kannel URL {:?}: {e}", k.url),
            })?;
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| NotifyError::Client(e.to_string()))?;
        Ok(SmsGateway { provider, http })
    }

    pub(crate) fn is_on(&self) -> bool {
        self.provider != SmsProvider::Off
    }

    /// Hands `text` to the provider for `to` (`+212…`).
    pub(crate) async fn send(&self, to: &str, text: &str) -> Result<(), Failure> {
        match &self.provider {
            SmsProvider::Off => Err(Failure::passing("SMS is off")),
            SmsProvider::Log => {
                tracing::info!(to, text, "SMS (not sent: notify.sms = \"log\")");
                Ok(())
            }
            SmsProvider::Kannel(k) => self.kannel(k, to, text).await,
        }
    }

    async fn kannel(&self, k: &KannelSettings, to: &str, text: &str) -> Result<(), Failure> {
        // UCS-2 (coding 2) for text beyond ASCII, as Arabic is: 70 characters a segment
        // instead of 160, but every character arrives.
        let coding = if text.is_ascii() { "0" } else { "2" };
        let mut query = vec![
            ("username", k.username.as_str()),
            ("password", k.password.as_str()),
            ("to", to),
            ("text", text),
            ("charset", "UTF-8"),
            ("coding", coding),
        ];
        if !k.sender.is_empty() {
            query.push(("from", k.sender.as_str()));
        }
        let answer = self
            .http
            .get(k.url.as_str())
            .query(&query)
            .send()
            .await
            // Without the URL: its query holds the sendsms password, and the error is kept with
            // the delivery.
            .map_err(|e| {
                Failure::passing(format!(
                    "Kannel unreachable: {}",
                    crate::causes(&e.without_url())
                ))
            })?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let body = answer.text().await.unwrap_or_default();
        Err(Failure::passing(format!(
            "Kannel answered {status}: {}",
            body.trim()
        )))
    }
}
