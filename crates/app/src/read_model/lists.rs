//! Lists of petitions: the home page's, an organization's (its page and its organizers'
//! dashboard), the JSON API's, a keyset page at a time, each with its counts, and the
//! listing page's, where the petitions of the instances this one follows are searched too.

use crate::error::AppError;
use crate::read_model::api_petition::ApiPetition;
use crate::read_model::views::ResponseView;
use crate::read_model::views::{ListedPetition, PetitionView, RemotePetitionView};
use diesel::prelude::*;
use serde::Serialize;
use signons_federation::follows::FollowState;
use signons_federation::remote::RemotePetition;
use signons_petition::{petition, Organization, Petition, PetitionStatus};
use signons_store::schema::{ap_following, petitions, remote_petitions};
use signons_store::{Database, DbConnection, Id};
use std::collections::HashMap;

/// How many petitions each list of the home page shows.
const HOME_NEWEST: i64 = 12;
const HOME_TRENDING: i64 = 6;
const HOME_WON: i64 = 6;
const HOME_REMOTE: i64 = 12;

/// Petitions with their counts, in one read.
fn with_totals(conn: &mut DbConnection, petitions: &[Petition]) -> Result<HashMap<Id, i64>, AppError> {
    let ids: Vec<_> = petitions.iter().map(|p| p.id.clone()).collect();
    Ok(signons_signature::counts::totals(conn, &ids)?)
}

/// What the home page lists: each petition in one list at most.
pub struct HomeLists {
    /// Open petitions with the most signatures confirmed in the last `TRENDING_DAYS` days
    /// (none without any).
    pub trending: Vec<PetitionView>,
    /// The newest open petitions not already trending.
    pub newest: Vec<PetitionView>,
    /// The petitions won most recently.
    pub won: Vec<PetitionView>,
    /// No organizer yet: the page says how to create the first one.
    pub fresh_install: bool,
    pub remote: Vec<RemotePetitionView>,
}

/// The open petitions with signatures confirmed since `since`, most first, at most
/// `limit`: one indexed range count per open petition (`trend_expression`).
fn trending_open(conn: &mut DbConnection, since: chrono::NaiveDateTime, limit: i64) -> Result<Vec<Id>, AppError> {
    Ok(petitions::table
        .filter(petitions::status.eq(PetitionStatus::Open))
        .filter(trend_expression(since).gt(0))
        .order((trend_expression(since).desc(), petitions::published_at.desc(), petitions::id.desc()))
        .limit(limit)
        .select(petitions::id)
        .load(conn)?)
}

/// The won petitions, most recently won first.
fn recently_won(conn: &mut DbConnection, limit: i64) -> Result<Vec<Id>, AppError> {
    Ok(petitions::table
        .filter(petitions::status.eq(PetitionStatus::Won))
        .order((petitions::won_at.desc(), petitions::id.desc()))
        .limit(limit)
        .select(petitions::id)
        .load(conn)?)
}

/// The petitions of `ids`, in that order.
fn in_order(conn: &mut DbConnection, ids: &[Id]) -> Result<Vec<Petition>, AppError> {
    let mut found = petition::by_ids(conn, ids)?;
    found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    Ok(found)
}

/// Reads the home page's lists: a few indexed reads whatever the number of petitions, and
/// one indexed range count per open petition for "trending" (the page keeps the answer
/// for a second: `AppState::home`).
pub async fn home(db: &Database, public_url: &str) -> Result<HomeLists, AppError> {
    let (trending, newest, won, totals, organizers, remote) = db
        .read_async(|conn| -> Result<_, AppError> {
            let ranked = trending_open(conn, trending_since(), HOME_TRENDING)?;
            let trending = in_order(conn, &ranked)?;
            // Enough newest ones that a dozen remain once the trending ones are left out.
            let mut newest = petition::list_open(conn, HOME_NEWEST + HOME_TRENDING)?;
            newest.retain(|p| !trending.iter().any(|t| t.id == p.id));
            newest.truncate(HOME_NEWEST as usize);
            let won = recently_won(conn, HOME_WON)?;
            let won = in_order(conn, &won)?;
            let all: Vec<Petition> = trending.iter().chain(&newest).chain(&won).cloned().collect();
            let totals = with_totals(conn, &all)?;
            let organizers = signons_petition::organization::organizer_count(conn)?;
            let remote = signons_federation::remote::recent_petitions(conn, HOME_REMOTE)?;
            Ok((trending, newest, won, totals, organizers, remote))
        })
        .await?;
    let remote = remote.iter().map(|p| RemotePetitionView::new(p, public_url)).collect();
    Ok(HomeLists {
        trending: PetitionView::all(&trending, &totals, public_url),
        newest: PetitionView::all(&newest, &totals, public_url),
        won: PetitionView::all(&won, &totals, public_url),
        fresh_install: organizers == 0,
        remote,
    })
}

