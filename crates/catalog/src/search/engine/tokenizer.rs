//! Souk's normalizer as a tantivy tokenizer: indexed text and queries fold the same way
//! ([`crate::search::normalize`]), so the index holds exactly the terms the SQL index held.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::search::normalize::tokens;

/// The name the text fields are indexed with.
pub(crate) const NAME: &str = "souk";

#[derive(Clone, Default)]
pub(crate) struct SoukTokenizer;

pub(crate) struct Terms {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for SoukTokenizer {
    type TokenStream<'a> = Terms;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Terms {
        let tokens = tokens(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                // Offsets are not kept (no highlighting): the terms are folded forms anyway.
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        Terms { tokens, next: 0 }
    }
}

impl TokenStream for Terms {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_gives_the_normalized_terms_in_order() {
        let mut tokenizer = SoukTokenizer;
        let mut stream = tokenizer.token_stream("Poterie émaillée de Fès, الفَخّار");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push((stream.token().position, stream.token().text.clone()));
        }
        let expected = [(0, "poterie"), (1, "emaillee"), (2, "fes"), (3, "فخار")];
        let expected: Vec<(usize, String)> = expected
            .iter()
            .map(|(p, t)| (*p, (*t).to_owned()))
            .collect();
        assert_eq!(seen, expected);
    }
}
