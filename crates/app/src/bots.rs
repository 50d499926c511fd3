//! Bots on the sign forms, stopped without any third party: a honeypot field that people
//! never see (a program filling every field fills it too), and, when an admin turns it on,
//! a proof of work the signer's browser finds in about a second (`web/static/pow.js`), which
//! makes signing by the thousand cost thousands of seconds.
//!
//! A challenge is `{bits}.{expires}.{id}.{mac}`: the difficulty, its expiry (Unix seconds),
//! 16 random hex digits, and `HMAC-SHA256(key, "signons-pow-v1" 0x00 {bits}.{expires}.{id})`
//! cut to 32 hex digits, with a key derived from the link key. A proof is a nonce (1 to 32
//! ASCII letters or digits) such that SHA-256(challenge ‖ nonce) starts with `bits` zero
//! bits. The server checks one HMAC and one SHA-256, and remembers the ids used until they
//! expire, so one solution signs once.

use hmac::digest::generic_array::GenericArray;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// How long a challenge is good for: the time a person may take to read the petition and
/// fill the form.
pub const CHALLENGE_SECONDS: i64 = 2 * 60 * 60;
const NONCE_MAX: usize = 32;
const MAC_HEX: usize = 32;

/// How long the widget's form token is good for (`widget_token`).
pub const WIDGET_TOKEN_SECONDS: i64 = 6 * 60 * 60;

/// The `csrf` field of the widget's sign form (`/embed/p/{slug}`), which a page of another
/// site frames: there the CSRF cookie is a third party's, which browsers do not keep, so
/// the field cannot be the cookie's double. It is `w1.{expires}.{mac}` instead, with
/// `HMAC-SHA256(key, "signons-widget-v1" 0x00 slug 0x00 expires)`: good for one petition,
/// for a few hours, and bound to no visitor (anyone may fetch the widget, as any site may
/// frame it). What stops abuse of signing is the same as on every sign form: the
/// honeypot, the proof of work, the per-address rate limit and the confirmation email.
pub fn widget_token(key: &[u8; 32], slug: &str, now: i64) -> String {
    let expires = now + WIDGET_TOKEN_SECONDS;
    format!("w1.{expires}.{}", widget_mac(key, slug, expires))
}

/// Whether `token` is a widget token of ours for this petition, not expired.
pub fn widget_token_ok(key: &[u8; 32], slug: &str, token: &str, now: i64) -> bool {
    use subtle::ConstantTimeEq;
    let Some(rest) = token.strip_prefix("w1.") else { return false };
    let Some((expires, mac)) = rest.split_once('.') else { return false };
    let Ok(expires) = expires.parse::<i64>() else { return false };
    if expires < now || expires > now + WIDGET_TOKEN_SECONDS {
        return false;
    }
    widget_mac(key, slug, expires).as_bytes().ct_eq(mac.as_bytes()).into()
}

fn widget_mac(key: &[u8; 32], slug: &str, expires: i64) -> String {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
    mac.update(b"signons-widget-v1\0");
    mac.update(slug.as_bytes());
    mac.update(b"\0");
    mac.update(expires.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What the sign forms (and the API) send besides the signature.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct BotFields {
    /// The honeypot: hidden from people, so anything in it was typed by a program.
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub pow_challenge: String,
    #[serde(default)]
    pub pow_nonce: String,
}

/// What to do with a submission.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Human,
    /// A bot filled the honeypot: write nothing, send nothing, answer as if it signed (a
    /// bot told it was caught learns to avoid the trap).
    Trapped,
    /// No proof of work, though the instance asks one.
    ProofMissing,
    /// A proof that is wrong, expired, of another server, or used already.
    ProofInvalid,
}

impl BotFields {
    pub fn judge(&self, pow: Option<&ProofOfWork>, now: i64) -> Verdict {
        if !self.topic.is_empty() {
            return Verdict::Trapped;
        }
        match pow {
            None => Verdict::Human,
            Some(_) if self.pow_challenge.is_empty() || self.pow_nonce.is_empty() => Verdict::ProofMissing,
            Some(pow) if pow.check(&self.pow_challenge, &self.pow_nonce, now) => Verdict::Human,
            Some(_) => Verdict::ProofInvalid,
        }
    }
}

/// A challenge as the form and the API hand it out.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    pub challenge: String,
    pub bits: u8,
    pub expires_at: i64,
}

pub struct ProofOfWork {
    key: [u8; 32],
    bits: u8,
    /// Challenge ids used, with their expiry: a replayed solution is refused.
    used: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for ProofOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofOfWork").field("bits", &self.bits).finish_non_exhaustive()
    }
}

impl ProofOfWork {
    pub fn new(key: [u8; 32], bits: u8) -> Self {
        ProofOfWork { key, bits, used: Mutex::new(HashMap::new()) }
    }

    fn mac(&self, body: &str) -> String {
        // HMAC pads a key shorter than its block (64 bytes) with zeros: so does this, which
        // is the one key length `KeyInit::new` takes without a fallible check.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.key);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
        mac.update(b"signons-pow-v1\0");
        mac.update(body.as_bytes());
        let full = hex::encode(mac.finalize().into_bytes());
        full[..MAC_HEX].to_owned()
    }

    /// A new challenge, good for `CHALLENGE_SECONDS` from `now`.
    pub fn issue(&self, now: i64) -> Challenge {
        let mut id = [0u8; 8];
        rand::rng().fill_bytes(&mut id);
        let expires_at = now + CHALLENGE_SECONDS;
        let body = format!("{}.{expires_at}.{}", self.bits, hex::encode(id));
        Challenge { challenge: format!("{body}.{}", self.mac(&body)), bits: self.bits, expires_at }
    }

