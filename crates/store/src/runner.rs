//! The loop that works a queue of [`crate::jobs`]: it claims jobs, runs several at once
//! through a [`Handler`], renews the leases of the jobs it holds while they run, and
//! records each outcome. One runner serves one queue; email and federation delivery each
//! have one, and several processes may run the same queue on one PostgreSQL database.

use crate::jobs::{self, Job, Queue};
use crate::{Database, StoreError};
use chrono::TimeDelta;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// What became of one run of a job.
#[derive(Debug)]
pub enum Outcome {
    /// Done: the job leaves the queue.
    Done,
    /// Nothing to do any more (the instance was blocked since): it leaves the queue too.
    Dropped(String),
    /// Failed, may work later: tried again after the backoff, until the give-up delay.
    Retry(String),
    /// Can never work: kept as dead for an admin.
    Fail(String),
}

/// The work behind one queue.
pub trait Handler: Send + Sync + 'static {
    fn run(&self, job: Job) -> impl Future<Output = Outcome> + Send;

    /// Told of every outcome once it is stored (for metrics and logs).
    fn recorded(&self, _job: &Job, _outcome: &Outcome, _buried: bool) {}
}

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub queue: Queue,
    /// Jobs in flight at once (for a partitioned queue: partitions drained at once).
    pub concurrency: usize,
    /// Jobs of one partition run one at a time, in order; a failure stops the partition
    /// until its retry.
    pub partitioned: bool,
    /// How long a claim holds before it must be renewed; renewed every third of it.
    pub lease: Duration,
    /// The longest wait between two looks at the queue when nobody wakes the runner.
    pub poll: Duration,
    /// The first retry waits this long, each next one twice as long, at most `max_backoff`.
    pub retry_base: TimeDelta,
    pub max_backoff: TimeDelta,
    /// A job still failing this long after it was queued (or revived) is dead.
    pub give_up_after: TimeDelta,
}

/// Wakes a runner when a job was queued (call after the commit), instead of waiting for
/// its next poll.
#[derive(Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn new() -> Self {
        Self::default()
    }

    /// A waker over an existing notifier (one the caller already hands around).
    pub fn from_notify(notify: Arc<Notify>) -> Self {
        Waker(notify)
    }

    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Runs `step` in write transactions, one after the other, until one does nothing; returns
/// how much they did in all. For work done in bounded chunks (moving rows a previous
/// release left), so that no transaction grows without bound.
pub async fn repeat_until_done<E>(
    db: &Database,
    step: fn(&mut crate::DbConnection) -> Result<usize, E>,
) -> Result<usize, E>
where
    E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
{
    let mut total = 0;
    loop {
        match db.write_async(step).await? {
            0 => return Ok(total),
            n => total += n,
        }
    }
}

pub struct Runner<H> {
    db: Database,
    /// Where finished jobs wait to leave the queue together (see `record_done`).
    done: mpsc::Sender<Finished>,
    handler: Arc<H>,
    config: RunnerConfig,
    waker: Waker,
    shutdown: CancellationToken,
    /// Names this runner in the leases it holds: unique per process and runner.
    worker: String,
}

impl<H: Handler> Runner<H> {
    pub fn new(db: Database, handler: H, config: RunnerConfig, waker: Waker, shutdown: CancellationToken) -> Self {
        let worker = format!("{}-{}", config.queue, uuid::Uuid::new_v4().simple());
        let (done, finished) = mpsc::channel(DONE_BATCH * 4);
        tokio::spawn(record_done(db.clone(), finished));
        Runner { db, done, handler: Arc::new(handler), config, waker, shutdown, worker }
    }

    /// This runner's name in `jobs.locked_by`.
    pub fn worker_name(&self) -> &str {
        &self.worker
    }

    /// Runs until `shutdown`. Jobs in flight then are left to their lease: another runner
    /// takes them up once it lapses.
    pub async fn run(self) {
        let this = Arc::new(self);
        let renewer = tokio::spawn(this.clone().renew_leases());
        let slots = Arc::new(Semaphore::new(this.config.concurrency.max(1)));
        let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
        loop {
            let looked = if this.config.partitioned {
                this.start_partitions(&slots, &busy).await
            } else {
                this.start_jobs(&slots).await
            };
            if let Err(e) = looked {
                tracing::error!(queue = %this.config.queue, error = %e, "cannot read the job queue");
            }
            tokio::select! {
                _ = this.shutdown.cancelled() => break,
                _ = this.waker.0.notified() => {}
                _ = tokio::time::sleep(this.config.poll) => {}
            }
        }
        renewer.abort();
    }

