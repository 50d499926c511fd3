//! The one error type of federation, and the HTTP status and code each variant answers a
//! remote server with.

use signons_store::StoreError;
use thiserror::Error;

/// Everything that can go wrong while federating. Each variant maps to one HTTP status
/// (`status`) when it answers a remote server.
#[derive(Debug, Error)]
pub enum FederationError {
    #[error("the request is not signed")]
    Unsigned,
    #[error("the domain {0} is not allowed to federate with this instance")]
    Blocked(String),
    #[error("invalid activity: {0}")]
    Invalid(String),
    #[error("signature or fetch failed: {0}")]
    Protocol(#[from] activitypub_federation::error::Error),
    #[error("no such actor or object")]
    NotFound,
    #[error("this activity was already received")]
    Duplicate,
    /// Over a cap on what one remote domain may have here (followers).
    #[error("refused: {0}")]
    Capped(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("key generation failed: {0}")]
    Keys(String),
    #[error("object-integrity proof refused: {0}")]
    Proof(#[from] crate::proof::ProofError),
    #[error(transparent)]
    Petition(#[from] signons_petition::PetitionError),
    /// Signing, here, a petition of another instance: refused as a local signature is.
    #[error(transparent)]
    Signature(#[from] signons_signature::SignatureError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for FederationError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => FederationError::NotFound,
            other => FederationError::Store(StoreError::Query(other)),
        }
    }
}

impl From<serde_json::Error> for FederationError {
    fn from(e: serde_json::Error) -> Self {
        FederationError::Invalid(e.to_string())
    }
}

impl From<url::ParseError> for FederationError {
    fn from(e: url::ParseError) -> Self {
        FederationError::Invalid(format!("bad URL: {e}"))
    }
}

impl FederationError {
    /// The HTTP status for a remote server, and a stable code.
    pub fn status_and_code(&self) -> (u16, &'static str) {
        use activitypub_federation::error::Error as Ap;
        match self {
            FederationError::Unsigned => (401, "unsigned"),
            FederationError::Blocked(_) => (403, "blocked"),
            FederationError::Invalid(_) => (400, "invalid_activity"),
            FederationError::Protocol(e) => match e {
                Ap::ActivitySignatureInvalid | Ap::ActivityBodyDigestInvalid => (401, "bad_signature"),
                Ap::NotFound | Ap::ObjectDeleted(_) => (400, "unknown_object"),
                Ap::UrlVerificationError(_) => (403, "url_refused"),
                Ap::ParseReceivedActivity { .. } => (400, "invalid_activity"),
                _ => (400, "fetch_failed"),
            },
            // Like a bad HTTP signature: the sender did not prove what it claims.
            FederationError::Proof(_) => (401, "bad_proof"),
            FederationError::NotFound => (404, "not_found"),
            FederationError::Duplicate => (202, "duplicate"),
            FederationError::Capped(_) => (403, "capped"),
            FederationError::Unreachable { .. } => (502, "unreachable"),
            FederationError::Keys(_)
            | FederationError::Petition(_)
            | FederationError::Signature(_)
            | FederationError::Store(_) => (500, "internal"),
        }
    }
}

impl From<signons_mail::MailError> for FederationError {
    fn from(e: signons_mail::MailError) -> Self {
        FederationError::Signature(e.into())
    }
}
