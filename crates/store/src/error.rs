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
    #[error("database task was cancelled")]
    Cancelled,
    /// The shared write transaction this work ran in was rolled back for a reason outside
    /// it (another statement broke the transaction, or the commit failed): nothing it
    /// wrote was kept.
    #[error("the write transaction was rolled back: {0}")]
    BatchAborted(String),
}
