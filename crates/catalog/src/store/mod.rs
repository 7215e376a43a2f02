//! Reading and writing catalog rows. Everything SQL in the catalog is in here, the search change
//! log included (`changes`).

pub(crate) mod agency;
pub(crate) mod artisans;
pub(crate) mod changes;
pub(crate) mod crafts;
pub(crate) mod products;
mod sql;

use serde::de::DeserializeOwned;
use souk_db::sea_orm::JsonValue;
use souk_kernel::Lang;

use crate::CatalogError;

/// Reads a JSON column into its type; a failure means the row is not what Souk wrote.
pub(crate) fn from_json<T: DeserializeOwned>(
    column: &str,
    value: &JsonValue,
) -> Result<T, CatalogError> {
    serde_json::from_value(value.clone())
        .map_err(|e| CatalogError::Corrupt(format!("{column}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> JsonValue {
    // Serializing plain maps and lists of strings cannot fail.
    serde_json::to_value(value).unwrap_or(JsonValue::Null)
}

pub(crate) fn lang(column: &str, code: &str) -> Result<Lang, CatalogError> {
    Lang::from_tag(code).ok_or_else(|| CatalogError::Corrupt(format!("{column}: {code:?}")))
}

pub(crate) fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

pub(crate) fn to_u32(column: &str, value: i32) -> Result<u32, CatalogError> {
    u32::try_from(value).map_err(|_| CatalogError::Corrupt(format!("{column}: {value}")))
}
