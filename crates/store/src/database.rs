//! Connections and the pool. The backend is chosen from the URL scheme here, never by
//! diesel's `establish` (which would accept any string as an SQLite path).

use crate::StoreError;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How long a caller waits for a pooled connection while the database answers (all of
/// them busy under load).
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How long a caller waits for one once the database is known not to answer (the last
/// connection attempt failed, or a connection was found dead): the request is answered
/// "unavailable" at once instead of hanging for `POOL_WAIT`.
const POOL_WAIT_WHILE_DOWN: Duration = Duration::from_millis(100);
/// The slices of `POOL_WAIT`: a caller already waiting notices within one that the
/// database went away.
const POOL_WAIT_SLICE: Duration = Duration::from_millis(250);
/// r2d2 retries a failed connection with a backoff of at most half this: so a database
/// that comes back is reconnected within about two seconds, with no restart.
const POOL_RECONNECT: Duration = Duration::from_secs(4);

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A parsed `SIGNONS_DATABASE_URL`: `postgres://…`, `sqlite://path`, or a plain file path.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// May hold a password: shown only through `Debug`, which redacts it.
    Postgres(crate::Secret<String>),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::BadUrl("the database URL is empty".into()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(crate::Secret::new(s.to_owned())));
        }
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::BadUrl("sqlite:// needs a file path".into()));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.contains("://") {
            return Err(StoreError::BadUrl("use postgres://…, sqlite://PATH or a file path".into()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub fn connect(&self) -> Result<DbConnection, StoreError> {
        match self {
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Pg(PgConnection::establish(url.expose())?)),
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| StoreError::BadUrl(format!("cannot create {}: {e}", parent.display())))?;
                }
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers run beside the writer; busy_timeout turns contention
                // (another process, a checkpoint) into waiting rather than an error.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA busy_timeout = 10000;
                     PRAGMA foreign_keys = ON;",
                )?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Passwords in PostgreSQL URLs must not reach logs.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Postgres(url) => f.write_str(&crate::secret::redact_url(url.expose())),
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

pub struct Manager {
    url: DatabaseUrl,
    health: Arc<Health>,
}

/// What the pool knows of the database, shared by `Database` and its `Manager`.
#[derive(Default)]
struct Health {
    /// Whether the database answered the last time we tried.
    reachable: AtomicBool,
    /// Counts the times the database was found gone (a failed connection attempt, a dead
    /// connection). A pooled connection made before the last of them is checked with
    /// `SELECT 1` before it is used again: after a restart every idle connection is dead,
    /// and none should fail a request once the database is back.
    outages: AtomicU64,
}

impl Health {
    fn gone(&self) {
        self.reachable.store(false, Ordering::SeqCst);
        self.outages.fetch_add(1, Ordering::SeqCst);
    }
}

/// A pooled connection, and whether it was found broken (then the pool drops it).
pub struct ManagedConn {
    conn: DbConnection,
    broken: bool,
    /// `Health::outages` when it was made, or last checked.
    checked_at: u64,
}

impl std::ops::Deref for ManagedConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for ManagedConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl ManagedConn {
    /// After a failed use: a PostgreSQL connection that cannot run `SELECT 1` any more
    /// (the server restarted, the network dropped) is not given to anyone again. Checking
    /// only after errors spares every successful use a round trip.
    fn check_after_error(&mut self) {
        if matches!(self.conn, DbConnection::Pg(_)) && self.conn.batch_execute("SELECT 1").is_err() {
            self.broken = true;
        }
    }
}

/// An error on a connection that then turned out dead is the database's absence, whatever
/// the statement said: reported as `StoreError::Unavailable` (a 503, not a 500), and the
/// pool stops waiting for connections until one can be made again.
fn after_error<T, E: From<StoreError>>(conn: &mut PooledConn, health: &Health, result: Result<T, E>) -> Result<T, E> {
    if result.is_ok() {
        return result;
    }
    conn.check_after_error();
    if conn.broken {
        health.gone();
        return Err(E::from(StoreError::Unavailable(crate::error::DatabaseUnavailable(
            "the connection to the database was lost".into(),
        ))));
    }
    result
}

impl ManageConnection for Manager {
    type Connection = ManagedConn;
    type Error = StoreError;

    fn connect(&self) -> Result<ManagedConn, StoreError> {
        // Read before connecting: an outage noticed meanwhile makes this one checked too.
        let checked_at = self.health.outages.load(Ordering::SeqCst);
        match self.url.connect() {
            Ok(conn) => {
                self.health.reachable.store(true, Ordering::SeqCst);
                Ok(ManagedConn { conn, broken: false, checked_at })
            }
            Err(e) => {
                self.health.gone();
                Err(e)
            }
        }
    }

    fn is_valid(&self, conn: &mut ManagedConn) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::Query)
    }

    fn has_broken(&self, conn: &mut ManagedConn) -> bool {
        conn.broken
    }
}

