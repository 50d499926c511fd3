//! Reads from memory: what the public sees of a petition (its data, count and recent
//! public signers) and its rendered page, so that a crowd reloading a petition costs a
//! lookup and a copy instead of queries and a template each.
//!
//! Correctness rules:
//! - A snapshot lives at most `TTL` (1 s), then one request reloads it while the others
//!   keep getting the previous one for at most `STALE_GRACE` more (no stampede on the
//!   database). A confirmed or withdrawn signature therefore shows within about a second,
//!   in every process sharing the database.
//! - Editing, publishing or closing a petition invalidates it at once in this process
//!   (`invalidate`); a load that started before the invalidation is not kept.
//! - Pages are cached per language, rendered with a random placeholder where the visitor's
//!   CSRF token goes; each response gets its own visitor's token spliced in, so no visitor
//!   ever sees another's. Those responses are `Cache-Control: private`: only the visitor's
//!   browser may keep them (and revalidate with its ETag, for a cheap 304). Counts and the
//!   API's petition JSON carry nothing personal: they are `public`, for reverse proxies.
//! - Logged-in organizers never get anything from here (see the callers).

use crate::error::AppError;
use crate::page::Visitor;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use signons_petition::{Petition, PetitionStatus};
use signons_signature::PublicSigner;
use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a snapshot is served before it is reloaded.
pub const TTL: Duration = Duration::from_secs(1);
/// How much longer an expired snapshot may be served while one request reloads it.
pub const STALE_GRACE: Duration = Duration::from_secs(2);
/// Petitions kept; past this, entries nobody is loading are dropped.
const CAPACITY: usize = 10_000;
/// How many recent public signers a petition page shows.
pub const RECENT_SIGNERS: i64 = 10;
/// How many of its latest news and milestones a petition page shows.
const RECENT_NEWS: i64 = 5;
/// `Cache-Control` of the public, personal-data-free JSON (counts, petitions).
pub const PUBLIC_JSON: &str = "public, max-age=1";
/// `Cache-Control` of cached pages: they carry the visitor's CSRF token, so only their
/// browser may keep them, and must revalidate (ETag) before reusing them.
pub const PRIVATE_PAGE: &str = "private, no-cache";

/// A loaded value and the version that names this load (for ETags and derived caches).
pub struct Loaded<V> {
    pub value: Arc<V>,
    pub version: u64,
}

impl<V> Clone for Loaded<V> {
    fn clone(&self) -> Self {
        Loaded { value: self.value.clone(), version: self.version }
    }
}

struct Cached<V> {
    loaded: Loaded<V>,
    at: Instant,
    generation: u64,
}

struct Slot<V> {
    /// Bumped by `invalidate`; a value loaded under an older generation is never served.
    generation: u64,
    value: Option<Cached<V>>,
    /// Held by the one request that loads this key (single flight).
    loading: Arc<tokio::sync::Mutex<()>>,
}

/// A keyed cache with a time to live, single-flight loading, stale-while-revalidate and
/// generation-checked invalidation.
pub struct Cache<V> {
    slots: Mutex<HashMap<String, Slot<V>>>,
    ttl: Duration,
    grace: Duration,
    capacity: usize,
    counter: AtomicU64,
}