/// The `limit` petitions published last (open, closed or won), for the feed.
pub async fn newest_published(db: &Database, limit: i64) -> Result<Vec<Petition>, AppError> {
    db.read_async(move |conn| -> Result<_, AppError> {
        let ids: Vec<Id> = petitions::table
            .filter(petitions::status.eq_any(petition::PUBLISHED))
            .order((petitions::published_at.desc(), petitions::id.desc()))
            .limit(limit)
            .select(petitions::id)
            .load(conn)?;
        in_order(conn, &ids)
    })
    .await
}

/// What an organization's page shows: it, its profile and logo, and its public petitions.
pub struct OrganizationPage {
    pub organization: Organization,
    pub profile: signons_petition::members::Profile,
    pub logo: Option<signons_petition::logo::Logo>,
    /// Open ones first, then won, then closed (newest first within each); no drafts, no
    /// hidden or removed ones.
    pub petitions: Vec<PetitionView>,
}

/// Where a petition comes on its organization's page.
fn page_rank(status: PetitionStatus) -> u8 {
    match status {
        PetitionStatus::Open => 0,
        PetitionStatus::Won => 1,
        _ => 2,
    }
}

/// An organization's page: it, its profile, and its petitions that are public.
pub async fn organization_page(db: &Database, public_url: &str, name: String) -> Result<OrganizationPage, AppError> {
    let (organization, profile, logo, petitions, totals) = db
        .read_async(move |conn| -> Result<_, AppError> {
            let org = signons_petition::organization::find_organization(conn, &name)?;
            let profile = signons_petition::members::profile(conn, &org.id)?;
            let logo = signons_petition::logo::of(conn, &org.id)?;
            let mut petitions: Vec<_> =
                petition::list_for_organization(conn, &org.id)?.into_iter().filter(|p| p.is_public()).collect();
            // Stable: newest first within each group, as listed.
            petitions.sort_by_key(|p| page_rank(p.status));
            let totals = with_totals(conn, &petitions)?;
            Ok((org, profile, logo, petitions, totals))
        })
        .await?;
    let petitions = PetitionView::all(&petitions, &totals, public_url);
    Ok(OrganizationPage { organization, profile, logo, petitions })
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
    let (total, mut petitions, totals, by_origin, responses) = db
        .read_async(move |conn| -> Result<_, AppError> {
            let total = open_total(conn)?;
            // One more than asked: whether there is a next page, without a second query.
            let petitions = petition::list_open_before(conn, after.as_ref().map(|c| &c.0), limit + 1)?;
            let totals = with_totals(conn, &petitions)?;
            let ids: Vec<Id> = petitions.iter().map(|p| p.id.clone()).collect();
            let by_origin = signons_signature::counts::by_origin_many(conn, &ids)?;
            let responses = signons_petition::response::of_many(conn, &ids)?;
            Ok((total, petitions, totals, by_origin, responses))
        })
        .await?;
    let more = petitions.len() as i64 > limit;
    petitions.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more { petitions.last().map(|p| Cursor(p.id.clone())) } else { None };
    let petitions = petitions
        .iter()
        .map(|p| {
            let origins = by_origin.get(&p.id).map(Vec::as_slice).unwrap_or_default();
            let mut petition = ApiPetition::new(public_url, p, totals.get(&p.id).copied().unwrap_or(0), origins);
            petition.response = responses.get(&p.id).map(ResponseView::new);
            petition
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

/// What the listing was asked for, checked: an optional search, filters, an order, and
/// a page from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub search: Option<String>,
    pub page: i64,
    /// Only petitions of this status.
    pub status: Option<PetitionStatus>,
    /// Only this instance's petitions of the organization of this slug.
    pub organization: Option<String>,
    pub sort: Sort,
}

/// The orders of the listing (`sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sort {
    /// Open ones first, then newest first.
    #[default]
    Newest,
    /// Most confirmed signatures first.
    MostSigned,
    /// Most signatures confirmed in the last `TRENDING_DAYS` days first.
    Trending,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Newest, Sort::MostSigned, Sort::Trending];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::MostSigned => "most-signed",
            Sort::Trending => "trending",
        }
    }

    fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How far back "trending" counts confirmed signatures.
pub const TRENDING_DAYS: i64 = 7;

