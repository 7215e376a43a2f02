//! The link a label's QR code holds: a GS1 Digital Link URI on the brand's domain, with what
//! was signed and the signature in its query, so a phone can verify it with no network.
//!
//! ```text
//! https://label.example.ma/01/06111234567895/21/K7Q2M9XP3D?c=C7K2M9XP&d=261202&k=A1B2C3&s=<86>
//!                          └ GTIN-14          └ serial       │          │        │       └ Ed25519, base64url
//!                                                            │          │        └ key id
//!                                                            │          └ issue date, YYMMDD (GS1 style)
//!                                                            └ certification code
//! ```
//!
//! A product without a GTIN gets the brand's equivalent path `/p/<product code>/21/<serial>`: a
//! random code given to the product with its first labels (opaque, so a label names no catalog
//! record; shorter than an id, so the QR code is smaller). What is signed is the product key
//! (`01/<gtin>` or `p/<code>`), the serial, the certification code and the issue date, under the
//! key id.

use chrono::NaiveDate;
use souk_kernel::{
    Gtin,
    percent::{self, Plus},
};

use crate::code;

/// Why a link is not a Souk label link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not GS1 Digital Link syntax at all (a resolver answers 400).
    #[error("not a GS1 Digital Link: {0}")]
    Syntax(String),
    /// A well-formed Digital Link, but not of a label (a GTIN alone, or with a lot): there is no
    /// such label (a resolver answers 404).
    #[error("a GS1 Digital Link, but not of a label: labels are /01/<gtin>/21/<serial>")]
    NotALabel,
}

/// The product a label names, as it appears in its link and its signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProductKey {
    Gtin(Gtin),
    /// The brand's own code for a product with no GTIN (Crockford base32).
    Brand(String),
}

/// Characters of a brand product code.
pub const PRODUCT_CODE_LEN: usize = 10;

impl ProductKey {
    /// `01/<gtin14>` or `p/<code>`: the path of the link before `/21/`, and the signed form.
    pub fn path(&self) -> String {
        match self {
            ProductKey::Gtin(g) => format!("01/{}", g.as_str()),
            ProductKey::Brand(code) => format!("p/{code}"),
        }
    }

    /// Whether `path` is this key's [`ProductKey::path`] (compared in place).
    pub fn is_path(&self, path: &str) -> bool {
        match self {
            ProductKey::Gtin(g) => path.strip_prefix("01/") == Some(g.as_str()),
            ProductKey::Brand(code) => path.strip_prefix("p/") == Some(code.as_str()),
        }
    }

    pub fn parse(path: &str) -> Result<ProductKey, LinkError> {
        let mut parts = path.splitn(2, '/');
        match (parts.next(), parts.next()) {
            (Some("01"), Some(gtin)) => gtin
                .parse::<Gtin>()
                .map(ProductKey::Gtin)
                .map_err(|e| LinkError::Syntax(format!("01 (GTIN): {e}"))),
            (Some("p"), Some(code))
                if code.len() == PRODUCT_CODE_LEN && code.bytes().all(code::in_alphabet) =>
            {
                Ok(ProductKey::Brand(code.to_owned()))
            }
            (Some("p"), Some(_)) => Err(LinkError::Syntax(format!(
                "p: a product code is {PRODUCT_CODE_LEN} characters of Crockford base32"
            ))),
            _ => Err(LinkError::Syntax(
                "the path must start with /01/<gtin> or /p/<product>".into(),
            )),
        }
    }
}

impl ProductKey {
    /// A new brand code, for a product's first labels.
    pub(crate) fn new_brand_code() -> ProductKey {
        ProductKey::Brand(code::random(PRODUCT_CODE_LEN))
    }
}

/// What a label's signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub product: ProductKey,
    /// The serial as printed (the canonical form of a [`crate::Serial`]).
    pub serial: String,
    pub certification: String,
    pub issued_on: NaiveDate,
    pub key_id: String,
}

impl Signed {
    /// The exact bytes signed. Every field is of a restricted alphabet (digits, base32,
    /// base64url), so joining them with newlines is unambiguous.
    pub fn message(&self) -> Vec<u8> {
        format!(
            "souk-label/1\n{}\n{}\n{}\n{}\n{}",
            self.key_id,
            self.product.path(),
            self.serial,
            self.certification,
            self.issued_on.format("%Y-%m-%d"),
        )
        .into_bytes()
    }
}

/// A label's link as parsed from a URL (or from its path and query alone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelLink {
    pub product: ProductKey,
    /// AI 21 as it appears in the link (GS1 syntax; whether it is one of ours is checked later).
    pub serial: String,
    /// Present when the link carries what was signed and its signature (every printed label
    /// does).
    pub signed: Option<SignedPart>,
}

/// The query of a printed label: certification, date, key and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedPart {
    pub certification: String,
    pub issued_on: NaiveDate,
    pub key_id: String,
    /// As printed (base64url); decoded when checked.
    pub signature: String,
}