    /// Whether `nonce` solves `challenge`, a challenge of ours not expired nor used; a
    /// good one is used from now on.
    pub fn check(&self, challenge: &str, nonce: &str, now: i64) -> bool {
        if nonce.len() > NONCE_MAX || !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return false;
        }
        let Some((body, mac)) = challenge.rsplit_once('.') else { return false };
        let mut parts = body.split('.');
        let (Some(bits), Some(expires), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let (Ok(bits), Ok(expires)) = (bits.parse::<u8>(), expires.parse::<i64>()) else { return false };
        // Constant time: the MAC must not be found a digit at a time.
        let ours = self.mac(body);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(ours.as_bytes(), mac.as_bytes())) {
            return false;
        }
        // A challenge made when the difficulty was lower is not enough now.
        if expires <= now || bits < self.bits || !leading_zero_bits(challenge, nonce, bits) {
            return false;
        }
        let mut used = self.lock();
        if used.len() > 100_000 {
            used.retain(|_, e| *e > now);
        }
        used.insert(id.to_owned(), expires).is_none()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, i64>> {
        // Each update is one insert or a retain: a poisoned lock is still consistent.
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets used challenges that expired (they would be refused as expired anyway).
    pub fn trim(&self, now: i64) {
        self.lock().retain(|_, e| *e > now);
    }
}

/// Whether SHA-256(challenge ‖ nonce) starts with `bits` zero bits.
fn leading_zero_bits(challenge: &str, nonce: &str, bits: u8) -> bool {
    let digest = Sha256::new().chain_update(challenge.as_bytes()).chain_update(nonce.as_bytes()).finalize();
    let mut zeros = 0u32;
    for byte in digest {
        zeros += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    zeros >= u32::from(bits)
}

#[cfg(test)]
mod tests {

    #[test]
    fn widget_tokens_are_for_one_petition_and_a_few_hours() {
        let key = [7u8; 32];
        let token = super::widget_token(&key, "save-the-park", 1_000);
        assert!(super::widget_token_ok(&key, "save-the-park", &token, 1_000));
        assert!(super::widget_token_ok(&key, "save-the-park", &token, 1_000 + super::WIDGET_TOKEN_SECONDS));
        assert!(!super::widget_token_ok(&key, "save-the-park", &token, 1_001 + super::WIDGET_TOKEN_SECONDS));
        assert!(!super::widget_token_ok(&key, "another-one", &token, 1_000));
        assert!(!super::widget_token_ok(&[8u8; 32], "save-the-park", &token, 1_000));
        let later =
            format!("w1.{}.{}", 1_000 + 10 * super::WIDGET_TOKEN_SECONDS, &token[token.rfind('.').unwrap() + 1..]);
        assert!(!super::widget_token_ok(&key, "save-the-park", &later, 1_000));
        for bad in ["", "w1.", "w1.x.y", "csrf-cookie-value", "w2.2000.00"] {
            assert!(!super::widget_token_ok(&key, "save-the-park", bad, 1_000), "{bad}");
        }
    }

    use super::*;

    fn solve(c: &str, bits: u8) -> String {
        (0u64..).map(|n| n.to_string()).find(|n| leading_zero_bits(c, n, bits)).unwrap()
    }

    #[test]
    fn a_solution_signs_once_and_forgeries_fail() {
        let pow = ProofOfWork::new([7; 32], 8);
        let now = 1_800_000_000;
        let c = pow.issue(now);
        assert_eq!(c.bits, 8);
        let nonce = solve(&c.challenge, 8);
        assert!(!pow.check(&c.challenge, "not-a-nonce!", now), "a nonce of letters and digits only");
        assert!(pow.check(&c.challenge, &nonce, now));
        assert!(!pow.check(&c.challenge, &nonce, now), "replayed");

        // Expired, or of another key, or with the difficulty lowered by the client.
        let old = pow.issue(now - CHALLENGE_SECONDS - 1);
        assert!(!pow.check(&old.challenge, &solve(&old.challenge, 8), now));
        let other = ProofOfWork::new([8; 32], 8).issue(now);
        assert!(!pow.check(&other.challenge, &solve(&other.challenge, 8), now));
        let fresh = pow.issue(now);
        let lowered = fresh.challenge.replacen("8.", "1.", 1);
        assert!(!pow.check(&lowered, &solve(&lowered, 1), now));
        for junk in ["", "...", "8.x.y.z", "8.1.2.3.4", "ü.ü.ü.ü"] {
            assert!(!pow.check(junk, "1", now), "{junk:?}");
        }
        pow.trim(now + CHALLENGE_SECONDS + 1);
        assert!(pow.lock().is_empty());
    }

    #[test]
    fn the_honeypot_and_the_verdicts() {
        let pow = ProofOfWork::new([1; 32], 4);
        let filled = BotFields { topic: "buy now".into(), ..BotFields::default() };
        assert_eq!(filled.judge(None, 0), Verdict::Trapped);
        assert_eq!(BotFields::default().judge(None, 0), Verdict::Human);
        assert_eq!(BotFields::default().judge(Some(&pow), 0), Verdict::ProofMissing);
        let c = pow.issue(0);
        let solved =
            BotFields { pow_nonce: solve(&c.challenge, 4), pow_challenge: c.challenge, ..BotFields::default() };
        assert_eq!(solved.judge(Some(&pow), 0), Verdict::Human);
        assert_eq!(solved.judge(Some(&pow), 0), Verdict::ProofInvalid);
    }
}
