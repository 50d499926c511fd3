//! What our actors send: a new petition (from its organization), news and milestones (from
//! the petition, boosted by its organization), updates of a petition, and our follows.
//! Functions taking a connection run in the caller's transaction, so an activity is
//! queued if and only if the change it reports is committed.

use crate::actors::{LocalActor, RemoteActor, Subject};
use crate::objects::{self, context, create_note, escape, link, thousands, Post, PostKind, PUBLIC};
use crate::{delivery, keys, policy, FederationContext, FederationError, LocalRef, Urls};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::{json, Value};
use signons_petition::{Petition, PetitionStatus, SafeHtml};
use signons_store::schema::{
    ap_followers as f, ap_following as fing, ap_petition_sync as sync, ap_remote_actors as ra, organizations,
    petition_posts as pp, petitions,
};
use signons_store::{DbConnection, Id};
use std::collections::{HashMap, HashSet};
use url::Url;

pub const NEWS_MAX: usize = 5_000;

/// The inboxes of everyone following any of `actors` (a shared inbox once per server).
pub fn follower_inboxes(
    conn: &mut DbConnection,
    urls: &Urls,
    actors: &[LocalRef],
) -> Result<Vec<Url>, FederationError> {
    let ids: Vec<String> = actors.iter().map(|a| urls.actor(a).to_string()).collect();
    let rows: Vec<(String, Option<String>)> = f::table
        .inner_join(ra::table)
        .filter(f::local_actor.eq_any(ids))
        .select((ra::inbox, ra::shared_inbox))
        .load(conn)?;
    let mut seen = HashSet::new();
    Ok(rows
        .into_iter()
        .filter_map(|(inbox, shared)| Url::parse(shared.as_deref().unwrap_or(&inbox)).ok())
        .filter(|u| seen.insert(u.to_string()))
        .collect())
}

pub fn follower_count(conn: &mut DbConnection, urls: &Urls, actor: &LocalRef) -> Result<i64, FederationError> {
    Ok(f::table.filter(f::local_actor.eq(urls.actor(actor).as_str())).count().get_result(conn)?)
}

