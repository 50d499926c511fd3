//! The confirm and withdraw links of a signature's emails, derived rather than stored.
//!
//! The database keeps only the SHA-256 of each token (a leaked database gives no usable
//! link), and the email job keeps only a reference to the signature (`emails`), so the
//! mail worker must be able to make the tokens again when it sends the email. Each token
//! is therefore
//!
//! ```text
//! HMAC-SHA256(link key, "signons-link-v1" 0x00 purpose 0x00 nonce)
//! ```
//!
//! where the **link key** is the instance's secret (32 random bytes in a file of the data
//! folder, never in the database: see `LinkKey::load_or_create`), the **purpose** is
//! `confirm` or `withdraw`, so the two links of one email are unrelated, and the **nonce**
//! is 16 random bytes drawn at each signing and written in the email's job. The nonce
//! alone is no secret: without the key it gives nothing, and once the email is sent its
//! job, and the nonce with it, is deleted, after which not even the key brings the token
//! back. Each signing draws its own nonce, so signing again sends new links while the
//! earlier withdraw links (whose hashes are kept) stay valid.
//!
//! The signature's id is not an input: a submission that replaces a pending signature
//! learns that id only inside its transaction, and the nonce already makes every
//! signing's tokens its own. What binds the links to their signature is the worker's
//! check, before it sends anything, that the tokens it derived hash to what that very
//! signature stores (`emails::SignatureEmails`).
//!
//! Every process that sends the emails of a database must have the same key (processes
//! sharing one PostgreSQL database share the file, or are given it with `link_key_file`).
//! A process with another key finds that its tokens match nothing, and leaves the email for
//! one that can build it: nobody is sent a dead link.

use base64::Engine;
use hmac::digest::generic_array::GenericArray;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use signons_store::Token;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The instance's secret that the links of its emails are derived from.
#[derive(Clone)]
pub struct LinkKey(Arc<[u8; 32]>);

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

/// Why a token is made: the two links of one email must not be derivable from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Confirm,
    Withdraw,
    /// An organizer's password-reset link (`LinkKey::password_reset_token`).
    PasswordReset,
    /// A signer's one-click unsubscribe from a petition's news (`LinkKey::unsubscribe_token`).
    Unsubscribe,
    /// An invitation to join an organization (`LinkKey::invitation_token`).
    Invitation,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Confirm => b"confirm",
            Purpose::Withdraw => b"withdraw",
            Purpose::PasswordReset => b"password-reset",
            Purpose::Unsubscribe => b"unsubscribe",
            Purpose::Invitation => b"invitation",
        }
    }
}

impl LinkKey {
    /// A new random key (a fresh instance, or a test).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        LinkKey(Arc::new(bytes))
    }

    /// The key as its file holds it: 64 hexadecimal digits (surrounding whitespace allowed).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(LinkKey(Arc::new(bytes)))
    }

    fn to_hex(&self) -> String {
        hex::encode(*self.0)
    }

    /// Reads the key from `path`, or, if there is no such file, makes one there (readable
    /// by its owner only). Two processes starting at once on the same folder agree: only
    /// one creates the file, and the other reads it.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        use std::io::{Error, ErrorKind, Write};
        let invalid = || {
            Error::new(
                ErrorKind::InvalidData,
                format!("{} does not hold a link key (64 hexadecimal digits)", path.display()),
            )
        };
        match std::fs::read_to_string(path) {
            Ok(text) => return Self::from_hex(&text).ok_or_else(invalid),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let key = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
                file.sync_all()?;
                Ok(key)
            }
            // Made by another process meanwhile: theirs is the key.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                Self::from_hex(&std::fs::read_to_string(path)?).ok_or_else(invalid)
            }
            Err(e) => Err(e),
        }
    }

    /// The token of a password-reset link: derived like a signature's links, so that the
    /// queued email holds only the nonce and the database only the token's hash.
    pub fn password_reset_token(&self, nonce: &Nonce) -> Token {
        self.token(Purpose::PasswordReset, nonce)
    }

    /// The token of an invitation link: derived like a reset link's, so that the queued
    /// email holds only the nonce and the database only the token's hash.
    pub fn invitation_token(&self, nonce: &Nonce) -> Token {
        self.token(Purpose::Invitation, nonce)
    }

    /// The token of a signature's unsubscribe link. Its "nonce" is the signature's id (the
    /// 16 bytes of its UUID), which the link carries beside the token: the link must work
    /// for as long as the signer gets news, in every news email, and the server must find
    /// the signature from the link alone, without a table of tokens. Only the key makes
    /// the token, so an id alone (in an export, say) unsubscribes nobody.
    pub fn unsubscribe_token(&self, signature: &uuid::Uuid) -> Token {
        self.token(Purpose::Unsubscribe, &Nonce(*signature.as_bytes()))
    }

    /// A key for another purpose (e.g. "proof-of-work"), derived from this one, so that
    /// the instance keeps one secret file and no derived key tells anything of the links.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0[..]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
        mac.update(b"signons-key-v1\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub(crate) fn token(&self, purpose: Purpose, nonce: &Nonce) -> Token {
        // HMAC pads a key shorter than its block (64 bytes) with zeros: so does this,
        // which is the one key length `KeyInit::new` takes without a fallible check.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0[..]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
        mac.update(b"signons-link-v1\0");
        mac.update(purpose.label());
        mac.update(b"\0");
        mac.update(&nonce.0);
        Token::from_bytes(&mac.finalize().into_bytes().into())
    }
}

