//! Email: the messages Signons sends (rendered from `web/templates/emails` in the signer's
//! language), their jobs in the shared queue (so nothing is lost when the SMTP server is
//! down), and the worker that sends them, several at once, over SMTP or into an outbox
//! folder.

pub mod compose;
pub mod message;
pub mod queue;
pub mod transport;
pub mod worker;

pub use compose::{Compose, Composed, FanOut};
pub use message::{Email, Message};
pub use queue::MailQueue;
pub use transport::{MailSettings, Transport};
pub use worker::MailWorker;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum MailError {
    #[error("cannot render email: {0}")]
    Render(#[from] signons_render::RenderError),
    #[error("invalid mail setting: {0}")]
    Settings(String),
    #[error(transparent)]
    Store(#[from] signons_store::StoreError),
    /// A queued reference that cannot be composed now, but may be later (by this process
    /// once fixed, or by another one).
    #[error("cannot compose the email yet: {0}")]
    Later(String),
    /// A queued reference that can never be composed.
    #[error("cannot compose the email: {0}")]
    Reference(String),
}

impl From<diesel::result::Error> for MailError {
    fn from(e: diesel::result::Error) -> Self {
        MailError::Store(e.into())
    }
}
