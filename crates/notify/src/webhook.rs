//! Integrators' webhooks: the body of a delivery and its signature, made like Stripe's
//! (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`), so integrators' existing verification
//! code fits; and the check a receiver runs.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "souk-signature";
/// The header carrying the event's id, the same on every retry: receivers de-duplicate by it.
pub const EVENT_ID_HEADER: &str = "souk-event-id";

type HmacSha256 = hmac::Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // An HMAC takes a key of any length: this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC keys have no length limit"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Whether `header` signs `body` with `secret`, within `tolerance_s` of `now` (a receiver's
/// check; the comparison takes constant time).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_s: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return false;
    };
    (now - t).abs() <= tolerance_s
        && signatures
            .iter()
            .any(|s| mac(secret, t, body).verify_slice(s).is_ok())
}

/// The body of a delivery.
pub(crate) fn body(
    event_id: uuid::Uuid,
    topic: &str,
    created_at: chrono::DateTime<chrono::Utc>,
    data: &serde_json::Value,
) -> Vec<u8> {
    let body = serde_json::json!({
        "id": event_id,
        "type": topic,
        "created_at": created_at,
        "data": data,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only_and_within_the_tolerance() {
        let body = br#"{"id":"x"}"#;
        let header = signature("whsec_a", 1_800_000_000, body);
        assert!(header.starts_with("t=1800000000,v1="), "{header}");
        assert!(verify("whsec_a", &header, body, 1_800_000_100, 300));
        assert!(!verify("whsec_b", &header, body, 1_800_000_100, 300));
        assert!(!verify(
            "whsec_a",
            &header,
            br#"{"id":"y"}"#,
            1_800_000_100,
            300
        ));
        assert!(!verify("whsec_a", &header, body, 1_800_001_000, 300));
        assert!(!verify("whsec_a", "v1=00", body, 1_800_000_000, 300));
    }
}
