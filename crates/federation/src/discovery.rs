//! How other servers find us: WebFinger (`acct:name@host`), NodeInfo 2.1 and host-meta.

use crate::{FederationData, FederationError, LocalRef};
use diesel::prelude::*;
use serde_json::{json, Value};
use signons_petition::PetitionError;
use signons_store::schema::{organizers, petitions};

/// The local actor a handle's user part names: the host itself names the instance actor,
/// otherwise a public petition or an organization (they share one namespace).
pub async fn local_ref_for_name(data: &FederationData, name: &str) -> Result<Option<LocalRef>, FederationError> {
    if name.eq_ignore_ascii_case(data.urls.host()) {
        return Ok(Some(LocalRef::Instance));
    }
    let name = name.to_owned();
    data.db
        .read_async(move |conn| -> Result<Option<LocalRef>, FederationError> {
            match signons_petition::petition::find(conn, &name) {
                Ok(p) if p.is_public() => return Ok(Some(LocalRef::Petition(name))),
                Ok(_) | Err(PetitionError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            match signons_petition::organization::find_organization(conn, &name) {
                Ok(_) => Ok(Some(LocalRef::Organization(name))),
                Err(PetitionError::OrganizationNotFound) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await
}

/// Whether `actor` exists and is public (a published petition, an organization, the instance).
pub async fn is_public(data: &FederationData, actor: &LocalRef) -> Result<bool, FederationError> {
    Ok(local_ref_for_name(data, &data.urls.username(actor)).await?.as_ref() == Some(actor))
}

/// The WebFinger answer for `resource` (`acct:name@host`, or one of our actor URLs).
pub async fn webfinger(data: &FederationData, resource: &str) -> Result<Value, FederationError> {
    let resource = resource.trim();
    let reference = if let Some(acct) = resource.strip_prefix("acct:") {
        let (name, host) = acct.trim_start_matches('@').rsplit_once('@').ok_or(FederationError::NotFound)?;
        if !host.eq_ignore_ascii_case(data.urls.host()) {
            return Err(FederationError::NotFound);
        }
        local_ref_for_name(data, name).await?
    } else {
        let url = url::Url::parse(resource).map_err(|_| FederationError::NotFound)?;
        match data.urls.parse_local(&url) {
            Some(LocalRef::Instance) => Some(LocalRef::Instance),
            Some(LocalRef::Organization(name) | LocalRef::Petition(name)) => local_ref_for_name(data, &name).await?,
            None => None,
        }
    };
    let reference = reference.ok_or(FederationError::NotFound)?;
    let name = data.urls.username(&reference);
    let actor = data.urls.actor(&reference);
    let page = match reference {
        LocalRef::Instance => data.urls.home(),
        _ => actor.clone(),
    };
    Ok(json!({
        "subject": format!("acct:{name}@{}", data.urls.host()),
        "aliases": [actor.as_str()],
        "links": [
            { "rel": "self", "type": crate::ACTIVITY_JSON, "href": actor.as_str() },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page.as_str() },
        ],
    }))
}

pub const NODEINFO_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `/.well-known/nodeinfo`: where the document is.
pub fn nodeinfo_links(data: &FederationData) -> Value {
    let mut href = data.urls.base().clone();
    href.set_path("/nodeinfo/2.1");
    json!({ "links": [{ "rel": NODEINFO_SCHEMA, "href": href.as_str() }] })
}

/// NodeInfo 2.1: organizers are the users; published petitions the local posts.
pub async fn nodeinfo(data: &FederationData, open_registrations: bool) -> Result<Value, FederationError> {
    let (users, posts) = data
        .db
        .read_async(|conn| -> Result<(i64, i64), FederationError> {
            let users: i64 = organizers::table.count().get_result(conn)?;
            let posts: i64 = petitions::table
                .filter(petitions::status.eq_any(crate::posts::PUBLIC_STATUSES))
                .count()
                .get_result(conn)?;
            Ok((users, posts))
        })
        .await?;
    Ok(json!({
        "version": "2.1",
        "software": {
            "name": "signons",
            "version": env!("CARGO_PKG_VERSION"),
            "repository": env!("CARGO_PKG_REPOSITORY"),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": open_registrations,
        "usage": { "users": { "total": users }, "localPosts": posts },
        "metadata": { "nodeName": data.instance_name() },
    }))
}

/// `/.well-known/host-meta`: the WebFinger template, for older servers.
pub fn host_meta(data: &FederationData) -> String {
    let mut template = data.urls.base().clone();
    template.set_path("/.well-known/webfinger");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" type=\"application/xrd+xml\" template=\"{template}?resource={{uri}}\"/>\n</XRD>\n"
    )
}