pub type PooledConn = PooledConnection<Manager>;

/// The database handle shared by the whole application.
///
/// Reads use the pool. Writes go through `write` or `write_async`, which run the closure
/// in a transaction: committed if it returns `Ok`, rolled back otherwise.
///
/// On SQLite every write goes through one dedicated connection and starts with
/// `BEGIN IMMEDIATE`, so concurrent writers queue up instead of failing with
/// `database is locked`. `write_async` goes further: a writer thread takes every write
/// that is waiting and runs them in one transaction, each inside its own savepoint, then
/// commits once (group commit): one fsync for the whole batch, and a closure that fails
/// is rolled back to its savepoint without touching its batch-mates. Each caller gets its
/// answer only after the commit, so an `Ok` is durable.
#[derive(Clone)]
pub struct Database {
    url: DatabaseUrl,
    pool: Pool<Manager>,
    sqlite_writer: Option<Pool<Manager>>,
    batcher: Option<Arc<Batcher>>,
    /// `reachable` is false from a failed connection attempt (or a connection found dead)
    /// until one succeeds: callers then get `StoreError::Pool` within
    /// `POOL_WAIT_WHILE_DOWN`.
    health: Arc<Health>,
}

impl Database {
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, StoreError> {
        let health = Arc::new(Health { reachable: AtomicBool::new(true), outages: AtomicU64::new(0) });
        let build = |size: u32| -> Result<Pool<Manager>, StoreError> {
            let pool = Pool::builder()
                .max_size(size)
                .connection_timeout(POOL_RECONNECT)
                // No `SELECT 1` before each use: a connection is checked after an error
                // instead (`ManagedConn::check_after_error`).
                .test_on_check_out(false)
                .build_unchecked(Manager { url: url.clone(), health: health.clone() });
            // At start, wait as long as ever for the database (it may be starting beside
            // us): one connection, checked out and given back.
            get_connection(&pool, &Health { reachable: AtomicBool::new(true), outages: AtomicU64::new(0) })?;
            Ok(pool)
        };
        let (pool, sqlite_writer, batcher) = match url {
            DatabaseUrl::Postgres(_) => (build(pool_size)?, None, None),
            DatabaseUrl::Sqlite(_) => {
                // Open the writer first so the WAL switch happens before any reader opens.
                let writer = build(1)?;
                let batcher = Batcher::start(writer.clone())?;
                (build(pool_size)?, Some(writer), Some(Arc::new(batcher)))
            }
        };
        Ok(Database { url: url.clone(), pool, sqlite_writer, batcher, health })
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The SQLite writer's counters (`None` on PostgreSQL).
    pub fn group_commit_stats(&self) -> Option<GroupCommitStats> {
        use std::sync::atomic::Ordering::SeqCst;
        self.batcher.as_ref().map(|b| GroupCommitStats {
            submitted: b.counters.submitted.load(SeqCst),
            transactions: b.counters.transactions.load(SeqCst),
            committed: b.counters.committed.load(SeqCst),
        })
    }

    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.writer_conn()?;
        crate::migrate::run_pending(&mut conn)
    }

    fn writer_conn(&self) -> Result<PooledConn, StoreError> {
        get_connection(self.sqlite_writer.as_ref().unwrap_or(&self.pool), &self.health)
    }

