//! Verifying a label with no network: its link, the published keys
//! (`/.well-known/souk-label-keys.json`) and, if the verifier has one, the signed revocation list
//! (`/.well-known/souk-label-revocations.json`). What `souk label verify` runs.

use serde::{Deserialize, Serialize};

use crate::{
    keys::{KeyStatus, KeysDocument, verify_with},
    link::{LabelLink, Signed},
};

/// One revoked label in the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub serial: String,
    /// RFC 3339, whole seconds, UTC (signed as written).
    pub revoked_at: String,
}

/// The signed list of revoked labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    pub issuer: String,
    /// RFC 3339, whole seconds, UTC.
    pub issued_at: String,
    pub kid: String,
    pub revoked: Vec<Revoked>,
    /// Ed25519 over [`RevocationList::message`], base64url.
    pub signature: String,
}

impl RevocationList {
    /// The bytes signed: a header line, the issuer and date, then one line per revoked label.
    pub fn message(issuer: &str, issued_at: &str, kid: &str, revoked: &[Revoked]) -> Vec<u8> {
        let mut text = format!("souk-revocations/1\n{kid}\n{issuer}\n{issued_at}\n");
        for r in revoked {
            text.push_str(&r.serial);
            text.push(' ');
            text.push_str(&r.revoked_at);
            text.push('\n');
        }
        text.into_bytes()
    }

    /// Whether the list is signed by a key of `keys`.
    pub fn verifies(&self, keys: &KeysDocument) -> bool {
        keys.key(&self.kid).is_some_and(|(key, _)| {
            verify_with(
                &key,
                &Self::message(&self.issuer, &self.issued_at, &self.kid, &self.revoked),
                &self.signature,
            )
        })
    }
}

/// Why a label is not authentic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAuthentic {
    /// Not a label link at all.
    Malformed,
    /// A label link without its signature.
    Unsigned,
    /// Signed with a key the verifier does not know.
    UnknownKey,
    /// The signature does not match what the link says (a changed serial, product, date...).
    BadSignature,
    /// No label of ours has this serial.
    UnknownSerial,
    /// The serial is ours, but the rest of the link is not what was issued with it.
    Mismatch,
}

impl NotAuthentic {
    pub const fn as_str(self) -> &'static str {
        match self {
            NotAuthentic::Malformed => "malformed",
            NotAuthentic::Unsigned => "unsigned",
            NotAuthentic::UnknownKey => "unknown_key",
            NotAuthentic::BadSignature => "bad_signature",
            NotAuthentic::UnknownSerial => "unknown_serial",
            NotAuthentic::Mismatch => "mismatch",
        }
    }
}

/// What an offline check concludes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfflineVerdict {
    Authentic {
        signed: Signed,
        key_status: KeyStatus,
    },
    /// Authentic, but on the revocation list.
    Revoked {
        signed: Signed,
        revoked_at: String,
    },
    NotAuthentic(NotAuthentic),
}

#[derive(Debug, thiserror::Error)]
#[error("the revocation list is not signed by a published key")]
pub struct UntrustedRevocationList;

/// Checks `link` (a URL or a path with its query) against the published keys, and the
/// revocation list if given (which must itself verify).
pub fn verify(
    link: &str,
    keys: &KeysDocument,
    revocations: Option<&RevocationList>,
) -> Result<OfflineVerdict, UntrustedRevocationList> {
    if let Some(list) = revocations
        && !list.verifies(keys)
    {
        return Err(UntrustedRevocationList);
    }
    let Ok((link, _)) = LabelLink::parse(link) else {
        return Ok(OfflineVerdict::NotAuthentic(NotAuthentic::Malformed));
    };
    let (Some(signed), Some(part)) = (link.claimed(), link.signed.as_ref()) else {
        return Ok(OfflineVerdict::NotAuthentic(NotAuthentic::Unsigned));
    };
    let Some((key, key_status)) = keys.key(&signed.key_id) else {
        return Ok(OfflineVerdict::NotAuthentic(NotAuthentic::UnknownKey));
    };
    if !verify_with(&key, &signed.message(), &part.signature) {
        return Ok(OfflineVerdict::NotAuthentic(NotAuthentic::BadSignature));
    }
    let revoked = revocations.and_then(|list| {
        list.revoked
            .iter()
            .find(|r| r.serial == signed.serial)
            .map(|r| r.revoked_at.clone())
    });
    Ok(match revoked {
        Some(revoked_at) => OfflineVerdict::Revoked { signed, revoked_at },
        None => OfflineVerdict::Authentic { signed, key_status },
    })
}
