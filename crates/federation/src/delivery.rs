//! Durable delivery: every outgoing activity is a row per inbox, written in the same
//! transaction as the change it reports, and sent by a worker per remote instance, in
//! order, with exponential backoff (capped at a day) for `give_up_after` (at least three
//! days). Rows survive restarts; on PostgreSQL, several processes share the queue through
//! `FOR UPDATE SKIP LOCKED` and a lease.

use crate::actors::LocalActor;
use crate::metrics::FederationMetrics;
use crate::outgoing::OutgoingActivity;
use crate::urls::host_of;
use crate::{policy, FederationContext, FederationError};
use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use signons_store::schema::ap_deliveries as d;
use signons_store::{DbConnection, Id};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The longest wait between two attempts.
pub const MAX_BACKOFF: TimeDelta = TimeDelta::days(1);
const LEASE: TimeDelta = TimeDelta::minutes(2);
const POLL: Duration = Duration::from_secs(5);

/// Queues `activity` for each inbox, in the caller's transaction, under its id and its
/// actor (whose key signs it). Inboxes of domains the policy refuses are skipped. Returns
/// how many rows were queued.
pub fn enqueue(
    conn: &mut DbConnection,
    activity: &impl OutgoingActivity,
    inboxes: &[Url],
) -> Result<usize, FederationError> {
    let (id, actor) = (activity.id().as_str(), activity.actor().as_str());
    let body = serde_json::to_string(activity)?;
    let now = signons_store::now();
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
        diesel::insert_into(d::table)
            .values((
                d::id.eq(Id::new()),
                d::activity_id.eq(id),
                d::actor_url.eq(actor),
                d::inbox.eq(inbox.as_str()),
                d::host.eq(&host),
                d::body.eq(&body),
                d::created_at.eq(now),
                d::attempts.eq(0),
                d::next_attempt_at.eq(now),
            ))
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}

pub fn pending_count(conn: &mut DbConnection) -> Result<i64, FederationError> {
    Ok(d::table.count().get_result(conn)?)
}

/// The wait before attempt `attempts + 1`: `base`, doubled each time, at most a day.
pub fn backoff(base: TimeDelta, attempts: i32) -> TimeDelta {
    let factor = 1i64 << attempts.clamp(0, 20);
    base.checked_mul(factor as i32).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF)
}

#[derive(Debug, Queryable)]
struct Claimed {
    id: Id,
    activity_id: String,
    actor_url: String,
    inbox: String,
    body: String,
    created_at: NaiveDateTime,
    attempts: i32,
}

/// Takes the oldest row for `host` if it is due and nobody holds it: deliveries to one
/// instance keep their order (a `Follow` before its `Undo`).
fn claim_next(conn: &mut DbConnection, host: &str) -> Result<Option<Claimed>, FederationError> {
    let now = signons_store::now();
    let oldest = d::table
        .filter(d::host.eq(host))
        .order(d::id.asc())
        .select((
            d::id,
            d::activity_id,
            d::actor_url,
            d::inbox,
            d::body,
            d::created_at,
            d::attempts,
            d::next_attempt_at,
            d::locked_until,
        ))
        .limit(1);
    type Row = (Id, String, String, String, String, NaiveDateTime, i32, NaiveDateTime, Option<NaiveDateTime>);
    let row: Option<Row> = match conn {
        DbConnection::Pg(c) => oldest.for_update().skip_locked().first(c).optional()?,
        DbConnection::Sqlite(c) => oldest.first(c).optional()?,
    };
    let Some((id, activity_id, actor_url, inbox, body, created_at, attempts, next_attempt_at, locked_until)) = row
    else {
        return Ok(None);
    };
    if next_attempt_at > now || locked_until.is_some_and(|l| l > now) {
        return Ok(None);
    }
    diesel::update(d::table.filter(d::id.eq(&id))).set(d::locked_until.eq(Some(now + LEASE))).execute(conn)?;
    Ok(Some(Claimed { id, activity_id, actor_url, inbox, body, created_at, attempts }))
}

/// Hosts with a delivery due now.
fn due_hosts(conn: &mut DbConnection) -> Result<Vec<String>, FederationError> {
    let now = signons_store::now();
    Ok(d::table.filter(d::next_attempt_at.le(now)).select(d::host).distinct().load(conn)?)
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
    /// The first retry waits this long; each next one twice as long, up to a day.
    pub retry_base: TimeDelta,
    /// How long a delivery is retried before it is given up (at least three days).
    pub give_up_after: TimeDelta,
    pub shutdown: CancellationToken,
}

