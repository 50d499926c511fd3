//! Emails waiting to be sent: jobs of the shared queue (`signons_store::jobs`, queue
//! `email`), one per message, written in the caller's transaction. A job holds either the
//! rendered email (`MailQueue::enqueue`) or a reference that the worker composes when it
//! sends it (`MailQueue::enqueue_reference`, see `compose`).

use crate::{Email, MailError};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use signons_store::jobs::{self, Queue};
use signons_store::runner::Waker;
use signons_store::{DbConnection, Id};

/// A rendered email as a job holds it: the message as rendered when it was queued.
#[derive(Clone, Serialize, Deserialize)]
pub struct EmailJob {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// See `Email::list_unsubscribe` (absent from the jobs of earlier releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
}

/// As `Email`'s: no address, no body (they may hold links).
impl std::fmt::Debug for EmailJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailJob")
            .field("to", &signons_store::Secret::new(()))
            .field("subject", &self.subject)
            .field("text", &format_args!("{} bytes", self.text.len()))
            .field("html", &format_args!("{} bytes", self.html.len()))
            .finish()
    }
}

impl EmailJob {
    /// The job's payload as stored (for a caller that writes the job row itself).
    pub fn to_payload(&self) -> Result<String, MailError> {
        serde_json::to_string(self).map_err(payload_error)
    }
}

impl From<&Email> for EmailJob {
    fn from(email: &Email) -> Self {
        EmailJob {
            to: email.to.clone(),
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            list_unsubscribe: email.list_unsubscribe.clone(),
        }
    }
}

/// What an email job holds, as read back. A reference is `{"compose": …}` and a fan-out
/// `{"fan_out": …}`, which no rendered email has; anything else is a rendered email (also
/// those of earlier releases).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Queued {
    Reference {
        compose: serde_json::Value,
    },
    /// A job that queues other emails (news to every signer who asked it, see
    /// `Compose::fan_out`), a few hundred per transaction.
    FanOut {
        fan_out: serde_json::Value,
    },
    Rendered(EmailJob),
}

/// A reference as written.
#[derive(Serialize)]
struct Reference<'a, T> {
    compose: &'a T,
}

/// A fan-out as written.
#[derive(Serialize)]
struct FanOut<'a, T> {
    fan_out: &'a T,
}

/// The payload of a reference job (for a caller that writes the job row itself).
pub fn reference_payload<T: Serialize>(reference: &T) -> Result<String, MailError> {
    serde_json::to_string(&Reference { compose: reference }).map_err(payload_error)
}

fn payload_error(e: serde_json::Error) -> MailError {
    MailError::Store(signons_store::StoreError::Payload(e.to_string()))
}

/// A handle that queues emails inside the caller's transaction and wakes the worker.
#[derive(Clone, Default)]
pub struct MailQueue {
    waker: Waker,
}

impl MailQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores the email in the caller's transaction: it is sent only if that commits.
    pub fn enqueue(&self, conn: &mut DbConnection, email: &Email) -> Result<Id, MailError> {
        Ok(jobs::enqueue(conn, Queue::Email, None, &EmailJob::from(email))?)
    }

    /// Queues, in the caller's transaction, an email that the worker's `Compose` builds
    /// from `reference` when it sends it.
    pub fn enqueue_reference<T: Serialize>(&self, conn: &mut DbConnection, reference: &T) -> Result<Id, MailError> {
        Ok(jobs::enqueue(conn, Queue::Email, None, &Reference { compose: reference })?)
    }

    /// Queues, in the caller's transaction, a job that the worker's `Compose::fan_out`
    /// turns into emails, a batch at a time, once it runs: the caller's transaction stays
    /// short whatever the number of recipients.
    pub fn enqueue_fan_out<T: Serialize>(&self, conn: &mut DbConnection, fan_out: &T) -> Result<Id, MailError> {
        Ok(jobs::enqueue(conn, Queue::Email, None, &FanOut { fan_out })?)
    }

    /// Tells the worker that new mail is waiting (call after the commit).
    pub fn wake(&self) {
        self.waker.wake();
    }

    pub(crate) fn waker(&self) -> Waker {
        self.waker.clone()
    }
}

/// The emails waiting (queued or being sent), oldest first, as queued: a reference is
/// composed only when sent.
pub fn waiting(conn: &mut DbConnection) -> Result<Vec<Queued>, MailError> {
    use signons_store::jobs::JobState;
    use signons_store::schema::jobs as j;
    let payloads: Vec<String> = j::table
        .filter(j::queue.eq(Queue::Email))
        .filter(j::state.ne(JobState::Dead))
        .order(j::id.asc())
        .select(j::payload)
        .load(conn)?;
    payloads.iter().map(|p| serde_json::from_str(p).map_err(payload_error)).collect()
}

/// Emails queued or being sent.
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, MailError> {
    Ok(jobs::counts(conn, Queue::Email)?.pending())
}

/// Emails a binary of the previous release queued in `outgoing_emails` (during a rolling
/// upgrade) move to the job queue, 500 per call (run at start until none is left). Goes
/// with that table, in the migration that drops it.
pub(crate) fn adopt_legacy(conn: &mut DbConnection) -> Result<usize, MailError> {
    use signons_store::schema::outgoing_emails as q;
    let rows: Vec<(Id, String, String, String, String)> =
        q::table.select((q::id, q::recipient, q::subject, q::text_body, q::html_body)).limit(500).load(conn)?;
    for (id, to, subject, text, html) in &rows {
        jobs::enqueue(
            conn,
            Queue::Email,
            None,
            &EmailJob {
                to: to.clone(),
                subject: subject.clone(),
                text: text.clone(),
                html: html.clone(),
                list_unsubscribe: None,
            },
        )?;
        diesel::delete(q::table.filter(q::id.eq(id))).execute(conn)?;
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use signons_store::testing::{TempDatabase, TestBackend};

    /// More emails than one chunk, left by the previous release: every one moves, once.
    #[tokio::test]
    async fn emails_of_the_previous_release_all_move_to_the_queue() {
        use signons_store::schema::outgoing_emails as q;
        let tmp = TempDatabase::new(TestBackend::Sqlite);
        let db = tmp.open();
        db.write(|conn| -> Result<(), MailError> {
            for i in 0..501 {
                let now = signons_store::now();
                diesel::insert_into(q::table)
                    .values((
                        q::id.eq(Id::new()),
                        q::recipient.eq(format!("old{i}@example.org")),
                        q::subject.eq("Confirm"),
                        q::text_body.eq("text"),
                        q::html_body.eq("<p>html</p>"),
                        q::created_at.eq(now),
                        q::attempts.eq(0),
                        q::next_attempt_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .unwrap();
        let moved = signons_store::runner::repeat_until_done(&db, adopt_legacy).await.unwrap();
        assert_eq!(moved, 501);
        let (left, waiting) = db
            .read(|conn| -> Result<_, MailError> { Ok((q::table.count().get_result::<i64>(conn)?, waiting(conn)?)) })
            .unwrap();
        assert_eq!(left, 0);
        assert_eq!(waiting.len(), 501);
        assert!(waiting.iter().any(|e| matches!(e, Queued::Rendered(e) if e.to == "old500@example.org")));
    }
}
