use signons_petition::FieldErrors;
use signons_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SignatureError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("no such petition")]
    PetitionNotFound,
    #[error("this petition is not accepting signatures")]
    PetitionClosed,
    #[error("this link is not valid, or was already used")]
    TokenInvalid,
    #[error("this link has expired")]
    TokenExpired,
    /// The signature kept changing under every attempt to sign (withdrawn or confirmed
    /// each time by concurrent requests); nothing was written.
    #[error("the signature kept changing while signing; nothing was written")]
    Contended,
    #[error(transparent)]
    Mail(#[from] signons_mail::MailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for SignatureError {
    fn from(e: diesel::result::Error) -> Self {
        SignatureError::Store(e.into())
    }
}

impl From<signons_petition::PetitionError> for SignatureError {
    fn from(e: signons_petition::PetitionError) -> Self {
        use signons_petition::PetitionError as P;
        match e {
            P::NotFound => SignatureError::PetitionNotFound,
            P::Invalid(errors) => SignatureError::Invalid(errors),
            P::Store(s) => SignatureError::Store(s),
            other => SignatureError::Store(StoreError::Migration(other.to_string())),
        }
    }
}
