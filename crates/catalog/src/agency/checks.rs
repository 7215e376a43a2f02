//! Checks on what agents send from the field.

use chrono::{NaiveDate, Utc};

use super::model::{ConsentInput, Payout};
use crate::{CatalogError, input};

/// A phone number in international form: `+` and 8 to 15 digits. A Moroccan national number
/// (`06…`, `07…`, `05…`, ten digits) becomes `+212…`. Spaces, dots and dashes are dropped.
pub fn phone(field: &str, raw: &str) -> Result<String, CatalogError> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let (digits, international) = match compact.strip_prefix('+') {
        Some(rest) => (rest.to_owned(), true),
        None => match compact.strip_prefix("00") {
            Some(rest) => (rest.to_owned(), true),
            None => (compact.clone(), false),
        },
    };
    let bad = || {
        CatalogError::invalid(
            field,
            "is not a phone number (+212 6xx xx xx xx, or 06xx xx xx xx)",
        )
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if international {
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(bad());
        }
        Ok(format!("+{digits}"))
    } else if digits.len() == 10 && digits.starts_with('0') {
        Ok(format!("+212{}", &digits[1..]))
    } else {
        Err(bad())
    }
}

/// A Moroccan RIB: 24 digits whose last two are the key, `97 - (first 22 digits × 100 mod 97)`.
pub(crate) fn rib(field: &str, raw: &str) -> Result<String, CatalogError> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 24 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(CatalogError::invalid(field, "a RIB has 24 digits"));
    }
    let (number, key) = digits.split_at(22);
    let remainder = format!("{number}00")
        .bytes()
        .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
    let expected = 97 - remainder;
    if key.parse::<u32>().ok() != Some(expected) {
        return Err(CatalogError::invalid(
            field,
            "the RIB's key does not match its number (a digit is wrong)",
        ));
    }
    Ok(digits)
}

pub(crate) fn payout(field: &str, payout: Payout) -> Result<Payout, CatalogError> {
    Ok(match payout {
        Payout::BankTransfer {
            holder,
            rib: number,
        } => Payout::BankTransfer {
            holder: input::short_line(&format!("{field}.holder"), &holder, 120)?,
            rib: rib(&format!("{field}.rib"), &number)?,
        },
        Payout::MobileWallet {
            provider,
            phone: number,
        } => Payout::MobileWallet {
            provider: input::short_line(&format!("{field}.provider"), &provider, 60)?,
            phone: phone(&format!("{field}.phone"), &number)?,
        },
        Payout::CashViaAgent => Payout::CashViaAgent,
    })
}

/// A consent must say when, how, before whom, and where its proof is; it cannot be dated in the
/// future.
pub(crate) fn consent(consent: ConsentInput) -> Result<ConsentInput, CatalogError> {
    let today = Utc::now().date_naive();
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today);
    if consent.given_on > today {
        return Err(CatalogError::invalid(
            "consent.given_on",
            "is in the future",
        ));
    }
    if consent.given_on < earliest {
        return Err(CatalogError::invalid("consent.given_on", "is before 2000"));
    }
    Ok(ConsentInput {
        witness: input::short_line("consent.witness", &consent.witness, 120)?,
        reference: input::short_line("consent.reference", &consent.reference, 500)?,
        ..consent
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_international() {
        assert_eq!(
            phone("p", "06 12 34 56 78").ok().as_deref(),
            Some("+212612345678")
        );
        assert_eq!(
            phone("p", "+212 6-12-34-56-78").ok().as_deref(),
            Some("+212612345678")
        );
        assert_eq!(
            phone("p", "0033 6 12 34 56 78").ok().as_deref(),
            Some("+33612345678")
        );
        for bad in [
            "",
            "12345",
            "+0612345678",
            "06 12 34 56 7x",
            "+1234567890123456",
        ] {
            assert!(phone("p", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_rib_needs_its_key() {
        // 22 digits, then their key.
        let number = "0117800000012345678901";
        let remainder = format!("{number}00")
            .bytes()
            .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
        let good = format!("{number}{:02}", 97 - remainder);
        assert_eq!(rib("r", &good).ok(), Some(good.clone()));
        let mut wrong = good.clone().into_bytes();
        wrong[5] = if wrong[5] == b'9' { b'8' } else { wrong[5] + 1 };
        assert!(rib("r", &String::from_utf8_lossy(&wrong)).is_err());
        assert!(rib("r", "123").is_err());
    }
}