fn store_post(
    conn: &mut DbConnection,
    petition: &Petition,
    kind: PostKind,
    body_html: String,
    milestone: Option<i64>,
) -> Result<Post, FederationError> {
    let id = Id::new();
    let now = signons_store::now();
    diesel::insert_into(pp::table)
        .values((
            pp::id.eq(&id),
            pp::petition_id.eq(&petition.id),
            pp::kind.eq(kind.as_str()),
            pp::body_html.eq(&body_html),
            pp::milestone.eq(milestone),
            pp::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Post {
        id: id.as_str().to_owned(),
        kind,
        petition_slug: petition.slug.clone(),
        organization_slug: petition.organization.slug.clone(),
        body_html,
        created_at: now,
    })
}

/// Sends a post: `Create` from its author to the author's followers and the instance's;
/// for a petition's post, an `Announce` from its organization to the organization's
/// followers that did not get the `Create`.
fn deliver_post(conn: &mut DbConnection, urls: &Urls, post: &Post) -> Result<(), FederationError> {
    let author = post.author();
    let create_to = follower_inboxes(conn, urls, &[author.clone(), LocalRef::Instance])?;
    delivery::enqueue(conn, &create_note(urls, post), &create_to)?;
    if let LocalRef::Petition(_) = author {
        let org = LocalRef::Organization(post.organization_slug.clone());
        let got: HashSet<&Url> = create_to.iter().collect();
        let announce_to: Vec<Url> = follower_inboxes(conn, urls, std::slice::from_ref(&org))?
            .into_iter()
            .filter(|u| !got.contains(u))
            .collect();
        delivery::enqueue(conn, &announce_note(urls, post), &announce_to)?;
    }
    Ok(())
}

/// `Announce` (boost) of a petition's post by the petition's organization.
pub fn announce_note(urls: &Urls, post: &Post) -> Value {
    let org = LocalRef::Organization(post.organization_slug.clone());
    let note = urls.note(&post.id);
    json!({
        "@context": context(urls),
        "type": "Announce",
        "id": format!("{note}/announce"),
        "actor": urls.actor(&org).as_str(),
        "published": objects::timestamp(post.created_at),
        "to": [PUBLIC],
        "cc": [urls.followers(&org).as_str()],
        "object": note.as_str(),
    })
}

fn petition_link(urls: &Urls, petition: &Petition) -> String {
    link(urls.actor(&LocalRef::Petition(petition.slug.clone())).as_str(), &petition.title)
}

/// A petition was published: its organization says so.
pub fn petition_published(conn: &mut DbConnection, urls: &Urls, petition: &Petition) -> Result<Post, FederationError> {
    let body = format!(
        "<p>New petition by {}: {}</p><p>Addressed to: {}</p>",
        escape(&petition.organization.name),
        petition_link(urls, petition),
        escape(&petition.target)
    );
    let post = store_post(conn, petition, PostKind::Published, body, None)?;
    deliver_post(conn, urls, &post)?;
    // Milestones and counts are followed from zero.
    diesel::delete(sync::table.find(&petition.id)).execute(conn)?;
    diesel::insert_into(sync::table)
        .values((
            sync::petition_id.eq(&petition.id),
            sync::last_milestone.eq(0),
            sync::last_count_sent.eq(0),
            sync::updated_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    Ok(post)
}

/// News from the petition's organizers (Markdown, sanitized once here).
pub fn news(
    conn: &mut DbConnection,
    urls: &Urls,
    petition: &Petition,
    markdown: &str,
) -> Result<Post, FederationError> {
    let body = news_body(urls, &petition.slug, &petition.title, markdown);
    let post = store_post(conn, petition, PostKind::News, body, None)?;
    deliver_post(conn, urls, &post)?;
    Ok(post)
}

/// A news note's content: the organizers' Markdown, rendered and sanitized, then a link to
/// the petition.
pub fn news_body(urls: &Urls, slug: &str, title: &str, markdown: &str) -> String {
    let link = link(urls.actor(&LocalRef::Petition(slug.to_owned())).as_str(), title);
    format!("{}<p>{link}</p>", SafeHtml::from_markdown(markdown).as_str())
}

/// 100, 1,000, 10,000, … and the goal.
pub fn highest_milestone(count: i64, goal: i64) -> i64 {
    let mut best = if goal > 0 && count >= goal { goal } else { 0 };
    let mut m: i64 = 100;
    while m <= count {
        best = best.max(m);
        m = match m.checked_mul(10) {
            Some(next) => next,
            None => break,
        };
    }
    best
}

fn milestone(conn: &mut DbConnection, urls: &Urls, petition: &Petition, reached: i64) -> Result<Post, FederationError> {
    let what = if reached == petition.goal {
        format!("reached its goal of {} signatures", thousands(reached))
    } else {
        format!("passed {} signatures", thousands(reached))
    };
    let body = format!("<p>{} {what}!</p>", petition_link(urls, petition));
    let post = store_post(conn, petition, PostKind::Milestone, body, Some(reached))?;
    deliver_post(conn, urls, &post)?;
    Ok(post)
}

/// `Update` of the petition's actor (count, status) to everyone who follows it, its
/// organization or the instance. Without a key nobody ever fetched it: nothing to send.
pub fn petition_updated(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    petition: &Petition,
    count: i64,
) -> Result<(), FederationError> {
    let urls = &data.urls;
    let reference = LocalRef::Petition(petition.slug.clone());
    let url = urls.actor(&reference);
    let Some(keys) = keys::stored(conn, url.as_str())? else { return Ok(()) };
    let subject = Subject::Petition { petition: Box::new(petition.clone()), count };
    let actor = LocalActor::new(urls, reference.clone(), subject, keys);
    let update = update_group(data, &actor, &urls.new_activity());
    let org = LocalRef::Organization(petition.organization.slug.clone());
    let inboxes = follower_inboxes(conn, urls, &[reference, org, LocalRef::Instance])?;
    delivery::enqueue(conn, &update, &inboxes)?;
    Ok(())
}

/// `Update` of a petition's actor, with id `id`: the whole `Group`, as its actor serves it.
pub fn update_group(data: &crate::FederationData, actor: &LocalActor, id: &Url) -> Value {
    let urls = &data.urls;
    let object = objects::without_context(crate::actors::actor_json(data, actor));
    json!({
        "@context": context(urls),
        "type": "Update",
        "id": id.as_str(),
        "actor": actor.url.as_str(),
        "to": [PUBLIC],
        "cc": [urls.followers(&actor.reference).as_str()],
        "object": object,
    })
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
    }
    let org_ref = LocalRef::Organization(petition.organization.slug.clone());
    let others: Vec<Url> = follower_inboxes(conn, urls, &[org_ref, LocalRef::Instance])?
        .into_iter()
        .filter(|i| !own.contains(i))
        .collect();
    delivery::enqueue(conn, &delete_object(urls, &urls.new_activity(), &org, &url), &others)?;
    diesel::delete(f::table.filter(f::local_actor.eq(url.as_str()))).execute(conn)?;
    diesel::delete(sync::table.find(&petition.id)).execute(conn)?;
    Ok(())
}

/// `Delete` of `object` (one of our petitions) by `actor` (itself or its organization),
/// with id `id`.
pub fn delete_object(urls: &Urls, id: &Url, actor: &Url, object: &Url) -> Value {
    json!({
        "@context": context(urls),
        "type": "Delete",
        "id": id.as_str(),
        "actor": actor.as_str(),
        "to": [PUBLIC],
        "object": object.as_str(),
    })
}

/// Periodic: announces milestones and sends the new counts, at most once per
/// `update_every` per petition. Returns how many petitions said something.
pub fn tick(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    update_every: TimeDelta,
) -> Result<usize, FederationError> {
    let open = signons_petition::petition::list_open(conn, 1000)?;
    let ids: Vec<Id> = open.iter().map(|p| p.id.clone()).collect();
    let totals = signons_signature::counts::totals(conn, &ids)?;
    // What was last said of each, in one query rather than one per petition.
    let mut said: HashMap<Id, (i64, i64, NaiveDateTime)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(Id, i64, i64, NaiveDateTime)> = sync::table
            .filter(sync::petition_id.eq_any(chunk))
            .select((sync::petition_id, sync::last_milestone, sync::last_count_sent, sync::updated_at))
            .load(conn)?;
        said.extend(rows.into_iter().map(|(id, m, c, at)| (id, (m, c, at))));
    }
    let now = signons_store::now();
    let mut spoke = 0;
    for petition in open {
        let count = totals.get(&petition.id).copied().unwrap_or(0);
        let Some(&(last_milestone, last_sent, sent_at)) = said.get(&petition.id) else {
            // First sight: start from here, without announcing the past.
            diesel::insert_into(sync::table)
                .values((
                    sync::petition_id.eq(&petition.id),
                    sync::last_milestone.eq(highest_milestone(count, petition.goal)),
                    sync::last_count_sent.eq(count),
                    sync::updated_at.eq(now),
                ))
                .execute(conn)?;
            continue;
        };
        let reached = highest_milestone(count, petition.goal);
        let mut new_milestone = last_milestone;
        if reached > last_milestone {
            milestone(conn, &data.urls, &petition, reached)?;
            new_milestone = reached;
            spoke += 1;
        }
        let (mut new_sent, mut new_at) = (last_sent, sent_at);
        if count != last_sent && now - sent_at >= update_every {
            petition_updated(conn, data, &petition, count)?;
            (new_sent, new_at) = (count, now);
            spoke += 1;
        }
        if (new_milestone, new_sent) != (last_milestone, last_sent) {
            diesel::update(sync::table.find(&petition.id))
                .set((
                    sync::last_milestone.eq(new_milestone),
                    sync::last_count_sent.eq(new_sent),
                    sync::updated_at.eq(new_at),
                ))
                .execute(conn)?;
        }
    }
    Ok(spoke)
}

/// Petitions others may see: published, open or closed.
pub const PUBLIC_STATUSES: [&str; 2] = [PetitionStatus::Open.as_str(), PetitionStatus::Closed.as_str()];

type PostRow = (Id, String, String, String, String, NaiveDateTime);

fn post_from_row((id, kind, body_html, petition_slug, organization_slug, created_at): PostRow) -> Post {
    Post {
        id: id.as_str().to_owned(),
        kind: PostKind::from_db(&kind),
        petition_slug,
        organization_slug,
        body_html,
        created_at,
    }
}

/// One post, if its petition is public.
pub fn find_post(conn: &mut DbConnection, id: &str) -> Result<Option<Post>, FederationError> {
    let Some(id) = Id::parse(id) else { return Ok(None) };
    let row: Option<PostRow> = pp::table
        .inner_join(petitions::table.inner_join(organizations::table))
        .filter(pp::id.eq(id))
        .filter(petitions::status.eq_any(PUBLIC_STATUSES))
        .select((pp::id, pp::kind, pp::body_html, petitions::slug, organizations::slug, pp::created_at))
        .first(conn)
        .optional()?;
    Ok(row.map(post_from_row))
}

/// The latest posts an actor made (its outbox).
pub fn posts_by(conn: &mut DbConnection, actor: &LocalRef, limit: i64) -> Result<Vec<Post>, FederationError> {
    let rows: Vec<PostRow> = posts_query(actor)
        .select((pp::id, pp::kind, pp::body_html, petitions::slug, organizations::slug, pp::created_at))
        .order(pp::created_at.desc())
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(post_from_row).collect())
}

