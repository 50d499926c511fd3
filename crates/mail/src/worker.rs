//! Sends queued email, retrying with backoff: an SMTP outage delays mail and loses none.

use crate::queue::{self, Queued};
use crate::transport::SendError;
use crate::{MailError, MailQueue, Transport};
use chrono::TimeDelta;
use signons_store::Database;
use std::time::Duration;

pub struct MailWorker {
    pub db: Database,
    pub transport: Transport,
    pub queue: MailQueue,
    /// The first retry waits this long; each next one twice as long, up to an hour.
    pub retry_base: TimeDelta,
    /// How long an email is retried before it is given up.
    pub give_up_after: TimeDelta,
    /// With the outbox, links starting with this are logged, to click during development.
    pub log_links_with_prefix: Option<String>,
}

const BATCH: i64 = 20;
const POLL: Duration = Duration::from_secs(5);
const LEASE: TimeDelta = TimeDelta::minutes(5);

impl MailWorker {
    /// Runs until the runtime shuts down.
    pub async fn run(self) {
        let wake = self.queue.notified();
        // Retries are due `retry_base` after a failure: look at least that often.
        let poll = self.retry_base.to_std().map_or(POLL, |base| base.min(POLL));
        loop {
            if let Err(e) = self.send_due().await {
                tracing::error!(error = %e, "mail worker cannot read the queue");
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Sends every email that is due; returns how many were sent.
    pub async fn send_due(&self) -> Result<usize, MailError> {
        let mut sent = 0;
        loop {
            let batch = self.db.write_async(|conn| queue::claim_due(conn, LEASE, BATCH)).await?;
            let full = batch.len() as i64 == BATCH;
            let mut delivered = Vec::new();
            let mut result = Ok(());
            for email in batch {
                match self.deliver(email, &mut delivered).await {
                    Ok(true) => sent += 1,
                    Ok(false) => {}
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            // What was sent leaves the queue in one write for the batch, not one per email.
            if !delivered.is_empty() {
                self.db.write_async(move |conn| queue::delete_many(conn, &delivered)).await?;
            }
            result?;
            if !full {
                return Ok(sent);
            }
        }
    }

    /// Sends one email; the ids of those sent are pushed to `delivered`, for the caller to
    /// remove from the queue.
    async fn deliver(&self, email: Queued, delivered: &mut Vec<signons_store::Id>) -> Result<bool, MailError> {
        let result = self.transport.send(&email.recipient, &email.subject, &email.text_body, &email.html_body).await;
        let id = email.id.clone();
        match result {
            Ok(()) => {
                if let Some(prefix) = &self.log_links_with_prefix {
                    for link in email.text_body.split_whitespace().filter(|w| w.starts_with(prefix.as_str())) {
                        tracing::info!(email_id = %id, link, "email written to the outbox");
                    }
                }
                tracing::debug!(email_id = %id, "email sent");
                delivered.push(id);
                Ok(true)
            }
            Err(SendError::Permanent(reason)) => {
                tracing::error!(email_id = %id, %reason, "email dropped: it can never be delivered");
                self.db.write_async(move |conn| queue::delete(conn, &id)).await?;
                Ok(false)
            }
            Err(SendError::Transient(reason)) => {
                let attempts = email.attempts + 1;
                let now = signons_store::now();
                if now - email.created_at > self.give_up_after {
                    tracing::error!(email_id = %id, attempts, %reason, "email given up after retrying");
                    self.db.write_async(move |conn| queue::delete(conn, &id)).await?;
                    return Ok(false);
                }
                let delay = (self.retry_base * 2i32.pow(attempts.clamp(1, 16) as u32 - 1)).min(TimeDelta::hours(1));
                tracing::warn!(email_id = %id, attempts, %reason, retry_in_s = delay.num_seconds(), "email send failed, will retry");
                self.db.write_async(move |conn| queue::reschedule(conn, &id, attempts, now + delay, &reason)).await?;
                Ok(false)
            }
        }
    }
}