/// Why a listing request is refused (400, the page says why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingError {
    SearchTooLong,
    /// A control character (a NUL byte would even fail PostgreSQL's query).
    SearchCharacters,
    BadPage,
    BadSort,
    BadStatus,
    /// Not an organization's name as addresses write it (`[a-z0-9-]`).
    BadOrganization,
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
            ListingError::BadSort => ("list-error-sort", 0),
            ListingError::BadStatus => ("list-error-status", 0),
            ListingError::BadOrganization => ("list-error-organization", 0),
            ListingError::Unreadable => ("list-error-query", 0),
        }
    }
}

/// The query string's members, as typed (each absent or empty means "any").
#[derive(Debug, Default, Clone, Copy)]
pub struct ListingParams<'a> {
    pub q: Option<&'a str>,
    pub page: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub status: Option<&'a str>,
    pub organization: Option<&'a str>,
}

/// A member given and not empty.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl Listing {
    /// The query string's `q` and `page`, as typed. An empty search is no search.
    pub fn parse(q: Option<&str>, page: Option<&str>) -> Result<Listing, ListingError> {
        Listing::parse_all(ListingParams { q, page, ..Default::default() })
    }

    /// Every member of the query string, checked.
    pub fn parse_all(params: ListingParams<'_>) -> Result<Listing, ListingError> {
        let search = given(params.q);
        if let Some(q) = search {
            if q.chars().count() > SEARCH_MAX_CHARS {
                return Err(ListingError::SearchTooLong);
            }
            if q.chars().any(char::is_control) {
                return Err(ListingError::SearchCharacters);
            }
        }
        let page = match given(params.page) {
            None => 1,
            Some(p) => {
                p.parse::<i64>().ok().filter(|n| (1..=LISTING_MAX_PAGE).contains(n)).ok_or(ListingError::BadPage)?
            }
        };
        let sort = match given(params.sort) {
            None => Sort::Newest,
            Some(s) => Sort::parse(s).ok_or(ListingError::BadSort)?,
        };
        let status = match given(params.status) {
            None => None,
            Some("open") => Some(PetitionStatus::Open),
            Some("closed") => Some(PetitionStatus::Closed),
            Some("won") => Some(PetitionStatus::Won),
            Some(_) => return Err(ListingError::BadStatus),
        };
        let organization = match given(params.organization) {
            None => None,
            Some(o)
                if o.len() <= 100 && o.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                Some(o.to_owned())
            }
            Some(_) => return Err(ListingError::BadOrganization),
        };
        Ok(Listing { search: search.map(str::to_owned), page, status, organization, sort })
    }

    /// The query string of page `n` of the same listing (empty for the first page of
    /// everything), `?` included.
    pub fn query_of_page(&self, n: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(q) = &self.search {
            query.append_pair("q", q);
        }
        if let Some(o) = &self.organization {
            query.append_pair("org", o);
        }
        if let Some(s) = self.status {
            query.append_pair("status", s.as_str());
        }
        if self.sort != Sort::Newest {
            query.append_pair("sort", self.sort.as_str());
        }
        if n > 1 {
            query.append_pair("page", &n.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            query
        } else {
            format!("?{query}")
        }
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

/// What a page of the listing reads: the search's `LIKE` pattern, the filters, the order.
#[derive(Debug, Clone, Default)]
struct Filters {
    pattern: Option<String>,
    status: Option<PetitionStatus>,
    organization: Option<String>,
    sort: Sort,
    /// Where "trending" starts counting.
    since: chrono::NaiveDateTime,
}

impl Filters {
    fn of(listing: &Listing) -> Filters {
        Filters {
            pattern: listing.search.as_deref().map(like_pattern),
            status: listing.status,
            organization: listing.organization.clone(),
            sort: listing.sort,
            since: trending_since(),
        }
    }
}

/// The start of "trending"'s window.
fn trending_since() -> chrono::NaiveDateTime {
    signons_store::now() - chrono::TimeDelta::days(TRENDING_DAYS)
}

/// A petition's count, as an expression over `petitions` (for ordering): the sum of its
/// counter shards (their primary key leads with the petition) and of the counted
/// signatures of other instances.
fn total_expression() -> diesel::expression::SqlLiteral<diesel::sql_types::BigInt> {
    diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "((SELECT COALESCE(SUM(pc.signatures), 0) FROM petition_counters pc WHERE pc.petition_id = petitions.id) \
         + (SELECT COALESCE(SUM(oc.signatures), 0) FROM petition_origin_counts oc \
            WHERE oc.petition_id = petitions.id AND oc.counted))",
    )
}

/// A petition's signatures confirmed since `since` (and not invalidated), as an expression
/// over `petitions`: a range of the index `signatures (petition_id, confirmed_at)`, so the
/// work is bounded by the window's signatures, not by the petition's.
fn trend_expression(
    since: chrono::NaiveDateTime,
) -> diesel::expression::SqlLiteral<
    diesel::sql_types::BigInt,
    diesel::expression::UncheckedBind<
        diesel::expression::SqlLiteral<diesel::sql_types::BigInt>,
        diesel::dsl::AsExprOf<chrono::NaiveDateTime, diesel::sql_types::Timestamp>,
    >,
> {
    diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT COUNT(*) FROM signatures s WHERE s.petition_id = petitions.id AND s.confirmed_at >= ",
    )
    .bind::<diesel::sql_types::Timestamp, _>(since)
    .sql(" AND s.invalidated_at IS NULL)")
}