    /// A connection for reads (no transaction).
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = get_connection(&self.pool, &self.health)?;
        let result = f(&mut conn);
        after_error(&mut conn, &self.health, result)
    }

    /// Runs `f` in a write transaction: committed if it returns `Ok`, rolled back otherwise.
    /// `f` must not open transactions of its own.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let mut conn = self.writer_conn()?;
        if matches!(**conn, DbConnection::Pg(_)) {
            let result = conn.conn.transaction(f);
            after_error(&mut conn, &self.health, result)
        } else {
            {
                conn.batch_execute("BEGIN IMMEDIATE")?;
                match f(&mut conn) {
                    Ok(value) => match conn.batch_execute("COMMIT") {
                        Ok(()) => Ok(value),
                        Err(e) => {
                            let _ = conn.batch_execute("ROLLBACK");
                            Err(e.into())
                        }
                    },
                    Err(e) => {
                        if let Err(rollback) = conn.batch_execute("ROLLBACK") {
                            tracing::error!(error = %rollback, "rollback failed");
                        }
                        Err(e)
                    }
                }
            }
        }
    }

    /// `read` on a blocking thread, for async callers.
    pub async fn read_async<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read(f)).await.map_err(|_| StoreError::Cancelled)?
    }

    /// Runs `f` on a connection outside any explicit transaction, for a write that is a
    /// single statement (atomic and, once it returns, durable by itself): on PostgreSQL it
    /// saves the round trips of `BEGIN` and `COMMIT`. On SQLite it is `write_async` (the
    /// statement joins the group commit).
    pub async fn autocommit_async<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        if self.batcher.is_some() {
            return self.write_async(f).await;
        }
        self.read_async(f).await
    }

    /// `write` for async callers. On SQLite the closure joins the next group commit of
    /// the writer thread (see the type's documentation); on PostgreSQL it runs in its own
    /// transaction on a blocking thread, and the server groups concurrent commits itself.
    pub async fn write_async<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        if let Some(batcher) = &self.batcher {
            let (reply, answer) = tokio::sync::oneshot::channel();
            batcher.submit(Box::new(TypedJob { work: Some(f), result: None, reply }))?;
            return answer.await.map_err(|_| StoreError::Cancelled)?;
        }
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write(f)).await.map_err(|_| StoreError::Cancelled)?
    }
}

/// A connection from `pool`: waits up to `POOL_WAIT` while the database answers, in slices
/// so that a waiter learns soon that it stopped answering, and only `POOL_WAIT_WHILE_DOWN`
/// while it does not (r2d2 keeps trying to connect meanwhile, every two seconds at most).
/// A connection older than the last outage is checked first, and dropped if dead.
fn get_connection(pool: &Pool<Manager>, health: &Health) -> Result<PooledConn, StoreError> {
    let deadline = Instant::now() + POOL_WAIT;
    loop {
        let up = health.reachable.load(Ordering::SeqCst);
        let slice = if up { POOL_WAIT_SLICE } else { POOL_WAIT_WHILE_DOWN };
        match pool.get_timeout(slice) {
            Ok(mut conn) => {
                let outages = health.outages.load(Ordering::SeqCst);
                if conn.checked_at == outages {
                    return Ok(conn);
                }
                if conn.batch_execute("SELECT 1").is_ok() {
                    conn.checked_at = outages;
                    return Ok(conn);
                }
                // Dead since the outage: the pool drops it, and makes a new one.
                conn.broken = true;
            }
            Err(e) if !up || Instant::now() >= deadline || !health.reachable.load(Ordering::SeqCst) => {
                return Err(StoreError::Pool(e))
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(StoreError::Unavailable(crate::error::DatabaseUnavailable(
                "no live connection to the database".into(),
            )));
        }
    }
}

/// What the SQLite writer did since the database was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Writes handed to the writer thread.
    pub submitted: u64,
    /// Transactions committed.
    pub transactions: u64,
    /// Writes committed (in those transactions).
    pub committed: u64,
}

#[derive(Default)]
struct Counters {
    submitted: std::sync::atomic::AtomicU64,
    transactions: std::sync::atomic::AtomicU64,
    committed: std::sync::atomic::AtomicU64,
}

