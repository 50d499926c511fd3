use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("a job's payload cannot be written: {0}")]
    Payload(String),
    /// The database stopped answering during the work (its connection was found dead).
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] DatabaseUnavailable),
    #[error("database task was cancelled")]
    Cancelled,
    /// The shared write transaction this work ran in was rolled back for a reason outside
    /// it (another statement broke the transaction, or the commit failed): nothing it
    /// wrote was kept.
    #[error("the write transaction was rolled back: {0}")]
    BatchAborted(String),
}

/// Why the database is taken for absent, as an error's cause. It is a cause of its own
/// (not only a `StoreError` variant) so that callers find it in an error's chain even
/// behind `#[error(transparent)]` wrappers, which hide the `StoreError` itself.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct DatabaseUnavailable(pub String);

impl StoreError {
    /// Whether this is the database's absence (down, restarting, unreachable, or every
    /// connection busy for too long) rather than a fault of the work itself: what callers
    /// answer "try again later" (HTTP 503), not "internal error".
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect(_) | StoreError::Pool(_) | StoreError::Unavailable(_) => true,
            StoreError::Query(e) => is_connection_lost(e),
            _ => false,
        }
    }
}

/// Whether one cause in an error's chain (`std::error::Error::source`, or anyhow's
/// `chain`) is the database's absence: a `StoreError` that says so, or what such a
/// `StoreError` holds (seen alone behind transparent wrappers).
pub fn is_unavailable_cause(cause: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return e.is_unavailable();
    }
    cause.is::<DatabaseUnavailable>()
        || cause.is::<diesel::r2d2::PoolError>()
        || cause.is::<diesel::ConnectionError>()
        || cause.downcast_ref::<diesel::result::Error>().is_some_and(is_connection_lost)
}

/// A diesel error that says the connection is gone (the server shut down or restarted).
fn is_connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match e {
        E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _) => true,
        E::RollbackErrorOnCommit { rollback_error, .. } => is_connection_lost(rollback_error),
        _ => false,
    }
}