/// This instance's published petitions (open, closed or won) that match the search and
/// the filters.
fn local_matches(filters: &Filters) -> petitions::BoxedQuery<'_, Backend> {
    use signons_store::schema::organizations;
    let mut query = match filters.status {
        Some(status) => petitions::table.filter(petitions::status.eq(status)).into_boxed(),
        None => petitions::table.filter(petitions::status.eq_any(petition::PUBLISHED)).into_boxed(),
    };
    if let Some(p) = filters.pattern.as_deref() {
        query = query.filter(
            lower(petitions::title).like(p).escape('\\').or(lower(petitions::description_md).like(p).escape('\\')),
        );
    }
    if let Some(org) = filters.organization.as_deref() {
        let ids = organizations::table.filter(organizations::slug.eq(org)).select(organizations::id);
        query = query.filter(petitions::organization_id.eq_any(ids));
    }
    query
}

/// The kept petitions of the servers this instance follows (whose follow was accepted)
/// that match the search and the status: those of a server no longer followed are kept
/// but not listed.
fn remote_matches(filters: &Filters) -> remote_petitions::BoxedQuery<'_, Backend> {
    let followed = ap_following::table.filter(ap_following::state.eq(FollowState::Accepted)).select(ap_following::host);
    let mut query = remote_petitions::table.filter(remote_petitions::host.eq_any(followed)).into_boxed();
    if let Some(p) = filters.pattern.as_deref() {
        query = query.filter(
            lower(remote_petitions::title)
                .like(p)
                .escape('\\')
                .or(lower(remote_petitions::summary_html).like(p).escape('\\')),
        );
    }
    if let Some(status) = filters.status {
        query = query.filter(remote_petitions::status.eq(status.as_str()));
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

/// A page of the listing: this instance's petitions first, in the order asked (newest:
/// open ones first, newest first), then those of the instances it follows (newest: open
/// ones first, latest received first; otherwise by the count they sent). Remote petitions
/// carry no publication date here, only when they arrived, so one time order over both
/// would put a whole backfill above older local petitions; one after the other keeps each
/// in its own order, and a page is two offset reads of at most a page each, after two
/// counts. An organization's filter lists this instance's petitions only.
pub async fn listing(db: &Database, public_url: &str, listing: &Listing) -> Result<ListingPage, AppError> {
    let filters = Filters::of(listing);
    let offset = (listing.page - 1) * LISTING_PAGE_SIZE;
    let found = db.read_async(move |conn| read_listing(conn, &filters, offset, LISTING_PAGE_SIZE)).await?;
    let petitions = PetitionView::all(&found.local, &found.totals, public_url)
        .iter()
        .map(ListedPetition::local)
        .chain(found.remote.iter().map(|p| ListedPetition::remote(&RemotePetitionView::new(p, public_url))))
        .collect();
    let pages = ((found.total + LISTING_PAGE_SIZE - 1) / LISTING_PAGE_SIZE).max(1);
    Ok(ListingPage { petitions, total: found.total, pages })
}

/// The organizations that have a published petition, by name, for the listing's filter
/// (at most a few hundred: a longer list is no one's choosing).
pub async fn organizations_with_petitions(db: &Database) -> Result<Vec<(String, String)>, AppError> {
    use signons_store::schema::organizations;
    db.read_async(|conn| -> Result<_, AppError> {
        let with =
            petitions::table.filter(petitions::status.eq_any(petition::PUBLISHED)).select(petitions::organization_id);
        Ok(organizations::table
            .filter(organizations::id.eq_any(with))
            .order((organizations::name.asc(), organizations::slug.asc()))
            .limit(300)
            .select((organizations::slug, organizations::name))
            .load::<(String, String)>(conn)?)
    })
    .await
}

/// What one page of the listing holds, as read.
struct Found {
    local: Vec<Petition>,
    totals: HashMap<Id, i64>,
    remote: Vec<RemotePetition>,
    total: i64,
}

/// The `size` matching petitions from `offset` on, local ones first, then remote ones.
fn read_listing(conn: &mut DbConnection, filters: &Filters, offset: i64, size: i64) -> Result<Found, AppError> {
    let with_remote = filters.organization.is_none();
    let local_total: i64 = local_matches(filters).count().get_result(conn)?;
    let remote_total: i64 = if with_remote { remote_matches(filters).count().get_result(conn)? } else { 0 };
    let ids: Vec<Id> = if offset < local_total {
        let query = local_matches(filters);
        let query = match filters.sort {
            Sort::Newest => query.order((
                petitions::status.eq(PetitionStatus::Open).desc(),
                petitions::published_at.desc(),
                petitions::id.desc(),
            )),
            Sort::MostSigned => {
                query.order((total_expression().desc(), petitions::published_at.desc(), petitions::id.desc()))
            }
            Sort::Trending => query.order((
                trend_expression(filters.since).desc(),
                total_expression().desc(),
                petitions::published_at.desc(),
                petitions::id.desc(),
            )),
        };
        query.offset(offset).limit(size).select(petitions::id).load(conn)?
    } else {
        Vec::new()
    };
    let mut local = petition::by_ids(conn, &ids)?;
    local.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    let totals = with_totals(conn, &local)?;
    let room = size - local.len() as i64;
    let remote = if room > 0 && with_remote {
        let query = remote_matches(filters);
        let query = match filters.sort {
            Sort::Newest => query.order((
                remote_petitions::status.eq("open").desc(),
                remote_petitions::received_at.desc(),
                remote_petitions::url.asc(),
            )),
            Sort::MostSigned | Sort::Trending => {
                query.order((remote_petitions::signature_count.desc(), remote_petitions::url.asc()))
            }
        };
        query.offset((offset - local_total).max(0)).limit(room).select(RemotePetition::as_select()).load(conn)?
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
        let all = |search: Option<&str>, page| Listing {
            search: search.map(str::to_owned),
            page,
            status: None,
            organization: None,
            sort: Sort::Newest,
        };
        assert_eq!(ok(None, None), Ok(all(None, 1)));
        assert_eq!(ok(Some("  "), Some("")), Ok(all(None, 1)));
        assert_eq!(ok(Some(" Parc "), Some("3")), Ok(all(Some("Parc"), 3)));
        assert_eq!(ok(Some(&"é".repeat(SEARCH_MAX_CHARS)), None).map(|l| l.page), Ok(1), "characters, not bytes");
        assert_eq!(ok(Some(&"a".repeat(SEARCH_MAX_CHARS + 1)), None), Err(ListingError::SearchTooLong));
        assert_eq!(ok(Some("a\0b"), None), Err(ListingError::SearchCharacters));
        for bad in ["0", "-1", "x", "1.5", "501", "99999999999999999999999"] {
            assert_eq!(ok(None, Some(bad)), Err(ListingError::BadPage), "{bad}");
        }
    }

    #[test]
    fn filters_and_sorts_are_checked_and_kept_in_the_pages_links() {
        let parse = |sort, status, organization| {
            Listing::parse_all(ListingParams { q: Some("parc"), page: None, sort, status, organization })
        };
        let listing = parse(Some("trending"), Some("won"), Some("green-street")).unwrap();
        assert_eq!(
            (listing.sort, listing.status, listing.organization.as_deref()),
            (Sort::Trending, Some(PetitionStatus::Won), Some("green-street"))
        );
        assert_eq!(listing.query_of_page(1), "?q=parc&org=green-street&status=won&sort=trending");
        assert_eq!(listing.query_of_page(3), "?q=parc&org=green-street&status=won&sort=trending&page=3");
        assert_eq!(Listing::parse(None, None).unwrap().query_of_page(1), "");
        assert_eq!(parse(Some(" "), Some(""), None).map(|l| (l.sort, l.status)), Ok((Sort::Newest, None)));
        assert_eq!(parse(Some("loudest"), None, None), Err(ListingError::BadSort));
        for bad in ["draft", "hidden", "removed", "OPEN"] {
            assert_eq!(parse(None, Some(bad), None), Err(ListingError::BadStatus), "{bad}");
        }
        for bad in ["<b>", "Green", "a b", &"a".repeat(101)] {
            assert_eq!(parse(None, None, Some(bad)), Err(ListingError::BadOrganization), "{bad}");
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
        let filters = Filters { pattern: search.map(like_pattern), since: trending_since(), ..Default::default() };
        let found = read_listing(conn, &filters, offset, size).unwrap();
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
