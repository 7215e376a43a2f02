//! What changed between two JSON snapshots of a record, field by field.

use serde_json::{Map, Value, json};

/// `{field: {from, to}}` for every top-level field whose value differs. Fields missing on one
/// side count as null.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut changes = Map::new();
    let keys = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)));
    for key in keys {
        let from = before.get(key).unwrap_or(&Value::Null);
        let to = after.get(key).unwrap_or(&Value::Null);
        if from != to {
            changes.insert(key.clone(), json!({"from": from, "to": to}));
        }
    }
    Value::Object(changes)
}

/// `{field: {to}}` for every non-null field of a new record.
pub fn created(after: &Value) -> Value {
    let mut changes = Map::new();
    if let Some(fields) = after.as_object() {
        for (key, value) in fields {
            if !value.is_null() {
                changes.insert(key.clone(), json!({"to": value}));
            }
        }
    }
    Value::Object(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_listed() {
        let before = json!({"price": 100, "title": {"ar": "طاجين"}, "stock": 1});
        let after = json!({"price": 120, "title": {"ar": "طاجين"}, "stock": 1, "photo": "x"});
        assert_eq!(
            diff(&before, &after),
            json!({"price": {"from": 100, "to": 120}, "photo": {"from": null, "to": "x"}})
        );
        assert_eq!(diff(&after, &after), json!({}));
    }

    #[test]
    fn a_creation_lists_what_was_set() {
        assert_eq!(
            created(&json!({"price": 100, "bio": null})),
            json!({"price": {"to": 100}})
        );
    }
}
