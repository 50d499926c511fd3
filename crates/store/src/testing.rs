//! Throw-away databases for tests and the bench (feature `testing`), already migrated, as
//! crates.io's `crates_io_test_db` makes them: the migrations run once into a template, and
//! each test gets a copy of it.
//!
//! - PostgreSQL: the template is the database `signons_template_<hash>`, where `<hash>` is
//!   a hash of the migration files of this build (`build.rs`). Each test database is
//!   `CREATE DATABASE signons_test_… TEMPLATE signons_template_<hash>`, dropped (WITH
//!   (FORCE)) when the handle is dropped, even after a failed assertion.
//! - SQLite: the template is the file `signons-templates/sqlite-<hash>.db` in the temporary
//!   folder; each test gets a copy of it in a folder of its own.
//!
//! Templates outlive the process, so that the next run (or a concurrent test binary) does
//! not migrate again. They are made safe against concurrent processes like this: a template
//! is only ever created under a temporary name, migrated, then renamed into place, so its
//! final name always holds a complete schema; on PostgreSQL this runs under a session
//! advisory lock, so only one process creates it and the others find it there. Templates of
//! another hash (older migrations, or a crashed creation) are dropped when a new one is
//! made, the oldest first, beyond the few most recent (`KEEP_TEMPLATES`): they do not
//! accumulate, and test runs of other migrations at the same time (several worktrees of the
//! project) do not drop each other's template in turn. If one was dropped meanwhile, the
//! next test database makes it again.
//!
//! PostgreSQL is reached at `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432`); if it is down the test fails, it is not skipped.

use crate::{migrate, Database, DatabaseUrl};
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The hash of the migration files this build embeds.
pub const MIGRATIONS_HASH: &str = env!("SIGNONS_MIGRATIONS_HASH");

/// Every template name starts with this; anything else with it is stale and may be dropped.
const TEMPLATE_PREFIX: &str = "signons_template_";

/// How many templates (this build's and the most recent others) are kept at most.
const KEEP_TEMPLATES: usize = 8;

/// The session advisory lock held while a PostgreSQL template is checked and created: one
/// constant for every Signons test process on the server ("signons" in ASCII).
const TEMPLATE_LOCK: i64 = 0x0073_6967_6e6f_6e73;

/// The backend of a test database: the application's own `Backend`, under the name the
/// tests have always used.
pub use crate::Backend as TestBackend;

pub fn postgres_server_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// The name of the PostgreSQL template for the migrations of this build.
pub fn postgres_template_name() -> String {
    format!("{TEMPLATE_PREFIX}{MIGRATIONS_HASH}")
}

/// A database that exists for the life of this value.
pub struct TempDatabase {
    pub url: DatabaseUrl,
    /// A folder for the test's files (the SQLite database, an outbox, …).
    pub dir: PathBuf,
    /// Whether it was copied from the template (so `open` has nothing to apply).
    migrated: bool,
    pg: Option<PgTarget>,
}

/// Where a PostgreSQL test database lives, to drop it.
struct PgTarget {
    server: PgServer,
    name: String,
}

