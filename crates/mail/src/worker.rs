//! Sends queued email, several messages at once, retrying with backoff: an SMTP outage
//! delays mail and loses none. The claiming, leases and retries are the shared job
//! runner's (`signons_store::runner`); this is only what one email job does: compose it
//! if it was queued as a reference (`compose`), then hand it to the transport.

use crate::compose::{Compose, Composed, FanOut};
use crate::queue::{self, EmailJob, Queued};
use crate::transport::SendError;
use crate::{MailError, MailQueue, Transport};
use chrono::TimeDelta;
use signons_store::jobs::{Job, Queue};
use signons_store::runner::{Handler, Outcome, Runner, RunnerConfig, Waker};
use signons_store::Database;
use std::sync::Arc;
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
    /// Builds the emails queued as references (the signature emails and their links).
    pub composer: Arc<dyn Compose>,
    /// With the outbox, links starting with this are logged, to click during development
    /// (see `dev_link_prefix`; an `https://` prefix is never logged).
    pub log_links_with_prefix: Option<String>,
}

/// Which links the worker logs: with the outbox on a development instance (an `http://`
/// public URL), the confirmation links, so that a developer can click them. Never on an
/// `https://` instance: a link in a log file is as good as the signer's consent.
pub fn dev_link_prefix(public_url: &str, outbox: bool) -> Option<String> {
    (outbox && is_plain_http(public_url)).then(|| format!("{}/s/", public_url.trim_end_matches('/')))
}

fn is_plain_http(url: &str) -> bool {
    url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
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
        let handler = SendEmail {
            db: self.db.clone(),
            transport: self.transport,
            composer: self.composer,
            waker: waker.clone(),
            // Whoever built the worker: links of an https instance stay out of the logs.
            log_links_with_prefix: self.log_links_with_prefix.filter(|p| is_plain_http(p)),
        };
        Runner::new(db, handler, config, waker, shutdown).run().await;
    }
}

struct SendEmail {
    db: Database,
    transport: Transport,
    composer: Arc<dyn Compose>,
    /// Wakes this very runner: a fan-out step's emails are due at once.
    waker: Waker,
    log_links_with_prefix: Option<String>,
}

impl SendEmail {
    /// Runs a fan-out job to its end, one write transaction per step. Each step records
    /// its progress with its batch, so a job taken up again after a crash goes on where
    /// the last committed step left it. The emails go out while the next steps run.
    async fn fan_out(&self, job: &Job, fan_out: serde_json::Value) -> Outcome {
        let mut queued = 0;
        loop {
            let (composer, fan_out) = (self.composer.clone(), fan_out.clone());
            match self.db.write_async(move |conn| composer.fan_out(conn, &fan_out)).await {
                Ok(step) => {
                    self.waker.wake();
                    match step {
                        FanOut::More(n) => queued += n,
                        FanOut::Done(n) => {
                            tracing::info!(job_id = %job.id, emails = queued + n, "fan-out done: emails queued");
                            return Outcome::Done;
                        }
                    }
                }
                Err(e @ (MailError::Store(_) | MailError::Later(_))) => return Outcome::Retry(e.to_string()),
                Err(e) => return Outcome::Fail(e.to_string()),
            }
        }
    }

    /// The email a job holds, or builds from its reference now.
    async fn email(&self, job: &Job) -> Result<EmailJob, Outcome> {
        let reference = match job.payload() {
            Ok(Queued::Rendered(email)) => return Ok(email),
            Ok(Queued::Reference { compose }) => compose,
            Ok(Queued::FanOut { .. }) => return Err(Outcome::Fail("a fan-out is not an email".into())),
            Err(e) => return Err(Outcome::Fail(format!("unreadable email job: {e}"))),
        };
        let composer = self.composer.clone();
        match self.db.read_async(move |conn| composer.compose(conn, &reference)).await {
            Ok(Composed::Email(email)) => Ok(EmailJob::from(&email)),
            Ok(Composed::Dropped(reason)) => Err(Outcome::Dropped(reason)),
            Err(e @ (MailError::Store(_) | MailError::Later(_))) => Err(Outcome::Retry(e.to_string())),
            Err(e) => Err(Outcome::Fail(e.to_string())),
        }
    }
}

impl Handler for SendEmail {
    async fn run(&self, job: Job) -> Outcome {
        if let Ok(Queued::FanOut { fan_out }) = job.payload() {
            return self.fan_out(&job, fan_out).await;
        }
        let email = match self.email(&job).await {
            Ok(email) => email,
            Err(outcome) => return outcome,
        };
        match self.transport.send(&job.id, &email).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A developer on http://localhost can click the links in the log; an https instance
    /// never writes a link to its logs, whatever its transport.
    #[test]
    fn links_are_logged_only_for_a_development_outbox() {
        assert_eq!(dev_link_prefix("http://127.0.0.1:8080", true).as_deref(), Some("http://127.0.0.1:8080/s/"));
        assert_eq!(dev_link_prefix("https://petitions.example.org", true), None);
        assert_eq!(dev_link_prefix("HTTPS://petitions.example.org", true), None);
        assert_eq!(dev_link_prefix("http://127.0.0.1:8080", false), None, "with SMTP, links go only to the signer");
        assert!(!is_plain_http("https://petitions.example.org/s/"));
    }
}
