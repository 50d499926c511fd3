//! The state every request handler shares: configuration, database, caches, renderer,
//! rate limiters and the federation's configuration.

use crate::config::Config;
use crate::read_model::snapshot;
use governor::{DefaultKeyedRateLimiter, Quota};
use signons_render::Renderer;
use signons_signature::SigningContext;
use signons_store::Database;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Pages of the API's list kept in memory (a crawler walking every cursor cannot grow it
/// past this).
const API_LIST_PAGES: usize = 1_000;

/// Failed logins one account may have in `LOGIN_FAILURE_WINDOW`: enough for an owner who
/// mistypes, far too few to guess a password.
pub const LOGIN_FAILURES: usize = 5;
pub const LOGIN_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What every request handler shares.
pub struct AppState {
    pub config: Config,
    /// What the public sees of each petition, from memory (`read_model::snapshot`).
    pub snapshots: crate::read_model::snapshot::Snapshots,
    /// Petition pages rendered for every visitor, by slug and language.
    pub pages: crate::page_cache::PageCache<(String, &'static str)>,
    /// The home page's lists, kept as petition snapshots are (at most a second, then
    /// reloaded by one request), and the page rendered from them, by language.
    pub home: crate::cache::Cache<(), crate::read_model::lists::HomeLists>,
    pub home_pages: crate::page_cache::PageCache<&'static str>,
    /// Pages of the API's list of petitions, as sent (JSON), by cursor and page size.
    pub api_lists: crate::cache::Cache<(Option<crate::read_model::lists::Cursor>, i64), actix_web::web::Bytes>,
    pub db: Database,
    pub renderer: Renderer,
    pub signing: SigningContext,
    pub sign_limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    pub login_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Password changes and reset requests: each guesses a password or sends an email, so
    /// they are limited per address like logins, on a budget of their own.
    pub account_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Inbox requests per client address and per remote server (see `rate_limit::inbox`).
    pub inbox_limits: crate::rate_limit::InboxLimits,
    /// Failed logins per account (`LOGIN_FAILURES` in `LOGIN_FAILURE_WINDOW`), whatever
    /// the addresses they come from.
    pub login_failures: crate::rate_limit::LoginFailures,
    /// Where argon2 runs: a few at a time, off the async threads and the database.
    pub passwords: crate::passwords::PasswordChecks,
    /// The proof of work sign forms ask for, when the admin turned it on.
    pub proof_of_work: Option<crate::bots::ProofOfWork>,
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
        // Logins, and password changes and reset requests: ten a minute per address each.
        let ten_a_minute = || {
            let ten = NonZeroU32::MIN.saturating_add(9);
            Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(ten).allow_burst(ten)))
        };
        let (login_limiter, account_limiter) = (ten_a_minute(), ten_a_minute());
        let proof_of_work = config
            .proof_of_work_bits
            .map(|bits| crate::bots::ProofOfWork::new(signing.link_key.derive("proof-of-work"), bits));
        let inbox_limits = crate::rate_limit::InboxLimits::new(&config);
        let snapshots = crate::read_model::snapshot::Snapshots::new(renderer.maps().clone());
        AppState {
            inbox_limits,
            proof_of_work,
            account_limiter,
            login_failures: crate::rate_limit::LoginFailures::new(LOGIN_FAILURES, LOGIN_FAILURE_WINDOW),
            passwords: crate::passwords::PasswordChecks::per_core(),
            config,
            db,
            renderer,
            signing,
            sign_limiter,
            login_limiter,
            snapshots,
            pages: crate::page_cache::PageCache::new(2 * crate::read_model::snapshot::CAPACITY),
            home: crate::cache::Cache::new(snapshot::TTL, snapshot::STALE_GRACE, 1),
            home_pages: crate::page_cache::PageCache::new(signons_render::Locale::count()),
            api_lists: crate::cache::Cache::new(snapshot::TTL, snapshot::STALE_GRACE, API_LIST_PAGES),
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
        self.invalidate_lists();
    }

    /// The lists a petition may be on: the home page's and the API's.
    fn invalidate_lists(&self) {
        self.home.invalidate_all();
        self.home_pages.clear();
        self.api_lists.invalidate_all();
    }

    /// After petitions were changed in bulk (closed at their end date).
    pub fn invalidate_petitions(&self) {
        self.snapshots.invalidate_all();
        self.pages.clear();
        self.invalidate_lists();
    }

    /// Forgets rate-limit entries that have fully recovered, so memory stays bounded.
    pub fn trim_rate_limiters(&self) {
        if let Some(l) = &self.sign_limiter {
            l.retain_recent();
        }
        self.login_limiter.retain_recent();
        self.account_limiter.retain_recent();
        self.inbox_limits.trim();
        self.login_failures.trim();
        if let Some(pow) = &self.proof_of_work {
            pow.trim(chrono::Utc::now().timestamp());
        }
        self.signing.recipients.trim();
    }
}

impl AppState {
    /// The federation's shared data (database, our URLs).
    pub fn fed(&self) -> &signons_federation::FederationData {
        &self.federation
    }

    /// The admins' settings as last saved.
    pub fn settings(&self) -> Arc<signons_petition::settings::InstanceSettings> {
        self.fed().settings.get()
    }

    /// After the admins saved the settings: every page shows the instance's name.
    pub fn set_settings(&self, settings: signons_petition::settings::InstanceSettings) {
        self.fed().settings.set(settings);
        self.invalidate_petitions();
    }
}