/// The most writes one SQLite transaction takes; more wait for the next one.
const MAX_BATCH: usize = 256;

/// One closure waiting for the SQLite writer, with the channel its caller waits on.
trait Job: Send {
    /// Runs the closure; `true` if it succeeded and its writes should be kept.
    fn run(&mut self, conn: &mut DbConnection) -> bool;
    /// Answers the caller once the transaction's fate is known: `Err` if it was rolled
    /// back for a reason outside this job.
    fn finish(self: Box<Self>, transaction: Result<(), StoreError>);
}

struct TypedJob<F, T, E> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for TypedJob<F, T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send,
    T: Send,
    E: From<StoreError> + Send,
{
    fn run(&mut self, conn: &mut DbConnection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A panic must not take the writer thread down: the job is rolled back to its
        // savepoint and its caller sees `Cancelled` (as with a panicking blocking task).
        match std::panic::catch_unwind(AssertUnwindSafe(|| work(conn))) {
            Ok(result) => {
                let ok = result.is_ok();
                self.result = Some(result);
                ok
            }
            Err(_) => {
                tracing::error!("a database write panicked; it was rolled back");
                false
            }
        }
    }

    fn finish(self: Box<Self>, transaction: Result<(), StoreError>) {
        let answer = match (self.result, transaction) {
            // Never ran: the transaction broke before its turn.
            (None, Err(e)) if self.work.is_some() => Err(E::from(e)),
            (None, _) => return, // panicked: dropping `reply` tells the caller
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)), Err(e)) => Err(E::from(e)),
        };
        // The caller may have gone away (request cancelled); the write stands anyway.
        let _ = self.reply.send(answer);
    }
}

/// The SQLite writer thread's inbox.
struct Batcher {
    jobs: mpsc::Sender<Box<dyn Job>>,
    counters: Arc<Counters>,
}

impl Batcher {
    /// Starts the writer thread; it ends when the last `Database` clone is dropped.
    fn start(writer: Pool<Manager>) -> Result<Self, StoreError> {
        let (jobs, inbox) = mpsc::channel::<Box<dyn Job>>();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(&writer, &inbox, &c))
            .map_err(|e| StoreError::BatchAborted(format!("cannot start the writer thread: {e}")))?;
        Ok(Batcher { jobs, counters })
    }

    fn submit(&self, job: Box<dyn Job>) -> Result<(), StoreError> {
        self.jobs.send(job).map_err(|_| StoreError::Cancelled)?;
        self.counters.submitted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

fn writer_loop(writer: &Pool<Manager>, inbox: &mpsc::Receiver<Box<dyn Job>>, counters: &Counters) {
    let mut waiting: Vec<Box<dyn Job>> = Vec::new();
    loop {
        if waiting.is_empty() {
            match inbox.recv() {
                Ok(job) => waiting.push(job),
                Err(_) => return, // every sender is gone
            }
        }
        // Everything that arrived while the previous batch was committing joins this one.
        while waiting.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(job) => waiting.push(job),
                Err(_) => break,
            }
        }
        let batch: Vec<Box<dyn Job>> = std::mem::take(&mut waiting);
        match writer.get() {
            Ok(mut conn) => waiting = run_batch(&mut conn, batch, counters),
            Err(e) => {
                let message = e.to_string();
                for job in batch {
                    job.finish(Err(StoreError::BatchAborted(format!("no writer connection: {message}"))));
                }
            }
        }
    }
}

