//! How well a term of the index matches a word of a query: equal to it, begun by it, or one or
//! two edits away (a letter missing, extra, changed, or two neighbours swapped), each with a
//! quality that ranks exact above prefix above typo. The vocabulary's equivalent forms count as
//! exact.

/// Qualities, multiplied by the weight of where the term is found.
pub const QUALITY_EXACT: i16 = 4;
pub const QUALITY_PREFIX: i16 = 3;
pub const QUALITY_TYPO: i16 = 2;
pub const QUALITY_TWO_TYPOS: i16 = 1;

/// Shortest word that finds longer words it begins.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Shortest word whose typos are forgiven; shorter words would match too much.
pub const MIN_TYPO_CHARS: usize = 4;
/// Shortest word forgiven two typos: among shorter words, two edits reach unrelated words.
pub const MIN_TWO_TYPOS_CHARS: usize = 8;

/// Words of a query used; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 8;
/// Terms one query word may expand to (the closest are kept).
pub const MAX_CANDIDATES: usize = 48;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub term: String,
    pub quality: i16,
}

/// The most edits forgiven in a word of this many characters.
pub fn typos_allowed(chars: usize) -> u8 {
    match chars {
        c if c >= MIN_TWO_TYPOS_CHARS => 2,
        c if c >= MIN_TYPO_CHARS => 1,
        _ => 0,
    }
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
    match typos_allowed(word_chars) {
        0 => None,
        allowed => match edit_distance(word, term, allowed) {
            Some(1) => Some(QUALITY_TYPO),
            Some(2) => Some(QUALITY_TWO_TYPOS),
            _ => None,
        },
    }
}

/// True when one insertion, deletion, substitution or swap of neighbours turns `a` into `b`.
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    edit_distance(a, b, 1) == Some(1)
}

/// The optimal string alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours), if it is at most `max`.
pub fn edit_distance(a: &str, b: &str, max: u8) -> Option<u8> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let max = usize::from(max);
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Three rows of the dynamic programme: two back (for swaps), one back, and this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= max).then(|| u8::try_from(distance).unwrap_or(u8::MAX))
}

/// Orders candidates best first: by quality, then shorter terms, then alphabetically.
pub fn rank(candidates: &mut Vec<Candidate>) {
    candidates.sort_by(|a, b| {
        b.quality
            .cmp(&a.quality)
            .then(a.term.chars().count().cmp(&b.term.chars().count()))
            .then(a.term.cmp(&b.term))
    });
    candidates.truncate(MAX_CANDIDATES);
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn long_words_are_forgiven_two_typos_and_short_ones_are_not() {
        assert_eq!(quality("feronerie", "ferronnerie"), Some(QUALITY_TWO_TYPOS));
        assert_eq!(
            quality("marqeterei", "marqueterie"),
            Some(QUALITY_TWO_TYPOS)
        );
        // Seven letters: one typo at most.
        assert_eq!(quality("potarei", "poterie"), None);
        assert_eq!(quality("tapis", "tamis"), Some(QUALITY_TYPO));
        assert_eq!(quality("tapis", "tamisa"), None);
        // Three edits are too many even for a long word.
        assert_eq!(quality("ferronerie", "fromagerie"), None);
    }

    #[test]
    fn distances_count_swaps_as_one_edit() {
        assert_eq!(edit_distance("ab", "ba", 2), Some(1));
        assert_eq!(edit_distance("abcdef", "abcdef", 2), Some(0));
        assert_eq!(edit_distance("abcdef", "badcfe", 2), None);
        assert_eq!(edit_distance("", "ab", 2), Some(2));
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
    }

    #[test]
    fn candidates_rank_by_quality_then_length() {
        let mut found = vec![
            Candidate {
                term: "poterie".into(),
                quality: QUALITY_PREFIX,
            },
            Candidate {
                term: "pote".into(),
                quality: QUALITY_EXACT,
            },
            Candidate {
                term: "potee".into(),
                quality: QUALITY_PREFIX,
            },
        ];
        rank(&mut found);
        let terms: Vec<&str> = found.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["pote", "potee", "poterie"]);
    }
}
