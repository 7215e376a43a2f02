//! Matching a query's words against the vocabulary: each word finds the terms equal to it, the
//! terms it begins, and the terms one edit away (a letter missing, extra, changed, or two
//! swapped), each with a quality that ranks exact above prefix above typo.

use std::collections::BTreeMap;

use souk_db::{
    ConnectionTrait, DbErr,
    entities::search_keys,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};

use super::index::{KIND_DELETION, KIND_EXACT, MIN_PREFIX_CHARS, MIN_TYPO_CHARS, without};

pub const QUALITY_EXACT: i16 = 4;
pub const QUALITY_PREFIX: i16 = 3;
pub const QUALITY_TYPO: i16 = 2;

/// Words of a query used; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 8;
/// Terms one query word may expand to (the closest are kept).
pub const MAX_CANDIDATES: usize = 48;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub term: String,
    pub quality: i16,
}

/// The keys to look up for a query word: itself, and its deletions when it is long enough for
/// typos to count.
pub fn lookup_keys(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut keys = vec![word.to_owned()];
    if chars.len() >= MIN_TYPO_CHARS {
        keys.extend((0..chars.len()).map(|skip| without(&chars, skip)));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// How well `term` matches the query `word`, if at all.
pub fn quality(word: &str, term: &str) -> Option<i16> {
    if term == word {
        return Some(QUALITY_EXACT);
    }
    let word_chars = word.chars().count();
    if word_chars >= MIN_PREFIX_CHARS && term.starts_with(word) {
        return Some(QUALITY_PREFIX);
    }
    if word_chars >= MIN_TYPO_CHARS && one_edit_apart(word, term) {
        return Some(QUALITY_TYPO);
    }
    None
}

/// True when one insertion, deletion, substitution or swap of neighbours turns `a` into `b`
/// (optimal string alignment distance 1).
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match (ra.len(), rb.len()) {
        (x, y) if x == y + 1 => ra[1..] == *rb,
        (x, y) if y == x + 1 => rb[1..] == *ra,
        _ => {
            ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
    }
}

/// For each query word, the vocabulary terms it matches, best first.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    words: &[String],
) -> Result<Vec<Vec<Candidate>>, DbErr> {
    let mut all_keys: Vec<String> = words.iter().flat_map(|w| lookup_keys(w)).collect();
    all_keys.sort();
    all_keys.dedup();
    let rows = search_keys::Entity::find()
        .filter(search_keys::Column::Key.is_in(all_keys))
        .all(conn)
        .await?;
    Ok(words
        .iter()
        .map(|word| candidates_for(word, &rows))
        .collect())
}

fn candidates_for(word: &str, rows: &[search_keys::Model]) -> Vec<Candidate> {
    let deletions = lookup_keys(word);
    let mut best: BTreeMap<&str, i16> = BTreeMap::new();
    for row in rows {
        // A key equal to the word can be anything to the term; a deletion of the word is only
        // useful against the term itself or the term's own deletions, not its prefixes.
        let relevant = row.key == word
            || (deletions.contains(&row.key) && row.kind & (KIND_EXACT | KIND_DELETION) != 0);
        if !relevant {
            continue;
        }
        if let Some(q) = quality(word, &row.term) {
            let entry = best.entry(row.term.as_str()).or_insert(q);
            *entry = (*entry).max(q);
        }
    }
    let mut candidates: Vec<Candidate> = best
        .into_iter()
        .map(|(term, quality)| Candidate {
            term: term.to_owned(),
            quality,
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.quality
            .cmp(&a.quality)
            .then(a.term.chars().count().cmp(&b.term.chars().count()))
            .then(a.term.cmp(&b.term))
    });
    candidates.truncate(MAX_CANDIDATES);
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::index::KIND_PREFIX;

    #[test]
    fn one_edit_covers_insertions_deletions_substitutions_and_swaps() {
        assert!(one_edit_apart("poterie", "poteri"));
        assert!(one_edit_apart("poteri", "poterie"));
        assert!(one_edit_apart("poterie", "potarie"));
        assert!(one_edit_apart("poterie", "potreie"));
        assert!(one_edit_apart("زليج", "زلبج"));
        assert!(!one_edit_apart("poterie", "poterie"));
        assert!(!one_edit_apart("poterie", "pottery"));
        assert!(!one_edit_apart("tapis", "tajine"));
    }

    #[test]
    fn exact_beats_prefix_beats_typo() {
        assert_eq!(quality("bol", "bol"), Some(QUALITY_EXACT));
        assert_eq!(quality("pot", "poterie"), Some(QUALITY_PREFIX));
        assert_eq!(quality("potrie", "poterie"), Some(QUALITY_TYPO));
        // Too short to forgive a typo.
        assert_eq!(quality("bol", "bal"), None);
        assert_eq!(quality("p", "poterie"), None);
    }

    fn row(key: &str, term: &str, kind: i16) -> search_keys::Model {
        search_keys::Model {
            key: key.into(),
            term: term.into(),
            kind,
        }
    }

    #[test]
    fn candidates_are_ranked_and_unrelated_terms_dropped() {
        let rows = vec![
            row("pote", "poterie", KIND_PREFIX),
            row("pote", "potee", KIND_PREFIX | KIND_DELETION),
            row("pote", "pote", KIND_EXACT),
            // A prefix of some other word that happens to equal a deletion of the query.
            row("ote", "otelo", KIND_PREFIX),
        ];
        let found = candidates_for("pote", &rows);
        let terms: Vec<&str> = found.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["pote", "potee", "poterie"]);
        assert_eq!(found[0].quality, QUALITY_EXACT);
    }
}
