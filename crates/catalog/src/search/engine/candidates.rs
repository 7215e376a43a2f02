//! A query word's candidates, read from the index's term dictionaries: the word itself, its
//! vocabulary equivalents, the terms it begins, and the terms one or two typos away (through a
//! Levenshtein automaton over the dictionary).

use std::collections::BTreeMap;

use tantivy::{Searcher, Term, query::FuzzyTermQuery, termdict::TermDictionary};

use super::schema::Fields;
use crate::{
    CatalogError,
    search::{
        query::{Candidate, MIN_PREFIX_CHARS, QUALITY_EXACT, quality, rank, typos_allowed},
        vocabulary::Vocabulary,
    },
};

/// Terms a prefix may stream per dictionary: a two-letter prefix of a large vocabulary is
/// cut here, the shortest terms being kept among those read.
const MAX_PREFIX_TERMS: usize = 20_000;

/// The best candidates of `word`, best first.
pub(crate) fn of_word(
    searcher: &Searcher,
    fields: &Fields,
    vocabulary: &Vocabulary,
    word: &str,
) -> Result<Vec<Candidate>, CatalogError> {
    let fault = |e: std::io::Error| CatalogError::SearchUnavailable(e.to_string());
    let typos = typos_allowed(word.chars().count());
    let automaton = match typos {
        0 => None,
        n => Some(
            FuzzyTermQuery::new(Term::from_field_text(fields.words, word), n, true)
                .automaton()
                .map_err(|e| CatalogError::SearchUnavailable(e.to_string()))?,
        ),
    };
    let equivalents: Vec<&str> = vocabulary.equivalents(word).collect();
    let mut found: BTreeMap<String, i16> = BTreeMap::new();
    let mut note = |term: &[u8], quality: i16| {
        let Ok(term) = std::str::from_utf8(term) else {
            return;
        };
        let best = found.entry(term.to_owned()).or_insert(quality);
        *best = (*best).max(quality);
    };
    for segment in searcher.segment_readers() {
        let inverted = segment
            .inverted_index(fields.words)
            .map_err(|e| CatalogError::SearchUnavailable(e.to_string()))?;
        let dictionary: &TermDictionary = inverted.terms();
        for exact in std::iter::once(word).chain(equivalents.iter().copied()) {
            if dictionary.get(exact).map_err(fault)?.is_some() {
                note(exact.as_bytes(), QUALITY_EXACT);
            }
        }
        if word.chars().count() >= MIN_PREFIX_CHARS {
            let mut stream = dictionary.range().ge(word).into_stream().map_err(fault)?;
            let mut read = 0;
            while read < MAX_PREFIX_TERMS && stream.advance() {
                let term = stream.key();
                if !term.starts_with(word.as_bytes()) {
                    break;
                }
                read += 1;
                if let Some(q) = std::str::from_utf8(term)
                    .ok()
                    .and_then(|t| quality(word, t))
                {
                    note(term, q);
                }
            }
        }
        if let Some(automaton) = &automaton {
            let mut stream = dictionary.search(automaton).into_stream().map_err(fault)?;
            while stream.advance() {
                let term = stream.key();
                if let Some(q) = std::str::from_utf8(term)
                    .ok()
                    .and_then(|t| quality(word, t))
                {
                    note(term, q);
                }
            }
        }
    }
    let mut candidates: Vec<Candidate> = found
        .into_iter()
        .map(|(term, quality)| Candidate { term, quality })
        .collect();
    rank(&mut candidates);
    Ok(candidates)
}
