//! What followers are told at each step of a petition's life: published (its organization
//! announces it), edited, closed, reopened or won (an `Update` of it), removed (a `Delete`
//! of it); and an organization's profile changed (an `Update` of its actor). Called in
//! the transaction that makes the change, so an activity is queued if and only if the
//! change is committed.

use crate::actors::{LocalActor, Subject};
use crate::follows::follower_inboxes;
use crate::objects::{escape, Post, PostKind};
use crate::outgoing::{delete_object, group_announce, update_group};
use crate::posts::{petition_link, say};
use crate::{delivery, keys, progress, FederationError, LocalRef, Urls};
use diesel::prelude::*;
use signons_petition::Petition;
use signons_store::schema::ap_followers as f;
use signons_store::DbConnection;
use url::Url;

/// A petition was published: its organization says so.
pub fn petition_published(conn: &mut DbConnection, urls: &Urls, petition: &Petition) -> Result<Post, FederationError> {
    let body = format!(
        "<p>New petition by {}: {}</p><p>Addressed to: {}</p>",
        escape(&petition.organization.name),
        petition_link(urls, petition),
        escape(&petition.target)
    );
    let post = say(conn, urls, petition, PostKind::Published, body, None)?;
    progress::start_from_zero(conn, &petition.id)?;
    Ok(post)
}

/// A published petition changed (its text edited; closed, reopened or won): an `Update`
/// of it, whole, with its count, `status`, `edited` and, once won, `victoryMessage`.
pub fn petition_changed(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    petition: &Petition,
) -> Result<(), FederationError> {
    let count = signons_signature::counts::total(conn, &petition.id)?;
    progress::petition_updated(conn, data, petition, count)
}

/// A petition was removed. Its own followers get a `Delete` of it from itself (signed with
/// its key, which they know). Followers of its organization and of the instance get the
/// same `Delete` from the organization: they may never have seen the petition's key, and
/// once its address answers 410 nobody can fetch it any more. Its followers are forgotten.
pub fn petition_removed(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    petition: &Petition,
) -> Result<(), FederationError> {
    let urls = &data.urls;
    let reference = LocalRef::Petition(petition.slug.clone());
    let url = urls.actor(&reference);
    let org = urls.actor(&LocalRef::Organization(petition.organization.slug.clone()));
    let own = follower_inboxes(conn, urls, std::slice::from_ref(&reference))?;
    if keys::stored(conn, url.as_str())?.is_some() {
        delivery::enqueue(conn, &delete_object(urls, &urls.new_activity(), &url, &url), &own)?;
        // Lemmy takes a community's deletion only from a moderator, relayed by the
        // community (it knows the petition's key already: it answers 410 from now on).
        let by_org = delete_object(urls, &urls.new_activity(), &org, &url);
        delivery::enqueue(conn, &group_announce(urls, &petition.slug, &urls.new_activity(), &by_org)?, &own)?;
    }
    let org_ref = LocalRef::Organization(petition.organization.slug.clone());
    let others: Vec<Url> = follower_inboxes(conn, urls, &[org_ref, LocalRef::Instance])?
        .into_iter()
        .filter(|i| !own.contains(i))
        .collect();
    delivery::enqueue(conn, &delete_object(urls, &urls.new_activity(), &org, &url), &others)?;
    diesel::delete(f::table.filter(f::local_actor.eq(url.as_str()))).execute(conn)?;
    progress::forget(conn, &petition.id)?;
    Ok(())
}

/// An organization's profile changed (its name, its logo): an `Update` of its actor, whole,
/// to its followers, so that their copy (its name, its `icon`) is not the old one until
/// they fetch it again. An organization no one ever fetched has no key yet, and no one
/// to tell.
pub fn organization_changed(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    slug: &str,
) -> Result<(), FederationError> {
    let urls = &data.urls;
    let reference = LocalRef::Organization(slug.to_owned());
    let Some(keys) = keys::stored(conn, urls.actor(&reference).as_str())? else { return Ok(()) };
    let org = signons_petition::organization::find_organization(conn, slug)?;
    let logo = signons_petition::logo::of(conn, &org.id)?;
    let actor = LocalActor::new(urls, reference.clone(), Subject::Organization(org, logo), keys);
    let inboxes = follower_inboxes(conn, urls, &[reference])?;
    delivery::enqueue(conn, &update_group(data, &actor, &urls.new_activity()), &inboxes)?;
    Ok(())
}
