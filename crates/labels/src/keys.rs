//! The label signing keys: Ed25519, one active key that signs new labels and revocation lists,
//! and retired keys that still verify what they signed. A key's id is derived from its public
//! key, so an id names one key wherever it is seen.
//!
//! The keyring is a file (`<data_dir>/label-keys.json` by default, mode 0600): made on first
//! start when allowed, read by every replica (in production, a mounted secret). Rotation has two
//! steps, so no replica ever meets a label signed by a key it does not know: the next key is
//! staged (published and trusted, not yet signing) and deployed everywhere; then it is activated,
//! and the old key is retired, keeping only its public half.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::code;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("label keys: no keyring at {0} (make one with `souk label rotate-key`)")]
    Missing(PathBuf),
    #[error("label keys: cannot read or write {path}: {cause}")]
    Io { path: PathBuf, cause: String },
    #[error("label keys: {0}")]
    Invalid(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Staged: trusted and published, signing once activated.
    Next,
    /// Signs new labels.
    Active,
    /// Signs nothing any more; what it signed still verifies.
    Retired,
}

/// A key as the keyring file holds it.
#[derive(Clone, Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    status: KeyStatus,
    created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retired_at: Option<DateTime<Utc>>,
    public_key: String,
    /// Only the active and the next key keep their secret half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
struct KeyringFile {
    version: u32,
    /// Keys the hashes of scanners' devices and places, so they cannot be reversed by trying
    /// every address.
    pepper: String,
    keys: Vec<StoredKey>,
}

/// A public key, for verifiers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub kid: String,
    /// Always `Ed25519`.
    pub alg: String,
    /// 32 bytes, base64url without padding.
    pub public_key: String,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
}

/// What `/.well-known/souk-label-keys.json` publishes: every key a label may be signed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysDocument {
    /// The brand's address labels point to.
    pub issuer: String,
    pub keys: Vec<PublicKey>,
}

impl KeysDocument {
    /// The verifying key of `kid`, with its status.
    pub fn key(&self, kid: &str) -> Option<(VerifyingKey, KeyStatus)> {
        let key = self.keys.iter().find(|k| k.kid == kid)?;
        Some((decode_public(&key.public_key).ok()?, key.status))
    }
}

/// The keys in memory.
pub struct Keyring {
    active_kid: String,
    signing: SigningKey,
    public: BTreeMap<String, (VerifyingKey, PublicKey)>,
    pepper: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active_kid)
            .field("keys", &self.public.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The id of a public key: the first 30 bits of its SHA-256, in six base32 characters.
pub fn key_id(public: &VerifyingKey) -> String {
    code::of_bytes(&Sha256::digest(public.as_bytes()), 6)
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut bytes) {
        panic!("the system's random source failed: {e}");
    }
    bytes
}

fn decode_public(text: &str) -> Result<VerifyingKey, KeyError> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| KeyError::Invalid("a public key is 32 bytes of base64url".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| KeyError::Invalid(e.to_string()))
}

fn new_key(now: DateTime<Utc>, status: KeyStatus) -> StoredKey {
    let signing = SigningKey::from_bytes(&random_bytes());
    let public = signing.verifying_key();
    StoredKey {
        kid: key_id(&public),
        status,
        created_at: now,
        retired_at: None,
        public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        secret_key: Some(URL_SAFE_NO_PAD.encode(signing.to_bytes())),
    }
}

impl Keyring {
    /// Reads the keyring at `path`; makes one (with a fresh active key) if there is none and
    /// `create` allows it.
    pub fn open(path: &Path, create: bool) -> Result<Keyring, KeyError> {
        match std::fs::read(path) {
            Ok(bytes) => Self::from_file(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let file = KeyringFile {
                    version: 1,
                    pepper: URL_SAFE_NO_PAD.encode(random_bytes()),
                    keys: vec![new_key(Utc::now(), KeyStatus::Active)],
                };
                write(path, &file)?;
                tracing::info!(path = %path.display(), "label signing key made");
                Self::from_parsed(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeyError::Missing(path.to_owned()))
            }
            Err(e) => Err(KeyError::Io {
                path: path.to_owned(),
                cause: e.to_string(),
            }),
        }
    }

    /// Rotation, first step: stages a next key (published and trusted, not yet signing) and
    /// returns its id. Deploy the keyring to every replica, then [`Keyring::activate`]. With no
    /// keyring yet, makes one whose key is active at once.
    pub fn stage(path: &Path) -> Result<String, KeyError> {
        let now = Utc::now();
        let Some(mut file) = read_file(path)? else {
            let key = new_key(now, KeyStatus::Active);
            let kid = key.kid.clone();
            write(
                path,
                &KeyringFile {
                    version: 1,
                    pepper: URL_SAFE_NO_PAD.encode(random_bytes()),
                    keys: vec![key],
                },
            )?;
            return Ok(kid);
        };
        if let Some(next) = file.keys.iter().find(|k| k.status == KeyStatus::Next) {
            return Err(KeyError::Invalid(format!(
                "key {} is staged already: activate it first",
                next.kid
            )));
        }
        let key = new_key(now, KeyStatus::Next);
        let kid = key.kid.clone();
        file.keys.push(key);
        write(path, &file)?;
        Ok(kid)
    }