impl TempDatabase {
    /// A migrated database, copied from the template. Panics with the reason when it
    /// cannot be made (PostgreSQL down, a migration that fails).
    pub fn new(backend: TestBackend) -> Self {
        Self::create(backend, &postgres_server_url(), true).unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// An empty database, for the tests of the migrations themselves.
    pub fn unmigrated(backend: TestBackend) -> Self {
        Self::create(backend, &postgres_server_url(), false).unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// The fallible form, for the bench: `postgres_server` is a server URL, with or without
    /// a database name (the one to connect to for `CREATE DATABASE`, `postgres` if none)
    /// and query parameters (kept on every URL made from it); it is unused for SQLite.
    pub fn create(backend: TestBackend, postgres_server: &str, migrated: bool) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("signons-test-{id}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let sqlite_path = dir.join("signons.db");
        // From here on, a failure removes the folder (and the database) through Drop.
        let mut temp = TempDatabase { url: DatabaseUrl::Sqlite(sqlite_path.clone()), dir, migrated, pg: None };
        match backend {
            TestBackend::Sqlite => {
                if migrated {
                    copy_sqlite_template(&sqlite_path)?;
                }
            }
            TestBackend::Postgres => {
                let server = PgServer::parse(postgres_server)?;
                let name = format!("signons_test_{id}");
                create_pg_database(&server, &name, migrated)?;
                temp.url = DatabaseUrl::Postgres(crate::Secret::new(server.url_of(&name)));
                temp.pg = Some(PgTarget { server, name });
            }
        }
        Ok(temp)
    }

    /// Connects, and migrates: nothing is left to apply to a copy of the template, so there
    /// it only checks that the template was current.
    pub fn open(&self) -> Database {
        let db = Database::connect(&self.url, 4).unwrap_or_else(|e| panic!("cannot open {:?}: {e}", self.url));
        let applied = db.migrate().unwrap_or_else(|e| panic!("cannot migrate: {e}"));
        assert!(
            !self.migrated || applied.is_empty(),
            "the template database was not fully migrated; {applied:?} were still pending"
        );
        db
    }

    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.expose().clone(),
            DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
        }
    }

    /// The PostgreSQL database's name (`None` on SQLite).
    pub fn postgres_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|pg| pg.name.as_str())
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        // Never panic here: this also runs while a failed test unwinds.
        if let Some(pg) = &self.pg {
            let dropped = pg.server.admin().and_then(|mut admin| {
                Ok(admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))?)
            });
            if let Err(e) = dropped {
                eprintln!("cannot drop the test database {}: {e:#}", pg.name);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------
// PostgreSQL

/// A PostgreSQL server URL taken apart, to make the URLs of other databases on it.
#[derive(Clone, PartialEq, Eq)]
struct PgServer {
    /// `postgres://user@host:port`, without a path.
    base: String,
    /// The database to connect to for `CREATE DATABASE`.
    admin_db: String,
    /// `?…`, or empty.
    query: String,
}

impl PgServer {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let Some(scheme_end) = url.find("://") else { bail!("not a PostgreSQL URL: {url:?}") };
        let (url, query) = match url.find('?') {
            Some(q) => (&url[..q], url[q..].to_owned()),
            None => (url, String::new()),
        };
        let (base, path) = match url[scheme_end + 3..].find('/') {
            Some(slash) => url.split_at(scheme_end + 3 + slash),
            None => (url, ""),
        };
        let path = path.trim_matches('/');
        let admin_db = if path.is_empty() { "postgres".to_owned() } else { path.to_owned() };
        Ok(PgServer { base: base.to_owned(), admin_db, query })
    }

    fn url_of(&self, database: &str) -> String {
        format!("{}/{database}{}", self.base, self.query)
    }

    fn admin(&self) -> anyhow::Result<PgConnection> {
        PgConnection::establish(&self.url_of(&self.admin_db)).with_context(|| {
            format!("PostgreSQL must be reachable at {} (TEST_POSTGRES_URL) for the postgres tests", self.base)
        })
    }
}

/// The servers on which this process has seen the current template. The lock also makes
/// the tests of one process wait for one creation, instead of each taking the advisory lock.
static PG_TEMPLATES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn create_pg_database(server: &PgServer, name: &str, migrated: bool) -> anyhow::Result<()> {
    let mut admin = server.admin()?;
    if !migrated {
        admin.batch_execute(&format!("CREATE DATABASE {name}")).with_context(|| format!("cannot create {name}"))?;
        return Ok(());
    }
    let template = postgres_template_name();
    let create = format!("CREATE DATABASE {name} TEMPLATE {template}");
    ensure_pg_template(server, &mut admin)?;
    match admin.batch_execute(&create) {
        // A process of other migrations dropped our template since we last saw it (it
        // drops every template but its own): make it again, once.
        Err(e) if e.to_string().contains("does not exist") => {
            forget_pg_template(server);
            ensure_pg_template(server, &mut admin)?;
            admin.batch_execute(&create)
        }
        other => other,
    }
    .with_context(|| format!("cannot create {name} from {template}"))
}