impl<V> Cache<V> {
    pub fn new(ttl: Duration, grace: Duration, capacity: usize) -> Self {
        Cache { slots: Mutex::new(HashMap::new()), ttl, grace, capacity, counter: AtomicU64::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot<V>>> {
        // A panic while holding this lock cannot leave the map inconsistent (every update
        // is a single assignment), so a poisoned lock is still usable.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn new_slot(&self) -> Slot<V> {
        Slot { generation: self.next(), value: None, loading: Arc::new(tokio::sync::Mutex::new(())) }
    }

    /// The value of `key`: from memory if fresh; else loaded by `load`, by one caller at a
    /// time (the others wait for it, or get the expired value during the grace period).
    /// Errors are not cached.
    pub async fn get<E, Fut>(&self, key: &str, load: impl FnOnce() -> Fut) -> Result<Loaded<V>, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        let (loading, stale) = {
            let mut slots = self.lock();
            let slot = match slots.get(key) {
                Some(slot) => slot,
                None => slots.entry(key.to_owned()).or_insert_with(|| self.new_slot()),
            };
            let mut stale = None;
            if let Some(c) = slot.value.as_ref().filter(|c| c.generation == slot.generation) {
                let age = c.at.elapsed();
                if age < self.ttl {
                    return Ok(c.loaded.clone());
                }
                if age < self.ttl + self.grace {
                    stale = Some(c.loaded.clone());
                }
            }
            (slot.loading.clone(), stale)
        };
        let _guard = match stale {
            Some(stale) => match loading.try_lock_owned() {
                Ok(guard) => guard,
                Err(_) => return Ok(stale), // someone is reloading it
            },
            None => loading.lock_owned().await,
        };
        let generation = {
            let mut slots = self.lock();
            let slot = slots.entry(key.to_owned()).or_insert_with(|| self.new_slot());
            if let Some(c) = slot.value.as_ref().filter(|c| c.generation == slot.generation) {
                if c.at.elapsed() < self.ttl {
                    return Ok(c.loaded.clone()); // loaded while we waited
                }
            }
            slot.generation
        };
        let result = load().await;
        let mut slots = self.lock();
        match result {
            Ok(value) => {
                let loaded = Loaded { value: Arc::new(value), version: self.next() };
                // Kept only if nothing invalidated the key meanwhile.
                if let Some(slot) = slots.get_mut(key).filter(|s| s.generation == generation) {
                    slot.value = Some(Cached { loaded: loaded.clone(), at: Instant::now(), generation });
                }
                if slots.len() > self.capacity {
                    self.evict(&mut slots);
                }
                Ok(loaded)
            }
            Err(e) => {
                if slots.get(key).is_some_and(|s| s.value.is_none() && Arc::strong_count(&s.loading) <= 2) {
                    slots.remove(key);
                }
                Err(e)
            }
        }
    }

    /// Forgets `key`: the next request loads it again, and a load in flight is not kept.
    pub fn invalidate(&self, key: &str) {
        let generation = self.next();
        if let Some(slot) = self.lock().get_mut(key) {
            slot.generation = generation;
            slot.value = None;
        }
    }

    pub fn invalidate_all(&self) {
        let mut slots = self.lock();
        for slot in slots.values_mut() {
            slot.generation = self.next();
            slot.value = None;
        }
    }

    /// Drops expired entries nobody is loading; if that is not enough, every entry nobody
    /// is loading.
    fn evict(&self, slots: &mut HashMap<String, Slot<V>>) {
        let horizon = self.ttl + self.grace;
        let idle = |s: &Slot<V>| Arc::strong_count(&s.loading) == 1;
        slots.retain(|_, s| !idle(s) || s.value.as_ref().is_some_and(|c| c.at.elapsed() < horizon));
        if slots.len() > self.capacity {
            slots.retain(|_, s| !idle(s));
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What everyone sees of a petition.
pub struct PetitionSnapshot {
    pub petition: Petition,
    pub count: i64,
    pub signers: Vec<PublicSigner>,
    /// Its latest news and milestones (what its followers received).
    pub news: Vec<crate::view::NewsView>,
}

impl PetitionSnapshot {
    /// Reads it from the database (no cache).
    pub async fn load(state: &AppState, slug: &str) -> Result<Self, AppError> {
        let slug = slug.to_owned();
        state
            .db
            .read_async(move |conn| -> Result<_, AppError> {
                let petition = signons_petition::petition::find(conn, &slug)?;
                if petition.status == signons_petition::PetitionStatus::Removed {
                    return Err(AppError::Gone);
                }
                let count = signons_signature::counts::total(conn, &petition.id)?;
                let signers = signons_signature::signing::recent_public(conn, &petition.id, RECENT_SIGNERS)?;
                let own = signons_federation::LocalRef::Petition(petition.slug.clone());
                let posts = signons_federation::posts::posts_by(conn, &own, RECENT_NEWS)?;
                let news = posts.into_iter().map(|p| crate::view::NewsView::new(p.body_html, p.created_at)).collect();
                Ok(PetitionSnapshot { petition, count, signers, news })
            })
            .await
    }
}

/// A page rendered for every visitor of one language: the HTML split where the visitor's
/// CSRF token goes.
struct CachedPage {
    /// The snapshot version it was rendered from.
    version: u64,
    parts: Vec<Bytes>,
    /// A hash of the HTML (with the placeholder), for the ETag.
    tag: u64,
}

/// The application's read cache.
pub struct ReadCache {
    petitions: Cache<PetitionSnapshot>,
    pages: Mutex<HashMap<(String, &'static str), Arc<CachedPage>>>,
    /// Stands for the CSRF token in cached pages: random per process, so no text of a
    /// petition can contain it.
    placeholder: String,
}

impl Default for ReadCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadCache {
    pub fn new() -> Self {
        ReadCache {
            petitions: Cache::new(TTL, STALE_GRACE, CAPACITY),
            pages: Mutex::new(HashMap::new()),
            placeholder: format!("csrf{}", signons_store::Token::generate().hash().as_str()),
        }
    }

    /// The petition as the public sees it (drafts included: callers decide who sees them).
    pub async fn petition(&self, state: &AppState, slug: &str) -> Result<Loaded<PetitionSnapshot>, AppError> {
        self.petitions.get(slug, || PetitionSnapshot::load(state, slug)).await
    }

    /// After a petition was edited, published or closed.
    pub fn invalidate(&self, slug: &str) {
        self.petitions.invalidate(slug);
        self.pages().retain(|(s, _), _| s != slug);
    }

    /// After petitions were changed in bulk (closed at their end date).
    pub fn invalidate_all(&self) {
        self.petitions.invalidate_all();
        self.pages().clear();
    }

    fn pages(&self) -> MutexGuard<'_, HashMap<(String, &'static str), Arc<CachedPage>>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `GET /p/{slug}` for a visitor who is not logged in.
    pub async fn petition_page(
        &self,
        state: &AppState,
        visitor: &Visitor,
        req: &HttpRequest,
        slug: &str,
    ) -> Result<HttpResponse, AppError> {
        debug_assert!(visitor.organizer.is_none());
        let snapshot = self.petition(state, slug).await?;
        if snapshot.value.petition.status == PetitionStatus::Draft {
            return Err(AppError::NotFound);
        }
        let key = (snapshot.value.petition.slug.clone(), visitor.locale.code());
        let cached = self.pages().get(&key).filter(|p| p.version == snapshot.version).cloned();
        let page = match cached {
            Some(page) => page,
            None => {
                let page = Arc::new(self.render(state, visitor, &snapshot)?);
                let mut pages = self.pages();
                if pages.len() > 2 * CAPACITY {
                    pages.clear();
                }
                // A newer render (from a newer snapshot) wins.
                if pages.get(&key).is_none_or(|p| p.version < page.version) {
                    pages.insert(key, page.clone());
                }
                page
            }
        };
        Ok(serve_page(visitor, req, &page))
    }

    fn render(
        &self,
        state: &AppState,
        visitor: &Visitor,
        snapshot: &Loaded<PetitionSnapshot>,
    ) -> Result<CachedPage, AppError> {
        let s = &snapshot.value;
        let mut context = crate::routes::public::petition_context(state, visitor.locale, s, false, None);
        let path = format!("/p/{}", s.petition.slug);
        visitor.fill_context(state, &mut context, &self.placeholder, &path);
        let html = state.renderer.render("petition.html", visitor.locale, &context).map_err(AppError::internal)?;
        Ok(CachedPage {
            version: snapshot.version,
            tag: hash_of(html.as_bytes()),
            parts: html.split(self.placeholder.as_str()).map(|p| Bytes::copy_from_slice(p.as_bytes())).collect(),
        })
    }
}

fn serve_page(visitor: &Visitor, req: &HttpRequest, page: &CachedPage) -> HttpResponse {
    // The body differs per visitor (their token), so the ETag does too.
    let etag = format!("\"p{:016x}{:08x}\"", page.tag, hash_of(visitor.csrf.as_bytes()) as u32);
    if !visitor.csrf_is_new() && if_none_match(req, &etag) {
        return not_modified(&etag, PRIVATE_PAGE, Some("Accept-Language, Cookie"));
    }
    let token = visitor.csrf.as_bytes();
    let len = page.parts.iter().map(|p| p.len()).sum::<usize>() + token.len() * page.parts.len();
    let mut body = Vec::with_capacity(len);
    for (i, part) in page.parts.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(token);
        }
        body.extend_from_slice(part);
    }
    visitor.html_response(StatusCode::OK, PRIVATE_PAGE).insert_header((header::ETAG, etag)).body(body)
}

/// A JSON body that anyone may cache (nothing personal in it), with its ETag; 304 when
/// the client already has it.
pub fn public_json(req: &HttpRequest, body: Vec<u8>) -> HttpResponse {
    let etag = format!("\"j{:016x}\"", hash_of(&body));
    if if_none_match(req, &etag) {
        return not_modified(&etag, PUBLIC_JSON, None);
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_JSON))
        .body(body)
}

fn not_modified(etag: &str, cache_control: &'static str, vary: Option<&'static str>) -> HttpResponse {
    let mut response = HttpResponse::NotModified();
    response.insert_header((header::ETAG, etag.to_owned())).insert_header((header::CACHE_CONTROL, cache_control));
    if let Some(vary) = vary {
        response.insert_header((header::VARY, vary));
    }
    response.finish()
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for GET).
pub fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers().get_all(header::IF_NONE_MATCH).filter_map(|v: &HeaderValue| v.to_str().ok()).any(|v| {
        v.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
    })
}