impl DeliveryWorker {
    /// Runs until `shutdown`: starts one task per instance with deliveries due.
    pub async fn run(self) {
        let this = Arc::new(self);
        let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
        let wake = this.config.to_request_data().wake.clone();
        let poll = this.retry_base.to_std().map_or(POLL, |base| base.min(POLL));
        loop {
            let data = this.config.to_request_data();
            match data.db.read_async(due_hosts).await {
                Ok(hosts) => {
                    for host in hosts {
                        let fresh = busy.lock().map(|mut b| b.insert(host.clone())).unwrap_or(false);
                        if fresh {
                            let (this, busy) = (this.clone(), busy.clone());
                            tokio::spawn(async move {
                                this.drain(&host).await;
                                if let Ok(mut b) = busy.lock() {
                                    b.remove(&host);
                                }
                            });
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "delivery worker cannot read the queue"),
            }
            tokio::select! {
                _ = this.shutdown.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Sends what is due for one instance, oldest first; stops at the first failure (the
    /// instance is probably down: the rest waits for the retry).
    async fn drain(&self, host: &str) {
        // The senders met while draining: most rows for one instance come from a few actors.
        let mut actors: HashMap<String, Option<LocalActor>> = HashMap::new();
        loop {
            if self.shutdown.is_cancelled() {
                return;
            }
            let data = self.config.to_request_data();
            let owned = host.to_owned();
            let claimed = match data.db.write_async(move |conn| claim_next(conn, &owned)).await {
                Ok(Some(row)) => row,
                Ok(None) => return,
                Err(e) => {
                    tracing::error!(error = %e, host, "cannot claim a delivery");
                    return;
                }
            };
            let id = claimed.id.clone();
            let outcome = self.send(&data, &claimed, &mut actors).await;
            let now = signons_store::now();
            let metrics = &data.metrics;
            let result = match outcome {
                Ok(()) => {
                    FederationMetrics::add(&metrics.deliveries_sent);
                    data.db.write_async(move |conn| delete(conn, &id)).await
                }
                Err(e) if now - claimed.created_at >= self.give_up_after => {
                    FederationMetrics::add(&metrics.deliveries_given_up);
                    tracing::warn!(host, error = %e, attempts = claimed.attempts + 1, "delivery given up");
                    data.db.write_async(move |conn| delete(conn, &id)).await
                }
                Err(e) => {
                    FederationMetrics::add(&metrics.delivery_failures);
                    let attempts = claimed.attempts + 1;
                    let next = now + backoff(self.retry_base, claimed.attempts);
                    tracing::info!(host, error = %e, attempts, "delivery failed, will retry");
                    let error = e.to_string();
                    let _ = data.db.write_async(move |conn| reschedule(conn, &id, attempts, next, &error)).await;
                    return;
                }
            };
            if let Err(e) = result {
                tracing::error!(error = %e, host, "cannot update the delivery queue");
                return;
            }
        }
    }

    async fn send(
        &self,
        data: &Data<crate::FederationData>,
        row: &Claimed,
        actors: &mut HashMap<String, Option<LocalActor>>,
    ) -> Result<(), FederationError> {
        let inbox = Url::parse(&row.inbox)?;
        if !policy::allows_url(&data.db, &inbox).await? {
            return Ok(()); // blocked since it was queued: dropped, not retried
        }
        let body: Value = serde_json::from_str(&row.body)?;
        let id = Url::parse(&row.activity_id)?;
        let actor_url = Url::parse(&row.actor_url)?;
        if !actors.contains_key(&row.actor_url) {
            let reference = data.urls.parse_local(&actor_url).ok_or(FederationError::NotFound)?;
            actors.insert(row.actor_url.clone(), LocalActor::load(data, &reference).await?);
        }
        let Some(Some(actor)) = actors.get(&row.actor_url) else {
            // The actor is gone: a signature with its key could not be checked any more.
            return Ok(());
        };
        let activity = StoredActivity { body, id, actor: actor_url };
        let tasks = SendActivityTask::prepare(&activity, actor, vec![inbox], data).await?;
        for task in tasks {
            task.sign_and_send(data).await?;
        }
        Ok(())
    }
}

fn delete(conn: &mut DbConnection, id: &Id) -> Result<(), FederationError> {
    diesel::delete(d::table.filter(d::id.eq(id))).execute(conn)?;
    Ok(())
}

fn reschedule(
    conn: &mut DbConnection,
    id: &Id,
    attempts: i32,
    next: NaiveDateTime,
    error: &str,
) -> Result<(), FederationError> {
    let error: String = error.chars().take(500).collect();
    diesel::update(d::table.filter(d::id.eq(id)))
        .set((
            d::attempts.eq(attempts),
            d::next_attempt_at.eq(next),
            d::locked_until.eq(None::<NaiveDateTime>),
            d::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