/// What one signing (or one password-reset request) draws to make its links: written in
/// the email's job, as base64url.
#[derive(Clone, PartialEq, Eq)]
pub struct Nonce([u8; 16]);

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce(…)")
    }
}

impl Nonce {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Nonce(bytes)
    }
}

impl Serialize for Nonce {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Nonce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .ok_or_else(|| serde::de::Error::custom("a nonce is 16 bytes in base64url"))?;
        Ok(Nonce(bytes))
    }
}

/// The links one signing sends, and what the worker needs to make them again (also for
/// the signatures of petitions elsewhere: `signons_federation::sent`).
pub struct Links {
    pub nonce: Nonce,
    pub confirm: Token,
    pub withdraw: Token,
}

impl Links {
    pub fn new(key: &LinkKey) -> Self {
        Self::from_nonce(key, Nonce::generate())
    }

    pub fn from_nonce(key: &LinkKey, nonce: Nonce) -> Self {
        let (confirm, withdraw) = (key.token(Purpose::Confirm, &nonce), key.token(Purpose::Withdraw, &nonce));
        Links { nonce, confirm, withdraw }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_made_again_from_the_nonce_and_only_with_the_key() {
        let key = LinkKey::generate();
        let links = Links::new(&key);
        let again = Links::from_nonce(&key, links.nonce.clone());
        assert_eq!((again.confirm.hash(), again.withdraw.hash()), (links.confirm.hash(), links.withdraw.hash()));
        assert_ne!(links.confirm, links.withdraw, "the two links of an email are unrelated");
        assert!(Token::parse(links.confirm.expose()).is_some(), "a derived token is a well-formed link token");
        // Another signing, or another instance's key, gives other links.
        let other = Links::new(&key);
        assert_ne!(other.confirm, links.confirm);
        let stranger = Links::from_nonce(&LinkKey::generate(), links.nonce.clone());
        assert_ne!(stranger.confirm, links.confirm);
        // The nonce goes through its JSON form unchanged.
        let json = serde_json::to_string(&links.nonce).unwrap();
        assert_eq!(serde_json::from_str::<Nonce>(&json).unwrap(), links.nonce);
        assert!(serde_json::from_str::<Nonce>("\"short\"").is_err());
    }

    /// The zero-padded block key is HMAC's own padding: the tokens are plain
    /// HMAC-SHA256 with the 32-byte key, as documented.
    #[test]
    fn tokens_are_hmac_sha256_of_purpose_and_nonce() {
        let key = LinkKey::generate();
        let nonce = Nonce::generate();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0[..]).unwrap();
        mac.update(b"signons-link-v1\0withdraw\0");
        mac.update(&nonce.0);
        let expected = Token::from_bytes(&mac.finalize().into_bytes().into());
        assert_eq!(key.token(Purpose::Withdraw, &nonce), expected);
    }

    #[test]
    fn the_key_file_is_made_once_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("link.key");
        let made = LinkKey::load_or_create(&path).unwrap();
        let read = LinkKey::load_or_create(&path).unwrap();
        assert_eq!(made.to_hex(), read.to_hex(), "a restart keeps the key, so queued emails keep their links");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        let error = LinkKey::load_or_create(&path).unwrap_err();
        assert!(error.to_string().contains("link key"), "{error}");
    }
}