    /// Rotation, second step: the staged key signs from now on; the active one is retired (its
    /// secret half dropped) and keeps verifying what it signed. Returns the new active key's id.
    /// Replicas sign with it once they read the keyring again (restart them one by one).
    pub fn activate(path: &Path) -> Result<String, KeyError> {
        let mut file = read_file(path)?.ok_or_else(|| KeyError::Missing(path.to_owned()))?;
        let now = Utc::now();
        let Some(next) = file.keys.iter().position(|k| k.status == KeyStatus::Next) else {
            return Err(KeyError::Invalid(
                "no key is staged: stage one first".into(),
            ));
        };
        for key in &mut file.keys {
            if key.status == KeyStatus::Active {
                key.status = KeyStatus::Retired;
                key.retired_at = Some(now);
                key.secret_key = None;
            }
        }
        file.keys[next].status = KeyStatus::Active;
        let kid = file.keys[next].kid.clone();
        write(path, &file)?;
        Ok(kid)
    }

    fn from_file(bytes: &[u8]) -> Result<Keyring, KeyError> {
        Self::from_parsed(parse_file(bytes)?)
    }

    fn from_parsed(file: KeyringFile) -> Result<Keyring, KeyError> {
        let pepper: [u8; 32] = URL_SAFE_NO_PAD
            .decode(&file.pepper)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| KeyError::Invalid("the pepper is 32 bytes of base64url".into()))?;
        let mut public = BTreeMap::new();
        let mut active = None;
        let mut next = 0;
        for key in &file.keys {
            let verifying = decode_public(&key.public_key)?;
            if key_id(&verifying) != key.kid {
                return Err(KeyError::Invalid(format!(
                    "key {} does not match its public key",
                    key.kid
                )));
            }
            let signing = key
                .secret_key
                .as_deref()
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(|secret| SigningKey::from_bytes(&secret))
                .filter(|signing| signing.verifying_key() == verifying);
            match (key.status, signing) {
                (KeyStatus::Retired, _) => {}
                (KeyStatus::Active, Some(signing)) => {
                    if active.replace((key.kid.clone(), signing)).is_some() {
                        return Err(KeyError::Invalid("more than one active key".into()));
                    }
                }
                (KeyStatus::Next, Some(_)) => {
                    next += 1;
                    if next > 1 {
                        return Err(KeyError::Invalid("more than one staged key".into()));
                    }
                }
                (_, None) => {
                    return Err(KeyError::Invalid(format!(
                        "the secret of key {} is missing or does not match its public key",
                        key.kid
                    )));
                }
            }
            public.insert(
                key.kid.clone(),
                (
                    verifying,
                    PublicKey {
                        kid: key.kid.clone(),
                        alg: "Ed25519".into(),
                        public_key: key.public_key.clone(),
                        status: key.status,
                        created_at: key.created_at,
                        retired_at: key.retired_at,
                    },
                ),
            );
        }
        let (active_kid, signing) =
            active.ok_or_else(|| KeyError::Invalid("no active key".into()))?;
        Ok(Keyring {
            active_kid,
            signing,
            public,
            pepper,
        })
    }

    /// The id of the key that signs now.
    pub fn active_kid(&self) -> &str {
        &self.active_kid
    }

    /// Signs with the active key.
    pub fn sign(&self, message: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.sign(message).to_bytes())
    }

    /// The key `kid` and its status, if this keyring knows it.
    pub fn status(&self, kid: &str) -> Option<KeyStatus> {
        self.public.get(kid).map(|(_, p)| p.status)
    }

    /// Whether `signature` (base64url) is `kid`'s signature of `message`.
    pub fn verifies(&self, kid: &str, message: &[u8], signature: &str) -> bool {
        self.public
            .get(kid)
            .is_some_and(|(key, _)| verify_with(key, message, signature))
    }

    pub fn document(&self, issuer: &str) -> KeysDocument {
        KeysDocument {
            issuer: issuer.to_owned(),
            keys: self.public.values().map(|(_, p)| p.clone()).collect(),
        }
    }

    pub(crate) fn pepper(&self) -> &[u8; 32] {
        &self.pepper
    }
}

/// Ed25519 verification in its strict form (no small-order points, no malleable signatures).
pub fn verify_with(key: &VerifyingKey, message: &[u8], signature: &str) -> bool {
    let Some(bytes) = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(&bytes))
        .is_ok()
}

/// Whether the keyring at `from` may be copied to `to`: it is a keyring, and `to` has none or
/// the same one. Returns whether a copy would write anything.
pub fn check_copy(from: &Path, to: &Path) -> Result<bool, KeyError> {
    let file = read_file(from)?.ok_or_else(|| KeyError::Missing(from.to_owned()))?;
    Keyring::from_parsed(file.clone())?;
    match read_file(to)? {
        Some(existing) if same_keys(&existing, &file) => Ok(false),
        Some(_) => Err(KeyError::Invalid(format!(
            "a different keyring is already at {}",
            to.display()
        ))),
        None => Ok(true),
    }
}

