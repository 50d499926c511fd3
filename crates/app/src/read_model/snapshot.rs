//! What everyone sees of a petition (its data, count, recent public signers and news),
//! and the in-memory cache of it that pages, the API and signing read.
//!
//! A snapshot is served for at most `TTL` (1 s), then one request reloads it while the
//! others keep the previous one for at most `STALE_GRACE` more: a confirmed or withdrawn
//! signature therefore shows within about a second, in every process sharing the
//! database. Editing, publishing or closing a petition invalidates it at once in this
//! process. Logged-in organizers never read from here (see the callers).

use crate::cache::{Cache, Loaded};
use crate::error::AppError;
use crate::read_model::views::NewsView;
use signons_petition::{Petition, PetitionStatus};
use signons_render::map::{Breakdowns, Maps};
use signons_signature::PublicSigner;
use signons_store::Database;
use std::sync::Arc;
use std::time::Duration;

/// How long a snapshot is served before it is reloaded.
pub const TTL: Duration = Duration::from_secs(1);
/// How much longer an expired snapshot may be served while one request reloads it.
pub const STALE_GRACE: Duration = Duration::from_secs(2);
/// Petitions kept; past this, entries nobody is loading are dropped.
pub const CAPACITY: usize = 10_000;
/// How many recent public signers a petition page shows.
pub const RECENT_SIGNERS: i64 = 10;
/// On the public page, a postal area with fewer signatures than this is counted under
/// "other" instead of being shown: a département holding one or two signatures (next to
/// the recent signers' names) would single out where those signers live. Countries are
/// shown whatever their count: a country is too large to point at anyone. Organizers see
/// every cell on the insight page (they hold the list of signers anyway).
pub const PUBLIC_MIN_CELL: i64 = 3;
/// How many of its latest news and milestones a petition page shows.
const RECENT_NEWS: i64 = 5;

/// What everyone sees of a petition.
pub struct PetitionSnapshot {
    pub petition: Petition,
    pub count: i64,
    /// The part of `count` other instances collected, by host.
    pub by_origin: Vec<(String, i64)>,
    pub signers: Vec<PublicSigner>,
    /// Its latest news and milestones (what its followers received).
    pub news: Vec<NewsView>,
    /// The decision maker's response, shown at the top of its page.
    pub response: Option<signons_petition::response::Response>,
    /// Its signatures by country and by département, when it asks for them (the public
    /// page's maps: counted here, once per snapshot, not per request).
    pub places: Breakdowns,
    /// Its organization's logo, shown beside the organization's name (changing it drops
    /// every snapshot: `AppState::invalidate_petitions`).
    pub logo: Option<signons_petition::logo::Logo>,
}

impl PetitionSnapshot {
    /// Reads it from the database (no cache). Removed petitions are `Gone`, hidden ones
    /// `Hidden` (with the moderators' reason: the page, the API and signing refuse them
    /// alike); drafts are
    /// returned: callers decide who sees them.
    pub async fn load(db: &Database, maps: &Arc<Maps>, slug: &str) -> Result<Self, AppError> {
        let slug = slug.to_owned();
        let maps = maps.clone();
        db.read_async(move |conn| -> Result<_, AppError> {
            let petition = signons_petition::petition::find(conn, &slug)?;
            if petition.status == PetitionStatus::Removed {
                return Err(AppError::Gone);
            }
            if petition.status == PetitionStatus::Hidden {
                return Err(AppError::Hidden(petition.hidden_reason.unwrap_or_default()));
            }
            let (count, by_origin) = signons_signature::counts::total_by_origin(conn, &petition.id)?;
            let signers = signons_signature::signing::recent_public(conn, &petition.id, RECENT_SIGNERS)?;
            let own = signons_federation::LocalRef::Petition(petition.slug.clone());
            let posts = signons_federation::posts::posts_by(conn, &own, RECENT_NEWS)?;
            let news = posts.into_iter().map(|p| NewsView::new(p.body_html, p.created_at)).collect();
            let response = signons_petition::response::of(conn, &petition.id)?;
            let places = if count > 0 && (petition.ask_country || petition.ask_postal_code) {
                let groups = crate::read_model::insight::places(conn, &petition)?;
                maps.breakdowns(&groups, petition.ask_country, petition.ask_postal_code, PUBLIC_MIN_CELL)
            } else {
                Breakdowns::default()
            };
            let logo = signons_petition::logo::of(conn, &petition.organization.id)?;
            Ok(PetitionSnapshot { petition, count, by_origin, signers, news, response, places, logo })
        })
        .await
    }
}

/// Snapshots by slug, from memory.
pub struct Snapshots {
    cache: Cache<String, PetitionSnapshot>,
    maps: Arc<Maps>,
}

impl Snapshots {
    pub fn new(maps: Arc<Maps>) -> Self {
        Snapshots { cache: Cache::new(TTL, STALE_GRACE, CAPACITY), maps }
    }

    /// The petition as the public sees it (drafts included: callers decide who sees
    /// them), with the version of this load (for ETags and pages rendered from it).
    pub async fn get(&self, db: &Database, slug: &str) -> Result<Loaded<PetitionSnapshot>, AppError> {
        self.cache.get(slug, || PetitionSnapshot::load(db, &self.maps, slug)).await
    }

    /// A published petition: drafts are not found.
    pub async fn published(&self, db: &Database, slug: &str) -> Result<Loaded<PetitionSnapshot>, AppError> {
        let snapshot = self.get(db, slug).await?;
        if snapshot.value.petition.is_unpublished() {
            return Err(AppError::NotFound);
        }
        Ok(snapshot)
    }

    /// After a petition was edited, published or closed.
    pub fn invalidate(&self, slug: &str) {
        self.cache.invalidate(slug);
    }

    /// After petitions were changed in bulk (closed at their end date).
    pub fn invalidate_all(&self) {
        self.cache.invalidate_all();
    }
}
