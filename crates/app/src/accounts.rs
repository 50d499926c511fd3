//! Password-reset emails, queued as references like the signature emails: the job holds
//! the organizer's id, a nonce and the language; the link's token is derived from the
//! instance's link key and the nonce when the email is sent
//! (`LinkKey::password_reset_token`), and the database holds only its hash. So neither the
//! queue nor a copy of the database holds a usable reset link.
//!
//! `Composer` is what the mail worker composes with: reset emails here, the emails of
//! signatures of petitions elsewhere by the federation crate, every other reference by the
//! signature crate.

use serde::{Deserialize, Serialize};
use signons_mail::{Compose, Composed, MailError, Message};
use signons_petition::PetitionError;
use signons_render::{Locale, Renderer};
use signons_signature::links::Nonce;
use signons_signature::{LinkKey, SignatureEmails};
use signons_store::{DbConnection, Id, Token};

/// The `kind` of a reset email's reference (the signature emails use other kinds).
const KIND: &str = "password_reset";

/// What a reset email's job holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResetEmail {
    kind: String,
    organizer: String,
    nonce: Nonce,
    locale: String,
}

impl ResetEmail {
    pub fn new(organizer: &Id, nonce: Nonce, locale: Locale) -> Self {
        ResetEmail { kind: KIND.to_owned(), organizer: organizer.to_string(), nonce, locale: locale.code().to_owned() }
    }
}

/// The reset link of a nonce.
pub fn reset_token(key: &LinkKey, nonce: &Nonce) -> Token {
    key.password_reset_token(nonce)
}

pub fn reset_url(public_url: &str, token: &Token) -> String {
    format!("{public_url}/password/reset/{}", token.expose())
}

/// Composes reset emails.
#[derive(Clone)]
pub struct ResetEmails {
    pub renderer: Renderer,
    pub public_url: String,
    /// The instance's name in the emails is the admins' setting of the moment.
    pub settings: signons_petition::settings::Shared,
    pub key: LinkKey,
}

impl ResetEmails {
    fn compose_reset(&self, conn: &mut DbConnection, email: ResetEmail) -> Result<Composed, MailError> {
        let token = reset_token(&self.key, &email.nonce);
        let organizer = match signons_petition::account::reset_link_organizer(conn, &token.hash()) {
            Ok(o) => o,
            // Used, expired, replaced by a new password: nobody is sent a dead link. A
            // process with another link key lands here too: the link would not work.
            Err(PetitionError::ResetLinkInvalid | PetitionError::ResetLinkExpired) => {
                return Ok(Composed::Dropped("the reset link is no longer valid".into()))
            }
            Err(PetitionError::Store(e)) => return Err(MailError::Store(e)),
            Err(other) => return Err(MailError::Later(other.to_string())),
        };
        if organizer.id.to_string() != email.organizer {
            return Ok(Composed::Dropped("the reset link belongs to another account".into()));
        }
        let locale = Locale::from_code(&email.locale).unwrap_or_default();
        let message = Message::PasswordReset {
            instance_name: self.settings.get().name.clone(),
            reset_url: reset_url(&self.public_url, &token),
            minutes_valid: signons_petition::account::RESET_LINK_MINUTES,
        };
        Ok(Composed::Email(message.render(&self.renderer, locale, &organizer.email)?))
    }
}

/// The `kind` of an invitation email's reference.
const INVITATION_KIND: &str = "invitation";

/// What an invitation email's job holds: the nonce its link is made from, and the
/// language of the owner who sent it. The invitation (organization, address, role) is
/// read from the database by the link's hash when the email is sent.
#[derive(Debug, Serialize, Deserialize)]
pub struct InvitationEmail {
    kind: String,
    nonce: Nonce,
    locale: String,
}

impl InvitationEmail {
    pub fn new(nonce: Nonce, locale: Locale) -> Self {
        InvitationEmail { kind: INVITATION_KIND.to_owned(), nonce, locale: locale.code().to_owned() }
    }
}

pub fn invitation_token(key: &LinkKey, nonce: &Nonce) -> Token {
    key.invitation_token(nonce)
}

pub fn invitation_url(public_url: &str, token: &Token) -> String {
    format!("{public_url}/invitations/{}", token.expose())
}

impl ResetEmails {
    fn compose_invitation(&self, conn: &mut DbConnection, email: InvitationEmail) -> Result<Composed, MailError> {
        let token = invitation_token(&self.key, &email.nonce);
        let invitation = match signons_petition::members::live_invitation(conn, &token.hash()) {
            Ok(i) => i,
            // Used, expired or cancelled meanwhile, or another link key: nobody is sent a
            // dead link.
            Err(
                PetitionError::InvitationInvalid
                | PetitionError::InvitationExpired
                | PetitionError::InvitationCancelled,
            ) => return Ok(Composed::Dropped("the invitation is no longer valid".into())),
            Err(PetitionError::Store(e)) => return Err(MailError::Store(e)),
            Err(other) => return Err(MailError::Later(other.to_string())),
        };
        let locale = Locale::from_code(&email.locale).unwrap_or_default();
        let message = Message::Invitation {
            instance_name: self.settings.get().name.clone(),
            organization: invitation.organization.name.clone(),
            invitation_url: invitation_url(&self.public_url, &token),
            days_valid: signons_petition::members::INVITATION_DAYS,
        };
        Ok(Composed::Email(message.render(&self.renderer, locale, &invitation.email)?))
    }
}

/// What the mail worker composes references with.
pub struct Composer {
    pub signatures: SignatureEmails,
    pub resets: ResetEmails,
    /// The emails of signatures of petitions elsewhere.
    pub sent: signons_federation::sent::SentEmails,
}

impl Compose for Composer {
    fn compose(&self, conn: &mut DbConnection, reference: &serde_json::Value) -> Result<Composed, MailError> {
        if reference.get("kind").and_then(|k| k.as_str()) == Some(KIND) {
            let email = ResetEmail::deserialize(reference)
                .map_err(|e| MailError::Reference(format!("not a password-reset email: {e}")))?;
            return self.resets.compose_reset(conn, email);
        }
        if reference.get("kind").and_then(|k| k.as_str()) == Some(INVITATION_KIND) {
            let email = InvitationEmail::deserialize(reference)
                .map_err(|e| MailError::Reference(format!("not an invitation email: {e}")))?;
            return self.resets.compose_invitation(conn, email);
        }
        if signons_federation::sent::SentEmail::is_one(reference) {
            return self.sent.compose(conn, reference);
        }
        self.signatures.compose(conn, reference)
    }

    fn fan_out(&self, conn: &mut DbConnection, fan_out: &serde_json::Value) -> Result<signons_mail::FanOut, MailError> {
        if signons_federation::sent_news::SentNewsFanOut::is_one(fan_out) {
            return self.sent.fan_out(conn, fan_out);
        }
        self.signatures.fan_out(conn, fan_out)
    }
}
