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
    /// Any other refusal of the petition crate (forbidden, a transition the petition's
    /// state does not allow, …), kept as it is so that callers can answer it for what it is.
    #[error(transparent)]
    Petition(signons_petition::PetitionError),
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
            other => SignatureError::Petition(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use signons_petition::PetitionError;

    #[test]
    fn petition_refusals_keep_their_meaning() {
        let e = SignatureError::from(PetitionError::InvalidTransition { from: "closed", action: "signed" });
        assert!(matches!(e, SignatureError::Petition(PetitionError::InvalidTransition { .. })), "{e:?}");
        assert_eq!(e.to_string(), "a closed petition cannot be signed");
        assert!(matches!(SignatureError::from(PetitionError::NotFound), SignatureError::PetitionNotFound));
    }
}