fn hash_of(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn counting_loader(calls: &Arc<AtomicUsize>, value: &'static str) -> impl Future<Output = Result<String, ()>> {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(value.to_owned())
        }
    }

    #[tokio::test]
    async fn serves_from_memory_until_it_expires() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cache: Cache<String> = Cache::new(Duration::from_secs(3600), Duration::ZERO, 10);
        for _ in 0..5 {
            let v = cache.get("a", || counting_loader(&calls, "one")).await.unwrap();
            assert_eq!(*v.value, "one");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "loaded once, then served from memory");

        let expired: Cache<String> = Cache::new(Duration::ZERO, Duration::ZERO, 10);
        expired.get("a", || counting_loader(&calls, "one")).await.unwrap();
        let v = expired.get("a", || counting_loader(&calls, "two")).await.unwrap();
        assert_eq!(*v.value, "two", "an expired value is reloaded");
    }

    #[tokio::test]
    async fn invalidation_reloads_at_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cache: Cache<String> = Cache::new(Duration::from_secs(3600), Duration::from_secs(3600), 10);
        let first = cache.get("a", || counting_loader(&calls, "before")).await.unwrap();
        cache.get("b", || counting_loader(&calls, "other")).await.unwrap();
        cache.invalidate("a");
        let second = cache.get("a", || counting_loader(&calls, "after")).await.unwrap();
        assert_eq!(*second.value, "after", "never the invalidated value, even within the grace period");
        assert_ne!(first.version, second.version);
        assert_eq!(*cache.get("b", || counting_loader(&calls, "x")).await.unwrap().value, "other", "other keys kept");
        cache.invalidate_all();
        assert_eq!(*cache.get("b", || counting_loader(&calls, "new")).await.unwrap().value, "new");
    }

    #[tokio::test]
    async fn a_load_overtaken_by_an_invalidation_is_not_kept() {
        let cache: Arc<Cache<String>> = Arc::new(Cache::new(Duration::from_secs(3600), Duration::ZERO, 10));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let c = cache.clone();
        let slow = tokio::spawn(async move {
            c.get("a", || async move {
                let _ = started_tx.send(());
                let _ = release_rx.await;
                Ok::<_, ()>("read before the edit".to_owned())
            })
            .await
        });
        started_rx.await.unwrap();
        cache.invalidate("a"); // the edit commits while the old read is in flight
        release_tx.send(()).unwrap();
        assert_eq!(*slow.await.unwrap().unwrap().value, "read before the edit");
        let calls = Arc::new(AtomicUsize::new(0));
        let v = cache.get("a", || counting_loader(&calls, "read after the edit")).await.unwrap();
        assert_eq!(*v.value, "read after the edit");
    }

    #[tokio::test]
    async fn one_load_for_many_concurrent_readers() {
        let cache: Arc<Cache<String>> = Arc::new(Cache::new(Duration::from_secs(3600), Duration::ZERO, 10));
        let calls = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = tokio::sync::watch::channel(false);
        let mut readers = Vec::new();
        for _ in 0..20 {
            let (cache, calls, mut release) = (cache.clone(), calls.clone(), release_rx.clone());
            readers.push(tokio::spawn(async move {
                cache
                    .get("a", || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        let _ = release.wait_for(|go| *go).await;
                        Ok::<_, ()>("v".to_owned())
                    })
                    .await
                    .unwrap()
            }));
        }
        tokio::task::yield_now().await;
        release_tx.send(true).unwrap();
        for r in readers {
            assert_eq!(*r.await.unwrap().value, "v");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "single flight");
    }

    #[tokio::test]
    async fn expired_values_are_served_while_one_request_reloads() {
        let cache: Arc<Cache<String>> = Arc::new(Cache::new(Duration::ZERO, Duration::from_secs(3600), 10));
        cache.get("a", || async { Ok::<_, ()>("old".to_owned()) }).await.unwrap();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let c = cache.clone();
        let reloader = tokio::spawn(async move {
            c.get("a", || async move {
                let _ = started_tx.send(());
                let _ = release_rx.await;
                Ok::<_, ()>("new".to_owned())
            })
            .await
        });
        started_rx.await.unwrap();
        let during = cache.get("a", || async { Ok::<_, ()>("unexpected second load".to_owned()) }).await.unwrap();
        assert_eq!(*during.value, "old");
        release_tx.send(()).unwrap();
        assert_eq!(*reloader.await.unwrap().unwrap().value, "new");
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_memory_is_bounded() {
        let cache: Cache<String> = Cache::new(Duration::from_secs(3600), Duration::ZERO, 3);
        assert!(cache.get("missing", || async { Err::<String, _>("not found") }).await.is_err());
        assert!(cache.is_empty(), "a failed load leaves nothing behind");
        let v = cache.get("missing", || async { Ok::<_, &str>("now it exists".to_owned()) }).await.unwrap();
        assert_eq!(*v.value, "now it exists");
        for i in 0..10 {
            let key = format!("k{i}");
            cache.get(&key, || async { Ok::<_, ()>("v".to_owned()) }).await.unwrap();
            cache.invalidate(&key);
        }
        assert!(cache.len() <= 4, "{} entries kept", cache.len());
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let req =
            |v: &str| actix_web::test::TestRequest::get().insert_header((header::IF_NONE_MATCH, v)).to_http_request();
        assert!(if_none_match(&req("\"a\""), "\"a\""));
        assert!(if_none_match(&req("\"x\", W/\"a\""), "\"a\""));
        assert!(if_none_match(&req("*"), "\"a\""));
        assert!(!if_none_match(&req("\"b\""), "\"a\""));
        assert!(!if_none_match(&actix_web::test::TestRequest::get().to_http_request(), "\"a\""));
    }
}