/// Copies the keyring at `from` to `to` (a backup, or a restore from one), checked on the way
/// ([`check_copy`]) and written like any keyring (owner-only). A keyring already at `to` is left
/// alone when it is the same one and refused when it differs: replacing a keyring would orphan
/// what it signed. Returns whether a file was written.
pub fn copy_keyring(from: &Path, to: &Path) -> Result<bool, KeyError> {
    if !check_copy(from, to)? {
        return Ok(false);
    }
    let file = read_file(from)?.ok_or_else(|| KeyError::Missing(from.to_owned()))?;
    write(to, &file).map(|()| true)
}

fn same_keys(a: &KeyringFile, b: &KeyringFile) -> bool {
    a.pepper == b.pepper
        && a.keys.len() == b.keys.len()
        && a.keys
            .iter()
            .zip(&b.keys)
            .all(|(x, y)| x.kid == y.kid && x.status == y.status && x.secret_key == y.secret_key)
}

/// The keyring at `path`, or `None` if there is none.
fn read_file(path: &Path) -> Result<Option<KeyringFile>, KeyError> {
    match std::fs::read(path) {
        Ok(bytes) => parse_file(&bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(KeyError::Io {
            path: path.to_owned(),
            cause: e.to_string(),
        }),
    }
}

fn parse_file(bytes: &[u8]) -> Result<KeyringFile, KeyError> {
    let file: KeyringFile = serde_json::from_slice(bytes)
        .map_err(|e| KeyError::Invalid(format!("the keyring is not readable: {e}")))?;
    if file.version != 1 {
        return Err(KeyError::Invalid(format!(
            "keyring version {} is not known",
            file.version
        )));
    }
    Ok(file)
}

/// Writes the keyring readable by its owner only, through a temporary file and a rename, so a
/// reader never sees half of it.
fn write(path: &Path, file: &KeyringFile) -> Result<(), KeyError> {
    let io = |e: std::io::Error| KeyError::Io {
        path: path.to_owned(),
        cause: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| KeyError::Invalid(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options.open(&tmp).map_err(io)?;
        out.write_all(&bytes).map_err(io)?;
        out.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_keyring_signs_alike_and_never_replaces_another() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (from, to) = (dir.path().join("keys.json"), dir.path().join("b/keys.json"));
        let original = Keyring::open(&from, true).unwrap_or_else(|e| panic!("{e}"));
        assert!(copy_keyring(&from, &to).unwrap_or_else(|e| panic!("{e}")));
        assert!(
            !copy_keyring(&from, &to).unwrap_or_else(|e| panic!("{e}")),
            "same keys: nothing to do"
        );
        let copy = Keyring::open(&to, false).unwrap_or_else(|e| panic!("{e}"));
        let kid = original.active_kid().to_owned();
        assert!(copy.verifies(&kid, b"label", &original.sign(b"label")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&to)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o077, 0, "readable by its owner only: {mode:o}");
        }
        let other = dir.path().join("other.json");
        Keyring::open(&other, true).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            copy_keyring(&other, &to),
            Err(KeyError::Invalid(_))
        ));
        assert!(matches!(
            copy_keyring(&dir.path().join("none.json"), &to),
            Err(KeyError::Missing(_))
        ));
    }

    #[test]
    fn a_rotated_out_key_still_verifies_and_an_unknown_one_does_not() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("keys.json");
        let first = Keyring::open(&path, true).unwrap_or_else(|e| panic!("{e}"));
        let old_kid = first.active_kid().to_owned();
        let signature = first.sign(b"label");
        let new_kid = Keyring::stage(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(new_kid, old_kid);
        assert!(Keyring::stage(&path).is_err(), "one staged key at a time");
        // Staged: trusted everywhere it is deployed, not yet signing.
        let staged = Keyring::open(&path, false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(staged.active_kid(), old_kid);
        assert_eq!(staged.status(&new_kid), Some(KeyStatus::Next));
        assert_eq!(
            Keyring::activate(&path).unwrap_or_else(|e| panic!("{e}")),
            new_kid
        );
        let second = Keyring::open(&path, false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second.active_kid(), new_kid);
        // A replica that read the keyring while the key was staged knows what it signs now.
        assert!(staged.verifies(&new_kid, b"new", &second.sign(b"new")));
        assert_eq!(second.status(&old_kid), Some(KeyStatus::Retired));
        assert!(second.verifies(&old_kid, b"label", &signature));
        assert!(!second.verifies(&old_kid, b"label!", &signature));
        // A keyring made elsewhere does not know this one's keys.
        let other =
            Keyring::open(&dir.path().join("other.json"), true).unwrap_or_else(|e| panic!("{e}"));
        assert!(!other.verifies(&old_kid, b"label", &signature));
        assert_eq!(other.status(&old_kid), None);
        // The retired key's secret is gone from the file.
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(text.matches("secret_key").count(), 1);
    }

    #[test]
    fn without_permission_to_create_a_missing_keyring_is_an_error() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            Keyring::open(&dir.path().join("none.json"), false),
            Err(KeyError::Missing(_))
        ));
    }
}