/// How many posts an actor made (its outbox's `totalItems`).
pub fn post_count(conn: &mut DbConnection, actor: &LocalRef) -> Result<i64, FederationError> {
    Ok(posts_query(actor).count().get_result(conn)?)
}

type PostsQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoin<pp::table, diesel::dsl::InnerJoin<petitions::table, organizations::table>>,
        diesel::dsl::EqAny<petitions::status, [&'static str; 2]>,
    >,
    <DbConnection as diesel::Connection>::Backend,
>;

/// The posts an actor made, public petitions only: the organization's launch notes, a
/// petition's news and milestones, everything for the instance.
fn posts_query<'a>(actor: &LocalRef) -> PostsQuery<'a> {
    let mut query = pp::table
        .inner_join(petitions::table.inner_join(organizations::table))
        .filter(petitions::status.eq_any(PUBLIC_STATUSES))
        .into_boxed();
    match actor {
        LocalRef::Instance => {}
        LocalRef::Organization(name) => {
            query =
                query.filter(organizations::slug.eq(name.clone())).filter(pp::kind.eq(PostKind::Published.as_str()));
        }
        LocalRef::Petition(slug) => {
            query = query.filter(petitions::slug.eq(slug.clone())).filter(pp::kind.ne(PostKind::Published.as_str()));
        }
    }
    query
}

// ---------------------------------------------------------------------------------------
// Following other servers

/// A follow target as an admin typed it: a handle `name@host` stays as it is, a bare domain
/// becomes `https://domain`. Returns it with the `host[:port]` it names, for the policy.
pub fn follow_target(input: &str) -> (String, Option<String>) {
    let input = input.trim();
    let is_handle = !input.contains("://") && input.contains('@');
    if is_handle {
        let host = input.rsplit_once('@').map(|(_, h)| h.to_ascii_lowercase()).filter(|h| !h.is_empty());
        return (input.to_owned(), host);
    }
    let target = if input.contains("://") { input.to_owned() } else { format!("https://{input}") };
    let host = Url::parse(&target).ok().as_ref().and_then(crate::urls::host_of);
    (target, host)
}

/// What `signons federation follow` accepts: an instance's base URL (its `/actor` is
/// followed), an actor's URL (an organization), or a handle `name@host`.
pub async fn resolve_followable(input: &str, data: &FederationContext) -> Result<RemoteActor, FederationError> {
    let input = input.trim();
    if !input.contains("://") && input.contains('@') {
        let handle = input.trim_start_matches('@');
        return webfinger_resolve_actor::<_, RemoteActor>(handle, data).await;
    }
    let mut actor_url = Url::parse(input)?;
    if actor_url.path() == "/" || actor_url.path().is_empty() {
        actor_url.set_path("/actor");
    }
    if data.urls.parse_local(&actor_url).is_some() {
        return Err(FederationError::Invalid("this is one of our own actors".into()));
    }
    ObjectId::<RemoteActor>::from(actor_url).dereference(data).await.map_err(|e| match e {
        FederationError::Protocol(p) => FederationError::Unreachable { url: input.to_owned(), reason: p.to_string() },
        other => other,
    })
}

/// The instance actor follows `actor`; its domain is allowed (the admin asked for it).
/// The `Follow` is queued: the running server sends it.
pub fn follow(conn: &mut DbConnection, urls: &Urls, actor: &RemoteActor) -> Result<(), FederationError> {
    policy::set_rule(conn, &actor.host, Some(policy::DomainPolicy::Allow))?;
    let id = urls.new_activity();
    let follow = follow_activity(urls, &id, &actor.url);
    let now = signons_store::now();
    diesel::delete(fing::table.filter(fing::remote_actor.eq(actor.url.as_str()))).execute(conn)?;
    diesel::insert_into(fing::table)
        .values((
            fing::remote_actor.eq(actor.url.as_str()),
            fing::host.eq(&actor.host),
            fing::follow_id.eq(id.as_str()),
            fing::state.eq("pending"),
            fing::created_at.eq(now),
            fing::updated_at.eq(now),
        ))
        .execute(conn)?;
    delivery::enqueue(conn, &follow, std::slice::from_ref(&actor.inbox))?;
    Ok(())
}

/// `Follow` of `object` by the instance actor, with id `id`.
pub fn follow_activity(urls: &Urls, id: &Url, object: &Url) -> Value {
    json!({
        "@context": context(urls),
        "type": "Follow",
        "id": id.as_str(),
        "actor": urls.actor(&LocalRef::Instance).as_str(),
        "object": object.as_str(),
    })
}

/// `Undo` of the instance actor's follow `follow_id` of `object`, with id `id`.
pub fn undo_follow_activity(urls: &Urls, id: &Url, follow_id: &str, object: &str) -> Value {
    let me = urls.actor(&LocalRef::Instance);
    json!({
        "@context": context(urls),
        "type": "Undo",
        "id": id.as_str(),
        "actor": me.as_str(),
        "object": { "type": "Follow", "id": follow_id, "actor": me.as_str(), "object": object },
    })
}

/// Stops following `actor` (an `Undo` of our follow).
pub fn unfollow(conn: &mut DbConnection, urls: &Urls, actor_url: &str) -> Result<bool, FederationError> {
    // Only a URL names something we follow (and a NUL byte never reaches PostgreSQL).
    let Ok(actor_url) = Url::parse(actor_url) else { return Ok(false) };
    let actor_url = actor_url.as_str();
    let row: Option<(String, String)> = fing::table
        .inner_join(ra::table.on(ra::url.eq(fing::remote_actor)))
        .filter(fing::remote_actor.eq(actor_url))
        .select((fing::follow_id, ra::inbox))
        .first(conn)
        .optional()?;
    let Some((follow_id, inbox)) = row else { return Ok(false) };
    let undo = undo_follow_activity(urls, &urls.new_activity(), &follow_id, actor_url);
    diesel::delete(fing::table.filter(fing::remote_actor.eq(actor_url))).execute(conn)?;
    delivery::enqueue(conn, &undo, &[Url::parse(&inbox)?])?;
    Ok(true)
}

#[derive(Debug, Clone, serde::Serialize, Queryable)]
pub struct Following {
    pub remote_actor: String,
    pub host: String,
    pub state: String,
    pub created_at: NaiveDateTime,
}

pub fn following(conn: &mut DbConnection) -> Result<Vec<Following>, FederationError> {
    Ok(fing::table
        .order(fing::created_at.desc())
        .select((fing::remote_actor, fing::host, fing::state, fing::created_at))
        .load(conn)?)
}

/// Followers of this instance's actors, per server, for the admin.
pub fn followers_by_host(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, FederationError> {
    use diesel::dsl::count_star;
    Ok(f::table
        .group_by(f::follower_host)
        .select((f::follower_host, count_star()))
        .order(f::follower_host.asc())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_targets_name_their_host() {
        assert_eq!(follow_target("Name@Example.org"), ("Name@Example.org".into(), Some("example.org".into())));
        assert_eq!(
            follow_target(" https://Social.example.org:8443/o/x "),
            ("https://Social.example.org:8443/o/x".into(), Some("social.example.org:8443".into()))
        );
        assert_eq!(follow_target("example.org"), ("https://example.org".into(), Some("example.org".into())));
        assert_eq!(follow_target("name@").1, None);
        assert_eq!(follow_target("not a url").1, None);
    }

    #[test]
    fn milestones_are_powers_of_ten_and_the_goal() {
        assert_eq!(highest_milestone(99, 500), 0);
        assert_eq!(highest_milestone(100, 500), 100);
        assert_eq!(highest_milestone(499, 500), 100);
        assert_eq!(highest_milestone(500, 500), 500);
        assert_eq!(highest_milestone(999, 500), 500);
        assert_eq!(highest_milestone(1_000, 500), 1_000);
        assert_eq!(highest_milestone(12_345, 0), 10_000);
        assert_eq!(highest_milestone(i64::MAX, 0), 1_000_000_000_000_000_000);
    }
}
