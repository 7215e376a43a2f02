//! Who hears of an event, by which channel, in which words. Buyers get an email when their
//! order is placed (cash on delivery) or paid (card), confirmed, shipped, delivered and
//! refunded. Artisans hear of an order to prepare (once it is paid or confirmed) and of a
//! payout: by email at their own account and at their agent's, and by one short message, to
//! their agent's phone when an agent represents them, else to their own. What the recipients
//! are and say is read from the domains that own it, for a whole batch of events at once.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Value, json};
use souk_auth::{Account, AuthService};
use souk_catalog::agency::ArtisanContact;
use souk_db::ConnectionTrait;
use souk_kernel::{AccountId, ArtisanId, FulfilmentId, Lang, OrderId};
use souk_orders::{Fulfilment, Order, PaymentMethod};
use uuid::Uuid;

use crate::{
    NotifyError,
    messages::{Kind, Templates, money},
};

/// An event as fan-out reads it from the outbox.
pub(crate) struct Event {
    pub(crate) id: Uuid,
    pub(crate) topic: String,
    pub(crate) aggregate: Uuid,
    pub(crate) payload: Value,
}

/// One message to one recipient.
#[derive(Debug)]
pub(crate) struct Notice {
    pub(crate) event: Uuid,
    pub(crate) channel: &'static str,
    pub(crate) target: String,
    pub(crate) message: Value,
}

/// Which channels are on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Channels {
    pub(crate) email: bool,
    pub(crate) sms: bool,
}

/// What an event's messages are about.
#[derive(Clone, Debug)]
enum About {
    Order(OrderId),
    Fulfilment(OrderId, FulfilmentId),
    Payout {
        artisan: ArtisanId,
        amount_minor: i64,
        currency: String,
        method: String,
    },
    /// A link sent to an account holder (password reset, email verification).
    Account(AccountId),
}

