//! Verification answers kept rendered. The JSON answer to a scan of a label's authentic link is
//! the same for everyone who is not its owner: it follows from the label's cached view, its
//! maker as shown, the language, the day (whether the certification is current), the label's
//! state, its ownership and its key's status. Each process renders it once per such combination
//! and serves the bytes until one of them changes: the view and the maker are compared by
//! identity, so a label or profile loaded anew (after a revocation, an edit, a flag) renders anew.

use std::{
    hash::{Hash, Hasher},
    sync::Arc,
};

use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use quick_cache::{Equivalent, sync::Cache};
use souk_kernel::Lang;
use souk_labels::{KeyStatus, LabelState, LabelView, Maker, Ownership, Verdict, Verification};

use crate::error::ApiError;

/// What, besides the view and the maker, an answer depends on.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Facts {
    today: NaiveDate,
    state: Option<LabelState>,
    ownership: Option<Ownership>,
    key_status: Option<KeyStatus>,
}

#[derive(Clone)]
struct Rendered {
    view: Arc<LabelView>,
    maker: Option<Arc<Maker>>,
    facts: Facts,
    body: Bytes,
}

#[derive(Clone, PartialEq, Eq)]
struct Key {
    serial: Box<str>,
    lang: Lang,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef {
            serial: &self.serial,
            lang: self.lang,
        }
        .hash(state);
    }
}

struct KeyRef<'a> {
    serial: &'a str,
    lang: Lang,
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.serial.hash(state);
        self.lang.hash(state);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        *key.serial == *self.serial && key.lang == self.lang
    }
}

/// The rendered answers of this process.
pub struct LabelAnswers {
    answers: Cache<Key, Rendered>,
}

impl LabelAnswers {
    /// Keeps up to `capacity` answers (about 1.5 kB each).
    pub fn new(capacity: usize) -> Self {
        Self {
            answers: Cache::new(capacity),
        }
    }

    /// The answer to `verification` in `lang`: the one rendered before if nothing it depends on
    /// changed, else `render`'s (kept when it is an authentic link's).
    pub fn answer(
        &self,
        verification: &Verification,
        lang: Lang,
        render: impl FnOnce() -> Result<Bytes, ApiError>,
    ) -> Result<Bytes, ApiError> {
        let (Verdict::Authentic, Some(_), Some(view)) = (
            verification.verdict,
            &verification.scanned,
            &verification.view,
        ) else {
            return render();
        };
        // The owner's own answer says so: rendered for them, and not kept in place of the
        // answer everyone else gets.
        if verification
            .ownership
            .is_some_and(|o| o.yours || o.registered_now)
        {
            return render();
        }
        let facts = Facts {
            today: Utc::now().date_naive(),
            state: verification.state,
            ownership: verification.ownership,
            key_status: verification.key_status,
        };
        let key = KeyRef {
            serial: view.serial.as_str(),
            lang,
        };
        if let Some(held) = self.answers.get(&key)
            && Arc::ptr_eq(&held.view, view)
            && same_maker(held.maker.as_ref(), verification.maker.as_ref())
            && held.facts == facts
        {
            return Ok(held.body);
        }
        let body = render()?;
        self.answers.insert(
            Key {
                serial: key.serial.into(),
                lang,
            },
            Rendered {
                view: Arc::clone(view),
                maker: verification.maker.clone(),
                facts,
                body: body.clone(),
            },
        );
        Ok(body)
    }
}

fn same_maker(a: Option<&Arc<Maker>>, b: Option<&Arc<Maker>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}
