//! Buyers, artisans and agents hear of orders and payouts, through a real SMTP server (aiosmtpd)
//! and a real Kannel (bearerbox, smsbox, and fakesmsc as the SMS centre), each started by the
//! test; and when either is down, the messages wait and go out once it is back, once each.

use std::time::Duration;

use figment::{Figment, providers::Serialized};
use reqwest::StatusCode;
use serde_json::json;
use souk_api_tests::{TestApp, app_test};
use souk_testkit::{KannelServer, Sms, SmtpServer};

use crate::orders::{count, id, order, place};

/// An email as the SMTP server received it.
#[derive(Debug)]
pub(crate) struct Mail {
    pub(crate) to: String,
    pub(crate) subject: String,
    message_id: String,
    pub(crate) text: String,
    html: String,
}

fn read(raw: &[u8]) -> Mail {
    let parsed = mailparse::parse_mail(raw).unwrap_or_else(|e| panic!("not an email: {e}"));
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let part = |mime: &str| {
        parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == mime)
            .and_then(|p| p.get_body().ok())
            .unwrap_or_default()
    };
    Mail {
        to: header("To"),
        subject: header("Subject"),
        message_id: header("Message-ID"),
        text: part("text/plain"),
        html: part("text/html"),
    }
}

pub(crate) fn mails(smtp: &SmtpServer) -> Vec<Mail> {
    smtp.messages().iter().map(|m| read(m)).collect()
}

/// The emails but the link that verifies a new buyer's address (sent at sign-up).
fn about_orders(smtp: &SmtpServer) -> Vec<Mail> {
    mails(smtp)
        .into_iter()
        .filter(|m| !m.text.contains("/verify-email?token="))
        .collect()
}

/// Email through `smtp`.
pub(crate) fn emailing(smtp: &SmtpServer, figment: Figment) -> Figment {
    figment
        .merge(Serialized::default("notify.email", "smtp"))
        .merge(Serialized::default("notify.smtp_url", smtp.url()))
        .merge(Serialized::default(
            "notify.email_from",
            "Souk <no-reply@souk.ma>",
        ))
}

/// Notifications on: email through `smtp`, short messages through `kannel`.
fn notifying(smtp: &SmtpServer, kannel: &KannelServer, figment: Figment) -> Figment {
    emailing(smtp, figment)
        .merge(Serialized::default("notify.sms", "kannel"))
        .merge(Serialized::default(
            "notify.kannel_url",
            kannel.sendsms_url(),
        ))
        .merge(Serialized::default(
            "notify.kannel_username",
            KannelServer::USERNAME,
        ))
        .merge(Serialized::default(
            "notify.kannel_password",
            KannelServer::PASSWORD,
        ))
        .merge(Serialized::default("notify.sms_sender", "Souk"))
}

