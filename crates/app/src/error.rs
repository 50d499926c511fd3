//! The one error type of the web layer: each variant has its HTTP status and a stable
//! snake_case code, in this one place. API responses are `{"error", "message"}` JSON;
//! pages render the same error as HTML (see `page.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use signons_petition::{FieldErrors, PetitionError};
use signons_signature::SignatureError;
use signons_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("some fields are invalid")]
    Invalid(FieldErrors),
    #[error("the request is malformed: {0}")]
    BadRequest(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("not found")]
    NotFound,
    #[error("this petition was removed by its organizers")]
    Gone,
    /// Hidden by the moderators of this instance, with the reason they gave.
    #[error("this petition was hidden by the moderators of this instance: {0}")]
    Hidden(String),
    #[error("this petition is not accepting signatures")]
    PetitionClosed,
    #[error("this link is not valid, or was already used")]
    TokenInvalid,
    #[error("this link has expired")]
    TokenExpired,
    #[error("this invitation was cancelled by the organization")]
    InvitationCancelled,
    #[error("authentication required")]
    Unauthorized,
    #[error("this API token has expired; create a new one")]
    ApiTokenExpired,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("this account was disabled by the instance's admins")]
    AccountDisabled,
    #[error("not allowed")]
    Forbidden,
    #[error("the form expired; please try again")]
    Csrf,
    #[error("too many requests; please wait a little")]
    RateLimited,
    #[error("this instance asks for a proof of work: pow_challenge (from GET /api/v1/challenge) and pow_nonce")]
    ProofOfWorkRequired,
    #[error("the proof of work is wrong, expired or already used: get a new challenge")]
    ProofOfWorkInvalid,
    #[error("{0}")]
    InvalidState(String),
    /// The database does not answer (down, restarting, or every connection busy for too
    /// long): 503 with `Retry-After`, never a 500.
    #[error("the service is unavailable for a moment; please try again shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Seconds a client is told to wait (`Retry-After`) when the database does not answer:
/// about how long a PostgreSQL restart takes, and the pool reconnects within two.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid_input",
            AppError::BadRequest(_) => "bad_request",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::NotFound => "not_found",
            AppError::Gone => "gone",
            AppError::Hidden(_) => "hidden",
            AppError::PetitionClosed => "petition_closed",
            AppError::TokenInvalid => "invalid_token",
            AppError::TokenExpired => "expired_token",
            AppError::InvitationCancelled => "invitation_cancelled",
            AppError::Unauthorized => "unauthorized",
            AppError::ApiTokenExpired => "token_expired",
            AppError::BadCredentials => "bad_credentials",
            AppError::AccountDisabled => "account_disabled",
            AppError::Forbidden => "forbidden",
            AppError::Csrf => "csrf_failed",
            AppError::RateLimited => "rate_limited",
            AppError::ProofOfWorkRequired => "proof_of_work_required",
            AppError::ProofOfWorkInvalid => "proof_of_work_invalid",
            AppError::InvalidState(_) => "invalid_state",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The translation key of the message pages show.
    pub fn message_key(&self) -> String {
        format!("error-{}", self.code().replace('_', "-"))
    }

    /// An error that is not the request's fault: `Unavailable` when the database's
    /// absence is behind it (a cause anywhere in its chain says so),
    /// `Internal` otherwise. Every error of the layers below becomes an `AppError` here.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        let e = e.into();
        if e.chain().any(signons_store::error::is_unavailable_cause) {
            AppError::Unavailable(e)
        } else {
            AppError::Internal(e)
        }
    }

    /// The `Retry-After` of the answer, if it has one.
    pub fn retry_after(&self) -> Option<u32> {
        matches!(self, AppError::Unavailable(_)).then_some(RETRY_AFTER_SECONDS)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) | AppError::ProofOfWorkRequired | AppError::ProofOfWorkInvalid => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NotFound | AppError::TokenInvalid => StatusCode::NOT_FOUND,
            AppError::TokenExpired | AppError::InvitationCancelled | AppError::Gone | AppError::Hidden(_) => {
                StatusCode::GONE
            }
            AppError::PetitionClosed | AppError::InvalidState(_) => StatusCode::CONFLICT,
            AppError::Unauthorized | AppError::ApiTokenExpired | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::AccountDisabled => StatusCode::FORBIDDEN,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        log_if_internal(self);
        let mut body = serde_json::json!({ "error": self.code(), "message": self.to_string() });
        if let AppError::Invalid(fields) = self {
            body["fields"] = serde_json::to_value(fields).unwrap_or_default();
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        response.json(body)
    }
}

/// Internal errors are logged once, where they become a response; the database's absence
/// as a warning (`/readyz` and the pool's own log say more).
pub fn log_if_internal(e: &AppError) {
    match e {
        AppError::Internal(source) => tracing::error!(error = format!("{source:#}"), "request failed"),
        AppError::Unavailable(source) => tracing::warn!(error = format!("{source:#}"), "database unavailable"),
        _ => {}
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::internal(e)
    }
}

impl From<PetitionError> for AppError {
    fn from(e: PetitionError) -> Self {
        match e {
            PetitionError::Invalid(fields) => AppError::Invalid(fields),
            PetitionError::NotFound | PetitionError::OrganizationNotFound => AppError::NotFound,
            PetitionError::BadCredentials => AppError::BadCredentials,
            PetitionError::AccountDisabled => AppError::AccountDisabled,
            PetitionError::ResetLinkInvalid => AppError::TokenInvalid,
            PetitionError::ResetLinkExpired => AppError::TokenExpired,
            PetitionError::InvitationInvalid => AppError::TokenInvalid,
            PetitionError::InvitationExpired => AppError::TokenExpired,
            PetitionError::InvitationCancelled => AppError::InvitationCancelled,
            PetitionError::ApiTokenExpired => AppError::ApiTokenExpired,
            PetitionError::Forbidden => AppError::Forbidden,
            PetitionError::InvalidTransition { .. }
            | PetitionError::OrganizerExists
            | PetitionError::EndDatePassed
            | PetitionError::LastOwner
            | PetitionError::OwnAccount => AppError::InvalidState(e.to_string()),
            PetitionError::PasswordHash | PetitionError::UnreadableSetting(_) | PetitionError::Store(_) => {
                AppError::internal(e)
            }
        }
    }
}

impl From<SignatureError> for AppError {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Invalid(fields) => AppError::Invalid(fields),
            SignatureError::PetitionNotFound => AppError::NotFound,
            SignatureError::PetitionClosed => AppError::PetitionClosed,
            SignatureError::TokenInvalid => AppError::TokenInvalid,
            SignatureError::TokenExpired => AppError::TokenExpired,
            SignatureError::Petition(e) => e.into(),
            SignatureError::Contended | SignatureError::Mail(_) | SignatureError::Store(_) => AppError::internal(e),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::internal(StoreError::Query(e))
    }
}

/// Turns actix's body-parsing errors into clear 4xx answers.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::Overflow { .. } | J::OverflowKnownLength { .. } => AppError::PayloadTooLarge,
        J::ContentType => AppError::BadRequest("expected Content-Type: application/json".into()),
        J::Deserialize(e) => AppError::BadRequest(format!("invalid JSON: {e}")),
        other => AppError::BadRequest(other.to_string()),
    }
    .into()
}

pub fn payload_error(err: actix_web::error::PayloadError) -> AppError {
    match err {
        actix_web::error::PayloadError::Overflow => AppError::PayloadTooLarge,
        other => AppError::BadRequest(other.to_string()),
    }
}
