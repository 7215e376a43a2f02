//! Percent-decoding of URL components, strict (a label link: a bad escape is a syntax error) or
//! as browsers decode forms (a bad escape is kept as written, invalid UTF-8 is replaced).
//!
//! Every label scan decodes a link of about 200 characters twice (the `link` parameter, then
//! the link's own query), so the runs between escapes are copied whole rather than byte by byte.

use std::borrow::Cow;

/// What `+` means: a space in a query string, itself in a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plus {
    Space,
    Literal,
}

/// Decodes `%XX` escapes (and `+` per `plus`). `None` if an escape is not two hex digits or the
/// result is not UTF-8. Borrowed when there is nothing to decode.
pub fn decode(s: &str, plus: Plus) -> Option<Cow<'_, str>> {
    match decode_bytes(s.as_bytes(), plus, true)? {
        Cow::Borrowed(_) => Some(Cow::Borrowed(s)),
        Cow::Owned(bytes) => String::from_utf8(bytes).ok().map(Cow::Owned),
    }
}

/// Decodes a component of a query string as a form sends it: `+` is a space, `%XX` a byte; an
/// escape that is not one is kept as written and invalid UTF-8 is replaced, as browsers do.
pub fn decode_form(s: &str) -> Cow<'_, str> {
    match decode_bytes(s.as_bytes(), Plus::Space, false) {
        Some(Cow::Owned(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => Cow::Owned(text),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
        _ => Cow::Borrowed(s),
    }
}

fn decode_bytes(bytes: &[u8], plus: Plus, strict: bool) -> Option<Cow<'_, [u8]>> {
    let special = |b: &u8| *b == b'%' || (*b == b'+' && plus == Plus::Space);
    let Some(first) = bytes.iter().position(special) else {
        return Some(Cow::Borrowed(bytes));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut rest = &bytes[first..];
    while let Some((&b, tail)) = rest.split_first() {
        rest = match (b, tail) {
            (b'%', [high, low, after @ ..]) if hex(*high).is_some() && hex(*low).is_some() => {
                out.push(hex(*high)? << 4 | hex(*low)?);
                after
            }
            (b'%', _) if strict => return None,
            (b'+', _) if plus == Plus::Space => {
                out.push(b' ');
                tail
            }
            _ => {
                // The byte itself, and the run up to the next escape, copied whole.
                let run = 1 + tail.iter().position(special).unwrap_or(tail.len());
                out.extend_from_slice(&rest[..run]);
                &rest[run..]
            }
        };
    }
    Some(Cow::Owned(out))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_decode_is_borrowed() {
        assert!(matches!(
            decode("01/061/21/K7Q2", Plus::Space),
            Some(Cow::Borrowed(_))
        ));
        assert!(matches!(decode_form("abc"), Cow::Borrowed("abc")));
        assert!(matches!(
            decode("a+b", Plus::Literal),
            Some(Cow::Borrowed("a+b"))
        ));
    }

    #[test]
    fn escapes_and_plus_are_decoded_between_runs() {
        assert_eq!(
            decode("%2Fp%2FAB%3Fc%3DX%26s%3Dlong-run_of-base64", Plus::Space).as_deref(),
            Some("/p/AB?c=X&s=long-run_of-base64")
        );
        assert_eq!(decode("a+b%20c", Plus::Space).as_deref(), Some("a b c"));
        assert_eq!(decode("a+b%20c", Plus::Literal).as_deref(), Some("a+b c"));
        assert_eq!(
            decode("%D8%B9%D8%B1%D8%A8", Plus::Space).as_deref(),
            Some("عرب")
        );
        assert_eq!(decode("%e2%82%ac", Plus::Space).as_deref(), Some("€"));
    }

    #[test]
    fn strict_decoding_refuses_bad_escapes_and_bytes() {
        for bad in ["%", "%2", "a%zz", "%G0b", "%ff", "x%C3"] {
            assert_eq!(decode(bad, Plus::Space), None, "{bad}");
        }
    }

    #[test]
    fn form_decoding_keeps_bad_escapes_and_replaces_bad_bytes() {
        assert_eq!(decode_form("100%+sure"), "100% sure");
        assert_eq!(decode_form("%zz%4"), "%zz%4");
        assert_eq!(decode_form("a%ffb"), "a\u{fffd}b");
        assert_eq!(decode_form("link%3D1"), "link=1");
    }
}
