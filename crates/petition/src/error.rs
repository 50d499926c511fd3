use crate::FieldErrors;
use signons_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PetitionError {
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("no such petition")]
    NotFound,
    #[error("no such organization")]
    OrganizationNotFound,
    #[error("an organizer with this email already exists")]
    OrganizerExists,
    #[error("wrong email or password")]
    BadCredentials,
    /// The password was right, but an admin disabled the account.
    #[error("this account was disabled by the instance's admins")]
    AccountDisabled,
    #[error("an admin cannot disable their own account")]
    OwnAccount,
    #[error("not allowed")]
    Forbidden,
    #[error("a {from} petition cannot be {action}")]
    InvalidTransition { from: &'static str, action: &'static str },
    #[error("its end date has passed: choose a new end date first")]
    EndDatePassed,
    #[error("this password reset link is not valid, or was already used")]
    ResetLinkInvalid,
    #[error("this password reset link has expired")]
    ResetLinkExpired,
    #[error("this invitation is not valid, or was already used")]
    InvitationInvalid,
    #[error("this invitation has expired")]
    InvitationExpired,
    #[error("this invitation was cancelled by the organization")]
    InvitationCancelled,
    #[error("an organization keeps at least one owner")]
    LastOwner,
    #[error("this API token has expired")]
    ApiTokenExpired,
    #[error("the stored setting {0} cannot be read")]
    UnreadableSetting(&'static str),
    #[error("password hashing failed")]
    PasswordHash,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for PetitionError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => PetitionError::NotFound,
            other => PetitionError::Store(StoreError::Query(other)),
        }
    }
}
