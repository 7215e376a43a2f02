//! What a listing asks the search backend, and what it answers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{input::Sort, model::ProductSummary};

/// What a listing is filtered on (already checked and resolved to ids).
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    pub craft_ids: Option<Vec<Uuid>>,
    pub artisan: Option<Uuid>,
    pub certified: Option<bool>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
}

/// Where the previous page ended (the cursor's content).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Position {
    pub sort: Sort,
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

/// One listing page's question.
#[derive(Clone, Debug)]
pub(crate) struct SearchRequest {
    /// The query's normalized words; `None` lists without searching.
    pub words: Option<Vec<String>>,
    pub filter: Filter,
    pub sort: Sort,
    pub after: Option<Position>,
    /// How many entries to return at most.
    pub limit: usize,
    /// What "certified" is judged against.
    pub now: DateTime<Utc>,
}

/// A product found, in listing order.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub summary: ProductSummary,
    /// The relevance score (0 when not searching).
    pub score: i64,
}

impl Hit {
    /// The cursor position just after this hit.
    pub(crate) fn position(&self, sort: Sort) -> Position {
        Position {
            sort,
            id: self.summary.id.into_uuid(),
            price: matches!(sort, Sort::PriceAsc | Sort::PriceDesc)
                .then_some(self.summary.price.amount_minor),
            score: (sort == Sort::Relevance).then_some(self.score),
        }
    }
}
