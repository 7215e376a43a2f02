//! Serials: ten characters of Crockford base32 (50 random bits), unique across every label. The
//! same serial, grouped five and five, is the short code printed beside the QR code for those who
//! type it instead of scanning.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::code;

pub const SERIAL_LEN: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Serial(String);

impl Serial {
    pub(crate) fn random() -> Serial {
        Serial(code::random(SERIAL_LEN))
    }

    /// A serial as printed, scanned or typed (`k7q2m-9xp3d`, `K7Q2M9XP3D`); `None` if it cannot
    /// be one of ours.
    pub fn parse(typed: &str) -> Option<Serial> {
        code::normalize(typed)
            .filter(|s| s.len() == SERIAL_LEN)
            .map(Serial)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `K7Q2M-9XP3D`: the short code printed on the label.
    pub fn short_code(&self) -> String {
        let (a, b) = self.0.split_at(SERIAL_LEN / 2);
        format!("{a}-{b}")
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_code_typed_any_way_finds_its_serial() {
        let serial = Serial::random();
        let short = serial.short_code();
        assert_eq!(short.len(), SERIAL_LEN + 1);
        assert_eq!(Serial::parse(&short), Some(serial.clone()));
        assert_eq!(Serial::parse(&short.to_lowercase()), Some(serial));
        assert_eq!(Serial::parse("K7Q2M"), None);
        assert_eq!(Serial::parse("K7Q2M9XP3D7"), None);
    }
}
