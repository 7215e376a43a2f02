//! Languages Souk writes in, their script direction, and `Accept-Language` negotiation.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A language of the catalog. Amazigh is Standard Moroccan Tamazight (`zgh`) in Tifinagh script.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ar,
    Fr,
    En,
    Zgh,
}

/// Writing direction, for the `dir` attribute of whatever displays the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Ar, Lang::Fr, Lang::En, Lang::Zgh];

    pub const fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Zgh => "zgh",
        }
    }

    pub const fn direction(self) -> Direction {
        match self {
            Lang::Ar => Direction::Rtl,
            Lang::Fr | Lang::En | Lang::Zgh => Direction::Ltr,
        }
    }

    /// Parses a BCP 47 tag by its primary subtag: `ar-MA` is Arabic, `fr-CA` French. The
    /// Tamazight tags `tzm` and `ber` are read as `zgh`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "ar" => Some(Lang::Ar),
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            "zgh" | "tzm" | "ber" => Some(Lang::Zgh),
            _ => None,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unsupported language {0:?}: use ar, fr, en or zgh")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::from_tag(s).ok_or_else(|| UnknownLang(s.chars().take(16).collect()))
    }
}

/// Picks the supported language the client prefers most in an `Accept-Language` header, or
/// `None` when it accepts none of them. Malformed entries are skipped, not fatal.
pub fn negotiate_accept_language(header: &str) -> Option<Lang> {
    // A header longer than this is not a browser's; read only its start.
    const MAX_ENTRIES: usize = 32;
    let mut best: Option<(u16, usize, Lang)> = None;
    for (position, entry) in header.split(',').take(MAX_ENTRIES).enumerate() {
        let mut parts = entry.trim().split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        let weight = parts
            .find_map(|p| p.trim().strip_prefix("q=").map(parse_quality))
            .unwrap_or(Some(1000));
        let Some(weight) = weight else { continue };
        if weight == 0 {
            continue;
        }
        // Higher weight wins; on equal weight, the earlier entry.
        let better = match best {
            None => true,
            Some((w, _, _)) => weight > w,
        };
        if better {
            best = Some((weight, position, lang));
        }
    }
    best.map(|(_, _, lang)| lang)
}

/// A quality value in thousandths (`0.8` is 800), or `None` if it is not one.
fn parse_quality(q: &str) -> Option<u16> {
    let value: f32 = q.parse().ok()?;
    if !(0.0..=1.0).contains(&value) {
        return None;
    }
    // Bounded to 0..=1000 just above, so the cast cannot truncate.
    Some((value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_is_right_to_left_and_the_others_left_to_right() {
        assert_eq!(Lang::Ar.direction(), Direction::Rtl);
        assert_eq!(Lang::Fr.direction(), Direction::Ltr);
        assert_eq!(Lang::Zgh.direction(), Direction::Ltr);
    }

    #[test]
    fn accept_language_picks_the_highest_supported_weight() {
        assert_eq!(
            negotiate_accept_language("de-DE, ar-MA;q=0.9, fr;q=0.95"),
            Some(Lang::Fr)
        );
        assert_eq!(negotiate_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(negotiate_accept_language("de, it"), None);
        assert_eq!(negotiate_accept_language("fr;q=0, ar"), Some(Lang::Ar));
        assert_eq!(
            negotiate_accept_language("fr;q=abc, en;q=0.2"),
            Some(Lang::En)
        );
        assert_eq!(negotiate_accept_language(""), None);
    }

    #[test]
    fn tamazight_tags_read_as_zgh() {
        assert_eq!(Lang::from_tag("tzm-Tfng"), Some(Lang::Zgh));
        assert_eq!("zgh".parse::<Lang>().ok(), Some(Lang::Zgh));
    }
}