/// Runs `batch` in one transaction, each job inside its own savepoint, and commits once.
/// Returns the jobs that did not get to run because the transaction broke under them
/// (they go into the next transaction).
fn run_batch(conn: &mut DbConnection, batch: Vec<Box<dyn Job>>, counters: &Counters) -> Vec<Box<dyn Job>> {
    if let Err(e) = conn.batch_execute("BEGIN IMMEDIATE") {
        let message = e.to_string();
        for job in batch {
            job.finish(Err(StoreError::BatchAborted(format!("cannot begin: {message}"))));
        }
        return Vec::new();
    }
    let mut ran: Vec<Box<dyn Job>> = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    let mut broken: Option<(Box<dyn Job>, String)> = None;
    for mut job in jobs.by_ref() {
        if let Err(e) = conn.batch_execute("SAVEPOINT batch_job") {
            broken = Some((job, e.to_string()));
            break;
        }
        let end = if job.run(conn) { "RELEASE batch_job" } else { "ROLLBACK TO batch_job; RELEASE batch_job" };
        // If the job's failure ended the whole transaction (SQLite does that on I/O
        // errors, a full disk, …), its savepoint is gone and this fails.
        if let Err(e) = conn.batch_execute(end) {
            broken = Some((job, e.to_string()));
            break;
        }
        ran.push(job);
    }
    if let Some((culprit, message)) = broken {
        tracing::error!(error = %message, "write transaction broken; rolling back its batch");
        let _ = conn.batch_execute("ROLLBACK");
        culprit.finish(Err(StoreError::BatchAborted(message.clone())));
        for job in ran {
            job.finish(Err(StoreError::BatchAborted(message.clone())));
        }
        return jobs.collect();
    }
    match conn.batch_execute("COMMIT") {
        Ok(()) => {
            counters.transactions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            counters.committed.fetch_add(ran.len() as u64, std::sync::atomic::Ordering::SeqCst);
            for job in ran {
                job.finish(Ok(()));
            }
        }
        Err(e) => {
            let message = e.to_string();
            tracing::error!(error = %message, "commit failed; rolling back its batch");
            if let Err(rollback) = conn.batch_execute("ROLLBACK") {
                tracing::error!(error = %rollback, "rollback failed");
            }
            for job in ran {
                job.finish(Err(StoreError::BatchAborted(format!("commit failed: {message}"))));
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::organizations as o;
    use crate::testing::{TempDatabase, TestBackend};
    use diesel::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    fn insert_org(conn: &mut DbConnection, slug: &str) -> Result<(), StoreError> {
        diesel::insert_into(o::table)
            .values((o::id.eq(crate::Id::new()), o::slug.eq(slug), o::name.eq(slug), o::created_at.eq(crate::now())))
            .execute(conn)?;
        Ok(())
    }

    fn slugs(db: &Database) -> Vec<String> {
        db.read(|conn| -> Result<Vec<String>, StoreError> { Ok(o::table.select(o::slug).order(o::slug).load(conn)?) })
            .unwrap()
    }

    /// Waits (bounded) until the writer has been handed `n` writes in all.
    async fn submitted(db: &Database, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while db.group_commit_stats().unwrap().submitted < n {
            assert!(Instant::now() < deadline, "writes were not submitted");
            tokio::task::yield_now().await;
        }
    }

    /// Starts a write that keeps the writer busy until `release` is set, and waits until it
    /// runs: whatever is submitted meanwhile goes into the next transaction, in order.
    async fn hold_writer(db: &Database) -> (tokio::task::JoinHandle<Result<(), StoreError>>, Arc<AtomicBool>) {
        let (started, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (s, r) = (started.clone(), release.clone());
        let db2 = db.clone();
        let holder = tokio::spawn(async move {
            db2.write_async(move |_conn| {
                s.store(true, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(30);
                while !r.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok::<_, StoreError>(())
            })
            .await
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while !started.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the holding write never ran");
            tokio::task::yield_now().await;
        }
        (holder, release)
    }

    type Write<T> = Box<dyn FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send>;

    /// Submits writes one after the other (so they queue in this order).
    async fn submit_in_order<T: Send + 'static>(
        db: &Database,
        writes: Vec<Write<T>>,
    ) -> Vec<tokio::task::JoinHandle<Result<T, StoreError>>> {
        let mut handles = Vec::new();
        for write in writes {
            let before = db.group_commit_stats().unwrap().submitted;
            let db2 = db.clone();
            handles.push(tokio::spawn(async move { db2.write_async(write).await }));
            submitted(db, before + 1).await;
        }
        handles
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_share_one_commit() {
        let tmp = TempDatabase::new(TestBackend::Sqlite);
        let db = tmp.open();
        let (holder, release) = hold_writer(&db).await;
        let before = db.group_commit_stats().unwrap();
        let writes = (0..50)
            .map(|i| {
                Box::new(move |conn: &mut DbConnection| insert_org(conn, &format!("org-{i:02}")))
                    as Box<dyn FnOnce(&mut DbConnection) -> Result<(), StoreError> + Send>
            })
            .collect();
        let handles = submit_in_order(&db, writes).await;
        release.store(true, Ordering::SeqCst);
        holder.await.unwrap().unwrap();
        for h in handles {
            h.await.unwrap().unwrap();
        }
        let after = db.group_commit_stats().unwrap();
        assert_eq!(after.committed - before.committed, 51, "the holder and the 50 writes");
        assert_eq!(after.transactions - before.transactions, 2, "one commit for the holder, one for the 50 others");
        assert_eq!(slugs(&db).len(), 50);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_does_not_take_down_its_batch_mates() {
        let tmp = TempDatabase::new(TestBackend::Sqlite);
        let db = tmp.open();
        let (holder, release) = hold_writer(&db).await;
        let writes: Vec<Write<()>> = vec![
            Box::new(|conn| insert_org(conn, "a")),
            // Writes, then fails: what it wrote must go.
            Box::new(|conn| {
                insert_org(conn, "half-written")?;
                Err(StoreError::Migration("refused after writing".into()))
            }),
            // A database error (duplicate slug, of a row written earlier in the batch).
            Box::new(|conn| insert_org(conn, "a")),
            Box::new(|conn| {
                insert_org(conn, "panicked")?;
                panic!("a bug in a write")
            }),
            Box::new(|conn| insert_org(conn, "b")),
        ];
        let handles = submit_in_order(&db, writes).await;
        release.store(true, Ordering::SeqCst);
        holder.await.unwrap().unwrap();
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.unwrap());
        }
        assert!(results[0].is_ok());
        assert!(matches!(results[1], Err(StoreError::Migration(_))));
        assert!(matches!(
            results[2],
            Err(StoreError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )))
        ));
        assert!(matches!(results[3], Err(StoreError::Cancelled)));
        assert!(results[4].is_ok());
        assert_eq!(slugs(&db), vec!["a".to_owned(), "b".to_owned()], "nothing half-written, the others kept");
        assert_eq!(db.group_commit_stats().unwrap().transactions, 2, "all five shared one transaction");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_broken_transaction_fails_what_ran_and_retries_the_rest() {
        let tmp = TempDatabase::new(TestBackend::Sqlite);
        let db = tmp.open();
        let (holder, release) = hold_writer(&db).await;
        let writes: Vec<Write<()>> = vec![
            Box::new(|conn| insert_org(conn, "before")),
            // Ends the shared transaction behind the writer's back (as an I/O error would).
            Box::new(|conn| {
                conn.batch_execute("ROLLBACK")?;
                Ok(())
            }),
            Box::new(|conn| insert_org(conn, "after")),
        ];
        let handles = submit_in_order(&db, writes).await;
        release.store(true, Ordering::SeqCst);
        holder.await.unwrap().unwrap();
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.unwrap());
        }
        assert!(matches!(results[0], Err(StoreError::BatchAborted(_))), "{:?}", results[0]);
        assert!(matches!(results[1], Err(StoreError::BatchAborted(_))), "{:?}", results[1]);
        assert!(results[2].is_ok(), "{:?}", results[2]);
        assert_eq!(slugs(&db), vec!["after".to_owned()]);
        // And the writer goes on.
        db.write_async(|conn| insert_org(conn, "later")).await.unwrap();
        assert_eq!(slugs(&db), vec!["after".to_owned(), "later".to_owned()]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_come_after_the_commit() {
        let tmp = TempDatabase::new(TestBackend::Sqlite);
        let db = tmp.open();
        db.write_async(|conn| insert_org(conn, "durable")).await.unwrap();
        // A new connection (a reader of the file) sees it: it was committed before `Ok`.
        let mut other = tmp.url.connect().unwrap();
        let n: i64 = o::table.filter(o::slug.eq("durable")).count().get_result(&mut other).unwrap();
        assert_eq!(n, 1);
    }
}
