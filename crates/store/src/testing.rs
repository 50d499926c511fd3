//! Throw-away databases for tests (feature `testing`): a fresh SQLite file in a temp folder,
//! or a fresh PostgreSQL database dropped when the handle is dropped, even after a failed
//! assertion. PostgreSQL is reached at `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432`); if it is down the test fails, it is not skipped.

use crate::{Database, DatabaseUrl};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub fn postgres_server_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database that exists for the life of this value.
pub struct TempDatabase {
    pub url: DatabaseUrl,
    /// A folder for the test's files (the SQLite database, an outbox, …).
    pub dir: PathBuf,
    pg_name: Option<String>,
}

impl TempDatabase {
    pub fn new(backend: TestBackend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("signons-test-{id}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        match backend {
            TestBackend::Sqlite => {
                let url = DatabaseUrl::Sqlite(dir.join("signons.db"));
                TempDatabase { url, dir, pg_name: None }
            }
            TestBackend::Postgres => {
                let name = format!("signons_test_{id}");
                let mut admin = PgConnection::establish(&format!("{}/postgres", postgres_server_url()))
                    .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at {}: {e}", postgres_server_url()));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
                let url = DatabaseUrl::Postgres(format!("{}/{name}", postgres_server_url()));
                TempDatabase { url, dir, pg_name: Some(name) }
            }
        }
    }

    /// Connects and migrates.
    pub fn open(&self) -> Database {
        let db = Database::connect(&self.url, 4).unwrap_or_else(|e| panic!("cannot open {:?}: {e}", self.url));
        db.migrate().unwrap_or_else(|e| panic!("cannot migrate: {e}"));
        db
    }

    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut admin) = PgConnection::establish(&format!("{}/postgres", postgres_server_url())) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
