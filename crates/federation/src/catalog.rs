//! The open petitions an instance or an organization has published, both ways: served as
//! its `petitions` collection (a paged `OrderedCollection` of `Group`s), and read back by
//! an instance whose follow of it was just accepted ("backfill"), so that what was
//! published before the follow is listed there too. What is published after the follow
//! arrives as activities (`Create`, `Update`); this fills in what came before.

use crate::actors::petition_item;
use crate::remote::{self, GroupJson};
use crate::urls::{host_of, same_host};
use crate::{FederationContext, FederationError, LocalRef, Urls};
use serde_json::{json, Value};
use signons_petition::{petition, Petition};
use signons_store::{DbConnection, Id};
use std::collections::{HashMap, HashSet};
use url::Url;

/// Petitions per page served.
pub const PAGE_SIZE: i64 = 20;
/// A page stops before this many bytes of JSON (at least one petition per page): a
/// petition's text may be long, and readers, this one included, take 1 MiB at most.
pub const PAGE_BYTES: usize = 256 * 1024;
/// A backfill looks at this many petitions at most, over this many pages at most,
/// whatever the other server says.
pub const MAX_PETITIONS: usize = 1_000;
pub const MAX_PAGES: usize = 100;

/// Where a page starts: after the petition it names (see `petition::Cursor`).
pub use signons_petition::petition::Cursor;

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

// ---------------------------------------------------------------------------------------
// Reading another server's collection

/// What a backfill did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backfilled {
    pub pages: usize,
    /// Petitions stored or refreshed.
    pub stored: usize,
    /// Items left out: not an embedded open Signons petition of that server, or refused by
    /// the checks every received petition goes through.
    pub skipped: usize,
}

/// Fetches with a fresh request budget: the library caps the fetches of one request data
/// (against fetch loops), and a backfill makes one per page, bounded by `MAX_PAGES`.
async fn fetch(data: &FederationContext, url: &Url) -> Result<Value, FederationError> {
    Ok(activitypub_federation::fetch::fetch_object_http::<_, Value>(url, &data.reset_request_count()).await?.object)
}

/// A link member (`first`, `next`): a URL, or an object with its `id`.
fn link(doc: &Value, name: &str) -> Option<Url> {
    crate::activities::object_id(doc.get(name)?)
}

/// An item worth storing: an embedded `Group` with our terms, on `server`, open. Items
/// given by id only are skipped: fetching each would make a request per petition.
fn open_group(item: Value, server: &Url) -> Result<Option<GroupJson>, FederationError> {
    if item.get("type").and_then(Value::as_str) != Some("Group") || item.get("signatureCount").is_none() {
        return Ok(None);
    }
    let group: GroupJson = serde_json::from_value(item)?;
    same_host(server, &group.id)?;
    Ok((group.status == "open").then_some(group))
}

/// Reads the `petitions` collection of `followed` (an actor this instance follows) and
/// stores its open petitions, as `Update(Group)` would: each checked by `upsert_petition`,
/// and only while the follow of its server stands. Idempotent: running it again refreshes
/// the same rows. A server without such a collection (not Signons, or an older one) has
/// nothing to backfill.
pub async fn backfill(data: &FederationContext, followed: &Url) -> Result<Backfilled, FederationError> {
    let host = host_of(followed).ok_or_else(|| FederationError::Invalid("an actor without host".into()))?;
    let mut done = Backfilled::default();
    let actor = fetch(data, followed).await?;
    let Some(collection) = link(&actor, "petitions") else { return Ok(done) };
    same_host(followed, &collection)?;
    let mut next = link(&fetch(data, &collection).await?, "first");
    let mut seen = HashSet::new();
    while let Some(url) = next.take() {
        let looked_at = done.stored + done.skipped;
        if done.pages >= MAX_PAGES || looked_at >= MAX_PETITIONS || !seen.insert(url.clone()) {
            break;
        }
        same_host(followed, &url)?;
        let mut page = fetch(data, &url).await?;
        done.pages += 1;
        let after = link(&page, "next");
        let key = if page.get("orderedItems").is_some() { "orderedItems" } else { "items" };
        let items = match page.get_mut(key).map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let mut groups = Vec::new();
        for item in items.into_iter().take(MAX_PETITIONS - looked_at) {
            match open_group(item, followed) {
                Ok(Some(group)) => groups.push(group),
                Ok(None) => done.skipped += 1,
                Err(e) => {
                    tracing::info!(error = %e, "a backfilled item is not a petition of its server");
                    done.skipped += 1;
                }
            }
        }
        let host = host.clone();
        let allow_http = data.allow_local;
        let stored = data
            .db
            .write_async(move |conn| -> Result<Option<(usize, usize)>, FederationError> {
                // Unfollowed meanwhile: nothing more is kept of that server.
                if !remote::follows_host(conn, &host)? {
                    return Ok(None);
                }
                let (mut stored, mut refused) = (0, 0);
                for group in &groups {
                    match remote::upsert_petition(conn, group, allow_http) {
                        Ok(_) => stored += 1,
                        // Refused by the checks, before anything was written.
                        Err(FederationError::Invalid(reason)) => {
                            tracing::info!(petition = %group.id, reason, "a backfilled petition is refused");
                            refused += 1;
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(Some((stored, refused)))
            })
            .await?;
        let Some((stored, refused)) = stored else { break };
        done.stored += stored;
        done.skipped += refused;
        next = after;
    }
    Ok(done)
}

/// Backfills `followed` in a task of its own, off the request that accepted the follow: a
/// slow or failing server delays no inbox, and a failure is logged. Nothing is queued:
/// a backfill lost to a restart is made again by following again.
pub fn spawn_backfill(data: &FederationContext, followed: Url) {
    let data = data.reset_request_count();
    tokio::spawn(async move {
        match backfill(&data, &followed).await {
            Ok(done) => tracing::info!(
                actor = %followed,
                pages = done.pages,
                stored = done.stored,
                skipped = done.skipped,
                "backfilled the petitions of a followed actor"
            ),
            Err(e) => tracing::warn!(actor = %followed, error = %e, "backfill failed"),
        }
    });
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

    #[test]
    fn only_open_petitions_of_the_server_itself_are_kept() {
        let server = Url::parse("http://localhost:8541/actor").unwrap();
        let group = |id: &str, status: &str| {
            json!({
                "type": "Group", "id": id, "preferredUsername": "save-it", "name": "Save it",
                "attributedTo": format!("{id}/moderators"), "signatureCount": 3, "signatureGoal": 10,
                "status": status, "target": "Someone", "inbox": format!("{id}/inbox"),
                "signatureFields": ["name", "email"],
            })
        };
        let kept = open_group(group("http://localhost:8541/p/save-it", "open"), &server).unwrap();
        assert_eq!(kept.map(|g| g.id.to_string()).as_deref(), Some("http://localhost:8541/p/save-it"));
        assert!(open_group(group("http://localhost:8541/p/save-it", "closed"), &server).unwrap().is_none());
        // Another port is another server: it cannot speak for it.
        assert!(open_group(group("http://localhost:8551/p/save-it", "open"), &server).is_err());
        // Not a Signons petition, or only its id: left out.
        assert!(open_group(json!("http://localhost:8541/p/save-it"), &server).unwrap().is_none());
        assert!(open_group(json!({ "type": "Group", "id": "http://localhost:8541/c/x" }), &server).unwrap().is_none());
        assert!(open_group(json!({ "type": "Group", "signatureCount": 1 }), &server).is_err());
    }
}
