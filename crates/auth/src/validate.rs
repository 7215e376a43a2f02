//! Checks on sign-up input.

use crate::AuthError;

pub(crate) const PASSWORD_MIN_CHARS: usize = 10;
pub(crate) const PASSWORD_MAX_CHARS: usize = 256;

/// A plausible email, lower-cased. Deliverability is not checked here.
pub(crate) fn email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let invalid = |m: &str| AuthError::invalid("email", m);
    if email.len() > 254 {
        return Err(invalid("is longer than 254 characters"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid("is not an email address"));
    };
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || c == '@';
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.chars().filter(|c| *c == '@').count() != 1
        || local.chars().any(bad_char)
        || domain.chars().any(bad_char)
    {
        return Err(invalid("is not an email address"));
    }
    Ok(email)
}

pub(crate) fn password(password: &str) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(AuthError::invalid(
            "password",
            format!("needs at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AuthError::invalid(
            "password",
            format!("is longer than {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

pub(crate) fn display_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AuthError::invalid("display_name", "is blank"));
    }
    if name.chars().count() > 120 {
        return Err(AuthError::invalid(
            "display_name",
            "is longer than 120 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AuthError::invalid(
            "display_name",
            "contains control characters",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_malformed_ones_refused() {
        assert_eq!(
            email(" Fatima@Example.MA ").ok(),
            Some("fatima@example.ma".into())
        );
        for bad in [
            "", "no-at", "@x.ma", "a@b", "a@@b.ma", "a b@c.ma", "a@.ma", "a@ma.",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_have_bounds_in_characters() {
        assert!(password("short").is_err());
        assert!(password("long enough").is_ok());
        assert!(password(&"x".repeat(257)).is_err());
        // Ten Arabic letters are twenty bytes but ten characters.
        assert!(password("كلمةسرطويل").is_ok());
    }
}