/// Other query parameters a link may carry (the resolver's `linkType`, a page's `lang`...).
pub type OtherParams = Vec<(String, String)>;

impl LabelLink {
    /// The link printed in the QR code.
    pub fn to_url(&self, base: &str) -> String {
        let url = format!("{}/{}", base.trim_end_matches('/'), self.item_path());
        match self.signed_query() {
            q if q.is_empty() => url,
            q => format!("{url}?{q}"),
        }
    }

    /// `01/<gtin>/21/<serial>` (or the brand path): the item's identity, without the query.
    pub fn item_path(&self) -> String {
        format!("{}/21/{}", self.product.path(), self.serial)
    }

    /// The signed query, `c=..&d=..&k=..&s=..`, or an empty string.
    pub fn signed_query(&self) -> String {
        match &self.signed {
            Some(s) => format!(
                "c={}&d={}&k={}&s={}",
                s.certification,
                s.issued_on.format("%y%m%d"),
                s.key_id,
                s.signature
            ),
            None => String::new(),
        }
    }

    /// What the signature is claimed to cover.
    pub fn claimed(&self) -> Option<Signed> {
        self.signed.as_ref().map(|s| Signed {
            product: self.product.clone(),
            serial: self.serial.clone(),
            certification: s.certification.clone(),
            issued_on: s.issued_on,
            key_id: s.key_id.clone(),
        })
    }

    /// Parses a full URL (`https://host/01/.../21/...?...`) or a path with its query.
    pub fn parse(text: &str) -> Result<(LabelLink, OtherParams), LinkError> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((_, after_scheme)) => after_scheme
                .find('/')
                .map(|i| &after_scheme[i..])
                .ok_or_else(|| LinkError::Syntax("the URL has no path".into()))?,
            None => text,
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.split('#').next().unwrap_or_default();
        Self::parse_parts(path, query)
    }

    /// Parses a request's path (`/01/<gtin>/21/<serial>`) and raw query string.
    pub fn parse_parts(path: &str, query: &str) -> Result<(LabelLink, OtherParams), LinkError> {
        let path = path.strip_prefix('/').unwrap_or(path);
        // A trailing slash is tolerated, as the resolver standard asks.
        let path = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        // The product key is the path's first two segments, `<key>/<value>`.
        let product_key =
            |key: &str, value: &str| ProductKey::parse(&path[..key.len() + 1 + value.len()]);
        let (product, serial) = match segments.as_slice() {
            [key, value, "21", serial] => (product_key(key, value)?, *serial),
            [key, value, qualifiers @ ..] => {
                product_key(key, value)?;
                check_qualifiers(qualifiers)?;
                return Err(LinkError::NotALabel);
            }
            _ => {
                return Err(LinkError::Syntax(
                    "expected /01/<gtin>/21/<serial> or /p/<product>/21/<serial>".into(),
                ));
            }
        };
        let serial = percent::decode(serial, Plus::Literal)
            .ok_or_else(|| LinkError::Syntax("21 (serial): bad percent-encoding".into()))?
            .into_owned();
        if !is_ai_21(&serial) {
            return Err(LinkError::Syntax(
                "21 (serial): 1 to 20 characters of GS1's character set 82".into(),
            ));
        }
        let mut others = Vec::new();
        let (mut c, mut d, mut k, mut s) = (None, None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent::decode(value, Plus::Space)
                .ok_or_else(|| LinkError::Syntax(format!("{key}: bad percent-encoding")))?
                .into_owned();
            match key {
                "c" => c = Some(value),
                "d" => d = Some(value),
                "k" => k = Some(value),
                "s" => s = Some(value),
                // Other GS1 data (a date, say) and other parameters pass through.
                _ => others.push((key.to_owned(), value)),
            }
        }
        let signed = match (c, d, k, s) {
            (None, None, None, None) => None,
            (Some(certification), Some(date), Some(key_id), Some(signature)) => Some(SignedPart {
                certification,
                issued_on: parse_yymmdd(&date)
                    .ok_or_else(|| LinkError::Syntax("d: the issue date is YYMMDD".into()))?,
                key_id,
                signature,
            }),
            _ => {
                return Err(LinkError::Syntax(
                    "a signed label link has all of c, d, k and s".into(),
                ));
            }
        };
        Ok((
            LabelLink {
                product,
                serial,
                signed,
            },
            others,
        ))
    }
}

/// The key qualifiers GS1 allows after a GTIN, in their order: consumer product variant (22),
/// lot (10), serial (21), each once.
fn check_qualifiers(qualifiers: &[&str]) -> Result<(), LinkError> {
    let mut allowed = ["22", "10", "21"].iter();
    for pair in qualifiers.chunks(2) {
        let [ai, value] = pair else {
            return Err(LinkError::Syntax("a qualifier without its value".into()));
        };
        if !allowed.any(|a| a == ai) {
            return Err(LinkError::Syntax(format!(
                "{ai}: not a key qualifier here (22, 10, 21, in that order)"
            )));
        }
        let value = percent::decode(value, Plus::Literal)
            .ok_or_else(|| LinkError::Syntax(format!("{ai}: bad percent-encoding")))?;
        if !is_ai_21(&value) {
            return Err(LinkError::Syntax(format!(
                "{ai}: 1 to 20 characters of GS1's character set 82"
            )));
        }
    }
    Ok(())
}