fn forget_pg_template(server: &PgServer) {
    let mut known = PG_TEMPLATES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    known.retain(|s| *s != server.base);
}

#[derive(QueryableByName)]
struct DatabaseName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

fn template_databases(admin: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let names: Vec<DatabaseName> = diesel::sql_query(format!(
        "SELECT datname FROM pg_database WHERE starts_with(datname, '{TEMPLATE_PREFIX}') ORDER BY oid"
    ))
    .load(admin)?;
    Ok(names.into_iter().map(|n| n.datname).collect())
}

/// Makes sure the template of this build's migrations exists on `server`.
fn ensure_pg_template(server: &PgServer, admin: &mut PgConnection) -> anyhow::Result<()> {
    // A poisoned lock only means another test panicked while holding it; the list is valid.
    let mut known = PG_TEMPLATES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if known.contains(&server.base) {
        return Ok(());
    }
    // Session-level: released on unlock, or by the server if this process dies.
    admin.batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))?;
    let made = make_pg_template(server, admin);
    let unlocked = admin.batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"));
    made?;
    unlocked?;
    known.push(server.base.clone());
    Ok(())
}

/// Runs under the advisory lock, so no other process is creating a template meanwhile.
fn make_pg_template(server: &PgServer, admin: &mut PgConnection) -> anyhow::Result<()> {
    let template = postgres_template_name();
    let existing = template_databases(admin)?;
    if existing.contains(&template) {
        return Ok(());
    }
    // Every other template is of other migrations, or a creation that died half-way: the
    // oldest go (database oids grow with each creation), leaving room for ours.
    let stale = existing.len().saturating_sub(KEEP_TEMPLATES - 1);
    for stale in existing.into_iter().take(stale) {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {stale} WITH (FORCE)"))
            .with_context(|| format!("cannot drop the stale template {stale}"))?;
    }
    let building = format!("{TEMPLATE_PREFIX}tmp_{}", uuid::Uuid::new_v4().simple());
    admin.batch_execute(&format!("CREATE DATABASE {building}")).with_context(|| format!("cannot create {building}"))?;
    let migrated = DatabaseUrl::Postgres(crate::Secret::new(server.url_of(&building)))
        .connect()
        .and_then(|mut conn| migrate::run_pending(&mut conn))
        .with_context(|| format!("cannot migrate the template {building}"));
    // The migrating connection is closed here; the rename waits for its backend to exit.
    let renamed = migrated.and_then(|_| {
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .with_context(|| format!("cannot rename {building} to {template}"))
    });
    if renamed.is_err() {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"));
        // Only a process that did not take the lock (connected to another admin database,
        // where advisory locks are other locks) can have renamed its copy first; then the
        // template is there, complete, and ours was not needed.
        if template_databases(admin)?.contains(&template) {
            return Ok(());
        }
    }
    renamed
}

// ---------------------------------------------------------------------------------------
// SQLite

/// Whether this process has seen the current SQLite template.
static SQLITE_TEMPLATE: Mutex<bool> = Mutex::new(false);

fn sqlite_templates_dir() -> PathBuf {
    std::env::temp_dir().join("signons-templates")
}

fn sqlite_template_path() -> PathBuf {
    sqlite_templates_dir().join(format!("sqlite-{MIGRATIONS_HASH}.db"))
}

fn copy_sqlite_template(to: &Path) -> anyhow::Result<()> {
    let template = sqlite_template_path();
    ensure_sqlite_template()?;
    match std::fs::copy(&template, to) {
        // As on PostgreSQL: a process of other migrations removed it; make it again, once.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            *SQLITE_TEMPLATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = false;
            ensure_sqlite_template()?;
            std::fs::copy(&template, to)
        }
        other => other,
    }
    .with_context(|| format!("cannot copy {} to {}", template.display(), to.display()))?;
    Ok(())
}

