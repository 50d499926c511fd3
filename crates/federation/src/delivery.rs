//! Durable delivery: every outgoing activity is a job of the shared queue (queue
//! `delivery`) per inbox, written in the same transaction as the change it reports, and
//! partitioned by remote instance, so that each instance gets its activities in order
//! while several instances are served in parallel. Failures back off exponentially (capped
//! at a day) for `give_up_after` (at least three days); then the job is dead, for an admin
//! to see and retry. Claims, leases and retries are `signons_store::runner`'s.

use crate::actors::LocalActor;
use crate::metrics::FederationMetrics;
use crate::outgoing::OutgoingActivity;
use crate::urls::host_of;
use crate::{policy, FederationContext, FederationError};
use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signons_store::jobs::{self, Job, Queue};
use signons_store::runner::{Handler, Outcome, Runner, RunnerConfig, Waker};
use signons_store::DbConnection;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use url::Url;

/// The longest wait between two attempts.
pub const MAX_BACKOFF: TimeDelta = TimeDelta::days(1);
const POLL: Duration = Duration::from_secs(5);
/// How long a sending actor (its key) is kept in memory between deliveries.
const ACTOR_CACHE: Duration = Duration::from_secs(60);

/// What a delivery job holds: one activity for one inbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub activity_id: String,
    pub actor: String,
    pub inbox: String,
    /// The activity's JSON, sent as it was written.
    pub body: String,
}

/// A delivery job whose activity is made when it runs: the next `Sign` of a petition of
/// another instance, with the signatures confirmed here since the last one (see `sent`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignaturesJob {
    /// The petition's id.
    pub signatures_for: String,
}

/// What the delivery queue holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Payload {
    Activity(DeliveryJob),
    Signatures(SignaturesJob),
}

/// Queues `job` for the petition's `inbox`, to run after `delay`, in the caller's
/// transaction (policy as for `enqueue`: a blocked instance gets nothing).
pub fn enqueue_signatures(
    conn: &mut DbConnection,
    inbox: &Url,
    job: &SignaturesJob,
    delay: TimeDelta,
) -> Result<(), FederationError> {
    let Some(host) = host_of(inbox) else { return Err(FederationError::Invalid("an inbox without host".into())) };
    if policy::Policy::load(conn)?.allows(&host) {
        jobs::enqueue_after(conn, Queue::Delivery, Some(&host), job, delay)?;
    }
    Ok(())
}

/// Queues `activity` for each inbox, in the caller's transaction, under its id and its
/// actor (whose key signs it). Inboxes of domains the policy refuses are skipped. Returns
/// how many deliveries were queued.
pub fn enqueue(
    conn: &mut DbConnection,
    activity: &impl OutgoingActivity,
    inboxes: &[Url],
) -> Result<usize, FederationError> {
    let (id, actor) = (activity.id().as_str(), activity.actor().as_str());
    let body = serde_json::to_string(activity)?;
    let policy = policy::Policy::load(conn)?;
    let mut seen = HashSet::new();
    let mut queued = 0;
    for inbox in inboxes {
        // Servers are named by domain; an IP address (which the library cannot deliver to)
        // names none.
        let (Some(host), Some(_)) = (host_of(inbox), inbox.domain()) else { continue };
        if !seen.insert(inbox.as_str()) || !policy.allows(&host) {
            continue;
        }
        let job = DeliveryJob {
            activity_id: id.to_owned(),
            actor: actor.to_owned(),
            inbox: inbox.to_string(),
            body: body.clone(),
        };
        jobs::enqueue(conn, Queue::Delivery, Some(&host), &job)?;
        queued += 1;
    }
    Ok(queued)
}

/// Deliveries queued or under way.
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, FederationError> {
    Ok(jobs::counts(conn, Queue::Delivery)?.pending())
}

/// The wait before attempt `attempts + 1`: `base`, doubled each time, at most a day.
pub fn backoff(base: TimeDelta, attempts: i32) -> TimeDelta {
    jobs::backoff(base, MAX_BACKOFF, attempts + 1)
}

/// Deliveries a binary of the previous release queued in `ap_deliveries` (during a
/// rolling upgrade) move to the job queue, 500 per call (run at start until none is
/// left). Goes with that table, in the migration that drops it.
fn adopt_legacy(conn: &mut DbConnection) -> Result<usize, FederationError> {
    use diesel::prelude::*;
    use signons_store::schema::ap_deliveries as d;
    let rows: Vec<(signons_store::Id, String, String, String, String, String)> = d::table
        .order(d::id.asc())
        .select((d::id, d::activity_id, d::actor_url, d::inbox, d::host, d::body))
        .limit(500)
        .load(conn)?;
    for (id, activity_id, actor, inbox, host, body) in &rows {
        let job = DeliveryJob {
            activity_id: activity_id.clone(),
            actor: actor.clone(),
            inbox: inbox.clone(),
            body: body.clone(),
        };
        jobs::enqueue(conn, Queue::Delivery, Some(host), &job)?;
        diesel::delete(d::table.filter(d::id.eq(id))).execute(conn)?;
    }
    Ok(rows.len())
}

