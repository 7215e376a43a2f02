//! The words of emails and short messages, from the templates in `templates/` (one file per
//! message and language: its first line is an email's subject, the rest its text). An email's
//! HTML is the text's paragraphs in `templates/email/layout.html`, with `dir="rtl"` for Arabic.
//! Templates are compiled into the binary and all checked by the tests below.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use souk_kernel::{Direction, Lang};

use crate::NotifyError;

/// What a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// To a buyer: their order is placed (cash on delivery), or paid (card).
    Placed,
    /// To a buyer: their cash-on-delivery order is confirmed.
    Confirmed,
    /// To a buyer: a parcel left, with its carrier and tracking number.
    Shipped,
    Delivered,
    Refunded,
    /// To an artisan or their agent: an order to prepare.
    NewOrder,
    /// To an artisan or their agent: Souk paid them.
    Payout,
    /// To an account holder: the link that sets a new password.
    PasswordReset,
    /// To a new buyer: the link that proves the email theirs.
    VerifyEmail,
}

impl Kind {
    #[cfg(test)]
    pub(crate) const ALL: [Kind; 9] = [
        Kind::Placed,
        Kind::Confirmed,
        Kind::Shipped,
        Kind::Delivered,
        Kind::Refunded,
        Kind::NewOrder,
        Kind::Payout,
        Kind::PasswordReset,
        Kind::VerifyEmail,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Placed => "placed",
            Kind::Confirmed => "confirmed",
            Kind::Shipped => "shipped",
            Kind::Delivered => "delivered",
            Kind::Refunded => "refunded",
            Kind::NewOrder => "new_order",
            Kind::Payout => "payout",
            Kind::PasswordReset => "password_reset",
            Kind::VerifyEmail => "verify_email",
        }
    }
}

/// The languages messages are written in. Tamazight readers get Arabic until Souk has
/// Tifinagh templates.
pub(crate) fn written_in(lang: Lang) -> Lang {
    match lang {
        Lang::Zgh => Lang::Ar,
        other => other,
    }
}

/// An email as a delivery keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A short message as a delivery keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub text: String,
}

macro_rules! templates {
    ($($path:literal),+ $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $path)))),+]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "email/layout.html",
    "email/ar/placed.txt",
    "email/ar/confirmed.txt",
    "email/ar/shipped.txt",
    "email/ar/delivered.txt",
    "email/ar/refunded.txt",
    "email/ar/new_order.txt",
    "email/ar/payout.txt",
    "email/ar/password_reset.txt",
    "email/ar/verify_email.txt",
    "email/fr/placed.txt",
    "email/fr/confirmed.txt",
    "email/fr/shipped.txt",
    "email/fr/delivered.txt",
    "email/fr/refunded.txt",
    "email/fr/new_order.txt",
    "email/fr/payout.txt",
    "email/fr/password_reset.txt",
    "email/fr/verify_email.txt",
    "email/en/placed.txt",
    "email/en/confirmed.txt",
    "email/en/shipped.txt",
    "email/en/delivered.txt",
    "email/en/refunded.txt",
    "email/en/new_order.txt",
    "email/en/payout.txt",
    "email/en/password_reset.txt",
    "email/en/verify_email.txt",
    "sms/ar/new_order.txt",
    "sms/ar/payout.txt",
    "sms/fr/new_order.txt",
    "sms/fr/payout.txt",
    "sms/en/new_order.txt",
    "sms/en/payout.txt",
);

/// The compiled templates.
#[derive(Debug)]
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub(crate) fn load() -> Result<Templates, NotifyError> {
        let mut env = Environment::new();
        // A misspelt name in a template is an error, not an empty blank in a customer's email.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Text is text; only the layout is HTML, and escapes what it is given.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| NotifyError::Template(e.to_string()))?;
        }
        Ok(Templates { env })
    }

    /// The email of this kind in `lang`, with `context` filling its blanks.
    pub(crate) fn email(
        &self,
        kind: Kind,
        lang: Lang,
        to_name: &str,
        context: &serde_json::Value,
    ) -> Result<EmailMessage, NotifyError> {
        let lang = written_in(lang);
        let rendered = self.render(
            &format!("email/{}/{}.txt", lang.code(), kind.name()),
            context,
        )?;
        let (subject, body) = rendered.split_once('\n').unwrap_or((&rendered, ""));
        let subject = subject.trim().to_owned();
        let text = tidy(body);
        let paragraphs: Vec<Vec<&str>> = text
            .split("\n\n")
            .map(|p| p.lines().collect())
            .filter(|p: &Vec<&str>| !p.is_empty())
            .collect();
        let rtl = lang.direction() == Direction::Rtl;
        let html = self.render(
            "email/layout.html",
            &serde_json::json!({
                "lang": lang.code(),
                "dir": if rtl { "rtl" } else { "ltr" },
                "align": if rtl { "right" } else { "left" },
                "subject": subject,
                "paragraphs": paragraphs,
            }),
        )?;
        Ok(EmailMessage {
            to_name: to_name.to_owned(),
            subject,
            text,
            html,
        })
    }

    /// The short message of this kind in `lang`.
    pub(crate) fn sms(
        &self,
        kind: Kind,
        lang: Lang,
        context: &serde_json::Value,
    ) -> Result<SmsMessage, NotifyError> {
        let lang = written_in(lang);
        let text = self.render(&format!("sms/{}/{}.txt", lang.code(), kind.name()), context)?;
        Ok(SmsMessage {
            text: text.trim().to_owned(),
        })
    }

    fn render(&self, name: &str, context: &serde_json::Value) -> Result<String, NotifyError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(minijinja::value::Serde(context)))
            .map_err(|e| NotifyError::Template(format!("{name}: {e}")))
    }
}

