//! Money in integer minor units. Prices are Moroccan dirhams (MAD) in centimes; no float ever
//! touches an amount.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// ISO 4217 currencies Souk holds amounts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Currency {
    #[serde(rename = "MAD")]
    Mad,
}

impl Currency {
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Mad => "MAD",
        }
    }

    /// How many minor units make one major unit (100 centimes to the dirham).
    pub const fn minor_per_major(self) -> i64 {
        match self {
            Currency::Mad => 100,
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "MAD" => Some(Currency::Mad),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("amount must not be negative")]
    Negative,
    #[error("amount is larger than {max} minor units")]
    TooLarge { max: i64 },
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
}

/// An amount of money: integer minor units and a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Amount in minor units (centimes for MAD).
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    /// The largest price Souk accepts: ten million dirhams. Bounding it keeps every sum of a
    /// realistic order far from `i64` overflow.
    pub const MAX_PRICE_MINOR: i64 = 1_000_000_000;

    /// A price: non-negative and bounded.
    pub fn price(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount_minor < 0 {
            return Err(MoneyError::Negative);
        }
        if amount_minor > Self::MAX_PRICE_MINOR {
            return Err(MoneyError::TooLarge {
                max: Self::MAX_PRICE_MINOR,
            });
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    pub const fn mad(amount_minor: i64) -> Self {
        Self {
            amount_minor,
            currency: Currency::Mad,
        }
    }
}

impl fmt::Display for Money {
    /// `1234.50 MAD`: for logs and humans; clients format amounts themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.currency.minor_per_major();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let per = per.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:02} {}",
            abs / per,
            abs % per,
            self.currency.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_bounded_and_never_negative() {
        assert_eq!(Money::price(-1, Currency::Mad), Err(MoneyError::Negative));
        assert!(Money::price(Money::MAX_PRICE_MINOR + 1, Currency::Mad).is_err());
        assert_eq!(Money::price(0, Currency::Mad), Ok(Money::mad(0)));
    }

    #[test]
    fn money_displays_in_major_units() {
        assert_eq!(Money::mad(123_450).to_string(), "1234.50 MAD");
        assert_eq!(Money::mad(5).to_string(), "0.05 MAD");
    }
}
