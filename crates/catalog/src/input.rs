//! What writers and readers send, and the checks it must pass. Every bound is here, with the
//! field it belongs to, so a refusal names what to fix.

use std::collections::BTreeMap;

use souk_kernel::{ArtisanId, Currency, Lang, LocalizedText, Money, TextError};

use crate::{
    CatalogError,
    model::{Dimensions, ProductStatus},
};

pub(crate) const TITLE_MAX_CHARS: usize = 200;
pub(crate) const DESCRIPTION_MAX_CHARS: usize = 5_000;
pub(crate) const NAME_MAX_CHARS: usize = 120;
pub(crate) const BIO_MAX_CHARS: usize = 2_000;
pub(crate) const MATERIALS_MAX: usize = 20;
pub(crate) const MATERIAL_MAX_CHARS: usize = 80;
pub(crate) const PHOTOS_MAX: usize = 12;
pub(crate) const PHOTO_URL_MAX_CHARS: usize = 500;
pub(crate) const DIMENSION_MAX_MM: i64 = 100_000;
pub(crate) const WEIGHT_MAX_G: i64 = 1_000_000;
pub(crate) const STOCK_MAX: i64 = 100_000;
pub(crate) const LEAD_TIME_MAX_DAYS: i64 = 365;
pub(crate) const QUERY_MAX_CHARS: usize = 200;
pub(crate) const PAGE_SIZE_MAX: u32 = 100;
pub(crate) const SLUG_MAX_CHARS: usize = 64;

/// A new product, as sent. Numbers are wide so that out-of-range values get a message that
/// names their field rather than a parse error.
#[derive(Clone, Debug, Default)]
pub struct ProductInput {
    /// Required for an admin; an artisan lists for themself.
    pub artisan_id: Option<ArtisanId>,
    pub craft: String,
    pub title: BTreeMap<Lang, String>,
    pub description: BTreeMap<Lang, String>,
    pub default_lang: Option<Lang>,
    pub materials: Vec<String>,
    pub length_mm: Option<i64>,
    pub width_mm: Option<i64>,
    pub height_mm: Option<i64>,
    pub weight_g: Option<i64>,
    pub price_minor: i64,
    pub currency: Option<String>,
    pub stock: i64,
    pub lead_time_days: Option<i64>,
    pub status: Option<ProductStatus>,
    pub photos: Vec<String>,
    /// The GS1 GTIN (8, 12, 13 or 14 digits), when the product has one.
    pub gtin: Option<String>,
}

/// A change to a product: only the fields given change. `title` and `description` merge per
/// language. `expected_version`, when given, must be the product's current version.
#[derive(Clone, Debug, Default)]
pub struct ProductPatch {
    pub expected_version: Option<i32>,
    pub craft: Option<String>,
    pub title: Option<BTreeMap<Lang, String>>,
    pub description: Option<BTreeMap<Lang, String>>,
    pub default_lang: Option<Lang>,
    pub materials: Option<Vec<String>>,
    pub length_mm: Option<Option<i64>>,
    pub width_mm: Option<Option<i64>>,
    pub height_mm: Option<Option<i64>>,
    pub weight_g: Option<Option<i64>>,
    pub price_minor: Option<i64>,
    pub stock: Option<i64>,
    pub lead_time_days: Option<Option<i64>>,
    pub status: Option<ProductStatus>,
    pub photos: Option<Vec<String>>,
    /// `Some(None)` clears it.
    pub gtin: Option<Option<String>>,
}

/// An artisan's public profile, as given at sign-up.
#[derive(Clone, Debug, Default)]
pub struct ArtisanInput {
    pub name: BTreeMap<Lang, String>,
    pub bio: BTreeMap<Lang, String>,
    pub default_lang: Option<Lang>,
    pub commune: String,
    pub cooperative: Option<String>,
    pub crafts: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first; only with a search query.
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
}

