//! Emails queued as a reference rather than as their text: the job names what the email is
//! about (for instance a signature and the nonce of its links), and the mail worker builds
//! the email when it sends it. Nothing secret, and no link, waits in the queue, and the
//! queue's rows stay small (a rendered email is kilobytes of text and HTML that the
//! database writes, compresses and deletes again).
//!
//! The crate that queues a kind of reference supplies the `Compose` that reads it; the
//! worker holds one for all of them.

use crate::{Email, MailError};
use signons_store::DbConnection;

/// What composing a reference gave.
#[derive(Debug)]
pub enum Composed {
    /// The email to send now.
    Email(Email),
    /// Nothing to send any more (what the email was about is gone, or a later email
    /// replaces it): the job leaves the queue, sent to nobody.
    Dropped(String),
}

/// What one step of a fan-out did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOut {
    /// Queued this many emails; more are left for the next step.
    More(usize),
    /// Queued this many emails, the last ones: the fan-out is done.
    Done(usize),
}

/// Builds the email a reference job names, at the time it is sent.
pub trait Compose: Send + Sync + 'static {
    /// `reference` is what was given to `MailQueue::enqueue_reference`. An error that may
    /// pass (the database, `MailError::Later`) retries the job; any other buries it.
    fn compose(&self, conn: &mut DbConnection, reference: &serde_json::Value) -> Result<Composed, MailError>;

    /// One step of a fan-out job (`MailQueue::enqueue_fan_out`), in one write transaction:
    /// queues the next batch of its emails and records how far it got, in that same
    /// transaction, so a step run again (a restart, a lapsed lease) queues nobody twice.
    fn fan_out(&self, _conn: &mut DbConnection, _fan_out: &serde_json::Value) -> Result<FanOut, MailError> {
        Err(MailError::Later("this process runs no fan-out".into()))
    }
}

/// For a worker that is given no references (tests, tools): every reference waits, for a
/// process that can compose it.
pub struct NoReferences;

impl Compose for NoReferences {
    fn compose(&self, _conn: &mut DbConnection, _reference: &serde_json::Value) -> Result<Composed, MailError> {
        Err(MailError::Later("this process composes no queued references".into()))
    }
}
