use crate::config::Config;
use governor::{DefaultKeyedRateLimiter, Quota};
use signons_render::Renderer;
use signons_signature::SigningContext;
use signons_store::Database;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// What every request handler shares.
pub struct AppState {
    pub config: Config,
    /// Public petition data and pages, served from memory (`cache.rs`).
    pub cache: crate::cache::ReadCache,
    pub db: Database,
    pub renderer: Renderer,
    pub signing: SigningContext,
    pub sign_limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    pub login_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// ActivityPub: the library's configuration, which holds our `FederationData`.
    pub federation: signons_federation::context::Config,
    /// Cancelled when the application stops: background tasks end.
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl AppState {
    pub fn new(
        config: Config,
        db: Database,
        renderer: Renderer,
        signing: SigningContext,
        federation: signons_federation::context::Config,
    ) -> Self {
        let sign_limiter = NonZeroU32::new(config.sign_rate_per_ip_per_hour).map(|per_hour| {
            let burst = NonZeroU32::new(per_hour.get().div_ceil(3)).unwrap_or(per_hour);
            Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_hour(per_hour).allow_burst(burst)))
        });
        let login_limiter = Arc::new(DefaultKeyedRateLimiter::keyed(
            Quota::per_minute(NonZeroU32::MIN.saturating_add(9)).allow_burst(NonZeroU32::MIN.saturating_add(9)),
        ));
        AppState {
            config,
            db,
            renderer,
            signing,
            sign_limiter,
            login_limiter,
            cache: crate::cache::ReadCache::new(),
            federation,
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Forgets rate-limit entries that have fully recovered, so memory stays bounded.
    pub fn trim_rate_limiters(&self) {
        if let Some(l) = &self.sign_limiter {
            l.retain_recent();
        }
        self.login_limiter.retain_recent();
    }
}

impl AppState {
    /// The federation's shared data (database, our URLs).
    pub fn fed(&self) -> &signons_federation::FederationData {
        &self.federation
    }
}
