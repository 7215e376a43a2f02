//! Bearer tokens: 256 random bits, shown to the client once; only their SHA-256 is stored, so a
//! leaked database holds no usable token.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// Every token starts with this, so a leaked one is recognizable (secret scanners, logs).
pub(crate) const PREFIX: &str = "souk_";

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source failing is unrecoverable for a server that issues secrets.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("operating system randomness: {e}"));
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_64_hex_digits() {
        let a = random_token();
        assert!(a.starts_with(PREFIX));
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
