//! Who scanned, without personal data: a device (an app's install id, or the browser on its
//! network, since a phone's address changes within its network) and a coarse place (the
//! client's network, or a geohash cut to about 20 km), each a SHA-256 under the keyring's
//! pepper, cut short. No address, install id or location is kept.
//!
//! Every verification needs its scanner's device and network, and the same phones scan again
//! and again: each process remembers them by what identified the scanner, so a repeat scan
//! hashes nothing.

use std::{
    fmt,
    hash::{Hash, Hasher},
};

use quick_cache::{Equivalent, sync::Cache};
use sha2::{Digest, Sha256};

use crate::{Labels, scans::Scanner};

/// A peppered hash cut to `N` bytes; shown (and stored) as lowercase hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Hashed<const N: usize>([u8; N]);

impl<const N: usize> Hashed<N> {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Its first (up to) eight bytes as a number: a hash of a hash, for per-process memos.
    pub(crate) fn to_u64(self) -> u64 {
        let mut bytes = [0; 8];
        let n = N.min(8);
        bytes[..n].copy_from_slice(&self.0[..n]);
        u64::from_le_bytes(bytes)
    }
}

impl<const N: usize> fmt::Display for Hashed<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A scanner's device: 16 bytes (32 hex characters).
pub(crate) type Device = Hashed<16>;

/// A coarse place: the client's network, or an area the scanner gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Place {
    Network(Hashed<6>),
    Area(Hashed<6>),
}

impl Place {
    /// What a stored place starts with: `n:` (network) or `g:` (geohash area).
    pub(crate) fn prefix(&self) -> &'static str {
        match self {
            Place::Network(_) => "n:",
            Place::Area(_) => "g:",
        }
    }

    pub(crate) fn hash(&self) -> &Hashed<6> {
        match self {
            Place::Network(h) | Place::Area(h) => h,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix(), self.hash())
    }
}

/// Scanners this process identified recently.
const REMEMBERED_SCANNERS: usize = 100_000;

/// What identifies a scanner to the hashes: its install id, address and browser.
#[derive(Clone, PartialEq, Eq)]
struct Identity {
    hint: Box<str>,
    addr: Box<str>,
    agent: Box<str>,
}

impl Hash for Identity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        IdentityRef {
            hint: &self.hint,
            addr: &self.addr,
            agent: &self.agent,
        }
        .hash(state);
    }
}

/// An [`Identity`] borrowed from a scanner: looked up without copying it.
struct IdentityRef<'a> {
    hint: &'a str,
    addr: &'a str,
    agent: &'a str,
}

impl Hash for IdentityRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hint.hash(state);
        self.addr.hash(state);
        self.agent.hash(state);
    }
}

impl Equivalent<Identity> for IdentityRef<'_> {
    fn equivalent(&self, key: &Identity) -> bool {
        *key.hint == *self.hint && *key.addr == *self.addr && *key.agent == *self.agent
    }
}

/// Scanners' devices and networks, remembered per process.
pub(crate) struct Fingerprints {
    known: Cache<Identity, (Device, Place)>,
}

impl Default for Fingerprints {
    fn default() -> Self {
        Self {
            known: Cache::new(REMEMBERED_SCANNERS),
        }
    }
}

impl fmt::Debug for Fingerprints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fingerprints")
            .field("known", &self.known.len())
            .finish()
    }
}

impl Labels {
    /// A scanner's device and network.
    pub(crate) fn identify(&self, scanner: &Scanner) -> (Device, Place) {
        // Keyed by what is hashed, no more: a long header costs no more memory than a short one.
        let hint = truncate(scanner.device_hint.as_deref().map_or("", str::trim), 200);
        let agent = truncate(&scanner.user_agent, 300);
        let key = IdentityRef {
            hint,
            addr: &scanner.client_addr,
            agent,
        };
        let known = &self.inner.fingerprints.known;
        if let Some(found) = known.get(&key) {
            return found;
        }
        let network = network(&scanner.client_addr);
        let device = if hint.is_empty() {
            self.peppered("device", &["web:", &network, "|", agent])
        } else {
            self.peppered("device", &["app:", hint])
        };
        let found = (device, Place::Network(self.peppered("place", &[&network])));
        known.insert(
            Identity {
                hint: hint.into(),
                addr: scanner.client_addr.as_str().into(),
                agent: agent.into(),
            },
            found,
        );
        found
    }

    /// The scanner's device: the app's install id, or the browser (User-Agent) on its network.
    pub(crate) fn device_of(&self, scanner: &Scanner) -> Device {
        self.identify(scanner).0
    }

    /// The client's network (/16 for IPv4, /32 for IPv6).
    pub(crate) fn network_of(&self, scanner: &Scanner) -> Place {
        self.identify(scanner).1
    }

    /// The coarse place the scanner gave: a geohash cut to 4 characters (about 20 km). Without
    /// one, a scan's place is its network.
    pub(crate) fn place_of(&self, scanner: &Scanner) -> Option<Place> {
        const GEOHASH: &str = "0123456789bcdefghjkmnpqrstuvwxyz";
        let hint = scanner.place_hint.as_deref()?.trim().to_ascii_lowercase();
        (hint.len() >= 2 && hint.chars().all(|c| GEOHASH.contains(c)))
            .then(|| Place::Area(self.peppered("place", &[truncate(&hint, 4)])))
    }

    /// SHA-256 of the pepper, the purpose, a zero byte and the value's parts, cut to `N` bytes.
    fn peppered<const N: usize>(&self, purpose: &str, value: &[&str]) -> Hashed<N> {
        let mut hash = Sha256::new();
        hash.update(self.inner.keys.pepper());
        hash.update(purpose.as_bytes());
        hash.update([0]);
        for part in value {
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let mut cut = [0; N];
        cut.copy_from_slice(&digest[..N]);
        Hashed(cut)
    }
}

/// An address's network: the first two bytes of IPv4, the first 32 bits of IPv6.
fn network(addr: &str) -> String {
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            let [a, b, ..] = ip.octets();
            format!("{a}.{b}")
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            let s = ip.segments();
            format!("{:x}:{:x}", s[0], s[1])
        }
        Err(_) => "unknown".to_owned(),
    }
}

fn truncate(s: &str, max_chars: usize) -> &str {
    // No more bytes than characters allowed: nothing to count.
    if s.len() <= max_chars {
        return s;
    }
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_shows_as_the_hex_of_its_bytes() {
        let h = Hashed([0x0a, 0xff, 0x10]);
        assert_eq!(h.to_string(), "0aff10");
        assert_eq!(
            Place::Network(Hashed([1, 2, 3, 4, 5, 6])).to_string(),
            "n:010203040506"
        );
        assert_eq!(Place::Area(Hashed([0; 6])).to_string(), "g:000000000000");
        assert_eq!(Hashed([1, 0, 0]).to_u64(), 1);
    }

    #[test]
    fn networks_are_cut_to_a_slash_16_or_a_slash_32() {
        assert_eq!(network("196.12.34.56"), "196.12");
        assert_eq!(network("2001:db8:1:2::1"), "2001:db8");
        assert_eq!(network("nonsense"), "unknown");
    }
}
