//! Short codes people read and type: Crockford's base32 (no I, L, O or U), so `1`/`I`/`L` and
//! `0`/`O` typed for one another still find the right code. Serials, certification codes and key
//! ids are all made of it.

/// Crockford's base32 alphabet.
pub(crate) const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Which bytes are characters of [`ALPHABET`].
const IN_ALPHABET: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = true;
        i += 1;
    }
    table
};

/// Whether `b` is a character of [`ALPHABET`].
pub(crate) fn in_alphabet(b: u8) -> bool {
    IN_ALPHABET[usize::from(b)]
}

/// A random code of `len` characters.
pub(crate) fn random(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    // The OS random source does not fail on the systems Souk runs on; if it did, refusing to
    // continue is right (codes must be unguessable).
    if let Err(e) = getrandom::fill(&mut bytes) {
        panic!("the system's random source failed: {e}");
    }
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect()
}

/// The first `len` characters of the base32 of `bytes`.
pub(crate) fn of_bytes(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in bytes {
        if out.len() == len {
            break;
        }
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    out
}

/// A typed code, made canonical: upper case, spaces and dashes dropped, look-alikes mapped.
/// `None` if a character is not of the alphabet.
pub(crate) fn normalize(typed: &str) -> Option<String> {
    // Printed and scanned codes are canonical already: copied, not mapped character by character.
    if typed.bytes().all(in_alphabet) {
        return Some(typed.to_owned());
    }
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => Some('1'),
            'O' => Some('0'),
            c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_of_the_alphabet_and_look_alikes_are_forgiven() {
        let code = random(10);
        assert_eq!(code.len(), 10);
        assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
        assert_eq!(normalize("k7q2-m9xp 0l").as_deref(), Some("K7Q2M9XP01"));
        assert_eq!(normalize("ABCo").as_deref(), Some("ABC0"));
        assert_eq!(normalize("AB#C"), None);
        assert_eq!(normalize("ABUC"), None, "U is not in Crockford's alphabet");
        assert_eq!(of_bytes(&[0xff, 0xff], 3), "ZZZ");
        assert_eq!(of_bytes(&[0, 0, 0], 4), "0000");
    }
}
