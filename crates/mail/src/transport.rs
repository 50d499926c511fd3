//! Where email goes: an SMTP server, or (with none configured) one `.eml` file per message
//! in an outbox folder, for development and small test setups.

use crate::MailError;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp_url: Option<String>,
    pub outbox_dir: PathBuf,
    pub from: String,
}

#[derive(Clone)]
enum Inner {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

#[derive(Clone)]
pub struct Transport {
    inner: Inner,
    from: Mailbox,
}

/// Why a send failed: worth retrying, or never going to work.
#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

impl Transport {
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let from: Mailbox =
            settings.from.parse().map_err(|e| MailError::Settings(format!("mail_from {:?}: {e}", settings.from)))?;
        let inner = match &settings.smtp_url {
            Some(url) => Inner::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Settings(format!("smtp_url: {e}")))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&settings.outbox_dir).map_err(|e| {
                    MailError::Settings(format!("cannot create {}: {e}", settings.outbox_dir.display()))
                })?;
                Inner::Outbox(AsyncFileTransport::new(&settings.outbox_dir), settings.outbox_dir.clone())
            }
        };
        Ok(Transport { inner, from })
    }

    pub fn is_outbox(&self) -> bool {
        matches!(self.inner, Inner::Outbox(..))
    }

    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Smtp(_) => "SMTP".to_owned(),
            Inner::Outbox(_, dir) => format!("outbox folder {}", dir.display()),
        }
    }

    pub(crate) async fn send(&self, to: &str, subject: &str, text: &str, html: &str) -> Result<(), SendError> {
        let to: Mailbox = to.parse().map_err(|e| SendError::Permanent(format!("recipient address rejected: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text.to_owned(), html.to_owned()))
            .map_err(|e| SendError::Permanent(format!("cannot build message: {e}")))?;
        match &self.inner {
            Inner::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                // Only the status code: SMTP replies often quote the recipient's address.
                let code = e.status().map(|c| c.to_string()).unwrap_or_else(|| "no reply".to_owned());
                if e.is_permanent() {
                    SendError::Permanent(format!("SMTP permanent error {code}"))
                } else {
                    SendError::Transient(format!("SMTP error {code}"))
                }
            }),
            Inner::Outbox(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::Transient(format!("cannot write to outbox: {e}"))),
        }
    }
}
