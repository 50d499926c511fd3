//! Storage for Signons: the one diesel schema, a connection that is either PostgreSQL or
//! SQLite (chosen from the database URL at run time), the pool and the SQLite group-commit
//! writer, embedded migrations, the portable column types (ids, token hashes, text-backed
//! enums) the domain crates share, and the one background-job queue (`jobs`, `runner`)
//! that email and federation delivery both run on.

pub mod database;
mod each_backend;
pub mod error;
pub mod id;
pub mod jobs;
pub mod migrate;
pub mod runner;
pub mod schema;
pub mod secret;
mod text_enum;
pub mod token;

pub use database::{Backend, Database, DatabaseUrl, DbConnection};
pub use error::StoreError;
pub use id::Id;
pub use secret::Secret;
pub use token::{Token, TokenHash};

/// The current time, truncated to microseconds so that both backends store and return
/// exactly the same value (PostgreSQL keeps microseconds, SQLite keeps what it is given).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(now)
}

#[cfg(feature = "testing")]
pub mod testing;
