//! Migrations are embedded in the binary, one tree per backend, same names in both.

use crate::{DbConnection, StoreError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Applies every pending migration; returns the names of those it applied.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}
