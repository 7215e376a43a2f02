//! The order of a listing as a tantivy sort key, with the keyset position applied while
//! collecting: an entry at or before the cursor gets no key and is dropped, so a later page is
//! the top of what follows the cursor, never pages one to n ranked again and skipped.

use std::sync::Arc;

use tantivy::{
    DocId, Score, SegmentReader,
    collector::{
        SegmentSortKeyComputer, SortKeyComputer, TopNComputer,
        sort_key::{Comparator, NaturalComparator},
    },
    columnar::ColumnValues,
};

use super::schema::Fields;
use crate::{CatalogError, input::Sort, search::request::Position};

/// Higher ranks first: the primary value of the order, then the id.
pub(crate) type Key = (i64, u128);

/// The key of an entry in `sort` order.
pub(crate) fn key(sort: Sort, score: i64, price: i64, id: u128) -> Key {
    match sort {
        Sort::Relevance => (score, id),
        Sort::Newest => (0, id),
        Sort::PriceDesc => (price, id),
        // Cheapest first, then the oldest id first.
        Sort::PriceAsc => (-price, u128::MAX - id),
    }
}

/// The key of the cursor's entry.
pub(crate) fn key_of(position: &Position, sort: Sort) -> Result<Key, CatalogError> {
    if position.sort != sort {
        return Err(CatalogError::InvalidCursor);
    }
    let id = position.id.as_u128();
    Ok(match sort {
        Sort::Relevance => key(
            sort,
            position.score.ok_or(CatalogError::InvalidCursor)?,
            0,
            id,
        ),
        Sort::Newest => key(sort, 0, 0, id),
        Sort::PriceAsc | Sort::PriceDesc => key(
            sort,
            0,
            position.price.ok_or(CatalogError::InvalidCursor)?,
            id,
        ),
    })
}

/// The relevance score as the integer it is: a sum of weight x quality products, exact in an f32.
pub(crate) fn score_of(score: Score) -> i64 {
    score as i64
}

pub(crate) struct Ranking {
    pub sort: Sort,
    /// Only entries ranked strictly below this key are collected.
    pub below: Option<Key>,
    pub fields: Fields,
}

impl SortKeyComputer for Ranking {
    type SortKey = Option<Key>;
    type Child = SegmentRanking;
    type Comparator = NaturalComparator;

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn segment_sort_key_computer(&self, reader: &SegmentReader) -> tantivy::Result<SegmentRanking> {
        let schema = reader.schema();
        let name = |field| schema.get_field_name(field).to_owned();
        let fast = reader.fast_fields();
        Ok(SegmentRanking {
            sort: self.sort,
            below: self.below,
            id_hi: fast.u64(&name(self.fields.id_hi))?.first_or_default_col(0),
            id_lo: fast.u64(&name(self.fields.id_lo))?.first_or_default_col(0),
            price: fast.i64(&name(self.fields.price))?.first_or_default_col(0),
        })
    }
}

pub(crate) struct SegmentRanking {
    sort: Sort,
    below: Option<Key>,
    id_hi: Arc<dyn ColumnValues<u64>>,
    id_lo: Arc<dyn ColumnValues<u64>>,
    price: Arc<dyn ColumnValues<i64>>,
}

impl SegmentRanking {
    /// The first value of the key, without reading the id.
    fn primary(&self, doc: DocId, score: Score) -> i64 {
        match self.sort {
            Sort::Relevance => score_of(score),
            Sort::Newest => 0,
            Sort::PriceDesc => self.price.get_val(doc),
            Sort::PriceAsc => -self.price.get_val(doc),
        }
    }
}

impl SegmentSortKeyComputer for SegmentRanking {
    type SortKey = Option<Key>;
    type SegmentSortKey = Option<Key>;
    type SegmentComparator = NaturalComparator;

    fn segment_sort_key(&mut self, doc: DocId, score: Score) -> Option<Key> {
        let id = (u128::from(self.id_hi.get_val(doc)) << 64) | u128::from(self.id_lo.get_val(doc));
        let price = match self.sort {
            Sort::PriceAsc | Sort::PriceDesc => self.price.get_val(doc),
            Sort::Relevance | Sort::Newest => 0,
        };
        let key = key(self.sort, score_of(score), price, id);
        match self.below {
            Some(below) if key >= below => None,
            _ => Some(key),
        }
    }

    /// Most entries rank below the page gathered so far, or before the cursor, on their first
    /// value alone (a score, a price): those are dropped without reading their ids.
    fn compute_sort_key_and_collect<C: Comparator<Option<Key>>>(
        &mut self,
        doc: DocId,
        score: Score,
        top: &mut TopNComputer<Option<Key>, DocId, C>,
    ) {
        let primary = self.primary(doc, score);
        if let Some(Some((lowest, _))) = &top.threshold
            && primary < *lowest
        {
            return;
        }
        // Ranked before the cursor on its first value alone: on an earlier page.
        if let Some((cursor, _)) = self.below
            && primary > cursor
        {
            return;
        }
        let key = self.segment_sort_key(doc, score);
        top.push(key, doc);
    }

    fn convert_segment_sort_key(&self, key: Option<Key>) -> Option<Key> {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheaper_ranks_higher_in_price_ascending_order_and_ties_go_to_the_older_id() {
        let cheap = key(Sort::PriceAsc, 0, 100, 7);
        let dear = key(Sort::PriceAsc, 0, 900, 1);
        assert!(cheap > dear);
        assert!(key(Sort::PriceAsc, 0, 100, 1) > key(Sort::PriceAsc, 0, 100, 2));
        assert!(key(Sort::PriceDesc, 0, 900, 1) > key(Sort::PriceDesc, 0, 100, 7));
        assert!(key(Sort::Relevance, 32, 0, 1) > key(Sort::Relevance, 8, 0, 9));
    }
}
