//! Lists of petitions: the home page's, an organization's (its page and its organizers'
//! dashboard), the JSON API's, a keyset page at a time, each with its counts, and the
//! listing page's, where the petitions of the instances this one follows are searched too.

use crate::error::AppError;
use crate::read_model::api_petition::ApiPetition;
use crate::read_model::views::{ListedPetition, PetitionView, RemotePetitionView};
use diesel::prelude::*;
use signons_federation::follows::FollowState;
use signons_federation::remote::RemotePetition;
use signons_petition::{petition, Organization, Petition, PetitionStatus};
use signons_store::schema::{ap_following, petitions, remote_petitions};
use signons_store::{Database, DbConnection, Id};
use std::collections::HashMap;

/// How many petitions each list of the home page shows.
const HOME_NEWEST: i64 = 12;
const HOME_MOST_SIGNED: i64 = 6;
const HOME_REMOTE: i64 = 12;

/// Petitions with their counts, in one read.
fn with_totals(conn: &mut DbConnection, petitions: &[Petition]) -> Result<HashMap<Id, i64>, AppError> {
    let ids: Vec<_> = petitions.iter().map(|p| p.id.clone()).collect();
    Ok(signons_signature::counts::totals(conn, &ids)?)
}

/// What the home page lists.
pub struct HomeLists {
    pub newest: Vec<PetitionView>,
    /// Among every open petition, those with the most signatures (none without any).
    pub most_signed: Vec<PetitionView>,
    /// No organizer yet: the page says how to create the first one.
    pub fresh_install: bool,
    pub remote: Vec<RemotePetitionView>,
}

/// Reads the home page's lists: a few indexed reads whatever the number of petitions, and
/// one aggregate over the counters of open petitions for "most signed" (the page keeps
/// the answer for a second: `AppState::home`).
pub async fn home(db: &Database, public_url: &str) -> Result<HomeLists, AppError> {
    let (newest, most_signed, totals, organizers, remote) = db
        .read_async(|conn| -> Result<_, AppError> {
            let newest = petition::list_open(conn, HOME_NEWEST)?;
            let ranked = signons_signature::counts::most_signed_open(conn, HOME_MOST_SIGNED)?;
            let mut most_signed = petition::by_ids(conn, &ranked)?;
            most_signed.sort_by_key(|p| ranked.iter().position(|id| *id == p.id));
            let both: Vec<Petition> = newest.iter().chain(&most_signed).cloned().collect();
            let totals = with_totals(conn, &both)?;
            let organizers = signons_petition::organization::organizer_count(conn)?;
            let remote = signons_federation::remote::recent_petitions(conn, HOME_REMOTE)?;
            Ok((newest, most_signed, totals, organizers, remote))
        })
        .await?;
    let remote = remote.iter().map(|p| RemotePetitionView::new(p, public_url)).collect();
    let mut most_signed = PetitionView::all(&most_signed, &totals, public_url);
    most_signed.retain(|p| p.total_signatures > 0);
    Ok(HomeLists {
        newest: PetitionView::all(&newest, &totals, public_url),
        most_signed,
        fresh_install: organizers == 0,
        remote,
    })
}

/// An organization's page: it and its petitions that are not drafts.
pub async fn organization_page(
    db: &Database,
    public_url: &str,
    name: String,
) -> Result<(Organization, Vec<PetitionView>), AppError> {
    let (org, petitions, totals) = db
        .read_async(move |conn| -> Result<_, AppError> {
            let org = signons_petition::organization::find_organization(conn, &name)?;
            let petitions: Vec<_> = petition::list_for_organization(conn, &org.id)?
                .into_iter()
                .filter(|p| p.status != PetitionStatus::Draft)
                .collect();
            let totals = with_totals(conn, &petitions)?;
            Ok((org, petitions, totals))
        })
        .await?;
    Ok((org, PetitionView::all(&petitions, &totals, public_url)))
}

