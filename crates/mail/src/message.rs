use crate::MailError;
use serde::Serialize;
use signons_render::{Context, Locale, Renderer};

/// A rendered email, ready to queue.
#[derive(Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe link of a mailing (RFC 8058): sent as `List-Unsubscribe`
    /// with `List-Unsubscribe-Post`. `None` for the emails a signer did not subscribe to.
    pub list_unsubscribe: Option<String>,
}

/// Bodies hold links that act for their recipient (confirm, withdraw, reset a password)
/// and addresses are personal data: `Debug` shows neither.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("to", &signons_store::Secret::new(()))
            .field("subject", &self.subject)
            .field("text", &format_args!("{} bytes", self.text.len()))
            .field("html", &format_args!("{} bytes", self.html.len()))
            .finish()
    }
}

/// The emails Signons sends, with what each one shows.
#[derive(Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// Sent on signing: the link that confirms, and the one that withdraws.
    ConfirmSignature {
        petition_title: String,
        signer_name: String,
        confirm_url: String,
        withdraw_url: String,
        hours_valid: i64,
    },
    /// Sent when an address signs a petition it has already signed.
    AlreadySigned { petition_title: String, signer_name: String, petition_url: String, withdraw_url: String },
    /// Sent when the instance of another instance's petition did not count a signature
    /// confirmed here. `reason_key` names the reason's text: `refused-already-signed`,
    /// `refused-petition-closed` or `refused-instance-refused`.
    SignatureRefused { petition_title: String, signer_name: String, petition_url: String, reason_key: String },
    /// News posted by the petition's organizers, to a confirmed signer who asked news.
    /// `text` is its Markdown (the text part), `html` the same, rendered and sanitized.
    News {
        petition_title: String,
        organization: String,
        signer_name: String,
        text: String,
        html: String,
        petition_url: String,
        unsubscribe_url: String,
    },
    /// Sent to an organizer who asked to reset a forgotten password: the single-use link.
    PasswordReset { instance_name: String, reset_url: String, minutes_valid: i64 },
    /// Sent to someone an organization's owner invited: the link that joins (and makes the
    /// account if there is none).
    Invitation { instance_name: String, organization: String, invitation_url: String, days_valid: i64 },
}

/// Only which email it is: the fields hold links that act for the recipient.
impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(self.template()).finish_non_exhaustive()
    }
}

impl Message {
    fn template(&self) -> &'static str {
        match self {
            Message::ConfirmSignature { .. } => "confirm_signature",
            Message::AlreadySigned { .. } => "already_signed",
            Message::SignatureRefused { .. } => "signature_refused",
            Message::News { .. } => "news",
            Message::PasswordReset { .. } => "password_reset",
            Message::Invitation { .. } => "invitation",
        }
    }

    pub fn render(&self, renderer: &Renderer, locale: Locale, to: &str) -> Result<Email, MailError> {
        let name = self.template();
        let mut context = Context::from_serialize(self).map_err(signons_render::RenderError::from)?;
        let title = match self {
            Message::ConfirmSignature { petition_title, .. }
            | Message::AlreadySigned { petition_title, .. }
            | Message::SignatureRefused { petition_title, .. }
            | Message::News { petition_title, .. } => petition_title.clone(),
            Message::PasswordReset { instance_name, .. } => instance_name.clone(),
            Message::Invitation { organization, .. } => organization.clone(),
        };
        let subject = Renderer::translate(
            locale,
            &format!("email-{}-subject", name.replace('_', "-")),
            &[("title", title.into())],
        );
        context.insert("subject", &subject);
        Ok(Email {
            to: to.to_owned(),
            text: renderer.render(&format!("emails/{name}.txt"), locale, &context)?,
            html: renderer.render(&format!("emails/{name}.html"), locale, &context)?,
            subject,
            list_unsubscribe: match self {
                Message::News { unsubscribe_url, .. } => Some(unsubscribe_url.clone()),
                _ => None,
            },
        })
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    /// Emails and messages end up in `{:?}` (errors, traces): their links and addresses
    /// must not.
    #[test]
    fn debug_shows_no_link_and_no_address() {
        let link = "https://petitions.test/password/reset/SECRET-TOKEN";
        let message =
            Message::PasswordReset { instance_name: "Signons".into(), reset_url: link.into(), minutes_valid: 60 };
        let email = Email {
            to: "someone@example.org".into(),
            subject: "Reset your password".into(),
            text: format!("Open {link}"),
            html: format!("<a href=\"{link}\">{link}</a>"),
            list_unsubscribe: None,
        };
        let job = crate::queue::EmailJob::from(&email);
        for shown in [format!("{message:?}"), format!("{email:?}"), format!("{job:?}")] {
            assert!(!shown.contains("SECRET-TOKEN") && !shown.contains("someone@"), "{shown}");
        }
        assert!(format!("{email:?}").contains("Reset your password"));
    }
}
