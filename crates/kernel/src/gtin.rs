//! GS1 Global Trade Item Numbers: 8, 12, 13 or 14 digits whose last digit checks the others.
//! Stored and signed as 14 digits (GTIN-14, left-padded with zeros), as GS1 Digital Link asks.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gtin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("a GTIN has 8, 12, 13 or 14 digits")]
    Length,
    #[error("a GTIN has only digits")]
    NotDigits,
    #[error("the GTIN's check digit is wrong")]
    CheckDigit,
}

impl Gtin {
    /// The GTIN as 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The GS1 check digit of `digits` (the number without its check digit): weights 3 and 1
    /// alternate from the right, and the digit brings the sum to a multiple of ten.
    pub fn check_digit(digits: &[u8]) -> u8 {
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
            .sum();
        ((10 - sum % 10) % 10) as u8
    }
}

impl FromStr for Gtin {
    type Err = GtinError;

    fn from_str(s: &str) -> Result<Self, GtinError> {
        if !matches!(s.len(), 8 | 12 | 13 | 14) {
            return Err(GtinError::Length);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NotDigits);
        }
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        if Gtin::check_digit(body) != check[0] {
            return Err(GtinError::CheckDigit);
        }
        Ok(Gtin(format!("{s:0>14}")))
    }
}

impl TryFrom<String> for Gtin {
    type Error = GtinError;
    fn try_from(s: String) -> Result<Self, GtinError> {
        s.parse()
    }
}

impl From<Gtin> for String {
    fn from(g: Gtin) -> String {
        g.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_of_every_length_are_checked_and_padded_to_fourteen_digits() {
        // GS1's own example GTIN-13, and the same number as GTIN-14.
        let g: Gtin = "4006381333931".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(g.as_str(), "04006381333931");
        assert_eq!("04006381333931".parse::<Gtin>().ok(), Some(g));
        assert!("96385074".parse::<Gtin>().is_ok(), "a GTIN-8");
        assert!("036000291452".parse::<Gtin>().is_ok(), "a UPC-A");
        assert_eq!("4006381333932".parse::<Gtin>(), Err(GtinError::CheckDigit));
        assert_eq!("400638133393".parse::<Gtin>(), Err(GtinError::CheckDigit));
        assert_eq!("40063813339".parse::<Gtin>(), Err(GtinError::Length));
        assert_eq!("400638133393a".parse::<Gtin>(), Err(GtinError::NotDigits));
    }
}
