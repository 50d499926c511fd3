//! Sends queued email, several messages at once, retrying with backoff: an SMTP outage
//! delays mail and loses none. The claiming, leases and retries are the shared job
//! runner's (`signons_store::runner`); this is only what one email job does.

use crate::queue::{self, EmailJob};
use crate::transport::SendError;
use crate::{MailQueue, Transport};
use chrono::TimeDelta;
use signons_store::jobs::{Job, Queue};
use signons_store::runner::{Handler, Outcome, Runner, RunnerConfig};
use signons_store::Database;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct MailWorker {
    pub db: Database,
    pub transport: Transport,
    pub queue: MailQueue,
    /// The first retry waits this long; each next one twice as long, up to an hour.
    pub retry_base: TimeDelta,
    /// How long an email is retried before it is given up (and kept as a dead job).
    pub give_up_after: TimeDelta,
    /// Emails sent at once (each over its own SMTP connection).
    pub concurrency: usize,
    /// How long a claimed email stays with this process without a renewal.
    pub lease: Duration,
    /// With the outbox, links starting with this are logged, to click during development.
    pub log_links_with_prefix: Option<String>,
}

const POLL: Duration = Duration::from_secs(5);

impl MailWorker {
    /// Runs until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        match signons_store::runner::repeat_until_done(&self.db, queue::adopt_legacy).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(emails = n, "emails of the previous release moved to the job queue"),
            Err(e) => tracing::error!(error = %e, "cannot move the previous release's emails"),
        }
        // Retries are due `retry_base` after a failure: look at least that often.
        let poll = self.retry_base.to_std().map_or(POLL, |base| base.min(POLL));
        let config = RunnerConfig {
            queue: Queue::Email,
            concurrency: self.concurrency.max(1),
            partitioned: false,
            lease: self.lease,
            poll,
            retry_base: self.retry_base,
            max_backoff: TimeDelta::hours(1),
            give_up_after: self.give_up_after,
        };
        let (db, waker) = (self.db.clone(), self.queue.waker());
        let handler = SendEmail { transport: self.transport, log_links_with_prefix: self.log_links_with_prefix };
        Runner::new(db, handler, config, waker, shutdown).run().await;
    }
}

struct SendEmail {
    transport: Transport,
    log_links_with_prefix: Option<String>,
}

impl Handler for SendEmail {
    async fn run(&self, job: Job) -> Outcome {
        let email: EmailJob = match job.payload() {
            Ok(email) => email,
            Err(e) => return Outcome::Fail(format!("unreadable email job: {e}")),
        };
        match self.transport.send(&job.id, &email.to, &email.subject, &email.text, &email.html).await {
            Ok(()) => {
                if let Some(prefix) = &self.log_links_with_prefix {
                    for link in email.text.split_whitespace().filter(|w| w.starts_with(prefix.as_str())) {
                        tracing::info!(email_id = %job.id, link, "email written to the outbox");
                    }
                }
                Outcome::Done
            }
            Err(SendError::Permanent(reason)) => Outcome::Fail(reason),
            Err(SendError::Transient(reason)) => Outcome::Retry(reason),
        }
    }

    fn recorded(&self, job: &Job, outcome: &Outcome, buried: bool) {
        match outcome {
            Outcome::Done => tracing::debug!(email_id = %job.id, "email sent"),
            Outcome::Dropped(reason) => tracing::info!(email_id = %job.id, %reason, "email dropped"),
            Outcome::Fail(reason) | Outcome::Retry(reason) if buried => {
                tracing::error!(email_id = %job.id, attempts = job.attempts, %reason, "email given up: kept as a dead job")
            }
            Outcome::Fail(reason) | Outcome::Retry(reason) => {
                tracing::warn!(email_id = %job.id, attempts = job.attempts, %reason, "email send failed, will retry")
            }
        }
    }
}
