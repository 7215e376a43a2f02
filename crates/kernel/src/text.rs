//! Multilingual text: one string per language, and a fallback language the text was written in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lang::{Direction, Lang};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    #[error("needs at least one language")]
    Empty,
    #[error("the {0} text is blank")]
    Blank(Lang),
    #[error("the {lang} text is longer than {max} characters")]
    TooLong { lang: Lang, max: usize },
    #[error("the {0} text contains control characters")]
    ControlCharacters(Lang),
}

/// Text in one or more languages, keyed by language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = BTreeMap<String, String>, example = json!({"ar": "طاجين فخار", "fr": "Tajine en terre cuite"}))]
pub struct LocalizedText(BTreeMap<Lang, String>);

/// One language's text, as a reader gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Localized {
    pub text: String,
    pub lang: Lang,
    pub dir: Direction,
}

impl LocalizedText {
    /// Checks and trims each entry: none blank, none longer than `max_chars`, no control
    /// characters except line breaks and tabs.
    pub fn parse(entries: BTreeMap<Lang, String>, max_chars: usize) -> Result<Self, TextError> {
        if entries.is_empty() {
            return Err(TextError::Empty);
        }
        let mut clean = BTreeMap::new();
        for (lang, text) in entries {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err(TextError::Blank(lang));
            }
            if trimmed.chars().count() > max_chars {
                return Err(TextError::TooLong {
                    lang,
                    max: max_chars,
                });
            }
            if trimmed
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            {
                return Err(TextError::ControlCharacters(lang));
            }
            clean.insert(lang, trimmed.to_owned());
        }
        Ok(Self(clean))
    }

    /// Builds text from trusted entries (seed data, rows already validated when written).
    pub fn from_pairs<I, S>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (Lang, S)>,
        S: Into<String>,
    {
        Self(pairs.into_iter().map(|(l, s)| (l, s.into())).collect())
    }

    pub fn get(&self, lang: Lang) -> Option<&str> {
        self.0.get(&lang).map(String::as_str)
    }

    pub fn contains(&self, lang: Lang) -> bool {
        self.0.contains_key(&lang)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn languages(&self) -> impl Iterator<Item = Lang> + '_ {
        self.0.keys().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Lang, &str)> {
        self.0.iter().map(|(l, s)| (*l, s.as_str()))
    }

    /// The text in `wanted`, else in `fallback`, else in the first language it has.
    pub fn localize(&self, wanted: Lang, fallback: Lang) -> Option<Localized> {
        let (lang, text) = self
            .0
            .get_key_value(&wanted)
            .or_else(|| self.0.get_key_value(&fallback))
            .or_else(|| self.0.iter().next())?;
        Some(Localized {
            text: text.clone(),
            lang: *lang,
            dir: lang.direction(),
        })
    }

    /// Merges `other` into this text: its languages replace or add to these.
    pub fn merge(&mut self, other: LocalizedText) {
        self.0.extend(other.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pairs: &[(Lang, &str)]) -> BTreeMap<Lang, String> {
        pairs.iter().map(|(l, s)| (*l, (*s).to_owned())).collect()
    }

    #[test]
    fn localize_falls_back_to_the_written_language() {
        let t = LocalizedText::parse(text(&[(Lang::Ar, "زليج"), (Lang::Fr, "Zellige")]), 100)
            .unwrap_or_default();
        let en = t.localize(Lang::En, Lang::Ar);
        assert_eq!(en.as_ref().map(|l| l.lang), Some(Lang::Ar));
        assert_eq!(en.map(|l| l.dir), Some(Direction::Rtl));
        assert_eq!(
            t.localize(Lang::Fr, Lang::Ar).map(|l| l.text),
            Some("Zellige".into())
        );
    }

    #[test]
    fn blank_long_and_control_text_is_refused() {
        assert_eq!(
            LocalizedText::parse(BTreeMap::new(), 10),
            Err(TextError::Empty)
        );
        assert_eq!(
            LocalizedText::parse(text(&[(Lang::Fr, "  ")]), 10),
            Err(TextError::Blank(Lang::Fr))
        );
        assert_eq!(
            LocalizedText::parse(text(&[(Lang::Fr, "abcdef")]), 5),
            Err(TextError::TooLong {
                lang: Lang::Fr,
                max: 5
            })
        );
        assert_eq!(
            LocalizedText::parse(text(&[(Lang::En, "a\u{0}b")]), 10),
            Err(TextError::ControlCharacters(Lang::En))
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Five Arabic letters are ten bytes in UTF-8.
        assert!(LocalizedText::parse(text(&[(Lang::Ar, "فخارة")]), 5).is_ok());
    }
}