/// Every petition of an organization, drafts included (its organizers' dashboard).
pub async fn organization_petitions(
    db: &Database,
    public_url: &str,
    organization: Id,
) -> Result<Vec<PetitionView>, AppError> {
    let (petitions, totals) = db
        .read_async(move |conn| -> Result<_, AppError> {
            let petitions = petition::list_for_organization(conn, &organization)?;
            let totals = with_totals(conn, &petitions)?;
            Ok((petitions, totals))
        })
        .await?;
    Ok(PetitionView::all(&petitions, &totals, public_url))
}

/// Page sizes of `GET /api/v1/petitions`.
pub const API_DEFAULT_LIMIT: i64 = 50;
pub const API_MAX_LIMIT: i64 = 200;

/// Where a page of the API's list starts: opaque to clients (see `petition::Cursor`).
pub use signons_petition::petition::Cursor;

/// One page of the API's list of open petitions.
pub struct ApiPage {
    /// Open petitions in all, on every page.
    pub total: i64,
    pub petitions: Vec<ApiPetition>,
    /// Where the next page starts; `None` on the last.
    pub next: Option<Cursor>,
}

/// Open petitions listed by the API: counted with one indexed count over petitions (not
/// signatures), never loaded to be counted.
fn open_total(conn: &mut DbConnection) -> Result<i64, AppError> {
    Ok(petitions::table.filter(petitions::status.eq(PetitionStatus::Open)).count().get_result(conn)?)
}

/// Up to `limit` open petitions, newest first, older than the cursor if given; the total;
/// and the next page's cursor.
pub async fn api_page(db: &Database, public_url: &str, after: Option<Cursor>, limit: i64) -> Result<ApiPage, AppError> {
    let (total, mut petitions, totals, by_origin) = db
        .read_async(move |conn| -> Result<_, AppError> {
            let total = open_total(conn)?;
            // One more than asked: whether there is a next page, without a second query.
            let petitions = petition::list_open_before(conn, after.as_ref().map(|c| &c.0), limit + 1)?;
            let totals = with_totals(conn, &petitions)?;
            let ids: Vec<Id> = petitions.iter().map(|p| p.id.clone()).collect();
            let by_origin = signons_signature::counts::by_origin_many(conn, &ids)?;
            Ok((total, petitions, totals, by_origin))
        })
        .await?;
    let more = petitions.len() as i64 > limit;
    petitions.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more { petitions.last().map(|p| Cursor(p.id.clone())) } else { None };
    let petitions = petitions
        .iter()
        .map(|p| {
            let origins = by_origin.get(&p.id).map(Vec::as_slice).unwrap_or_default();
            ApiPetition::new(public_url, p, totals.get(&p.id).copied().unwrap_or(0), origins)
        })
        .collect();
    Ok(ApiPage { total, petitions, next })
}

// ---------------------------------------------------------------------------------------
// The listing page: this instance's petitions and those of the instances it follows

/// Petitions per page of the listing, and the last page one may ask for (an offset past
/// 10,000 rows is no one's reading, and would only cost the database).
pub const LISTING_PAGE_SIZE: i64 = 20;
pub const LISTING_MAX_PAGE: i64 = 500;
/// The longest search, in characters.
pub const SEARCH_MAX_CHARS: usize = 100;

diesel::define_sql_function! {
    /// `lower(text)`: both backends have it. PostgreSQL folds the letters its locale
    /// knows; SQLite, without ICU, folds ASCII letters only.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// What the listing was asked for, checked: an optional search, and a page from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub search: Option<String>,
    pub page: i64,
}

/// Why a listing request is refused (400, the page says why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingError {
    SearchTooLong,
    /// A control character (a NUL byte would even fail PostgreSQL's query).
    SearchCharacters,
    BadPage,
    /// Not a query string one can read (a parameter given twice, say).
    Unreadable,
}

impl ListingError {
    /// The message's translation key, and its argument.
    pub fn message(self) -> (&'static str, i64) {
        match self {
            ListingError::SearchTooLong => ("list-error-search-too-long", SEARCH_MAX_CHARS as i64),
            ListingError::SearchCharacters => ("list-error-search-characters", 0),
            ListingError::BadPage => ("list-error-page", LISTING_MAX_PAGE),
            ListingError::Unreadable => ("list-error-query", 0),
        }
    }
}

