//! Opaque cursors for keyset pagination, and the page type every list returns.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The largest cursor accepted, in characters; a real one is far smaller.
const MAX_CURSOR_LEN: usize = 512;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the cursor is not one this list gave out")]
pub struct CursorError;

/// A position in a list: the sort key of the last item seen, serialized and base64url-encoded so
/// clients treat it as opaque.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn encode<T: Serialize>(position: &T) -> Self {
        // Serializing a plain struct of ids and numbers cannot fail.
        let json = serde_json::to_vec(position).unwrap_or_default();
        Self(URL_SAFE_NO_PAD.encode(json))
    }

    pub fn decode<T: DeserializeOwned>(raw: &str) -> Result<T, CursorError> {
        if raw.len() > MAX_CURSOR_LEN {
            return Err(CursorError);
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| CursorError)?;
        serde_json::from_slice(&bytes).map_err(|_| CursorError)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// One page of a list and the cursor of the next page, if there is one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Position {
        price: i64,
        id: String,
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let pos = Position {
            price: 1200,
            id: "x".into(),
        };
        let cursor = Cursor::encode(&pos);
        assert_eq!(Cursor::decode::<Position>(cursor.as_str()), Ok(pos));
        assert_eq!(Cursor::decode::<Position>("%%%"), Err(CursorError));
        assert_eq!(
            Cursor::decode::<Position>(&"A".repeat(600)),
            Err(CursorError)
        );
        assert_eq!(
            Cursor::decode::<Position>(&URL_SAFE_NO_PAD.encode(b"{}")),
            Err(CursorError)
        );
    }
}
