//! The background-job queue: every kind of deferred work (email, federation delivery, and
//! the mailings and batched deliveries to come) is a row of `jobs`, written in the
//! transaction of the change that asks for it, so it exists exactly when that change does.
//!
//! A job is `queued` until a worker claims it; it is then `running` under a lease
//! (`locked_by`, `locked_until`) that the worker renews while it works, so a slow job is
//! never taken twice, and a killed worker's job is taken up again once its lease lapses. A
//! finished job is deleted; a failed one goes back to `queued` with a later `run_at`; one
//! that keeps failing past its queue's give-up delay, or can never succeed, is `dead`: kept
//! for an admin to read and retry.
//!
//! Claiming locks rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes
//! share one queue; on SQLite claims go through the one writer. The loop that claims and
//! runs jobs is [`crate::runner`].

use crate::{DbConnection, Id, StoreError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::schema::jobs as j;

crate::text_enum! {
    /// Which worker takes a job.
    pub enum Queue {
        /// One email to one recipient.
        Email = "email",
        /// One ActivityPub activity to one inbox, in order per remote instance.
        Delivery = "delivery",
    }
}

crate::text_enum! {
    /// Where a job is in its life.
    pub enum JobState {
        Queued = "queued",
        Running = "running",
        Dead = "dead",
    }
}

/// A job as a worker gets it.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = j)]
pub struct Job {
    pub id: Id,
    pub queue: Queue,
    pub partition_key: Option<String>,
    pub payload: String,
    pub state: JobState,
    /// How many times it was started, this one included.
    pub attempts: i32,
    pub run_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub revived_at: Option<NaiveDateTime>,
}

impl Job {
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    /// Since when its queue's give-up delay counts: its creation, or the admin's retry.
    pub fn retried_since(&self) -> NaiveDateTime {
        self.revived_at.unwrap_or(self.created_at)
    }
}

/// Queues a job in the caller's transaction: it exists only if that commits. Jobs with the
/// same `partition` run one at a time, in the order they were queued.
pub fn enqueue<T: Serialize>(
    conn: &mut DbConnection,
    queue: Queue,
    partition: Option<&str>,
    payload: &T,
) -> Result<Id, StoreError> {
    enqueue_after(conn, queue, partition, payload, TimeDelta::zero())
}

/// `enqueue`, for a job that waits `delay` before it may run (to gather work that comes
/// in the meantime). Until then it holds up the later jobs of its partition.
pub fn enqueue_after<T: Serialize>(
    conn: &mut DbConnection,
    queue: Queue,
    partition: Option<&str>,
    payload: &T,
    delay: TimeDelta,
) -> Result<Id, StoreError> {
    let payload = serde_json::to_string(payload).map_err(|e| StoreError::Payload(e.to_string()))?;
    let id = Id::new();
    let now = crate::now();
    diesel::insert_into(j::table)
        .values((
            j::id.eq(&id),
            j::queue.eq(queue),
            j::partition_key.eq(partition),
            j::payload.eq(payload),
            j::state.eq(JobState::Queued),
            j::attempts.eq(0),
            j::run_at.eq(now + delay),
            j::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Jobs a worker may take now: queued and due, or running under a lease that lapsed (its
/// worker died or lost the database).
macro_rules! claimable {
    ($now:expr) => {
        j::state
            .eq(JobState::Queued)
            .and(j::run_at.le($now))
            .or(j::state.eq(JobState::Running).and(j::locked_until.lt($now)))
    };
}

/// Takes up to `limit` claimable jobs of `queue`, oldest due first, for `worker` until
/// `now + lease`. Run it in a write transaction.
pub fn claim(
    conn: &mut DbConnection,
    queue: Queue,
    worker: &str,
    lease: TimeDelta,
    limit: i64,
) -> Result<Vec<Job>, StoreError> {
    let now = crate::now();
    // Two index range scans (`jobs_due_idx`: queue, state, run_at) rather than one query
    // with `claimable!`: its OR makes the database sort every queued job of the queue to
    // find the oldest, on each claim (seconds of the SQLite writer with 40,000 queued).
    // Lapsed leases first: those jobs have waited longest. Running jobs are few (at most
    // each worker's concurrency), so that scan is short.
    let lapsed = j::table
        .filter(j::queue.eq(queue))
        .filter(j::state.eq(JobState::Running))
        .filter(j::locked_until.lt(now))
        .order(j::run_at.asc())
        .limit(limit)
        .select(j::id);
    let mut ids: Vec<Id> = crate::load_skip_locked!(&mut *conn, lapsed)?;
    let room = limit - ids.len() as i64;
    let until = now + lease;
    match conn {
        // On PostgreSQL the due jobs are locked, taken and read in one statement (a claim
        // is the queue's most frequent transaction under a backlog: a round trip each
        // step was most of its cost).
        DbConnection::Pg(c) if ids.is_empty() && room > 0 => {
            use diesel::sql_types::{BigInt, Text, Timestamp};
            let mut jobs: Vec<Job> = diesel::sql_query(
                "UPDATE jobs SET state = $1, locked_by = $2, locked_until = $3, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM jobs WHERE queue = $4 AND state = $5 AND run_at <= $6 \
                              ORDER BY run_at LIMIT $7 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, queue, partition_key, payload, state, attempts, run_at, last_error, created_at, revived_at",
            )
            .bind::<Text, _>(JobState::Running)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(until)
            .bind::<Text, _>(queue)
            .bind::<Text, _>(JobState::Queued)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(room)
            .load(c)?;
            sort(&mut jobs);
            Ok(jobs)
        }
        _ => {
            if room > 0 {
                let due = j::table
                    .filter(j::queue.eq(queue))
                    .filter(j::state.eq(JobState::Queued))
                    .filter(j::run_at.le(now))
                    .order(j::run_at.asc())
                    .limit(room)
                    .select(j::id);
                ids.extend(crate::load_skip_locked!(&mut *conn, due)?);
            }
            take(conn, &ids, worker, until)
        }
    }
}

/// How often the queue's table is tidied where the database does not do it (`tidy`).
pub const TIDY_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// On PostgreSQL with autovacuum off (some CI and hosting setups turn it off), vacuums and
/// analyzes `jobs`, and returns true. Every job is inserted, updated and deleted there, so
/// without vacuum the table fills with dead rows and its statistics go stale: each claim
/// then reads them all (a backlog of 240,000 emails drained at 160/s; after one `VACUUM
/// (ANALYZE) jobs`, at 1,500/s). With autovacuum on, the default, and on SQLite (deleted
/// rows leave no versions behind there), it does nothing. Not in a transaction.
pub fn tidy(conn: &mut DbConnection) -> Result<bool, StoreError> {
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        setting: String,
    }
    let DbConnection::Pg(c) = conn else { return Ok(false) };
    let autovacuum: Setting = diesel::sql_query("SELECT current_setting('autovacuum') AS setting").get_result(c)?;
    if autovacuum.setting == "on" {
        return Ok(false);
    }
    diesel::sql_query("VACUUM (ANALYZE) jobs").execute(c)?;
    Ok(true)
}

/// Takes the oldest live job of `partition` if it is claimable; `None` if the partition is
/// empty, its next job is not due, or another worker holds it. Jobs of one partition thus
/// run one at a time and in order (a `Follow` before its `Undo`).
pub fn claim_in_partition(
    conn: &mut DbConnection,
    queue: Queue,
    partition: &str,
    worker: &str,
    lease: TimeDelta,
) -> Result<Option<Job>, StoreError> {
    let now = crate::now();
    let oldest: Option<Id> = j::table
        .filter(j::queue.eq(queue))
        .filter(j::partition_key.eq(partition))
        .filter(j::state.ne(JobState::Dead))
        .order(j::id.asc())
        .select(j::id)
        .first(conn)
        .optional()?;
    let Some(oldest) = oldest else { return Ok(None) };
    // Locked with SKIP LOCKED: if another process is claiming it this instant, it is theirs.
    let mine = j::table.filter(j::id.eq(&oldest)).filter(claimable!(now)).select(j::id);
    let ids: Vec<Id> = crate::load_skip_locked!(&mut *conn, mine)?;
    Ok(take(conn, &ids, worker, now + lease)?.pop())
}

/// Oldest due first, as they were claimed.
fn sort(jobs: &mut [Job]) {
    jobs.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
}

fn take(conn: &mut DbConnection, ids: &[Id], worker: &str, until: NaiveDateTime) -> Result<Vec<Job>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(j::table.filter(j::id.eq_any(ids)))
        .set((
            j::state.eq(JobState::Running),
            j::locked_by.eq(worker),
            j::locked_until.eq(until),
            j::attempts.eq(j::attempts + 1),
        ))
        .execute(conn)?;
    let mut jobs: Vec<Job> = j::table.filter(j::id.eq_any(ids)).select(Job::as_select()).load(conn)?;
    sort(&mut jobs);
    Ok(jobs)
}

/// Partitions of `queue` whose next job may be claimable now.
pub fn due_partitions(conn: &mut DbConnection, queue: Queue, limit: i64) -> Result<Vec<String>, StoreError> {
    let now = crate::now();
    let keys: Vec<Option<String>> = j::table
        .filter(j::queue.eq(queue))
        .filter(j::partition_key.is_not_null())
        .filter(claimable!(now))
        .select(j::partition_key)
        .distinct()
        .limit(limit)
        .load(conn)?;
    Ok(keys.into_iter().flatten().collect())
}

/// Extends the lease of every job `worker` holds; returns how many it still holds.
pub fn renew(conn: &mut DbConnection, worker: &str, lease: TimeDelta) -> Result<usize, StoreError> {
    let until = crate::now() + lease;
    Ok(diesel::update(j::table.filter(j::locked_by.eq(worker)).filter(j::state.eq(JobState::Running)))
        .set(j::locked_until.eq(until))
        .execute(conn)?)
}

/// The job is done: it leaves the queue.
pub fn complete(conn: &mut DbConnection, id: &Id) -> Result<(), StoreError> {
    diesel::delete(j::table.filter(j::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Keys per `DELETE … WHERE id = ANY(…)`: with a few hundred, PostgreSQL's planner scans
/// the whole queue instead of its primary key, and compares every row with every key
/// (most of the database's time under a backlog of 10,000 emails).
const KEYS_PER_STATEMENT: usize = 64;

/// These jobs are done: they leave the queue, in one statement per 64.
///
/// On PostgreSQL the statement is raw SQL, which diesel never keeps prepared: PostgreSQL
/// then plans each one for its keys and the queue's size now. A kept statement soon runs a
/// generic plan, made once while the queue was small, and that was a sequential scan of the
/// whole queue ever after (191 scans of ~17,000 rows in 10 s of the signing bench).
pub fn complete_many(conn: &mut DbConnection, ids: &[Id]) -> Result<(), StoreError> {
    for chunk in ids.chunks(KEYS_PER_STATEMENT) {
        match conn {
            DbConnection::Pg(c) => {
                let keys: Vec<&str> = chunk.iter().map(Id::as_str).collect();
                diesel::sql_query("DELETE FROM jobs WHERE id = ANY($1)")
                    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
                    .execute(c)?
            }
            DbConnection::Sqlite(c) => diesel::delete(j::table.filter(j::id.eq_any(chunk))).execute(c)?,
        };
    }
    Ok(())
}

/// The job failed and runs again at `run_at`, unless another worker took it meanwhile.
pub fn retry_later(
    conn: &mut DbConnection,
    id: &Id,
    worker: &str,
    run_at: NaiveDateTime,
    error: &str,
) -> Result<(), StoreError> {
    diesel::update(j::table.filter(j::id.eq(id)).filter(j::locked_by.eq(worker)))
        .set((
            j::state.eq(JobState::Queued),
            j::run_at.eq(run_at),
            j::locked_by.eq(None::<String>),
            j::locked_until.eq(None::<NaiveDateTime>),
            j::last_error.eq(short(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The job will not be tried again unless an admin says so.
pub fn bury(conn: &mut DbConnection, id: &Id, worker: &str, error: &str) -> Result<(), StoreError> {
    diesel::update(j::table.filter(j::id.eq(id)).filter(j::locked_by.eq(worker)))
        .set((
            j::state.eq(JobState::Dead),
            j::locked_by.eq(None::<String>),
            j::locked_until.eq(None::<NaiveDateTime>),
            j::last_error.eq(short(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Errors are kept short: they are for an admin to read, and a remote server chooses them.
fn short(error: &str) -> String {
    error.chars().take(500).collect()
}

/// Dead jobs, newest first (of one queue, or of all).
pub fn dead(conn: &mut DbConnection, queue: Option<Queue>, limit: i64) -> Result<Vec<Job>, StoreError> {
    let mut query = j::table.filter(j::state.eq(JobState::Dead)).order(j::id.desc()).limit(limit).into_boxed();
    if let Some(queue) = queue {
        query = query.filter(j::queue.eq(queue));
    }
    Ok(query.select(Job::as_select()).load(conn)?)
}

/// Puts dead jobs back in their queue, due now, with a fresh give-up delay. `ids: None`
/// revives every dead job. Returns how many were revived.
pub fn revive(conn: &mut DbConnection, ids: Option<&[Id]>) -> Result<usize, StoreError> {
    let now = crate::now();
    let set = (j::state.eq(JobState::Queued), j::run_at.eq(now), j::attempts.eq(0), j::revived_at.eq(Some(now)));
    let dead = j::table.filter(j::state.eq(JobState::Dead));
    Ok(match ids {
        Some(ids) => {
            let mut n = 0;
            for chunk in ids.chunks(500) {
                n += diesel::update(dead.filter(j::id.eq_any(chunk))).set(set).execute(conn)?;
            }
            n
        }
        None => diesel::update(dead).set(set).execute(conn)?,
    })
}

/// Deletes the jobs of `queue` in the given partitions (deliveries to an instance the
/// admin just blocked), dead ones included. One under way at this instant may still go
/// out; its outcome then finds no row to update.
pub fn drop_partitions(conn: &mut DbConnection, queue: Queue, partitions: &[String]) -> Result<usize, StoreError> {
    let mut n = 0;
    for chunk in partitions.chunks(500) {
        n +=
            diesel::delete(j::table.filter(j::queue.eq(queue)).filter(j::partition_key.eq_any(chunk))).execute(conn)?;
    }
    Ok(n)
}

/// Distinct partitions with jobs in `queue`.
pub fn partitions(conn: &mut DbConnection, queue: Queue) -> Result<Vec<String>, StoreError> {
    let keys: Vec<Option<String>> = j::table
        .filter(j::queue.eq(queue))
        .filter(j::partition_key.is_not_null())
        .select(j::partition_key)
        .distinct()
        .load(conn)?;
    Ok(keys.into_iter().flatten().collect())
}

/// How many jobs each queue holds in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
}

impl QueueCounts {
    /// Jobs still to do (queued or running).
    pub fn pending(&self) -> i64 {
        self.queued + self.running
    }
}

pub fn counts(conn: &mut DbConnection, queue: Queue) -> Result<QueueCounts, StoreError> {
    let rows: Vec<(JobState, i64)> = j::table
        .filter(j::queue.eq(queue))
        .group_by(j::state)
        .select((j::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = QueueCounts::default();
    for (state, n) in rows {
        match state {
            JobState::Queued => counts.queued = n,
            JobState::Running => counts.running = n,
            JobState::Dead => counts.dead = n,
        }
    }
    Ok(counts)
}

/// Every queue's counts, in the order of `Queue::ALL`.
pub fn all_counts(conn: &mut DbConnection) -> Result<Vec<(Queue, QueueCounts)>, StoreError> {
    Queue::ALL.iter().map(|q| Ok((*q, counts(conn, *q)?))).collect()
}

/// The wait before the next attempt of a job started `attempts` times: `base`, doubled
/// each time, at most `max`.
pub fn backoff(base: TimeDelta, max: TimeDelta, attempts: i32) -> TimeDelta {
    let factor = 1i32 << (attempts - 1).clamp(0, 20);
    base.checked_mul(factor).unwrap_or(max).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TempDatabase, TestBackend};
    use crate::Database;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Payload {
        n: u32,
    }

    fn queue_three(db: &Database, partition: Option<&str>) -> Vec<Id> {
        db.write(|conn| -> Result<_, StoreError> {
            (0..3).map(|n| enqueue(conn, Queue::Delivery, partition, &Payload { n })).collect()
        })
        .unwrap()
    }

    fn state_of(db: &Database, id: &Id) -> Option<(JobState, i32)> {
        db.read(|conn| -> Result<_, StoreError> {
            Ok(j::table.filter(j::id.eq(id)).select((j::state, j::attempts)).first(conn).optional()?)
        })
        .unwrap()
    }

    fn lifecycle(backend: TestBackend) {
        let tmp = TempDatabase::new(backend);
        let db = tmp.open();
        let ids = queue_three(&db, None);
        let lease = TimeDelta::seconds(30);
        let first = db.write(|conn| claim(conn, Queue::Delivery, "w1", lease, 2)).unwrap();
        assert_eq!(first.iter().map(|j| j.payload::<Payload>().unwrap().n).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(first[0].attempts, 1);
        // A second worker gets only what the first did not take.
        let second = db.write(|conn| claim(conn, Queue::Delivery, "w2", lease, 10)).unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].id, ids[2]);
        assert!(db.write(|conn| claim(conn, Queue::Email, "w2", lease, 10)).unwrap().is_empty(), "other queue");

        db.write(|conn| complete(conn, &ids[0])).unwrap();
        assert_eq!(state_of(&db, &ids[0]), None);
        let later = crate::now() + TimeDelta::hours(1);
        db.write(|conn| retry_later(conn, &ids[1], "w1", later, "busy")).unwrap();
        assert_eq!(state_of(&db, &ids[1]), Some((JobState::Queued, 1)));
        assert!(db.write(|conn| claim(conn, Queue::Delivery, "w3", lease, 10)).unwrap().is_empty(), "not due yet");
        // Only the holder may bury or reschedule it.
        db.write(|conn| bury(conn, &ids[2], "w1", "not yours")).unwrap();
        assert_eq!(state_of(&db, &ids[2]), Some((JobState::Running, 1)));
        db.write(|conn| bury(conn, &ids[2], "w2", "refused for good")).unwrap();
        assert_eq!(state_of(&db, &ids[2]), Some((JobState::Dead, 1)));
        let dead_jobs = db.read(|conn| dead(conn, None, 10)).unwrap();
        assert_eq!(dead_jobs.len(), 1);
        assert_eq!(dead_jobs[0].last_error.as_deref(), Some("refused for good"));
        let counted = db.read(|conn| counts(conn, Queue::Delivery)).unwrap();
        assert_eq!(counted, QueueCounts { queued: 1, running: 0, dead: 1 });

        assert_eq!(db.write(|conn| revive(conn, None)).unwrap(), 1);
        let again = db.write(|conn| claim(conn, Queue::Delivery, "w4", lease, 10)).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id, ids[2]);
        assert_eq!(again[0].attempts, 1, "a revived job starts its attempts again");
        assert!(again[0].revived_at.is_some());
    }

    #[test]
    fn lifecycle_sqlite() {
        lifecycle(TestBackend::Sqlite);
    }

    #[test]
    fn lifecycle_postgres() {
        lifecycle(TestBackend::Postgres);
    }

    fn leases(backend: TestBackend) {
        let tmp = TempDatabase::new(backend);
        let db = tmp.open();
        let ids = queue_three(&db, None);
        // A lease that has already lapsed: its worker is as good as dead.
        let taken = db.write(|conn| claim(conn, Queue::Delivery, "dead-worker", TimeDelta::seconds(-1), 1)).unwrap();
        assert_eq!(taken[0].id, ids[0]);
        let retaken = db.write(|conn| claim(conn, Queue::Delivery, "live", TimeDelta::seconds(30), 1)).unwrap();
        assert_eq!(retaken[0].id, ids[0], "a lapsed lease is taken up again");
        assert_eq!(retaken[0].attempts, 2);
        // A live worker renews its lease; nobody else takes its jobs meanwhile.
        let short_lease = db.write(|conn| claim(conn, Queue::Delivery, "slow", TimeDelta::seconds(-1), 1)).unwrap();
        assert_eq!(short_lease[0].id, ids[1]);
        assert_eq!(db.write(|conn| renew(conn, "slow", TimeDelta::seconds(30))).unwrap(), 1);
        let others = db.write(|conn| claim(conn, Queue::Delivery, "other", TimeDelta::seconds(30), 10)).unwrap();
        assert_eq!(others.iter().map(|j| &j.id).collect::<Vec<_>>(), vec![&ids[2]]);
    }

    #[test]
    fn tidying_vacuums_only_where_autovacuum_is_off() {
        let sqlite = TempDatabase::new(TestBackend::Sqlite);
        assert!(!sqlite.open().read(tidy).unwrap(), "SQLite needs no vacuum of the queue");
        let pg = TempDatabase::new(TestBackend::Postgres);
        let db = pg.open();
        queue_three(&db, None);
        let autovacuum_off = db
            .read(|conn| {
                #[derive(QueryableByName)]
                struct On {
                    #[diesel(sql_type = diesel::sql_types::Bool)]
                    on: bool,
                }
                let DbConnection::Pg(c) = conn else { unreachable!() };
                diesel::sql_query("SELECT current_setting('autovacuum') = 'on' AS on")
                    .get_result::<On>(c)
                    .map(|r| !r.on)
                    .map_err(StoreError::from)
            })
            .unwrap();
        // VACUUM refuses to run in a transaction: `tidy` runs outside one, and the jobs stay.
        assert_eq!(db.read(tidy).unwrap(), autovacuum_off);
        let left = db.write(|conn| claim(conn, Queue::Delivery, "w", TimeDelta::seconds(30), 10)).unwrap();
        assert_eq!(left.len(), 3);
    }

    #[test]
    fn leases_sqlite() {
        leases(TestBackend::Sqlite);
    }

    #[test]
    fn leases_postgres() {
        leases(TestBackend::Postgres);
    }

    fn partitions_keep_order(backend: TestBackend) {
        let tmp = TempDatabase::new(backend);
        let db = tmp.open();
        let a = queue_three(&db, Some("a.example"));
        let b = queue_three(&db, Some("b.example"));
        let lease = TimeDelta::seconds(30);
        let mut due = db.read(|conn| due_partitions(conn, Queue::Delivery, 10)).unwrap();
        due.sort();
        assert_eq!(due, vec!["a.example".to_owned(), "b.example".to_owned()]);
        let first = db.write(|conn| claim_in_partition(conn, Queue::Delivery, "a.example", "w1", lease)).unwrap();
        assert_eq!(first.map(|j| j.id), Some(a[0].clone()));
        // While the first is running, nobody takes the second of the same partition.
        let blocked = db.write(|conn| claim_in_partition(conn, Queue::Delivery, "a.example", "w2", lease)).unwrap();
        assert!(blocked.is_none());
        let other = db.write(|conn| claim_in_partition(conn, Queue::Delivery, "b.example", "w2", lease)).unwrap();
        assert_eq!(other.map(|j| j.id), Some(b[0].clone()));
        // A failure keeps the partition waiting for its retry, in order.
        let later = crate::now() + TimeDelta::hours(1);
        db.write(|conn| retry_later(conn, &a[0], "w1", later, "down")).unwrap();
        assert!(db
            .write(|conn| claim_in_partition(conn, Queue::Delivery, "a.example", "w1", lease))
            .unwrap()
            .is_none());
        // A dead job does not block the ones behind it.
        db.write(|conn| -> Result<(), StoreError> {
            diesel::update(j::table.filter(j::id.eq(&a[0]))).set(j::state.eq(JobState::Dead)).execute(conn)?;
            Ok(())
        })
        .unwrap();
        let next = db.write(|conn| claim_in_partition(conn, Queue::Delivery, "a.example", "w1", lease)).unwrap();
        assert_eq!(next.map(|j| j.id), Some(a[1].clone()));
        assert_eq!(db.write(|conn| drop_partitions(conn, Queue::Delivery, &["b.example".to_owned()])).unwrap(), 3);
    }

    #[test]
    fn partitions_keep_order_sqlite() {
        partitions_keep_order(TestBackend::Sqlite);
    }

    #[test]
    fn partitions_keep_order_postgres() {
        partitions_keep_order(TestBackend::Postgres);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let base = TimeDelta::minutes(1);
        let day = TimeDelta::days(1);
        assert_eq!(backoff(base, day, 1), TimeDelta::minutes(1));
        assert_eq!(backoff(base, day, 4), TimeDelta::minutes(8));
        assert_eq!(backoff(base, day, 12), day);
        assert_eq!(backoff(base, day, 1000), day);
        assert_eq!(backoff(base, day, 0), base);
    }
}