impl Listing {
    /// The query string's `q` and `page`, as typed. An empty search is no search.
    pub fn parse(q: Option<&str>, page: Option<&str>) -> Result<Listing, ListingError> {
        let search = q.map(str::trim).filter(|q| !q.is_empty());
        if let Some(q) = search {
            if q.chars().count() > SEARCH_MAX_CHARS {
                return Err(ListingError::SearchTooLong);
            }
            if q.chars().any(char::is_control) {
                return Err(ListingError::SearchCharacters);
            }
        }
        let page = match page.map(str::trim).filter(|p| !p.is_empty()) {
            None => 1,
            Some(p) => {
                p.parse::<i64>().ok().filter(|n| (1..=LISTING_MAX_PAGE).contains(n)).ok_or(ListingError::BadPage)?
            }
        };
        Ok(Listing { search: search.map(str::to_owned), page })
    }
}

/// A `LIKE` pattern that finds `search` anywhere, whatever its case: lowercased (the
/// columns are compared lowercased) and with `LIKE`'s own characters escaped, so that `%`
/// or `_` typed in the search box are searched for, not taken as wildcards.
pub fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// This instance's published petitions (open or closed) that match `pattern`.
fn local_matches(pattern: Option<&str>) -> petitions::BoxedQuery<'_, Backend> {
    let published = signons_petition::petition::PUBLISHED;
    let mut query = petitions::table.filter(petitions::status.eq_any(published)).into_boxed();
    if let Some(p) = pattern {
        query = query.filter(
            lower(petitions::title).like(p).escape('\\').or(lower(petitions::description_md).like(p).escape('\\')),
        );
    }
    query
}

/// The kept petitions of the servers this instance follows (whose follow was accepted)
/// that match `pattern`: those of a server no longer followed are kept but not listed.
fn remote_matches(pattern: Option<&str>) -> remote_petitions::BoxedQuery<'_, Backend> {
    let followed = ap_following::table.filter(ap_following::state.eq(FollowState::Accepted)).select(ap_following::host);
    let mut query = remote_petitions::table.filter(remote_petitions::host.eq_any(followed)).into_boxed();
    if let Some(p) = pattern {
        query = query.filter(
            lower(remote_petitions::title)
                .like(p)
                .escape('\\')
                .or(lower(remote_petitions::summary_html).like(p).escape('\\')),
        );
    }
    query
}

/// One page of the listing.
pub struct ListingPage {
    pub petitions: Vec<ListedPetition>,
    /// Matching petitions in all, on every page.
    pub total: i64,
    /// How many pages they fill (at least 1).
    pub pages: i64,
}

/// A page of the listing: this instance's petitions first (open ones first, newest
/// first), then those of the instances it follows (open ones first, latest received
/// first). Remote petitions carry no publication date here, only when they arrived, so
/// one time order over both would put a whole backfill above older local petitions; one
/// after the other keeps each in its own order, and a page is two offset reads of at most
/// a page each, after two counts.
pub async fn listing(db: &Database, public_url: &str, listing: &Listing) -> Result<ListingPage, AppError> {
    let pattern = listing.search.as_deref().map(like_pattern);
    let offset = (listing.page - 1) * LISTING_PAGE_SIZE;
    let found = db.read_async(move |conn| read_listing(conn, pattern.as_deref(), offset, LISTING_PAGE_SIZE)).await?;
    let petitions = PetitionView::all(&found.local, &found.totals, public_url)
        .iter()
        .map(ListedPetition::local)
        .chain(found.remote.iter().map(|p| ListedPetition::remote(&RemotePetitionView::new(p, public_url))))
        .collect();
    let pages = ((found.total + LISTING_PAGE_SIZE - 1) / LISTING_PAGE_SIZE).max(1);
    Ok(ListingPage { petitions, total: found.total, pages })
}

/// What one page of the listing holds, as read.
struct Found {
    local: Vec<Petition>,
    totals: HashMap<Id, i64>,
    remote: Vec<RemotePetition>,
    total: i64,
}

