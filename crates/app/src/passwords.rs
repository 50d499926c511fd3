//! Where argon2 runs: on blocking threads, a few at a time, never while a database
//! connection is held. A login reads the hash, gives the connection back, then waits here
//! for its turn; so a crowd of logins (honest or not) queues behind a small semaphore
//! instead of holding the pool that every page needs.

use crate::error::AppError;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordChecks {
    /// One permit per core: argon2 is CPU-bound, more at once would only slow each.
    permits: Arc<Semaphore>,
}

impl PasswordChecks {
    pub fn new(at_once: usize) -> Self {
        PasswordChecks { permits: Arc::new(Semaphore::new(at_once.max(1))) }
    }

    /// One per core of the machine.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    }

    /// Runs `check` (an argon2 hash or verification) on a blocking thread once a permit is
    /// free.
    pub async fn run<T: Send + 'static>(&self, check: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(check).await.map_err(AppError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn no_more_than_the_permits_run_at_once() {
        let checks = PasswordChecks::new(2);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (checks, running, most) = (checks.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    checks
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                            i
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap());
        }
        assert_eq!(done, (0..8).collect::<Vec<_>>());
        assert!(most.load(Ordering::SeqCst) <= 2, "at most two at once");
    }
}
