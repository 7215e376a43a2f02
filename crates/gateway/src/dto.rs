//! Representations shared by several resources.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use souk_kernel::{Lang, LocalizedText};
use utoipa::ToSchema;

/// Multilingual text as sent by writers: `{"ar": "...", "fr": "..."}`.
pub type TextMap = BTreeMap<Lang, String>;

/// Every language of a text, for editors and for clients that switch language themselves.
pub fn all_languages(text: &LocalizedText) -> BTreeMap<Lang, String> {
    text.iter().map(|(l, s)| (l, s.to_owned())).collect()
}

/// A list answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
}

/// Tells a field that was left out (`None`) from one set to null (`Some(None)`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Status of a check, for the readiness probe.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Down,
    Disabled,
    /// Shutting down: still answering, no longer taking traffic.
    Draining,
}
