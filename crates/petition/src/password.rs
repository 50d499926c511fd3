//! Organizer passwords: argon2id hashes, made and checked.

use crate::PetitionError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash_password(password: &str) -> Result<String, PetitionError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PetitionError::PasswordHash)
}

/// A stored argon2id hash, read from the database so that it can be checked once the
/// connection is back in the pool: argon2 is slow on purpose, and a connection held while it
/// runs is one every page waits for.
#[derive(Clone)]
pub struct StoredHash(String);

impl std::fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredHash(…)")
    }
}

impl StoredHash {
    pub(crate) fn new(hash: String) -> Self {
        StoredHash(hash)
    }

    /// Whether `password` is the one hashed. Slow (argon2): run it off the async threads.
    pub fn verify(&self, password: &str) -> bool {
        verify_password(password, &self.0)
    }

    /// A hash no password matches that costs what a real one does to check: an unknown
    /// account must take as long to refuse as a wrong password.
    pub fn decoy() -> Self {
        static DECOY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let hash = DECOY.get_or_init(|| {
            let mut random = [0u8; 24];
            argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut random);
            hash_password(&random.iter().map(|b| format!("{b:02x}")).collect::<String>()).ok()
        });
        // Without a decoy (hashing failed), an empty hash refuses every password at once.
        StoredHash(hash.clone().unwrap_or_default())
    }
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", "not a hash"));
        let stored = StoredHash::new(hash);
        assert!(stored.verify("correct horse battery") && !stored.verify("wrong"));
        assert!(!StoredHash::decoy().verify("correct horse battery"));
        assert!(StoredHash::decoy().0.starts_with("$argon2id$"), "a decoy costs what a real hash does");
    }
}