    /// Claims as many jobs as there are free slots and starts them. Returns once the queue
    /// has nothing more that is due, or every slot is busy.
    async fn start_jobs(self: &Arc<Self>, slots: &Arc<Semaphore>) -> Result<(), StoreError> {
        loop {
            let free = slots.available_permits();
            if free == 0 {
                // Look again as soon as a job ends.
                let permit = tokio::select! {
                    p = slots.clone().acquire_owned() => p,
                    _ = self.shutdown.cancelled() => return Ok(()),
                };
                drop(permit);
                // Then give a few more a moment to end: each claim is a transaction and a
                // commit of its own, and a busy queue claimed one job per job that ended
                // (under a backlog, the claims cost the database more than the work).
                let gather = u32::try_from(self.config.concurrency / 4).unwrap_or(1).max(1);
                if let Ok(Ok(permits)) = tokio::time::timeout(CLAIM_GATHER, slots.acquire_many(gather)).await {
                    drop(permits);
                }
                continue;
            }
            let (queue, worker, lease) = (self.config.queue, self.worker.clone(), self.lease());
            let claimed =
                self.db.write_async(move |conn| jobs::claim(conn, queue, &worker, lease, free as i64)).await?;
            let full = claimed.len() == free;
            for job in claimed {
                let Ok(permit) = slots.clone().acquire_owned().await else { return Ok(()) };
                let this = self.clone();
                tokio::spawn(async move {
                    this.run_one(job).await;
                    drop(permit);
                });
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Starts a drain for each partition with due work that nobody here is draining yet.
    async fn start_partitions(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        busy: &Arc<Mutex<HashSet<String>>>,
    ) -> Result<(), StoreError> {
        let queue = self.config.queue;
        let limit = (self.config.concurrency * 4).max(16) as i64;
        let due = self.db.read_async(move |conn| jobs::due_partitions(conn, queue, limit)).await?;
        for partition in due {
            let fresh = busy.lock().map(|mut b| b.insert(partition.clone())).unwrap_or(false);
            if !fresh {
                continue;
            }
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                if let Ok(mut b) = busy.lock() {
                    b.remove(&partition);
                }
                break; // every slot is busy: the next look starts the rest
            };
            let (this, busy) = (self.clone(), busy.clone());
            tokio::spawn(async move {
                this.drain(&partition).await;
                if let Ok(mut b) = busy.lock() {
                    b.remove(&partition);
                }
                drop(permit);
                // Other partitions may have waited for this slot.
                this.waker.wake();
            });
        }
        Ok(())
    }

    /// Runs one partition's jobs in order until it is empty, not yet due, or a job failed.
    async fn drain(&self, partition: &str) {
        while !self.shutdown.is_cancelled() {
            let (queue, worker, lease, key) =
                (self.config.queue, self.worker.clone(), self.lease(), partition.to_owned());
            let claimed =
                self.db.write_async(move |conn| jobs::claim_in_partition(conn, queue, &key, &worker, lease)).await;
            match claimed {
                Ok(Some(job)) => {
                    if !self.run_one(job).await {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::error!(queue = %self.config.queue, error = %e, "cannot claim a job");
                    return;
                }
            }
        }
    }

    /// Runs a job and stores its outcome; `false` if it waits for a retry (then the rest of
    /// its partition waits too).
    async fn run_one(&self, job: Job) -> bool {
        let outcome = self.handler.run(job.clone()).await;
        let (id, worker) = (job.id.clone(), self.worker.clone());
        let gave_up = crate::now() - job.retried_since() >= self.config.give_up_after;
        let succeeded = matches!(outcome, Outcome::Done | Outcome::Dropped(_));
        let buried = matches!(outcome, Outcome::Fail(_)) || (matches!(outcome, Outcome::Retry(_)) && gave_up);
        let next = crate::now() + jobs::backoff(self.config.retry_base, self.config.max_backoff, job.attempts);
        // The work is done (an email accepted by the relay, an activity by its inbox):
        // while the database does not answer, keep trying to record it, rather than let
        // the lease lapse and the job run twice. The renewer keeps the lease meanwhile,
        // once the database is back.
        let mut wait = RECORD_RETRY_FIRST;
        loop {
            let (id, worker) = (id.clone(), worker.clone());
            let result = match &outcome {
                Outcome::Done | Outcome::Dropped(_) => self.complete(id).await,
                Outcome::Fail(error) | Outcome::Retry(error) if buried => {
                    let error = error.clone();
                    self.db.write_async(move |conn| jobs::bury(conn, &id, &worker, &error)).await
                }
                Outcome::Retry(error) | Outcome::Fail(error) => {
                    let error = error.clone();
                    self.db.write_async(move |conn| jobs::retry_later(conn, &id, &worker, next, &error)).await
                }
            };
            match result {
                Ok(()) => {
                    self.handler.recorded(&job, &outcome, buried);
                    break;
                }
                Err(e) => {
                    tracing::error!(queue = %self.config.queue, job_id = %job.id, error = %e, "cannot record a job's outcome");
                    // Stopping: the lease lapses and the job runs again elsewhere, at least
                    // once, never lost. Otherwise try again, whatever the error: the renewer
                    // keeps the lease of every job this runner holds, so a job left
                    // unrecorded would stay claimed until the process stops.
                    if self.shutdown.is_cancelled() {
                        break;
                    }
                    tokio::select! {
                        _ = self.shutdown.cancelled() => break,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(RECORD_RETRY_MAX);
                }
            }
        }
        succeeded || buried
    }

    /// Removes a finished job from the queue, with the others that finished meanwhile.
    async fn complete(&self, id: crate::Id) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.done.send(Finished { id, reply }).await.map_err(|_| StoreError::Cancelled)?;
        answer.await.map_err(|_| StoreError::Cancelled)?
    }

    fn lease(&self) -> TimeDelta {
        TimeDelta::from_std(self.config.lease).unwrap_or(TimeDelta::seconds(30))
    }

    /// Every third of the lease, extends the lease of every job this runner holds, in one
    /// statement. A runner that cannot renew (its process killed, its database gone) lets
    /// its leases lapse, and the jobs are taken up elsewhere.
    async fn renew_leases(self: Arc<Self>) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            let (worker, lease) = (self.worker.clone(), self.lease());
            if let Err(e) = self.db.write_async(move |conn| jobs::renew(conn, &worker, lease)).await {
                tracing::warn!(queue = %self.config.queue, error = %e, "cannot renew job leases");
            }
        }
    }
}

/// How long a runner whose every slot is busy waits, once one frees, for a quarter of them
/// to free before it claims again.
const CLAIM_GATHER: Duration = Duration::from_millis(5);
/// The first and the longest wait between two attempts to record a job's outcome while the
/// database does not answer.
const RECORD_RETRY_FIRST: Duration = Duration::from_millis(100);
const RECORD_RETRY_MAX: Duration = Duration::from_secs(2);
/// The most finished jobs deleted in one statement.
const DONE_BATCH: usize = 500;

/// A finished job waiting to leave the queue, and who waits for that.
struct Finished {
    id: crate::Id,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

/// Deletes finished jobs: every one that finished while the last delete ran goes in the
/// next, one statement and one commit for all of them (one per job was two round trips
/// and a commit per email). Each job's runner is answered after the commit, as before.
async fn record_done(db: Database, mut finished: mpsc::Receiver<Finished>) {
    while let Some(first) = finished.recv().await {
        let mut batch = vec![first];
        while batch.len() < DONE_BATCH {
            match finished.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let ids: Vec<crate::Id> = batch.iter().map(|f| f.id.clone()).collect();
        let result = db.write_async(move |conn| jobs::complete_many(conn, &ids)).await;
        for f in batch {
            // The runner may have stopped meanwhile; the delete stands.
            let _ = f.reply.send(result.as_ref().map(|_| ()).map_err(|e| {
                if e.is_unavailable() {
                    StoreError::Unavailable(crate::error::DatabaseUnavailable(e.to_string()))
                } else {
                    StoreError::BatchAborted(e.to_string())
                }
            }));
        }
    }
}
