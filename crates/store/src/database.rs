//! Connections and the pool. The backend is chosen from the URL scheme here, never by
//! diesel's `establish` (which would accept any string as an SQLite path).

use crate::StoreError;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use std::path::PathBuf;
use std::time::Duration;

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
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::BadUrl("the database URL is empty".into()));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::BadUrl("sqlite:// needs a file path".into()));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.contains("://") {
            return Err(StoreError::BadUrl(
                "use postgres://…, sqlite://PATH or a file path".into(),
            ));
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
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Pg(PgConnection::establish(url)?)),
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::BadUrl(format!("cannot create {}: {e}", parent.display()))
                    })?;
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
            DatabaseUrl::Postgres(url) => {
                let host = url.rsplit('@').next().unwrap_or(url);
                let host = host
                    .trim_start_matches("postgres://")
                    .trim_start_matches("postgresql://");
                write!(f, "postgres://…@{host}")
            }
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

pub struct Manager(DatabaseUrl);

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        conn.batch_execute("SELECT 1").map_err(StoreError::Query)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub type PooledConn = PooledConnection<Manager>;

/// The database handle shared by the whole application.
///
/// Reads use the pool. Writes go through `write`, which runs the closure in a transaction;
/// on SQLite every write goes through one dedicated connection and starts with
/// `BEGIN IMMEDIATE`, so concurrent writers queue up instead of failing with
/// `database is locked`.
#[derive(Clone)]
pub struct Database {
    url: DatabaseUrl,
    pool: Pool<Manager>,
    sqlite_writer: Option<Pool<Manager>>,
}

impl Database {
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, StoreError> {
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .connection_timeout(Duration::from_secs(30))
                .build(Manager(url.clone()))
        };
        let (pool, sqlite_writer) = match url {
            DatabaseUrl::Postgres(_) => (build(pool_size)?, None),
            DatabaseUrl::Sqlite(_) => {
                // Open the writer first so the WAL switch happens before any reader opens.
                let writer = build(1)?;
                (build(pool_size)?, Some(writer))
            }
        };
        Ok(Database {
            url: url.clone(),
            pool,
            sqlite_writer,
        })
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.writer_conn()?;
        crate::migrate::run_pending(&mut conn)
    }

    fn writer_conn(&self) -> Result<PooledConn, StoreError> {
        Ok(self.sqlite_writer.as_ref().unwrap_or(&self.pool).get()?)
    }

    /// A connection for reads (no transaction).
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        f(&mut conn)
    }

    /// Runs `f` in a write transaction: committed if it returns `Ok`, rolled back otherwise.
    /// `f` must not open transactions of its own.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let mut conn = self.writer_conn()?;
        if matches!(&*conn, DbConnection::Pg(_)) {
            (*conn).transaction(f)
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
        tokio::task::spawn_blocking(move || db.read(f))
            .await
            .map_err(|_| StoreError::Cancelled)?
    }

    /// `write` on a blocking thread, for async callers.
    pub async fn write_async<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + From<diesel::result::Error> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write(f))
            .await
            .map_err(|_| StoreError::Cancelled)?
    }
}