/// Trims the text's lines and keeps at most one blank line between paragraphs.
fn tidy(body: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last() == Some(&"") {
        lines.pop();
    }
    lines.join("\n")
}

/// An amount of money as a reader of `lang` writes it: `1 250,50 MAD`, `1,250.50 MAD`,
/// `1250.50 درهم`; whole amounts without decimals.
pub(crate) fn money(lang: Lang, minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let (units, cents) = (minor / 100, minor % 100);
    let (group, decimal) = match written_in(lang) {
        Lang::Fr => ("\u{202f}", ","),
        Lang::En => (",", "."),
        _ => ("", "."),
    };
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    let amount = if cents == 0 {
        grouped
    } else {
        format!("{grouped}{decimal}{cents:02}")
    };
    let unit = match (written_in(lang), currency) {
        (Lang::Ar, "MAD") => "درهم",
        _ => currency,
    };
    format!("{sign}{amount} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> serde_json::Value {
        json!({
            "name": "Khadija",
            "order": "#7F3A9C21",
            "total": "1 250 MAD",
            "amount": "300 MAD",
            "refunded": "300 MAD",
            "link": "https://souk.ma/account/reset-password?token=souk_x",
            "expires": "2026-12-07 16:05 UTC",
            "items": [{"title": "Tajine <en> terre", "quantity": 2}],
            "artisan": "خديجة الفاسي",
            "carrier": "Amana",
            "tracking": "RR123456789MA",
            "cash_on_delivery": true,
            "parts": [{"artisan": "Ahmed", "total": "600 MAD", "items": [{"title": "Zellige", "quantity": 1}]}],
            "count": 3,
            "method": "bank_transfer",
        })
    }

    #[test]
    fn every_email_renders_in_every_language_with_a_subject_text_and_html() {
        let templates = Templates::load().unwrap_or_else(|e| panic!("templates: {e}"));
        for kind in Kind::ALL {
            for lang in [Lang::Ar, Lang::Fr, Lang::En] {
                let email = templates
                    .email(kind, lang, "Khadija", &context())
                    .unwrap_or_else(|e| panic!("{kind:?} {lang}: {e}"));
                assert!(!email.subject.is_empty() && !email.subject.contains('\n'));
                assert!(
                    email.text.lines().count() >= 2,
                    "{kind:?} {lang}: {}",
                    email.text
                );
                assert!(!email.text.contains("{{"), "{}", email.text);
                let dir = if lang == Lang::Ar { "rtl" } else { "ltr" };
                assert!(
                    email.html.contains(&format!("dir=\"{dir}\"")),
                    "{}",
                    email.html
                );
                assert!(email.html.contains(&format!("lang=\"{lang}\"")));
            }
        }
    }

    #[test]
    fn html_escapes_what_it_is_given_and_text_does_not() {
        let templates = Templates::load().unwrap_or_else(|e| panic!("templates: {e}"));
        let email = templates
            .email(Kind::Placed, Lang::Fr, "Khadija", &context())
            .unwrap_or_else(|e| panic!("email: {e}"));
        assert!(
            email.text.contains("Tajine <en> terre × 2"),
            "{}",
            email.text
        );
        assert!(
            email.html.contains("Tajine &lt;en&gt; terre"),
            "{}",
            email.html
        );
    }

    #[test]
    fn an_arabic_new_order_sms_fits_one_ucs2_segment() {
        let templates = Templates::load().unwrap_or_else(|e| panic!("templates: {e}"));
        let context = json!({
            "order": "#7F3A9C21",
            "artisan": "خديجة الفاسي",
            "count": 12,
            "total": money(Lang::Ar, 1_234_500, "MAD"),
            "amount": money(Lang::Ar, 1_234_500, "MAD"),
            "method": "cash_via_agent",
        });
        for kind in [Kind::NewOrder, Kind::Payout] {
            let sms = templates
                .sms(kind, Lang::Ar, &context)
                .unwrap_or_else(|e| panic!("sms: {e}"));
            // UCS-2: one 16-bit unit per character of the Basic Multilingual Plane.
            let units = sms.text.encode_utf16().count();
            assert!(units <= 70, "{kind:?}: {units} units: {}", sms.text);
        }
    }

    #[test]
    fn money_is_written_as_each_language_writes_it() {
        assert_eq!(money(Lang::Fr, 125_050, "MAD"), "1\u{202f}250,50 MAD");
        assert_eq!(money(Lang::En, 125_000, "MAD"), "1,250 MAD");
        assert_eq!(money(Lang::Ar, 125_005, "MAD"), "1250.05 درهم");
        assert_eq!(money(Lang::En, 99, "EUR"), "0.99 EUR");
        assert_eq!(money(Lang::Zgh, 100, "MAD"), "1 درهم");
    }
}
