//! Lists of petitions: the home page's, an organization's (its page and its organizers'
//! dashboard) and the JSON API's, a keyset page at a time, each with its counts.

use crate::error::AppError;
use crate::read_model::api_petition::ApiPetition;
use crate::read_model::views::{PetitionView, RemotePetitionView};
use diesel::prelude::*;
use signons_petition::{petition, Organization, Petition, PetitionStatus};
use signons_store::schema::petitions;
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

/// Where a page of the API's list starts: after the petition it names. Opaque to clients
/// (today the petition's id in hex); a page walks petitions in id order, which is their
/// creation order (UUIDv7), so pages neither skip nor repeat a petition as others are
/// published or closed meanwhile, as an offset would.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(Id);

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        // Only the form `encode` writes, so one position has one cursor.
        let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Id::parse(s)).flatten().map(Cursor)
    }

    pub fn encode(&self) -> String {
        self.0.as_str().replace('-', "")
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