/// A listing request: search words, filters, order and page.
#[derive(Clone, Debug, Default)]
pub struct ListingQuery {
    pub q: Option<String>,
    pub craft: Option<String>,
    pub artisan: Option<ArtisanId>,
    pub certified: Option<bool>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub sort: Option<Sort>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

// ---- checks ---------------------------------------------------------------------------------

pub(crate) fn text(
    field: &str,
    entries: BTreeMap<Lang, String>,
    max: usize,
) -> Result<LocalizedText, CatalogError> {
    LocalizedText::parse(entries, max).map_err(|e| text_error(field, e))
}

/// Optional multilingual text: empty is allowed.
pub(crate) fn optional_text(
    field: &str,
    entries: BTreeMap<Lang, String>,
    max: usize,
) -> Result<LocalizedText, CatalogError> {
    if entries.is_empty() {
        Ok(LocalizedText::default())
    } else {
        text(field, entries, max)
    }
}

fn text_error(field: &str, error: TextError) -> CatalogError {
    match error {
        TextError::Empty => CatalogError::invalid(field, error.to_string()),
        TextError::Blank(lang)
        | TextError::ControlCharacters(lang)
        | TextError::TooLong { lang, .. } => {
            CatalogError::invalid(format!("{field}.{lang}"), error.to_string())
        }
    }
}

/// The language a text falls back to: the one given if the text has it, else its first.
pub(crate) fn default_lang(
    field: &str,
    given: Option<Lang>,
    text: &LocalizedText,
) -> Result<Lang, CatalogError> {
    match given {
        Some(lang) if text.contains(lang) => Ok(lang),
        Some(lang) => Err(CatalogError::invalid(
            "default_lang",
            format!("{field} has no {lang} text to fall back to"),
        )),
        None => text
            .languages()
            .next()
            .ok_or_else(|| CatalogError::invalid(field, "needs at least one language")),
    }
}

pub(crate) fn bounded(field: &str, value: i64, min: i64, max: i64) -> Result<u32, CatalogError> {
    if value < min || value > max {
        return Err(CatalogError::invalid(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    u32::try_from(value).map_err(|_| CatalogError::invalid(field, "out of range"))
}

pub(crate) fn optional_bounded(
    field: &str,
    value: Option<i64>,
    min: i64,
    max: i64,
) -> Result<Option<u32>, CatalogError> {
    value.map(|v| bounded(field, v, min, max)).transpose()
}

pub(crate) fn dimensions(
    length: Option<i64>,
    width: Option<i64>,
    height: Option<i64>,
) -> Result<Dimensions, CatalogError> {
    Ok(Dimensions {
        length_mm: optional_bounded("length_mm", length, 1, DIMENSION_MAX_MM)?,
        width_mm: optional_bounded("width_mm", width, 1, DIMENSION_MAX_MM)?,
        height_mm: optional_bounded("height_mm", height, 1, DIMENSION_MAX_MM)?,
    })
}

pub(crate) fn price(amount_minor: i64, currency: Option<&str>) -> Result<Money, CatalogError> {
    let currency = match currency {
        None => Currency::Mad,
        Some(code) => Currency::parse(code)
            .ok_or_else(|| CatalogError::invalid("currency", "prices are in MAD"))?,
    };
    if amount_minor < 1 {
        return Err(CatalogError::invalid(
            "price_minor",
            "must be at least 1 (one centime)",
        ));
    }
    Money::price(amount_minor, currency)
        .map_err(|e| CatalogError::invalid("price_minor", e.to_string()))
}

pub(crate) fn lead_time(days: Option<i64>) -> Result<Option<u16>, CatalogError> {
    optional_bounded("lead_time_days", days, 1, LEAD_TIME_MAX_DAYS)?
        .map(|d| {
            u16::try_from(d).map_err(|_| CatalogError::invalid("lead_time_days", "out of range"))
        })
        .transpose()
}

pub(crate) fn materials(items: Vec<String>) -> Result<Vec<String>, CatalogError> {
    if items.len() > MATERIALS_MAX {
        return Err(CatalogError::invalid(
            "materials",
            format!("at most {MATERIALS_MAX} materials"),
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let m = m.trim().to_owned();
            let field = format!("materials[{i}]");
            if m.is_empty() {
                Err(CatalogError::invalid(field, "is blank"))
            } else if m.chars().count() > MATERIAL_MAX_CHARS {
                Err(CatalogError::invalid(
                    field,
                    format!("is longer than {MATERIAL_MAX_CHARS} characters"),
                ))
            } else if m.chars().any(char::is_control) {
                Err(CatalogError::invalid(field, "contains control characters"))
            } else {
                Ok(m)
            }
        })
        .collect()
}

/// A GTIN, checked and kept as 14 digits.
pub(crate) fn gtin(raw: Option<String>) -> Result<Option<souk_kernel::Gtin>, CatalogError> {
    raw.map(|g| {
        g.trim()
            .parse::<souk_kernel::Gtin>()
            .map_err(|e| CatalogError::invalid("gtin", e.to_string()))
    })
    .transpose()
}

pub(crate) fn photos(urls: Vec<String>) -> Result<Vec<String>, CatalogError> {
    if urls.len() > PHOTOS_MAX {
        return Err(CatalogError::invalid(
            "photos",
            format!("at most {PHOTOS_MAX} photos"),
        ));
    }
    urls.into_iter()
        .enumerate()
        .map(|(i, url)| {
            let url = url.trim().to_owned();
            let field = format!("photos[{i}]");
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            let host = url.split("://").nth(1).unwrap_or_default();
            // Photos uploaded to Souk and served by the gateway itself.
            let uploaded = url.starts_with("/media/photos/") && !url.contains("..");
            if !uploaded && (!scheme_ok || host.is_empty() || host.starts_with('/')) {
                Err(CatalogError::invalid(field, "must be an http(s) URL"))
            } else if url.chars().count() > PHOTO_URL_MAX_CHARS {
                Err(CatalogError::invalid(
                    field,
                    format!("is longer than {PHOTO_URL_MAX_CHARS} characters"),
                ))
            } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(CatalogError::invalid(
                    field,
                    "contains spaces or control characters",
                ))
            } else {
                Ok(url)
            }
        })
        .collect()
}

pub(crate) fn slug(field: &str, raw: &str) -> Result<String, CatalogError> {
    let slug = raw.trim();
    if slug.is_empty()
        || slug.len() > SLUG_MAX_CHARS
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(CatalogError::invalid(
            field,
            "is not a craft slug (lower-case letters, digits and -)",
        ));
    }
    Ok(slug.to_owned())
}

pub(crate) fn short_line(field: &str, raw: &str, max: usize) -> Result<String, CatalogError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(CatalogError::invalid(field, "is blank"));
    }
    if value.chars().count() > max {
        return Err(CatalogError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(CatalogError::invalid(field, "contains control characters"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_numbers_name_their_field() {
        let err = dimensions(Some(0), None, None).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("length_mm: must be between 1 and 100000")
        );
        assert!(price(0, None).is_err());
        assert!(price(-5, None).is_err());
        assert!(price(10, Some("EUR")).is_err());
        assert_eq!(price(12_000, Some("MAD")).ok(), Some(Money::mad(12_000)));
        assert!(lead_time(Some(366)).is_err());
    }

    #[test]
    fn photos_must_be_web_urls() {
        assert!(photos(vec!["https://img.souk.ma/a.jpg".into()]).is_ok());
        for bad in [
            "ftp://x/a.jpg",
            "javascript:alert(1)",
            "https://",
            "https:///a",
            "https://a b",
        ] {
            assert!(photos(vec![bad.into()]).is_err(), "{bad} accepted");
        }
        assert!(photos(vec!["https://a/b".into(); PHOTOS_MAX + 1]).is_err());
    }

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(slug("craft", " zellige ").ok(), Some("zellige".into()));
        assert!(slug("craft", "Zellige").is_err());
        assert!(slug("craft", "زليج").is_err());
        assert!(slug("craft", "").is_err());
    }

    #[test]
    fn a_default_language_needs_text_in_it() {
        let title = LocalizedText::from_pairs([(Lang::Ar, "زليج")]);
        assert_eq!(default_lang("title", None, &title).ok(), Some(Lang::Ar));
        assert!(default_lang("title", Some(Lang::Fr), &title).is_err());
    }
}