/// A stored activity, sent as it was written.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
struct StoredActivity {
    body: Value,
    #[serde(skip)]
    id: Url,
    #[serde(skip)]
    actor: Url,
}

#[async_trait::async_trait]
impl Activity for StoredActivity {
    type DataType = crate::FederationData;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _: &FederationContext) -> Result<(), FederationError> {
        Err(FederationError::Invalid("stored activities are only sent".into()))
    }

    async fn receive(self, _: &FederationContext) -> Result<(), FederationError> {
        Err(FederationError::Invalid("stored activities are only sent".into()))
    }
}

pub struct DeliveryWorker {
    pub config: crate::context::Config,
    /// The first retry waits this long; each next one twice as long, up to `max_backoff`.
    pub retry_base: TimeDelta,
    /// The longest wait between two attempts (a day, `MAX_BACKOFF`, unless configured).
    pub max_backoff: TimeDelta,
    /// How long a delivery is retried before it is given up (at least three days).
    pub give_up_after: TimeDelta,
    /// Instances delivered to at once (each one's deliveries stay in order).
    pub concurrency: usize,
    /// How long a claimed delivery stays with this process without a renewal.
    pub lease: Duration,
    pub shutdown: CancellationToken,
}

impl DeliveryWorker {
    /// Runs until `shutdown`.
    pub async fn run(self) {
        let data = self.config.to_request_data();
        match signons_store::runner::repeat_until_done(&data.db, adopt_legacy).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "deliveries of the previous release moved to the job queue"),
            Err(e) => tracing::error!(error = %e, "cannot move the previous release's deliveries"),
        }
        let config = RunnerConfig {
            queue: Queue::Delivery,
            concurrency: self.concurrency.max(1),
            partitioned: true,
            lease: self.lease,
            poll: self.retry_base.to_std().map_or(POLL, |base| base.min(POLL)),
            retry_base: self.retry_base,
            max_backoff: self.max_backoff,
            give_up_after: self.give_up_after,
        };
        let waker = Waker::from_notify(data.wake.clone());
        let handler = Deliver {
            config: self.config,
            actors: Mutex::default(),
            refused: Mutex::default(),
            reached: Mutex::default(),
        };
        Runner::new(data.db.clone(), handler, config, waker, self.shutdown).run().await;
    }
}

/// What one delivery job does, the sending actors met lately (most deliveries come from a
/// few actors, and each needs its key), and the jobs whose inbox refused them (the runner
/// only knows `Dropped`; `recorded` counts these as refused).
struct Deliver {
    config: crate::context::Config,
    actors: Mutex<HashMap<String, (Instant, Option<LocalActor>)>>,
    refused: Mutex<HashMap<String, u16>>,
    /// Instances this process reached since their last failure: their next successes
    /// need no write (see `health`).
    reached: Mutex<HashSet<String>>,
}

/// The most of a refusal's body that is kept for the log.
const REFUSAL_BODY_MAX: usize = 2_000;

/// A 4xx answer to a delivery: the server will never take it, so it is not retried. 408
/// and 429 say "later", and are retried like a 5xx.
fn is_refusal(status: reqwest::StatusCode) -> bool {
    status.is_client_error()
        && status != reqwest::StatusCode::REQUEST_TIMEOUT
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
}

tokio::task_local! {
    /// Where the HTTP client's middleware leaves the refusal of the delivery under way in
    /// this task (the library takes a 4xx for a success and drops its answer).
    static REFUSAL: Arc<Mutex<Option<(u16, String)>>>;
}

/// The HTTP client's middleware that notes a refusal (status and the start of its body)
/// for the delivery under way; other requests (fetches) pass through untouched.
pub(crate) struct RefusalRecorder;

#[async_trait::async_trait]
impl reqwest_middleware::Middleware for RefusalRecorder {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: reqwest_middleware::Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let response = next.run(req, extensions).await?;
        let status = response.status();
        let Ok(slot) = REFUSAL.try_with(Arc::clone) else { return Ok(response) };
        if !is_refusal(status) {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        let text: String = String::from_utf8_lossy(&body).chars().take(REFUSAL_BODY_MAX).collect();
        if let Ok(mut slot) = slot.lock() {
            *slot = Some((status.as_u16(), format!("{status}: {text}")));
        }
        // The library reads the answer too: it gets the same status and body.
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        Ok(reqwest::Response::from(rebuilt))
    }
}

