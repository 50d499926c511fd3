//! The open petitions an instance or an organization has published, served as its
//! `petitions` collection (a paged `OrderedCollection` of `Group`s), so that a server that
//! follows it can read what was published before the follow. What is published after the
//! follow arrives as activities (`Create`, `Update`).

use crate::actors::petition_item;
use crate::{FederationError, LocalRef, Urls};
use serde_json::{json, Value};
use signons_petition::{petition, Petition};
use signons_store::{DbConnection, Id};
use std::collections::HashMap;
use url::Url;

/// Petitions per page served.
pub const PAGE_SIZE: i64 = 20;
/// A page stops before this many bytes of JSON (at least one petition per page): a
/// petition's text may be long, and readers, this one included, take 1 MiB at most.
pub const PAGE_BYTES: usize = 256 * 1024;

/// Where a page starts: after the petition it names (petitions are listed newest first,
/// by id, so pages neither skip nor repeat one as others are published meanwhile).
/// Written as the id's 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Id);

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        // Only the form `encode` writes, so that one page has one URL (a page's id must be
        // the URL it is fetched at).
        let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Id::parse(s)).flatten().map(Cursor)
    }

    pub fn encode(&self) -> String {
        self.0.as_str().replace('-', "")
    }
}

/// The URL of a page of `collection`: the first one, or the one after `before`.
pub fn page_url(collection: &Url, before: Option<&Cursor>) -> Url {
    let mut url = collection.clone();
    url.query_pairs_mut().append_pair("page", "true");
    if let Some(cursor) = before {
        url.query_pairs_mut().append_pair("before", &cursor.encode());
    }
    url
}

/// The organization whose petitions `actor` lists (`None` for the instance: all of them).
/// Only the instance and organizations have a `petitions` collection.
fn owner(conn: &mut DbConnection, actor: &LocalRef) -> Result<Option<Id>, FederationError> {
    match actor {
        LocalRef::Instance => Ok(None),
        LocalRef::Organization(name) => Ok(Some(signons_petition::organization::find_organization(conn, name)?.id)),
        LocalRef::Petition(_) => Err(FederationError::NotFound),
    }
}

/// `{actor}/petitions`: how many open petitions, and where the first page is.
pub fn collection(conn: &mut DbConnection, urls: &Urls, actor: &LocalRef) -> Result<Value, FederationError> {
    let organization = owner(conn, actor)?;
    Ok(collection_document(urls, actor, petition::count_open(conn, organization.as_ref())?))
}

pub fn collection_document(urls: &Urls, actor: &LocalRef, total: i64) -> Value {
    let id = urls.petitions(actor);
    json!({
        "type": "OrderedCollection",
        "id": id.as_str(),
        "totalItems": total,
        "first": page_url(&id, None).as_str(),
    })
}

/// One page of `{actor}/petitions`: up to `PAGE_SIZE` open petitions, newest first, older
/// than `before`, each as its actor document without the key (`petition_item`).
pub fn page(
    conn: &mut DbConnection,
    urls: &Urls,
    actor: &LocalRef,
    before: Option<&Cursor>,
) -> Result<Value, FederationError> {
    let organization = owner(conn, actor)?;
    // One more than a page: whether there is a next one, without a second query.
    let petitions = petition::list_open_of(conn, organization.as_ref(), before.map(|c| &c.0), PAGE_SIZE + 1)?;
    let ids: Vec<Id> = petitions.iter().map(|p| p.id.clone()).collect();
    let totals = signons_signature::counts::totals(conn, &ids)?;
    page_document(urls, actor, before, &petitions, &totals)
}

/// The page of `actor`'s collection after `before` that lists `petitions` (as many as fit
/// in a page: more means there is a next page), with their counts from `totals`.
pub fn page_document(
    urls: &Urls,
    actor: &LocalRef,
    before: Option<&Cursor>,
    petitions: &[Petition],
    totals: &HashMap<Id, i64>,
) -> Result<Value, FederationError> {
    let mut items = Vec::new();
    let mut bytes = 0;
    let mut last = None;
    for p in petitions.iter().take(usize::try_from(PAGE_SIZE).unwrap_or(0)) {
        let item = petition_item(urls, p, totals.get(&p.id).copied().unwrap_or(0));
        let size = serde_json::to_string(&item)?.len();
        if !items.is_empty() && bytes + size > PAGE_BYTES {
            break;
        }
        bytes += size;
        items.push(item);
        last = Some(&p.id);
    }
    let collection = urls.petitions(actor);
    let mut body = json!({
        "type": "OrderedCollectionPage",
        "id": page_url(&collection, before).as_str(),
        "partOf": collection.as_str(),
        "orderedItems": items,
    });
    if petitions.len() > items.len() {
        if let Some(last) = last {
            body["next"] = page_url(&collection, Some(&Cursor(last.clone()))).as_str().into();
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let id = Id::new();
        let cursor = Cursor(id.clone());
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        for bad in ["", "x", id.as_str(), &id.as_str().to_uppercase(), "0000000000000000000000000000000g", "é"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_urls_are_what_pages_name_themselves() {
        let collection = Url::parse("http://localhost:8541/o/amis/petitions").unwrap();
        assert_eq!(page_url(&collection, None).as_str(), "http://localhost:8541/o/amis/petitions?page=true");
        let cursor = Cursor(Id::new());
        let next = page_url(&collection, Some(&cursor));
        assert_eq!(next.query(), Some(format!("page=true&before={}", cursor.encode()).as_str()));
    }
}