/// The messages an event calls for.
fn messages_of(event: &Event) -> Vec<(Kind, About)> {
    let p = &event.payload;
    let id = |key: &str| {
        p.get(key)
            .and_then(|v| serde_json::from_value::<Uuid>(v.clone()).ok())
    };
    let order = id("order_id").map(OrderId::from_uuid);
    let fulfilment = id("fulfilment_id").map(FulfilmentId::from_uuid);
    let on_order = |kinds: &[Kind]| match order {
        Some(o) => kinds.iter().map(|k| (*k, About::Order(o))).collect(),
        None => Vec::new(),
    };
    let on_account = |kind: Kind| match id("account_id") {
        Some(a) => vec![(kind, About::Account(AccountId::from_uuid(a)))],
        None => Vec::new(),
    };
    let on_fulfilment = |kind: Kind| match (order, fulfilment) {
        (Some(o), Some(f)) => vec![(kind, About::Fulfilment(o, f))],
        _ => Vec::new(),
    };
    match event.topic.as_str() {
        // Placed for cash on delivery (when made, or when a buyer turns an unpaid card order
        // into one); a card order is placed when it is paid.
        "order.pending_confirmation" => on_order(&[Kind::Placed]),
        "order.paid" => on_order(&[Kind::Placed, Kind::NewOrder]),
        "order.confirmed" => on_order(&[Kind::Confirmed, Kind::NewOrder]),
        "order.refunded" | "order.partially_refunded" => on_order(&[Kind::Refunded]),
        "fulfilment.shipped" => on_fulfilment(Kind::Shipped),
        "fulfilment.delivered" => on_fulfilment(Kind::Delivered),
        "account.password_reset_requested" => on_account(Kind::PasswordReset),
        "account.verification_requested" => on_account(Kind::VerifyEmail),
        "payout.sent" => match id("artisan_id") {
            Some(artisan) => vec![(
                Kind::Payout,
                About::Payout {
                    artisan: ArtisanId::from_uuid(artisan),
                    amount_minor: p.get("amount_minor").and_then(Value::as_i64).unwrap_or(0),
                    currency: p
                        .get("currency")
                        .and_then(Value::as_str)
                        .unwrap_or("MAD")
                        .to_owned(),
                    method: p
                        .get("method")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                },
            )],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Everything the batch's messages need, read once.
struct Directory {
    orders: HashMap<OrderId, Order>,
    artisans: HashMap<ArtisanId, ArtisanContact>,
    accounts: HashMap<AccountId, Account>,
    phones: HashMap<AccountId, String>,
}

impl Directory {
    async fn load(
        conn: &impl ConnectionTrait,
        wanted: &[(&Event, Vec<(Kind, About)>)],
    ) -> Result<Directory, NotifyError> {
        let about = || wanted.iter().flat_map(|(_, m)| m.iter().map(|(_, a)| a));
        let order_ids: HashSet<OrderId> = about()
            .filter_map(|a| match a {
                About::Order(o) | About::Fulfilment(o, _) => Some(*o),
                About::Payout { .. } | About::Account(_) => None,
            })
            .collect();
        let orders = souk_orders::notices::orders(conn, &order_ids.into_iter().collect::<Vec<_>>())
            .await
            .map_err(|e| NotifyError::Domain("orders", e.to_string()))?;
        let mut artisan_ids: HashSet<ArtisanId> = orders
            .values()
            .flat_map(|o| o.fulfilments.iter().map(|f| f.artisan))
            .collect();
        artisan_ids.extend(about().filter_map(|a| match a {
            About::Payout { artisan, .. } => Some(*artisan),
            _ => None,
        }));
        let artisans =
            souk_catalog::agency::contacts(conn, &artisan_ids.into_iter().collect::<Vec<_>>())
                .await
                .map_err(|e| NotifyError::Domain("artisans", e.to_string()))?;
        let agents: Vec<AccountId> = artisans.values().filter_map(|a| a.agent).collect();
        let mut account_ids: HashSet<AccountId> = orders.values().map(|o| o.buyer).collect();
        account_ids.extend(artisans.values().filter_map(|a| a.account));
        account_ids.extend(agents.iter().copied());
        account_ids.extend(about().filter_map(|a| match a {
            About::Account(id) => Some(*id),
            _ => None,
        }));
        let accounts = AuthService::contacts(conn, &account_ids.into_iter().collect::<Vec<_>>())
            .await
            .map_err(|e| NotifyError::Domain("accounts", e.to_string()))?;
        let phones = souk_agents::Agents::phones(conn, &agents)
            .await
            .map_err(|e| NotifyError::Domain("agents", e.to_string()))?;
        Ok(Directory {
            orders,
            artisans,
            accounts,
            phones,
        })
    }

    /// Where an artisan hears of their business: the emails of their own account and of their
    /// agent, and one phone (the agent's when an agent represents them).
    fn reach(&self, artisan: &ArtisanContact) -> Vec<Recipient> {
        let mut reach: Vec<Recipient> = [artisan.account, artisan.agent]
            .into_iter()
            .flatten()
            .filter_map(|id| self.accounts.get(&id))
            .map(|a| Recipient {
                channel: "email",
                target: a.email.clone(),
                name: a.display_name.clone(),
                lang: a.lang,
            })
            .collect();
        let own_lang = artisan
            .account
            .and_then(|id| self.accounts.get(&id))
            .map_or(artisan.default_lang, |a| a.lang);
        let agents_phone = artisan.agent.and_then(|agent| {
            let phone = self.phones.get(&agent)?.clone();
            Some((
                phone,
                self.accounts.get(&agent).map_or(own_lang, |a| a.lang),
            ))
        });
        // An agent without a phone on record leaves the artisan's own.
        let phone = agents_phone.or_else(|| artisan.phone.clone().map(|p| (p, own_lang)));
        if let Some((phone, lang)) = phone {
            reach.push(Recipient {
                channel: "sms",
                target: phone,
                name: String::new(),
                lang,
            });
        }
        reach
    }
}

#[derive(Clone, Debug)]
struct Recipient {
    channel: &'static str,
    target: String,
    name: String,
    lang: Lang,
}

/// The messages these events call for, on the channels that are on. An event whose message
/// cannot be written is logged and skipped: it must not hold up the events after it.
pub(crate) async fn notices(
    conn: &impl ConnectionTrait,
    templates: &Templates,
    channels: Channels,
    events: &[Event],
) -> Result<Vec<Notice>, NotifyError> {
    let wanted: Vec<(&Event, Vec<(Kind, About)>)> = events
        .iter()
        .map(|e| (e, messages_of(e)))
        .filter(|(_, m)| !m.is_empty())
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let directory = Directory::load(conn, &wanted).await?;
    let mut notices = Vec::new();
    for (event, messages) in &wanted {
        for (kind, about) in messages {
            let writer = Writer {
                directory: &directory,
                templates,
                channels,
                event: event.id,
            };
            match writer.write(*kind, about, &event.payload) {
                Ok(mut written) => notices.append(&mut written),
                Err(e) => {
                    tracing::error!(event = %event.id, topic = %event.topic, error = %e, "a notification could not be written")
                }
            }
        }
    }
    Ok(notices)
}

/// Writes one event's messages of one kind.
struct Writer<'a> {
    directory: &'a Directory,
    templates: &'a Templates,
    channels: Channels,
    event: Uuid,
}

impl Writer<'_> {
    fn write(
        &self,
        kind: Kind,
        about: &About,
        payload: &Value,
    ) -> Result<Vec<Notice>, NotifyError> {
        match about {
            About::Order(order) => {
                let Some(order) = self.directory.orders.get(order) else {
                    return Ok(Vec::new());
                };
                if kind == Kind::NewOrder {
                    self.new_order(order)
                } else {
                    self.to_buyer(kind, order, None, payload)
                }
            }
            About::Fulfilment(order, fulfilment) => {
                let Some(order) = self.directory.orders.get(order) else {
                    return Ok(Vec::new());
                };
                let part = order.fulfilments.iter().find(|f| f.id == *fulfilment);
                self.to_buyer(kind, order, part, payload)
            }
            About::Payout {
                artisan,
                amount_minor,
                currency,
                method,
            } => self.payout(*artisan, *amount_minor, currency, method),
            About::Account(account) => self.to_holder(kind, *account, payload),
        }
    }

    /// A link to the account's own address, in its language.
    fn to_holder(
        &self,
        kind: Kind,
        account: AccountId,
        payload: &Value,
    ) -> Result<Vec<Notice>, NotifyError> {
        let Some(holder) = self.directory.accounts.get(&account) else {
            return Ok(Vec::new());
        };
        if !self.channels.email {
            return Ok(Vec::new());
        }
        let expires = payload
            .get("expires_at")
            .and_then(|v| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).ok())
            .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let context = json!({
            "name": holder.display_name,
            "link": payload.get("link").and_then(Value::as_str).unwrap_or_default(),
            "expires": expires,
        });
        let email = self
            .templates
            .email(kind, holder.lang, &holder.display_name, &context)?;
        Ok(vec![self.notice("email", &holder.email, &email)?])
    }

    fn to_buyer(
        &self,
        kind: Kind,
        order: &Order,
        part: Option<&Fulfilment>,
        payload: &Value,
    ) -> Result<Vec<Notice>, NotifyError> {
        let Some(buyer) = self.directory.accounts.get(&order.buyer) else {
            return Ok(Vec::new());
        };
        if !self.channels.email {
            return Ok(Vec::new());
        }
        let lang = buyer.lang;
        let lines = part.map_or_else(
            || order.fulfilments.iter().flat_map(|f| &f.lines).collect(),
            |f| f.lines.iter().collect::<Vec<_>>(),
        );
        // What this refund paid back, and the total so far, as the event says (the order may
        // have been refunded again since).
        let refunded = payload
            .get("refunded_minor")
            .and_then(Value::as_i64)
            .unwrap_or(order.refunded_minor);
        let amount = payload
            .pointer("/details/amount_minor")
            .and_then(Value::as_i64)
            .unwrap_or(refunded);
        let context = json!({
            "name": buyer.display_name,
            "order": reference(order.id),
            "total": money(lang, order.total_minor, &order.currency),
            "items": items(lang, lines),
            "cash_on_delivery": order.payment_method == PaymentMethod::CashOnDelivery,
            "artisan": part.map(|f| self.artisan_name(f.artisan, lang)),
            "carrier": part.and_then(|f| f.carrier.clone()),
            "tracking": part.and_then(|f| f.tracking_number.clone()),
            "amount": money(lang, amount, &order.currency),
            "refunded": money(lang, refunded, &order.currency),
        });
        let email = self
            .templates
            .email(kind, lang, &buyer.display_name, &context)?;
        Ok(vec![self.notice("email", &buyer.email, &email)?])
    }

    /// One message per recipient, naming every part of the order they hear of (an agent may
    /// represent several of its artisans).
    fn new_order(&self, order: &Order) -> Result<Vec<Notice>, NotifyError> {
        let mut parts: BTreeMap<(&'static str, String), (Recipient, Vec<&Fulfilment>)> =
            BTreeMap::new();
        for f in &order.fulfilments {
            let Some(artisan) = self.directory.artisans.get(&f.artisan) else {
                continue;
            };
            for r in self.directory.reach(artisan) {
                parts
                    .entry((r.channel, r.target.clone()))
                    .or_insert_with(|| (r.clone(), Vec::new()))
                    .1
                    .push(f);
            }
        }
        let mut notices = Vec::new();
        for (recipient, fulfilments) in parts.into_values() {
            if !self.on(recipient.channel) {
                continue;
            }
            let lang = recipient.lang;
            let names: Vec<String> = fulfilments
                .iter()
                .map(|f| self.artisan_name(f.artisan, lang))
                .collect();
            let total: i64 = fulfilments.iter().map(|f| f.items_total_minor).sum();
            let count: u32 = fulfilments
                .iter()
                .flat_map(|f| &f.lines)
                .map(|l| l.quantity)
                .sum();
            let context = json!({
                "name": recipient.name,
                "order": reference(order.id),
                "cash_on_delivery": order.payment_method == PaymentMethod::CashOnDelivery,
                "parts": fulfilments.iter().zip(&names).map(|(f, name)| json!({
                    "artisan": name,
                    "total": money(lang, f.items_total_minor, &order.currency),
                    "items": items(lang, f.lines.iter().collect()),
                })).collect::<Vec<_>>(),
                "artisan": names.join(if lang == Lang::Ar { "، " } else { ", " }),
                "count": count,
                "total": money(lang, total, &order.currency),
            });
            notices.push(self.render(Kind::NewOrder, &recipient, &context)?);
        }
        Ok(notices)
    }

    fn payout(
        &self,
        artisan: ArtisanId,
        amount_minor: i64,
        currency: &str,
        method: &str,
    ) -> Result<Vec<Notice>, NotifyError> {
        let Some(contact) = self.directory.artisans.get(&artisan) else {
            return Ok(Vec::new());
        };
        let mut notices = Vec::new();
        for recipient in self.directory.reach(contact) {
            if !self.on(recipient.channel) {
                continue;
            }
            let lang = recipient.lang;
            let context = json!({
                "name": recipient.name,
                "artisan": self.artisan_name(artisan, lang),
                "amount": money(lang, amount_minor, currency),
                "method": method,
            });
            notices.push(self.render(Kind::Payout, &recipient, &context)?);
        }
        Ok(notices)
    }

    fn on(&self, channel: &str) -> bool {
        match channel {
            "email" => self.channels.email,
            "sms" => self.channels.sms,
            _ => false,
        }
    }

    fn render(&self, kind: Kind, to: &Recipient, context: &Value) -> Result<Notice, NotifyError> {
        if to.channel == "sms" {
            let sms = self.templates.sms(kind, to.lang, context)?;
            self.notice("sms", &to.target, &sms)
        } else {
            let email = self.templates.email(kind, to.lang, &to.name, context)?;
            self.notice("email", &to.target, &email)
        }
    }

    fn notice(
        &self,
        channel: &'static str,
        target: &str,
        message: &impl serde::Serialize,
    ) -> Result<Notice, NotifyError> {
        Ok(Notice {
            event: self.event,
            channel,
            target: target.to_owned(),
            message: serde_json::to_value(message)
                .map_err(|e| NotifyError::Template(e.to_string()))?,
        })
    }

    fn artisan_name(&self, artisan: ArtisanId, lang: Lang) -> String {
        self.directory
            .artisans
            .get(&artisan)
            .and_then(|a| a.name.localize(lang, a.default_lang))
            .map(|l| l.text)
            .unwrap_or_default()
    }
}

/// How messages name an order: `#` and the last eight hex digits of its id (the random part of
/// a UUIDv7, where the first digits are its time).
pub(crate) fn reference(order: OrderId) -> String {
    let hex = order.into_uuid().simple().to_string();
    format!("#{}", hex[hex.len() - 8..].to_uppercase())
}

fn items(lang: Lang, lines: Vec<&souk_orders::Line>) -> Vec<Value> {
    lines
        .into_iter()
        .map(|l| {
            json!({
                "title": l.title.localize(lang, Lang::Fr).map(|t| t.text).unwrap_or_default(),
                "quantity": l.quantity,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(topic: &str, payload: Value) -> Event {
        Event {
            id: Uuid::now_v7(),
            topic: topic.into(),
            aggregate: Uuid::now_v7(),
            payload,
        }
    }

    fn kinds(topic: &str) -> Vec<Kind> {
        let ids = json!({"order_id": Uuid::now_v7(), "fulfilment_id": Uuid::now_v7(), "artisan_id": Uuid::now_v7()});
        messages_of(&event(topic, ids))
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    #[test]
    fn each_event_calls_for_its_messages_and_no_others() {
        assert_eq!(kinds("order.pending_confirmation"), [Kind::Placed]);
        assert_eq!(kinds("order.pending_payment"), []);
        assert_eq!(kinds("order.paid"), [Kind::Placed, Kind::NewOrder]);
        assert_eq!(kinds("order.confirmed"), [Kind::Confirmed, Kind::NewOrder]);
        assert_eq!(kinds("fulfilment.shipped"), [Kind::Shipped]);
        assert_eq!(kinds("fulfilment.delivered"), [Kind::Delivered]);
        assert_eq!(kinds("order.partially_refunded"), [Kind::Refunded]);
        assert_eq!(kinds("order.refunded"), [Kind::Refunded]);
        assert_eq!(kinds("payout.sent"), [Kind::Payout]);
        let account = json!({"account_id": Uuid::now_v7()});
        let of = |topic: &str| -> Vec<Kind> {
            messages_of(&event(topic, account.clone()))
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(
            of("account.password_reset_requested"),
            [Kind::PasswordReset]
        );
        assert_eq!(of("account.verification_requested"), [Kind::VerifyEmail]);
        for silent in [
            "order.cancelled",
            "order.expired",
            "order.completed",
            "fulfilment.accepted",
            "fulfilment.cash_remitted",
        ] {
            assert_eq!(kinds(silent), [], "{silent}");
        }
    }

    #[test]
    fn an_event_without_its_ids_calls_for_nothing() {
        assert!(messages_of(&event("order.confirmed", json!({}))).is_empty());
        assert!(
            messages_of(&event(
                "fulfilment.shipped",
                json!({"order_id": Uuid::now_v7()})
            ))
            .is_empty()
        );
    }

    fn account(email: &str, lang: Lang) -> Account {
        Account {
            email_verified_at: None,
            id: AccountId::new(),
            email: email.into(),
            display_name: email.into(),
            role: souk_auth::Role::Agent,
            lang,
            created_at: chrono::Utc::now(),
        }
    }

    /// An artisan with their own account and phone, represented by `agent`.
    fn directory(agent: &Account, agent_phone: Option<&str>) -> (Directory, ArtisanContact) {
        let own = account("fatima@example.ma", Lang::Fr);
        let artisan = ArtisanContact {
            id: ArtisanId::new(),
            name: souk_kernel::LocalizedText::from_pairs([(Lang::Ar, "فاطمة")]),
            default_lang: Lang::Ar,
            account: Some(own.id),
            agent: Some(agent.id),
            phone: Some("+212600000002".into()),
        };
        let directory = Directory {
            orders: HashMap::new(),
            artisans: HashMap::from([(artisan.id, artisan.clone())]),
            accounts: HashMap::from([(own.id, own), (agent.id, agent.clone())]),
            phones: agent_phone
                .map(|p| HashMap::from([(agent.id, p.to_owned())]))
                .unwrap_or_default(),
        };
        (directory, artisan)
    }

    fn targets(reach: &[Recipient]) -> Vec<(&str, &str, Lang)> {
        let mut t: Vec<_> = reach
            .iter()
            .map(|r| (r.channel, r.target.as_str(), r.lang))
            .collect();
        t.sort();
        t
    }

    #[test]
    fn an_artisan_is_reached_at_both_accounts_and_one_phone_their_agents_first() {
        let agent = account("agent@souk.ma", Lang::Ar);
        let (with_phone, artisan) = directory(&agent, Some("+212600000001"));
        assert_eq!(
            targets(&with_phone.reach(&artisan)),
            [
                ("email", "agent@souk.ma", Lang::Ar),
                ("email", "fatima@example.ma", Lang::Fr),
                ("sms", "+212600000001", Lang::Ar),
            ]
        );
        // An agent with no phone on record leaves the artisan's own, in the artisan's language.
        let (without, artisan) = directory(&agent, None);
        assert_eq!(
            targets(&without.reach(&artisan))[2],
            ("sms", "+212600000002", Lang::Fr)
        );
    }

    #[test]
    fn an_order_is_named_by_the_random_end_of_its_id() {
        let id = OrderId::from_uuid(
            Uuid::parse_str("019af3c2-7d10-7abc-9def-0123456789ab").unwrap_or_default(),
        );
        assert_eq!(reference(id), "#456789AB");
    }
}