impl Handler for Deliver {
    async fn run(&self, job: Job) -> Outcome {
        let data = self.config.to_request_data();
        match job.payload() {
            Ok(Payload::Activity(delivery)) => self.deliver(&data, &job, &delivery).await,
            Ok(Payload::Signatures(signatures)) => self.deliver_signatures(&data, &job, &signatures).await,
            Err(e) => Outcome::Fail(format!("unreadable delivery job: {e}")),
        }
    }

    fn recorded(&self, job: &Job, outcome: &Outcome, buried: bool) {
        let data = self.config.to_request_data();
        let metrics = &data.metrics;
        let host = job.partition_key.as_deref().unwrap_or_default();
        // Whether the instance answered: a 4xx is an answer, a policy's drop is none.
        let answered = match outcome {
            Outcome::Done => {
                FederationMetrics::add(&metrics.deliveries_sent);
                Some(true)
            }
            Outcome::Dropped(reason)
                if self.refused.lock().is_ok_and(|mut refused| refused.remove(job.id.as_str()).is_some()) =>
            {
                FederationMetrics::add(&metrics.deliveries_refused);
                tracing::warn!(host, inbox_answer = %reason, "delivery refused: not retried");
                Some(true)
            }
            Outcome::Dropped(reason) => {
                FederationMetrics::add(&metrics.deliveries_dropped);
                tracing::info!(host, %reason, "delivery dropped");
                None
            }
            Outcome::Fail(error) | Outcome::Retry(error) if buried => {
                FederationMetrics::add(&metrics.deliveries_given_up);
                tracing::warn!(host, %error, attempts = job.attempts, "delivery given up: kept as a dead job");
                Some(false)
            }
            Outcome::Fail(error) | Outcome::Retry(error) => {
                FederationMetrics::add(&metrics.delivery_failures);
                tracing::info!(host, %error, attempts = job.attempts, "delivery failed, will retry");
                Some(false)
            }
        };
        if let (Some(answered), false) = (answered, host.is_empty()) {
            self.note_health(host, answered);
        }
    }
}

