//! The state every request handler shares: configuration, database, caches, renderer,
//! rate limiters and the federation's configuration.

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
    /// What the public sees of each petition, from memory (`read_model::snapshot`).
    pub snapshots: crate::read_model::snapshot::Snapshots,
    /// Petition pages rendered for every visitor, by slug and language.
    pub pages: crate::page_cache::PageCache<(String, &'static str)>,
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
            snapshots: crate::read_model::snapshot::Snapshots::new(),
            pages: crate::page_cache::PageCache::new(2 * crate::read_model::snapshot::CAPACITY),
            federation,
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// After a petition was edited, published or closed: its snapshot and pages are
    /// reloaded at the next request (pages also follow their snapshot's version; dropping
    /// them here frees the memory at once).
    pub fn invalidate_petition(&self, slug: &str) {
        self.snapshots.invalidate(slug);
        self.pages.retain(|(s, _)| s != slug);
    }

    /// After petitions were changed in bulk (closed at their end date).
    pub fn invalidate_petitions(&self) {
        self.snapshots.invalidate_all();
        self.pages.clear();
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
