use crate::MailError;
use serde::Serialize;
use signons_render::{Context, Locale, Renderer};

/// A rendered email, ready to queue.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The emails Signons sends, with what each one shows.
#[derive(Debug, Clone, Serialize)]
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
    /// News of a petition's partner organization, to the signers who asked it. `text` is
    /// its Markdown (the text part), `html` the same, rendered and sanitized.
    PartnerNews {
        petition_title: String,
        organization: String,
        signer_name: String,
        text: String,
        html: String,
        petition_url: String,
    },
}

impl Message {
    fn template(&self) -> &'static str {
        match self {
            Message::ConfirmSignature { .. } => "confirm_signature",
            Message::AlreadySigned { .. } => "already_signed",
            Message::SignatureRefused { .. } => "signature_refused",
            Message::PartnerNews { .. } => "partner_news",
        }
    }

    pub fn render(&self, renderer: &Renderer, locale: Locale, to: &str) -> Result<Email, MailError> {
        let name = self.template();
        let mut context = Context::from_serialize(self).map_err(signons_render::RenderError::from)?;
        let title = match self {
            Message::ConfirmSignature { petition_title, .. }
            | Message::AlreadySigned { petition_title, .. }
            | Message::SignatureRefused { petition_title, .. }
            | Message::PartnerNews { petition_title, .. } => petition_title.clone(),
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
        })
    }
}
