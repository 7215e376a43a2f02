//! Representations shared by several resources.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};
use souk_kernel::{Cursor, Lang, LocalizedText, Page, PageRequest};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// Multilingual text as sent by writers: `{"ar": "...", "fr": "..."}`.
pub type TextMap = BTreeMap<Lang, String>;

/// Every language of a text, for editors and for clients that switch language themselves.
pub fn all_languages(text: &LocalizedText) -> BTreeMap<Lang, String> {
    text.iter().map(|(l, s)| (l, s.to_owned())).collect()
}

/// A list answer: one page of items, in the order each list documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Send it as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// A page of the domain's items, each turned into its representation.
    pub fn of<U>(page: Page<U>, dto: impl FnMut(U) -> T) -> Self {
        let page = page.map(dto);
        List {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// The largest `limit` of any list, and the one used when none is given.
pub const MAX_LIMIT: u64 = 100;
pub const DEFAULT_LIMIT: u64 = 20;

/// `cursor` and `limit`, as every list takes them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl PageParams {
    pub fn request<P: DeserializeOwned>(&self) -> Result<PageRequest<P>, ApiError> {
        page_request(self.cursor.as_deref(), self.limit)
    }
}

/// The page a client asks for: its cursor decoded into the list's sort key, its limit bounded.
pub fn page_request<P: DeserializeOwned>(
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<PageRequest<P>, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = cursor
        .map(Cursor::decode::<P>)
        .transpose()
        .map_err(|_| ApiError::invalid_cursor())?;
    Ok(PageRequest { after, limit })
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
    /// Not ready yet: the search index is being built from the database.
    Building,
}