/// GS1 application identifier 21: 1 to 20 characters of the "character set 82".
fn is_ai_21(s: &str) -> bool {
    (1..=20).contains(&s.len())
        && s.bytes().all(|b| {
            matches!(b, b'!' | b'"' | b'%'..=b'/' | b'0'..=b'?' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
        })
}

fn parse_yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| s[i..i + 2].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(2000 + i32::try_from(n(0)?).ok()?, n(2)?, n(4)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()
    }

    fn signed_link(product: ProductKey) -> LabelLink {
        LabelLink {
            product,
            serial: "K7Q2M9XP3D".into(),
            signed: Some(SignedPart {
                certification: "C7K2M9XP".into(),
                issued_on: date(),
                key_id: "A1B2C3".into(),
                signature: "x".repeat(86),
            }),
        }
    }

    #[test]
    fn a_link_prints_and_parses_back_to_itself() {
        let gtin: Gtin = "6111234567895".parse().unwrap_or_else(|e| panic!("{e}"));
        for product in [ProductKey::Gtin(gtin), ProductKey::new_brand_code()] {
            let link = signed_link(product);
            let url = link.to_url("https://label.example.ma/");
            assert!(url.starts_with("https://label.example.ma/"), "{url}");
            assert!(url.contains("&d=261202&"), "{url}");
            let (parsed, others) = LabelLink::parse(&url).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed, link);
            assert!(others.is_empty());
        }
    }

    #[test]
    fn gtins_are_read_at_any_length_and_kept_as_fourteen_digits() {
        let (link, _) = LabelLink::parse_parts("/01/6111234567895/21/ABC", "")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(link.product.path(), "01/06111234567895");
        assert_eq!(link.signed, None);
    }

    #[test]
    fn syntax_errors_are_errors() {
        for (path, query) in [
            ("/01/6111234567896/21/ABC", ""),                   // check digit
            ("/01/6111234567895", ""),                          // no serial
            ("/01/6111234567895/21/", ""),                      // empty serial
            ("/01/6111234567895/21/ABC/foo", ""),               // extra segment
            ("/01/6111234567895/10/ABC", ""),                   // a lot, not a serial
            ("/01/6111234567895/21/A~B", ""),                   // not in character set 82
            ("/01/6111234567895/21/ABCDEFGHIJKLMNOPQRSTU", ""), // 21 characters
            ("/p/short/21/ABC", ""),
            ("/p/0123456789U/21/ABC", ""),
            ("/02/6111234567895/21/ABC", ""),
            ("/01/6111234567895/21/ABC", "c=X&d=261202"), // half a signature
            ("/01/6111234567895/21/ABC", "c=X&d=261302&k=K&s=S"), // month 13
        ] {
            assert!(
                LabelLink::parse_parts(path, query).is_err(),
                "{path}?{query} was accepted"
            );
        }
    }

    #[test]
    fn well_formed_links_of_no_label_are_told_apart_from_syntax_errors() {
        for path in [
            "/01/6111234567895",
            "/01/6111234567895/10/LOT7",
            "/01/6111234567895/10/LOT7/21/ABC",
        ] {
            assert_eq!(
                LabelLink::parse_parts(path, "").err(),
                Some(LinkError::NotALabel),
                "{path}"
            );
        }
    }

    #[test]
    fn other_query_parameters_pass_through() {
        let (_, others) =
            LabelLink::parse_parts("/01/6111234567895/21/ABC/", "linkType=all&lang=ar")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            others,
            vec![
                ("linkType".to_owned(), "all".to_owned()),
                ("lang".to_owned(), "ar".to_owned())
            ]
        );
    }

    #[test]
    fn the_signed_message_changes_with_every_field() {
        let base = Signed {
            product: ProductKey::new_brand_code(),
            serial: "K7Q2M9XP3D".into(),
            certification: "C7K2M9XP".into(),
            issued_on: date(),
            key_id: "A1B2C3".into(),
        };
        let variants = [
            Signed {
                serial: "K7Q2M9XP3E".into(),
                ..base.clone()
            },
            Signed {
                certification: "C7K2M9XQ".into(),
                ..base.clone()
            },
            Signed {
                issued_on: date().succ_opt().unwrap_or_default(),
                ..base.clone()
            },
            Signed {
                key_id: "A1B2C4".into(),
                ..base.clone()
            },
            Signed {
                product: ProductKey::Brand("0123456789".into()),
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.message(), base.message());
        }
    }
}