fn ensure_sqlite_template() -> anyhow::Result<()> {
    let mut known = SQLITE_TEMPLATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if *known {
        return Ok(());
    }
    let dir = sqlite_templates_dir();
    let template = sqlite_template_path();
    if !template.exists() {
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        // Built under a name of its own, then renamed: the rename is atomic, so another
        // process copies either no template or a whole one; two processes that both build
        // it rename identical files.
        let building = dir.join(format!("tmp-{}.db", uuid::Uuid::new_v4().simple()));
        let built = build_sqlite_template(&building);
        let renamed = built.and_then(|()| {
            std::fs::rename(&building, &template).with_context(|| format!("cannot rename to {}", template.display()))
        });
        if renamed.is_err() {
            remove_sqlite_files(&building);
        }
        renamed?;
        remove_stale_sqlite_templates(&dir, &template);
    }
    *known = true;
    Ok(())
}

fn build_sqlite_template(path: &Path) -> anyhow::Result<()> {
    // The same connection settings as the application's, so the copy is what it would make.
    let mut conn = DatabaseUrl::Sqlite(path.to_owned()).connect()?;
    migrate::run_pending(&mut conn).context("cannot migrate the SQLite template")?;
    // Everything into the main file: the copy takes only that file.
    conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?;
    drop(conn);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// Templates of other migrations, and half-built ones old enough that no live process is
/// still building them.
fn remove_stale_sqlite_templates(dir: &Path, current: &Path) {
    let Some(current_name) = current.file_name().and_then(|n| n.to_str()) else { return };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let entries: Vec<_> = entries.flatten().collect();
    // Templates of other migrations, the most recent first: the first few are kept.
    let mut others: Vec<(std::time::SystemTime, String)> = entries
        .iter()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let other = name.starts_with("sqlite-") && name.ends_with(".db") && !name.starts_with(current_name);
            if !other {
                return None;
            }
            Some((e.metadata().ok()?.modified().ok()?, name))
        })
        .collect();
    others.sort_by_key(|o| std::cmp::Reverse(o.0));
    let kept: Vec<&str> = others.iter().take(KEEP_TEMPLATES - 1).map(|(_, n)| n.as_str()).collect();
    for entry in entries {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let stale = if name.starts_with("sqlite-") {
            // The current template, with its `-wal` and `-shm` if a copy left them, and the
            // most recent others.
            !name.starts_with(current_name) && !kept.iter().any(|k| name.starts_with(k))
        } else if name.starts_with("tmp-") {
            let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
            age.is_some_and(|age| age > Duration::from_secs(3600))
        } else {
            false
        };
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_taken_apart() {
        let s = PgServer::parse("postgres://postgres@127.0.0.1:5432").unwrap();
        assert_eq!(s.url_of("x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(s.admin_db, "postgres");
        let s = PgServer::parse("postgres://u:p@h/admin?sslmode=disable").unwrap();
        assert_eq!(s.url_of("x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(s.admin_db, "admin");
    }

    #[test]
    fn copies_are_migrated() {
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            let (a, b) = (TempDatabase::new(backend), TempDatabase::new(backend));
            assert_ne!(a.url_string(), b.url_string());
            // `open` asserts that nothing was left to apply.
            let (_a, _b) = (a.open(), b.open());
        }
    }

    #[test]
    fn a_dropped_database_is_gone() {
        let temp = TempDatabase::new(TestBackend::Postgres);
        let name = temp.postgres_name().unwrap().to_owned();
        let server = PgServer::parse(&postgres_server_url()).unwrap();
        drop(temp);
        let mut admin = server.admin().unwrap();
        let left: Vec<DatabaseName> =
            diesel::sql_query(format!("SELECT datname FROM pg_database WHERE datname = '{name}'"))
                .load(&mut admin)
                .unwrap();
        assert!(left.is_empty(), "{name} is still there");
    }
}