/// A marketplace with an agent (Arabic, with a phone) representing an artisan with one product,
/// and a buyer reading `buyer_lang`. Returns the admin's, agent's and buyer's tokens, and the
/// product.
async fn marketplace(
    env: &souk_api_tests::Env,
    app: &TestApp,
    smtp: &SmtpServer,
    buyer_lang: &str,
) -> (String, String, String, String) {
    let admin = env.admin(app, "ops@souk.ma").await;
    let appointed = app
        .post(
            "/v1/admin/agents",
            Some(&admin),
            json!({"email": "agent@souk.ma", "password": "a long passphrase", "display_name": "يوسف",
                   "commission_bps": 500, "phone": "06 12 34 56 78", "lang": "ar"}),
        )
        .await;
    assert_eq!(appointed.status, StatusCode::CREATED, "{}", appointed.body);
    assert_eq!(appointed.body["phone"], "+212612345678");
    let agent = app.login("agent@souk.ma").await;
    let artisan = app.onboard(&agent, "فاطمة الزهراء").await;
    let product = app
        .product(
            &agent,
            json!({"artisan_id": artisan, "craft": "pottery",
                   "title": {"ar": "طبق آسفي", "fr": "Plat de Safi"}, "price_minor": 40_000, "stock": 5}),
        )
        .await;
    let signed_up = app
        .post(
            "/v1/auth/register",
            None,
            json!({"email": "salma@example.ma", "password": "a long passphrase",
                   "display_name": "سلمى", "role": "buyer", "lang": buyer_lang}),
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
    assert_eq!(signed_up.body["account"]["lang"], buyer_lang);
    // The new buyer's link to verify their address goes first.
    let sent = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(sent.len(), 1);
    assert!(read(&sent[0]).to.contains("salma@example.ma"));
    let buyer = app.login("salma@example.ma").await;
    (admin, agent, buyer, product)
}

/// Gives the relay (a round every 50 ms in tests) time to send anything more it would send.
async fn wait_until_quiet(_app: &TestApp) {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

app_test!(async fn an_orders_life_and_a_payout_reach_the_buyer_and_the_agent_in_arabic(env) {
    let (Some(smtp), Some(kannel)) = (SmtpServer::start().await, KannelServer::start().await) else { return };
    let app = env.spawn_with(|f| notifying(&smtp, &kannel, f)).await;
    let (admin, agent, buyer, product) = marketplace(&env, &app, &smtp, "ar").await;

    let placed = place(&app, &buyer, "k1", order(&[(&product, 2)], "cash_on_delivery")).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let order_id = id(&placed);
    let fid = placed.body["fulfilments"][0]["id"].as_str().unwrap_or_default().to_owned();
    let steps = [
        (format!("/v1/orders/{order_id}/confirm"), &admin, json!({})),
        (format!("/v1/fulfilments/{fid}/accept"), &agent, json!({})),
        (format!("/v1/fulfilments/{fid}/ship"), &agent, json!({"carrier": "Amana", "tracking_number": "AM123456789MA"})),
    ];
    for (path, who, body) in steps {
        let r = app.post(&path, Some(who), body).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    let due = placed.body["fulfilments"][0]["items_total_minor"].as_i64().unwrap_or(0)
        + placed.body["fulfilments"][0]["shipping_fee_minor"].as_i64().unwrap_or(0);
    let delivered = app
        .post(&format!("/v1/fulfilments/{fid}/deliver"), Some(&agent), json!({"cash_collected_minor": due}))
        .await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);
    let batch = app.post("/v1/admin/payout-batches", Some(&admin), json!({})).await;
    assert_eq!(batch.status, StatusCode::CREATED, "{}", batch.body);

    smtp.wait_for(7, Duration::from_secs(20)).await;
    kannel.wait_for(2, Duration::from_secs(20)).await;
    wait_until_quiet(&app).await;

    // Exactly these emails: four to the buyer, in Arabic; an order to prepare and a payout to
    // the agent, who represents the artisan.
    let got = about_orders(&smtp);
    let to_buyer: Vec<&Mail> = got.iter().filter(|m| m.to.contains("salma@example.ma")).collect();
    let to_agent: Vec<&Mail> = got.iter().filter(|m| m.to.contains("agent@souk.ma")).collect();
    assert_eq!(got.len(), 6, "{got:#?}\n{}", dump(&env).await);
    let subjects: Vec<&str> = to_buyer.iter().map(|m| m.subject.as_str()).collect();
    let reference = format!("#{}", order_id.replace('-', "")[24..].to_uppercase());
    assert_eq!(
        subjects,
        [
            format!("توصلنا بطلبك {reference}"),
            format!("تم تأكيد طلبك {reference}"),
            format!("تم شحن طلبك {reference}"),
            format!("تم تسليم طلبك {reference}"),
        ],
        "placed, confirmed, shipped, delivered, in that order"
    );
    for mail in &to_buyer {
        assert!(mail.html.contains("dir=\"rtl\"") && mail.html.contains("lang=\"ar\""), "{}", mail.html);
        assert!(mail.text.contains("سلمى"), "{}", mail.text);
    }
    let shipped = &to_buyer[2];
    assert!(shipped.text.contains("Amana") && shipped.text.contains("AM123456789MA"), "{}", shipped.text);
    assert!(shipped.text.contains("طبق آسفي × 2"), "{}", shipped.text);
    assert!(shipped.html.contains("AM123456789MA"));
    // The order and the payout are separate threads: either may arrive first.
    let mut agent_subjects: Vec<&str> = to_agent.iter().map(|m| m.subject.as_str()).collect();
    agent_subjects.sort_unstable();
    assert_eq!(agent_subjects, ["تحويل مبلغ 680 درهم في الطريق", format!("طلب جديد {reference} للتحضير").as_str()]);
    let new_order = to_agent.iter().find(|m| m.subject.starts_with("طلب جديد")).map(|m| m.text.as_str()).unwrap_or_default();
    assert!(new_order.contains("فاطمة الزهراء") && new_order.contains("طبق آسفي × 2"), "{new_order}");
    let mut ids: Vec<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 6, "every message has its own Message-ID");

    // One short message to the agent's phone for the new order, one for the payout, in Arabic
    // and each within one UCS-2 segment.
    let sms: Vec<Sms> = kannel.messages();
    assert_eq!(sms.len(), 2, "{sms:#?}");
    assert!(sms.iter().all(|m| m.to == "+212612345678" && m.from == "Souk"), "{sms:#?}");
    assert!(sms.iter().any(|m| m.text.starts_with("طلب جديد") && m.text.contains(&reference)), "{sms:#?}");
    assert!(sms.iter().any(|m| m.text.contains("تحويل 680 درهم")), "{sms:#?}");
    for m in &sms {
        assert!(m.text.encode_utf16().count() <= 70, "{} units: {}", m.text.encode_utf16().count(), m.text);
    }
    assert_eq!(count(&env, "SELECT COUNT(*) FROM deliveries WHERE status <> 'delivered'").await, 0);
});

app_test!(async fn with_mail_and_sms_down_messages_wait_and_go_out_once_when_they_return(env) {
    let (Some(mut smtp), Some(mut kannel)) = (SmtpServer::start().await, KannelServer::start().await) else { return };
    let app = env.spawn_with(|f| notifying(&smtp, &kannel, f)).await;
    let (admin, _agent, buyer, product) = marketplace(&env, &app, &smtp, "fr").await;
    smtp.stop().await;
    kannel.stop().await;

    let placed = place(&app, &buyer, "k1", order(&[(&product, 1)], "cash_on_delivery")).await;
    let order_id = id(&placed);
    let confirmed = app.post(&format!("/v1/orders/{order_id}/confirm"), Some(&admin), json!({})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    // They were tried, failed, and wait: the placed email to the buyer, the order to the agent
    // and its SMS; the confirmed email waits, untried, behind the buyer's first.
    let mut tried = 0;
    for _ in 0..100 {
        tried = count(&env, "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND attempts >= 2").await;
        if tried >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(tried, 3, "{}", dump(&env).await);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND attempts = 0").await, 1);
    // The log admins read says why, without the SMS gateway's password.
    assert_eq!(count(&env, "SELECT COUNT(*) FROM deliveries WHERE last_error LIKE '%Kannel unreachable%'").await, 1);
    let leaked = format!("SELECT COUNT(*) FROM deliveries WHERE last_error LIKE '%{}%'", KannelServer::PASSWORD);
    assert_eq!(count(&env, &leaked).await, 0, "{}", dump(&env).await);
    assert!(about_orders(&smtp).is_empty() && kannel.messages().is_empty());

    smtp.restart().await;
    kannel.restart().await;
    smtp.wait_for(4, Duration::from_secs(30)).await;
    kannel.wait_for(1, Duration::from_secs(30)).await;
    wait_until_quiet(&app).await;

    let got = about_orders(&smtp);
    let mut seen: Vec<(String, String)> = got.iter().map(|m| (m.to.clone(), m.subject.clone())).collect();
    seen.sort();
    let reference = format!("#{}", order_id.replace('-', "")[24..].to_uppercase());
    assert_eq!(got.len(), 3, "{seen:#?}");
    assert!(got.iter().any(|m| m.subject == format!("Commande {reference} reçue")), "{seen:#?}");
    assert!(got.iter().any(|m| m.subject == format!("Commande {reference} confirmée")), "{seen:#?}");
    assert!(got.iter().any(|m| m.to.contains("agent@souk.ma")), "{seen:#?}");
    let sms = kannel.messages();
    assert_eq!(sms.len(), 1, "{sms:#?}");
    assert!(sms[0].text.contains(&reference), "{}", sms[0].text);
    assert_eq!(count(&env, "SELECT COUNT(*) FROM deliveries WHERE status <> 'delivered'").await, 0);
});

/// The deliveries, for a failure's message.
pub(crate) async fn dump(env: &souk_api_tests::Env) -> String {
    use souk_db::sea_orm::{ConnectionTrait, Statement};
    let backend = env.db.conn.get_database_backend();
    let rows = env.db.conn.query_all_raw(Statement::from_string(backend, "SELECT topic, channel, target, status, attempts, last_error FROM deliveries ORDER BY id".to_owned())).await.unwrap_or_default();
    rows.iter()
        .map(|r| {
            format!(
                "{:?} {:?} {:?} {:?} {:?} {:?}\n",
                r.try_get::<String>("", "topic"),
                r.try_get::<String>("", "channel"),
                r.try_get::<String>("", "target"),
                r.try_get::<String>("", "status"),
                r.try_get::<i32>("", "attempts"),
                r.try_get::<Option<String>>("", "last_error")
            )
        })
        .collect()
}