/// The read cache inside the application: pages, tokens, headers and invalidation.
#[cfg(test)]
mod app_tests {
    use super::*;
    use crate::config::RawConfig;
    use actix_web::dev::Payload;
    use actix_web::{test::TestRequest, web, FromRequest};
    use signons_petition::{petition, PetitionInput};
    use signons_store::testing::{TempDatabase, TestBackend};

    struct Setup {
        state: web::Data<AppState>,
        slug: String,
        organizer: signons_petition::Organizer,
        _db: TempDatabase,
    }

    async fn setup() -> Setup {
        let temp = TempDatabase::new(TestBackend::Sqlite);
        let db = temp.open();
        let (organizer, petition) = db.write(signons_petition::testing::sample_petition).unwrap();
        let slug = petition.slug;
        let config = RawConfig { database_url: Some(temp.url_string()), ..RawConfig::default() }.validate().unwrap();
        let renderer = signons_render::Renderer::new().unwrap();
        let signing = signons_signature::SigningContext {
            renderer: renderer.clone(),
            queue: signons_mail::MailQueue::new(),
            public_url: config.public_url.clone(),
            confirm_ttl: chrono::TimeDelta::hours(1),
            pg_batch: Default::default(),
        };
        let federation = crate::federate::configure(&config, &db).await.unwrap();
        let state = web::Data::new(AppState::new(config, db, renderer, signing, federation));
        Setup { state, slug, organizer, _db: temp }
    }