impl Deliver {
    /// Notes in `health` whether `host` answered; a success after a success writes nothing.
    fn note_health(&self, host: &str, answered: bool) {
        let Ok(mut reached) = self.reached.lock() else { return };
        // Every failure is noted (its time); only the first success after one is.
        let changed = if answered {
            reached.insert(host.to_owned())
        } else {
            reached.remove(host);
            true
        };
        drop(reached);
        if !changed {
            return;
        }
        let (db, host) = (self.config.db.clone(), host.to_owned());
        // Not a job: a note lost (a stop, a database fault) is made again at the host's
        // next delivery, and the purge waits weeks.
        tokio::spawn(async move {
            let written = db
                .write_async(move |conn| {
                    if answered {
                        crate::health::reached(conn, &host)
                    } else {
                        crate::health::failed(conn, &host)
                    }
                })
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, "cannot note whether an instance is reachable");
            }
        });
    }

    /// Sends one activity; a refusal (4xx) is noted for `recorded`, with its status.
    async fn deliver(&self, data: &Data<crate::FederationData>, job: &Job, delivery: &DeliveryJob) -> Outcome {
        let refusal = Arc::new(Mutex::new(None));
        let sent = REFUSAL.scope(refusal.clone(), self.send(data, delivery)).await;
        if let Some((status, answer)) = refusal.lock().ok().and_then(|mut r| r.take()) {
            if let Ok(mut refused) = self.refused.lock() {
                refused.insert(job.id.as_str().to_owned(), status);
            }
            return Outcome::Dropped(format!("refused by the inbox: {answer}"));
        }
        match sent {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    /// Makes and sends the next `Sign` of a petition (see `sent`), then records it.
    async fn deliver_signatures(
        &self,
        data: &Data<crate::FederationData>,
        job: &Job,
        signatures: &SignaturesJob,
    ) -> Outcome {
        let (urls, petition) = (data.urls.clone(), signatures.signatures_for.clone());
        let batch = match data.db.read_async(move |conn| crate::sent::next_batch(conn, &urls, &petition)).await {
            Ok(Some(batch)) => batch,
            Ok(None) => return Outcome::Dropped("no signature waits for this petition".into()),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let proven = match self.sign(data, &batch).await {
            Ok(proven) => proven,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let delivery = DeliveryJob {
            activity_id: proven.id.to_string(),
            actor: proven.actor.to_string(),
            inbox: batch.inbox.to_string(),
            body: proven.body.to_string(),
        };
        let outcome = self.deliver(data, job, &delivery).await;
        let refused = self.refused.lock().ok().and_then(|r| r.get(job.id.as_str()).copied());
        let reason = match (&outcome, refused) {
            (Outcome::Done, _) => None,
            // The petition is gone there.
            (Outcome::Dropped(_), Some(404 | 410)) => Some(crate::sign::RejectReason::PetitionClosed),
            (Outcome::Dropped(_), Some(_)) => Some(crate::sign::RejectReason::InstanceRefused),
            _ => return outcome,
        };
        let fed = (**data).clone();
        let recorded = data.db.write_async(move |conn| crate::sent::delivered(conn, &fed, &batch, reason)).await;
        match recorded {
            Ok(next) => {
                data.signing.queue.wake();
                if next {
                    crate::sent::after_commit(data);
                }
                outcome
            }
            // Sent, not recorded: sent again later, and counted once there (same ids).
            Err(e) => Outcome::Retry(format!("signatures sent, but not recorded: {e}")),
        }
    }

    async fn sign(
        &self,
        data: &Data<crate::FederationData>,
        batch: &crate::sent::Batch,
    ) -> Result<crate::sign::Proven, FederationError> {
        let actor = data.urls.actor(&crate::LocalRef::Instance);
        let key = crate::keys::assertion_key(&data.db, &actor).await?;
        crate::sign::proven_sign(&data.urls, &key, &batch.petition, batch.attestations.clone())
    }

    async fn send(&self, data: &Data<crate::FederationData>, row: &DeliveryJob) -> Result<Outcome, FederationError> {
        let inbox = Url::parse(&row.inbox)?;
        if !policy::allows_url(&data.db, &inbox).await? {
            return Ok(Outcome::Dropped("the instance is blocked".into()));
        }
        let body: Value = serde_json::from_str(&row.body)?;
        let id = Url::parse(&row.activity_id)?;
        let actor_url = Url::parse(&row.actor)?;
        let Some(actor) = self.actor(data, &actor_url).await? else {
            // The actor is gone: a signature with its key could not be checked any more.
            return Ok(Outcome::Dropped("the sending actor is gone".into()));
        };
        let activity = StoredActivity { body, id, actor: actor_url };
        let tasks = SendActivityTask::prepare(&activity, &actor, vec![inbox], data).await?;
        for task in tasks {
            task.sign_and_send(data).await?;
        }
        Ok(Outcome::Done)
    }

    async fn actor(
        &self,
        data: &Data<crate::FederationData>,
        url: &Url,
    ) -> Result<Option<LocalActor>, FederationError> {
        let cached = self.actors.lock().ok().and_then(|cache| {
            cache.get(url.as_str()).filter(|(at, _)| at.elapsed() < ACTOR_CACHE).map(|(_, actor)| actor.clone())
        });
        if let Some(actor) = cached {
            return Ok(actor);
        }
        let reference = data.urls.parse_local(url).ok_or(FederationError::NotFound)?;
        let actor = LocalActor::load(data, &reference).await?;
        if let Ok(mut cache) = self.actors.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < ACTOR_CACHE);
            cache.insert(url.to_string(), (Instant::now(), actor.clone()));
        }
        Ok(actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_client_errors_are_refusals() {
        use reqwest::StatusCode;
        for refused in [400, 401, 403, 404, 410, 422] {
            assert!(is_refusal(StatusCode::from_u16(refused).unwrap()), "{refused}");
        }
        // Later may work: retried.
        for retried in [200, 202, 408, 429, 500, 502, 503] {
            assert!(!is_refusal(StatusCode::from_u16(retried).unwrap()), "{retried}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_a_day() {
        let base = TimeDelta::minutes(1);
        assert_eq!(backoff(base, 0), TimeDelta::minutes(1));
        assert_eq!(backoff(base, 3), TimeDelta::minutes(8));
        assert_eq!(backoff(base, 11), MAX_BACKOFF);
        assert_eq!(backoff(base, 1000), MAX_BACKOFF);
        // Retried for three days at least: the attempts fit with room to spare.
        let mut waited = TimeDelta::zero();
        let mut attempts = 0;
        while waited < TimeDelta::days(3) {
            waited += backoff(base, attempts);
            attempts += 1;
        }
        assert!(attempts < 20, "{attempts}");
    }
}
