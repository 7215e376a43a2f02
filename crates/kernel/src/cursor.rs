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

impl<T> Page<T> {
    /// The page made of `rows`, fetched as `limit + 1` rows in the list's order: the extra row,
    /// if there is one, only says that a next page exists, and the cursor names the last row
    /// kept by its `position` (its sort key).
    pub fn of<P: Serialize>(mut rows: Vec<T>, limit: u64, position: impl Fn(&T) -> P) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(Cursor::encode(&position(last)).into_string()),
            _ => None,
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    /// The page of a short list held whole in memory (a product's photos, the crafts), in the
    /// order of `key`, ascending: the rows whose key follows `after`, at most `limit`.
    pub fn slice<P: Serialize + Ord>(
        mut rows: Vec<T>,
        request: &PageRequest<P>,
        key: impl Fn(&T) -> P,
    ) -> Self {
        rows.sort_by_key(|r| key(r));
        if let Some(after) = &request.after {
            rows.retain(|r| key(r) > *after);
        }
        rows.truncate(usize::try_from(request.fetch()).unwrap_or(usize::MAX));
        Page::of(rows, request.limit, key)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// What a client asks of a list: the rows after `after` (the sort key of the last row of the
/// previous page, decoded from its cursor), at most `limit` of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest<P = uuid::Uuid> {
    pub after: Option<P>,
    pub limit: u64,
}

impl<P> PageRequest<P> {
    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> u64 {
        self.limit.saturating_add(1)
    }
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
    fn a_page_keeps_limit_rows_and_names_the_last_only_when_more_follow() {
        let page = Page::of(vec![5, 4, 3], 2, |n| *n);
        assert_eq!(page.items, [5, 4]);
        assert_eq!(
            Cursor::decode::<i32>(page.next_cursor.as_deref().unwrap_or("")),
            Ok(4)
        );
        let last = Page::of(vec![2, 1], 2, |n| *n);
        assert_eq!((last.items, last.next_cursor), (vec![2, 1], None));
        assert_eq!(Page::of(Vec::<i32>::new(), 2, |n| *n).next_cursor, None);
    }

    #[test]
    fn a_slice_of_a_whole_list_pages_by_key() {
        let first = Page::slice(
            vec![3, 1, 2],
            &PageRequest {
                after: None,
                limit: 2,
            },
            |n| *n,
        );
        assert_eq!(first.items, [1, 2]);
        let after = Cursor::decode::<i32>(first.next_cursor.as_deref().unwrap_or("")).ok();
        // A row added before the cursor is not seen again, nor one after it missed.
        let second = Page::slice(vec![0, 3, 1, 2], &PageRequest { after, limit: 2 }, |n| *n);
        assert_eq!((second.items, second.next_cursor), (vec![3], None));
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