    /// A GET of the petition page by a visitor with these cookies and headers.
    async fn get_page(s: &Setup, csrf: Option<&str>, headers: &[(&str, &str)]) -> HttpResponse {
        let mut req = TestRequest::get().uri(&format!("/p/{}", s.slug)).app_data(s.state.clone());
        if let Some(token) = csrf {
            req = req.cookie(actix_web::cookie::Cookie::new(crate::page::CSRF_COOKIE, token.to_owned()));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let req = req.to_http_request();
        let visitor = Visitor::from_request(&req, &mut Payload::None).await.unwrap();
        s.state.cache.petition_page(&s.state, &visitor, &req, &s.slug).await.unwrap()
    }

    async fn body(response: HttpResponse) -> String {
        let bytes = actix_web::body::to_bytes(response.into_body()).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn header(response: &HttpResponse, name: &str) -> Option<String> {
        response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    #[tokio::test]
    async fn every_visitor_gets_their_own_token_in_the_cached_page() {
        let s = setup().await;
        let (alice, bob) = (signons_store::Token::generate(), signons_store::Token::generate());
        let a = get_page(&s, Some(alice.expose()), &[]).await;
        assert_eq!(a.status(), StatusCode::OK);
        assert_eq!(header(&a, "cache-control").as_deref(), Some(PRIVATE_PAGE));
        assert!(header(&a, "set-cookie").is_none(), "a known visitor keeps their cookie");
        let a = body(a).await;
        let b = body(get_page(&s, Some(bob.expose()), &[]).await).await;
        assert!(a.contains(alice.expose()) && !a.contains(bob.expose()));
        assert!(b.contains(bob.expose()) && !b.contains(alice.expose()));
        assert!(!a.contains(&s.state.cache.placeholder) && !b.contains(&s.state.cache.placeholder));
        assert_eq!(a.replace(alice.expose(), "T"), b.replace(bob.expose(), "T"), "otherwise the same page");

        // A first visit: a new token, set as the cookie and used in the form.
        let first = get_page(&s, None, &[]).await;
        let cookie = header(&first, "set-cookie").expect("a CSRF cookie on the first visit");
        let token = cookie.trim_start_matches("signons_csrf=").split(';').next().unwrap().to_owned();
        let page = body(first).await;
        assert!(page.contains(&format!("value=\"{token}\"")));
        assert!(!page.contains(alice.expose()) && !page.contains(bob.expose()));
    }

    #[tokio::test]
    async fn pages_are_cached_per_language() {
        let s = setup().await;
        let token = signons_store::Token::generate();
        let en = body(get_page(&s, Some(token.expose()), &[("accept-language", "en")]).await).await;
        let fr = body(get_page(&s, Some(token.expose()), &[("accept-language", "fr-FR,fr")]).await).await;
        assert!(en.contains("<html lang=\"en\""), "{en}");
        assert!(fr.contains("<html lang=\"fr\""), "{fr}");
        let en_again = body(get_page(&s, Some(token.expose()), &[("accept-language", "en")]).await).await;
        assert_eq!(en, en_again);
    }

    #[tokio::test]
    async fn etags_give_304_and_change_with_the_visitor_and_the_page() {
        let s = setup().await;
        let token = signons_store::Token::generate();
        let first = get_page(&s, Some(token.expose()), &[]).await;
        let etag = header(&first, "etag").expect("an ETag");
        let again = get_page(&s, Some(token.expose()), &[("if-none-match", etag.as_str())]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&again, "etag").as_deref(), Some(etag.as_str()));
        assert!(body(again).await.is_empty());

        let other = signons_store::Token::generate();
        let other_page = get_page(&s, Some(other.expose()), &[("if-none-match", etag.as_str())]).await;
        assert_eq!(other_page.status(), StatusCode::OK, "another visitor's ETag is not theirs");

        // The organizer closes the petition: the page changes at once.
        let (state, slug, organizer) = (s.state.clone(), s.slug.clone(), s.organizer.clone());
        state.db.write(|conn| petition::close(conn, &organizer, &slug)).unwrap();
        state.cache.invalidate(&s.slug);
        let after = get_page(&s, Some(token.expose()), &[("if-none-match", etag.as_str())]).await;
        assert_eq!(after.status(), StatusCode::OK);
        assert_ne!(header(&after, "etag").as_deref(), Some(etag.as_str()));
        assert!(!body(after).await.contains("name=\"email\""), "a closed petition has no sign form");
    }

    #[tokio::test]
    async fn drafts_are_not_found_and_counts_follow_invalidation() {
        let s = setup().await;
        let snapshot = s.state.cache.petition(&s.state, &s.slug).await.unwrap();
        assert_eq!(snapshot.value.count, 0);
        // Counted signatures appear once the cache is invalidated (or after `TTL`).
        let id = snapshot.value.petition.id.clone();
        s.state.db.write(|conn| signons_signature::counts::add(conn, &id, 3).map_err(AppError::from)).unwrap();
        s.state.cache.invalidate(&s.slug);
        assert_eq!(s.state.cache.petition(&s.state, &s.slug).await.unwrap().value.count, 3);

        let draft_slug = s
            .state
            .db
            .write(|conn| -> Result<String, signons_petition::PetitionError> {
                let input = PetitionInput {
                    title: "A draft".into(),
                    target: "Someone".into(),
                    description: "Not published yet, still being written.".into(),
                    goal: "10".into(),
                    ..Default::default()
                };
                let valid = input
                    .validate(chrono::Utc::now().date_naive())
                    .map_err(signons_petition::PetitionError::Invalid)?;
                Ok(petition::create(conn, &s.organizer, valid, false)?.slug)
            })
            .unwrap();
        let req = TestRequest::get().app_data(s.state.clone()).to_http_request();
        let visitor = Visitor::from_request(&req, &mut Payload::None).await.unwrap();
        let result = s.state.cache.petition_page(&s.state, &visitor, &req, &draft_slug).await;
        assert!(matches!(result, Err(AppError::NotFound)));
    }

    #[test]
    fn public_json_has_an_etag_and_answers_304() {
        let req = TestRequest::get().to_http_request();
        let r = public_json(&req, br#"{"total_signatures":7}"#.to_vec());
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "cache-control").as_deref(), Some(PUBLIC_JSON));
        let etag = header(&r, "etag").unwrap();
        let req = TestRequest::get().insert_header(("if-none-match", etag.as_str())).to_http_request();
        assert_eq!(public_json(&req, br#"{"total_signatures":7}"#.to_vec()).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(public_json(&req, br#"{"total_signatures":8}"#.to_vec()).status(), StatusCode::OK);
    }
}
