//! Argon2id password hashing, off the async threads (a hash takes tens of milliseconds of CPU).

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash},
};

use crate::AuthError;

/// Argon2id cost. The defaults follow OWASP's recommendation (19 MiB, 2 passes, 1 lane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password, verified against when the email is unknown so that a wrong
    /// email takes as long as a wrong password.
    decoy: String,
}

impl PasswordHasher {
    pub fn new(params: PasswordParams) -> Result<Self, AuthError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| AuthError::Hashing(e.to_string()))?;
        let decoy = hash_with(&params, &crate::token::random_token())?;
        Ok(Self { params, decoy })
    }

    fn argon2(params: &Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
    }

    /// The PHC string (`$argon2id$v=19$...`) of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(|e| AuthError::Hashing(e.to_string()))?
    }

    /// Whether `password` matches `phc`; `None` checks against the decoy and is always false.
    pub async fn verify(&self, password: String, phc: Option<String>) -> bool {
        let (phc, real) = match phc {
            Some(phc) => (phc, true),
            None => (self.decoy.clone(), false),
        };
        let checked = tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return false;
            };
            // Verification reads the cost from the stored hash, so raising the cost later still
            // verifies older hashes.
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .await
        .unwrap_or(false);
        checked && real
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, AuthError> {
    PasswordHasher::argon2(params)
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let hasher = cheap();
        let phc = hasher
            .hash("correct horse".into())
            .await
            .unwrap_or_default();
        assert!(phc.starts_with("$argon2id$v=19$"));
        assert!(
            hasher
                .verify("correct horse".into(), Some(phc.clone()))
                .await
        );
        assert!(!hasher.verify("wrong horse".into(), Some(phc)).await);
    }

    #[tokio::test]
    async fn the_decoy_never_verifies() {
        let hasher = cheap();
        assert!(!hasher.verify(String::new(), None).await);
        assert!(
            !hasher
                .verify("anything".into(), Some("not a hash".into()))
                .await
        );
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let hasher = cheap();
        let a = hasher.hash("same".into()).await.unwrap_or_default();
        let b = hasher.hash("same".into()).await.unwrap_or_default();
        assert_ne!(a, b);
    }
}
