//! The vocabulary of the trade: groups of forms that mean the same thing to a buyer (Arabic
//! broken plurals, Moroccan and standard forms, spelling variants in the three languages). It is
//! reference data: Souk ships `data/vocabulary.txt`, and an operator may add a file of the same
//! shape. It is applied when searching: a query word of a group also finds the group's other
//! forms, as exact matches.

use std::collections::{BTreeSet, HashMap};

use super::normalize::tokens;

const BUILT_IN: &str = include_str!("../../data/vocabulary.txt");

#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    groups: Vec<BTreeSet<String>>,
    /// Each normalized form and the index of its group.
    forms: HashMap<String, usize>,
}

impl Vocabulary {
    /// The vocabulary Souk ships.
    pub fn built_in() -> Vocabulary {
        Vocabulary::parse(BUILT_IN)
            .unwrap_or_else(|e| panic!("the built-in vocabulary does not parse: {e}"))
    }

    /// Reads groups, one per line: forms separated by commas, `#` starting a comment.
    pub fn parse(text: &str) -> Result<Vocabulary, String> {
        let mut vocabulary = Vocabulary::default();
        vocabulary.add(text)?;
        Ok(vocabulary)
    }

    /// Adds the groups of `text` (the same shape as [`Vocabulary::parse`]); a group sharing a form
    /// with a known one joins it.
    pub fn add(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let mut group = BTreeSet::new();
            for form in line.split([',', '،']) {
                let form = form.trim();
                match tokens(form).as_slice() {
                    [] if form.is_empty() => {}
                    [word] => {
                        group.insert(word.clone());
                    }
                    _ => {
                        return Err(format!(
                            "line {}: «{form}» is not one searchable word",
                            number + 1
                        ));
                    }
                }
            }
            if group.len() < 2 {
                return Err(format!(
                    "line {}: a group needs two different forms at least",
                    number + 1
                ));
            }
            self.join(group);
        }
        Ok(())
    }

    fn join(&mut self, mut group: BTreeSet<String>) {
        let mut known: Vec<usize> = group
            .iter()
            .filter_map(|form| self.forms.get(form).copied())
            .collect();
        known.sort_unstable();
        known.dedup();
        let target = match known.first() {
            Some(&first) => first,
            None => {
                self.groups.push(BTreeSet::new());
                self.groups.len() - 1
            }
        };
        // Groups bridged by this one merge into the first of them (the others stay, emptied).
        for &other in known.iter().skip(1) {
            group.extend(std::mem::take(&mut self.groups[other]));
        }
        for form in &group {
            self.forms.insert(form.clone(), target);
        }
        self.groups[target].extend(group);
    }

    /// The other forms of `word`'s group (normalized), if it has one.
    pub fn equivalents<'a>(&'a self, word: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.forms
            .get(word)
            .into_iter()
            .flat_map(|&group| self.groups[group].iter())
            .map(String::as_str)
            .filter(move |form| *form != word)
    }

    /// How many forms it knows.
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn others(v: &Vocabulary, word: &str) -> Vec<String> {
        v.equivalents(&tokens(word).join(" "))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_built_in_vocabulary_parses_and_knows_broken_plurals() {
        let v = Vocabulary::built_in();
        assert!(v.len() > 100, "{}", v.len());
        assert_eq!(others(&v, "فوانيس"), tokens("فانوس"));
        assert!(others(&v, "البلاغي").contains(&tokens("بلغة")[0]));
        assert!(others(&v, "jewelry").contains(&"jewellery".to_owned()));
        assert!(others(&v, "Émaux").contains(&"email".to_owned()));
        assert!(others(&v, "poterie").is_empty());
    }

    #[test]
    fn groups_sharing_a_form_merge() {
        let mut v = Vocabulary::parse("a1, b1\nc1, d1").unwrap_or_else(|e| panic!("{e}"));
        v.add("b1, c1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(others(&v, "a1"), ["b1", "c1", "d1"]);
        assert_eq!(others(&v, "d1"), ["a1", "b1", "c1"]);
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        let err = Vocabulary::parse("# comment\nbol, bols\ntapis de laine, tapis")
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = Vocabulary::parse("bol, Bol").err().unwrap_or_default();
        assert!(err.contains("two different forms"), "{err}");
    }
}
