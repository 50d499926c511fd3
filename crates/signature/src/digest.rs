//! The digest of a signer's canonical email for one petition: HMAC-SHA256 of the email,
//! keyed with the SHA-256 of the petition's id (its actor URL), in lowercase hex. Every
//! instance computes the same one for the same person and petition, so the petition's
//! instance counts each person once, whichever instance they signed on (see
//! docs/federation.md); and one person's digests for two petitions cannot be matched.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Digest as _;

pub fn of(petition_id: &str, canonical_email: &str) -> String {
    let key = sha2::Sha256::digest(petition_id.as_bytes());
    // HMAC pads a key shorter than its block (64 bytes for SHA-256) with zeros: padded
    // here, the key has the fixed size the infallible constructor takes.
    let mut block = hmac::digest::generic_array::GenericArray::default();
    block[..key.len()].copy_from_slice(&key);
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new(&block);
    mac.update(canonical_email.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The id of our petition `slug`, as other instances name it.
pub fn petition_id(public_url: &str, slug: &str) -> String {
    format!("{public_url}/p/{slug}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same as HMAC keyed with the unpadded hash (RFC 2104), as other instances compute it.
    #[test]
    fn matches_hmac_with_the_plain_key() {
        let key = sha2::Sha256::digest(b"https://a.example/p/plant-trees");
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(b"ann@example.org");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(of("https://a.example/p/plant-trees", "ann@example.org"), expected);
        assert_ne!(of("https://a.example/p/other", "ann@example.org"), expected);
    }
}