/// The `size` matching petitions from `offset` on, local ones first, then remote ones.
fn read_listing(conn: &mut DbConnection, pattern: Option<&str>, offset: i64, size: i64) -> Result<Found, AppError> {
    let local_total: i64 = local_matches(pattern).count().get_result(conn)?;
    let remote_total: i64 = remote_matches(pattern).count().get_result(conn)?;
    let ids: Vec<Id> = if offset < local_total {
        local_matches(pattern)
            .order((
                petitions::status.eq(PetitionStatus::Open).desc(),
                petitions::published_at.desc(),
                petitions::id.desc(),
            ))
            .offset(offset)
            .limit(size)
            .select(petitions::id)
            .load(conn)?
    } else {
        Vec::new()
    };
    let mut local = petition::by_ids(conn, &ids)?;
    local.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    let totals = with_totals(conn, &local)?;
    let room = size - local.len() as i64;
    let remote = if room > 0 {
        remote_matches(pattern)
            .order((
                remote_petitions::status.eq("open").desc(),
                remote_petitions::received_at.desc(),
                remote_petitions::url.asc(),
            ))
            .offset((offset - local_total).max(0))
            .limit(room)
            .select(RemotePetition::as_select())
            .load(conn)?
    } else {
        Vec::new()
    };
    Ok(Found { local, totals, remote, total: local_total + remote_total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_requests_are_checked() {
        let ok = |q: Option<&str>, page: Option<&str>| Listing::parse(q, page);
        assert_eq!(ok(None, None), Ok(Listing { search: None, page: 1 }));
        assert_eq!(ok(Some("  "), Some("")), Ok(Listing { search: None, page: 1 }));
        assert_eq!(ok(Some(" Parc "), Some("3")), Ok(Listing { search: Some("Parc".into()), page: 3 }));
        assert_eq!(ok(Some(&"é".repeat(SEARCH_MAX_CHARS)), None).map(|l| l.page), Ok(1), "characters, not bytes");
        assert_eq!(ok(Some(&"a".repeat(SEARCH_MAX_CHARS + 1)), None), Err(ListingError::SearchTooLong));
        assert_eq!(ok(Some("a\0b"), None), Err(ListingError::SearchCharacters));
        for bad in ["0", "-1", "x", "1.5", "501", "99999999999999999999999"] {
            assert_eq!(ok(None, Some(bad)), Err(ListingError::BadPage), "{bad}");
        }
    }

    #[test]
    fn like_patterns_search_for_what_was_typed() {
        assert_eq!(like_pattern("Parc"), "%parc%");
        assert_eq!(like_pattern("100%_\\x"), "%100\\%\\_\\\\x%");
        assert_eq!(like_pattern("ÉCOLE"), "%école%");
    }

    /// A published petition of `organizer`, titled and described so.
    fn publish(conn: &mut DbConnection, organizer: &signons_petition::Organizer, title: &str, text: &str) -> Petition {
        let input = signons_petition::PetitionInput {
            title: title.into(),
            target: "The council".into(),
            description: text.into(),
            goal: "100".into(),
            ..Default::default()
        };
        let valid = input.validate(chrono::Utc::now().date_naive()).unwrap();
        petition::create(conn, organizer, valid, true).unwrap()
    }

    /// A petition of `host`, as received from there.
    fn receive(conn: &mut DbConnection, host: &str, slug: &str, title: &str, summary: &str) {
        let id = format!("https://{host}/p/{slug}");
        let group = serde_json::json!({
            "type": "Group", "id": id, "preferredUsername": slug, "name": title, "summary": summary,
            "attributedTo": format!("{id}/moderators"), "organization": format!("https://{host}/o/org"),
            "inbox": format!("{id}/inbox"), "signatureFields": ["name", "email"],
            "signatureCount": 7, "signatureGoal": 10, "status": "open", "target": "Someone",
        });
        signons_federation::remote::upsert_petition(conn, &serde_json::from_value(group).unwrap(), false).unwrap();
    }

    fn follow(conn: &mut DbConnection, host: &str, state: FollowState) {
        let now = signons_store::now();
        diesel::insert_into(ap_following::table)
            .values((
                ap_following::remote_actor.eq(format!("https://{host}/actor")),
                ap_following::host.eq(host),
                ap_following::follow_id.eq(format!("https://here.example/activities/{host}")),
                ap_following::state.eq(state),
                ap_following::created_at.eq(now),
                ap_following::updated_at.eq(now),
            ))
            .execute(conn)
            .unwrap();
    }

    /// Titles of one page of the listing, remote ones as `title@host`.
    fn titles(conn: &mut DbConnection, search: Option<&str>, offset: i64, size: i64) -> (Vec<String>, i64) {
        let found = read_listing(conn, search.map(like_pattern).as_deref(), offset, size).unwrap();
        let titles = found
            .local
            .iter()
            .map(|p| p.title.clone())
            .chain(found.remote.iter().map(|p| format!("{}@{}", p.title, p.host)))
            .collect();
        (titles, found.total)
    }

    #[test]
    fn the_listing_searches_local_and_followed_petitions_on_both_backends() {
        for backend in [signons_store::Backend::Sqlite, signons_store::Backend::Postgres] {
            let temp = signons_store::testing::TempDatabase::new(backend);
            let db = temp.open();
            db.write(|conn| -> Result<(), AppError> {
                let (organizer, first) = signons_petition::testing::sample_petition(conn)?;
                assert_eq!(first.title, "Plant trees in the school yard");
                publish(conn, &organizer, "Roofs 100% green", "Every roof of the city, planted with grass.");
                publish(conn, &organizer, "Roofs 1000 green", "A thousand roofs, and the rest later on.");
                let closed = publish(conn, &organizer, "An older campaign", "It ran its course, and it is over.");
                petition::close(conn, &organizer, &closed.slug)?;
                follow(conn, "followed.example", FollowState::Accepted);
                follow(conn, "pending.example", FollowState::Pending);
                receive(conn, "followed.example", "quiet-nights", "Quiet nights", "<p>No more trucks at night.</p>");
                receive(conn, "pending.example", "not-yet", "Trees, but not yet followed", "<p>Trees.</p>");
                receive(conn, "elsewhere.example", "unknown", "Trees from nowhere", "<p>Trees.</p>");
                Ok(())
            })
            .unwrap();
            db.read(|conn| -> Result<(), AppError> {
                // Everything listed, open ones first, local before remote; only the servers
                // whose follow was accepted.
                let (all, total) = titles(conn, None, 0, 20);
                assert_eq!(
                    all,
                    [
                        "Roofs 1000 green",
                        "Roofs 100% green",
                        "Plant trees in the school yard",
                        "An older campaign",
                        "Quiet nights@followed.example"
                    ],
                    "{backend:?}"
                );
                assert_eq!(total, 5);
                // Pages of two: across the local and remote ones, none skipped or repeated.
                let pages: Vec<Vec<String>> = (0..3).map(|n| titles(conn, None, n * 2, 2).0).collect();
                assert_eq!(pages.concat(), all, "{backend:?}");
                assert_eq!(pages[2], ["Quiet nights@followed.example"]);
                assert!(titles(conn, None, 6, 2).0.is_empty());

                // By title or text, whatever the case; remote ones by their summary.
                assert_eq!(titles(conn, Some("TREES"), 0, 20), (vec!["Plant trees in the school yard".into()], 1));
                assert_eq!(titles(conn, Some("birds"), 0, 20).0, ["Plant trees in the school yard"]);
                assert_eq!(titles(conn, Some("trucks"), 0, 20).0, ["Quiet nights@followed.example"]);
                // `%` and `_` are searched for, not wildcards.
                assert_eq!(titles(conn, Some("100%"), 0, 20).0, ["Roofs 100% green"], "{backend:?}");
                assert_eq!(titles(conn, Some("roofs_"), 0, 20).1, 0, "{backend:?}");
                assert_eq!(titles(conn, Some("no such words"), 0, 20), (vec![], 0));
                Ok(())
            })
            .unwrap();
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let id = Id::new();
        let cursor = Cursor(id.clone());
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        for bad in ["", "x", id.as_str(), &id.as_str().to_uppercase(), "0000000000000000000000000000000g", "ü"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
