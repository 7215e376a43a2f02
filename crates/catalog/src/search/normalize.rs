//! Turns text into search terms. The same function runs on indexed text and on queries, so a
//! buyer's spelling meets the seller's:
//!
//! - Arabic: diacritics (tashkeel) and tatweel are dropped; alef forms (أ إ آ ٱ) become ا, ى
//!   becomes ي, ة becomes ه, and hamza carriers lose their hamza; the article ال (also after و ب
//!   ك ف, and لل) is taken off; Arabic-Indic digits become 0-9.
//! - Latin script: accents are dropped (é is e), ligatures split (œ is oe), everything is lower case.
//! - Common function words in the three languages are not terms.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Longest term kept, in characters; longer words are cut (the database column holds 64).
pub const MAX_TERM_CHARS: usize = 48;

/// Function words that match everything and mean little, after normalization.
const STOPWORDS: &[&str] = &[
    // French
    "le", "la", "les", "l", "de", "du", "des", "d", "un", "une", "et", "en", "a", "au", "aux",
    "pour", "par", "sur", "avec", "dans", "ou", "ce", "ces", "son", "sa", "ses",
    // English
    "the", "an", "of", "and", "or", "for", "with", "in", "on", "to", "from", "by", "its",
    // Arabic (normalized)
    "في", "من", "علي", "مع", "الي", "عن", "او", "و", "ب", "ل", "هذا", "هذه",
];

/// Maps one character (already decomposed) to its search form, or drops it.
fn fold(c: char, out: &mut String) {
    match c {
        // Tatweel, and the zero-width joiners and marks that decorate Arabic text.
        '\u{0640}' | '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' => {}
        c if is_combining_mark(c) => {}
        'ى' | 'ی' => out.push('ي'),
        'ة' => out.push('ه'),
        'ٱ' => out.push('ا'),
        'ک' => out.push('ك'),
        '\u{0660}'..='\u{0669}' => out.push(arabic_digit(c, '\u{0660}')),
        '\u{06F0}'..='\u{06F9}' => out.push(arabic_digit(c, '\u{06F0}')),
        'œ' | 'Œ' => out.push_str("oe"),
        'æ' | 'Æ' => out.push_str("ae"),
        'ß' => out.push_str("ss"),
        c => out.extend(c.to_lowercase()),
    }
}

fn arabic_digit(c: char, zero: char) -> char {
    let offset = u32::from(c) - u32::from(zero);
    char::from_digit(offset, 10).unwrap_or('0')
}

fn is_arabic_letter(c: char) -> bool {
    ('\u{0621}'..='\u{064A}').contains(&c)
}

/// Takes the definite article off an Arabic word, when what remains is still a word.
fn strip_article(word: &str) -> &str {
    const ARTICLES: [&str; 6] = ["وال", "بال", "كال", "فال", "لل", "ال"];
    if !word.chars().next().is_some_and(is_arabic_letter) {
        return word;
    }
    for article in ARTICLES {
        if let Some(rest) = word.strip_prefix(article)
            && rest.chars().count() >= 2
        {
            return rest;
        }
    }
    word
}

/// The search terms of `text`, in order, without function words. Duplicates are kept.
pub fn tokens(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd() {
        fold(c, &mut folded);
    }
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(strip_article)
        .filter(|w| !STOPWORDS.contains(w))
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> String {
        tokens(text).join(" ")
    }

    #[test]
    fn arabic_diacritics_and_tatweel_are_dropped() {
        assert_eq!(one("فَخَّار"), one("فخار"));
        assert_eq!(one("فخـــار"), one("فخار"));
        assert_eq!(one("زُلَيْج"), "زليج");
    }

    #[test]
    fn arabic_letter_variants_meet() {
        assert_eq!(one("أحمد"), one("احمد"));
        assert_eq!(one("إبريق"), one("ابريق"));
        assert_eq!(one("آنية"), one("انيه"));
        assert_eq!(one("مصطفى"), one("مصطفي"));
        assert_eq!(one("زربية"), one("زربيه"));
    }

    #[test]
    fn the_arabic_article_is_taken_off() {
        assert_eq!(one("الفخار"), "فخار");
        assert_eq!(one("والزليج"), "زليج");
        assert_eq!(one("بالنحاس"), "نحاس");
        // Too short to be an article and a word: kept.
        assert_eq!(one("الم"), "الم");
    }

    #[test]
    fn french_accents_and_case_are_dropped() {
        assert_eq!(one("Poterie émaillée"), "poterie emaillee");
        assert_eq!(one("CÉRAMIQUE"), "ceramique");
        assert_eq!(one("Œuvre"), "oeuvre");
    }

    #[test]
    fn function_words_and_punctuation_are_not_terms() {
        assert_eq!(one("Tapis de l'Atlas, en laine"), "tapis atlas laine");
        assert_eq!(one("the bowl of Fès"), "bowl fes");
        assert_eq!(one("طاجين من فاس"), "طاجين فاس");
    }

    #[test]
    fn digits_of_every_script_are_ascii() {
        assert_eq!(one("٢٠٢٦"), "2026");
        assert_eq!(one("۱۲"), "12");
    }

    #[test]
    fn tifinagh_is_kept_as_written() {
        assert_eq!(one("ⵜⴰⵎⴰⵣⵉⵖⵜ"), "ⵜⴰⵎⴰⵣⵉⵖⵜ");
    }

    #[test]
    fn long_words_are_cut() {
        assert_eq!(tokens(&"x".repeat(100))[0].chars().count(), MAX_TERM_CHARS);
    }
}
