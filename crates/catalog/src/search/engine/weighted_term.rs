//! A term scored by its frequency in the document times a quality. The index repeats each of a
//! product's words as many times as the place it appears in weighs (title 8, ..., description
//! 1; the highest place counts), so the frequency is the word's weight in that product, and one
//! posting list per term serves every place at once.

use tantivy::{
    DocId, DocSet, Score, SegmentReader, TantivyError, Term,
    postings::{Postings, SegmentPostings},
    query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight},
    schema::IndexRecordOption,
};

#[derive(Clone, Debug)]
pub(crate) struct WeightedTermQuery {
    term: Term,
    quality: Score,
}

impl WeightedTermQuery {
    pub(crate) fn new(term: Term, quality: i16) -> WeightedTermQuery {
        WeightedTermQuery {
            term,
            quality: Score::from(quality),
        }
    }
}

impl Query for WeightedTermQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(WeightedTermWeight {
            term: self.term.clone(),
            quality: self.quality,
        }))
    }
}

struct WeightedTermWeight {
    term: Term,
    quality: Score,
}

impl Weight for WeightedTermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let postings = reader
            .inverted_index(self.term.field())?
            .read_postings(&self.term, IndexRecordOption::WithFreqs)?;
        Ok(match postings {
            Some(postings) => Box::new(WeightedTermScorer {
                postings,
                quality: self.quality * boost,
            }),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("weight x quality", scorer.score()))
    }
}

struct WeightedTermScorer {
    postings: SegmentPostings,
    quality: Score,
}

impl DocSet for WeightedTermScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for WeightedTermScorer {
    fn score(&mut self) -> Score {
        self.postings.term_freq() as Score * self.quality
    }
}
