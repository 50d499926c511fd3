//! The SQLite/PostgreSQL split, written once. Most queries go through the
//! `MultiConnection` enum as they are; two kinds do not: upserts (`ON CONFLICT`, which
//! diesel 2.3 implements per backend, not for the enum) and row locks (`FOR UPDATE SKIP
//! LOCKED`, which SQLite has no syntax for). These macros expand to the `match` on the
//! inner connection, so a call site writes its query once.

/// Runs the same diesel expression on whichever inner connection `conn` holds: `c` is a
/// `&mut PgConnection` in one arm and a `&mut SqliteConnection` in the other. For what only
/// the per-backend connections implement, such as upserts:
///
/// ```ignore
/// signons_store::on_each_backend!(conn, |c| diesel::insert_into(t::table)
///     .values(row)
///     .on_conflict(t::id)
///     .do_nothing()
///     .execute(c))?;
/// ```
#[macro_export]
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Pg($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Loads the rows of `query`, locking them `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that
/// several processes claiming from one table each get different rows; plainly on SQLite,
/// where the one writer already serializes every write transaction (and SQLite has no row
/// locks). Run it in a write transaction.
#[macro_export]
macro_rules! load_skip_locked {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::DbConnection::Pg(c) => $query.for_update().skip_locked().load(c),
            $crate::DbConnection::Sqlite(c) => $query.load(c),
        }
    };
}
